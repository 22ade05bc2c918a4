package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// assessmentInputs reads a month's 考核 figures from st under the
// configuration's visit norms and ticket deadlines.
func (a *app) assessmentInputs(st *store.Store, sla tickets.SLA) assessment.Inputs {
	return func(ctx context.Context, m assessment.Period) ([]assessment.Input, error) {
		return st.AssessmentInputs(ctx, m, a.cfg.Visits, sla.OnTime)
	}
}

// parseLevel reads --by: grid, community or street (or 网格, 社区, 街道).
func parseLevel(s string) (population.Level, error) {
	switch strings.TrimSpace(s) {
	case "grid", "网格":
		return population.LevelGrid, nil
	case "community", "社区":
		return population.LevelCommunity, nil
	case "street", "街道", "":
		return population.LevelStreet, nil
	}
	return "", fault.Refuse(fault.ErrInvalid, fmt.Sprintf("rank by %q: want grid, community or street", s),
		fmt.Sprintf("排名范围 %q 无效：可选 grid（网格）、community（社区）、street（街道）", s), nil)
}

// scoreView is one worker's line of `gridcast assessment --json`.
type scoreView struct {
	Unit       string             `json:"unit"`
	UnitRank   int                `json:"unit_rank"`
	Rank       int                `json:"rank"`
	Worker     string             `json:"worker"`
	Name       string             `json:"name"`
	Points     float64            `json:"points"`
	Grade      string             `json:"grade"`
	Change     *float64           `json:"change,omitempty"`
	RankChange *int               `json:"rank_change,omitempty"`
	Lines      map[string]float64 `json:"lines"`
}

func (a *app) assessmentCommand() *cobra.Command {
	var period, by, xlsx, worker string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "assessment [--period 2026-11|2026-Q4|2026] [--by grid|community|street] [--worker CODE] [--json] [--xlsx FILE]",
		Aliases: []string{"kaohe"},
		Short:   "考核: each grid worker's 100-point score, grade and rank for a month, quarter or year",
		Long: `Scores every grid worker for the period (default: this month so far) on the indicators
and weights of the config's assessment section — visits done against the register's norms,
events reported, tickets resolved on time, tickets overdue, residents' satisfaction
(满意/基本满意/不满意) and living records updated — grades them (优秀 / 合格 / 不合格 by
default), ranks them within each grid, community or street (--by, default street) and shows
the change since the period before. A quarter or a year averages its months so far.
--worker prints one worker's breakdown, indicator by indicator, with the figures behind it;
--xlsx writes the score sheet for printing (查台账). Worker names are shown in clear: they are
public under 挂牌服务.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now := time.Now()
			p := assessment.MonthOf(now)
			if period != "" {
				var err error
				if p, err = assessment.ParsePeriod(period); err != nil {
					return usageError{fmt.Errorf("--period: %w", err)}
				}
			}
			level, err := parseLevel(by)
			if err != nil {
				return usageError{fmt.Errorf("--by: %w", err)}
			}
			scorer, err := assessment.New(a.cfg.Assessment)
			if err != nil {
				return err
			}
			dc, err := a.cfg.deskConfig(a.log)
			if err != nil {
				return err
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := scorer.Report(ctx, p, level, now, a.assessmentInputs(st, dc.Tickets.SLA), nil)
			if err != nil {
				return err
			}
			if worker != "" {
				return a.printBreakdown(rep, worker)
			}
			if xlsx != "" {
				f, err := os.Create(xlsx)
				if err != nil {
					return err
				}
				if err := rep.Sheet().WriteXLSX(f); err != nil {
					_ = f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "wrote the score sheet of %s (%d units) to %s\n", p.Label(), len(rep.Groups), xlsx)
				return nil
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(scoreViews(rep))
			}
			return printReport(a.stdout, rep, "")
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "a month (2026-11), quarter (2026-Q4) or year (2026); default this month")
	cmd.Flags().StringVar(&by, "by", "street", "rank within each grid, community or street")
	cmd.Flags().StringVar(&worker, "worker", "", "print this worker's breakdown (a worker code)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&xlsx, "xlsx", "", "write the score sheet to this Excel file, formatted for printing")
	return cmd
}

func scoreViews(rep assessment.Report) []scoreView {
	out := []scoreView{}
	for _, g := range rep.Groups {
		for _, w := range g.Workers {
			v := scoreView{Unit: g.Unit.Name, UnitRank: g.Rank, Rank: w.Rank, Worker: w.Worker.Code, Name: string(w.Worker.Name),
				Points: w.Points, Grade: w.Grade.Label, Lines: map[string]float64{}}
			if t, ok := rep.Trends[w.Worker.ID]; ok && t.HasPrev {
				v.Change, v.RankChange = &t.Change, &t.RankChange
			}
			for _, l := range w.Lines {
				if !l.Excluded {
					v.Lines[string(l.Indicator)] = l.Points
				}
			}
			out = append(out, v)
		}
	}
	return out
}

// printReport prints rep's units and their workers ranked, each line
// after indent.
func printReport(out io.Writer, rep assessment.Report, indent string) error {
	fmt.Fprintf(out, "%s考核 %s, ranked by %s\n", indent, rep.Period.Label(), rep.Level)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, g := range rep.Groups {
		var grades []string
		for _, c := range g.Grades {
			grades = append(grades, fmt.Sprintf("%s %d", c.Grade.Label, c.Count))
		}
		fmt.Fprintf(tw, "%s%d. %s\taverage %.1f\t%s\t\t\t\n", indent, g.Rank, g.Unit.Name, g.Average, strings.Join(grades, ", "))
		fmt.Fprintf(tw, "%s  RANK\tWORKER\tNAME\tPOINTS\tGRADE\tCHANGE\n", indent)
		for _, w := range g.Workers {
			change := "new"
			if t, ok := rep.Trends[w.Worker.ID]; ok && t.HasPrev {
				change = fmt.Sprintf("%+.1f", t.Change)
			}
			fmt.Fprintf(tw, "%s  %d\t%s\t%s\t%.1f\t%s\t%s\n", indent, w.Rank, w.Worker.Code, string(w.Worker.Name), w.Points, w.Grade.Label, change)
		}
	}
	return tw.Flush()
}

func (a *app) printBreakdown(rep assessment.Report, code string) error {
	for _, g := range rep.Groups {
		for _, w := range g.Workers {
			if !strings.EqualFold(w.Worker.Code, code) {
				continue
			}
			fmt.Fprintf(a.stdout, "%s %s, %s: %.1f points, %s, rank %d in %s\n", w.Worker.Code, string(w.Worker.Name), rep.Period.Label(),
				w.Points, w.Grade.Label, w.Rank, g.Unit.Name)
			for _, l := range w.Lines {
				fmt.Fprintln(a.stdout, "  "+l.Say(fault.Chinese))
			}
			return nil
		}
	}
	return usageError{fmt.Errorf("--worker %s: no grid worker of that code was scored for %s", code, rep.Period)}
}
