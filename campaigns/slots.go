package campaigns

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Window is a weekly visiting window: every Day from Start to End.
type Window struct {
	Day        time.Weekday
	Start, End Clock
}

// String writes w as "Mon 14:00-17:00".
func (w Window) String() string {
	return fmt.Sprintf("%s %s-%s", w.Day.String()[:3], w.Start, w.End)
}

// DefaultVisitingHours are the windows of a worker whose VisitingHours is
// empty: weekday mornings and afternoons.
const DefaultVisitingHours = "Mon-Fri 09:00-11:30,14:00-17:00"

// dayNames maps every accepted day name, lower-cased, to its weekday.
var dayNames = func() map[string]time.Weekday {
	names := map[string]time.Weekday{
		"周天": time.Sunday, "星期天": time.Sunday, "礼拜天": time.Sunday,
		"tues": time.Tuesday, "thur": time.Thursday, "thurs": time.Thursday,
	}
	cn := []string{"日", "一", "二", "三", "四", "五", "六"}
	for d := time.Sunday; d <= time.Saturday; d++ {
		en := strings.ToLower(d.String())
		names[en] = d
		names[en[:3]] = d
		for _, p := range []string{"周", "星期", "礼拜"} {
			names[p+cn[d]] = d
		}
	}
	return names
}()

