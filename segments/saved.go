package segments

import "time"

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
