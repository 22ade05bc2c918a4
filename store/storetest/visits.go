package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// testVisitReminders: SlotFor finds the live slot; DueReminders lists
// confirmed slots in the window (testReminderOnce: until a reminder is on
// the ledger).
func testVisitReminders(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	if err := st.UpsertWorkers(ctx, []population.Worker{{Code: "W002", Name: "李强", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(ctx)
	if err != nil || len(ws) != 1 {
		t.Fatal(ws, err)
	}
	w := ws[0].ID
	c := createCampaign(t, st, "走访提醒")
	nine := time.Date(2026, 3, 17, 9, 0, 0, 0, campaigns.Shanghai())
	for i, id := range ids {
		s := nine.Add(time.Duration(i) * 30 * time.Minute)
		if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: id, CampaignID: c.ID, Start: s, End: s.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.SlotFor(ctx, ids[1], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := campaigns.Visit{ID: got.ID, WorkerID: w, ResidentID: ids[1], CampaignID: c.ID,
		Start: nine.Add(30 * time.Minute).UTC(), End: nine.Add(time.Hour).UTC(), State: campaigns.VisitProposed}
	if d := cmp.Diff(want, got); d != "" || got.ID == 0 {
		t.Errorf("SlotFor (-want +got):\n%s", d)
	}
	if wv, err := st.WorkerVisits(ctx, w, nine.Add(30*time.Minute), nine.Add(time.Hour)); err != nil || len(wv) != 1 || wv[0] != got {
		t.Errorf("WorkerVisits = %+v, %v; want [%+v]", wv, err, got)
	}
	if _, err := st.SlotFor(ctx, ids[1], c.ID+1000); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("SlotFor(other campaign) = %v, want ErrNotFound", err)
	}

	// Only confirmed slots are due.
	day := nine.Add(-9 * time.Hour)
	if due, err := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10); err != nil || len(due) != 0 {
		t.Fatalf("DueReminders before confirmation = %v, %v", due, err)
	}
	for _, id := range ids[:2] {
		if err := st.SetSlotState(ctx, id, c.ID, campaigns.VisitConfirmed); err != nil {
			t.Fatal(err)
		}
	}
	due, err := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10)
	if err != nil || len(due) != 2 || due[0].ResidentID != ids[0] || due[1].ResidentID != ids[1] || due[0].State != campaigns.VisitConfirmed {
		t.Fatalf("DueReminders = %+v, %v", due, err)
	}
	if due, _ := st.DueReminders(ctx, nine.Add(time.Minute), day.AddDate(0, 0, 1), 10); len(due) != 1 || due[0].ResidentID != ids[1] {
		t.Errorf("DueReminders from after the first start = %+v", due)
	}

	// A visit no longer confirmed is not due.
	if err := st.SetSlotState(ctx, ids[1], c.ID, campaigns.VisitCancelled); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10); len(got) != 1 || got[0].ID != due[0].ID {
		t.Errorf("DueReminders after a cancellation = %+v", got)
	}
}
