package tickets

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Supervision is a 督办 flag on a ticket: someone above its handler —
// a supervisor, or the system when the ticket missed its deadline — says
// the case is being watched. The handler keeps the case; the flag is
// shown wherever the ticket is, on its timeline, and counted in the
// figures. A ticket may carry several flags at once (a supervisor's and
// the system's); the latest is the one shown.
type Supervision struct {
	ID       int64
	TicketID int64
	// Level is the rung whose owner was told: set by the system's
	// escalation (grid_leader, community, street); "" for a person's flag.
	Level Level
	By    string // the user, or ActorSystem
	Note  string
	At    time.Time
	// ClearedAt is when the flag was lifted (zero while it stands); by
	// whom and why. The system lifts its own flag when it raises it a
	// level (ClearedNote "raised to …").
	ClearedAt   time.Time
	ClearedBy   string
	ClearedNote string
}

// Active reports whether the flag still stands.
func (s Supervision) Active() bool { return s.ClearedAt.IsZero() }

// Raised reports whether the system lifted the flag to raise it a level:
// the next flag says so, and the timeline shows no separate clearing.
func (s Supervision) Raised() bool {
	return s.ClearedBy == ActorSystem && strings.HasPrefix(s.ClearedNote, RaisedNote)
}

// RaisedNote starts the clearing note of a flag the system raised.
const RaisedNote = "raised to "

// MaxSupervisionNote is the longest 督办 note, in characters.
const MaxSupervisionNote = 500

// ErrSupervision refuses a flag without an actor or with a note too long.
var ErrSupervision = errors.New("tickets: supervision not allowed")

// CheckSupervision validates a flag's actor and note.
func CheckSupervision(by, note string) error {
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("%w: who supervises is required", ErrSupervision)
	}
	if utf8.RuneCountInString(strings.TrimSpace(note)) > MaxSupervisionNote {
		return fmt.Errorf("%w: the note is longer than %d characters", ErrSupervision, MaxSupervisionNote)
	}
	return nil
}

// Escalation policies: what the desk does with a ticket past its
// deadline (Config.Escalation of package desk).
const (
	// EscalateSupervise flags the ticket 督办 and tells the owner of the
	// level above, one level further at each missed step, while the
	// handler keeps the case (the default).
	EscalateSupervise = "supervise"
	// EscalateReassign moves the ticket up the ladder to the owner of the
	// level above, one level at each missed step.
	EscalateReassign = "reassign"
)

// SupervisionSteps answers, for t overdue at now under policy supervise,
// the highest level whose owner must have been told by now: the level
// above t's at t.DueAt, one more at each further step (SLA.Step of that
// level) missed, up to the street. ok is false when t is not open, not
// overdue or already at the street.
func (p SLA) SupervisionSteps(t Ticket, now time.Time) (level Level, next time.Time, ok bool) {
	if !t.Status.Open() || t.DueAt.IsZero() || now.Before(t.DueAt) {
		return "", time.Time{}, false
	}
	at := t.DueAt
	cur := t.Level
	for {
		up, more := cur.Next()
		if !more || now.Before(at) {
			break
		}
		level, cur = up, up
		at = p.calendar().Add(at, p.Step(up))
	}
	if level == "" {
		return "", time.Time{}, false
	}
	if _, more := level.Next(); more {
		next = at
	}
	return level, next, true
}
