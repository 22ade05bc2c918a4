package visits

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Member is a resident of a household as the register lists them.
type Member struct {
	ResidentID int64
	Name       pii.Name
	Phone      pii.Phone
	Categories []population.Category
}

// Household is an address of a grid with the residents who live there.
// Key is "h" and the household's id, or "r" and the resident's id for a
// resident the population store has no household for.
type Household struct {
	Key      string
	GridCode string
	Address  population.Address
	Members  []Member
}

// categories returns every category of h's members.
func (h Household) categories() []population.Category {
	var out []population.Category
	for _, m := range h.Members {
		out = append(out, m.Categories...)
	}
	return out
}

// has reports whether residentID lives in h.
func (h Household) has(residentID int64) bool {
	return slices.ContainsFunc(h.Members, func(m Member) bool { return m.ResidentID == residentID })
}

// Slot is a visit a campaign booked and the resident confirmed
// (campaigns.Visit): it appears on the register until a record closes it.
type Slot struct {
	ID, WorkerID, ResidentID, CampaignID int64
	Start, End                           time.Time
	// RecordID is the record that closed the slot; 0 while it is open.
	RecordID int64
}

// Due is one household of a worker's register for a month.
type Due struct {
	Household Household
	// Norms are the names of the norms the household falls under; empty
	// for a household on the register only for a booked visit.
	Norms []string
	// Every is the strictest cadence of Norms ("" with no norm).
	Every Cadence
	// Windows are the spans of the month each asking for a visit.
	Windows []Window
	// Required is len(Windows); Done how many of them were visited.
	Required, Done int
	// Last is the latest visit in person or by phone among the records
	// read, by anyone; nil when they hold none.
	Last *Record
	// NotHome counts the month's attempts that found nobody.
	NotHome int
	// NextDue is the last day of the earliest window of the month not yet
	// visited; zero when the month's visits are all done.
	NextDue time.Time
	// Overdue: a window ended before now without a visit, or a booked
	// visit's time passed with no record closing it.
	Overdue bool
	// Slots are the household's booked visits in the month.
	Slots []Slot
}

// Register is a worker's register for a month.
type Register struct {
	Month    Month
	WorkerID int64
	// Households are the households due, those overdue first, then by the
	// next due date, then by address.
	Households []Due
	// Required and Done add up the households' windows.
	Required, Done int
	// Minimum is Config.HouseholdsPerMonth; Visited the distinct
	// households the worker visited in person or by phone in the month,
	// due or not.
	Minimum, Visited int
	// VisitsDone counts the worker's visits in person or by phone in the
	// month, one per household per day (a second call the same day is
	// not a second visit).
	VisitsDone int
	// NotHome counts the worker's attempts in the month that found
	// nobody.
	NotHome int
	// Overdue counts the households overdue.
	Overdue int
	// Records are the worker's records of the month, newest first.
	Records []Record
}

// VisitsDue is what the month asks of the worker: the windows of the
// households due, or the minimum of households when that is more (the
// figure assessment.Input.VisitsDue takes).
func (r Register) VisitsDue() int { return max(r.Required, r.Minimum) }

