// Package dispatch is the street's side of a ticket: handing it to the
// departments that can act on it (分拨) and following their tasks to the
// end. A ticket may be dispatched to one department or, when the street
// summons several (吹哨报到), to each with its own task and deadline; the
// case is done when every task is.
//
// A task moves forward only:
//
//	dispatched ──accept──▶ accepted ──resolve──▶ resolved
//	    │                    │  ▲
//	    │                    │  └──approve/refuse extension──┐
//	    │                    └──ask extension──▶ extension_requested
//	    └──return (退回)──▶ returned ◀──return── accepted
//
// A returned task goes back to the dispatcher with its reason; a
// dispatcher may also cancel a task not yet resolved. The package imports
// no storage: the store keeps tasks and their events; the ticket desk
// (package desk: Dispatch, MoveTask) stores each step and acts on the
// ticket — the handler and the level above told, the ticket resolved and
// its resident answered when the tasks are Done — and the API and the CLI
// go through it.
package dispatch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Department is a body a ticket can be dispatched to (城管, 民政 …). Users
// of the department role act on its tasks (access.User.Department holds
// the code).
type Department struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// DefaultDepartments are the departments a city starts with; the
// configuration may replace them.
var DefaultDepartments = []Department{
	{"chengguan", "城管"}, {"housing", "住建/物业"}, {"civil_affairs", "民政"}, {"hrss", "人社"},
	{"medical_insurance", "医保"}, {"health", "卫健"}, {"police", "派出所"}, {"fire", "消防"},
	{"gas", "燃气"}, {"heating", "供暖"}, {"utilities", "水电"},
}

// State is where a task stands.
type State string

// The states.
const (
	StateDispatched         State = "dispatched"          // 已分拨, waiting for the department
	StateAccepted           State = "accepted"            // 已受理
	StateExtensionRequested State = "extension_requested" // 申请延期, waiting for the dispatcher
	StateReturned           State = "returned"            // 已退回, with a reason
	StateResolved           State = "resolved"            // 已办结, with feedback
	StateCancelled          State = "cancelled"           // 已撤回 by the dispatcher
)

// Label is the state in Chinese, for screens.
func (s State) Label() string {
	switch s {
	case StateDispatched:
		return "已分拨"
	case StateAccepted:
		return "已受理"
	case StateExtensionRequested:
		return "申请延期"
	case StateReturned:
		return "已退回"
	case StateResolved:
		return "已办结"
	case StateCancelled:
		return "已撤回"
	}
	return string(s)
}

// Open reports whether the task still waits on someone.
func (s State) Open() bool {
	return s == StateDispatched || s == StateAccepted || s == StateExtensionRequested
}

// Action is what someone does to a task.
type Action string

// The actions.
const (
	ActionDispatch         Action = "dispatch"          // the street hands the ticket to the department (the first event)
	ActionAccept           Action = "accept"            // the department takes it
	ActionReturn           Action = "return"            // the department sends it back (退回), reason required
	ActionRequestExtension Action = "request_extension" // the department asks for more time (延期), reason and new deadline
	ActionApproveExtension Action = "approve_extension" // the dispatcher grants it: the deadline moves
	ActionRefuseExtension  Action = "refuse_extension"  // the dispatcher refuses it: the deadline stays
	ActionResolve          Action = "resolve"           // the department is done, feedback required
	ActionCancel           Action = "cancel"            // the dispatcher withdraws it
)

// byDepartment lists the actions the department takes; the others are the
// dispatcher's.
var byDepartment = []Action{ActionAccept, ActionReturn, ActionRequestExtension, ActionResolve}

// ByDepartment reports whether a is the department's to take (the others
// are the dispatcher's, above it).
func (a Action) ByDepartment() bool { return slices.Contains(byDepartment, a) }

var moves = map[Action]struct {
	from []State
	to   State
}{
	ActionAccept:           {[]State{StateDispatched}, StateAccepted},
	ActionReturn:           {[]State{StateDispatched, StateAccepted}, StateReturned},
	ActionRequestExtension: {[]State{StateAccepted}, StateExtensionRequested},
	ActionApproveExtension: {[]State{StateExtensionRequested}, StateAccepted},
	ActionRefuseExtension:  {[]State{StateExtensionRequested}, StateAccepted},
	ActionResolve:          {[]State{StateAccepted}, StateResolved},
	ActionCancel:           {[]State{StateDispatched, StateAccepted, StateExtensionRequested}, StateCancelled},
}

// MaxNote is the longest reason or feedback, in characters.
const MaxNote = 1000

