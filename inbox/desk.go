package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/segments"
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
)

// question opens, joins or reopens the resident's ticket for ic's message.
// cat is the category to use when the text decides none; slot is the visit
// time a reschedule is about.
func (s *Service) question(ctx context.Context, ic *inboundCtx, cat tickets.Category, slot time.Time) (int64, bool, error) {
	r, now, sla := ic.resident, ic.now, s.cfg.Tickets.SLA
	t, err := s.st.OpenTicketFor(ctx, r.ID)
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
				if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil && !s.conflict(err) {
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
				if !s.conflict(err) {
					return t.ID, false, err
				}
			} else {
				ic.ticket = t.ID
				if err := s.st.LinkInbound(ctx, ic.inbound, t.ID); err != nil {
					return t.ID, false, err
				}
				if err := s.disp.ScheduleEscalation(ctx, t.ID, t.Level, t.DueAt); err != nil {
					return t.ID, false, err
				}
				return t.ID, false, s.notifyAssignee(ctx, t, eventReopened)
			}
		} else if !errors.Is(rerr, tickets.ErrReopenWindow) && !errors.Is(rerr, tickets.ErrBadTransition) {
			return t.ID, false, rerr
		}
	}
	cls := s.cfg.Tickets.Classifier.Classify(ic.res.Text)
	if cls.Category == tickets.CategoryOther && cat != "" {
		cls.Category = cat
	}
	nt := tickets.Ticket{ResidentID: r.ID, GridCode: r.GridCode, Channel: ic.m.Channel, Text: ic.res.Text,
		Category: cls.Category, CampaignID: ic.campaign.ID, Slot: slot}
	nt, ev := sla.Open(nt, cls.Matched, now)
	if err := s.st.CreateTicket(ctx, &nt, ev); err != nil {
		return 0, false, err
	}
	ic.ticket = nt.ID
	if err := s.st.LinkInbound(ctx, ic.inbound, nt.ID); err != nil {
		return nt.ID, true, err
	}
	w, err := s.assign(ctx, &nt, tickets.LevelGridWorker, tickets.ActorSystem, "")
	if err != nil {
		return nt.ID, true, err
	}
	if err := s.disp.ScheduleEscalation(ctx, nt.ID, nt.Level, nt.DueAt); err != nil {
		return nt.ID, true, err
	}
	if w.ID != 0 {
		if err := s.notify(ctx, nt, w, eventNew); err != nil {
			return nt.ID, true, err
		}
	}
	if ic.res.Intent == tickets.IntentQuestion {
		// The canned acknowledgement names the worker who will answer.
		if w.ID == 0 {
			w, _ = s.st.WorkerForGrid(ctx, r.GridCode, segments.RoleGridWorker)
		}
		if err := s.answer(ctx, ic, tickets.OutAck, s.cfg.Tickets.Canned.Render(nt.Category, w)); err != nil {
			return nt.ID, true, err
		}
	}
	return nt.ID, true, nil
}

// owner is who handles tickets of grid at level at now: the level's
// worker, or, while they are on leave, their backup (followed up to three
// backups deep). note says who was skipped; a zero Worker means nobody.
func (s *Service) owner(ctx context.Context, grid string, level tickets.Level, now time.Time) (segments.Worker, string, error) {
	w, err := s.st.WorkerForGrid(ctx, grid, level.Role())
	if notFound(err) {
		return segments.Worker{}, fmt.Sprintf("no %s for grid %s", level, grid), nil
	}
	if err != nil {
		return segments.Worker{}, "", err
	}
	return s.covering(ctx, w, now)
}

// covering is who works for w at now: w, or while w is on leave their
// backup (followed up to three backups deep), with a note naming who was
// skipped ("" when nobody was).
func (s *Service) covering(ctx context.Context, w segments.Worker, now time.Time) (segments.Worker, string, error) {
	var notes []string
	for range 3 {
		l, err := s.st.LeaveAt(ctx, w.ID, now)
		if notFound(err) {
			break
		}
		if err != nil {
			return segments.Worker{}, "", err
		}
		b, err := s.st.WorkerByID(ctx, l.BackupID)
		if err != nil {
			return segments.Worker{}, "", fmt.Errorf("inbox: backup of worker %s: %w", w.Code, err)
		}
		notes = append(notes, fmt.Sprintf("%s on leave until %s; backup %s", w.Code, l.Until.In(shanghai).Format("2006-01-02 15:04"), b.Code))
		w = b
	}
	return w, strings.Join(notes, "; "), nil
}

