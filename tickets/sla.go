package tickets

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/workdays"
)

// Calendar adds handling time to an instant. The SLA counts plain hours
// (PlainHours) by default: the seeds state deadlines in hours and days, and
// an elderly resident living alone does not stop needing help at 17:30. A
// *workdays.Calendar counts office hours instead (holidays, 调休 make-up
// days); SLA.Terms count single categories in working days or hours.
type Calendar interface {
	// Add returns the instant d of handling time after from.
	Add(from time.Time, d time.Duration) time.Time
}

// PlainHours is the Calendar of plain elapsed time: Add is from.Add(d).
type PlainHours struct{}

// Add returns from.Add(d).
func (PlainHours) Add(from time.Time, d time.Duration) time.Time { return from.Add(d) }

// SLA holds the deadlines of the workflow (限期办理) and the escalation
// ladder's steps. The zero value is usable: every field has a default. An
// SLA is read-only once built and safe for concurrent use.
type SLA struct {
	// Deadlines is the time allowed per category, from creation to
	// resolution at the first level. Nil means DefaultDeadlines; a category
	// missing from the map gets the map's CategoryOther entry, or
	// DefaultDeadline without one.
	Deadlines map[Category]time.Duration
	// Steps is the time allowed at each level reached by escalation, from
	// the moment the level below missed its deadline. Nil means
	// DefaultSteps; a level missing from the map gets DefaultStep.
	Steps map[Level]time.Duration
	// ReopenWindow is how long after resolution a resident's new message
	// reopens the ticket rather than opening a new one. Zero means
	// DefaultReopenWindow.
	ReopenWindow time.Duration
	// Calendar counts the time of Deadlines and Steps. Nil means
	// PlainHours.
	Calendar Calendar
	// Terms count a category's deadline in working days or working hours
	// on Workdays, or close it at the end of the working day; a category
	// listed here needs Workdays. Nil: every category counts Deadlines.
	Terms map[Category]Term
	// Workdays is the working calendar Terms and Warning count on
	// (*workdays.Calendar). Nil: no Terms, and Warning in plain hours.
	Workdays WorkCalendar
	// Warning is how long before a deadline (预警) the handler and the
	// supervisor are warned: working hours on Workdays, plain hours
	// without. Zero means no warning.
	Warning time.Duration
}

// Term is a deadline on the working calendar: Workdays working days, then
// WorkingHours of office hours, then, with EndOfDay, the close of that
// working day. With Workdays and WorkingHours both zero, the category's
// Deadlines duration is counted (on Calendar) before EndOfDay applies.
type Term struct {
	Workdays     int
	WorkingHours time.Duration
	EndOfDay     bool
}

// WorkCalendar counts working days and office hours; *workdays.Calendar
// is one.
type WorkCalendar interface {
	AddWorkdays(t time.Time, n int) time.Time
	// AddWorkingHours counts back when d is negative.
	AddWorkingHours(t time.Time, d time.Duration) time.Time
	EndOfWorkday(t time.Time) time.Time
	// Location is where the calendar's days begin.
	Location() *time.Location
}

// SLA defaults.
const (
	DefaultDeadline     = 72 * time.Hour     // any category without its own
	DefaultStep         = 24 * time.Hour     // each escalation step
	DefaultReopenWindow = 7 * 24 * time.Hour // a week after resolution
)

// DefaultDeadlines are the per-category deadlines: a day for what hurts
// people now (complaints, disputes, elderly care, safety, public order,
// heating and gas), two for the environment, the property and city
// management, three for the rest.
var DefaultDeadlines = map[Category]time.Duration{
	CategoryComplaints:            24 * time.Hour,
	CategoryDisputes:              24 * time.Hour,
	CategoryElderlyCare:           24 * time.Hour,
	CategoryEnvironment:           48 * time.Hour,
	CategoryEmployment:            72 * time.Hour,
	CategorySocialAssistance:      72 * time.Hour,
	CategoryHouseholdRegistration: 72 * time.Hour,
	CategorySchooling:             72 * time.Hour,
	CategoryOther:                 72 * time.Hour,
	CategoryStaffComplaint:        24 * time.Hour,
	CategorySafety:                24 * time.Hour,
	CategoryPublicSecurity:        24 * time.Hour,
	CategoryHeatingGas:            24 * time.Hour,
	CategoryProperty:              48 * time.Hour,
	CategoryCityManagement:        48 * time.Hour,
	CategorySocialInsurance:       72 * time.Hour,
	CategoryFamilyPlanning:        72 * time.Hour,
}

