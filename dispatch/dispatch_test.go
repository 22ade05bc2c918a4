package dispatch_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/dispatch"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func task() dispatch.Task {
	return dispatch.Task{ID: 7, TicketID: 3, Department: "chengguan", State: dispatch.StateDispatched,
		DueAt: t0.Add(48 * time.Hour), DispatchedBy: "街道王芳"}
}

// A department accepts, asks for more time, gets it, and resolves with
// feedback; every step is an event from one state to the next.
func TestTaskLifeCycle(t *testing.T) {
	t.Parallel()
	tk := task()
	var evs []dispatch.Event
	step := func(m dispatch.Move) {
		t.Helper()
		var ev dispatch.Event
		var err error
		tk, ev, err = dispatch.Apply(tk, m, t0.Add(time.Duration(len(evs)+1)*time.Hour))
		if err != nil {
			t.Fatalf("%s: %v", m.Action, err)
		}
		evs = append(evs, ev)
	}
	step(dispatch.Move{Action: dispatch.ActionAccept, By: "城管李强"})
	newDue := t0.Add(96 * time.Hour)
	step(dispatch.Move{Action: dispatch.ActionRequestExtension, By: "城管李强", Note: "需协调施工方", ExtendTo: newDue})
	if tk.State != dispatch.StateExtensionRequested || !tk.ExtendTo.Equal(newDue) || tk.Reason != "需协调施工方" {
		t.Fatalf("after the request: %+v", tk)
	}
	step(dispatch.Move{Action: dispatch.ActionApproveExtension, By: "街道王芳"})
	if !tk.DueAt.Equal(newDue) || !tk.ExtendTo.IsZero() {
		t.Errorf("approved extension: due %v extend %v, want the due moved to %v", tk.DueAt, tk.ExtendTo, newDue)
	}
	step(dispatch.Move{Action: dispatch.ActionResolve, By: "城管李强", Note: "占道车辆已清理"})
	if tk.State != dispatch.StateResolved || tk.Feedback != "占道车辆已清理" {
		t.Errorf("resolved: %+v", tk)
	}
	want := []string{"dispatched→accepted", "accepted→extension_requested", "extension_requested→accepted", "accepted→resolved"}
	for i, ev := range evs {
		if got := string(ev.From) + "→" + string(ev.To); got != want[i] {
			t.Errorf("event %d: %s, want %s", i, got, want[i])
		}
	}
	if !dispatch.Done([]dispatch.Task{tk}) {
		t.Error("a resolved task does not finish its ticket")
	}
}

// Moves the state does not allow, or that lack a reason, feedback or a
// later deadline, are refused and change nothing.
func TestTaskRefusals(t *testing.T) {
	t.Parallel()
	accepted := task()
	accepted.State = dispatch.StateAccepted
	for _, tc := range []struct {
		name string
		t    dispatch.Task
		m    dispatch.Move
		want string
	}{
		{"resolve before accepting", task(), dispatch.Move{Action: dispatch.ActionResolve, By: "x", Note: "done"}, "applies to a task that is 已受理"},
		{"return without reason", task(), dispatch.Move{Action: dispatch.ActionReturn, By: "x"}, "needs a reason"},
		{"resolve without feedback", accepted, dispatch.Move{Action: dispatch.ActionResolve, By: "x"}, "feedback"},
		{"extension to an earlier date", accepted, dispatch.Move{Action: dispatch.ActionRequestExtension, By: "x", Note: "r", ExtendTo: t0}, "deadline after"},
		{"approve nothing", accepted, dispatch.Move{Action: dispatch.ActionApproveExtension, By: "x"}, "申请延期"},
		{"no actor", accepted, dispatch.Move{Action: dispatch.ActionAccept}, "applies to"},
		{"unknown", accepted, dispatch.Move{Action: "shout", By: "x"}, "unknown action"},
		{"long note", accepted, dispatch.Move{Action: dispatch.ActionResolve, By: "x", Note: strings.Repeat("好", dispatch.MaxNote+1)}, "longer than"},
	} {
		got, _, err := dispatch.Apply(tc.t, tc.m, t0)
		if !errors.Is(err, dispatch.ErrMove) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrMove saying %q", tc.name, err, tc.want)
		}
		if got.State != tc.t.State {
			t.Errorf("%s: state changed to %s", tc.name, got.State)
		}
	}
}

// 吹哨报到: a ticket with several departments' tasks is done only when each
// is resolved or withdrawn, and at least one was resolved; a returned task
// waits for the dispatcher.
func TestDoneNeedsEveryTask(t *testing.T) {
	t.Parallel()
	with := func(ss ...dispatch.State) []dispatch.Task {
		var ts []dispatch.Task
		for _, s := range ss {
			ts = append(ts, dispatch.Task{State: s})
		}
		return ts
	}
	for _, tc := range []struct {
		states []dispatch.State
		want   bool
	}{
		{[]dispatch.State{dispatch.StateResolved, dispatch.StateResolved}, true},
		{[]dispatch.State{dispatch.StateResolved, dispatch.StateCancelled}, true},
		{[]dispatch.State{dispatch.StateResolved, dispatch.StateAccepted}, false},
		{[]dispatch.State{dispatch.StateResolved, dispatch.StateReturned}, false},
		{[]dispatch.State{dispatch.StateCancelled}, false},
		{nil, false},
	} {
		if got := dispatch.Done(with(tc.states...)); got != tc.want {
			t.Errorf("Done(%v) = %v, want %v", tc.states, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tk := task()
	if err := tk.Validate(dispatch.DefaultDepartments, t0); err != nil {
		t.Errorf("a good task: %v", err)
	}
	tk.Department, tk.DueAt, tk.DispatchedBy = "nasa", t0.Add(-time.Hour), ""
	err := tk.Validate(dispatch.DefaultDepartments, t0)
	for _, want := range []string{`unknown department "nasa"`, "chengguan", "in the future", "who dispatches"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
	if !(dispatch.Task{State: dispatch.StateAccepted, DueAt: t0}).Overdue(t0.Add(time.Minute)) {
		t.Error("an accepted task past its deadline is not overdue")
	}
	if (dispatch.Task{State: dispatch.StateResolved, DueAt: t0}).Overdue(t0.Add(time.Minute)) {
		t.Error("a resolved task is overdue")
	}
}
