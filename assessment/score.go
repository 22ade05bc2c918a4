package assessment

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// Worker is who is scored. ID is the store's worker id and identifies the
// worker across periods; Code is the staff number people see. Name prints
// masked in logs (pii.Name).
type Worker struct {
	ID   int64
	Code string
	Name pii.Name
}

// Unit is a grid, community or street as a score sheet names it: its code
// (population.Grid.Code) and name.
type Unit struct {
	Code, Name string
}

// Input is what a worker did in one month, the figures a store counts for
// [Period.Start, Period.End). Every count is zero or more.
type Input struct {
	Period Period // a month
	Worker Worker
	// Grid, Community and Street are the worker's grid and the chain above
	// it in that month; rankings and roll-ups group by their codes.
	Grid, Community, Street Unit
	// VisitsDone are the register's visits recorded as done in person or
	// by phone in the month (a "not at home" attempt is not a visit done).
	VisitsDone int
	// VisitsDue are the visits the register's norms asked for in the
	// month (五必访 households, elderly living alone …); the indicator's
	// norm is this or targets.visits_per_month, whichever is more.
	VisitsDue int
	// EventsReported are events the worker reported (信息上报) in the month.
	EventsReported int
	// TicketsResolved are the worker's tickets resolved in the month;
	// TicketsOnTime those of them resolved within their deadline.
	TicketsResolved, TicketsOnTime int
	// Overdue are the worker's tickets still open past their deadline at
	// the month's end.
	Overdue int
	// Answers are residents' satisfaction answers about the worker given
	// in the month (ticket ratings, 网格长入户测评).
	Answers Answers
	// RecordsUpdated are residents' records (活户籍) the worker changed in
	// the month.
	RecordsUpdated int
}

// Validate refuses an input that cannot be scored: not a month, no worker,
// a negative count, more tickets on time than resolved. The error wraps
// fault.ErrInvalid and names the worker and the figure.
func (in Input) Validate() error {
	who := fmt.Sprintf("worker %d (%s) %s", in.Worker.ID, in.Worker.Code, in.Period)
	var errs []error
	if err := in.Period.check(); err != nil {
		errs = append(errs, err)
	} else if in.Period.Kind != Month {
		errs = append(errs, fmt.Errorf("%s: want a month's figures, not a %s's", who, in.Period.Kind))
	}
	if in.Worker.ID <= 0 {
		errs = append(errs, fmt.Errorf("%s: no worker id", who))
	}
	for _, f := range []struct {
		name string
		n    int
	}{
		{"visits done", in.VisitsDone}, {"visits due", in.VisitsDue}, {"events reported", in.EventsReported},
		{"tickets resolved", in.TicketsResolved}, {"tickets on time", in.TicketsOnTime}, {"overdue tickets", in.Overdue},
		{"satisfied answers", in.Answers.Satisfied}, {"basically satisfied answers", in.Answers.BasicSatisfied},
		{"dissatisfied answers", in.Answers.Dissatisfied}, {"records updated", in.RecordsUpdated},
	} {
		if f.n < 0 {
			errs = append(errs, fmt.Errorf("%s: %s %d: want 0 or more", who, f.name, f.n))
		}
	}
	if in.TicketsOnTime > in.TicketsResolved {
		errs = append(errs, fmt.Errorf("%s: %d tickets on time of %d resolved: on time cannot exceed resolved", who, in.TicketsOnTime, in.TicketsResolved))
	}
	if err := errors.Join(errs...); err != nil {
		return fault.Refuse(fault.ErrInvalid, "these figures cannot be scored", "考核数据有误，无法评分", nil).Because(err, true)
	}
	return nil
}

// Score is a worker's assessment for a period: the points out of 100 (one
// decimal), the grade, and the lines that make the points up. A quarter's
// or a year's Score also keeps the months it averages.
type Score struct {
	Period Period
	Worker Worker
	// Grid, Community and Street are where the worker is scored: for a
	// quarter or a year, those of the latest month.
	Grid, Community, Street Unit
	Points                  float64
	Grade                   Grade
	// Lines are the indicators in Indicators order.
	Lines []Line
	// Months are the monthly scores a quarter or a year averages, in
	// order; nil for a month.
	Months []Score
}

// Line returns the score's line for indicator i.
func (s Score) Line(i Indicator) (Line, bool) {
	for _, l := range s.Lines {
		if l.Indicator == i {
			return l, true
		}
	}
	return Line{}, false
}

// Scorer scores workers with a validated Config. It keeps no state and is
// safe for concurrent use.
type Scorer struct {
	cfg Config
}

// New returns a Scorer for cfg, or cfg's problems (Config.Validate).
func New(cfg Config) (*Scorer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	cfg.Grades = slices.Clone(cfg.Grades)
	return &Scorer{cfg: cfg}, nil
}

// Config returns the configuration the scorer was built with.
func (s *Scorer) Config() Config {
	c := s.cfg
	c.Grades = slices.Clone(c.Grades)
	return c
}

// GradeOf returns the grade points earn: the first (best) grade whose Min
// they reach. Points are compared as rounded to one decimal, so 89.95
// (shown as 90.0) is 优秀.
func (s *Scorer) GradeOf(points float64) Grade {
	p := round1(points)
	for _, g := range s.cfg.Grades {
		if p >= g.Min-1e-9 {
			return g
		}
	}
	return s.cfg.Grades[len(s.cfg.Grades)-1]
}

// Grades returns the configured grades, best first.
func (s *Scorer) Grades() []Grade { return slices.Clone(s.cfg.Grades) }

