package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Start marks ticket id in progress on behalf of actor.
func (s *Service) Start(ctx context.Context, id int64, actor string) (tickets.Ticket, error) {
	return s.move(ctx, id, tickets.StatusInProgress, actor, "")
}

// Close closes ticket id on behalf of actor (a withdrawn request, or
// closing a resolved ticket that will not be rated).
func (s *Service) Close(ctx context.Context, id int64, actor, note string) (tickets.Ticket, error) {
	return s.move(ctx, id, tickets.StatusClosed, actor, note)
}

// Reopen reopens a resolved or closed ticket on behalf of actor (the
// resident was not helped after all, or it was closed by mistake): it goes
// back to its worker — the grid's owner, on leave their backup, when it
// never had one — at its level, with a new deadline from now by its
// category, the rating cleared, and the owner notified. Staff may reopen
// at any time; a merged duplicate or an archived ticket is refused
// (tickets.ErrBadTransition).
func (s *Service) Reopen(ctx context.Context, id int64, actor, note string) (tickets.Ticket, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	now := s.now()
	if t.AssigneeWorkerID == 0 && (t.Status == tickets.StatusResolved || t.Status == tickets.StatusClosed) {
		w, _, err := s.owner(ctx, t.GridCode, t.Level, now)
		if err != nil {
			return t, err
		}
		if w.ID == 0 {
			return t, fmt.Errorf("desk: reopen ticket %d: %w", id, fault.Refuse(fault.ErrConflict,
				fmt.Sprintf("grid %s has no %s to give ticket %d to: reassign it", t.GridCode, strings.ReplaceAll(string(t.Level), "_", " "), id),
				fmt.Sprintf("网格 %s 没有%s可接手工单 #%d，请转派", t.GridCode, t.Level.Label(), id), tickets.ErrBadAssignment))
		}
		t.AssigneeWorkerID = w.ID
	}
	ev, err := t.Transition(tickets.StatusAssigned, actor, now)
	if err != nil {
		return t, err
	}
	ev.Note = note
	t.DueAt = s.cfg.Tickets.SLA.DueAt(t.Category, now)
	if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
		return t, err
	}
	if err := s.schedule(ctx, t); err != nil {
		return t, err
	}
	return t, s.notifyAssignee(ctx, t, eventReopened)
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
func (s *Service) Reply(ctx context.Context, id int64, actor, text string) ([]outbound.Message, error) {
	text, actor = strings.TrimSpace(text), strings.TrimSpace(actor)
	if text == "" {
		return nil, fault.Refuse(fault.ErrInvalid, "the reply is empty", "回复内容不能为空", nil)
	}
	if actor == "" {
		return nil, tickets.ErrNoActor
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.Status.Open() {
		return nil, fault.Refuse(fault.ErrConflict,
			fmt.Sprintf("ticket %d is %s: reopen it before replying", id, strings.ReplaceAll(string(t.Status), "_", " ")),
			fmt.Sprintf("工单 #%d %s，请先重新打开再回复", id, t.Status.Label()), tickets.ErrBadTransition)
	}
	if t.ResidentID == 0 {
		return nil, fault.Refuse(fault.ErrConflict, fmt.Sprintf("ticket %d has no resident to answer", id),
			fmt.Sprintf("工单 #%d 没有可回复的居民", id), nil)
	}
	r, rr, err := s.route(ctx, t)
	if err != nil {
		return nil, err
	}
	if rr.Route == outbound.RouteNone {
		return nil, fault.Refuse(fault.ErrConflict, fmt.Sprintf("the resident of ticket %d cannot be reached: %s", id, rr.Reason),
			fmt.Sprintf("工单 #%d 的居民未绑定微信、也没有登记手机号，无法回复", id), nil)
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
	ms, err := s.onRoute(ctx, t, r, outbound.PurposeReply, actor, text, rr)
	if err != nil {
		return nil, err
	}
	return s.queueAll(ctx, ms)
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
	if rr.Route == outbound.RouteNone {
		// Resolved all the same; nobody to ask for a rating.
		s.log.WarnContext(ctx, "rating_request_unsent", "ticket_id", t.ID, "why", rr.Reason)
		return t, nil
	}
	ms, err := s.onRoute(ctx, t, r, outbound.PurposeRatingRequest, tickets.ActorSystem, s.cfg.Answers.RatingRequest, rr)
	if err != nil {
		return t, err
	}
	_, err = s.queueAll(ctx, ms)
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
	return keep, s.schedule(ctx, keep)
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
		return 0, fault.Refuse(fault.ErrNotFound, fmt.Sprintf("grid %s has no grid worker to hand over to (%s)", grid, note),
			fmt.Sprintf("网格 %s 没有可接手的网格员", grid), nil)
	}
	moved := 0
	var after int64
	roles := map[int64]population.Role{}
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
				if errors.Is(err, fault.ErrConflict) {
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
				if errors.Is(err, fault.ErrConflict) {
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
func (s *Service) deliberate(ctx context.Context, t tickets.Ticket, roles map[int64]population.Role) (bool, error) {
	role, ok := roles[t.AssigneeWorkerID]
	if !ok {
		a, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		if err != nil {
			return false, err
		}
		role, roles[a.ID] = a.Role, a.Role
	}
	if role == population.RoleGridWorker {
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
func (s *Service) ReplyQuick(ctx context.Context, id int64, actor string, n int) ([]outbound.Message, error) {
	t, w, err := s.ticketAndWorker(ctx, id)
	if err != nil {
		return nil, err
	}
	text, err := s.cfg.Tickets.Quick.Render(t.Category, n, w)
	if err != nil {
		return nil, fault.Refuse(fault.ErrInvalid, err.Error(), fmt.Sprintf("没有第 %d 条常用回复", n), err)
	}
	return s.Reply(ctx, id, actor, text)
}

func (s *Service) ticketAndWorker(ctx context.Context, id int64) (tickets.Ticket, population.Worker, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, population.Worker{}, err
	}
	if t.AssigneeWorkerID != 0 {
		w, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		return t, w, err
	}
	w, err := s.st.WorkerForGrid(ctx, t.GridCode, population.RoleGridWorker)
	if notFound(err) {
		err = nil
	}
	return t, w, err
}

// Recategorise files ticket id under category on behalf of actor, with a
// timeline event (tickets.EventRecategorised). category is an identifier
// (heating_gas) or a label (供暖/燃气) of a built-in category, or a
// category of the configured classification rules. A category that starts
// higher on the ladder (a complaint about staff: the community) moves the
// ticket there, away from its worker; a category with a shorter deadline
// brings the deadline forward (counted from creation), a longer one never
// pushes it back. An archived ticket keeps its category.
func (s *Service) Recategorise(ctx context.Context, id int64, category, actor, note string) (tickets.Ticket, error) {
	c, err := s.category(category)
	if err != nil {
		return tickets.Ticket{}, err
	}
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	now := s.now()
	ev, err := t.Recategorise(c, actor, note, now)
	if err != nil {
		return t, err
	}
	due := s.cfg.Tickets.SLA.DueAt(c, t.CreatedAt)
	moved := t.Status.Open() && due.Before(t.DueAt)
	if moved {
		t.DueAt = due
	}
	if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
		return t, err
	}
	if !t.Status.Open() {
		return t, nil
	}
	if start := s.cfg.Tickets.Levels.For(c); start.Rank() > t.Level.Rank() {
		why := fmt.Sprintf("category %s starts at %s", c, start)
		if _, err := s.assign(ctx, &t, start, actor, why); err != nil {
			return t, err
		}
		moved = true
		if err := s.notifyAssignee(ctx, t, eventAssigned); err != nil {
			return t, err
		}
	}
	if moved {
		return t, s.disp.ScheduleEscalation(ctx, t.ID, t.Level, t.DueAt)
	}
	return t, nil
}

// category is the category named s: a built-in one (identifier or label)
// or one of the configured classification rules.
func (s *Service) category(name string) (tickets.Category, error) {
	c, err := tickets.ParseCategory(name)
	if err == nil {
		return c, nil
	}
	for _, r := range s.cfg.Tickets.Classifier.Rules {
		if string(r.Category) == strings.TrimSpace(name) {
			return r.Category, nil
		}
	}
	return "", fault.Refuse(fault.ErrInvalid, err.Error(), fmt.Sprintf("没有分类“%s”", strings.TrimSpace(name)), nil)
}
