package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// Escalate acts on ticket id past its deadline by the escalation policy
// (Config.Escalation). Under supervise (the default) the handler keeps it
// and the system flags it 督办, telling the owner of the level above and,
// at each further missed step, the next one up (superviseOverdue). Under
// reassign — and under either for a ticket nobody holds — it moves up the
// ladder for every step it has missed, each step to the owner of that
// level (their backup while on leave) with a notification, and schedules
// the check of the new deadline. A ticket not overdue, no longer open or
// at the street is left as it is, except that an open ticket past its
// warning time (SLA.Warning) gets the warning (预警) to its handler and
// their supervisor.
func (s *Service) Escalate(ctx context.Context, id int64) error {
	sla := s.cfg.Tickets.SLA
	for range 2 * len(tickets.Levels) {
		now := s.now()
		t, err := s.st.Ticket(ctx, id)
		if err != nil {
			return err
		}
		if s.cfg.Escalation == tickets.EscalateSupervise && t.AssigneeWorkerID != 0 && t.Status.Open() && !t.DueAt.IsZero() && !now.Before(t.DueAt) {
			return s.superviseOverdue(ctx, t, now)
		}
		level, due, ok := sla.NextEscalation(t, now)
		if !ok {
			if t.Status.Open() && !t.DueAt.IsZero() && now.Before(t.DueAt) {
				if err := s.warn(ctx, t, now); err != nil {
					return err
				}
				return s.schedule(ctx, t)
			}
			return nil
		}
		w, note, err := s.owner(ctx, t.GridCode, level, now)
		if err != nil {
			return err
		}
		ev, err := t.Escalate(level, w.ID, due, tickets.ActorSystem, now)
		if err != nil {
			return err
		}
		if note != "" {
			ev.Note += "; " + note
		}
		if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
			if errors.Is(err, fault.ErrConflict) {
				continue // moved meanwhile: read again
			}
			return err
		}
		s.log.InfoContext(ctx, "ticket_escalated", "ticket_id", t.ID, "level", level, "worker_id", w.ID)
		if w.ID != 0 {
			if err := s.notify(ctx, t, w, eventEscalated); err != nil {
				return err
			}
		}
	}
	return nil
}

// eventWarning is the notification of a deadline drawing near (预警).
const eventWarning = "即将超期"

// schedule sets the timers of t's deadline: the escalation check at
// t.DueAt and, when the SLA warns (SLA.Warning) and the warning time is
// still ahead, a check then, which warns. Scheduling twice is harmless:
// the Dispatcher runs one check per ticket, level and time.
func (s *Service) schedule(ctx context.Context, t tickets.Ticket) error {
	if err := s.disp.ScheduleEscalation(ctx, t.ID, t.Level, t.DueAt); err != nil {
		return err
	}
	if at := s.cfg.Tickets.SLA.WarnAt(t.DueAt); !at.IsZero() && at.After(s.now()) {
		return s.disp.ScheduleEscalation(ctx, t.ID, t.Level, at)
	}
	return nil
}

// warn tells the handler of t and the owner of the level above (their
// supervisor: the grid leader for a grid worker) that t's deadline draws
// near, when now is past the SLA's warning time and before the deadline.
// The check scheduled at the warning time calls it, once per deadline; a
// deadline closer than the warning when set gets none (the handler has
// just been told of the ticket).
func (s *Service) warn(ctx context.Context, t tickets.Ticket, now time.Time) error {
	at := s.cfg.Tickets.SLA.WarnAt(t.DueAt)
	if at.IsZero() || now.Before(at) || !now.Before(t.DueAt) {
		return nil
	}
	s.log.InfoContext(ctx, "ticket_deadline_warning", "ticket_id", t.ID, "level", t.Level, "due_at", t.DueAt)
	if err := s.notifyAssignee(ctx, t, eventWarning); err != nil {
		return err
	}
	next, ok := t.Level.Next()
	if !ok {
		return nil
	}
	w, _, err := s.owner(ctx, t.GridCode, next, now)
	if err != nil || w.ID == 0 || w.ID == t.AssigneeWorkerID {
		return err
	}
	return s.notify(ctx, t, w, eventWarning)
}

// Sweep escalates every overdue open ticket — the safety net under the
// scheduled checks (a Redis that lost its tasks) —, files (归档) the
// tickets closed longer than Config.ArchiveAfter ago and fetches again the
// residents' media still missing (RefetchMedia). It returns how many
// tickets it looked at.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	due, err := s.st.DueTickets(ctx, now, 200)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, t := range due {
		errs = append(errs, s.Escalate(ctx, t.ID))
	}
	n := len(due)
	if s.cfg.ArchiveAfter > 0 {
		closed, err := s.st.ClosedBefore(ctx, now.Add(-s.cfg.ArchiveAfter), 200)
		if err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		for _, t := range closed {
			ev, err := t.Transition(tickets.StatusArchived, tickets.ActorSystem, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ev.Note = fmt.Sprintf("closed more than %s ago", s.cfg.ArchiveAfter)
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil && !errors.Is(err, fault.ErrConflict) {
				errs = append(errs, err)
			}
		}
		n += len(closed)
	}
	// Residents' media the provider or the blob store failed to hand over
	// is tried again while WeChat keeps it.
	if _, err := s.RefetchMedia(ctx); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// Grouping of Stats.
const (
	ByGrid   = "grid"   // per grid
	ByWorker = "worker" // per assignee (their code)
)

// Stats evaluates the tickets created in [from, to) per grid or per
// assignee (by, ByGrid or ByWorker): opened, resolved, resolved within
// the deadline, open and overdue, escalated and the residents' ratings.
func (s *Service) Stats(ctx context.Context, from, to time.Time, by string) ([]tickets.Stats, error) {
	if by != ByGrid && by != ByWorker {
		return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("evaluate by %q: want grid or worker", by),
			fmt.Sprintf("统计维度 %q 无效，可选 grid（网格）或 worker（网格员）", by), nil)
	}
	if !to.After(from) {
		return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("the period ends (%s) before it starts (%s)", to.Format(time.DateTime), from.Format(time.DateTime)),
			"统计时段的结束时间须晚于开始时间", nil)
	}
	var all []tickets.Ticket
	var after int64
	for {
		page, err := s.st.TicketsCreatedBetween(ctx, from, to, after, 1000)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	codes := map[int64]string{}
	key := func(t tickets.Ticket) string { return t.GridCode }
	if by == ByWorker {
		for _, t := range all {
			if _, ok := codes[t.AssigneeWorkerID]; ok || t.AssigneeWorkerID == 0 {
				continue
			}
			w, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
			if err != nil {
				return nil, err
			}
			codes[w.ID] = w.Code
		}
		codes[0] = "(unassigned)"
		key = func(t tickets.Ticket) string { return codes[t.AssigneeWorkerID] }
	}
	return s.cfg.Tickets.SLA.Tally(all, s.now(), key), nil
}
