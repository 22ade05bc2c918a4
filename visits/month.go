package visits

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Shanghai is China Standard Time (UTC+8, no daylight saving), the zone
// whose calendar months and weeks the register counts in.
var Shanghai = time.FixedZone("CST", 8*60*60)

// Month is a calendar month of the register. The zero Month is not valid.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month t falls in, in Shanghai.
func MonthOf(t time.Time) Month {
	t = t.In(Shanghai)
	return Month{Year: t.Year(), Month: t.Month()}
}

// ParseMonth reads a month written 2026-12 (or 2026-1), spaces around
// ignored; anything else is refused with an error wrapping
// fault.ErrInvalid.
func ParseMonth(s string) (Month, error) {
	y, m, ok := strings.Cut(strings.TrimSpace(s), "-")
	year, err1 := strconv.Atoi(y)
	mon, err2 := strconv.Atoi(m)
	if !ok || len(y) != 4 || err1 != nil || err2 != nil || len(m) > 2 || mon < 1 || mon > 12 || year < 2000 || year > 2999 {
		return Month{}, fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("period %q: want a month written 2026-12", s),
			fmt.Sprintf("月份“%s”有误，应写作 2026-12", s), nil)
	}
	return Month{Year: year, Month: time.Month(mon)}, nil
}

// String is the month as ParseMonth reads it: 2026-12.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// MarshalText writes the month as 2026-12.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Start is midnight of the month's first day in Shanghai.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, Shanghai) }

// End is the first instant of the next month: the month is [Start, End).
func (m Month) End() time.Time { return time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, Shanghai) }

// Prev is the month before m.
func (m Month) Prev() Month { return MonthOf(m.Start().AddDate(0, 0, -1)) }

// Window is a span a norm asks for one visit in: [Start, End).
type Window struct {
	Start, End time.Time
	// Visited: a visit in person or by phone fell in the window.
	Visited bool
}

// windows returns the windows every asks for in m: the month itself, or
// each week (Monday to Sunday) whose Thursday falls in m, as ISO 8601
// gives weeks to years, so that every day lies in one month's week and
// a month has four or five.
func windows(every Cadence, m Month) []Window {
	if every == Monthly {
		return []Window{{Start: m.Start(), End: m.End()}}
	}
	var out []Window
	for d := m.Start(); d.Before(m.End()); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Thursday {
			monday := d.AddDate(0, 0, -3)
			out = append(out, Window{Start: monday, End: monday.AddDate(0, 0, 7)})
		}
	}
	return out
}

// Reach is the end of the last window of m: a week may run a few days
// into the next month, and a visit in those days counts for it. The
// records a register reads run to Reach.
func (m Month) Reach() time.Time {
	ws := windows(Weekly, m)
	return ws[len(ws)-1].End
}

// lastEnded returns the latest window of every that ended at or before
// now: last week (Monday to Sunday) or last month.
func lastEnded(every Cadence, now time.Time) Window {
	now = now.In(Shanghai)
	if every == Monthly {
		this := MonthOf(now)
		return Window{Start: this.Prev().Start(), End: this.Start()}
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, Shanghai)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	return Window{Start: monday.AddDate(0, 0, -7), End: monday}
}

// lastDay is the date of the last day of w, as a register prints a due
// date.
func (w Window) lastDay() time.Time { return w.End.AddDate(0, 0, -1) }
