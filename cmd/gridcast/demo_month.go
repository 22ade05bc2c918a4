package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// runDemoMonth closes the demo with the grid worker's own month: they
// visit the elderly resident whose lift was mended and record it, update
// her living record from what they found, and the street's 考核 table is
// drawn from everything the demo did.
func (a *app) runDemoMonth(ctx context.Context, sv serving, r population.Resident, w population.Worker, out io.Writer) error {
	st := sv.store
	fmt.Fprintln(out, "\n17. The grid worker's month: a visit recorded, a living record updated, and the street's 考核")
	rec, err := a.visitService(st).Record(ctx, visits.Record{WorkerID: w.ID, ResidentID: r.ID, Kind: visits.InPerson,
		Notes: "电梯已修复，老人可自行下楼；血压平稳", VisitedAt: time.Now(), RecordedBy: string(w.Name)})
	if err != nil {
		return fmt.Errorf("demo: visit: %w", err)
	}
	fmt.Fprintf(out, "   %s %s visits resident %d (%s): %s, recorded as visit #%d\n", w.Code, string(w.Name), r.ID, r.Name.Masked(),
		rec.Kind.Label(), rec.ID)
	if _, err := st.RecordChanges(ctx, r.ID, []population.Change{
		{Field: population.FieldSelfCare, After: string(population.SelfCarePartial), By: w.Code, Source: population.SourceField, Note: "走访发现行动不便"},
	}); err != nil {
		return fmt.Errorf("demo: living record: %w", err)
	}
	fmt.Fprintln(out, "   and updates the living record: self-care 半失能 (who, when, before and after kept)")
	reg, err := a.visitService(st).Register(ctx, w, visits.MonthOf(time.Now()))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the register: visits done %d of %d due this month, %d households overdue\n", reg.VisitsDone, reg.VisitsDue(), reg.Overdue)
	scorer, err := assessment.New(a.cfg.Assessment)
	if err != nil {
		return err
	}
	now := time.Now()
	rep, err := scorer.Report(ctx, assessment.MonthOf(now), population.LevelStreet, now, a.assessmentInputs(st, sv.desk.SLA()),
		func(s assessment.Score) bool {
			return s.Street.Code != "" && strings.HasPrefix(w.GridCode, s.Street.Code+"-")
		})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "   as `gridcast assessment --by street` prints it (this month so far):")
	return printReport(out, rep, "   ")
}
