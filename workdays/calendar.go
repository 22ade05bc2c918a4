package workdays

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Span is a stretch of office hours within a day, as offsets from midnight.
type Span struct {
	Start, End time.Duration
}

// ParseSpan reads office hours written 09:00-12:00.
func ParseSpan(s string) (Span, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Span{}, fmt.Errorf("%q: want office hours such as 09:00-12:00", s)
	}
	clock := func(v string) (time.Duration, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(v))
		if err != nil {
			return 0, fmt.Errorf("%q: want office hours such as 09:00-12:00", s)
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	start, err := clock(a)
	if err != nil {
		return Span{}, err
	}
	end, err := clock(b)
	if err != nil {
		return Span{}, err
	}
	if end <= start {
		return Span{}, fmt.Errorf("%q: ends before it starts", s)
	}
	return Span{start, end}, nil
}

// String is the span as 09:00-12:00.
func (s Span) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(s.Start) + "-" + f(s.End)
}

// DefaultHours are the office hours of a working day: 09:00–12:00 and
// 13:30–17:30.
var DefaultHours = []Span{{9 * time.Hour, 12 * time.Hour}, {13*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute}}

// Shanghai is China Standard Time (UTC+8, no daylight saving since 1991),
// the default location: it needs no time zone database.
var Shanghai = time.FixedZone("CST", 8*60*60)

// Config builds a Calendar. The zero value is usable: the built-in years,
// DefaultHours, Shanghai.
type Config struct {
	// Location is where days begin and office hours are read. Nil means
	// Shanghai.
	Location *time.Location
	// Hours are the office hours of a working day, in order and not
	// overlapping. Nil means DefaultHours.
	Hours []Span
	// Years are loaded over the built-in ones: a year given here replaces
	// the built-in year of the same number.
	Years []Year
	// Logger gets one warning per year a date falls in that no file
	// covers (counted weekends-only). Nil discards.
	Logger *slog.Logger
}

// ErrYearNotLoaded is the error of a date in a year no file covers.
var ErrYearNotLoaded = errors.New("workdays: no holiday calendar for the year")

// Calendar answers which days are working days and adds working time. It
// is read-only once built and safe for concurrent use.
//
// A date in a year no file covers is counted weekends-only — a deadline is
// still set, on Monday to Friday — and the Logger gets a warning once per
// such year; Check says so as an error.
type Calendar struct {
	loc    *time.Location
	hours  []Span
	years  map[int]Year
	off    map[Date]string // day off → holiday name
	worked map[Date]string // 调休 weekend workday → holiday name
	log    *slog.Logger
	warned sync.Map // year → struct{}
}

