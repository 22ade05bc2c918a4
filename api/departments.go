package api

import (
	"net/http"
	"slices"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/tickets"
)

// Department is a department as GET /api/v1/departments shows it: a body
// tickets are dispatched to, with the ticket categories suggested for it
// (Config.DepartmentRoutes).
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Categories are the ticket categories whose cases usually go to the
	// department, in the order of tickets.Categories; empty when none.
	Categories []DepartmentCategory `json:"categories"`
}

// DepartmentCategory is a ticket category: its identifier and Chinese
// label.
type DepartmentCategory struct {
	Category string `json:"category"`
	Label    string `json:"label"`
}

// listDepartments answers GET /api/v1/departments: every known department
// with the categories suggested for it, for any signed-in user (a worker
// choosing whom to ask, a dispatcher, a department checking what comes to
// it).
func (s *server) listDepartments(w http.ResponseWriter, _ *http.Request) {
	known := s.cfg.Departments
	if len(known) == 0 {
		known = dispatch.DefaultDepartments
	}
	routes := s.cfg.DepartmentRoutes
	if routes == nil {
		routes = dispatch.DefaultRoutes.Known(known)
	}
	out := make([]Department, 0, len(known))
	for _, d := range known {
		cats := routes.Categories(d.Code)
		slices.SortStableFunc(cats, func(a, b string) int { return categoryRank(a) - categoryRank(b) })
		dc := make([]DepartmentCategory, 0, len(cats))
		for _, c := range cats {
			dc = append(dc, DepartmentCategory{Category: c, Label: tickets.Category(c).Label()})
		}
		out = append(out, Department{Code: d.Code, Name: d.Name, Categories: dc})
	}
	writeJSON(w, http.StatusOK, out)
}

// categoryRank orders categories as tickets.Categories does, configured
// ones after the built-in ones.
func categoryRank(c string) int {
	if i := slices.Index(tickets.Categories, tickets.Category(c)); i >= 0 {
		return i
	}
	return len(tickets.Categories)
}