// Plan computes workerID's register for m as of now from the households
// of the worker's grid, the records of those households and of the worker
// up to m.Reach() (at least since the first window's start; earlier ones
// give the last visit), and the worker's confirmed slots in the month.
// It never fails: unknown keys and records of other months are ignored.
func (c Config) Plan(m Month, workerID int64, now time.Time, hs []Household, recs []Record, slots []Slot) Register {
	reg := Register{Month: m, WorkerID: workerID, Minimum: c.HouseholdsPerMonth}
	start, end := m.Start(), m.End()
	byKey := map[string][]Record{}
	visited := map[string]bool{}
	days := map[string]bool{}
	for _, r := range recs {
		byKey[r.HouseholdKey] = append(byKey[r.HouseholdKey], r)
		if r.WorkerID != workerID || r.VisitedAt.Before(start) || !r.VisitedAt.Before(end) {
			continue
		}
		reg.Records = append(reg.Records, r)
		if !r.Kind.Counts() {
			reg.NotHome++
			continue
		}
		visited[r.HouseholdKey] = true
		days[r.HouseholdKey+"@"+r.VisitedAt.In(Shanghai).Format(time.DateOnly)] = true
	}
	reg.Visited, reg.VisitsDone = len(visited), len(days)
	slices.SortFunc(reg.Records, func(a, b Record) int { return cmp.Or(b.VisitedAt.Compare(a.VisitedAt), cmp.Compare(b.ID, a.ID)) })
	for _, h := range hs {
		d := Due{Household: h}
		d.Norms, d.Every = c.normsOf(h.categories())
		for _, s := range slots {
			if h.has(s.ResidentID) && s.Start.Before(end) && !s.Start.Before(start) {
				d.Slots = append(d.Slots, s)
				if s.RecordID == 0 && !s.End.After(now) {
					d.Overdue = true
				}
			}
		}
		if d.Every == "" && len(d.Slots) == 0 {
			continue
		}
		hr := byKey[h.Key]
		for _, r := range hr {
			switch {
			case r.Kind.Counts() && (d.Last == nil || r.VisitedAt.After(d.Last.VisitedAt)):
				last := r
				d.Last = &last
			case r.Kind == NotHome && !r.VisitedAt.Before(start) && r.VisitedAt.Before(end):
				d.NotHome++
			}
		}
		if d.Every != "" {
			d.Windows = windows(d.Every, m)
			for i := range d.Windows {
				w := &d.Windows[i]
				w.Visited = slices.ContainsFunc(hr, func(r Record) bool {
					return r.Kind.Counts() && !r.VisitedAt.Before(w.Start) && r.VisitedAt.Before(w.End)
				})
				if w.Visited {
					d.Done++
					continue
				}
				if d.NextDue.IsZero() {
					d.NextDue = w.lastDay()
				}
				if !w.End.After(now) {
					d.Overdue = true
				}
			}
			d.Required = len(d.Windows)
		}
		reg.Required += d.Required
		reg.Done += d.Done
		if d.Overdue {
			reg.Overdue++
		}
		reg.Households = append(reg.Households, d)
	}
	slices.SortStableFunc(reg.Households, func(a, b Due) int {
		return cmp.Or(-compareBool(a.Overdue, b.Overdue), compareDue(a.NextDue, b.NextDue),
			cmp.Compare(a.Household.Address.String(), b.Household.Address.String()), cmp.Compare(a.Household.Key, b.Household.Key))
	})
	return reg
}

// Late is a household overdue at a moment.
type Late struct {
	Household Household
	Norms     []string
	Every     Cadence
	// Since is the end of the window missed (or of the booked visit):
	// the household has been overdue from then.
	Since time.Time
	// Last is the latest visit in person or by phone; nil when none.
	Last *Record
	// Slot is the booked visit missed, when that is why; nil otherwise.
	Slot *Slot
}

// Overdue returns the households of hs overdue at now: under a norm whose
// last window ended (last week, last month) with no visit in person or by
// phone in it or since, or with a booked visit whose time passed with no
// record closing it. recs must hold the households' records since the
// start of last month; slots the confirmed slots that ended before now.
// Oldest first.
func (c Config) Overdue(now time.Time, hs []Household, recs []Record, slots []Slot) []Late {
	byKey := map[string][]Record{}
	for _, r := range recs {
		byKey[r.HouseholdKey] = append(byKey[r.HouseholdKey], r)
	}
	var out []Late
	for _, h := range hs {
		var last *Record
		for _, r := range byKey[h.Key] {
			if r.Kind.Counts() && (last == nil || r.VisitedAt.After(last.VisitedAt)) {
				r := r
				last = &r
			}
		}
		norms, every := c.normsOf(h.categories())
		if every != "" {
			w := lastEnded(every, now)
			if last == nil || last.VisitedAt.Before(w.Start) {
				out = append(out, Late{Household: h, Norms: norms, Every: every, Since: w.End, Last: last})
				continue
			}
		}
		for _, s := range slots {
			if h.has(s.ResidentID) && s.RecordID == 0 && !s.End.After(now) {
				s := s
				out = append(out, Late{Household: h, Norms: norms, Every: every, Since: s.End, Last: last, Slot: &s})
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Late) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Household.Key, b.Household.Key))
	})
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// compareDue orders due dates earliest first, none (done) last.
func compareDue(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}
