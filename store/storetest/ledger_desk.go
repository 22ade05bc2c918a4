package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The one ledger beyond a campaign's fan-out: the desk's messages and
// reminders are written with CreateMessage and then live exactly like
// campaign messages — one claim, one forward-only advance, one receipt
// lookup, one list of work to hand back to the queue.

// createMessage writes m and returns it as stored.
func createMessage(t *testing.T, st Store, m outbound.Message) outbound.Message {
	t.Helper()
	got, created, err := st.CreateMessage(t.Context(), m)
	if err != nil || !created {
		t.Fatalf("CreateMessage(%s) = %v, %v", m.Purpose, created, err)
	}
	return got
}

// moveTo takes a pending message to status st the way the send path would.
func moveTo(t *testing.T, st Store, id int64, to outbound.Status) {
	t.Helper()
	ctx := t.Context()
	if to == outbound.StatusPending {
		return
	}
	if _, ok, err := st.ClaimMessage(ctx, id, t0); !ok || err != nil {
		t.Fatalf("claim %d: %v, %v", id, ok, err)
	}
	u := outbound.Update{ProviderID: "p"}
	switch to {
	case outbound.StatusSending:
		return
	case outbound.StatusSkipped:
		u = outbound.Update{SkipReason: outbound.SkipOptedOut}
	case outbound.StatusFailed:
		u = outbound.Update{ProviderCode: "43004"}
	}
	if ok, err := st.AdvanceMessage(ctx, id, to, u); !ok || err != nil {
		t.Fatalf("advance %d to %s: %v, %v", id, to, ok, err)
	}
}

