package campaigns

import (
	"time"

	"github.com/gridcast/gridcast/population"
)

// TemplateCount is how many templates of a channel the last sync saved
// with one approval state, and when.
type TemplateCount struct {
	Channel  population.Channel
	Approved bool
	Count    int
	SyncedAt time.Time
}
