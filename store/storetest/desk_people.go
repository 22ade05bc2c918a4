package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Who handles tickets: WeChat bindings, leaves and worker lookups.

func testBindings(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	const openID = pii.OpenID("oBindDesk0001")
	b1 := tickets.Binding{OpenID: openID, Phone: "13900000000", ResidentID: ids[0], CodeHash: "h1",
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	var err error
	if b1.ID, err = st.StartBinding(ctx, b1); err != nil || b1.ID == 0 {
		t.Fatalf("StartBinding = %d, %v", b1.ID, err)
	}
	pending := func(now time.Time) (tickets.Binding, error) { return st.PendingBinding(ctx, openID, now) }
	if got, err := pending(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	} else if d := cmp.Diff(b1, got); d != "" {
		t.Errorf("PendingBinding (-want +got):\n%s", d)
	}
	for want := 1; want <= 2; want++ {
		if n, err := st.BindingAttempt(ctx, b1.ID); err != nil || n != want {
			t.Errorf("BindingAttempt = %d, %v; want %d", n, err, want)
		}
	}
	if got, err := pending(t0.Add(time.Minute)); err != nil || got.Attempts != 2 {
		t.Errorf("PendingBinding after two attempts = %+v, %v", got, err)
	}

	// A new code supersedes the old one, which can no longer be used.
	b2 := b1
	b2.CodeHash, b2.Attempts, b2.CreatedAt, b2.ExpiresAt = "h2", 0, t0.Add(2*time.Minute), t0.Add(12*time.Minute)
	if b2.ID, err = st.StartBinding(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if got, err := pending(t0.Add(3 * time.Minute)); err != nil {
		t.Fatal(err)
	} else if d := cmp.Diff(b2, got); d != "" {
		t.Errorf("PendingBinding after a new code (-want +got):\n%s", d)
	}
	if ok, err := st.UseBinding(ctx, b1.ID, t0.Add(3*time.Minute)); ok || err != nil {
		t.Errorf("UseBinding(superseded) = %v, %v; want false", ok, err)
	}
	if _, err := pending(b2.ExpiresAt); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("PendingBinding(at expiry) = %v, want ErrNotFound", err)
	}
	if _, err := st.PendingBinding(ctx, "oSomeoneElse", t0.Add(3*time.Minute)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("PendingBinding(other openid) = %v, want ErrNotFound", err)
	}

	// Used once.
	if ok, err := st.UseBinding(ctx, b2.ID, t0.Add(4*time.Minute)); !ok || err != nil {
		t.Errorf("UseBinding = %v, %v; want true", ok, err)
	}
	if ok, err := st.UseBinding(ctx, b2.ID, t0.Add(5*time.Minute)); ok || err != nil {
		t.Errorf("UseBinding(again) = %v, %v; want false", ok, err)
	}
	if _, err := pending(t0.Add(5 * time.Minute)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("PendingBinding(used) = %v, want ErrNotFound", err)
	}

	missing := b2.ID + 100
	if _, err := st.BindingAttempt(ctx, missing); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("BindingAttempt(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.UseBinding(ctx, missing, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("UseBinding(missing) = %v, want ErrNotFound", err)
	}
	for _, bad := range []tickets.Binding{
		{ResidentID: ids[0], CodeHash: "h", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)},
		{OpenID: openID, CodeHash: "h", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)},
		{OpenID: openID, ResidentID: ids[0], CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)},
		{OpenID: openID, ResidentID: ids[0], CodeHash: "h", CreatedAt: t0, ExpiresAt: t0},
	} {
		if _, err := st.StartBinding(ctx, bad); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("StartBinding(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func testLeaves(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	w1, w2, w3 := seedWorker(t, st, "W001"), seedWorker(t, st, "W002"), seedWorker(t, st, "W003")
	annual := tickets.Leave{WorkerID: w1, BackupID: w2, From: t0, Until: t0.Add(48 * time.Hour), Note: "年假"}
	sick := tickets.Leave{WorkerID: w1, BackupID: w3, From: t0.Add(24 * time.Hour), Until: t0.Add(72 * time.Hour), Note: "病假"}
	planned := tickets.Leave{WorkerID: w2, BackupID: w1, From: t0.Add(100 * time.Hour), Until: t0.Add(120 * time.Hour)}
	for _, l := range []tickets.Leave{annual, sick, planned} {
		if err := st.SetLeave(ctx, l); err != nil {
			t.Fatalf("SetLeave(%+v): %v", l, err)
		}
	}
	leaveAt := func(worker int64, at time.Time, want *tickets.Leave) {
		t.Helper()
		got, err := st.LeaveAt(ctx, worker, at)
		if want == nil {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("LeaveAt(%d, %v) = %+v, %v; want ErrNotFound", worker, at, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("LeaveAt(%d, %v): %v", worker, at, err)
		}
		if d := cmp.Diff(*want, got); d != "" {
			t.Errorf("LeaveAt(%d, %v) (-want +got):\n%s", worker, at, d)
		}
	}
	leaveAt(w1, t0.Add(-time.Second), nil)
	leaveAt(w1, t0, &annual)
	leaveAt(w1, t0.Add(30*time.Hour), &sick) // both cover it: the later recorded wins
	leaveAt(w1, t0.Add(72*time.Hour), nil)   // Until is exclusive
	leaveAt(w2, t0.Add(time.Hour), nil)
	leaves := func(at time.Time, want ...tickets.Leave) {
		t.Helper()
		got, err := st.Leaves(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("Leaves(%v) (-want +got):\n%s", at, d)
		}
	}
	leaves(t0.Add(time.Hour), annual, sick, planned)
	leaves(t0.Add(60*time.Hour), sick, planned)

	// Back early: every leave covering the instant ends then.
	back := t0.Add(30 * time.Hour)
	if err := st.EndLeave(ctx, w1, back); err != nil {
		t.Fatal(err)
	}
	annual.Until, sick.Until = back, back
	leaveAt(w1, back, nil)
	leaveAt(w1, back.Add(-time.Second), &sick)
	if err := st.EndLeave(ctx, w1, back); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("EndLeave(no leave) = %v, want ErrNotFound", err)
	}
	// Ended the moment it starts, a leave is gone.
	if err := st.EndLeave(ctx, w2, planned.From); err != nil {
		t.Fatal(err)
	}
	leaves(t0, annual, sick)

	for _, tc := range []struct {
		name string
		l    tickets.Leave
		want error
	}{
		{"own backup", tickets.Leave{WorkerID: w1, BackupID: w1, From: t0, Until: t0.Add(time.Hour)}, fault.ErrInvalid},
		{"empty", tickets.Leave{WorkerID: w1, BackupID: w2, From: t0, Until: t0}, fault.ErrInvalid},
		{"backwards", tickets.Leave{WorkerID: w1, BackupID: w2, From: t0, Until: t0.Add(-time.Hour)}, fault.ErrInvalid},
		{"no backup", tickets.Leave{WorkerID: w1, From: t0, Until: t0.Add(time.Hour)}, fault.ErrInvalid},
		{"unknown backup", tickets.Leave{WorkerID: w1, BackupID: w3 + 100, From: t0, Until: t0.Add(time.Hour)}, fault.ErrNotFound},
		{"unknown worker", tickets.Leave{WorkerID: w3 + 100, BackupID: w1, From: t0, Until: t0.Add(time.Hour)}, fault.ErrNotFound},
	} {
		if err := st.SetLeave(ctx, tc.l); !errors.Is(err, tc.want) {
			t.Errorf("SetLeave(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	leaves(t0, annual, sick)
}

func testWorkerLookups(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	id := seedWorker(t, st, "W001")
	want := population.Worker{ID: id, Code: "W001", Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}
	for _, tc := range []struct {
		name string
		get  func() (population.Worker, error)
	}{
		{"ID", func() (population.Worker, error) { return st.WorkerByID(ctx, id) }},
		{"Code", func() (population.Worker, error) { return st.WorkerByCode(ctx, "W001") }},
	} {
		got, err := tc.get()
		if err != nil {
			t.Fatalf("WorkerBy%s: %v", tc.name, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("WorkerBy%s (-want +got):\n%s", tc.name, d)
		}
	}
	if _, err := st.WorkerByID(ctx, id+100); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("WorkerByID(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.WorkerByCode(ctx, "W999"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("WorkerByCode(missing) = %v, want ErrNotFound", err)
	}
}