// DefaultSteps give every level above the grid worker one more day.
var DefaultSteps = map[Level]time.Duration{
	LevelGridLeader: DefaultStep,
	LevelCommunity:  DefaultStep,
	LevelStreet:     DefaultStep,
}

// DueAt is the deadline of a ticket of category c created at created,
// counted with cal (nil means PlainHours) under the default deadlines.
func DueAt(c Category, created time.Time, cal Calendar) time.Time {
	return SLA{Calendar: cal}.DueAt(c, created)
}

// DueAt is the deadline of a ticket of category c created at created.
func (p SLA) DueAt(c Category, created time.Time) time.Time {
	term, ok := p.Terms[c]
	if !ok || p.Workdays == nil {
		return p.calendar().Add(created, p.Deadline(c))
	}
	due := created
	if term.Workdays > 0 {
		due = p.Workdays.AddWorkdays(due, term.Workdays)
	}
	if term.WorkingHours > 0 {
		due = p.Workdays.AddWorkingHours(due, term.WorkingHours)
	}
	if term.Workdays == 0 && term.WorkingHours == 0 {
		due = p.calendar().Add(due, p.Deadline(c))
	}
	if term.EndOfDay {
		due = p.Workdays.EndOfWorkday(due)
	}
	return due
}

// WarnAt is when the handler of a ticket due at due is warned: Warning
// before it, in working hours on Workdays; zero without a Warning.
func (p SLA) WarnAt(due time.Time) time.Time {
	switch {
	case p.Warning <= 0 || due.IsZero():
		return time.Time{}
	case p.Workdays != nil:
		return p.Workdays.AddWorkingHours(due, -p.Warning)
	default:
		return due.Add(-p.Warning)
	}
}

// DueText is deadline due of a ticket of category c as a resident reads
// it: 12月9日（周三） when the category's deadline is the end of a working
// day, else 12月9日（周三）15:30; in the working calendar's location
// (China Standard Time without one).
func (p SLA) DueText(c Category, due time.Time) string {
	loc := workdays.Shanghai
	if p.Workdays != nil {
		loc = p.Workdays.Location()
	}
	due = due.In(loc)
	s := fmt.Sprintf("%d月%d日（%s）", due.Month(), due.Day(), weekdayNames[due.Weekday()])
	if p.Workdays == nil || !p.Terms[c].EndOfDay {
		s += due.Format("15:04")
	}
	return s
}

var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Deadline is the time allowed for category c.
func (p SLA) Deadline(c Category) time.Duration {
	m := p.Deadlines
	if m == nil {
		m = DefaultDeadlines
	}
	if d, ok := m[c]; ok {
		return d
	}
	if d, ok := m[CategoryOther]; ok {
		return d
	}
	return DefaultDeadline
}

// Step is the time allowed at level l once a ticket escalates to it.
func (p SLA) Step(l Level) time.Duration {
	m := p.Steps
	if m == nil {
		m = DefaultSteps
	}
	if d, ok := m[l]; ok {
		return d
	}
	return DefaultStep
}

// Window is the reopen window: ReopenWindow or its default.
func (p SLA) Window() time.Duration {
	if p.ReopenWindow == 0 {
		return DefaultReopenWindow
	}
	return p.ReopenWindow
}

func (p SLA) calendar() Calendar {
	if p.Calendar == nil {
		return PlainHours{}
	}
	return p.Calendar
}

