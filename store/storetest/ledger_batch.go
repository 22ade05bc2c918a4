package storetest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// The batch forms of the hot moves keep the single forms' rules: a claim
// takes only pending messages, once; a batch marked sent moves only
// messages still sending and leaves one a receipt overtook delivered,
// filling what it lacked; every move has its history entry.
func testBatchMoves(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 4)
	c := startedRun(t, st, "批量")
	var ms []outbound.Message
	for _, id := range ids {
		ms = append(ms, writeOne(t, st, c.ID, id, population.ChannelSMS))
	}
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// ms[3] is already being sent by someone else.
	if _, ok, err := st.ClaimMessage(ctx, ms[3].ID, at(1)); !ok || err != nil {
		t.Fatalf("claim alone: %v, %v", ok, err)
	}
	want := []int64{ms[0].ID, ms[1].ID, ms[2].ID}
	out := strconv.FormatInt(ms[0].ID, 10)
	claimed, err := st.ClaimMessages(ctx, []int64{ms[3].ID, ms[2].ID, ms[1].ID, ms[0].ID, 1 << 40}, at(2), out)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range claimed {
		got = append(got, m.ID)
		if m.Status != outbound.StatusSending || m.Attempts != 1 || m.ResidentID == 0 || m.OutID != out {
			t.Errorf("claimed %d: %s attempt %d resident %d OutId %q; want sending, attempt 1, its resident, OutId %s",
				m.ID, m.Status, m.Attempts, m.ResidentID, m.OutID, out)
		}
	}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("ClaimMessages claimed %v, want %v (the pending ones, by id)", got, want)
	}
	if again, err := st.ClaimMessages(ctx, want, at(3), "other"); err != nil || len(again) != 0 {
		t.Errorf("a second claim of the same batch took %d messages (%v), want none", len(again), err)
	}
	// A receipt overtakes the answer for ms[1].
	if ok, err := st.AdvanceMessage(ctx, ms[1].ID, outbound.StatusDelivered, outbound.Update{ProviderCode: "DELIVERED", At: at(4)}); !ok || err != nil {
		t.Fatalf("early receipt: %v, %v", ok, err)
	}
	acc := []outbound.Accepted{{ID: ms[0].ID, ProviderID: "biz-1/13800000000"}, {ID: ms[1].ID, ProviderID: "biz-1/13800000001"},
		{ID: ms[2].ID, ProviderID: "biz-1/13800000002"}}
	moved, err := st.MarkSent(ctx, acc, "SMS_1", at(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != 2 || moved[0] != ms[0].ID || moved[1] != ms[2].ID {
		t.Errorf("MarkSent moved %v, want %v (not the delivered one)", moved, []int64{ms[0].ID, ms[2].ID})
	}
	for i, a := range acc {
		m, err := st.Message(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantSt, wantAt := outbound.StatusSent, at(3)
		if i == 1 { // the receipt dated it first
			wantSt, wantAt = outbound.StatusDelivered, at(4)
		}
		if m.Status != wantSt || m.ProviderID != a.ProviderID || m.TemplateCode != "SMS_1" || !m.SentAt.Equal(wantAt) {
			t.Errorf("message %d after MarkSent: %s provider %q template %q sent %v; want %s, %q, SMS_1, %v",
				i, m.Status, m.ProviderID, m.TemplateCode, m.SentAt, wantSt, a.ProviderID, wantAt)
		}
		evs, err := st.MessageEvents(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var moves []string
		for _, e := range evs {
			moves = append(moves, string(e.From)+">"+string(e.To))
		}
		wantMoves := "pending>sending sending>sent"
		if i == 1 {
			wantMoves = "pending>sending sending>delivered"
		}
		if got := strings.Join(moves, " "); got != wantMoves {
			t.Errorf("message %d history %q, want %q", i, got, wantMoves)
		}
	}
	// A message whose call got no answer keeps that call's OutId through a
	// batch claim, so that it is settled by what that call carried.
	if err := st.UnknownOutcome(ctx, ms[3].ID, "lost-call", at(5), at(6)); err != nil {
		t.Fatal(err)
	}
	again, err := st.ClaimMessages(ctx, []int64{ms[3].ID}, at(7), "new-chunk")
	if err != nil || len(again) != 1 || again[0].OutID != "lost-call" || again[0].AttemptedAt.IsZero() {
		t.Fatalf("batch claim of a message with an unknown outcome: %+v, %v; want OutId lost-call and its attempt time kept", again, err)
	}
	if _, err := st.AdvanceMessage(ctx, ms[3].ID, outbound.StatusFailed, outbound.Update{ProviderCode: "X", At: at(8)}); err != nil {
		t.Fatal(err)
	}

}

// SentCountsFor answers what SentCounts answers, for many residents at
// once.
func testSentCountsFor(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	c := startedRun(t, st, "计数")
	day, week := t0.Add(-time.Hour), t0.Add(-72*time.Hour)
	for i, id := range ids[:2] {
		m := writeOne(t, st, c.ID, id, population.ChannelSMS)
		if _, ok, err := st.ClaimMessage(ctx, m.ID, t0); !ok || err != nil {
			t.Fatal(err)
		}
		sentAt := t0
		if i == 1 {
			sentAt = t0.Add(-48 * time.Hour) // this week, not today
		}
		if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: "p", TemplateCode: "SMS_1", At: sentAt}); !ok || err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.SentCountsFor(ctx, ids, day, week, "SMS_1")
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		today, wk, same, err := st.SentCounts(ctx, id, day, week, "SMS_1")
		if err != nil {
			t.Fatal(err)
		}
		want := outbound.Counts{Today: today, Week: wk, SameTemplate: same}
		if got[id] != want {
			t.Errorf("resident %d: SentCountsFor %+v, SentCounts %+v", i, got[id], want)
		}
	}
	if got[ids[0]] != (outbound.Counts{Today: 1, Week: 1, SameTemplate: 1}) || got[ids[1]] != (outbound.Counts{Week: 1}) {
		t.Errorf("SentCountsFor = %+v, want 1/1/1 for the first and 0/1/0 for the second", got)
	}
}

// AdvanceMessages records many receipts in one transaction with
// AdvanceMessage's rules: forward only, a late or repeated receipt moves
// nothing, and one move that cannot apply stores none of them.
func testAdvanceMessages(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	c := startedRun(t, st, "回执")
	var ms []outbound.Message
	for _, id := range ids {
		m := writeOne(t, st, c.ID, id, population.ChannelSMS)
		if _, ok, err := st.ClaimMessage(ctx, m.ID, t0); !ok || err != nil {
			t.Fatal(err)
		}
		if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: "b/" + strconv.FormatInt(m.ID, 10), At: t0}); !ok || err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	at := t0.Add(time.Minute)
	moves := []outbound.Advance{
		{ID: ms[0].ID, To: outbound.StatusDelivered, Update: outbound.Update{ProviderCode: "DELIVERED", At: at}},
		{ID: ms[1].ID, To: outbound.StatusFailed, Update: outbound.Update{ProviderCode: "UNDELIV", At: at}},
		{ID: ms[0].ID, To: outbound.StatusDelivered, Update: outbound.Update{ProviderCode: "DELIVERED", At: at}}, // repeated
	}
	moved, err := st.AdvanceMessages(ctx, moves)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != 3 || !moved[0] || !moved[1] || moved[2] {
		t.Errorf("AdvanceMessages moved %v, want [true true false]: a repeated receipt moves nothing", moved)
	}
	for i, want := range []outbound.Status{outbound.StatusDelivered, outbound.StatusFailed, outbound.StatusSent} {
		if m, err := st.Message(ctx, ms[i].ID); err != nil || m.Status != want {
			t.Errorf("message %d: %s, %v; want %s", i, m.Status, err, want)
		}
	}
	// A batch naming a message that is not there stores nothing.
	_, err = st.AdvanceMessages(ctx, []outbound.Advance{
		{ID: ms[2].ID, To: outbound.StatusDelivered, Update: outbound.Update{ProviderCode: "DELIVERED", At: at}},
		{ID: 1 << 40, To: outbound.StatusDelivered, Update: outbound.Update{At: at}},
	})
	if !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("a batch with an unknown message: %v, want fault.ErrNotFound", err)
	}
	if m, err := st.Message(ctx, ms[2].ID); err != nil || m.Status != outbound.StatusSent {
		t.Errorf("after the refused batch: %s, %v; want still sent", m.Status, err)
	}
}