func testDeskMessageLifecycle(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	m := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, TicketID: tk.ID, ResidentID: ids[0],
		Route: outbound.RouteWeChatTemplate, RouteReason: "outside the 48-hour window", To: "oOpenID0001",
		Text: "灯已修好", TemplateCode: "TPL_REPLY", Params: map[string]string{"keyword1": "灯已修好"},
		URL: "https://grid.example.gov.cn/console/#/tickets/1", Actor: "wang", CreatedAt: t0})
	want := outbound.Message{ID: m.ID, Purpose: outbound.PurposeReply, TicketID: tk.ID, ResidentID: ids[0],
		Channel: population.ChannelWeChat, Route: outbound.RouteWeChatTemplate, RouteReason: "outside the 48-hour window",
		To: "oOpenID0001", Text: "灯已修好", TemplateCode: "TPL_REPLY", Params: map[string]string{"keyword1": "灯已修好"},
		URL: "https://grid.example.gov.cn/console/#/tickets/1", Actor: "wang", Status: outbound.StatusPending, CreatedAt: t0}
	if d := cmp.Diff(want, m, ignoreUpdated); d != "" || m.ID == 0 {
		t.Errorf("CreateMessage (-want +got):\n%s", d)
	}
	if got, err := st.Message(ctx, m.ID); err != nil || cmp.Diff(want, got, ignoreUpdated) != "" {
		t.Errorf("Message = %+v, %v", got, err)
	}

	// Claimed once; a second claim gets the stored message and false.
	claimed, ok, err := st.ClaimMessage(ctx, m.ID, t0.Add(time.Second))
	if err != nil || !ok || claimed.Status != outbound.StatusSending || claimed.Attempts != 1 {
		t.Fatalf("ClaimMessage = %+v, %v, %v", claimed, ok, err)
	}
	if again, ok, err := st.ClaimMessage(ctx, m.ID, t0.Add(time.Second)); err != nil || ok || again.Attempts != 1 {
		t.Errorf("second ClaimMessage = %+v, %v, %v; want the sending message, false", again, ok, err)
	}
	// A retryable failure hands it back; the attempt stays counted.
	if err := st.RescheduleMessage(ctx, m.ID, t0.Add(time.Minute), "retry:45047"); err != nil {
		t.Fatal(err)
	}
	if err := st.RescheduleMessage(ctx, m.ID, t0.Add(time.Minute), "retry"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("rescheduling a pending message = %v, want ErrConflict", err)
	}
	if _, ok, err := st.ClaimMessage(ctx, m.ID, t0.Add(2*time.Minute)); !ok || err != nil {
		t.Fatalf("ClaimMessage after the retry = %v, %v", ok, err)
	}
	sentAt, doneAt := t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	for _, step := range []struct {
		to    outbound.Status
		u     outbound.Update
		moved bool
	}{
		{outbound.StatusSent, outbound.Update{ProviderID: "9001", ProviderCode: "OK", At: sentAt}, true},
		{outbound.StatusSent, outbound.Update{ProviderID: "9001", At: sentAt}, false},
		{outbound.StatusDelivered, outbound.Update{ProviderCode: "success", At: doneAt}, true},
		{outbound.StatusFailed, outbound.Update{ProviderCode: "failed:user block", At: doneAt}, false},
	} {
		if moved, err := st.AdvanceMessage(ctx, m.ID, step.to, step.u); err != nil || moved != step.moved {
			t.Errorf("AdvanceMessage(%s) = %v, %v; want %v", step.to, moved, err, step.moved)
		}
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil || got.Status != outbound.StatusDelivered || got.Attempts != 2 || got.ProviderID != "9001" ||
		got.ProviderCode != "success" || !got.SentAt.Equal(sentAt) || !got.FinishedAt.Equal(doneAt) {
		t.Errorf("delivered reply = %+v, %v", got, err)
	}
	evs, err := st.MessageEvents(ctx, m.ID)
	var moves []string
	for _, ev := range evs {
		moves = append(moves, string(ev.From)+">"+string(ev.To))
	}
	if d := cmp.Diff([]string{"pending>sending", "sending>pending", "pending>sending", "sending>sent", "sent>delivered"}, moves); d != "" || err != nil {
		t.Errorf("MessageEvents (-want +got):\n%s%v", d, err)
	}

	// A message that reaches nobody is recorded failed, not dropped.
	none := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, TicketID: tk.ID, ResidentID: ids[0],
		RouteReason: "no phone, no WeChat", Status: outbound.StatusFailed})
	if none.Status != outbound.StatusFailed || none.FinishedAt.IsZero() || none.Channel != population.ChannelNone {
		t.Errorf("unreachable message = %+v", none)
	}

	// Refused input writes nothing; unknown ids are not found.
	c := startedRun(t, st, "校验")
	for _, bad := range []outbound.Message{
		{Purpose: "spam", Route: outbound.RouteSMS, To: "13900000000"},
		{Purpose: outbound.PurposeReply, Route: "email", To: "x"},
		{Purpose: outbound.PurposeReply, Route: outbound.RouteSMS, To: "13900000000", Status: "lost"},
		{Purpose: outbound.PurposeReply, Route: outbound.RouteSMS, To: "13900000000", Status: outbound.StatusSent},
		{Purpose: outbound.PurposeReply, Route: outbound.RouteSMS},
		{Purpose: outbound.PurposeReply, Route: outbound.RouteSMS, Channel: population.ChannelWeChat, To: "x"},
		{Purpose: outbound.PurposeReply, Route: outbound.RouteNone, To: "x"},
		{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, ResidentID: ids[0], Route: outbound.RouteSMS},
		{Purpose: outbound.PurposeReminder, CampaignID: c.ID, ResidentID: ids[0], Route: outbound.RouteSMS},
		{Purpose: outbound.PurposeConfirm, Route: outbound.RouteSMS, To: "x", Status: outbound.StatusSkipped},
	} {
		if _, _, err := st.CreateMessage(ctx, bad); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("CreateMessage(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if ms, _ := st.ResidentMessages(ctx, ids[0], 0, 100); len(ms) != 2 {
		t.Errorf("refused messages were written: %d on the resident's record, want 2", len(ms))
	}
	missing := none.ID + 1000
	if _, err := st.Message(ctx, missing); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Message(missing) = %v, want ErrNotFound", err)
	}
	if _, _, err := st.ClaimMessage(ctx, missing, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ClaimMessage(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.AdvanceMessage(ctx, missing, outbound.StatusSent, outbound.Update{}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("AdvanceMessage(missing) = %v, want ErrNotFound", err)
	}
	if err := st.RescheduleMessage(ctx, missing, t0, "retry"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("RescheduleMessage(missing) = %v, want ErrNotFound", err)
	}
}

// A binding code lives in its SMS parameters only until the message
// leaves our hands.
func testBindCodeBlanked(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	for _, to := range []outbound.Status{outbound.StatusSent, outbound.StatusFailed} {
		m := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeBindCode, ResidentID: ids[0], Route: outbound.RouteSMS,
			To: "13900000000", TemplateCode: "SMS_VERIFY", Params: map[string]string{"code": "123456"}})
		if m.Params["code"] != "123456" {
			t.Fatalf("the code is not kept until the send: %+v", m.Params)
		}
		moveTo(t, st, m.ID, to)
		if got, err := st.Message(ctx, m.ID); err != nil || got.Params != nil {
			t.Errorf("binding code after %s: params %v, %v; want none", to, got.Params, err)
		}
	}
	reply := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, ResidentID: ids[0], Route: outbound.RouteSMS,
		To: "13900000000", TemplateCode: "SMS_REPLY", Params: map[string]string{"reply": "好的"}})
	moveTo(t, st, reply.ID, outbound.StatusSent)
	if got, _ := st.Message(ctx, reply.ID); got.Params["reply"] != "好的" {
		t.Errorf("a reply's parameters were blanked: %v", got.Params)
	}
}