// assign gives t to the owner of its grid at level and records it; it
// returns the owner (zero when the grid has none: the ticket stays new and
// escalation finds an owner above).
func (s *Service) assign(ctx context.Context, t *tickets.Ticket, level tickets.Level, actor, why string) (segments.Worker, error) {
	now := s.now()
	w, note, err := s.owner(ctx, t.GridCode, level, now)
	if err != nil || w.ID == 0 {
		if w.ID == 0 && err == nil {
			s.log.WarnContext(ctx, "ticket_unowned", "ticket_id", t.ID, "grid", t.GridCode, "why", note)
		}
		return w, err
	}
	ev, err := t.Assign(w.ID, level, actor, now)
	if err != nil {
		return segments.Worker{}, err
	}
	ev.Note = strings.TrimPrefix(strings.Join([]string{ev.Note, why, note}, "; "), "; ")
	ev.Note = strings.Trim(ev.Note, "; ")
	if err := s.st.ApplyTicketEvent(ctx, *t, ev); err != nil {
		return segments.Worker{}, err
	}
	return w, nil
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

// Escalate moves ticket id up the ladder for every step it has missed,
// each step to the owner of that level (their backup while on leave) with
// a notification, and schedules the check of the new deadline. A ticket
// not overdue, no longer open or at the street is left as it is.
func (s *Service) Escalate(ctx context.Context, id int64) error {
	sla := s.cfg.Tickets.SLA
	for range 2 * len(tickets.Levels) {
		now := s.now()
		t, err := s.st.Ticket(ctx, id)
		if err != nil {
			return err
		}
		level, due, ok := sla.NextEscalation(t, now)
		if !ok {
			if t.Status.Open() && !t.DueAt.IsZero() && now.Before(t.DueAt) {
				return s.disp.ScheduleEscalation(ctx, t.ID, t.Level, t.DueAt)
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
			if s.conflict(err) {
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

// Sweep escalates every overdue open ticket — the safety net under the
// scheduled checks (a Redis that lost its tasks) — and files (归档) the
// tickets closed longer than Config.ArchiveAfter ago. It returns how many
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
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil && !s.conflict(err) {
				errs = append(errs, err)
			}
		}
		n += len(closed)
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
		return nil, fmt.Errorf("inbox: stats by %q: want grid or worker: %w", by, segments.ErrInvalid)
	}
	if !to.After(from) {
		return nil, fmt.Errorf("inbox: stats: %s is not after %s: %w", to.Format(time.DateTime), from.Format(time.DateTime), segments.ErrInvalid)
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

// Start marks ticket id in progress on behalf of actor.
func (s *Service) Start(ctx context.Context, id int64, actor string) (tickets.Ticket, error) {
	return s.move(ctx, id, tickets.StatusInProgress, actor, "")
}

// Close closes ticket id on behalf of actor (a withdrawn request, or
// closing a resolved ticket that will not be rated).
func (s *Service) Close(ctx context.Context, id int64, actor, note string) (tickets.Ticket, error) {
	return s.move(ctx, id, tickets.StatusClosed, actor, note)
}

// Archive files a closed ticket.
func (s *Service) Archive(ctx context.Context, id int64, actor string) (tickets.Ticket, error) {
	return s.move(ctx, id, tickets.StatusArchived, actor, "")
}

func (s *Service) move(ctx context.Context, id int64, to tickets.Status, actor, note string) (tickets.Ticket, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	ev, err := t.Transition(to, actor, s.now())
	if err != nil {
		return t, err
	}
	ev.Note = note
	return t, s.st.ApplyTicketEvent(ctx, t, ev)
}

// Reply sends a worker's answer to the resident of ticket id: a
// customer-service message inside WeChat's window, else a template
// message, else an SMS (tickets.ChooseReply). The ticket moves to replied.
// It returns the outbound messages queued (an SMS may take several).
func (s *Service) Reply(ctx context.Context, id int64, actor, text string) ([]tickets.Outbound, error) {
	text, actor = strings.TrimSpace(text), strings.TrimSpace(actor)
	if text == "" {
		return nil, fmt.Errorf("inbox: reply to ticket %d: empty text: %w", id, segments.ErrInvalid)
	}
	if actor == "" {
		return nil, tickets.ErrNoActor
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.Status.Open() {
		return nil, fmt.Errorf("inbox: reply to ticket %d: it is %s; reopen it first: %w", id, t.Status, tickets.ErrBadTransition)
	}
	if t.ResidentID == 0 {
		return nil, fmt.Errorf("inbox: reply to ticket %d: no resident to answer: %w", id, segments.ErrInvalid)
	}
	r, rr, err := s.route(ctx, t)
	if err != nil {
		return nil, err
	}
	if rr.Route == tickets.RouteNone {
		return nil, fmt.Errorf("inbox: reply to ticket %d: the resident cannot be reached: %s: %w", id, rr.Reason, segments.ErrInvalid)
	}
	if t.Status == tickets.StatusNew {
		if _, err := s.assign(ctx, &t, t.Level, actor, ""); err != nil {
			return nil, err
		}
	}
	if t.Status != tickets.StatusReplied {
		ev, err := t.Transition(tickets.StatusReplied, actor, s.now())
		if err != nil {
			return nil, err
		}
		if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
			return nil, err
		}
	}
	return s.onRoute(ctx, t, r, tickets.OutReply, actor, text, rr)
}

// Resolve resolves ticket id on behalf of actor and asks the resident for
// a 1–5 rating on a route that can still reach them.
func (s *Service) Resolve(ctx context.Context, id int64, actor, note string) (tickets.Ticket, error) {
	t, err := s.move(ctx, id, tickets.StatusResolved, actor, note)
	if err != nil || t.ResidentID == 0 {
		return t, err
	}
	r, rr, err := s.route(ctx, t)
	if err != nil {
		return t, err
	}
	if rr.Route == tickets.RouteNone {
		// Resolved all the same; nobody to ask for a rating.
		s.log.WarnContext(ctx, "rating_request_unsent", "ticket_id", t.ID, "why", rr.Reason)
		return t, nil
	}
	_, err = s.onRoute(ctx, t, r, tickets.OutRatingRequest, tickets.ActorSystem, s.cfg.Answers.RatingRequest, rr)
	return t, err
}

// Reassign gives ticket id to the worker with code, at the ticket's level,
// on behalf of actor, and notifies them.
func (s *Service) Reassign(ctx context.Context, id int64, workerCode, actor string) (tickets.Ticket, error) {
	w, err := s.st.WorkerByCode(ctx, workerCode)
	if err != nil {
		return tickets.Ticket{}, err
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	ev, err := t.Assign(w.ID, t.Level, actor, s.now())
	if err != nil {
		return t, err
	}
	if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
		return t, err
	}
	return t, s.notify(ctx, t, w, eventAssigned)
}

// Merge folds ticket dupID into keepID (the same resident's duplicate):
// dup closes, keep takes the earlier deadline; both timelines say so.
func (s *Service) Merge(ctx context.Context, dupID, keepID int64, actor string) (tickets.Ticket, error) {
	keep, err := s.st.Ticket(ctx, keepID)
	if err != nil {
		return keep, err
	}
	dup, err := s.st.Ticket(ctx, dupID)
	if err != nil {
		return keep, err
	}
	kev, dev, err := keep.Merge(&dup, actor, s.now())
	if err != nil {
		return keep, err
	}
	if err := s.st.ApplyTicketEvent(ctx, dup, dev); err != nil {
		return keep, err
	}
	if err := s.st.ApplyTicketEvent(ctx, keep, kev); err != nil {
		return keep, err
	}
	return keep, s.disp.ScheduleEscalation(ctx, keep.ID, keep.Level, keep.DueAt)
}

// Handover moves the open grid-level tickets of grid to its current grid
// worker (their backup while on leave) after the grid changed hands, each
// on its timeline, and notifies the new owner. Tickets a person
// reassigned to a leader or to staff stay with them. It returns how many
// moved.
func (s *Service) Handover(ctx context.Context, grid, actor string) (int, error) {
	w, note, err := s.owner(ctx, grid, tickets.LevelGridWorker, s.now())
	if err != nil {
		return 0, err
	}
	if w.ID == 0 {
		return 0, fmt.Errorf("inbox: hand over grid %s: %s: %w", grid, note, segments.ErrNotFound)
	}
	moved := 0
	var after int64
	roles := map[int64]segments.Role{}
	for {
		page, err := s.st.OpenTicketsByGrid(ctx, grid, after, 100)
		if err != nil {
			return moved, err
		}
		for _, t := range page {
			after = t.ID
			if t.AssigneeWorkerID == w.ID || t.Level.Rank() > 0 {
				continue
			}
			if t.AssigneeWorkerID != 0 {
				stay, err := s.deliberate(ctx, t, roles)
				if err != nil {
					return moved, err
				}
				if stay {
					continue
				}
			}
			ev, err := t.Assign(w.ID, t.Level, actor, s.now())
			if err != nil {
				return moved, err
			}
			ev.Note = "grid " + grid + " handed over"
			if note != "" {
				ev.Note += "; " + note
			}
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
				if s.conflict(err) {
					continue
				}
				return moved, err
			}
			moved++
			if err := s.notify(ctx, t, w, eventHandover); err != nil {
				return moved, err
			}
		}
		if len(page) < 100 {
			return moved, nil
		}
	}
}

// CoverLeave moves the open tickets of a worker who is on leave now to
// their backup (the backup's own backup while that one is away too), each
// on its timeline, and notifies the backup. New tickets go to the backup
// anyway while the leave lasts; this hands over what was already open. It
// returns how many moved; none when the worker is not on leave.
func (s *Service) CoverLeave(ctx context.Context, workerID int64, actor string) (int, error) {
	now := s.now()
	w, err := s.st.WorkerByID(ctx, workerID)
	if err != nil {
		return 0, err
	}
	backup, note, err := s.covering(ctx, w, now)
	if err != nil {
		return 0, err
	}
	if backup.ID == w.ID {
		return 0, nil
	}
	moved := 0
	var after int64
	for {
		page, err := s.st.OpenTicketsByAssignee(ctx, w.ID, after, 100)
		if err != nil {
			return moved, err
		}
		for _, t := range page {
			after = t.ID
			ev, err := t.Assign(backup.ID, t.Level, actor, now)
			if err != nil {
				return moved, err
			}
			ev.Note = note
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
				if s.conflict(err) {
					continue
				}
				return moved, err
			}
			moved++
			if err := s.notify(ctx, t, backup, eventAssigned); err != nil {
				return moved, err
			}
		}
		if len(page) < 100 {
			return moved, nil
		}
	}
}

// deliberate reports whether a person gave t to a leader or to staff on
// purpose: such a ticket stays with them when the grid changes hands. A
// grid worker's ticket (the previous holder's) and one the desk gave to a
// backup move.
func (s *Service) deliberate(ctx context.Context, t tickets.Ticket, roles map[int64]segments.Role) (bool, error) {
	role, ok := roles[t.AssigneeWorkerID]
	if !ok {
		a, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		if err != nil {
			return false, err
		}
		role, roles[a.ID] = a.Role, a.Role
	}
	if role == segments.RoleGridWorker {
		return false, nil
	}
	evs, err := s.st.TicketEvents(ctx, t.ID)
	if err != nil {
		return false, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == tickets.EventAssigned || evs[i].Kind == tickets.EventEscalated {
			return evs[i].Actor != tickets.ActorSystem, nil
		}
	}
	return false, nil
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
	return s.answer(ctx, ic, tickets.OutConfirm, s.cfg.Answers.Received)
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

// QuickReplies are the ready answers for ticket id, numbered from 1 in
// order, with its assignee's (else its grid worker's) name and phone
// filled in.
func (s *Service) QuickReplies(ctx context.Context, id int64) ([]string, error) {
	t, w, err := s.ticketAndWorker(ctx, id)
	if err != nil {
		return nil, err
	}
	list := s.cfg.Tickets.Quick.For(t.Category)
	out := make([]string, len(list))
	for i := range list {
		if out[i], err = s.cfg.Tickets.Quick.Render(t.Category, i+1, w); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReplyQuick is Reply with ready answer n (1-based) of QuickReplies.
func (s *Service) ReplyQuick(ctx context.Context, id int64, actor string, n int) ([]tickets.Outbound, error) {
	t, w, err := s.ticketAndWorker(ctx, id)
	if err != nil {
		return nil, err
	}
	text, err := s.cfg.Tickets.Quick.Render(t.Category, n, w)
	if err != nil {
		return nil, fmt.Errorf("inbox: ticket %d: %w: %w", id, err, segments.ErrInvalid)
	}
	return s.Reply(ctx, id, actor, text)
}

func (s *Service) ticketAndWorker(ctx context.Context, id int64) (tickets.Ticket, segments.Worker, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, segments.Worker{}, err
	}
	if t.AssigneeWorkerID != 0 {
		w, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		return t, w, err
	}
	w, err := s.st.WorkerForGrid(ctx, t.GridCode, segments.RoleGridWorker)
	if notFound(err) {
		err = nil
	}
	return t, w, err
}
