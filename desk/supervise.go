package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// Supervisions keeps the 督办 flags of tickets (tickets.Supervision), in
// their own table.
type Supervisions interface {
	// Supervise stores a flag; the system's raises its own standing one.
	Supervise(ctx context.Context, sv tickets.Supervision) (tickets.Supervision, error)
	// Unsupervise lifts every flag standing on ticket id.
	Unsupervise(ctx context.Context, id int64, by, note string) (int, error)
	// Supervisions is ticket id's every flag, oldest first.
	Supervisions(ctx context.Context, id int64) ([]tickets.Supervision, error)
}

// Notification events of 督办, as the worker reads them.
const (
	eventSupervised = "督办"   // to the handler
	eventOverdueUp  = "超期督办" // to the owner of a level above
)

// Supervise flags ticket id 督办 on behalf of by (a supervisor above the
// ticket's grid; the API checks the scope) with note, and tells its
// handler. The flag shows with the ticket and on its timeline until
// lifted (Unsupervise). A ticket already flagged by a person is refused
// with fault.ErrConflict, a closed one too (a flag asks for handling).
func (s *Service) Supervise(ctx context.Context, id int64, by, note string) (tickets.Supervision, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return tickets.Supervision{}, err
	}
	if !t.Status.Open() {
		return tickets.Supervision{}, fault.Refuse(fault.ErrConflict,
			fmt.Sprintf("ticket %d is %s: only an open ticket is supervised", id, t.Status),
			fmt.Sprintf("工单 #%d %s，无需督办", id, t.Status.Label()), tickets.ErrBadTransition)
	}
	sv, err := s.st.Supervise(ctx, tickets.Supervision{TicketID: id, By: by, Note: note})
	if err != nil {
		return sv, err
	}
	s.log.InfoContext(ctx, "ticket_supervised", "ticket_id", id)
	return sv, s.notifyDetail(ctx, t, t.AssigneeWorkerID, eventSupervised, note)
}

// Unsupervise lifts every 督办 flag of ticket id, the system's too, on
// behalf of by with note, and returns how many it lifted. A ticket with
// none is refused with fault.ErrConflict. A ticket still overdue under the
// supervise policy is flagged again at its next missed step.
func (s *Service) Unsupervise(ctx context.Context, id int64, by, note string) (int, error) {
	n, err := s.st.Unsupervise(ctx, id, by, note)
	if err == nil {
		s.log.InfoContext(ctx, "ticket_unsupervised", "ticket_id", id, "flags", n)
	}
	return n, err
}

// superviseOverdue is Escalate under the supervise policy for overdue
// ticket t: the handler keeps it; the system flags it 督办 at the level
// above and tells that level's owner, and at each step missed since
// (tickets.SLA.SupervisionSteps) raises the flag a level and tells the
// next owner up, to the street. A check that finds its step taken does
// nothing, so checks and the sweep may run it as often as they like. It
// schedules the check of the next step.
func (s *Service) superviseOverdue(ctx context.Context, t tickets.Ticket, now time.Time) error {
	level, next, ok := s.cfg.Tickets.SLA.SupervisionSteps(t, now)
	if !ok {
		return nil
	}
	flags, err := s.st.Supervisions(ctx, t.ID)
	if err != nil {
		return err
	}
	// The steps the system took since this deadline was missed.
	done := t.Level
	for _, f := range flags {
		if f.By == tickets.ActorSystem && !f.At.Before(t.DueAt) && f.Level.Rank() > done.Rank() {
			done = f.Level
		}
	}
	if done.Rank() < level.Rank() {
		var told []string
		for l, more := done.Next(); more; l, more = l.Next() {
			w, note, err := s.owner(ctx, t.GridCode, l, now)
			if err != nil {
				return err
			}
			if w.ID != 0 && w.ID != t.AssigneeWorkerID {
				if err := s.notify(ctx, t, w, eventOverdueUp); err != nil {
					return err
				}
				told = append(told, fmt.Sprintf("%s %s", l, w.Code))
			} else if note != "" {
				told = append(told, note)
			}
			if l == level {
				break
			}
		}
		who := "nobody"
		if len(told) > 0 {
			who = strings.Join(told, ", ")
		}
		note := fmt.Sprintf("overdue since %s; %s told", t.DueAt.In(shanghai).Format("2006-01-02 15:04"), who)
		if _, err := s.st.Supervise(ctx, tickets.Supervision{TicketID: t.ID, Level: level, By: tickets.ActorSystem, Note: note}); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "ticket_supervised_overdue", "ticket_id", t.ID, "level", level)
		if err := s.notifyAssignee(ctx, t, eventSupervised); err != nil {
			return err
		}
	}
	if next.IsZero() {
		return nil
	}
	return s.disp.ScheduleEscalation(ctx, t.ID, level, next)
}

// DispatchStats is the dispatch and 督办 part of the evaluation over
// [from, to): tickets dispatched, tasks per department by where they
// stand now (open, overdue, returned, resolved), tickets flagged.
func (s *Service) DispatchStats(ctx context.Context, from, to time.Time) (dispatch.Summary, error) {
	if !to.After(from) {
		return dispatch.Summary{}, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("the period ends (%s) before it starts (%s)", to.Format(time.DateTime), from.Format(time.DateTime)),
			"统计时段的结束时间须晚于开始时间", nil)
	}
	return s.st.DispatchSummary(ctx, from, to, s.now())
}
