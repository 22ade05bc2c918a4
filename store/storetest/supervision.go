package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

var supervisionTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"Supervision", testSupervision},
	{"SupervisionRefusals", testSupervisionRefusals},
	{"DispatchSummary", testDispatchSummary},
}

// 督办: a person's flag stands until lifted; the system's flag rises a
// level by replacing its own (the person's stays); the lists read the
// latest standing flag of many tickets at once; lifting lifts them all,
// and the history keeps every flag with who lifted it.
func testSupervision(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	a := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	b := newTicket(t, st, rs[1].ID, "NY-01-01-01", time.Minute, t0.Add(72*time.Hour))
	p, err := st.Supervise(ctx, tickets.Supervision{TicketID: a.ID, By: " 街道王芳 ", Note: "三日内办结"})
	if err != nil || p.ID == 0 || p.By != "街道王芳" || p.At.IsZero() || !p.Active() {
		t.Fatalf("Supervise = %+v, %v", p, err)
	}
	s1, err := st.Supervise(ctx, tickets.Supervision{TicketID: a.ID, By: tickets.ActorSystem, Level: tickets.LevelGridLeader, Note: "overdue"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := st.Supervise(ctx, tickets.Supervision{TicketID: a.ID, By: tickets.ActorSystem, Level: tickets.LevelCommunity, Note: "overdue"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.Supervisions(ctx, a.ID)
	if err != nil || len(all) != 3 {
		t.Fatalf("Supervisions = %+v, %v; want 3", all, err)
	}
	if !all[0].Active() || all[1].Active() || !all[1].Raised() || !strings.Contains(all[1].ClearedNote, "community") || !all[2].Active() {
		t.Errorf("after the system raised its flag: %+v; want the person's standing, grid_leader's raised, community's standing", all)
	}
	active, err := st.ActiveSupervisions(ctx, []int64{a.ID, b.ID, 999999})
	if err != nil || len(active) != 1 || active[a.ID].ID != s2.ID || active[a.ID].Level != tickets.LevelCommunity {
		t.Errorf("ActiveSupervisions = %+v, %v; want ticket %d's latest (%d)", active, err, a.ID, s2.ID)
	}
	if none, err := st.ActiveSupervisions(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("ActiveSupervisions(nil) = %v, %v", none, err)
	}
	n, err := st.Unsupervise(ctx, a.ID, "街道王芳", "已办结")
	if err != nil || n != 2 {
		t.Errorf("Unsupervise = %d, %v; want 2 lifted", n, err)
	}
	all, _ = st.Supervisions(ctx, a.ID)
	for _, sv := range all {
		if sv.Active() {
			t.Errorf("flag %d still stands after lifting", sv.ID)
		}
	}
	if all[2].ClearedBy != "街道王芳" || all[2].ClearedNote != "已办结" || all[2].ClearedAt.Before(all[2].At) || s1.ID == 0 {
		t.Errorf("the lifted flag %+v", all[2])
	}
	if active, _ := st.ActiveSupervisions(ctx, []int64{a.ID}); len(active) != 0 {
		t.Errorf("standing flags after lifting: %+v", active)
	}
}

// Refusals write nothing: no actor, a note too long, an unknown ticket, a
// second person's flag, lifting what is not flagged.
func testSupervisionRefusals(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 1)
	tk := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	for _, tc := range []struct {
		name string
		sv   tickets.Supervision
		want error
	}{
		{"no actor", tickets.Supervision{TicketID: tk.ID, By: " "}, fault.ErrInvalid},
		{"note too long", tickets.Supervision{TicketID: tk.ID, By: "x", Note: strings.Repeat("督", tickets.MaxSupervisionNote+1)}, fault.ErrInvalid},
		{"no ticket", tickets.Supervision{TicketID: 999999, By: "x"}, fault.ErrNotFound},
	} {
		if _, err := st.Supervise(ctx, tc.sv); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := st.Unsupervise(ctx, tk.ID, "x", ""); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("lifting with no flag: %v, want a conflict", err)
	}
	if _, err := st.Unsupervise(ctx, 999999, "x", ""); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("lifting on an unknown ticket: %v, want not found", err)
	}
	if all, _ := st.Supervisions(ctx, tk.ID); len(all) != 0 {
		t.Fatalf("refusals wrote %d flags", len(all))
	}
	if _, err := st.Supervise(ctx, tickets.Supervision{TicketID: tk.ID, By: "街道王芳"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Supervise(ctx, tickets.Supervision{TicketID: tk.ID, By: "社区李梅"}); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a second person's flag: %v, want a conflict", err)
	}
	if _, err := st.Supervise(ctx, tickets.Supervision{TicketID: tk.ID, By: tickets.ActorSystem, Level: tickets.LevelGridLeader}); err != nil {
		t.Errorf("the system's flag beside a person's: %v", err)
	}
}

// The figures count the tasks dispatched in the period per department by
// where they stand, the tickets dispatched and the tickets flagged.
func testDispatchSummary(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	a := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	b := newTicket(t, st, rs[1].ID, "NY-01-01-01", time.Minute, t0.Add(72*time.Hour))
	soon, later := time.Now().Add(time.Hour), time.Now().Add(48*time.Hour)
	ts, err := st.DispatchTasks(ctx, []dispatch.Task{
		{TicketID: a.ID, Department: "fire", DueAt: soon, DispatchedBy: "x"},
		{TicketID: a.ID, Department: "chengguan", DueAt: later, DispatchedBy: "x"},
		{TicketID: b.ID, Department: "chengguan", DueAt: later, DispatchedBy: "x"},
	}, dispatch.DefaultDepartments)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		id int64
		m  dispatch.Move
	}{
		{ts[1].ID, dispatch.Move{Action: dispatch.ActionAccept, By: "cg"}},
		{ts[1].ID, dispatch.Move{Action: dispatch.ActionResolve, By: "cg", Note: "done"}},
		{ts[2].ID, dispatch.Move{Action: dispatch.ActionReturn, By: "cg", Note: "not ours"}},
	} {
		if _, err := st.MoveTask(ctx, m.id, m.m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Supervise(ctx, tickets.Supervision{TicketID: b.ID, By: tickets.ActorSystem, Level: tickets.LevelGridLeader}); err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	got, err := st.DispatchSummary(ctx, from, to, time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := dispatch.Summary{Dispatched: 2, Supervised: 1, SupervisedBySystem: 1, Departments: []dispatch.Figures{
		{Department: "chengguan", Tasks: 2, Tickets: 2, Returned: 1, Resolved: 1},
		{Department: "fire", Tasks: 1, Tickets: 1, Open: 1, Overdue: 1},
	}}
	if got.Dispatched != want.Dispatched || got.Supervised != want.Supervised || got.SupervisedBySystem != want.SupervisedBySystem ||
		len(got.Departments) != 2 || got.Departments[0] != want.Departments[0] || got.Departments[1] != want.Departments[1] {
		t.Errorf("DispatchSummary = %+v, want %+v", got, want)
	}
	if empty, err := st.DispatchSummary(ctx, to, to.Add(time.Hour), to); err != nil || empty.Dispatched != 0 || len(empty.Departments) != 0 {
		t.Errorf("an empty period: %+v, %v", empty, err)
	}
}
