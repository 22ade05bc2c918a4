package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
)

var dispatchTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"DispatchWhistle", testDispatchWhistle},
	{"DispatchRefusals", testDispatchRefusals},
	{"DispatchConcurrentMoves", testDispatchConcurrentMoves},
}

// 吹哨报到: a ticket dispatched to two departments at once; each takes its
// own steps, the deadline moves on an approved extension, every step is
// on the task's timeline, and the department's list holds only its open
// tasks, soonest first.
func testDispatchWhistle(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	tk := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	ts, err := st.DispatchTasks(ctx, []dispatch.Task{
		{TicketID: tk.ID, Department: "fire", DueAt: due, Note: "消防通道被占，请到场", DispatchedBy: "街道王芳"},
		{TicketID: tk.ID, Department: "chengguan", DueAt: due.Add(24 * time.Hour), Note: "清理占道车辆", DispatchedBy: "街道王芳"},
	}, dispatch.DefaultDepartments)
	if err != nil || len(ts) != 2 || ts[0].ID == 0 || ts[0].State != dispatch.StateDispatched {
		t.Fatalf("DispatchTasks = %+v, %v", ts, err)
	}
	fire, cg := ts[0].ID, ts[1].ID
	move := func(id int64, m dispatch.Move) dispatch.Task {
		t.Helper()
		got, err := st.MoveTask(ctx, id, m)
		if err != nil {
			t.Fatalf("MoveTask(%d, %s): %v", id, m.Action, err)
		}
		return got
	}
	move(fire, dispatch.Move{Action: dispatch.ActionAccept, By: "消防赵队"})
	move(fire, dispatch.Move{Action: dispatch.ActionResolve, By: "消防赵队", Note: "已疏通消防通道"})
	move(cg, dispatch.Move{Action: dispatch.ActionAccept, By: "城管李强"})
	later := due.Add(72 * time.Hour)
	move(cg, dispatch.Move{Action: dispatch.ActionRequestExtension, By: "城管李强", Note: "车主联系不上", ExtendTo: later})
	got := move(cg, dispatch.Move{Action: dispatch.ActionApproveExtension, By: "街道王芳"})
	if !got.DueAt.Equal(later) || !got.ExtendTo.IsZero() {
		t.Errorf("after the approved extension: due %v, extend %v; want due %v", got.DueAt, got.ExtendTo, later)
	}
	all, err := st.TasksOfTicket(ctx, tk.ID)
	if err != nil || len(all) != 2 || dispatch.Done(all) {
		t.Errorf("TasksOfTicket = %+v, %v; want two, not yet done", all, err)
	}
	open, err := st.DepartmentTasks(ctx, "chengguan", 0)
	if err != nil || len(open) != 1 || open[0].ID != cg || !open[0].DueAt.Equal(later) {
		t.Errorf("chengguan's open tasks = %+v, %v", open, err)
	}
	if open, _ := st.DepartmentTasks(ctx, "fire", 0); len(open) != 0 {
		t.Errorf("fire's open tasks after resolving: %+v", open)
	}
	move(cg, dispatch.Move{Action: dispatch.ActionResolve, By: "城管李强", Note: "车辆已拖离"})
	all, _ = st.TasksOfTicket(ctx, tk.ID)
	if !dispatch.Done(all) || all[0].Feedback != "已疏通消防通道" {
		t.Errorf("after both resolved: %+v; want done with the feedback kept", all)
	}
	evs, err := st.TaskEvents(ctx, cg)
	var steps []string
	for _, ev := range evs {
		steps = append(steps, string(ev.Action)+":"+string(ev.To))
	}
	want := []string{"dispatch:dispatched", "accept:accepted", "request_extension:extension_requested",
		"approve_extension:accepted", "resolve:resolved"}
	if err != nil || len(steps) != len(want) {
		t.Fatalf("TaskEvents = %v, %v; want %v", steps, err, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("event %d: %s, want %s", i, steps[i], want[i])
		}
	}
	if evs[2].Note != "车主联系不上" || evs[0].Actor != "街道王芳" {
		t.Errorf("events keep who and why: %+v", evs)
	}

	// The tasks of several tickets in one read (the dashboard's), by
	// ticket; a ticket with none adds nothing.
	tk2 := newTicket(t, st, rs[1].ID, "NY-01-01-02", time.Minute, t0.Add(72*time.Hour))
	bare := newTicket(t, st, rs[1].ID, "NY-01-01-02", 2*time.Minute, t0.Add(72*time.Hour))
	more, err := st.DispatchTasks(ctx, []dispatch.Task{{TicketID: tk2.ID, Department: "fire", DueAt: due, DispatchedBy: "街道王芳"}},
		dispatch.DefaultDepartments)
	if err != nil {
		t.Fatal(err)
	}
	both, err := st.TasksOfTickets(ctx, []int64{tk2.ID, bare.ID, tk.ID})
	var taskIDs []int64
	for _, k := range both {
		taskIDs = append(taskIDs, k.ID)
	}
	if d := cmp.Diff([]int64{fire, cg, more[0].ID}, taskIDs); err != nil || d != "" {
		t.Errorf("TasksOfTickets: %v (-want +got):\n%s", err, d)
	}
	if none, err := st.TasksOfTickets(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("TasksOfTickets(no tickets) = %+v, %v", none, err)
	}
}

