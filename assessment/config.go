package assessment

import (
	"errors"
	"fmt"
	"strings"
)

// Config is how workers are scored, as cmd/gridcast decodes it from the
// YAML file's assessment section. Decode the file onto DefaultConfig(), so
// that a key left out keeps its default and a key given (even 0) replaces
// it. The zero Config is not valid (its weights sum to 0). A Config is
// read-only once passed to New.
type Config struct {
	// Weights are each indicator's share of the 100 points. They must sum
	// to 100; 0 leaves an indicator out. Default visits 30, events 10,
	// on_time 20, overdue 10, satisfaction 20, records 10.
	Weights Weights `yaml:"weights"`
	// Targets are the monthly figures that earn an indicator its full
	// points.
	Targets Targets `yaml:"targets"`
	// Satisfaction is what each answer is worth and how residents answer.
	Satisfaction SatisfactionConfig `yaml:"satisfaction"`
	// Grades are the grades, best first, each with the lowest score that
	// earns it; the last must start at 0. Default 优秀 from 90, 合格 from
	// 60, 不合格 below.
	Grades []Grade `yaml:"grades"`
}

// Weights are the indicators' shares of the 100 points (see Indicator).
// Each is 0–100 and together they make 100. The zero Weights is not
// valid.
type Weights struct {
	Visits       float64 `yaml:"visits"`       // 走访: visits done against the norm. Default 30.
	Events       float64 `yaml:"events"`       // 事件上报: events reported against targets.events. Default 10.
	OnTime       float64 `yaml:"on_time"`      // 按时办结: the share of tickets resolved on time. Default 20.
	Overdue      float64 `yaml:"overdue"`      // 超期: points lost per ticket left overdue. Default 10.
	Satisfaction float64 `yaml:"satisfaction"` // 满意度: residents' answers. Default 20.
	Records      float64 `yaml:"records"`      // 活户籍: records updated against targets.records. Default 10.
}

// of returns the weight of indicator i.
func (w Weights) of(i Indicator) float64 {
	switch i {
	case Visits:
		return w.Visits
	case Events:
		return w.Events
	case OnTime:
		return w.OnTime
	case Overdue:
		return w.Overdue
	case Satisfaction:
		return w.Satisfaction
	case Records:
		return w.Records
	}
	return 0
}

// Targets are the monthly figures behind the count indicators. A quarter
// or a year is scored month by month (see Scorer.Combine), so these stay
// monthly whatever the period.
type Targets struct {
	// VisitsPerMonth is the fewest visits a worker owes in a month, the
	// field reports' "每月至少走访居民15家": the norm is the register's
	// due visits or this, whichever is more. 0 = the register's alone.
	// Default 15.
	VisitsPerMonth int `yaml:"visits_per_month"`
	// Events is how many events (信息上报: hazards, disputes, changes
	// found on rounds) a month earns full points. Must be at least 1
	// while weights.events is set. Default 4 (about one a week); the
	// reports warn against hard quotas, hence its small default weight.
	Events int `yaml:"events"`
	// Records is how many residents' records (活户籍: moved in or out,
	// deceased, phone, living arrangement) updated in a month earn full
	// points. Must be at least 1 while weights.records is set. Default 4.
	Records int `yaml:"records"`
	// OverduePenalty is the points of the overdue indicator (out of 100)
	// each ticket left overdue costs, down to 0. Must be more than 0 while
	// weights.overdue is set. Default 20: five overdue tickets in a month
	// empty it.
	OverduePenalty float64 `yaml:"overdue_penalty"`
}

// SatisfactionConfig is what a resident's answer is worth, as a share of
// the satisfaction indicator's points. How residents are asked (three
// levels or 1–5) is the ticket desk's tickets.rating_scale; the answers
// arrive here as levels either way.
type SatisfactionConfig struct {
	// Satisfied is what a 满意 is worth, 0–1. Default 1.
	Satisfied float64 `yaml:"satisfied"`
	// BasicSatisfied is what a 基本满意 is worth, 0–1, at most Satisfied.
	// Default 0.6.
	BasicSatisfied float64 `yaml:"basically_satisfied"`
	// Dissatisfied is what a 不满意 is worth, 0–1, at most
	// BasicSatisfied. Default 0.
	Dissatisfied float64 `yaml:"dissatisfied"`
}

// value returns what an answer at level l is worth.
func (s SatisfactionConfig) value(l Level) float64 {
	switch l {
	case Satisfied:
		return s.Satisfied
	case BasicSatisfied:
		return s.BasicSatisfied
	}
	return s.Dissatisfied
}

// Grade is a band of scores: Min and up (to the next better grade's Min)
// earn it. Name is its key in code, config and the API (excellent); Label
// is what people read (优秀).
type Grade struct {
	Name  string  `yaml:"name"`
	Label string  `yaml:"label"`
	Min   float64 `yaml:"min"`
}

// The default grades' names.
const (
	Excellent = "excellent" // 优秀
	Pass      = "pass"      // 合格
	Fail      = "fail"      // 不合格
)

