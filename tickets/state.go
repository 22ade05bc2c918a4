package tickets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Status is where a ticket stands in the workflow (限期办理 → 及时反馈 →
// 考核测评 → 办结归档).
type Status string

// The statuses. The zero value "" is StatusNew.
const (
	StatusNew        Status = "new"         // recorded, no owner yet
	StatusAssigned   Status = "assigned"    // a worker owns it
	StatusInProgress Status = "in_progress" // the worker is on it
	StatusReplied    Status = "replied"     // the worker answered the resident
	StatusResolved   Status = "resolved"    // handled; awaiting the rating
	StatusClosed     Status = "closed"      // done (办结), or closed as a duplicate
	StatusArchived   Status = "archived"    // filed (归档); final
)

// Statuses lists every status in workflow order.
var Statuses = []Status{
	StatusNew, StatusAssigned, StatusInProgress, StatusReplied,
	StatusResolved, StatusClosed, StatusArchived,
}

// transitions is the workflow. Every open status may close (a duplicate, a
// withdrawn request); resolved and closed reopen to assigned.
var transitions = map[Status][]Status{
	StatusNew:        {StatusAssigned, StatusClosed},
	StatusAssigned:   {StatusInProgress, StatusReplied, StatusResolved, StatusClosed},
	StatusInProgress: {StatusReplied, StatusResolved, StatusClosed},
	StatusReplied:    {StatusInProgress, StatusResolved, StatusClosed},
	StatusResolved:   {StatusClosed, StatusAssigned},
	StatusClosed:     {StatusArchived, StatusAssigned},
}

func (s Status) orDefault() Status {
	if s == "" {
		return StatusNew
	}
	return s
}

// Allowed reports whether the workflow has an edge from s to to. Guards
// (an assignee, a merge) are checked by Transition.
func (s Status) Allowed(to Status) bool {
	return slices.Contains(transitions[s.orDefault()], to)
}

// Open reports whether s still needs handling: new, assigned, in progress
// or replied. Only open tickets escalate.
func (s Status) Open() bool {
	switch s.orDefault() {
	case StatusNew, StatusAssigned, StatusInProgress, StatusReplied:
		return true
	}
	return false
}

// Label is the status in Chinese, for screens and refusals.
func (s Status) Label() string {
	switch s.orDefault() {
	case StatusNew:
		return "新建"
	case StatusAssigned:
		return "已分派"
	case StatusInProgress:
		return "处理中"
	case StatusReplied:
		return "已回复"
	case StatusResolved:
		return "已解决"
	case StatusClosed:
		return "已关闭"
	case StatusArchived:
		return "已归档"
	}
	return string(s)
}

// Errors the Ticket methods return; test with errors.Is. Each is a
// fault.Error that says itself to a user (fault.Explain).
var (
	// ErrBadTransition: the workflow has no such edge, or its guard
	// failed. The error is a *TransitionError naming both statuses.
	ErrBadTransition = fault.Refuse(fault.ErrConflict, "the ticket's status does not allow this", "工单当前状态不允许此操作", nil)
	// ErrNoActor: a change was attempted without naming who made it.
	ErrNoActor = fault.Refuse(fault.ErrInvalid, "say who does it", "请注明操作人", nil)
	// ErrNotRateable: the ticket is not resolved (or closed after being
	// resolved), so there is nothing to rate yet.
	ErrNotRateable = fault.Refuse(fault.ErrConflict, "only a resolved ticket can be rated", "只有已解决的工单可以评价", nil)
	// ErrAlreadyRated: the resident rated this resolution already.
	ErrAlreadyRated = fault.Refuse(fault.ErrConflict, "the ticket is rated already", "该工单已评价", nil)
	// ErrBadRating: a rating outside 1–5.
	ErrBadRating = fault.Refuse(fault.ErrInvalid, "a rating is 1 to 5", "评价须为1到5", nil)
	// ErrBadMerge: the tickets cannot be merged (the same ticket, other
	// residents, or one of them already closed).
	ErrBadMerge = fault.Refuse(fault.ErrInvalid, "these tickets cannot be merged: only open or resolved tickets of one resident",
		"不能合并：只能合并同一居民的未关闭工单", nil)
	// ErrReopenWindow: the resident wrote after the reopen window; open a
	// new ticket instead.
	ErrReopenWindow = fault.Refuse(fault.ErrConflict, "outside the reopen window", "已超过可重新打开的期限", nil)
	// ErrBadAssignment: no worker or an unknown level.
	ErrBadAssignment = fault.Refuse(fault.ErrInvalid, "no one to give the ticket to at that level", "该级别没有可分派的工作人员", nil)
)

// TransitionError is a refused status change. It matches ErrBadTransition
// with errors.Is.
type TransitionError struct {
	From, To Status
	Reason   string // why, when the edge exists but a guard failed; may be empty
}

// Error says which move was refused and why.
func (e *TransitionError) Error() string {
	msg := fmt.Sprintf("tickets: cannot move a ticket from %s to %s", e.From, e.To)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Say tells a user which move was refused.
func (e *TransitionError) Say(lang fault.Lang) string {
	if lang == fault.English {
		msg := fmt.Sprintf("a %s ticket cannot become %s", strings.ReplaceAll(string(e.From.orDefault()), "_", " "),
			strings.ReplaceAll(string(e.To), "_", " "))
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		return msg
	}
	return fmt.Sprintf("工单%s，不能改为%s", e.From.Label(), e.To.Label())
}

// Unwrap returns ErrBadTransition.
func (e *TransitionError) Unwrap() error { return ErrBadTransition }

// Transition moves t to the status to on behalf of actor. It refuses, with
// a *TransitionError, an edge the workflow lacks, assigned without an
// assignee (use Assign), and reopening a merged duplicate. Resolving sets
// ResolvedAt, closing ClosedAt; reopening (resolved or closed → assigned)
// clears the rating so the new resolution can be rated, the old one staying
// on the timeline. Transition applies no reopen window: staff may reopen
// any time; a resident's new message goes through Reopen.
func (t *Ticket) Transition(to Status, actor string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := t.Status.orDefault()
	if actor == "" {
		return Event{}, ErrNoActor
	}
	if !from.Allowed(to) {
		return Event{}, &TransitionError{From: from, To: to}
	}
	kind := EventStatus
	if to == StatusAssigned {
		switch {
		case t.AssigneeWorkerID == 0:
			return Event{}, &TransitionError{From: from, To: to, Reason: "no assignee; use Assign"}
		case t.MergedInto != 0:
			return Event{}, &TransitionError{From: from, To: to, Reason: fmt.Sprintf("merged into #%d", t.MergedInto)}
		case from == StatusResolved || from == StatusClosed:
			kind = EventReopened
			t.Rating = 0
		}
	}
	switch to {
	case StatusResolved:
		t.ResolvedAt = now
	case StatusClosed:
		t.ClosedAt = now
	}
	t.Status, t.UpdatedAt = to, now
	return Event{TicketID: t.ID, At: now, Actor: actor, Kind: kind, From: string(from), To: string(to)}, nil
}

// Assign gives t to workerID at level on behalf of actor. A new ticket
// becomes assigned; an open one keeps its status; a resolved, closed or
// archived one is refused (ErrBadTransition: reopen it first). A level
// above the current one is recorded as EventEscalated, otherwise
// EventAssigned; Assign leaves DueAt alone (Escalate moves it).
func (t *Ticket) Assign(workerID int64, level Level, actor string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := t.Status.orDefault()
	switch {
	case actor == "":
		return Event{}, ErrNoActor
	case workerID <= 0:
		return Event{}, fmt.Errorf("%w: worker id %d", ErrBadAssignment, workerID)
	case level.Rank() < 0:
		return Event{}, fmt.Errorf("%w: level %q", ErrBadAssignment, level)
	case !from.Open():
		return Event{}, &TransitionError{From: from, To: StatusAssigned, Reason: "reopen it before assigning"}
	}
	ev := Event{TicketID: t.ID, At: now, Actor: actor, Kind: EventAssigned,
		From: strconv.FormatInt(t.AssigneeWorkerID, 10), To: strconv.FormatInt(workerID, 10)}
	if level.Rank() > t.Level.Rank() {
		ev.Kind, ev.From, ev.To = EventEscalated, string(t.Level.orDefault()), string(level.orDefault())
		ev.Note = fmt.Sprintf("worker %d", workerID)
	}
	if from == StatusNew {
		t.Status = StatusAssigned
	}
	t.AssigneeWorkerID, t.Level, t.UpdatedAt = workerID, level.orDefault(), now
	return ev, nil
}

// Escalate moves an open t up to level, to workerID, with the new deadline
// due. A workerID of 0 (the store has not found the level's owner yet)
// keeps the current assignee, so the ticket never sits unowned; NextEscalation says when
// and with which values. It refuses a level that is not above the current
// one (ErrBadAssignment) and a ticket that is not open (ErrBadTransition).
func (t *Ticket) Escalate(level Level, workerID int64, due time.Time, actor string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := t.Status.orDefault()
	switch {
	case actor == "":
		return Event{}, ErrNoActor
	case !from.Open():
		return Event{}, &TransitionError{From: from, To: from, Reason: "only an open ticket escalates"}
	case level.Rank() <= t.Level.Rank():
		return Event{}, fmt.Errorf("%w: %q is not above %s", ErrBadAssignment, level, t.Level.orDefault())
	}
	ev := Event{TicketID: t.ID, At: now, Actor: actor, Kind: EventEscalated,
		From: string(t.Level.orDefault()), To: string(level),
		Note: "overdue since " + t.DueAt.Format(time.DateTime) + "; due " + due.Format(time.DateTime)}
	if workerID > 0 {
		ev.Note += fmt.Sprintf("; worker %d", workerID)
		if from == StatusNew {
			t.Status = StatusAssigned
		}
		t.AssigneeWorkerID = workerID
	}
	t.Level, t.DueAt, t.UpdatedAt = level, due, now
	return ev, nil
}

// Reopen reopens a resolved or closed t because the resident wrote again,
// if that is within window of its resolution (or of its closing, for a
// ticket closed unresolved). It goes back to assigned, to the same worker
// at the same level, with the rating cleared; the caller sets a new DueAt.
// Outside the window it returns ErrReopenWindow (open a new ticket); a
// merged duplicate, an archived or an open ticket is refused
// (ErrBadTransition).
func (t *Ticket) Reopen(window time.Duration, now time.Time) (Event, error) {
	from := t.Status.orDefault()
	if from != StatusResolved && from != StatusClosed {
		return Event{}, &TransitionError{From: from, To: StatusAssigned, Reason: "only a resolved or closed ticket reopens"}
	}
	since := t.ResolvedAt
	if since.IsZero() || (from == StatusClosed && t.ClosedAt.Before(since)) {
		since = t.ClosedAt
	}
	if !since.IsZero() && now.Sub(since) > window {
		return Event{}, fmt.Errorf("%w: %s since %s, window %s", ErrReopenWindow, now.Sub(since).Round(time.Minute), from, window)
	}
	ev, err := t.Transition(StatusAssigned, ActorResident, now)
	if err != nil {
		return Event{}, err
	}
	ev.Note = "the resident wrote again"
	return ev, nil
}

// Rate records the resident's rating n (1–5) of a resolved ticket, or of a
// closed one that was resolved; once per resolution (ErrAlreadyRated).
// Rating does not change the status: closing stays the staff's or the
// scheduler's move.
func (t *Ticket) Rate(n int, now time.Time) (Event, error) {
	st := t.Status.orDefault()
	switch {
	case n < 1 || n > 5:
		return Event{}, fmt.Errorf("%w: got %d", ErrBadRating, n)
	case t.Rating != 0:
		return Event{}, fmt.Errorf("%w: %d", ErrAlreadyRated, t.Rating)
	case st != StatusResolved && !(st == StatusClosed && !t.ResolvedAt.IsZero() && t.MergedInto == 0):
		return Event{}, fmt.Errorf("%w: status %s", ErrNotRateable, st)
	}
	t.Rating, t.UpdatedAt = n, now
	return Event{TicketID: t.ID, At: now, Actor: ActorResident, Kind: EventRated, To: strconv.Itoa(n)}, nil
}

// Merge folds dup, a duplicate from the same resident, into t: dup closes
// with MergedInto set and a note naming t; t keeps the earlier of the two
// deadlines, so merging never buys time. Both must be open or resolved,
// distinct, and the resident's (ErrBadMerge). It returns the event for t's
// timeline and the one for dup's; on error neither ticket changes.
func (t *Ticket) Merge(dup *Ticket, actor string, now time.Time) (kept, merged Event, err error) {
	actor = strings.TrimSpace(actor)
	switch {
	case actor == "":
		return Event{}, Event{}, ErrNoActor
	case dup == nil || dup == t || (dup.ID != 0 && dup.ID == t.ID):
		return Event{}, Event{}, fmt.Errorf("%w: a ticket is not its own duplicate", ErrBadMerge)
	case dup.ResidentID != t.ResidentID || t.ResidentID == 0:
		return Event{}, Event{}, fmt.Errorf("%w: #%d and #%d are not the same resident's", ErrBadMerge, t.ID, dup.ID)
	case !mergeable(t.Status) || !mergeable(dup.Status):
		return Event{}, Event{}, fmt.Errorf("%w: #%d is %s and #%d is %s", ErrBadMerge, t.ID, t.Status.orDefault(), dup.ID, dup.Status.orDefault())
	}
	from := dup.Status.orDefault()
	dup.Status, dup.MergedInto, dup.ClosedAt, dup.UpdatedAt = StatusClosed, t.ID, now, now
	if !dup.DueAt.IsZero() && (t.DueAt.IsZero() || dup.DueAt.Before(t.DueAt)) {
		t.DueAt = dup.DueAt
	}
	t.UpdatedAt = now
	ids := func(id int64) string { return strconv.FormatInt(id, 10) }
	kept = Event{TicketID: t.ID, At: now, Actor: actor, Kind: EventMerged, From: ids(dup.ID), To: ids(t.ID),
		Note: fmt.Sprintf("duplicate #%d merged here", dup.ID)}
	merged = Event{TicketID: dup.ID, At: now, Actor: actor, Kind: EventStatus, From: string(from), To: string(StatusClosed),
		Note: fmt.Sprintf("duplicate of #%d", t.ID)}
	return kept, merged, nil
}

func mergeable(s Status) bool { return s.Open() || s == StatusResolved }
