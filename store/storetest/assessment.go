package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// AssessmentStore gives 考核 a worker's month: the register's visits, the
// events they reported, their tickets and residents' ratings.
type AssessmentStore interface {
	AssessmentInputs(ctx context.Context, month assessment.Period, norms visits.Config, onTime func(tickets.Ticket) bool) ([]assessment.Input, error)
}

// A worker's March: the tickets created in the month and assigned to them
// counted as `tickets stats` counts them — resolved, on time by the given
// rule, still open past their deadline at the month's end, rated — the
// events they reported in the month, and nothing of February's or April's.
func testAssessmentInputs(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	other, err := st.WorkerByCode(ctx, "W102")
	if err != nil {
		t.Fatal(err)
	}
	march := assessment.Period{Kind: assessment.Month, Year: 2026, N: 3}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, t0.Location()) }
	put := func(worker int64, created, due time.Time, status tickets.Status, resolved time.Time, rating int, merged int64) {
		t.Helper()
		tk := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Channel: population.ChannelSMS, Text: "楼道灯坏了",
			Category: tickets.CategoryProperty, AssigneeWorkerID: worker, Status: status, Level: tickets.LevelGridWorker,
			DueAt: due, CreatedAt: created, UpdatedAt: created, ResolvedAt: resolved, Rating: rating, MergedInto: merged}
		ev := tickets.Event{At: created, Actor: tickets.ActorSystem, Kind: tickets.EventCreated, To: string(tk.Category)}
		if err := st.CreateTicket(ctx, &tk, ev); err != nil {
			t.Fatalf("CreateTicket: %v", err)
		}
	}
	var none time.Time
	put(w.ID, day(2), day(5), tickets.StatusClosed, day(3), 5, 0)                                               // on time, 满意
	put(w.ID, day(2), day(3), tickets.StatusResolved, day(4), 3, 0)                                             // late, 基本满意
	put(w.ID, day(10), day(11), tickets.StatusInProgress, none, 0, 0)                                           // open past its deadline
	put(w.ID, day(30), time.Date(2026, 4, 30, 0, 0, 0, 0, t0.Location()), tickets.StatusAssigned, none, 0, 0)   // due in April
	put(w.ID, day(20), day(21), tickets.StatusResolved, time.Date(2026, 4, 2, 0, 0, 0, 0, t0.Location()), 0, 0) // resolved late, in April
	put(w.ID, day(1).AddDate(0, -1, 0), day(1), tickets.StatusInProgress, none, 0, 0)                           // February's
	put(w.ID, day(3), day(4), tickets.StatusClosed, none, 0, 1)                                                 // a merged duplicate
	put(other.ID, day(6), day(9), tickets.StatusClosed, day(7), 1, 0)                                           // W102's, on time, 不满意
	report := func(worker int64, at time.Time) {
		t.Helper()
		tk := tickets.Ticket{GridCode: "NY-01-01-01", Text: "消防通道被杂物堵塞", Category: tickets.CategorySafety, Status: tickets.StatusNew,
			Level: tickets.LevelGridWorker, Source: tickets.SourcePatrol, Reporter: "王芳", ReporterWorkerID: worker, DueAt: at.Add(72 * time.Hour),
			CreatedAt: at, UpdatedAt: at}
		ev := tickets.Event{At: at, Actor: "王芳", Kind: tickets.EventCreated, To: string(tk.Category)}
		if err := st.ReportEvent(ctx, &tk, ev, nil, nil); err != nil {
			t.Fatalf("ReportEvent: %v", err)
		}
	}
	report(w.ID, day(8))
	report(w.ID, day(9))
	report(w.ID, time.Date(2026, 4, 1, 9, 0, 0, 0, t0.Location()))
	report(0, day(9)) // a report that named no worker

	onTime := func(tk tickets.Ticket) bool { return !tk.ResolvedAt.After(tk.DueAt) }
	ins, err := st.AssessmentInputs(ctx, march, visits.DefaultConfig(), onTime)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]assessment.Input{}
	for _, in := range ins {
		got[in.Worker.Code] = in
	}
	a := got["W101"]
	if a.TicketsResolved != 3 || a.TicketsOnTime != 1 || a.Overdue != 2 || a.EventsReported != 2 ||
		a.Answers != (assessment.Answers{Satisfied: 1, BasicSatisfied: 1}) {
		t.Errorf("W101's March: resolved %d (on time %d), overdue at the month's end %d, events %d, answers %+v; "+
			"want 3 resolved (1 on time), 2 overdue, 2 events, 1 满意 and 1 基本满意",
			a.TicketsResolved, a.TicketsOnTime, a.Overdue, a.EventsReported, a.Answers)
	}
	if a.VisitsDue == 0 || a.Grid.Code != "NY-01-01-01" {
		t.Errorf("W101's March lacks the register's figures: %+v", a)
	}
	b := got["W102"]
	if b.TicketsResolved != 1 || b.TicketsOnTime != 1 || b.Overdue != 0 || b.EventsReported != 0 || b.Answers != (assessment.Answers{Dissatisfied: 1}) {
		t.Errorf("W102's March = %+v; want 1 resolved on time, rated 不满意", b)
	}
}

// A living record changed from the field counts for the grid's worker in
// the month it was made, and a resident who died leaves the register.
func testAssessmentRecords(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	if _, err := st.RecordChanges(ctx, ids[0], []population.Change{{Field: population.FieldStatus, After: string(population.StatusDeceased),
		By: "王芳", Source: population.SourceField, Note: "家属告知"}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ins, err := st.AssessmentInputs(ctx, assessment.MonthOf(now), visits.DefaultConfig(), func(tickets.Ticket) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		if want := map[bool]int{true: 1, false: 0}[in.Worker.ID == w.ID]; in.RecordsUpdated != want {
			t.Errorf("%s's records updated = %d, want %d", in.Worker.Code, in.RecordsUpdated, want)
		}
	}
	reg, err := visits.Service{Store: st, Config: visits.DefaultConfig()}.Register(ctx, w, visits.MonthOf(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range reg.Households {
		for _, m := range d.Household.Members {
			if m.ResidentID == ids[0] {
				t.Errorf("a resident who died is still on the register: %+v", d.Household)
			}
		}
	}
}
