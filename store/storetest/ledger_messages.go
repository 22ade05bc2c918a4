package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// Ledger tests of messages: fan-out writes, claims, forward-only moves,
// recovery, history, the funnel, caps counts and reconciliation.

func testWriteMessages(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 8)
	c := startedRun(t, st, "培训通知")
	deadline := t0.Add(72 * time.Hour)
	chunk := []outbound.Message{
		{ResidentID: ids[0], Channel: population.ChannelWeChat, Deadline: deadline},
		{ResidentID: ids[1], Channel: population.ChannelSMS, Deadline: deadline, NotBefore: t0.Add(time.Hour)},
		{ResidentID: ids[2], Status: outbound.StatusSkipped, SkipReason: outbound.SkipNoChannel},
		{ResidentID: ids[3], Channel: population.ChannelSMS, Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut},
		{ResidentID: ids[0], Channel: population.ChannelWeChat, Deadline: deadline}, // twice in a chunk: once
	}
	first, err := st.WriteMessages(ctx, c.ID, 1, chunk, ids[3], false)
	if err != nil {
		t.Fatal(err)
	}
	camp := outbound.PurposeCampaign
	want := []outbound.Message{
		{Purpose: camp, CampaignID: c.ID, Run: 1, ResidentID: ids[0], Channel: population.ChannelWeChat, Route: outbound.RouteWeChatTemplate, Status: outbound.StatusPending, Deadline: deadline},
		{Purpose: camp, CampaignID: c.ID, Run: 1, ResidentID: ids[1], Channel: population.ChannelSMS, Route: outbound.RouteSMS, Status: outbound.StatusPending, Deadline: deadline, NotBefore: t0.Add(time.Hour)},
		{Purpose: camp, CampaignID: c.ID, Run: 1, ResidentID: ids[2], Status: outbound.StatusSkipped, SkipReason: outbound.SkipNoChannel},
		{Purpose: camp, CampaignID: c.ID, Run: 1, ResidentID: ids[3], Channel: population.ChannelSMS, Route: outbound.RouteSMS, Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut},
	}
	ignore := cmpopts.IgnoreFields(outbound.Message{}, "ID", "CreatedAt", "UpdatedAt", "FinishedAt")
	if d := cmp.Diff(want, first, ignore); d != "" {
		t.Errorf("first write (-want +got):\n%s", d)
	}
	seen := map[int64]bool{}
	for _, m := range first {
		if m.ID == 0 || seen[m.ID] || m.CreatedAt.IsZero() {
			t.Errorf("message %+v: id missing or repeated, or no created_at", m)
		}
		seen[m.ID] = true
		if (m.Status == outbound.StatusSkipped) == m.FinishedAt.IsZero() {
			t.Errorf("message %d (%s): finished_at %v", m.ID, m.Status, m.FinishedAt)
		}
	}

	// The same chunk again (a fan-out restarted after a crash): same ids,
	// nothing new, and an older checkpoint does not move it back.
	again, err := st.WriteMessages(ctx, c.ID, 1, chunk, ids[1], false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("second write (-first +second):\n%s", d)
	}
	if after, done, err := st.RunCheckpoint(ctx, c.ID, 1); err != nil || after != ids[3] || done {
		t.Errorf("RunCheckpoint = %d, %v, %v; want %d, false", after, done, err, ids[3])
	}
	pending, err := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first[:2], pending); d != "" {
		t.Errorf("pending after two writes (-want +got):\n%s", d)
	}
	skipped, _ := st.MessagesByStatus(ctx, c.ID, outbound.StatusSkipped, 0, 100)
	if d := cmp.Diff(first[2:], skipped); d != "" {
		t.Errorf("skipped after two writes (-want +got):\n%s", d)
	}

	// Paging by id.
	page1, _ := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, 0, 1)
	page2, _ := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, page1[0].ID, 1)
	page3, _ := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, page2[0].ID, 1)
	if d := cmp.Diff(first[:2], append(page1, page2...)); d != "" || len(page3) != 0 {
		t.Errorf("pages (-want +got):\n%s; page 3 %v", d, page3)
	}

	// The last chunk marks the expansion done; a later write never un-marks
	// it, nor does an empty checkpoint move it.
	if _, err := st.WriteMessages(ctx, c.ID, 1, []outbound.Message{{ResidentID: ids[4], Channel: population.ChannelSMS}}, ids[7], true); err != nil {
		t.Fatal(err)
	}
	fallback := outbound.Message{ResidentID: ids[0], Channel: population.ChannelSMS, FallbackOf: first[0].ID}
	fb, err := st.WriteMessages(ctx, c.ID, 1, []outbound.Message{fallback}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || fb[0].FallbackOf != first[0].ID || fb[0].Status != outbound.StatusPending {
		t.Errorf("fallback write = %+v", fb)
	}
	if after, done, err := st.RunCheckpoint(ctx, c.ID, 1); err != nil || after != ids[7] || !done {
		t.Errorf("RunCheckpoint = %d, %v, %v; want %d, true", after, done, err, ids[7])
	}

	// Invalid chunks write nothing, checkpoint included.
	for _, bad := range [][]outbound.Message{
		{{ResidentID: ids[5], Channel: population.ChannelSMS}, {ResidentID: ids[6], Status: outbound.StatusSkipped}},
		{{ResidentID: ids[5], Channel: population.ChannelSMS}, {ResidentID: ids[6], Channel: population.ChannelSMS, Status: outbound.StatusSent}},
		{{ResidentID: ids[5]}},
		{{ResidentID: 1 << 40, Channel: population.ChannelSMS}},
	} {
		if _, err := st.WriteMessages(ctx, c.ID, 1, bad, ids[7]+100, false); err == nil {
			t.Errorf("WriteMessages(%+v) succeeded", bad)
		}
	}
	if after, _, _ := st.RunCheckpoint(ctx, c.ID, 1); after != ids[7] {
		t.Errorf("a refused chunk moved the checkpoint to %d", after)
	}
	if ms, _ := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, 0, 100); len(ms) != 4 {
		t.Errorf("%d pending messages, want 4", len(ms))
	}
	if _, err := st.WriteMessages(ctx, c.ID, 2, chunk, 1, false); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("WriteMessages(unstarted run) = %v, want ErrNotFound", err)
	}
}