// Bad dispatches write nothing; a move the state does not allow is a
// conflict that changes nothing.
func testDispatchRefusals(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 1)
	tk := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	future := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name string
		ts   []dispatch.Task
		want error
	}{
		{"no task", nil, fault.ErrInvalid},
		{"unknown department", []dispatch.Task{{TicketID: tk.ID, Department: "nasa", DueAt: future, DispatchedBy: "x"}}, fault.ErrInvalid},
		{"past deadline", []dispatch.Task{{TicketID: tk.ID, Department: "gas", DueAt: time.Now().Add(-time.Hour), DispatchedBy: "x"}}, fault.ErrInvalid},
		{"one good, one bad", []dispatch.Task{{TicketID: tk.ID, Department: "gas", DueAt: future, DispatchedBy: "x"},
			{TicketID: tk.ID, Department: "gas", DueAt: future}}, fault.ErrInvalid},
		{"no ticket", []dispatch.Task{{TicketID: 999999, Department: "gas", DueAt: future, DispatchedBy: "x"}}, fault.ErrNotFound},
	} {
		if _, err := st.DispatchTasks(ctx, tc.ts, dispatch.DefaultDepartments); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if ts, _ := st.TasksOfTicket(ctx, tk.ID); len(ts) != 0 {
		t.Fatalf("refused dispatches wrote %d tasks", len(ts))
	}
	ts, err := st.DispatchTasks(ctx, []dispatch.Task{{TicketID: tk.ID, Department: "gas", DueAt: future, DispatchedBy: "x"}}, dispatch.DefaultDepartments)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MoveTask(ctx, ts[0].ID, dispatch.Move{Action: dispatch.ActionResolve, By: "燃气", Note: "ok"}); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("resolving before accepting: %v, want a conflict", err)
	}
	if got, _ := st.Task(ctx, ts[0].ID); got.State != dispatch.StateDispatched {
		t.Errorf("a refused move changed the task: %+v", got)
	}
	if _, err := st.MoveTask(ctx, 999999, dispatch.Move{Action: dispatch.ActionAccept, By: "x"}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("an unknown task: %v, want not found", err)
	}
}

// Two department users accepting the same task at once: exactly one wins,
// the other is told the task changed (or, when the first has already
// committed, that it is accepted already) — never two acceptances.
func testDispatchConcurrentMoves(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 1)
	tk := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	ts, err := st.DispatchTasks(ctx, []dispatch.Task{{TicketID: tk.ID, Department: "housing", DueAt: time.Now().Add(time.Hour), DispatchedBy: "x"}}, dispatch.DefaultDepartments)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []dispatch.Move{{Action: dispatch.ActionAccept, By: "a"}, {Action: dispatch.ActionAccept, By: "b"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.MoveTask(ctx, ts[0].ID, m)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, fault.ErrConflict):
			t.Errorf("the losing move: %v, want a conflict", err)
		}
	}
	evs, _ := st.TaskEvents(ctx, ts[0].ID)
	if ok != 1 || len(evs) != 2 {
		t.Errorf("%d moves succeeded, %d events; want exactly one of each after the dispatch", ok, len(evs)-1)
	}
}