// One receipt lookup serves every purpose: the provider id is on the row
// whatever sent it.
func testMessageByProviderAnyPurpose(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "回执")
	campaignSMS := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	deskSMS := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: ids[0], Route: outbound.RouteSMS, To: "13900000000"})
	deskWX := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, ResidentID: ids[0], Route: outbound.RouteWeChatTemplate, To: "oA"})
	never := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeConfirm, ResidentID: ids[0], Route: outbound.RouteSMS, To: "13900000000"})
	send := func(id int64, providerID string) {
		t.Helper()
		if _, ok, err := st.ClaimMessage(ctx, id, t0); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, err := st.AdvanceMessage(ctx, id, outbound.StatusSent, outbound.Update{ProviderID: providerID}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	send(campaignSMS.ID, outbound.SMSProviderID("biz-1", "13900000000"))
	send(deskSMS.ID, outbound.SMSProviderID("biz-2", "13900000000"))
	send(deskWX.ID, "biz-1/13900000000") // the same text on the other channel
	for _, tc := range []struct {
		channel    population.Channel
		providerID string
		want       int64
	}{
		{population.ChannelSMS, "biz-1/13900000000", campaignSMS.ID},
		{population.ChannelSMS, "biz-2/13900000000", deskSMS.ID},
		{population.ChannelWeChat, "biz-1/13900000000", deskWX.ID},
		{population.ChannelSMS, "biz-3/13900000000", 0},
		{population.ChannelSMS, "", 0},
	} {
		got, err := st.MessageByProviderID(ctx, tc.channel, tc.providerID)
		if tc.want == 0 {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("MessageByProviderID(%s, %q) = %d, %v; want ErrNotFound", tc.channel, tc.providerID, got.ID, err)
			}
			continue
		}
		if err != nil || got.ID != tc.want {
			t.Errorf("MessageByProviderID(%s, %q) = %d, %v; want %d", tc.channel, tc.providerID, got.ID, err, tc.want)
		}
	}
	_ = never
}

// PendingSingles lists what the tick hands to the queue again: pending
// messages outside campaign fan-outs, by id.
func testPendingSingles(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	if got, err := st.PendingSingles(ctx, 0, 10); err != nil || len(got) != 0 {
		t.Errorf("PendingSingles(empty) = %v, %v", got, err)
	}
	c := startedRun(t, st, "待发")
	writeOne(t, st, c.ID, ids[0], population.ChannelSMS) // a fan-out's: rebuilt per campaign
	msg := outbound.Message{Purpose: outbound.PurposeConfirm, ResidentID: ids[0], Route: outbound.RouteSMS, To: "13900000000"}
	a := createMessage(t, st, msg)
	sent := createMessage(t, st, msg)
	moveTo(t, st, sent.ID, outbound.StatusSent)
	sending := createMessage(t, st, msg)
	moveTo(t, st, sending.ID, outbound.StatusSending)
	b := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeNotify, WorkerID: seedWorker(t, st, "W009"),
		Route: outbound.RouteSMS, To: "13700000000"})
	got, err := st.PendingSingles(ctx, 0, 10)
	if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
		t.Errorf("PendingSingles = %+v, %v; want [%d %d]", got, err, a.ID, b.ID)
	}
	if got, err := st.PendingSingles(ctx, a.ID, 1); err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("PendingSingles after %d = %+v, %v; want [%d]", a.ID, got, err, b.ID)
	}
}

// StuckSending finds claims older than the cutoff, of every purpose.
func testStuckSending(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	c := startedRun(t, st, "卡住")
	cm := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	dm := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, ResidentID: ids[1], Route: outbound.RouteSMS, To: "13900000000"})
	createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: ids[1], Route: outbound.RouteSMS, To: "13900000000"})
	for _, id := range []int64{cm.ID, dm.ID} {
		if _, ok, err := st.ClaimMessage(ctx, id, t0); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	// The claims were made at t0.
	got, err := st.StuckSending(ctx, t0.Add(time.Hour), 0, 10)
	if err != nil || len(got) != 2 || got[0].ID != cm.ID || got[1].ID != dm.ID || got[1].Purpose != outbound.PurposeReply {
		t.Errorf("StuckSending = %+v, %v; want [%d %d]", got, err, cm.ID, dm.ID)
	}
	if got, err := st.StuckSending(ctx, t0.Add(-time.Hour), 0, 10); err != nil || len(got) != 0 {
		t.Errorf("StuckSending(an hour ago) = %+v, %v; want none", got, err)
	}
	if got, _ := st.StuckSending(ctx, t0.Add(time.Hour), cm.ID, 10); len(got) != 1 || got[0].ID != dm.ID {
		t.Errorf("StuckSending after %d = %+v", cm.ID, got)
	}
}

