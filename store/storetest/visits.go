package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

// testVisitReminders: SlotFor finds the live slot; DueReminders lists
// confirmed, unclaimed slots in the window; ClaimReminder is won once;
// ReleaseReminder gives an unsettled claim back; a settled one stays.
func testVisitReminders(t *testing.T, st *store.Store) {
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
		if err := st.BookSlot(ctx, w, id, c.ID, s, s.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.SlotFor(ctx, ids[1], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := campaigns.Visit{ID: got.ID, WorkerID: w, ResidentID: ids[1], CampaignID: c.ID,
		Start: nine.Add(30 * time.Minute).UTC(), End: nine.Add(time.Hour).UTC(), State: store.SlotProposed}
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
		if err := st.SetSlotState(ctx, id, c.ID, store.SlotConfirmed); err != nil {
			t.Fatal(err)
		}
	}
	due, err := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10)
	if err != nil || len(due) != 2 || due[0].ResidentID != ids[0] || due[1].ResidentID != ids[1] || due[0].State != store.SlotConfirmed {
		t.Fatalf("DueReminders = %+v, %v", due, err)
	}
	if due, _ := st.DueReminders(ctx, nine.Add(time.Minute), day.AddDate(0, 0, 1), 10); len(due) != 1 || due[0].ResidentID != ids[1] {
		t.Errorf("DueReminders from after the first start = %+v", due)
	}

	// One claim wins; a released claim can be won again; a settled one is final.
	at := nine.Add(-15 * time.Hour)
	for i, wantOK := range []bool{true, false} {
		if ok, err := st.ClaimReminder(ctx, due[0].ID, population.ChannelSMS, at); err != nil || ok != wantOK {
			t.Errorf("ClaimReminder #%d = %v, %v; want %v", i+1, ok, err, wantOK)
		}
	}
	if got, _ := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10); len(got) != 1 || got[0].ID != due[1].ID {
		t.Errorf("DueReminders after a claim = %+v", got)
	}
	if err := st.ReleaseReminder(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimReminder(ctx, due[0].ID, population.ChannelWeChat, at); err != nil || !ok {
		t.Errorf("ClaimReminder after release = %v, %v", ok, err)
	}
	if err := st.SettleReminder(ctx, due[0].ID, "biz-1/13800000000", ""); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseReminder(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.ClaimReminder(ctx, due[0].ID, population.ChannelSMS, at); ok {
		t.Error("a settled reminder was claimed again after a release")
	}
	if err := st.SettleReminder(ctx, due[1].ID, "x", ""); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("SettleReminder(unclaimed) = %v, want ErrNotFound", err)
	}
	// A slot no longer confirmed is not claimed.
	if err := st.SetSlotState(ctx, ids[1], c.ID, store.SlotCancelled); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.ClaimReminder(ctx, due[1].ID, population.ChannelSMS, at); ok {
		t.Error("a cancelled slot's reminder was claimed")
	}
}
