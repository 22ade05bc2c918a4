package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/tickets"
)

// Every route filters by the caller's scope (access.Scope): a list shows
// what lies in it, and reading or acting on one record outside it is 403
// with reason "scope". The trial mode's scope is the whole city.

// outOfScope answers 403 for a record outside the caller's scope.
func (s *server) outOfScope(w http.ResponseWriter, r *http.Request, what string) {
	u, _ := userFrom(r.Context())
	s.auth.log.InfoContext(r.Context(), "api_forbidden", "user", pii.Name(u.Name), "path", r.URL.Path, "reason", "scope")
	s.auth.refuse(w, r, http.StatusForbidden, "scope",
		fmt.Sprintf("%s lies outside your scope (%s) · 不在您的管辖范围内", what, scopeOf(r)))
}

// ticketScoped lets through to h only a caller whose scope covers ticket
// {id}'s grid (or whose department it was dispatched to), with the ticket
// as read in the request's context (scopedTicket).
func (s *server) ticketScoped(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := ticketID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		t, err := s.cfg.Tickets.Ticket(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !scopeOf(r).Covers(t.GridCode) && !s.dispatchedToCaller(r, id) {
			s.outOfScope(w, r, fmt.Sprintf("ticket %d", id))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ticketKey{}, t)))
	}
}

// campaignRead lets through to h a caller whose scope shares a grid with
// campaign {id}'s: a street's campaign is readable by its grids' workers.
func (s *server) campaignRead(h http.HandlerFunc) http.HandlerFunc {
	return s.campaignScoped(h, access.Scope.Overlaps)
}

// campaignAct lets through to h only a caller whose scope covers all of
// campaign {id}'s: who approves or sends a campaign answers for everyone
// it reaches.
func (s *server) campaignAct(h http.HandlerFunc) http.HandlerFunc {
	return s.campaignScoped(h, access.Scope.CoversAll)
}

func (s *server) campaignScoped(h http.HandlerFunc, ok func(user, campaign access.Scope) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.campaignID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := s.campaign(r, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !ok(scopeOf(r), campaignScope(c)) {
			s.outOfScope(w, r, fmt.Sprintf("campaign %d", id))
			return
		}
		h(w, r)
	}
}

// campaign reads a campaign from whichever store the server has.
func (s *server) campaign(r *http.Request, id int64) (campaigns.Campaign, error) {
	if s.cfg.Campaigns != nil {
		return s.cfg.Campaigns.Campaign(r.Context(), id)
	}
	if s.cfg.Tickets != nil {
		return s.cfg.Tickets.Campaign(r.Context(), id)
	}
	return campaigns.Campaign{}, fault.NotFound(fault.Campaign, id)
}

// campaignScope is where c reaches: the whole city when it has no scope.
func campaignScope(c campaigns.Campaign) access.Scope {
	if len(c.Scope) == 0 {
		return access.Scope{access.All}
	}
	return access.Scope(c.Scope)
}

// withinScope limits a segment expression to the caller's residents, or
// answers 403 and returns false when the caller's scope holds none.
func (s *server) withinScope(w http.ResponseWriter, r *http.Request, expr string) (string, bool) {
	out, ok := scopeOf(r).Within(expr)
	if !ok {
		s.auth.refuse(w, r, http.StatusForbidden, "scope",
			"your scope holds no grid, so no residents: ask an administrator to grant one (gridcast users grant NAME --grid CODE) · 您的账号未分配网格，无法查看居民")
	}
	return out, ok
}

// dispatchedToCaller reports whether ticket id has a task for the
// caller's department: a department's user reads the tickets handed to
// them, whatever their grid.
func (s *server) dispatchedToCaller(r *http.Request, id int64) bool {
	u, ok := userFrom(r.Context())
	if !ok || !u.Has(access.RoleDepartment) || s.cfg.Dispatch == nil {
		return false
	}
	ts, err := s.cfg.Dispatch.TasksOfTicket(r.Context(), id)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(ts, func(t dispatch.Task) bool { return t.Department == u.Department })
}

type ticketKey struct{}

// scopedTicket is the ticket ticketScoped read for the request, before h
// changed anything.
func scopedTicket(r *http.Request) tickets.Ticket {
	t, _ := r.Context().Value(ticketKey{}).(tickets.Ticket)
	return t
}
