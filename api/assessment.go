package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// Assessor makes a period's 考核 report for the scores keep admits
// (assessment.Scorer.Report over the store's monthly figures).
type Assessor interface {
	Report(ctx context.Context, p assessment.Period, level population.Level, now time.Time, keep func(assessment.Score) bool) (assessment.Report, error)
}

// AssessmentReport is GET /api/v1/assessment's answer.
type AssessmentReport struct {
	Period      string            `json:"period"`
	PeriodLabel string            `json:"period_label"`
	Level       string            `json:"level"`
	Groups      []AssessmentGroup `json:"groups"`
}

// AssessmentGroup is one grid's, community's or street's score sheet.
type AssessmentGroup struct {
	Code    string            `json:"code"`
	Name    string            `json:"name"`
	Rank    int               `json:"rank"`
	Average float64           `json:"average"`
	Grades  []GradeCount      `json:"grades"`
	Workers []AssessmentScore `json:"workers"`
}

// GradeCount is how many of a unit's workers earned a grade.
type GradeCount struct {
	Grade string `json:"grade"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// AssessmentScore is one worker's score, rank and breakdown. Worker names
// are public under 挂牌服务 and shown in clear.
type AssessmentScore struct {
	Rank   int     `json:"rank"`
	Worker string  `json:"worker"`
	Name   string  `json:"name"`
	Grid   string  `json:"grid"`
	Points float64 `json:"points"`
	Grade  string  `json:"grade"`
	// Change and RankChange compare with the period before; absent for a
	// worker new in post.
	Change     *float64         `json:"change,omitempty"`
	RankChange *int             `json:"rank_change,omitempty"`
	Lines      []AssessmentLine `json:"lines"`
}

// AssessmentLine is one indicator of a score.
type AssessmentLine struct {
	Indicator string  `json:"indicator"`
	Label     string  `json:"label"`
	Excluded  bool    `json:"excluded"`
	Share     float64 `json:"share"`
	Points    float64 `json:"points"`
	Text      string  `json:"text"`
}

func (s *server) mountAssessment(v1 mountFunc) {
	if s.cfg.Assessor != nil {
		v1("GET /api/v1/assessment", s.assessment)
	}
}

// assessment serves GET /api/v1/assessment?period=2026-11&by=street: the
// workers of the caller's scope scored, graded and ranked within each
// unit at by (grid, community or street; default street), with the
// change since the period before. format=xlsx answers the score sheet
// for printing, recorded on the audit log as an export.
func (s *server) assessment(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.cfg.Now()
	p := assessment.MonthOf(now)
	if v := q.Get("period"); v != "" {
		var err error
		if p, err = assessment.ParsePeriod(v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	level := population.LevelStreet
	switch q.Get("by") {
	case "", "street":
	case "community":
		level = population.LevelCommunity
	case "grid":
		level = population.LevelGrid
	default:
		s.writeError(w, r, badRequest("by %q: want grid, community or street", "排名范围 %q 无效：可选 grid、community、street", q.Get("by")))
		return
	}
	scope := scopeOf(r)
	rep, err := s.cfg.Assessor.Report(r.Context(), p, level, now, func(sc assessment.Score) bool { return scope.Covers(sc.Grid.Code) })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch q.Get("format") {
	case "", "json":
	case "xlsx":
		if err := s.record(r, "", audit.ActionExport, "assessment:"+p.String(), "", fmt.Sprintf(`{"by":%q}`, level)); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="kaohe-%s.xlsx"`, p))
		if err := rep.Sheet().WriteXLSX(w); err != nil {
			s.cfg.Log.ErrorContext(r.Context(), "assessment_sheet_failed", "err", err)
		}
		return
	default:
		s.writeError(w, r, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("format %q: want json or xlsx", q.Get("format")),
			fmt.Sprintf("格式 %q 无效：可选 json 或 xlsx", q.Get("format")), nil))
		return
	}
	writeJSON(w, http.StatusOK, reportToAPI(rep))
}

func reportToAPI(rep assessment.Report) AssessmentReport {
	out := AssessmentReport{Period: rep.Period.String(), PeriodLabel: rep.Period.Label(), Level: string(rep.Level), Groups: []AssessmentGroup{}}
	for _, g := range rep.Groups {
		ag := AssessmentGroup{Code: g.Unit.Code, Name: g.Unit.Name, Rank: g.Rank, Average: g.Average, Workers: []AssessmentScore{}}
		for _, c := range g.Grades {
			ag.Grades = append(ag.Grades, GradeCount{Grade: c.Grade.Name, Label: c.Grade.Label, Count: c.Count})
		}
		for _, w := range g.Workers {
			sc := AssessmentScore{Rank: w.Rank, Worker: w.Worker.Code, Name: string(w.Worker.Name), Grid: w.Grid.Code, Points: w.Points, Grade: w.Grade.Label}
			if t, ok := rep.Trends[w.Worker.ID]; ok && t.HasPrev {
				sc.Change, sc.RankChange = &t.Change, &t.RankChange
			}
			for _, l := range w.Lines {
				sc.Lines = append(sc.Lines, AssessmentLine{Indicator: string(l.Indicator), Label: l.Indicator.Label(), Excluded: l.Excluded,
					Share: l.Share, Points: l.Points, Text: l.Say(fault.Chinese)})
			}
			ag.Workers = append(ag.Workers, sc)
		}
		out.Groups = append(out.Groups, ag)
	}
	return out
}
