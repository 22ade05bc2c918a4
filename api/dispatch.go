package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/tickets"
)

// DispatchStore reads the tasks a ticket is dispatched as (package
// dispatch); the dispatch and the tasks' steps go through the desk
// (Config.Desk), which acts on the ticket. *store.Store satisfies it.
type DispatchStore interface {
	Task(ctx context.Context, id int64) (dispatch.Task, error)
	TasksOfTicket(ctx context.Context, ticketID int64) ([]dispatch.Task, error)
	DepartmentTasks(ctx context.Context, department string, limit int) ([]dispatch.Task, error)
	TaskEvents(ctx context.Context, taskID int64) ([]dispatch.Event, error)
}

// Task is a department's task as the API shows it.
type Task struct {
	ID              int64     `json:"id"`
	TicketID        int64     `json:"ticket_id"`
	Department      string    `json:"department"`
	DepartmentLabel string    `json:"department_label"`
	State           string    `json:"state"`
	StateLabel      string    `json:"state_label"`
	DueAt           time.Time `json:"due_at"`
	Overdue         bool      `json:"overdue"`
	ExtendTo        time.Time `json:"extend_to,omitzero"`
	Note            string    `json:"note,omitempty"`
	Feedback        string    `json:"feedback,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	DispatchedBy    string    `json:"dispatched_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// DispatchRequest hands a ticket to one department or, for 吹哨报到,
// several, each with its own deadline.
type DispatchRequest struct {
	Tasks []struct {
		Department string    `json:"department"`
		DueAt      time.Time `json:"due_at"`
		Note       string    `json:"note"`
	} `json:"tasks"`
	By string `json:"by"`
}

// TaskAction is a step on a task: accept, return, request_extension,
// resolve (the department's) or approve_extension, refuse_extension,
// cancel (the dispatcher's).
type TaskAction struct {
	Action   string    `json:"action"`
	Note     string    `json:"note"`
	ExtendTo time.Time `json:"extend_to,omitzero"`
	By       string    `json:"by"`
}

// staff are the roles that dispatch and supervise (their scope must lie
// above the ticket's grid too: dispatcher).
var staff = []access.Role{access.RoleWorker, access.RoleOfficer, access.RoleAdmin}

func (s *server) mountDispatch(v1 mountFunc) {
	v1("GET /api/v1/tickets/{id}/tasks", s.ticketScoped(s.ticketTasks))
	v1("GET /api/v1/tasks", s.departmentTasks)
	if s.cfg.Desk == nil {
		return
	}
	v1("POST /api/v1/tickets/{id}/dispatch", s.ticketScoped(s.dispatchTicket), staff...)
	v1("POST /api/v1/tasks/{id}/actions", s.taskAction, append(slices.Clone(staff), access.RoleDepartment)...)
}

func (s *server) departments() []dispatch.Department {
	switch {
	case len(s.cfg.Departments) > 0:
		return s.cfg.Departments
	case s.cfg.Desk != nil:
		return s.cfg.Desk.Departments()
	}
	return dispatch.DefaultDepartments
}

// taskToAPI converts t. Its note, feedback and reason are typed by staff
// and read by a department's user: they are masked of the names given
// (the ticket's resident's) and of anything shaped like a phone or ID
// number, as a ticket's timeline is.
func (s *server) taskToAPI(t dispatch.Task, names ...pii.Name) Task {
	label := t.Department
	for _, d := range s.departments() {
		if d.Code == t.Department {
			label = d.Name
		}
	}
	return Task{ID: t.ID, TicketID: t.TicketID, Department: t.Department, DepartmentLabel: label, State: string(t.State),
		StateLabel: t.State.Label(), DueAt: t.DueAt, Overdue: t.Overdue(s.cfg.Now()), ExtendTo: t.ExtendTo, Note: pii.MaskText(t.Note, names...),
		Feedback: pii.MaskText(t.Feedback, names...), Reason: pii.MaskText(t.Reason, names...), DispatchedBy: t.DispatchedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// residentNames are the names a task of ticket t is masked of: its
// resident's, if it has one.
func (s *server) residentNames(ctx context.Context, p people, t tickets.Ticket) ([]pii.Name, error) {
	if t.ResidentID == 0 {
		return nil, nil
	}
	r, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		return nil, err
	}
	return []pii.Name{r.Name}, nil
}

// taskNames is residentNames for the ticket of id.
func (s *server) taskNames(ctx context.Context, p people, id int64) ([]pii.Name, error) {
	t, err := s.cfg.Tickets.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.residentNames(ctx, p, t)
}

// dispatcher reports whether the caller may dispatch ticket grid's cases
// and decide on their tasks: in the trial mode anyone; otherwise a user
// whose scope covers the grid from above it (community or street staff, a
// leader), not only the grid itself.
func dispatcher(r *http.Request, grid string) bool {
	u, ok := userFrom(r.Context())
	if !ok {
		return true
	}
	for _, c := range u.Grids {
		if c != grid && access.Scope([]string{c}).Covers(grid) {
			return true
		}
	}
	return false
}

func (s *server) dispatchTicket(w http.ResponseWriter, r *http.Request) {
	t := scopedTicket(r)
	id := t.ID
	if !dispatcher(r, t.GridCode) {
		s.auth.refuse(w, r, http.StatusForbidden, "scope", "dispatching is for the community's or the street's staff, whose scope lies above the grid · 分拨须由社区或街道工作人员操作")
		return
	}
	var req DispatchRequest
	if !s.actedBody(w, r, &req, &req.By) {
		return
	}
	ts := make([]dispatch.Task, 0, len(req.Tasks))
	for _, in := range req.Tasks {
		ts = append(ts, dispatch.Task{Department: in.Department, DueAt: in.DueAt, Note: in.Note})
	}
	made, err := s.cfg.Desk.Dispatch(r.Context(), id, ts, req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	names, err := s.residentNames(r.Context(), s.people(), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]Task, 0, len(made))
	var codes []string
	for _, t := range made {
		out = append(out, s.taskToAPI(t, names...))
		codes = append(codes, t.Department)
	}
	_ = s.record(r, req.By, audit.ActionTicketDispatch, fmt.Sprintf("ticket:%d", id), "", fmt.Sprintf(`{"departments":%q}`, strings.Join(codes, ",")))
	writeJSON(w, http.StatusCreated, out)
}

func (s *server) ticketTasks(w http.ResponseWriter, r *http.Request) {
	ts, err := s.cfg.Dispatch.TasksOfTicket(r.Context(), scopedTicket(r).ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	names, err := s.residentNames(r.Context(), s.people(), scopedTicket(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]Task, 0, len(ts))
	for _, t := range ts {
		out = append(out, s.taskToAPI(t, names...))
	}
	writeJSON(w, 200, out)
}

// departmentTasks serves GET /api/v1/tasks?department=CODE: a department's
// open tasks, soonest deadline first. A department's user reads their own
// department's (the parameter may be left out); a user of the whole city
// any department's.
func (s *server) departmentTasks(w http.ResponseWriter, r *http.Request) {
	dept := r.URL.Query().Get("department")
	if u, ok := userFrom(r.Context()); ok {
		switch {
		case u.Has(access.RoleDepartment) && (dept == "" || dept == u.Department):
			dept = u.Department
		case !u.Scope().Everything():
			s.outOfScope(w, r, "department "+dept+"'s tasks")
			return
		}
	}
	if !slices.ContainsFunc(s.departments(), func(d dispatch.Department) bool { return d.Code == dept }) {
		s.writeError(w, r, badRequest("department %q: not a known department", "部门 %q 不存在", dept))
		return
	}
	limit, err := queryLimit(r, maxTicketsPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.cfg.Dispatch.DepartmentTasks(r.Context(), dept, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := s.people()
	out := make([]Task, 0, len(ts))
	for _, t := range ts {
		names, err := s.taskNames(r.Context(), p, t.TicketID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, s.taskToAPI(t, names...))
	}
	writeJSON(w, 200, out)
}

// taskAction serves POST /api/v1/tasks/{id}/actions. The department's
// steps (accept, return, request_extension, resolve) are its users'; the
// dispatcher's (approve_extension, refuse_extension, cancel) belong to
// staff whose scope covers the ticket's grid from above.
func (s *server) taskAction(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("task id %q: want a number", "任务编号 %q 无效", r.PathValue("id")))
		return
	}
	task, err := s.cfg.Dispatch.Task(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req TaskAction
	if !s.actedBody(w, r, &req, &req.By) {
		return
	}
	a := dispatch.Action(req.Action)
	if u, ok := userFrom(r.Context()); ok {
		if a.ByDepartment() {
			if !u.Has(access.RoleDepartment) || u.Department != task.Department {
				s.outOfScope(w, r, fmt.Sprintf("task %d of %s", id, task.Department))
				return
			}
		} else {
			t, err := s.cfg.Tickets.Ticket(r.Context(), task.TicketID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if !dispatcher(r, t.GridCode) {
				s.outOfScope(w, r, fmt.Sprintf("ticket %d's dispatch", task.TicketID))
				return
			}
		}
	}
	got, err := s.cfg.Desk.MoveTask(r.Context(), id, dispatch.Move{Action: a, By: req.By, Note: req.Note, ExtendTo: req.ExtendTo})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, req.By, audit.ActionTask+"."+audit.Action(req.Action), fmt.Sprintf("task:%d", id), "", fmt.Sprintf(`{"ticket":%d,"state":%q}`, task.TicketID, got.State))
	names, err := s.taskNames(r.Context(), s.people(), task.TicketID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, s.taskToAPI(got, names...))
}

// actedBody decodes a change's body into v and settles its actor in *by
// (the user, or the trial mode's required by), answering 400 and returning
// false when either fails.
func (s *server) actedBody(w http.ResponseWriter, r *http.Request, v any, by *string) bool {
	err := decode(w, r, v)
	if err == nil {
		if *by, err = actor(r, "by", *by); err == nil && strings.TrimSpace(*by) == "" {
			err = badRequest("by is required", "请注明操作人（by）")
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}