// DefaultConfig returns the defaults: weights visits 30, events 10,
// on_time 20, overdue 10, satisfaction 20, records 10; targets 15 visits,
// 4 events and 4 records a month, 20 points per overdue ticket;
// satisfaction on the three-level scale worth 1, 0.6 and 0; grades 优秀
// from 90, 合格 from 60, 不合格 below. Each call returns a fresh copy.
func DefaultConfig() Config {
	return Config{
		Weights: Weights{Visits: 30, Events: 10, OnTime: 20, Overdue: 10, Satisfaction: 20, Records: 10},
		Targets: Targets{VisitsPerMonth: 15, Events: 4, Records: 4, OverduePenalty: 20},
		Satisfaction: SatisfactionConfig{
			Satisfied: 1, BasicSatisfied: 0.6, Dissatisfied: 0,
		},
		Grades: []Grade{
			{Name: Excellent, Label: "优秀", Min: 90},
			{Name: Pass, Label: "合格", Min: 60},
			{Name: Fail, Label: "不合格", Min: 0},
		},
	}
}

// Validate reports every problem in c at once, each naming its key under
// the assessment section (weights.visits, grades[1].min …) in words an
// operator can act on.
func (c Config) Validate() error {
	var errs []error
	sum := 0.0
	var parts []string
	for _, i := range Indicators {
		w := c.Weights.of(i)
		if w < 0 || w > 100 {
			errs = append(errs, fmt.Errorf("weights.%s: %g: want 0–100", i, w))
		}
		sum += w
		parts = append(parts, fmt.Sprintf("%s %g", i, w))
	}
	if !near(sum, 100) {
		errs = append(errs, fmt.Errorf("weights: %s sum to %g: want 100", strings.Join(parts, " + "), sum))
	}
	t := c.Targets
	if t.VisitsPerMonth < 0 {
		errs = append(errs, fmt.Errorf("targets.visits_per_month: %d: want 0 or more", t.VisitsPerMonth))
	}
	if t.Events < 0 || (t.Events == 0 && c.Weights.Events > 0) {
		errs = append(errs, fmt.Errorf("targets.events: %d: want at least 1 while weights.events is %g", t.Events, c.Weights.Events))
	}
	if t.Records < 0 || (t.Records == 0 && c.Weights.Records > 0) {
		errs = append(errs, fmt.Errorf("targets.records: %d: want at least 1 while weights.records is %g", t.Records, c.Weights.Records))
	}
	if t.OverduePenalty < 0 || t.OverduePenalty > 100 || (t.OverduePenalty == 0 && c.Weights.Overdue > 0) {
		errs = append(errs, fmt.Errorf("targets.overdue_penalty: %g: want more than 0 and at most 100 while weights.overdue is %g", t.OverduePenalty, c.Weights.Overdue))
	}
	errs = append(errs, c.Satisfaction.validate(), validateGrades(c.Grades))
	return errors.Join(errs...)
}

func (s SatisfactionConfig) validate() error {
	var errs []error
	for _, l := range Levels {
		if v := s.value(l); v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("satisfaction.%s: %g: want 0–1 (the share of the indicator's points an answer earns)", l, v))
		}
	}
	if s.BasicSatisfied > s.Satisfied {
		errs = append(errs, fmt.Errorf("satisfaction.basically_satisfied: %g is worth more than satisfied %g", s.BasicSatisfied, s.Satisfied))
	}
	if s.Dissatisfied > s.BasicSatisfied {
		errs = append(errs, fmt.Errorf("satisfaction.dissatisfied: %g is worth more than basically_satisfied %g", s.Dissatisfied, s.BasicSatisfied))
	}
	return errors.Join(errs...)
}

func validateGrades(gs []Grade) error {
	if len(gs) < 2 {
		return fmt.Errorf("grades: %d given: want at least two, best first, the last with min 0", len(gs))
	}
	var errs []error
	names, labels := map[string]int{}, map[string]int{}
	for i, g := range gs {
		key := fmt.Sprintf("grades[%d]", i)
		if g.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: empty: want a key such as excellent", key))
		} else if j, dup := names[g.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q is grades[%d]'s too", key, g.Name, j))
		} else {
			names[g.Name] = i
		}
		if g.Label == "" {
			errs = append(errs, fmt.Errorf("%s.label: empty: want what people read, such as 优秀", key))
		} else if j, dup := labels[g.Label]; dup {
			errs = append(errs, fmt.Errorf("%s.label: %q is grades[%d]'s too", key, g.Label, j))
		} else {
			labels[g.Label] = i
		}
		if g.Min < 0 || g.Min > 100 {
			errs = append(errs, fmt.Errorf("%s.min: %g: want 0–100", key, g.Min))
		}
		if i > 0 && g.Min >= gs[i-1].Min {
			errs = append(errs, fmt.Errorf("%s.min: %g: want less than grades[%d].min %g (best grade first)", key, g.Min, i-1, gs[i-1].Min))
		}
	}
	if last := gs[len(gs)-1]; last.Min != 0 {
		errs = append(errs, fmt.Errorf("grades[%d].min: %g: the last grade must start at 0 so that every score has a grade", len(gs)-1, last.Min))
	}
	return errors.Join(errs...)
}

// near reports whether a and b are equal up to decimal fractions' binary
// rounding (weights such as 33.3 + 33.3 + 33.4).
func near(a, b float64) bool {
	d := a - b
	return d < 1e-6 && d > -1e-6
}