// A visit has one reminder per channel however often the scan writes it,
// and a reminder of any status takes the visit off the due list.
func testReminderOnce(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W002")
	c := createCampaign(t, st, "走访")
	nine := time.Date(2026, 3, 17, 9, 0, 0, 0, campaigns.Shanghai())
	for i, id := range ids {
		s := nine.Add(time.Duration(i) * time.Hour)
		if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: id, CampaignID: c.ID, Start: s, End: s.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSlotState(ctx, id, c.ID, campaigns.VisitConfirmed); err != nil {
			t.Fatal(err)
		}
	}
	day := nine.Add(-9 * time.Hour)
	due, err := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueReminders = %+v, %v", due, err)
	}
	r := outbound.Message{Purpose: outbound.PurposeReminder, CampaignID: c.ID, SlotID: due[0].ID, ResidentID: ids[0],
		Channel: population.ChannelWeChat, Route: outbound.RouteWeChatTemplate, Deadline: due[0].Start}
	first := createMessage(t, st, r)
	again, created, err := st.CreateMessage(ctx, r)
	if err != nil || created || again.ID != first.ID {
		t.Errorf("second reminder of the slot = %d, created %v, %v; want %d, false", again.ID, created, err, first.ID)
	}
	// Its SMS fallback is another message.
	fb := r
	fb.Channel, fb.Route, fb.FallbackOf = population.ChannelSMS, outbound.RouteSMS, first.ID
	if sms := createMessage(t, st, fb); sms.ID == first.ID || sms.FallbackOf != first.ID {
		t.Errorf("SMS fallback of the reminder = %+v", sms)
	}
	// A skipped reminder settles the other visit too.
	createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReminder, CampaignID: c.ID, SlotID: due[1].ID, ResidentID: ids[1],
		Status: outbound.StatusSkipped, SkipReason: outbound.SkipOptedOut})
	if due, err := st.DueReminders(ctx, day, day.AddDate(0, 0, 1), 10); err != nil || len(due) != 0 {
		t.Errorf("DueReminders after the reminders were written = %+v, %v; want none", due, err)
	}
}

// A campaign message's fallback is written once, however often it is
// written.
func testFallbackOnce(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "回落")
	wx := writeOne(t, st, c.ID, ids[0], population.ChannelWeChat)
	fb := outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1, ResidentID: ids[0],
		Channel: population.ChannelSMS, Route: outbound.RouteSMS, FallbackOf: wx.ID, RouteReason: "fallback after WeChat 43004"}
	first := createMessage(t, st, fb)
	if first.FallbackOf != wx.ID || first.Run != 1 || first.RouteReason != fb.RouteReason {
		t.Errorf("fallback = %+v", first)
	}
	again, created, err := st.CreateMessage(ctx, fb)
	if err != nil || created || again.ID != first.ID {
		t.Errorf("second fallback = %d, created %v, %v; want %d, false", again.ID, created, err, first.ID)
	}
}

// A resident's history holds every purpose, newest first.
func testResidentMessages(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	c := startedRun(t, st, "履历")
	cm := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	ack := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, TicketID: tk.ID, ResidentID: ids[0],
		Route: outbound.RouteSMS, To: "13900000000", Actor: tickets.ActorSystem})
	reply := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, TicketID: tk.ID, ResidentID: ids[0],
		Route: outbound.RouteCustomerService, To: "oA", Actor: "wang"})
	createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: ids[1], Route: outbound.RouteSMS, To: "13700000000"})
	got, err := st.ResidentMessages(ctx, ids[0], 0, 10)
	var gotIDs []int64
	for _, m := range got {
		gotIDs = append(gotIDs, m.ID)
	}
	if d := cmp.Diff([]int64{reply.ID, ack.ID, cm.ID}, gotIDs); d != "" || err != nil {
		t.Errorf("ResidentMessages (-want +got):\n%s%v", d, err)
	}
	if page, _ := st.ResidentMessages(ctx, ids[0], ack.ID, 1); len(page) != 1 || page[0].ID != cm.ID {
		t.Errorf("ResidentMessages before %d = %+v; want [%d]", ack.ID, page, cm.ID)
	}
}
