package campaigns

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shanghai is Asia/Shanghai from the system's tz data, or a fixed UTC+8
// zone named CST when there is none: China has had no daylight saving since
// 1991, so the two agree for every date this package deals with.
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
})

// Shanghai returns the Asia/Shanghai location, the default for every
// wall-clock rule in this package. It never returns nil.
func Shanghai() *time.Location { return shanghai() }

func locOr(loc *time.Location) *time.Location {
	if loc == nil {
		return Shanghai()
	}
	return loc
}

// Clock is a time of day in minutes after midnight, 0 (00:00) to 1440
// (24:00, allowed only as the end of a range).
type Clock int

// ParseClock parses "HH:MM" or "H:MM" (a full-width colon is accepted),
// 00:00 to 24:00.
func ParseClock(s string) (Clock, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "：", ":")
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time of day %q: want HH:MM between 00:00 and 24:00", s)
	}
	return Clock(hh*60 + mm), nil
}

// String formats c as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// on returns the instant at c on the calendar day of day (in loc).
func (c Clock) on(day time.Time, loc *time.Location) time.Time {
	y, m, d := day.In(loc).Date()
	return time.Date(y, m, d, int(c)/60, int(c)%60, 0, 0, loc)
}

// QuietHours is the nightly window in which no message is sent (免打扰时段);
// a send that falls inside it is rescheduled, never skipped.
//
// The zero value has no quiet hours. Start == End also means none. A window
// whose Start is after its End wraps midnight ("21:00" to "08:00"). Start is
// inside the window and End is not. QuietHours is a value and safe for
// concurrent use.
type QuietHours struct {
	Start, End string         // "HH:MM"; see ParseClock
	Location   *time.Location // nil means Asia/Shanghai
}

// DefaultQuietHours is 21:00 to 08:00 Beijing time, the window GridCast
// uses when the configuration names none.
var DefaultQuietHours = QuietHours{Start: "21:00", End: "08:00"}

// Validate reports a malformed Start or End, naming the field.
func (q QuietHours) Validate() error {
	_, _, err := q.bounds()
	return err
}

func (q QuietHours) bounds() (start, end Clock, err error) {
	if q.Start == "" && q.End == "" {
		return 0, 0, nil
	}
	start, err = ParseClock(q.Start)
	if err != nil {
		return 0, 0, fmt.Errorf("quiet_hours.start: %w", err)
	}
	end, err = ParseClock(q.End)
	if err != nil {
		return 0, 0, fmt.Errorf("quiet_hours.end: %w", err)
	}
	return start % 1440, end % 1440, nil
}

// NextAllowed returns t itself when t is outside the quiet hours, and
// otherwise the end of the quiet window that contains t, in t's location.
// Malformed bounds (see Validate) count as no quiet hours, so a bad
// configuration delays nothing rather than everything.
func (q QuietHours) NextAllowed(t time.Time) time.Time {
	start, end, err := q.bounds()
	if err != nil || start == end {
		return t
	}
	loc := locOr(q.Location)
	lt := t.In(loc)
	// Minutes since midnight, rounded down; a time within the minute at
	// End is already allowed, a time within the minute before End is not.
	now := Clock(lt.Hour()*60 + lt.Minute())
	var next time.Time
	switch {
	case start < end: // same-day window, e.g. 12:00–14:00
		if now < start || now >= end {
			return t
		}
		next = end.on(lt, loc)
	case now >= start: // wrapping window, evening part
		next = end.on(lt.AddDate(0, 0, 1), loc)
	case now < end: // wrapping window, morning part
		next = end.on(lt, loc)
	default:
		return t
	}
	return next.In(t.Location())
}
