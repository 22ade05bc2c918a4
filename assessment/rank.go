package assessment

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// Ranked is a score with its place among the scores of its unit.
type Ranked struct {
	Score
	// Rank is 1 for the best; equal points share a rank and the next rank
	// skips as many places (1, 1, 3).
	Rank int
}

// GradeCount is how many workers earned a grade.
type GradeCount struct {
	Grade Grade
	Count int
}

// Group is one grid's, community's or street's score sheet: its workers
// ranked, and its roll-up.
type Group struct {
	Level population.Level // grid, community or street
	Unit  Unit
	// Workers are the unit's scores best first; ties in worker code order.
	Workers []Ranked
	// Average is the workers' mean points, one decimal.
	Average float64
	// Grades counts the workers per configured grade, best first, every
	// grade listed (0 when none).
	Grades []GradeCount
	// Rank is the unit's place among the groups ranked together by
	// Average (communities of a street, say), ties shared as for workers.
	Rank int
}

// unitAt returns the score's unit at level.
func (s Score) unitAt(level population.Level) Unit {
	switch level {
	case population.LevelGrid:
		return s.Grid
	case population.LevelCommunity:
		return s.Community
	}
	return s.Street
}

// checkLevel refuses a level other than grid, community or street.
func checkLevel(level population.Level) error {
	switch level {
	case population.LevelGrid, population.LevelCommunity, population.LevelStreet:
		return nil
	}
	return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("rank by %q: want grid, community or street", string(level)),
		fmt.Sprintf("排名范围“%s”无效，应为网格、社区或街道", string(level)), nil)
}

// Rank groups scores (of one period) by their unit at level — grid,
// community or street — and ranks the workers within each unit and the
// units by their average. Groups come best first, ties in unit code order.
// A score whose unit at level has no code is grouped under the empty
// code. Ranking by any other level is refused (fault.ErrInvalid).
func (s *Scorer) Rank(scores []Score, level population.Level) ([]Group, error) {
	if err := checkLevel(level); err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	byUnit := map[string]*Group{}
	var order []string
	for _, sc := range scores {
		u := sc.unitAt(level)
		g := byUnit[u.Code]
		if g == nil {
			g = &Group{Level: level, Unit: u}
			byUnit[u.Code] = g
			order = append(order, u.Code)
		} else if g.Unit.Name == "" {
			g.Unit.Name = u.Name
		}
		g.Workers = append(g.Workers, Ranked{Score: sc})
	}
	groups := make([]Group, 0, len(order))
	for _, code := range order {
		g := byUnit[code]
		rankWorkers(g.Workers)
		sum := 0.0
		counts := map[string]int{}
		for _, w := range g.Workers {
			sum += w.Points
			counts[w.Grade.Name]++
		}
		g.Average = round1(sum / float64(len(g.Workers)))
		for _, gr := range s.cfg.Grades {
			g.Grades = append(g.Grades, GradeCount{Grade: gr, Count: counts[gr.Name]})
		}
		groups = append(groups, *g)
	}
	slices.SortFunc(groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(tenths(b.Average), tenths(a.Average)), cmp.Compare(a.Unit.Code, b.Unit.Code))
	})
	for k := range groups {
		groups[k].Rank = k + 1
		if k > 0 && tenths(groups[k].Average) == tenths(groups[k-1].Average) {
			groups[k].Rank = groups[k-1].Rank
		}
	}
	return groups, nil
}

// rankWorkers sorts rs best first (ties by worker code, then id) and sets
// their ranks, equal points sharing one.
func rankWorkers(rs []Ranked) {
	slices.SortFunc(rs, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(tenths(b.Points), tenths(a.Points)),
			cmp.Compare(a.Worker.Code, b.Worker.Code), cmp.Compare(a.Worker.ID, b.Worker.ID))
	})
	for k := range rs {
		rs[k].Rank = k + 1
		if k > 0 && tenths(rs[k].Points) == tenths(rs[k-1].Points) {
			rs[k].Rank = rs[k-1].Rank
		}
	}
}

// tenths is points in tenths, so that scores compare as they are shown.
func tenths(points float64) int64 { return int64(math.Round(points * 10)) }

// Trend is a worker's score and rank against the previous period's, within
// their unit at one level.
type Trend struct {
	Ranked
	Level population.Level
	// HasPrev is false for a worker with no score the period before (new
	// in post); the Prev fields and changes are zero then.
	HasPrev bool
	// Prev is the previous period's score and rank, within the unit the
	// worker was in then.
	Prev Ranked
	// Change is Points less Prev.Points, one decimal: positive is better.
	Change float64
	// RankChange is Prev.Rank less Rank: positive moved up the ranking.
	RankChange int
	// Moved is set when the worker's unit at Level changed between the
	// periods, so that the ranks compare different units.
	Moved bool
}

// Trends compares cur, one period's scores, with prev, the previous
// period's (Period.Prev), ranking each within its units at level as Rank
// does and matching workers by id. Trends come in Rank's order: units by
// average, workers by rank.
func (s *Scorer) Trends(cur, prev []Score, level population.Level) ([]Trend, error) {
	now, err := s.Rank(cur, level)
	if err != nil {
		return nil, err
	}
	before, err := s.Rank(prev, level)
	if err != nil {
		return nil, err
	}
	was := map[int64]Ranked{}
	for _, g := range before {
		for _, r := range g.Workers {
			was[r.Worker.ID] = r
		}
	}
	var out []Trend
	for _, g := range now {
		for _, r := range g.Workers {
			t := Trend{Ranked: r, Level: level}
			if p, ok := was[r.Worker.ID]; ok {
				t.HasPrev, t.Prev = true, p
				t.Change = round1(r.Points - p.Points)
				t.RankChange = p.Rank - r.Rank
				t.Moved = p.unitAt(level).Code != r.unitAt(level).Code
			}
			out = append(out, t)
		}
	}
	return out, nil
}