var dayGroups = map[string][]time.Weekday{
	"工作日":   {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	"周末":    {time.Saturday, time.Sunday},
	"每天":    {time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
	"daily": {time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
}

var (
	entrySep = strings.NewReplacer("；", ";", "\n", ";")
	listSep  = strings.NewReplacer("，", ",", "、", ",")
	rangeSep = strings.NewReplacer("~", "-", "～", "-", "至", "-", "到", "-", "–", "-", "—", "-")
)

// ParseVisitingHours reads a worker's VisitingHours text into weekly
// windows, sorted by weekday (Sunday first) and start, with overlapping or
// touching windows of a day merged. The text is entries separated by ";"
// (or "；" or a new line), each days then times:
//
//	Mon-Fri 14:00-17:00; Sat 09:00-11:30
//	Mon,Wed 09:00-11:30,14:00-17:00
//	周一至周五 9:00-11:30、14:00-17:00；周六 09:00~11:30
//
// Days are English names or three-letter abbreviations (any case), 周一…周日
// (星期一, 礼拜一; 周天 for Sunday), 工作日, 周末, 每天; a range may wrap the
// week (Fri-Mon). Times are H:MM or HH:MM, and a window may not pass
// midnight. Empty text means DefaultVisitingHours.
func ParseVisitingHours(s string) ([]Window, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultVisitingHours
	}
	var ws []Window
	var errs []error
	for i, entry := range strings.Split(entrySep.Replace(s), ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		got, err := parseEntry(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d %q: %w", i+1, entry, err))
		}
		ws = append(ws, got...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("campaigns: visiting hours %q: %w", s, err)
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("campaigns: visiting hours %q: no windows", s)
	}
	return mergeWindows(ws), nil
}

func parseEntry(entry string) ([]Window, error) {
	i := strings.IndexAny(entry, "0123456789")
	if i < 0 {
		return nil, errors.New("no times, want e.g. Mon-Fri 14:00-17:00")
	}
	days, err := parseDays(strings.TrimSpace(entry[:i]))
	if err != nil {
		return nil, err
	}
	var ws []Window
	for _, r := range strings.Split(listSep.Replace(entry[i:]), ",") {
		a, b, ok := strings.Cut(rangeSep.Replace(strings.TrimSpace(r)), "-")
		if !ok {
			return nil, fmt.Errorf("times %q: want HH:MM-HH:MM", strings.TrimSpace(r))
		}
		start, err := ParseClock(a)
		if err != nil {
			return nil, err
		}
		end, err := ParseClock(b)
		if err != nil {
			return nil, err
		}
		if start >= end {
			return nil, fmt.Errorf("times %s-%s: the end must be after the start, on the same day", start, end)
		}
		for _, d := range days {
			ws = append(ws, Window{Day: d, Start: start, End: end})
		}
	}
	return ws, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	if s == "" {
		return nil, errors.New("no days, want e.g. Mon-Fri")
	}
	var out []time.Weekday
	for _, item := range strings.Split(listSep.Replace(s), ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if g, ok := dayGroups[item]; ok {
			out = append(out, g...)
			continue
		}
		a, b, isRange := strings.Cut(rangeSep.Replace(item), "-")
		from, ok1 := dayNames[strings.TrimSpace(a)]
		to, ok2 := from, true
		if isRange {
			to, ok2 = dayNames[strings.TrimSpace(b)]
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("days %q: want names such as Mon, Mon-Fri or 周一至周五", item)
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

func mergeWindows(ws []Window) []Window {
	slices.SortFunc(ws, func(a, b Window) int {
		if a.Day != b.Day {
			return int(a.Day) - int(b.Day)
		}
		return int(a.Start) - int(b.Start)
	})
	out := ws[:1]
	for _, w := range ws[1:] {
		last := &out[len(out)-1]
		if w.Day == last.Day && w.Start <= last.End {
			last.End = max(last.End, w.End)
			continue
		}
		out = append(out, w)
	}
	return out
}

// Slot is a visit booked for one resident with the worker the allocator
// serves.
type Slot struct {
	ResidentID int64
	Start, End time.Time // End zero (in a booking given to the allocator) means Start + Length
}

// SlotConfig configures a SlotAllocator. The zero value, but for From, is
// usable.
type SlotConfig struct {
	// Windows are the worker's weekly visiting windows (ParseVisitingHours).
	// Nil means DefaultVisitingHours.
	Windows []Window
	// Length is a visit's length; windows are cut into consecutive slots of
	// it from their start, and a remainder too short for a visit is left
	// free. Zero means DefaultSlotLength (30 minutes).
	Length time.Duration
	// From is the earliest start a slot may have. To give residents a day's
	// notice (the reminder goes out the evening before, see ReminderAt),
	// pass the next midnight.
	From time.Time
	// Booked are the worker's visits already booked, from the store: no
	// slot overlapping one is handed out, and a resident with a booking
	// starting at or after From gets that booking back.
	Booked []Slot
	// Location is the worker's time zone. Nil means Asia/Shanghai.
	Location *time.Location
	// HorizonDays is how many days from From's date to search. Zero means
	// DefaultHorizonDays.
	HorizonDays int
}

// SlotAllocator defaults.
const (
	DefaultSlotLength  = 30 * time.Minute
	DefaultHorizonDays = 60
)

// ErrNoSlot is returned by SlotAllocator.Next when the horizon holds no
// free slot.
var ErrNoSlot = errors.New("campaigns: no free visit slot")

// SlotAllocator hands out one worker's visit slots, one per resident, in
// time order, never two overlapping each other or a booking it was given.
// It is pure: the caller persists each slot it returns (a unique key on
// worker and start in the store is the last guard against two allocators
// for the same worker). It is not safe for concurrent use.
type SlotAllocator struct {
	byDay      [7][]Window
	length     time.Duration
	loc        *time.Location
	cursor     time.Time // no free slot starts before it
	last       time.Time // the first day after the horizon
	busy       []Slot    // merged, sorted, End set
	byResident map[int64]Slot
}

// NewSlotAllocator builds an allocator from cfg; it fails on a negative
// length or an invalid window.
func NewSlotAllocator(cfg SlotConfig) (*SlotAllocator, error) {
	if cfg.From.IsZero() {
		return nil, errors.New("campaigns: slot allocator: from is required")
	}
	a := &SlotAllocator{length: cfg.Length, loc: locOr(cfg.Location), cursor: cfg.From, byResident: map[int64]Slot{}}
	if a.length == 0 {
		a.length = DefaultSlotLength
	}
	if a.length < 0 {
		return nil, fmt.Errorf("campaigns: slot length %s: must be positive", cfg.Length)
	}
	ws := cfg.Windows
	if ws == nil {
		ws, _ = ParseVisitingHours(DefaultVisitingHours)
	}
	for _, w := range ws {
		if w.Day < time.Sunday || w.Day > time.Saturday || w.Start < 0 || w.End > 24*60 || w.Start >= w.End {
			return nil, fmt.Errorf("campaigns: visiting window %s: want a weekday and start before end within a day", w)
		}
		a.byDay[w.Day] = append(a.byDay[w.Day], w)
	}
	for d := range a.byDay {
		slices.SortFunc(a.byDay[d], func(x, y Window) int { return int(x.Start) - int(y.Start) })
	}
	horizon := cfg.HorizonDays
	if horizon <= 0 {
		horizon = DefaultHorizonDays
	}
	y, m, d := cfg.From.In(a.loc).Date()
	a.last = time.Date(y, m, d+horizon, 0, 0, 0, 0, a.loc)

	for _, b := range cfg.Booked {
		if b.End.IsZero() {
			b.End = b.Start.Add(a.length)
		}
		a.busy = append(a.busy, b)
		if !b.Start.Before(cfg.From) {
			if old, ok := a.byResident[b.ResidentID]; !ok || b.Start.Before(old.Start) {
				a.byResident[b.ResidentID] = b
			}
		}
	}
	slices.SortFunc(a.busy, func(x, y Slot) int { return x.Start.Compare(y.Start) })
	merged := a.busy[:0]
	for _, b := range a.busy {
		if n := len(merged); n > 0 && !b.Start.After(merged[n-1].End) {
			if b.End.After(merged[n-1].End) {
				merged[n-1].End = b.End
			}
			continue
		}
		merged = append(merged, Slot{Start: b.Start, End: b.End})
	}
	a.busy = merged
	return a, nil
}

// conflicts reports whether [s, e) overlaps a booking.
func (a *SlotAllocator) conflicts(s, e time.Time) bool {
	i := sort.Search(len(a.busy), func(i int) bool { return a.busy[i].End.After(s) })
	return i < len(a.busy) && a.busy[i].Start.Before(e)
}

// Next returns the resident's slot: their booking if they have one (so a
// retried task gets the same answer), else the earliest free slot, which
// is theirs from then on. It returns ErrNoSlot when the horizon is full.
func (a *SlotAllocator) Next(residentID int64) (Slot, error) {
	if s, ok := a.byResident[residentID]; ok {
		return s, nil
	}
	for day := a.cursor.In(a.loc); day.Before(a.last); {
		for _, w := range a.byDay[day.Weekday()] {
			end := w.End.on(day, a.loc)
			for s := w.Start.on(day, a.loc); !s.Add(a.length).After(end); s = s.Add(a.length) {
				e := s.Add(a.length)
				if s.Before(a.cursor) || a.conflicts(s, e) {
					continue
				}
				slot := Slot{ResidentID: residentID, Start: s, End: e}
				a.cursor = e
				a.byResident[residentID] = slot
				return slot, nil
			}
		}
		y, m, d := day.Date()
		day = time.Date(y, m, d+1, 0, 0, 0, 0, a.loc)
	}
	return Slot{}, fmt.Errorf("%w before %s", ErrNoSlot, a.last.Format(time.DateOnly))
}

// ReminderAt is when a visit's reminder goes out: 18:00 local on the day
// before the visit. A caller past that time sends it at once.
func ReminderAt(slot time.Time, loc *time.Location) time.Time {
	loc = locOr(loc)
	y, m, d := slot.In(loc).Date()
	return time.Date(y, m, d-1, 18, 0, 0, 0, loc)
}
