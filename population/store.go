package population

import (
	"errors"
	"time"
)

// ErrNotFound is returned by every store lookup that finds nothing; drivers
// map their "no rows" to it.
var ErrNotFound = errors.New("segments: not found")

// ErrInvalid is wrapped by store errors that refuse bad input (a malformed
// name, an empty expression), so callers can answer "bad request" rather
// than "internal error".
var ErrInvalid = errors.New("invalid")

// ErrConflict is wrapped by store errors that refuse a change because of the
// data's current state: an openid bound to someone else, a segment still
// referred to, a campaign moved on by another process.
var ErrConflict = errors.New("conflict")

// UpsertStats counts what an upsert did with each row it was given.
type UpsertStats struct {
	Inserted  int // new residents
	Updated   int // existing residents (matched by ID number) whose fields changed
	Unchanged int // existing residents identical to the row given
}

// Add returns the sum of s and o.
func (s UpsertStats) Add(o UpsertStats) UpsertStats {
	return UpsertStats{s.Inserted + o.Inserted, s.Updated + o.Updated, s.Unchanged + o.Unchanged}
}

// SavedSegment is a named segment expression officers reuse; other
// expressions refer to it as segment:NAME.
type SavedSegment struct {
	Name        string
	Expr        string
	Description string
	Owner       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
