package tickets

import (
	"slices"
	"time"
)

// Stats is the evaluation (考核测评) of one grid or worker over a period:
// how many tickets came, how many were resolved and how many of those
// within their category's deadline, what is still open and overdue, how
// many had to escalate, and what residents thought.
type Stats struct {
	Key            string // the grid code or worker code the figures are for
	Opened         int    // tickets created in the period
	Resolved       int    // of those, resolved (and maybe closed since)
	ResolvedOnTime int    // of those, resolved within the category's deadline
	Open           int    // of those, still open
	Overdue        int    // of the open ones, past their current deadline
	Escalated      int    // of those opened, how many left the grid worker's level
	Rated          int    // how many residents rated
	RatingSum      int    // the sum of their ratings
	// ResolveTime is the total time from creation to resolution of the
	// resolved ones; MeanResolve divides it.
	ResolveTime time.Duration
}

// OnTimeRate is ResolvedOnTime over Resolved, 0 with nothing resolved.
func (s Stats) OnTimeRate() float64 {
	if s.Resolved == 0 {
		return 0
	}
	return float64(s.ResolvedOnTime) / float64(s.Resolved)
}

// MeanRating is the average rating, 0 with no ratings.
func (s Stats) MeanRating() float64 {
	if s.Rated == 0 {
		return 0
	}
	return float64(s.RatingSum) / float64(s.Rated)
}

// MeanResolve is the average time to resolution, 0 with nothing resolved.
func (s Stats) MeanResolve() time.Duration {
	if s.Resolved == 0 {
		return 0
	}
	return s.ResolveTime / time.Duration(s.Resolved)
}

// Tally counts ts into one Stats per key (key returns "" to leave a
// ticket out), in key order; merged duplicates are left out, since their
// kept ticket counts. now decides what is overdue.
func (p SLA) Tally(ts []Ticket, now time.Time, key func(Ticket) string) []Stats {
	by := map[string]*Stats{}
	for _, t := range ts {
		k := key(t)
		if k == "" || t.MergedInto != 0 {
			continue
		}
		s := by[k]
		if s == nil {
			s = &Stats{Key: k}
			by[k] = s
		}
		s.Opened++
		if !t.ResolvedAt.IsZero() {
			s.Resolved++
			s.ResolveTime += t.ResolvedAt.Sub(t.CreatedAt)
			if p.OnTime(t) {
				s.ResolvedOnTime++
			}
		}
		if t.Status.Open() {
			s.Open++
			if !t.DueAt.IsZero() && now.After(t.DueAt) {
				s.Overdue++
			}
		}
		if t.Level.Rank() > 0 {
			s.Escalated++
		}
		if t.Rating > 0 {
			s.Rated++
			s.RatingSum += t.Rating
		}
	}
	out := make([]Stats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Stats) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}
