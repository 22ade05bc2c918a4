package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Dispatches keeps the tasks a ticket is dispatched as (package
// dispatch): the desk stores each step there, then acts on the ticket.
type Dispatches interface {
	DispatchTasks(ctx context.Context, ts []dispatch.Task, known []dispatch.Department) ([]dispatch.Task, error)
	MoveTask(ctx context.Context, id int64, m dispatch.Move) (dispatch.Task, error)
	TasksOfTicket(ctx context.Context, ticketID int64) ([]dispatch.Task, error)
	// DispatchSummary counts the tasks dispatched in [from, to) per
	// department by where they stand at now, and the tickets dispatched
	// and flagged 督办 in the period.
	DispatchSummary(ctx context.Context, from, to, now time.Time) (dispatch.Summary, error)
}

// Notification events of dispatch, as the worker reads them.
const (
	eventDepartmentReturned  = "部门退回"
	eventDepartmentExtension = "部门申请延期"
	eventDepartmentResolved  = "部门办结"
)

// Departments are the bodies a ticket can be dispatched to.
func (s *Service) Departments() []dispatch.Department { return s.cfg.Departments }

// DepartmentName is the name of the department with code, or the code
// when no known department has it.
func (s *Service) DepartmentName(code string) string {
	for _, d := range s.cfg.Departments {
		if d.Code == code {
			return d.Name
		}
	}
	return code
}

// Dispatch hands open ticket id to departments (分拨; several at once for
// 吹哨报到) on behalf of by: one task per element of ts (its Department,
// DueAt and Note; the ticket and dispatcher are set here), stored in one
// transaction, each step on the ticket's timeline through the tasks'
// events. An assigned ticket moves to in progress, its handler keeping
// it while the departments work. A ticket no longer open is refused with
// fault.ErrConflict; tasks the store refuses (an unknown department, a
// deadline past) with fault.ErrInvalid, nothing written.
func (s *Service) Dispatch(ctx context.Context, id int64, ts []dispatch.Task, by string) ([]dispatch.Task, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return nil, tickets.ErrNoActor
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.Status.Open() {
		return nil, fault.Refuse(fault.ErrConflict,
			fmt.Sprintf("ticket %d is %s: reopen it before dispatching", id, strings.ReplaceAll(string(t.Status), "_", " ")),
			fmt.Sprintf("工单 #%d %s，请先重新打开再分拨", id, t.Status.Label()), tickets.ErrBadTransition)
	}
	in := make([]dispatch.Task, len(ts))
	for i, x := range ts {
		x.TicketID, x.DispatchedBy = id, by
		in[i] = x
	}
	made, err := s.st.DispatchTasks(ctx, in, s.cfg.Departments)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(made))
	for i, x := range made {
		names[i] = s.DepartmentName(x.Department)
		s.observe(x.Department, dispatch.ActionDispatch)
	}
	s.log.InfoContext(ctx, "ticket_dispatched", "ticket_id", id, "tasks", len(made))
	if t.Status == tickets.StatusAssigned {
		err := s.update(ctx, id, func(t *tickets.Ticket) (tickets.Event, bool, error) {
			if t.Status != tickets.StatusAssigned {
				return tickets.Event{}, false, nil
			}
			ev, err := t.Transition(tickets.StatusInProgress, by, s.now())
			ev.Note = "dispatched to " + strings.Join(names, "、")
			return ev, true, err
		})
		if err != nil {
			return made, err
		}
	}
	return made, nil
}

// MoveTask takes step m on task id and acts on its ticket:
//
//   - a return (退回) tells the ticket's handler, whose case it is again,
//     and the owner of the level above (the dispatcher's side, who may
//     dispatch it elsewhere);
//   - an extension request tells the owner of the level above, who
//     decides (the handler when that level has nobody);
//   - a resolution tells the handler, with the department's feedback;
//   - when the ticket's tasks are all done (dispatch.Done: none open or
//     returned, one resolved at least), the ticket is resolved with the
//     departments' feedback as its note and, where a resident raised it,
//     the resident is answered on the desk's reply path (Reply, then the
//     rating request of Resolve). 吹哨报到 closes after the last
//     department only.
//
// Refusals are the store's: fault.ErrConflict for a step the task's
// state does not allow, fault.NotFoundError for an unknown task.
func (s *Service) MoveTask(ctx context.Context, id int64, m dispatch.Move) (dispatch.Task, error) {
	task, err := s.st.MoveTask(ctx, id, m)
	if err != nil {
		return task, err
	}
	s.observe(task.Department, m.Action)
	s.log.InfoContext(ctx, "task_moved", "task_id", id, "ticket_id", task.TicketID, "action", m.Action, "state", task.State)
	t, err := s.st.Ticket(ctx, task.TicketID)
	if err != nil {
		return task, err
	}
	dept := s.DepartmentName(task.Department)
	switch m.Action {
	case dispatch.ActionReturn:
		err = errors.Join(
			s.notifyDetail(ctx, t, t.AssigneeWorkerID, eventDepartmentReturned, dept+"退回："+task.Reason),
			s.notifyAbove(ctx, t, eventDepartmentReturned, dept+"退回："+task.Reason))
	case dispatch.ActionRequestExtension:
		err = s.notifyAbove(ctx, t, eventDepartmentExtension,
			fmt.Sprintf("%s申请延期至%s：%s", dept, task.ExtendTo.In(shanghai).Format("1月2日 15:04"), task.Reason))
	case dispatch.ActionResolve:
		err = s.notifyDetail(ctx, t, t.AssigneeWorkerID, eventDepartmentResolved, dept+"："+task.Feedback)
	}
	if err != nil {
		return task, err
	}
	if m.Action == dispatch.ActionResolve || m.Action == dispatch.ActionCancel {
		return task, s.closeDispatched(ctx, t, m.By)
	}
	return task, nil
}

