package assessment

import (
	"context"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/sheet"
)

// Report is a period's 考核 as a street official reads it: the workers
// ranked within each unit at one level, the units' roll-ups, and each
// worker's change since the period before.
type Report struct {
	Period Period
	Level  population.Level // grid, community or street
	Groups []Group
	// Trends holds each worker's change since the previous period, by
	// worker id.
	Trends map[int64]Trend
}

// Report assesses p (Assess) and the period before it for the scores keep
// admits (a caller's scope; nil keeps all), ranks them within their units
// at level, and compares each worker with the period before.
func (s *Scorer) Report(ctx context.Context, p Period, level population.Level, now time.Time, inputs Inputs, keep func(Score) bool) (Report, error) {
	if err := checkLevel(level); err != nil {
		return Report{}, err
	}
	cur, err := s.Assess(ctx, p, now, inputs)
	if err != nil {
		return Report{}, err
	}
	prev, err := s.Assess(ctx, p.Prev(), now, inputs)
	if err != nil {
		return Report{}, err
	}
	cur, prev = kept(cur, keep), kept(prev, keep)
	groups, err := s.Rank(cur, level)
	if err != nil {
		return Report{}, err
	}
	trends, err := s.Trends(cur, prev, level)
	if err != nil {
		return Report{}, err
	}
	out := Report{Period: p, Level: level, Groups: groups, Trends: make(map[int64]Trend, len(trends))}
	for _, t := range trends {
		out.Trends[t.Worker.ID] = t
	}
	return out, nil
}

func kept(ss []Score, keep func(Score) bool) []Score {
	if keep == nil {
		return ss
	}
	out := ss[:0:0]
	for _, s := range ss {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// Sheet is the report as a score sheet for 查台账, one row per worker in
// the report's order: the unit and its rank, the worker's rank within it,
// code and name (worker names are public under 挂牌服务), points, grade,
// the change since the period before, and each indicator's points.
// Formatted for printing: landscape, one page wide, the header on every
// page.
func (r Report) Sheet() sheet.Sheet {
	cols := []sheet.Column{{Header: "单位", Width: 16}, {Header: "单位排名", Width: 8}, {Header: "排名", Width: 6},
		{Header: "工号", Width: 10, Text: true}, {Header: "姓名", Width: 10}, {Header: "得分", Width: 8}, {Header: "等级", Width: 8},
		{Header: "较上期", Width: 8}}
	for _, i := range Indicators {
		cols = append(cols, sheet.Column{Header: i.Label(), Width: 11})
	}
	var rows [][]any
	for _, g := range r.Groups {
		for _, w := range g.Workers {
			change := "—"
			if t, ok := r.Trends[w.Worker.ID]; ok && t.HasPrev {
				change = fmt.Sprintf("%+.1f", t.Change)
			}
			row := []any{g.Unit.Name, g.Rank, w.Rank, w.Worker.Code, string(w.Worker.Name), w.Points, w.Grade.Label, change}
			for _, i := range Indicators {
				if l, ok := w.Line(i); ok && !l.Excluded {
					row = append(row, l.Points)
				} else {
					row = append(row, "不计")
				}
			}
			rows = append(rows, row)
		}
	}
	return sheet.Sheet{Name: "考核", Title: fmt.Sprintf("网格员考核 %s（按%s排名）", r.Period.Label(), levelLabel(r.Level)),
		Columns: cols, Rows: rows, Print: true}
}

func levelLabel(l population.Level) string {
	switch l {
	case population.LevelGrid:
		return "网格"
	case population.LevelCommunity:
		return "社区"
	}
	return "街道"
}

// Assessor binds a Scorer to the figures it reads, for callers that ask
// for reports without holding either (the API).
type Assessor struct {
	Scorer *Scorer
	Inputs Inputs
}

// Report is Scorer.Report over a.Inputs.
func (a Assessor) Report(ctx context.Context, p Period, level population.Level, now time.Time, keep func(Score) bool) (Report, error) {
	return a.Scorer.Report(ctx, p, level, now, a.Inputs, keep)
}
