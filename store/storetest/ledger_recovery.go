package storetest

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// What the ledger keeps for settling sends whose outcome is not known: a
// crashed worker's claim handed back, an unanswered call's OutId and time.

// A stuck message is handed back only by whoever read its current attempt.
func testRecoverMessage(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "恢复")
	m := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

	claimed, ok, err := st.ClaimMessage(ctx, m.ID, at(1))
	if !ok || err != nil {
		t.Fatalf("claim 1: %v, %v", ok, err)
	}
	stale := claimed.Attempts
	if err := st.RecoverMessage(ctx, m.ID, stale, at(5), "recovered"); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if _, ok, err := st.ClaimMessage(ctx, m.ID, at(6)); !ok || err != nil {
		t.Fatalf("claim 2: %v, %v", ok, err)
	}
	// A second reconciler that read the message before the new claim.
	if err := st.RecoverMessage(ctx, m.ID, stale, at(7), "recovered"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("recover with a stale attempt = %v, want fault.ErrConflict", err)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil || got.Status != outbound.StatusSending || got.Attempts != stale+1 {
		t.Errorf("after the refused recovery: %s attempt %d, %v; want sending attempt %d", got.Status, got.Attempts, err, stale+1)
	}
	if err := st.RecoverMessage(ctx, m.ID, stale+1, at(8), "recovered"); err != nil {
		t.Errorf("recover with the current attempt: %v", err)
	}
}

// A call without an answer leaves its OutId and time on the message, in
// the ledger, so that the next attempt can ask the provider; a crashed
// claim dates the unknown outcome at the claim; a wait reason says why a
// message waits until it is claimed; any recorded outcome clears both.
func testUnknownOutcome(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	c := startedRun(t, st, "无应答")
	a := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	b := writeOne(t, st, c.ID, ids[1], population.ChannelSMS)
	d := writeOne(t, st, c.ID, ids[2], population.ChannelSMS)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	get := func(id int64) outbound.Message {
		t.Helper()
		m, err := st.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, id := range []int64{a.ID, b.ID, d.ID} {
		if _, ok, err := st.ClaimMessage(ctx, id, at(1)); !ok || err != nil {
			t.Fatalf("claim %d: %v, %v", id, ok, err)
		}
	}
	batch := strconv.FormatInt(a.ID, 10)
	if err := st.MarkAttempt(ctx, []int64{a.ID, b.ID}, batch); err != nil {
		t.Fatal(err)
	}
	if got := get(b.ID); got.OutID != batch || !got.AttemptedAt.IsZero() {
		t.Errorf("after MarkAttempt: OutID %q AttemptedAt %v, want %q and none yet", got.OutID, got.AttemptedAt, batch)
	}
	for _, id := range []int64{a.ID, b.ID} {
		if err := st.UnknownOutcome(ctx, id, batch, at(2), at(22)); err != nil {
			t.Fatal(err)
		}
	}
	got := get(b.ID)
	if got.Status != outbound.StatusPending || got.OutID != batch || !got.AttemptedAt.Equal(at(2)) ||
		!got.NotBefore.Equal(at(22)) || got.WaitReason != outbound.WaitOutcomeUnknown {
		t.Errorf("after UnknownOutcome: %s OutID %q AttemptedAt %v NotBefore %v WaitReason %q", got.Status, got.OutID,
			got.AttemptedAt, got.NotBefore, got.WaitReason)
	}
	// The claim that settles it sees the unknown outcome; a plain retry
	// (the settling query failed) keeps it.
	claimed, ok, err := st.ClaimMessage(ctx, b.ID, at(30))
	if !ok || err != nil || !claimed.AttemptedAt.Equal(at(2)) || claimed.OutID != batch || claimed.WaitReason != "" {
		t.Fatalf("claim after the unknown outcome = %+v, %v, %v", claimed, ok, err)
	}
	if err := st.RescheduleMessage(ctx, b.ID, at(60), outbound.WaitThrottled); err != nil {
		t.Fatal(err)
	}
	if got := get(b.ID); !got.AttemptedAt.Equal(at(2)) || got.WaitReason != outbound.WaitThrottled {
		t.Errorf("after a retry: AttemptedAt %v WaitReason %q; the unknown outcome must stay", got.AttemptedAt, got.WaitReason)
	}
	if _, ok, err := st.ClaimMessage(ctx, b.ID, at(61)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, b.ID, outbound.StatusSent, outbound.Update{ProviderID: "out:" + batch + "/13800000000"}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got := get(b.ID); !got.AttemptedAt.IsZero() {
		t.Errorf("a recorded outcome left AttemptedAt %v", got.AttemptedAt)
	}
	// A worker killed while d was sending: its outcome is unknown as of
	// the claim.
	m := get(d.ID)
	if err := st.RecoverMessage(ctx, d.ID, m.Attempts, at(200), outbound.WaitRecovered); err != nil {
		t.Fatal(err)
	}
	if got := get(d.ID); !got.AttemptedAt.Equal(m.UpdatedAt) || got.WaitReason != outbound.WaitRecovered {
		t.Errorf("recovered: AttemptedAt %v (claimed %v) WaitReason %q", got.AttemptedAt, m.UpdatedAt, got.WaitReason)
	}
	if err := st.UnknownOutcome(ctx, d.ID, "x", at(3), at(4)); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("UnknownOutcome of a pending message = %v, want ErrConflict", err)
	}
}
