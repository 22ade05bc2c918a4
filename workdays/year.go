// Package workdays counts time on China's working calendar: weekends,
// the statutory holidays (法定节假日) and the weekend days the State Council
// makes working days (调休), from one file per year, and office hours
// within a working day. Ticket deadlines in working days and working hours
// are counted here.
//
// The years 2026 and 2027 are built in (2027 provisional until the State
// Council publishes it); operators load further or corrected years from
// files in the same format (see years/2026.yaml).
package workdays

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Year is one year's holidays and 调休 working days, as a year file holds
// them.
type Year struct {
	// Year is the calendar year the file covers; every date must be in it,
	// except that a 调休 workday may fall in the year next to it.
	Year int `yaml:"year"`
	// Source says where the dates come from (the notice's number and date).
	Source string `yaml:"source"`
	// Provisional marks a year written before the official notice: the
	// statutory days only, without 调休.
	Provisional bool `yaml:"provisional"`
	// Holidays are the days off, each a named range with the weekend days
	// made working days for it.
	Holidays []Holiday `yaml:"holidays"`
}

// Holiday is a named range of days off (放假调休) and the weekend days
// worked to make it up (上班).
type Holiday struct {
	Name     string `yaml:"name"`
	From     Date   `yaml:"from"`
	To       Date   `yaml:"to"`
	Workdays []Date `yaml:"workdays"`
}

// Date is a calendar day, written 2026-10-01.
type Date struct {
	Y int
	M time.Month
	D int
}

// DateOf is the day t falls on in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String is the date as 2026-10-01.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, d.M, d.D) }

// In is the start of day d in loc.
func (d Date) In(loc *time.Location) time.Time { return time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, loc) }

// next is the day n days after d (before it for a negative n).
func (d Date) next(n int) Date { return DateOf(time.Date(d.Y, d.M, d.D+n, 12, 0, 0, 0, time.UTC)) }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Y, d.M, d.D, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d Date) before(e Date) bool { return d.In(time.UTC).Before(e.In(time.UTC)) }

// UnmarshalYAML reads a date written 2026-10-01.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q: want a date such as 2026-10-01", n.Line, n.Value)
	}
	*d = DateOf(t)
	return nil
}

// ParseYear reads a year file, strictly: an unknown key, a date outside the
// year, a range that ends before it starts, a 调休 workday that is not on a
// weekend or a day both off and worked is an error naming it.
func ParseYear(b []byte) (Year, error) {
	var y Year
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&y); err != nil {
		return Year{}, fmt.Errorf("workdays: year file: %w", err)
	}
	return y, y.Validate()
}

// Validate reports every problem of y at once.
func (y Year) Validate() error {
	var errs []error
	if y.Year < 2000 || y.Year > 2200 {
		errs = append(errs, fmt.Errorf("year: %d: want a year such as 2027", y.Year))
	}
	off := map[Date]string{}
	for i, h := range y.Holidays {
		at := fmt.Sprintf("holidays[%d] (%s)", i, h.Name)
		if h.Name == "" {
			errs = append(errs, fmt.Errorf("holidays[%d]: no name", i))
		}
		if h.From.Y != y.Year || h.To.Y != y.Year {
			errs = append(errs, fmt.Errorf("%s: %s to %s: want dates in %d", at, h.From, h.To, y.Year))
			continue
		}
		if h.To.before(h.From) {
			errs = append(errs, fmt.Errorf("%s: ends %s before it starts %s", at, h.To, h.From))
			continue
		}
		for d := h.From; !h.To.before(d); d = d.next(1) {
			off[d] = h.Name
		}
	}
	for i, h := range y.Holidays {
		for _, w := range h.Workdays {
			at := fmt.Sprintf("holidays[%d] (%s).workdays", i, h.Name)
			if wd := w.Weekday(); wd != time.Saturday && wd != time.Sunday {
				errs = append(errs, fmt.Errorf("%s: %s is a %s: a 调休 workday is a weekend day", at, w, wd))
			}
			if w.Y < y.Year-1 || w.Y > y.Year+1 {
				errs = append(errs, fmt.Errorf("%s: %s: want a date in or next to %d", at, w, y.Year))
			}
			if name, ok := off[w]; ok {
				errs = append(errs, fmt.Errorf("%s: %s is also a day off (%s)", at, w, name))
			}
		}
	}
	for i, e := range errs {
		errs[i] = fmt.Errorf("workdays: year file %d: %w", y.Year, e)
	}
	return errors.Join(errs...)
}

//go:embed years/*.yaml
var builtin embed.FS

// Builtin are the built-in years, in order: 2026 from the State Council's
// notice, 2027 provisional.
func Builtin() []Year {
	names, err := fs.Glob(builtin, "years/*.yaml")
	if err != nil {
		panic(err) // a constant pattern
	}
	var out []Year
	for _, n := range names {
		b, err := builtin.ReadFile(n)
		if err != nil {
			panic(err) // embedded
		}
		y, err := ParseYear(b)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", n, err)) // the tests parse every built-in year
		}
		out = append(out, y)
	}
	slices.SortFunc(out, func(a, b Year) int { return a.Year - b.Year })
	return out
}
