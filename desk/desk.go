package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Notification events, as the worker reads them.
const (
	eventNew       = "新工单"
	eventFollowUp  = "居民追问"
	eventReopened  = "工单重开"
	eventEscalated = "超期升级"
	eventHandover  = "工单移交"
	eventAssigned  = "工单转派"
	eventUrgent    = "紧急工单"
)

// question opens, joins or reopens the resident's ticket for ic's message.
// cat is the category to use when the text decides none; slot is the visit
// time a reschedule is about.
func (s *Service) question(ctx context.Context, ic *inboundCtx, cat tickets.Category, slot time.Time) (int64, bool, error) {
	r, now, sla := ic.resident, ic.now, s.cfg.Tickets.SLA
	// An emergency opens a ticket of its own even when the resident has
	// one open: it must not wait as a follow-up in the grid worker's
	// queue.
	em, urgent := s.cfg.Tickets.Triage.Emergency(ic.res.Text)
	t, err := tickets.Ticket{}, error(fault.ErrNotFound)
	if !urgent {
		t, err = s.st.OpenTicketFor(ctx, r.ID)
	}
	switch {
	case err != nil && !notFound(err):
		return 0, false, err
	case err == nil && t.Status.Open():
		ic.ticket = t.ID
		if err := s.st.LinkInbound(ctx, ic.inbound, t.ID); err != nil {
			return t.ID, false, err
		}
		conv, err := s.st.Conversation(ctx, t.ID)
		if err != nil {
			return t.ID, false, err
		}
		// The worker hears of a follow-up once per burst, and always when
		// it answers their reply.
		notify := t.Status == tickets.StatusReplied || !wroteWithin(conv, ic.inbound, now, followUpQuiet)
		if t.Status == tickets.StatusReplied {
			if ev, err := t.Transition(tickets.StatusInProgress, tickets.ActorResident, now); err == nil {
				ev.Note = "the resident wrote again"
				if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil && !errors.Is(err, fault.ErrConflict) {
					return t.ID, false, err
				}
			}
		}
		if notify {
			if err := s.notifyAssignee(ctx, t, eventFollowUp); err != nil {
				return t.ID, false, err
			}
		}
		return t.ID, false, s.acknowledgeFollowUp(ctx, ic, conv)
	case err == nil:
		ev, rerr := t.Reopen(sla.Window(), now)
		if rerr == nil {
			t.DueAt = sla.DueAt(t.Category, now)
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
				if !errors.Is(err, fault.ErrConflict) {
					return t.ID, false, err
				}
			} else {
				ic.ticket = t.ID
				if err := s.st.LinkInbound(ctx, ic.inbound, t.ID); err != nil {
					return t.ID, false, err
				}
				if err := s.schedule(ctx, t); err != nil {
					return t.ID, false, err
				}
				return t.ID, false, s.notifyAssignee(ctx, t, eventReopened)
			}
		} else if !errors.Is(rerr, tickets.ErrReopenWindow) && !errors.Is(rerr, tickets.ErrBadTransition) {
			return t.ID, false, rerr
		}
	}
	// The campaign the message answers leans the classification its way
	// and decides when the words decide nothing.
	if urgent && em.Category != "" && cat == "" {
		cat = em.Category
	}
	cls := s.cfg.Tickets.Classifier.ClassifyHint(ic.res.Text, cat)
	if cls.Category == tickets.CategoryOther && cat != "" {
		cls.Category = cat
	}
	nt := tickets.Ticket{ResidentID: r.ID, GridCode: r.GridCode, Channel: ic.m.Channel, Text: ic.res.Text,
		Category: cls.Category, CampaignID: ic.campaign.ID, Slot: slot}
	nt, ev := sla.Open(nt, cls.Matched, now)
	// The category decides the level that starts (a complaint about staff
	// goes to the community). The owner is found first, so that the ticket,
	// its assignment and the message's link to it are stored in one
	// transaction.
	level := s.cfg.Tickets.Levels.For(nt.Category)
	if urgent {
		// Straight to the grid leader (or the level configured), with the
		// emergency deadline in plain hours.
		if el := s.cfg.Tickets.Triage.EmergencyLevel(); el.Rank() > level.Rank() {
			level = el
		}
		nt.DueAt = now.Add(s.cfg.Tickets.Triage.EmergencyDeadline())
		ev.Note = strings.TrimPrefix(ev.Note+"; urgency: emergency ("+em.Name+", call "+em.Call+")", "; ")
	}
	nt.Level = level
	w, aev, note, err := s.assignment(ctx, &nt, level, tickets.ActorSystem, "")
	if err != nil {
		return 0, false, err
	}
	var then []tickets.Event
	if w.ID != 0 {
		then = append(then, aev)
	}
	if err := s.st.OpenTicket(ctx, &nt, ev, then, ic.inbound); err != nil {
		return 0, false, err
	}
	ic.ticket = nt.ID
	if w.ID == 0 {
		s.log.WarnContext(ctx, "ticket_unowned", "ticket_id", nt.ID, "grid", nt.GridCode, "why", note)
	}
	if err := s.schedule(ctx, nt); err != nil {
		return nt.ID, true, err
	}
	if w.ID != 0 {
		event := eventNew
		if urgent {
			event = eventUrgent
		}
		if err := s.notify(ctx, nt, w, event); err != nil {
			return nt.ID, true, err
		}
	}
	if urgent {
		// The community's duty officer hears of it at once too, not only
		// when it escalates.
		if err := s.alertDuty(ctx, nt, w, now); err != nil {
			return nt.ID, true, err
		}
	}
	if urgent {
		// The number to call comes first, whatever the resident answered.
		return nt.ID, true, s.answer(ctx, ic, outbound.PurposeAck, em.Acknowledge(nt.Level, string(w.Name), string(w.Phone)))
	}
	if ic.res.Intent == tickets.IntentQuestion {
		// The canned acknowledgement names the worker who will answer.
		if w.ID == 0 {
			w, _ = s.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
		}
		if err := s.answer(ctx, ic, outbound.PurposeAck, s.cfg.Tickets.Canned.Render(nt.Category, w, sla.DueText(nt.Category, nt.DueAt))); err != nil {
			return nt.ID, true, err
		}
	}
	return nt.ID, true, nil
}