// NextEscalation answers, under the default SLA, whether t must escalate at
// now. See SLA.NextEscalation.
func NextEscalation(t Ticket, now time.Time) (level Level, due time.Time, ok bool) {
	return SLA{}.NextEscalation(t, now)
}

// NextEscalation answers whether t must escalate at now: ok when t is open,
// has a deadline, has missed it (now is at or after DueAt) and is below the
// street. Then level is the next rung and due its deadline, counted from
// the missed one rather than from now, so a late check grants no extra
// time. A ticket many steps overdue (the scheduler was down) comes back ok
// again right after Escalate, so the caller loops until ok is false and
// every step lands on the timeline.
//
// It is pure: the queue schedules a check at t.DueAt, and again at each new
// DueAt. When ok is false, level and due are zero.
func (p SLA) NextEscalation(t Ticket, now time.Time) (level Level, due time.Time, ok bool) {
	if !t.Status.Open() || t.DueAt.IsZero() || now.Before(t.DueAt) {
		return "", time.Time{}, false
	}
	next, ok := t.Level.Next()
	if !ok {
		return "", time.Time{}, false
	}
	return next, p.calendar().Add(t.DueAt, p.Step(next)), true
}

// OnTime reports whether t was resolved within its category's deadline
// from creation, whatever escalations moved DueAt since: the figure the
// evaluation (考核测评) counts per grid. An unresolved ticket is not on
// time.
func (p SLA) OnTime(t Ticket) bool {
	return !t.ResolvedAt.IsZero() && !t.ResolvedAt.After(p.DueAt(t.Category, t.CreatedAt))
}

// Validate reports every deadline, step or window that is not positive.
func (p SLA) Validate() error {
	var errs []error
	for _, c := range sortedWords(asStrings(p.Deadlines)) {
		if d := p.Deadlines[Category(c)]; d <= 0 {
			errs = append(errs, fmt.Errorf("sla.deadlines[%s]: %s: want a positive duration", c, d))
		}
	}
	for _, l := range Levels {
		if d, ok := p.Steps[l]; ok && d <= 0 {
			errs = append(errs, fmt.Errorf("sla.steps[%s]: %s: want a positive duration", l, d))
		}
	}
	for _, l := range sortedWords(stepNames(p.Steps)) {
		if Level(l).Rank() <= 0 {
			errs = append(errs, fmt.Errorf("sla.steps[%s]: want grid_leader, community or street", l))
		}
	}
	for _, c := range sortedWords(termNames(p.Terms)) {
		t := p.Terms[Category(c)]
		if t.Workdays < 0 || t.WorkingHours < 0 {
			errs = append(errs, fmt.Errorf("sla.terms[%s]: %d working days, %s working hours: want zero or more", c, t.Workdays, t.WorkingHours))
		}
	}
	if len(p.Terms) > 0 && p.Workdays == nil {
		errs = append(errs, errors.New("sla.terms: deadlines in working days need a working calendar"))
	}
	if p.Warning < 0 {
		errs = append(errs, fmt.Errorf("sla.warning: %s: want zero (no warning) or more", p.Warning))
	}
	if p.ReopenWindow < 0 {
		errs = append(errs, fmt.Errorf("sla.reopen_window: %s: want zero (the default) or more", p.ReopenWindow))
	}
	return errors.Join(errs...)
}

func asStrings(m map[Category]time.Duration) map[string]struct{} {
	out := make(map[string]struct{}, len(m))
	for k := range m {
		out[string(k)] = struct{}{}
	}
	return out
}

func stepNames(m map[Level]time.Duration) map[string]struct{} {
	out := make(map[string]struct{}, len(m))
	for k := range m {
		out[string(k)] = struct{}{}
	}
	return out
}

func termNames(m map[Category]Term) map[string]struct{} {
	out := make(map[string]struct{}, len(m))
	for k := range m {
		out[string(k)] = struct{}{}
	}
	return out
}
