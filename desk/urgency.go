package desk

import (
	"context"
	"fmt"
	"strings"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// SetUrgency changes the urgency of open ticket id on behalf of actor, with
// a timeline event (tickets.EventUrgency). urgency is emergency, normal or
// complex (紧急, 一般, 复杂). The deadline follows, counted from now for an
// emergency and from creation otherwise:
//
//   - emergency: Triage's deadline from now (if sooner), and the ticket
//     moves up to Triage's level (the grid leader) if it is below, whose
//     owner is notified;
//   - complex: Triage's complex deadline from creation (if later);
//   - normal: the category's deadline from creation, while the ticket is
//     still at the level it started at (an escalated ticket keeps the
//     deadline of its level).
func (s *Service) SetUrgency(ctx context.Context, id int64, urgency, actor, note string) (tickets.Ticket, error) {
	u, err := tickets.ParseUrgency(urgency)
	if err != nil {
		return tickets.Ticket{}, err
	}
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return tickets.Ticket{}, tickets.ErrNoActor
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	if !t.Status.Open() {
		return t, fault.Refuse(fault.ErrConflict, fmt.Sprintf("ticket %d is %s: reopen it first", id, strings.ReplaceAll(string(t.Status), "_", " ")),
			fmt.Sprintf("工单 #%d %s，请先重新打开", id, t.Status.Label()), tickets.ErrBadTransition)
	}
	evs, err := s.st.TicketEvents(ctx, id)
	if err != nil {
		return t, err
	}
	from := tickets.UrgencyOf(evs)
	if from == u {
		return t, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("ticket %d is %s already", id, u), fmt.Sprintf("工单 #%d 已是%s", id, u.Label()), nil)
	}
	now, tr := s.now(), s.cfg.Tickets.Triage
	switch u {
	case tickets.UrgencyEmergency:
		if due := now.Add(tr.EmergencyDeadline()); due.Before(t.DueAt) {
			t.DueAt = due
		}
	case tickets.UrgencyComplex:
		if due := t.CreatedAt.Add(tr.Complex()); due.After(t.DueAt) {
			t.DueAt = due
		}
	case tickets.UrgencyNormal:
		if t.Level == s.cfg.Tickets.Levels.For(t.Category) {
			t.DueAt = s.cfg.Tickets.SLA.DueAt(t.Category, t.CreatedAt)
		}
	}
	t.UpdatedAt = now
	ev := tickets.Event{TicketID: t.ID, At: now, Actor: actor, Kind: tickets.EventUrgency, From: string(from), To: string(u), Note: strings.TrimSpace(note)}
	if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
		return t, err
	}
	if el := tr.EmergencyLevel(); u == tickets.UrgencyEmergency && el.Rank() > t.Level.Rank() {
		w, err := s.assign(ctx, &t, el, actor, "emergency")
		if err != nil {
			return t, err
		}
		if w.ID != 0 {
			if err := s.notify(ctx, t, w, eventUrgent); err != nil {
				return t, err
			}
		}
	}
	return t, s.disp.ScheduleEscalation(ctx, t.ID, t.Level, t.DueAt)
}