// alertDuty tells the community's duty officer (the owner of the
// community level, their backup while on leave) of emergency t, unless
// they are handling it already (handler).
func (s *Service) alertDuty(ctx context.Context, t tickets.Ticket, handler population.Worker, now time.Time) error {
	if t.Level.Rank() >= tickets.LevelCommunity.Rank() {
		return nil
	}
	duty, _, err := s.owner(ctx, t.GridCode, tickets.LevelCommunity, now)
	if err != nil || duty.ID == 0 || duty.ID == handler.ID {
		return err
	}
	return s.notify(ctx, t, duty, eventUrgent)
}

// owner is who handles tickets of grid at level at now: the level's
// worker, or, while they are on leave, their backup (followed up to three
// backups deep). note says who was skipped; a zero Worker means nobody.
func (s *Service) owner(ctx context.Context, grid string, level tickets.Level, now time.Time) (population.Worker, string, error) {
	w, err := s.st.WorkerForGrid(ctx, grid, level.Role())
	if notFound(err) {
		return population.Worker{}, fmt.Sprintf("no %s for grid %s", level, grid), nil
	}
	if err != nil {
		return population.Worker{}, "", err
	}
	return s.covering(ctx, w, now)
}

// covering is who works for w at now: w, or while w is on leave their
// backup (followed up to three backups deep), with a note naming who was
// skipped ("" when nobody was).
func (s *Service) covering(ctx context.Context, w population.Worker, now time.Time) (population.Worker, string, error) {
	var notes []string
	for range 3 {
		l, err := s.st.LeaveAt(ctx, w.ID, now)
		if notFound(err) {
			break
		}
		if err != nil {
			return population.Worker{}, "", err
		}
		b, err := s.st.WorkerByID(ctx, l.BackupID)
		if err != nil {
			return population.Worker{}, "", fmt.Errorf("desk: backup of worker %s: %w", w.Code, err)
		}
		notes = append(notes, fmt.Sprintf("%s on leave until %s; backup %s", w.Code, l.Until.In(shanghai).Format("2006-01-02 15:04"), b.Code))
		w = b
	}
	return w, strings.Join(notes, "; "), nil
}

// assign gives t to the owner of its grid at level and records it; it
// returns the owner (zero when the grid has none: the ticket stays new and
// escalation finds an owner above).
func (s *Service) assign(ctx context.Context, t *tickets.Ticket, level tickets.Level, actor, why string) (population.Worker, error) {
	w, ev, note, err := s.assignment(ctx, t, level, actor, why)
	if err != nil || w.ID == 0 {
		if w.ID == 0 && err == nil {
			s.log.WarnContext(ctx, "ticket_unowned", "ticket_id", t.ID, "grid", t.GridCode, "why", note)
		}
		return w, err
	}
	if err := s.st.ApplyTicketEvent(ctx, *t, ev); err != nil {
		return population.Worker{}, err
	}
	return w, nil
}

// assignment gives t to the owner of its grid at level without storing
// it: it returns the owner and the event to store (a zero Worker and a
// note saying why when the grid has none; t is then unchanged).
func (s *Service) assignment(ctx context.Context, t *tickets.Ticket, level tickets.Level, actor, why string) (population.Worker, tickets.Event, string, error) {
	now := s.now()
	w, note, err := s.owner(ctx, t.GridCode, level, now)
	if err != nil || w.ID == 0 {
		return w, tickets.Event{}, note, err
	}
	ev, err := t.Assign(w.ID, level, actor, now)
	if err != nil {
		return population.Worker{}, tickets.Event{}, "", err
	}
	ev.Note = strings.TrimPrefix(strings.Join([]string{ev.Note, why, note}, "; "), "; ")
	ev.Note = strings.Trim(ev.Note, "; ")
	return w, ev, note, nil
}

// notifyAssignee tells t's assignee about event.
func (s *Service) notifyAssignee(ctx context.Context, t tickets.Ticket, event string) error {
	if t.AssigneeWorkerID == 0 {
		return nil
	}
	w, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
	if err != nil {
		return err
	}
	return s.notify(ctx, t, w, event)
}

// followUpQuiet is how long the desk must have said nothing to the
// resident on a ticket before it acknowledges a follow-up message: a
// resident writing three lines in a row gets one answer, not three.
const followUpQuiet = time.Hour

// acknowledgeFollowUp tells the resident their follow-up reached the
// worker, unless the desk wrote to them on the ticket (conv) within
// followUpQuiet.
func (s *Service) acknowledgeFollowUp(ctx context.Context, ic *inboundCtx, conv []tickets.Entry) error {
	for _, e := range conv {
		if !e.Inbound && ic.now.Sub(e.At) < followUpQuiet {
			return nil
		}
	}
	return s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.Received)
}

// wroteWithin reports whether the resident wrote on the conversation,
// other than message self, within d before now.
func wroteWithin(conv []tickets.Entry, self int64, now time.Time, d time.Duration) bool {
	for _, e := range conv {
		if e.Inbound && e.ID != self && now.Sub(e.At) < d {
			return true
		}
	}
	return false
}