// Month scores one worker's month: each indicator's points from the
// figures, the lines with nothing to measure excluded and their weight
// shared out among the rest in proportion, the score the sum of points ×
// share / 100 rounded to one decimal, and its grade. A month with every
// weighted line excluded scores 0. A bad input is refused (see
// Input.Validate).
func (s *Scorer) Month(in Input) (Score, error) {
	if err := in.Validate(); err != nil {
		return Score{}, fmt.Errorf("assessment: %w", err)
	}
	sc := Score{Period: in.Period, Worker: in.Worker, Grid: in.Grid, Community: in.Community, Street: in.Street}
	counted := 0.0
	for _, i := range Indicators {
		l := s.cfg.points(i, in)
		if !l.Excluded {
			counted += l.Weight
			if l.Weight > 0 {
				l.Months = 1
			}
		}
		sc.Lines = append(sc.Lines, l)
	}
	total := 0.0
	for k := range sc.Lines {
		l := &sc.Lines[k]
		if l.Excluded || counted == 0 {
			continue
		}
		l.Share = l.Weight * 100 / counted
		l.Contribution = l.Points * l.Share / 100
		total += l.Contribution
	}
	sc.Points = round1(total)
	sc.Grade = s.GradeOf(sc.Points)
	return sc, nil
}

// Combine scores a quarter or a year from one worker's monthly scores:
// the points are the average of the months' points (as shown, one
// decimal), rounded to one decimal, so the quarter never disagrees with
// what each month told the worker. Only the months given count: a store
// gives a month (zero figures if need be) for every month the worker was
// in post, so an idle month scores low instead of vanishing, and a
// period still running averages the months so far. Months must be p's,
// of one worker, each once.
func (s *Scorer) Combine(p Period, months []Score) (Score, error) {
	if err := p.check(); err != nil {
		return Score{}, fmt.Errorf("assessment: %w", err)
	}
	if len(months) == 0 {
		return Score{}, fmt.Errorf("assessment: %s: %w", p, fault.Refuse(fault.ErrInvalid,
			"no month to score", "没有可汇总的月度考核", nil))
	}
	ms := slices.Clone(months)
	slices.SortFunc(ms, func(a, b Score) int { return a.Period.Start().Compare(b.Period.Start()) })
	var errs []error
	for k, m := range ms {
		switch {
		case !p.Covers(m.Period):
			errs = append(errs, fmt.Errorf("worker %d: %s is not a month of %s", m.Worker.ID, m.Period, p))
		case m.Worker.ID != ms[0].Worker.ID:
			errs = append(errs, fmt.Errorf("%s: worker %d among worker %d's months", m.Period, m.Worker.ID, ms[0].Worker.ID))
		case k > 0 && m.Period == ms[k-1].Period:
			errs = append(errs, fmt.Errorf("worker %d: %s given twice", m.Worker.ID, m.Period))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Score{}, fmt.Errorf("assessment: %w", fault.Refuse(fault.ErrInvalid,
			"these monthly scores cannot make one period's", "月度考核无法汇总", nil).Because(err, true))
	}
	last := ms[len(ms)-1]
	sc := Score{Period: p, Worker: last.Worker, Grid: last.Grid, Community: last.Community, Street: last.Street, Months: ms}
	sum := 0.0
	for _, m := range ms {
		sum += m.Points
	}
	sc.Points = round1(sum / float64(len(ms)))
	sc.Grade = s.GradeOf(sc.Points)
	for _, i := range Indicators {
		l := Line{Indicator: i, Weight: s.cfg.Weights.of(i)}
		for _, m := range ms {
			ml, _ := m.Line(i)
			l.Count += ml.Count
			l.Base += ml.Base
			l.Answers = l.Answers.plus(ml.Answers)
			l.Share += ml.Share / float64(len(ms))
			l.Contribution += ml.Contribution / float64(len(ms))
			if !ml.Excluded {
				l.Points += ml.Points
				l.Months++
			}
		}
		if l.Months == 0 {
			l.Excluded = true
		} else {
			l.Points = round1(l.Points / float64(l.Months))
		}
		if l.Weight == 0 {
			l.Months = 0
		}
		sc.Lines = append(sc.Lines, l)
	}
	return sc, nil
}

// Scores scores every worker for p from monthly inputs: for a month, each
// input; for a quarter or a year, each worker's months of p combined
// (Combine). Inputs must all be months of p, each worker's month once; all
// their problems are reported together and nothing is scored then. The
// scores come in worker id order.
func (s *Scorer) Scores(p Period, inputs []Input) ([]Score, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	var errs []error
	byWorker := map[int64][]Score{}
	seen := map[[2]int64]bool{}
	for _, in := range inputs {
		if err := in.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if !p.Covers(in.Period) {
			errs = append(errs, fmt.Errorf("worker %d: %s is not a month of %s", in.Worker.ID, in.Period, p))
			continue
		}
		k := [2]int64{in.Worker.ID, int64(in.Period.Year*100 + in.Period.N)}
		if seen[k] {
			errs = append(errs, fmt.Errorf("worker %d: %s given twice", in.Worker.ID, in.Period))
			continue
		}
		seen[k] = true
		m, err := s.Month(in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byWorker[in.Worker.ID] = append(byWorker[in.Worker.ID], m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("assessment: %s: %w", p, err)
	}
	ids := make([]int64, 0, len(byWorker))
	for id := range byWorker {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Score, 0, len(ids))
	for _, id := range ids {
		ms := byWorker[id]
		if p.Kind == Month {
			out = append(out, ms[0])
			continue
		}
		sc, err := s.Combine(p, ms)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// round1 rounds x to one decimal, halves away from zero. The nudge keeps
// a half that binary fractions store a hair low (89.95 as 89.9499…) from
// rounding down.
func round1(x float64) float64 {
	return math.Round(x*10+math.Copysign(1e-7, x)) / 10
}