// Task is one department's part of a ticket.
type Task struct {
	ID         int64
	TicketID   int64
	Department string // Department.Code
	State      State
	// DueAt is the department's deadline; an approved extension moves it.
	DueAt time.Time
	// Note is the dispatcher's instruction; Feedback the department's
	// answer when resolved (it goes back to the grid worker and, where the
	// case came from a resident, to the resident); Reason the latest
	// return or extension reason.
	Note, Feedback, Reason string
	// ExtendTo is the deadline an extension asks for, while it waits.
	ExtendTo     time.Time
	DispatchedBy string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Overdue reports whether t is open past its deadline at now.
func (t Task) Overdue(now time.Time) bool {
	return t.State.Open() && !t.DueAt.IsZero() && now.After(t.DueAt)
}

// Event is one step of a task, kept with it (its timeline).
type Event struct {
	TaskID   int64
	At       time.Time
	Actor    string
	Action   Action // ActionDispatch for the first
	From, To State
	Note     string
}

// Move is an action on a task with what it carries.
type Move struct {
	Action Action
	By     string
	// Note: the reason of a return or an extension request, the feedback
	// of a resolution, optional otherwise.
	Note string
	// ExtendTo: the deadline an extension request asks for.
	ExtendTo time.Time
}

// ErrMove refuses a move the task's state does not allow or that lacks
// what it needs.
var ErrMove = errors.New("dispatch: move not allowed")

// Apply returns t after m at now, and the event that records it; an error
// wrapping ErrMove when the state does not allow m or m lacks a reason,
// feedback or a later deadline.
func Apply(t Task, m Move, now time.Time) (Task, Event, error) {
	mv, ok := moves[m.Action]
	if !ok {
		return t, Event{}, fmt.Errorf("%w: unknown action %q", ErrMove, m.Action)
	}
	if !slices.Contains(mv.from, t.State) {
		return t, Event{}, fmt.Errorf("%w: task %d is %s; %s applies to a task that is %s", ErrMove, t.ID, t.State.Label(), m.Action, statesText(mv.from))
	}
	if strings.TrimSpace(m.By) == "" {
		return t, Event{}, fmt.Errorf("%w: who does it is required", ErrMove)
	}
	note := strings.TrimSpace(m.Note)
	if utf8.RuneCountInString(note) > MaxNote {
		return t, Event{}, fmt.Errorf("%w: the note is longer than %d characters", ErrMove, MaxNote)
	}
	switch m.Action {
	case ActionReturn, ActionRequestExtension:
		if note == "" {
			return t, Event{}, fmt.Errorf("%w: %s needs a reason", ErrMove, m.Action)
		}
		t.Reason = note
	case ActionResolve:
		if note == "" {
			return t, Event{}, fmt.Errorf("%w: resolving needs feedback for the grid worker and the resident", ErrMove)
		}
		t.Feedback = note
	}
	switch m.Action {
	case ActionRequestExtension:
		if !m.ExtendTo.After(t.DueAt) {
			return t, Event{}, fmt.Errorf("%w: an extension must ask for a deadline after %s", ErrMove, t.DueAt.Format(time.DateTime))
		}
		t.ExtendTo = m.ExtendTo
	case ActionApproveExtension:
		t.DueAt, t.ExtendTo = t.ExtendTo, time.Time{}
	case ActionRefuseExtension:
		t.ExtendTo = time.Time{}
	}
	ev := Event{TaskID: t.ID, At: now, Actor: strings.TrimSpace(m.By), Action: m.Action, From: t.State, To: mv.to, Note: note}
	t.State, t.UpdatedAt = mv.to, now
	return t, ev, nil
}

// Done reports whether a ticket's tasks are all finished (resolved or
// cancelled) and at least one was resolved: the case can be closed.
func Done(ts []Task) bool {
	resolved := false
	for _, t := range ts {
		if t.State.Open() || t.State == StateReturned {
			return false
		}
		resolved = resolved || t.State == StateResolved
	}
	return resolved
}

// Validate checks a new task before it is dispatched.
func (t Task) Validate(known []Department, now time.Time) error {
	var errs []error
	if t.TicketID <= 0 {
		errs = append(errs, errors.New("a task needs its ticket"))
	}
	if !slices.ContainsFunc(known, func(d Department) bool { return d.Code == t.Department }) {
		codes := make([]string, len(known))
		for i, d := range known {
			codes[i] = d.Code
		}
		errs = append(errs, fmt.Errorf("unknown department %q; known: %s", t.Department, strings.Join(codes, ", ")))
	}
	if !t.DueAt.After(now) {
		errs = append(errs, errors.New("the deadline must be in the future"))
	}
	if strings.TrimSpace(t.DispatchedBy) == "" {
		errs = append(errs, errors.New("who dispatches is required"))
	}
	if utf8.RuneCountInString(t.Note) > MaxNote {
		errs = append(errs, fmt.Errorf("the instruction is longer than %d characters", MaxNote))
	}
	return errors.Join(errs...)
}

func statesText(ss []State) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Label()
	}
	return strings.Join(out, "或")
}