// closeDispatched resolves t when its tasks are all done: the
// departments' feedback answers the resident on the reply path and is the
// resolution's note.
func (s *Service) closeDispatched(ctx context.Context, t tickets.Ticket, by string) error {
	ts, err := s.st.TasksOfTicket(ctx, t.ID)
	if err != nil || !dispatch.Done(ts) || !t.Status.Open() {
		return err
	}
	var names, feedback []string
	for _, x := range ts {
		if x.State != dispatch.StateResolved {
			continue
		}
		name := s.DepartmentName(x.Department)
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		feedback = append(feedback, name+"："+x.Feedback)
	}
	note := strings.Join(feedback, "；")
	if len(feedback) == 1 {
		// One department: its name is already in the answer's text.
		note = strings.TrimPrefix(note, names[0]+"：")
	}
	if t.ResidentID != 0 {
		text := fill(s.cfg.Answers.DepartmentsDone, "{departments}", strings.Join(names, "、"), "{feedback}", note)
		if _, err := s.Reply(ctx, t.ID, by, text); err != nil {
			if !errors.Is(err, fault.ErrConflict) {
				return err
			}
			// Resolved all the same; the resident cannot be reached.
			s.log.WarnContext(ctx, "dispatch_outcome_unsent", "ticket_id", t.ID, "err", err)
		}
	}
	_, err = s.Resolve(ctx, t.ID, by, note)
	return err
}

// update applies change to ticket id as stored, reading it again when
// someone changed it meanwhile (three tries). change returns false to
// leave the ticket as it is.
func (s *Service) update(ctx context.Context, id int64, change func(*tickets.Ticket) (tickets.Event, bool, error)) error {
	var err error
	for range 3 {
		var t tickets.Ticket
		if t, err = s.st.Ticket(ctx, id); err != nil {
			return err
		}
		ev, ok, cerr := change(&t)
		if cerr != nil || !ok {
			return cerr
		}
		if err = s.st.ApplyTicketEvent(ctx, t, ev); !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return err
}

// notifyAbove tells the owner of the level above t's (their backup while
// on leave) about event with detail: the dispatcher's side of a
// department's task. With nobody there, or the handler being that owner,
// the handler is told instead.
func (s *Service) notifyAbove(ctx context.Context, t tickets.Ticket, event, detail string) error {
	if next, ok := t.Level.Next(); ok {
		w, _, err := s.owner(ctx, t.GridCode, next, s.now())
		if err != nil {
			return err
		}
		if w.ID != 0 && w.ID != t.AssigneeWorkerID {
			return s.notifyWorkerDetail(ctx, t, w, event, detail)
		}
	}
	return s.notifyDetail(ctx, t, t.AssigneeWorkerID, event, detail)
}

// notifyDetail tells worker workerID (none when 0) about event on t with
// detail — a department's feedback, a reason — in the notification's text
// and, as far as the channel shows it, in what they read: the WeChat
// template's content field, the SMS's event.
func (s *Service) notifyDetail(ctx context.Context, t tickets.Ticket, workerID int64, event, detail string) error {
	if workerID == 0 {
		return nil
	}
	w, err := s.st.WorkerByID(ctx, workerID)
	if err != nil {
		return err
	}
	return s.notifyWorkerDetail(ctx, t, w, event, detail)
}

func (s *Service) notifyWorkerDetail(ctx context.Context, t tickets.Ticket, w population.Worker, event, detail string) error {
	m, ok := s.notification(t, w, event)
	if !ok {
		s.log.WarnContext(ctx, "worker_unreachable", "ticket_id", t.ID, "worker", w.Code)
		return nil
	}
	detail = strings.TrimSpace(detail)
	if detail != "" {
		m.Text = fmt.Sprintf("%s #%d %s：%s", event, t.ID, t.Category.Label(), detail)
		switch m.Route {
		case outbound.RouteWeChatTemplate:
			m.Params[fieldSummary] = campaigns.WeChatField(detail)
		case outbound.RouteSMS:
			m.Params["event"] = cutRunes(event+"："+detail, maxParam)
		}
	}
	return s.queue(ctx, &m)
}

// cutRunes keeps at most n runes of s, the last one an ellipsis when cut.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