// New builds the Calendar of cfg, or says what is wrong with it.
func New(cfg Config) (*Calendar, error) {
	c := &Calendar{loc: cfg.Location, hours: cfg.Hours, years: map[int]Year{}, off: map[Date]string{}, worked: map[Date]string{}, log: cfg.Logger}
	if c.loc == nil {
		c.loc = Shanghai
	}
	if c.hours == nil {
		c.hours = DefaultHours
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if len(c.hours) == 0 {
		errs = append(errs, errors.New("office hours: none: want at least one span such as 09:00-17:30"))
	}
	for i, h := range c.hours {
		if h.Start < 0 || h.End > 24*time.Hour || h.End <= h.Start {
			errs = append(errs, fmt.Errorf("office hours[%d]: %s: want a span within the day", i, h))
		}
		if i > 0 && h.Start < c.hours[i-1].End {
			errs = append(errs, fmt.Errorf("office hours[%d]: %s starts before %s ends: want spans in order", i, h, c.hours[i-1]))
		}
	}
	for _, y := range append(Builtin(), cfg.Years...) {
		if err := y.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		c.years[y.Year] = y
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("workdays: %w", errors.Join(errs...))
	}
	for _, y := range c.years {
		for _, h := range y.Holidays {
			for d := h.From; !h.To.before(d); d = d.next(1) {
				c.off[d] = h.Name
			}
			for _, w := range h.Workdays {
				c.worked[w] = h.Name
			}
		}
	}
	return c, nil
}

// Location is where the calendar's days begin.
func (c *Calendar) Location() *time.Location { return c.loc }

// Years are the years loaded, each with its source, in order.
func (c *Calendar) Years() []Year {
	var out []Year
	for y := 2000; y <= 2200; y++ {
		if v, ok := c.years[y]; ok {
			out = append(out, v)
		}
	}
	return out
}

// Check reports ErrYearNotLoaded, naming the year, when no file covers the
// day t falls on.
func (c *Calendar) Check(t time.Time) error {
	if y := t.In(c.loc).Year(); !c.loaded(y) {
		return fmt.Errorf("%w %d: days are counted Monday to Friday; load the year's file (calendar.years)", ErrYearNotLoaded, y)
	}
	return nil
}

func (c *Calendar) loaded(year int) bool {
	_, ok := c.years[year]
	return ok
}

// Holiday names the holiday t's day is off for (春节, 国庆节 …), or "".
func (c *Calendar) Holiday(t time.Time) string { return c.off[DateOf(t.In(c.loc))] }

// IsWorkday reports whether t's day is a working day: Monday to Friday
// unless a holiday, or a weekend day worked for one (调休).
func (c *Calendar) IsWorkday(t time.Time) bool { return c.isWorkday(DateOf(t.In(c.loc))) }

func (c *Calendar) isWorkday(d Date) bool {
	if !c.loaded(d.Y) {
		if _, seen := c.warned.LoadOrStore(d.Y, struct{}{}); !seen {
			c.log.WarnContext(context.Background(), "holiday_calendar_year_missing", "year", d.Y, "counted_as", "monday_to_friday")
		}
	}
	if _, ok := c.off[d]; ok {
		return false
	}
	if _, ok := c.worked[d]; ok {
		return true
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// maxDays bounds every walk over the calendar: ten years.
const maxDays = 3660

// nextWorkday is the first working day after d.
func (c *Calendar) nextWorkday(d Date) Date {
	for range maxDays {
		if d = d.next(1); c.isWorkday(d) {
			break
		}
	}
	return d
}

// AddWorkdays is the same time of day on the nth working day after t's day
// (t's own day is not counted: 自受理次日起算). A t on a day off counts
// from that day, so a Saturday request with n = 1 is due on Monday. n ≤ 0
// returns t.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	t = t.In(c.loc)
	d := DateOf(t)
	for range n {
		d = c.nextWorkday(d)
	}
	return time.Date(d.Y, d.M, d.D, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), c.loc)
}

// EndOfWorkday is the close of office hours on t's day when that is a
// working day, else on the next working day.
func (c *Calendar) EndOfWorkday(t time.Time) time.Time {
	d := DateOf(t.In(c.loc))
	if !c.isWorkday(d) {
		d = c.nextWorkday(d)
	}
	return d.In(c.loc).Add(c.hours[len(c.hours)-1].End)
}

// AddWorkingHours is the instant d of office hours after t: time outside
// office hours and on days off does not count. A t outside office hours
// counts from the next opening; a deadline that uses up a span exactly
// falls at its close (17:30), not at the next opening. A negative d counts
// back (the warning before a deadline).
func (c *Calendar) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	t = t.In(c.loc)
	if d == 0 {
		return t
	}
	day := DateOf(t)
	for range maxDays {
		if c.isWorkday(day) {
			base := day.In(c.loc)
			if d > 0 {
				for _, h := range c.hours {
					start, end := base.Add(h.Start), base.Add(h.End)
					if start.Before(t) {
						start = t
					}
					if !start.Before(end) {
						continue
					}
					if left := end.Sub(start); d <= left {
						return start.Add(d)
					} else {
						d -= left
					}
				}
			} else {
				for i := len(c.hours) - 1; i >= 0; i-- {
					start, end := base.Add(c.hours[i].Start), base.Add(c.hours[i].End)
					if end.After(t) {
						end = t
					}
					if !start.Before(end) {
						continue
					}
					if left := end.Sub(start); -d <= left {
						return end.Add(d)
					} else {
						d += left
					}
				}
			}
		}
		if d > 0 {
			day = day.next(1)
		} else {
			day = day.next(-1)
		}
	}
	return t.Add(d) // unreachable with at least one working day in ten years
}

// Add is AddWorkingHours: a Calendar counts a ticket's hours in office
// hours.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time { return c.AddWorkingHours(from, d) }