func testWriteMessagesBigChunk(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 400)
	c := startedRun(t, st, "大批量")
	var chunk []outbound.Message
	for _, id := range ids {
		chunk = append(chunk, outbound.Message{ResidentID: id, Channel: population.ChannelWeChat},
			outbound.Message{ResidentID: id, Channel: population.ChannelSMS})
	}
	// Half of it was written before a crash.
	if _, err := st.WriteMessages(ctx, c.ID, 1, chunk[:len(chunk)/2], ids[len(ids)/2-1], false); err != nil {
		t.Fatal(err)
	}
	got, err := st.WriteMessages(ctx, c.ID, 1, chunk, ids[len(ids)-1], true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(chunk) {
		t.Fatalf("got %d messages, want %d", len(got), len(chunk))
	}
	for i, m := range got {
		if m.ResidentID != chunk[i].ResidentID || m.Channel != chunk[i].Channel || m.ID == 0 {
			t.Fatalf("message %d = resident %d %s id %d, want resident %d %s", i, m.ResidentID, m.Channel, m.ID, chunk[i].ResidentID, chunk[i].Channel)
		}
	}
	var all []outbound.Message
	for after := int64(0); ; {
		page, err := st.MessagesByStatus(ctx, c.ID, outbound.StatusPending, after, 300)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if len(all) != len(chunk) {
		t.Errorf("%d messages stored, want %d", len(all), len(chunk))
	}
}

func testClaimOnce(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "抢占")
	m := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	type result struct {
		m  outbound.Message
		ok bool
	}
	results := make(chan result, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, ok, err := st.ClaimMessage(ctx, m.ID, t0)
			if err != nil {
				t.Errorf("ClaimMessage: %v", err)
			}
			results <- result{got, ok}
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for r := range results {
		if r.ok {
			won++
			if r.m.Status != outbound.StatusSending || r.m.Attempts != 1 {
				t.Errorf("claimed message: status %s, attempts %d", r.m.Status, r.m.Attempts)
			}
		} else if r.m.ID != m.ID {
			t.Errorf("a lost claim returned message %d", r.m.ID)
		}
	}
	if won != 1 {
		t.Errorf("%d of 8 claims won, want exactly 1", won)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil || got.Status != outbound.StatusSending || got.Attempts != 1 {
		t.Errorf("after the race: %+v, %v", got, err)
	}
	if _, _, err := st.ClaimMessage(ctx, 1<<40, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ClaimMessage(missing) = %v, want ErrNotFound", err)
	}
	// A skipped message is never claimed.
	sk, err := st.WriteMessages(ctx, c.ID, 1, []outbound.Message{{ResidentID: ids[0], Channel: population.ChannelWeChat,
		Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut}}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.ClaimMessage(ctx, sk[0].ID, t0); ok || err != nil {
		t.Errorf("ClaimMessage(skipped) = %v, %v; want false", ok, err)
	}
}

func testAdvanceForwardOnly(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	c := startedRun(t, st, "回执乱序")

	// The receipt (matched by the message id it carries) overtakes the
	// send result.
	m := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	if _, ok, err := st.ClaimMessage(ctx, m.ID, t0); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	sentAt, deliveredAt := t0.Add(time.Second), t0.Add(5*time.Second)
	ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusDelivered, outbound.Update{
		ProviderID: "biz-1", ProviderCode: "DELIVERED", ProviderMessage: "用户接收成功", At: deliveredAt})
	if err != nil || !ok {
		t.Fatalf("receipt: %v, %v", ok, err)
	}
	ok, err = st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{
		ProviderID: "biz-1", ProviderCode: "OK", TemplateCode: "SMS_1", At: sentAt})
	if err != nil || ok {
		t.Errorf("late send result = %v, %v; want false, nil", ok, err)
	}
	ok, err = st.AdvanceMessage(ctx, m.ID, outbound.StatusFailed, outbound.Update{ProviderCode: "UNDELIV"})
	if err != nil || ok {
		t.Errorf("receipt after a final one = %v, %v; want false, nil", ok, err)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := m
	want.Status, want.Attempts = outbound.StatusDelivered, 1
	want.ProviderID, want.ProviderCode, want.ProviderMessage = "biz-1", "DELIVERED", "用户接收成功"
	want.TemplateCode = "SMS_1" // the late send result fills what the ledger lacked
	want.SentAt, want.FinishedAt = deliveredAt, deliveredAt
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(outbound.Message{}, "UpdatedAt")); d != "" {
		t.Errorf("after out-of-order receipts (-want +got):\n%s", d)
	}
	if byProvider, err := st.MessageByProviderID(ctx, population.ChannelSMS, "biz-1"); err != nil || byProvider.ID != m.ID {
		t.Errorf("MessageByProviderID = %d, %v; want %d", byProvider.ID, err, m.ID)
	}
	// The refused send result still recorded its template for the caps.
	if _, _, same, err := st.SentCounts(ctx, ids[0], t0.Add(-time.Hour), t0.Add(-time.Hour), "SMS_1"); err != nil || same != 1 {
		t.Errorf("same-template count after a late send result = %d, %v; want 1", same, err)
	}

	// In order: sent, then delivered; a duplicate receipt is refused.
	m2 := writeOne(t, st, c.ID, ids[1], population.ChannelWeChat)
	steps := []struct {
		to   outbound.Status
		u    outbound.Update
		want bool
	}{
		{outbound.StatusSent, outbound.Update{ProviderID: "wx-9", At: sentAt}, true}, // pending → sent: forward
		{outbound.StatusSending, outbound.Update{}, false},
		{outbound.StatusDelivered, outbound.Update{ProviderCode: "success", At: deliveredAt}, true},
		{outbound.StatusDelivered, outbound.Update{ProviderCode: "success"}, false},
		{outbound.StatusSent, outbound.Update{}, false},
	}
	for i, s := range steps {
		if ok, err := st.AdvanceMessage(ctx, m2.ID, s.to, s.u); err != nil || ok != s.want {
			t.Errorf("step %d → %s = %v, %v; want %v", i, s.to, ok, err, s.want)
		}
	}
	if got, _ := st.Message(ctx, m2.ID); got.Status != outbound.StatusDelivered || got.ProviderID != "wx-9" || !got.SentAt.Equal(sentAt) {
		t.Errorf("after steps: %s %q sent %v", got.Status, got.ProviderID, got.SentAt)
	}
	if _, err := st.AdvanceMessage(ctx, m2.ID, outbound.StatusSkipped, outbound.Update{}); err == nil {
		t.Error("a skip without a reason was accepted")
	}
	if _, err := st.AdvanceMessage(ctx, 1<<40, outbound.StatusSent, outbound.Update{}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("AdvanceMessage(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.MessageByProviderID(ctx, population.ChannelWeChat, "biz-1"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("MessageByProviderID(other channel) = %v, want ErrNotFound", err)
	}
}

func testMessageHistory(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "历史")
	m := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

	if _, ok, err := st.ClaimMessage(ctx, m.ID, at(1)); !ok || err != nil {
		t.Fatalf("claim 1: %v, %v", ok, err)
	}
	if err := st.RescheduleMessage(ctx, m.ID, at(60), "quiet_hours"); err != nil {
		t.Fatal(err)
	}
	if err := st.RescheduleMessage(ctx, m.ID, at(60), "quiet_hours"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("RescheduleMessage(pending) = %v, want fault.ErrConflict", err)
	}
	if err := st.RescheduleMessage(ctx, 1<<40, at(60), "x"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("RescheduleMessage(missing) = %v, want ErrNotFound", err)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil || got.Status != outbound.StatusPending || !got.NotBefore.Equal(at(60)) {
		t.Errorf("after reschedule: %s not before %v, %v", got.Status, got.NotBefore, err)
	}
	if _, ok, err := st.ClaimMessage(ctx, m.ID, at(61)); !ok || err != nil {
		t.Fatalf("claim 2: %v, %v", ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: "biz-7", ProviderCode: "OK", At: at(62)}); !ok || err != nil {
		t.Fatalf("sent: %v, %v", ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusFailed, outbound.Update{ProviderCode: "MOBILE_NOT_ON_SERVICE", ProviderMessage: "停机", At: at(63)}); !ok || err != nil {
		t.Fatalf("failed: %v, %v", ok, err)
	}
	evs, err := st.MessageEvents(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The reschedule is dated by the store's clock.
	want := []outbound.Event{
		{MessageID: m.ID, At: at(1), From: outbound.StatusPending, To: outbound.StatusSending, Note: "attempt 1"},
		{MessageID: m.ID, From: outbound.StatusSending, To: outbound.StatusPending, Code: "quiet_hours", Note: "not before " + at(60).UTC().Format(time.RFC3339)},
		{MessageID: m.ID, At: at(61), From: outbound.StatusPending, To: outbound.StatusSending, Note: "attempt 2"},
		{MessageID: m.ID, At: at(62), From: outbound.StatusSending, To: outbound.StatusSent, Code: "OK"},
		{MessageID: m.ID, At: at(63), From: outbound.StatusSent, To: outbound.StatusFailed, Code: "MOBILE_NOT_ON_SERVICE", Note: "停机"},
	}
	if len(evs) == len(want) {
		want[1].At = evs[1].At
	}
	if d := cmp.Diff(want, evs); d != "" {
		t.Errorf("MessageEvents (-want +got):\n%s", d)
	}
	final, _ := st.Message(ctx, m.ID)
	if final.Attempts != 2 || !final.SentAt.Equal(at(62)) || !final.FinishedAt.Equal(at(63)) {
		t.Errorf("final message: attempts %d, sent %v, finished %v", final.Attempts, final.SentAt, final.FinishedAt)
	}
	if evs, err := st.MessageEvents(ctx, 1<<40); err != nil || len(evs) != 0 {
		t.Errorf("MessageEvents(missing) = %v, %v", evs, err)
	}
}

func testFunnel(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 9)
	c := startedRun(t, st, "漏斗")
	other := startedRun(t, st, "别的")
	wx, sms := population.ChannelWeChat, population.ChannelSMS
	ms, err := st.WriteMessages(ctx, c.ID, 1, []outbound.Message{
		{ResidentID: ids[0], Channel: wx},  // delivered
		{ResidentID: ids[1], Channel: wx},  // failed 43004, SMS fallback delivered
		{ResidentID: ids[2], Channel: sms}, // failed by receipt
		{ResidentID: ids[3], Channel: sms}, // sent
		{ResidentID: ids[4], Channel: sms}, // sending
		{ResidentID: ids[5], Channel: sms}, // pending
		{ResidentID: ids[6], Status: outbound.StatusSkipped, SkipReason: outbound.SkipNoChannel},
		{ResidentID: ids[7], Channel: sms, Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut},
		{ResidentID: ids[8], Channel: wx, Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut},
	}, ids[8], true)
	if err != nil {
		t.Fatal(err)
	}
	writeOne(t, st, other.ID, ids[0], sms) // another campaign's message is not counted
	advance := func(id int64, to outbound.Status, u outbound.Update) {
		t.Helper()
		if ok, err := st.AdvanceMessage(ctx, id, to, u); !ok || err != nil {
			t.Fatalf("advance %d to %s: %v, %v", id, to, ok, err)
		}
	}
	advance(ms[0].ID, outbound.StatusSent, outbound.Update{ProviderID: "w0"})
	advance(ms[0].ID, outbound.StatusDelivered, outbound.Update{ProviderCode: "success"})
	advance(ms[1].ID, outbound.StatusFailed, outbound.Update{ProviderCode: "43004"})
	fb, err := st.WriteMessages(ctx, c.ID, 1, []outbound.Message{{ResidentID: ids[1], Channel: sms, FallbackOf: ms[1].ID}}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	advance(fb[0].ID, outbound.StatusDelivered, outbound.Update{ProviderID: "s1", ProviderCode: "DELIVERED"})
	advance(ms[2].ID, outbound.StatusSent, outbound.Update{ProviderID: "s2"})
	advance(ms[2].ID, outbound.StatusFailed, outbound.Update{ProviderCode: "MOBILE_NOT_ON_SERVICE"})
	advance(ms[3].ID, outbound.StatusSent, outbound.Update{ProviderID: "s3"})
	if _, ok, err := st.ClaimMessage(ctx, ms[4].ID, t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// What the campaign prompted besides: a visit reminder and the desk's
	// answer to a reply to it. They are follow-ups, not targets.
	w := seedWorker(t, st, "W100")
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[0], CampaignID: c.ID, Start: t0.Add(48 * time.Hour), End: t0.Add(49 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	slot, err := st.SlotFor(ctx, ids[0], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	rem := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReminder, CampaignID: c.ID, SlotID: slot.ID,
		ResidentID: ids[0], Channel: wx, Route: outbound.RouteWeChatTemplate})
	moveTo(t, st, rem.ID, outbound.StatusSent)
	createMessage(t, st, outbound.Message{Purpose: outbound.PurposeConfirm, CampaignID: c.ID, ResidentID: ids[1],
		Route: outbound.RouteSMS, To: "13900000000", Text: "已收到您的回复：报名。"})

	got, err := st.Funnel(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := outbound.Funnel{
		Targeted: 9,
		ByChannel: map[population.Channel]outbound.ChannelFunnel{
			wx:  {Delivered: 1, Failed: 1, FailedBy: map[string]int{"43004": 1}},
			sms: {Pending: 1, Sending: 1, Sent: 1, Delivered: 1, Failed: 1, FailedBy: map[string]int{"MOBILE_NOT_ON_SERVICE": 1}},
		},
		Skipped: map[outbound.SkipReason]int{outbound.SkipNoChannel: 1, outbound.SkipOptedOut: 2},
		FollowUps: map[outbound.Purpose]outbound.ChannelFunnel{
			outbound.PurposeReminder: {Sent: 1},
			outbound.PurposeConfirm:  {Pending: 1},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Funnel (-want +got):\n%s", d)
	}
	// Within a grid: the messages to its residents alone (0, 3, 6: the
	// delivered WeChat, the sent SMS, the one with no channel, and the
	// reminder to resident 0); no grids is the whole campaign.
	within, err := st.FunnelWithin(ctx, c.ID, []string{"NY-01-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	wantWithin := outbound.Funnel{
		Targeted:  3,
		ByChannel: map[population.Channel]outbound.ChannelFunnel{wx: {Delivered: 1}, sms: {Sent: 1}},
		Skipped:   map[outbound.SkipReason]int{outbound.SkipNoChannel: 1},
		FollowUps: map[outbound.Purpose]outbound.ChannelFunnel{outbound.PurposeReminder: {Sent: 1}},
	}
	if d := cmp.Diff(wantWithin, within); d != "" {
		t.Errorf("FunnelWithin(NY-01-01-01) (-want +got):\n%s", d)
	}
	if street, err := st.FunnelWithin(ctx, c.ID, []string{"NY-02"}); err != nil || street.Targeted != 3 {
		t.Errorf("FunnelWithin(NY-02) = %+v, %v; want residents 2, 5, 8 targeted", street, err)
	}
	if whole, err := st.FunnelWithin(ctx, c.ID, nil); err != nil || !cmp.Equal(want, whole) {
		t.Errorf("FunnelWithin(no grids) = %+v, %v; want the whole funnel", whole, err)
	}
	empty, err := st.Funnel(ctx, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(outbound.Funnel{ByChannel: map[population.Channel]outbound.ChannelFunnel{}, Skipped: map[outbound.SkipReason]int{},
		FollowUps: map[outbound.Purpose]outbound.ChannelFunnel{}}, empty); d != "" {
		t.Errorf("Funnel(no messages) (-want +got):\n%s", d)
	}
}

func testSentCounts(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	who, bystander := ids[0], ids[1]
	a, b := startedRun(t, st, "甲"), startedRun(t, st, "乙")
	day := time.Date(2026, 3, 18, 0, 0, 0, 0, campaigns.Shanghai()) // a Wednesday
	week := time.Date(2026, 3, 16, 0, 0, 0, 0, campaigns.Shanghai())
	send := func(campaignID, resident int64, ch population.Channel, template string, at time.Time) {
		t.Helper()
		m := writeOne(t, st, campaignID, resident, ch)
		if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: "p", TemplateCode: template, At: at}); !ok || err != nil {
			t.Fatalf("send: %v, %v", ok, err)
		}
	}
	send(a.ID, who, population.ChannelSMS, "SMS_1", day.Add(9*time.Hour))       // today, SMS_1
	send(b.ID, who, population.ChannelSMS, "SMS_1", day.Add(10*time.Hour))      // today, SMS_1, another campaign
	send(b.ID, who, population.ChannelWeChat, "TPL_W", day.Add(-20*time.Hour))  // this week, not today
	send(a.ID, who, population.ChannelWeChat, "TPL_W", week.Add(-time.Minute))  // last week
	send(a.ID, bystander, population.ChannelSMS, "SMS_1", day.Add(9*time.Hour)) // someone else
	writeOne(t, st, b.ID, bystander, population.ChannelWeChat)                  // never sent
	// The desk's answers do not count against the caps.
	ack := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: who, Route: outbound.RouteSMS,
		To: "13900000000", TemplateCode: "SMS_1"})
	if _, ok, err := st.ClaimMessage(ctx, ack.ID, day); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, ack.ID, outbound.StatusSent, outbound.Update{ProviderID: "a", At: day.Add(11 * time.Hour)}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	for _, tc := range []struct {
		template              string
		today, week, sameTmpl int
	}{
		{"SMS_1", 2, 3, 2},
		{"TPL_W", 2, 3, 0},
		{"", 2, 3, 0},
	} {
		today, wk, same, err := st.SentCounts(ctx, who, day, week, tc.template)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]int{tc.today, tc.week, tc.sameTmpl}, []int{today, wk, same}); d != "" {
			t.Errorf("SentCounts(%q) today, week, same template (-want +got):\n%s", tc.template, d)
		}
	}
	if today, wk, same, err := st.SentCounts(ctx, 1<<40, day, week, "SMS_1"); err != nil || today+wk+same != 0 {
		t.Errorf("SentCounts(nobody) = %d %d %d, %v", today, wk, same, err)
	}
}

func testStaleSent(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	c := startedRun(t, st, "对账")
	var ms []outbound.Message
	for i, id := range ids {
		m := writeOne(t, st, c.ID, id, population.ChannelSMS)
		if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: "biz" + string(rune('a'+i))}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		ms = append(ms, m)
	}
	if ok, err := st.AdvanceMessage(ctx, ms[1].ID, outbound.StatusDelivered, outbound.Update{ProviderCode: "DELIVERED"}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	writeOne(t, st, c.ID, ids[0], population.ChannelWeChat) // pending: not stale sent
	// updated_at is the store's clock: everything was sent before now+1h.
	stale, err := st.StaleSent(ctx, time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{}
	for _, m := range stale {
		got = append(got, m.ID)
		if m.Status != outbound.StatusSent || m.ProviderID == "" {
			t.Errorf("stale message %d: %s %q", m.ID, m.Status, m.ProviderID)
		}
	}
	if d := cmp.Diff([]int64{ms[0].ID, ms[2].ID}, got); d != "" {
		t.Errorf("StaleSent (-want +got):\n%s", d)
	}
	if one, _ := st.StaleSent(ctx, time.Now().Add(time.Hour), 1); len(one) != 1 || one[0].ID != ms[0].ID {
		t.Errorf("StaleSent(limit 1) = %v", one)
	}
	if none, err := st.StaleSent(ctx, time.Now().Add(-time.Hour), 10); err != nil || len(none) != 0 {
		t.Errorf("StaleSent(an hour ago) = %v, %v", none, err)
	}
}
