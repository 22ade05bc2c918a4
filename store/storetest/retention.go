package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// Retention and erasure of personal data: the sweep clears what is older
// than its cutoff and what nothing holds any more, leaves the young and
// the held alone, and leaves every count as it was; an erasure
// pseudonymises a resident in one go and keeps them erased through a later
// import.

// retentionTests are run by Run beside the others.
var retentionTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"RetentionPurge", testRetentionPurge},
	{"RetentionNeedsCutoff", testRetentionNeedsCutoff},
	{"EraseResident", testEraseResident},
	{"EraseRefusals", testEraseRefusals},
	{"PurgeMediaAndNotes", testPurgeMediaAndNotes},
	{"EraseMediaAndNotes", testEraseMediaAndNotes},
	{"MediaFilesGone", testMediaFilesGone},
}

// sentMessage writes m and moves it through sending to sent with
// providerID, all at m.CreatedAt, and returns it as stored.
func sentMessage(t *testing.T, st Store, m outbound.Message, providerID string) outbound.Message {
	t.Helper()
	ctx := t.Context()
	stored, _, err := st.CreateMessage(ctx, m)
	if err != nil {
		t.Fatalf("CreateMessage(%s): %v", m.Purpose, err)
	}
	if _, ok, err := st.ClaimMessage(ctx, stored.ID, m.CreatedAt); !ok || err != nil {
		t.Fatalf("ClaimMessage(%d) = %v, %v", stored.ID, ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, stored.ID, outbound.StatusSent, outbound.Update{ProviderID: providerID, At: m.CreatedAt}); !ok || err != nil {
		t.Fatalf("AdvanceMessage(%d, sent) = %v, %v", stored.ID, ok, err)
	}
	return message(t, st, stored.ID)
}

// shown is m's stored content, for a failure message (Message's String
// names it without its content).
func shown(m outbound.Message) string {
	return fmt.Sprintf("message %d %s %s: text %q, to %q, params %v, provider id %q, resident %d, worker %d",
		m.ID, m.Purpose, m.Status, m.Text, m.To, m.Params, m.ProviderID, m.ResidentID, m.WorkerID)
}

func message(t *testing.T, st Store, id int64) outbound.Message {
	t.Helper()
	m, err := st.Message(t.Context(), id)
	if err != nil {
		t.Fatalf("Message(%d): %v", id, err)
	}
	return m
}

func inbound(t *testing.T, st Store, id int64) tickets.Inbound {
	t.Helper()
	in, err := st.InboundByID(t.Context(), id)
	if err != nil {
		t.Fatalf("InboundByID(%d): %v", id, err)
	}
	return in
}

func ticket(t *testing.T, st Store, id int64) tickets.Ticket {
	t.Helper()
	tk, err := st.Ticket(t.Context(), id)
	if err != nil {
		t.Fatalf("Ticket(%d): %v", id, err)
	}
	return tk
}

// record stores an inbound message and links it to ticketID (0: none).
func record(t *testing.T, st Store, in tickets.InboundRecord, ticketID int64) int64 {
	t.Helper()
	id, _, err := st.RecordInbound(t.Context(), in)
	if err != nil {
		t.Fatalf("RecordInbound: %v", err)
	}
	if ticketID != 0 {
		if err := st.LinkInbound(t.Context(), id, ticketID); err != nil {
			t.Fatalf("LinkInbound: %v", err)
		}
	}
	return id
}

// purgeAll runs the four sweeps with sw and returns their counts.
func purgeAll(t *testing.T, st Store, sw retention.Sweep) retention.Counts {
	t.Helper()
	var c retention.Counts
	for _, p := range []struct {
		name string
		fn   func() (int64, error)
		into *int64
	}{
		{"PurgeMessages", func() (int64, error) { return st.PurgeMessages(t.Context(), sw) }, &c.Messages},
		{"PurgeInbound", func() (int64, error) { return st.PurgeInbound(t.Context(), sw) }, &c.Inbound},
		{"PurgeTickets", func() (int64, error) { return st.PurgeTickets(t.Context(), sw) }, &c.Tickets},
		{"PurgeBindings", func() (int64, error) { return st.PurgeBindings(t.Context(), sw) }, &c.Bindings},
	} {
		n, err := p.fn()
		if err != nil {
			t.Fatalf("%s(dry run %v): %v", p.name, sw.DryRun, err)
		}
		*p.into = n
	}
	return c
}

// figures are what the funnels, caps and evaluations read.
type figures struct {
	Funnel  outbound.Funnel
	Counts  [3]int
	Backlog []tickets.Backlog
	Tickets []tickets.Ticket
}

func readFigures(t *testing.T, st Store, campaignID, residentID int64, day time.Time) figures {
	t.Helper()
	ctx := t.Context()
	var f figures
	var err error
	if f.Funnel, err = st.Funnel(ctx, campaignID); err != nil {
		t.Fatal(err)
	}
	if f.Counts[0], f.Counts[1], f.Counts[2], err = st.SentCounts(ctx, residentID, day, day.AddDate(0, 0, -6), ""); err != nil {
		t.Fatal(err)
	}
	if f.Backlog, err = st.TicketBacklog(ctx, day); err != nil {
		t.Fatal(err)
	}
	if f.Tickets, err = st.Tickets(ctx, store.TicketFilter{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// Texts go, counts stay: the sweep clears what is older than the cutoff
// and no longer needed, in batches, once; what is young or still held (a
// message pending, a ticket open) is left, and cleared by a later pass
// once it is let go.
func testRetentionPurge(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	phones := []string{"13900000000", "13900000001", "13900000002"}
	c := startedRun(t, st, "保留期限")
	old, young := t0, t0.AddDate(0, 0, 200)
	sw := retention.Sweep{Before: t0.AddDate(0, 0, 100), Batch: 2}
	sms := population.ChannelSMS

	camp := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: ids[0], Channel: sms, Route: outbound.RouteSMS, CreatedAt: old}, outbound.SMSProviderID("biz-old", phones[0]))
	if ok, err := st.AdvanceMessage(ctx, camp.ID, outbound.StatusDelivered, outbound.Update{ProviderCode: "DELIVERED", At: old.Add(time.Minute)}); !ok || err != nil {
		t.Fatalf("deliver: %v, %v", ok, err)
	}
	campYoung := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: ids[1], Channel: sms, Route: outbound.RouteSMS, CreatedAt: young}, outbound.SMSProviderID("biz-young", phones[1]))
	desk := func(p outbound.Purpose, resident int, ticketID int64, text string, at time.Time) outbound.Message {
		return outbound.Message{Purpose: p, ResidentID: ids[resident], TicketID: ticketID, Route: outbound.RouteSMS,
			To: phones[resident], Text: text, TemplateCode: "SMS_DESK", Params: map[string]string{"text": text}, CreatedAt: at}
	}
	ack := sentMessage(t, st, desk(outbound.PurposeAck, 0, 0, "您的诉求已受理", old), outbound.SMSProviderID("biz-ack", phones[0]))
	ackYoung := sentMessage(t, st, desk(outbound.PurposeAck, 1, 0, "您的诉求已受理", young), outbound.SMSProviderID("biz-ack2", phones[1]))

	openT := newTicket(t, st, ids[0], "NY-01-01-01", 0, time.Time{})
	closedT := newTicket(t, st, ids[1], "NY-01-01-02", time.Hour, time.Time{})
	ev, err := closedT.Transition(tickets.StatusClosed, "wang", t0.Add(2*time.Hour))
	apply(t, st, closedT, ev, err)
	youngT := newTicket(t, st, ids[2], "NY-02-01-01", 200*24*time.Hour, time.Time{})
	ev, err = youngT.Transition(tickets.StatusClosed, "wang", young.Add(time.Hour))
	apply(t, st, youngT, ev, err)
	for _, tk := range []tickets.Ticket{closedT, youngT} {
		if _, err := st.AddTicketNote(ctx, tickets.Note{TicketID: tk.ID, Author: "王芳", Text: "已电话联系居民"}); err != nil {
			t.Fatal(err)
		}
	}

	reply := sentMessage(t, st, desk(outbound.PurposeReply, 0, openT.ID, "明天上午来修", old.Add(time.Minute)), outbound.SMSProviderID("biz-r", phones[0]))
	pending, _, err := st.CreateMessage(ctx, desk(outbound.PurposeConfirm, 2, 0, "您已退订", old))
	if err != nil {
		t.Fatal(err)
	}

	inOld := record(t, st, tickets.InboundRecord{Channel: sms, ProviderMsgID: "up-1", FromKey: phones[0], ResidentID: ids[0],
		Content: "我想报名", ReceivedAt: old, Intent: tickets.IntentQuestion}, 0)
	inOpen := record(t, st, tickets.InboundRecord{Channel: sms, ProviderMsgID: "up-2", FromKey: phones[0], ResidentID: ids[0],
		Content: "楼道灯坏了", ReceivedAt: old, Intent: tickets.IntentQuestion}, openT.ID)
	inClosed := record(t, st, tickets.InboundRecord{Channel: sms, ProviderMsgID: "up-3", FromKey: phones[1], ResidentID: ids[1],
		Content: "垃圾没人收", ReceivedAt: old.Add(time.Hour), Intent: tickets.IntentQuestion}, closedT.ID)
	inYoung := record(t, st, tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "wx-4", FromKey: "oOpenYoung",
		ResidentID: ids[2], Content: "[图片] MEDIA_4", ReceivedAt: young, Intent: tickets.IntentQuestion}, 0)

	bind := func(openid string, at time.Time) int64 {
		id, err := st.StartBinding(ctx, tickets.Binding{OpenID: pii.OpenID(openid), Phone: pii.Phone(phones[0]), ResidentID: ids[0],
			CodeHash: "h", CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	bOld, bYoung := bind("oBindOld", old), bind("oBindYoung", young)

	before := readFigures(t, st, c.ID, ids[0], old)
	keep := map[string]any{
		"young campaign message": campYoung, "young ack": ackYoung, "reply on an open ticket": reply,
		"pending":       message(t, st, pending.ID),
		"young inbound": inbound(t, st, inYoung), "inbound of an open ticket": inbound(t, st, inOpen),
		"open ticket": ticket(t, st, openT.ID), "young closed ticket": ticket(t, st, youngT.ID),
	}
	unchanged := func(when string) {
		t.Helper()
		for name, was := range keep {
			var now any
			switch v := was.(type) {
			case outbound.Message:
				now = message(t, st, v.ID)
			case tickets.Inbound:
				now = inbound(t, st, v.ID)
			case tickets.Ticket:
				now = ticket(t, st, v.ID)
			}
			if d := cmp.Diff(was, now); d != "" {
				t.Errorf("%s: the %s changed (-before +after):\n%s", when, name, d)
			}
		}
		if _, err := st.BindingAttempt(ctx, bYoung); err != nil {
			t.Errorf("%s: the young binding request: %v", when, err)
		}
	}

	want := retention.Counts{Messages: 2, Inbound: 2, Tickets: 1, Bindings: 1}
	dry := sw
	dry.DryRun = true
	if got := purgeAll(t, st, dry); got != want {
		t.Errorf("dry run = %+v, want %+v", got, want)
	}
	if m := message(t, st, ack.ID); m.Text == "" {
		t.Errorf("a dry run cleared the ack")
	}
	if got := purgeAll(t, st, sw); got != want {
		t.Errorf("purge = %+v, want %+v", got, want)
	}
	unchanged("after the purge")

	// What was old and let go is cleared; what counts stays.
	m := message(t, st, camp.ID)
	if m.ProviderID != "biz-old" || m.Status != outbound.StatusDelivered || m.ResidentID != ids[0] || m.CampaignID != c.ID ||
		!m.CreatedAt.Equal(camp.CreatedAt) || !m.SentAt.Equal(camp.SentAt) {
		t.Errorf("old campaign message after the purge: %s; want provider id biz-old, the rest kept", shown(m))
	}
	m = message(t, st, ack.ID)
	if m.Text != "" || m.To != "" || len(m.Params) != 0 || m.ProviderID != "biz-ack" ||
		m.Status != outbound.StatusSent || m.Route != outbound.RouteSMS || m.TemplateCode != "SMS_DESK" || m.ResidentID != ids[0] {
		t.Errorf("old ack after the purge: %s; want text, recipient, parameters and phone cleared, the rest kept", shown(m))
	}
	for _, id := range []int64{inOld, inClosed} {
		in := inbound(t, st, id)
		if in.Content != "" || in.FromKey != "" || in.ProviderMsgID == "" || in.ResidentID == 0 || in.ReceivedAt.IsZero() {
			t.Errorf("old inbound %d after the purge: %+v; want content and sender cleared, the rest kept", id, in)
		}
	}
	if tk := ticket(t, st, closedT.ID); tk.Text != "" || tk.Status != tickets.StatusClosed || tk.Category != tickets.CategoryEnvironment {
		t.Errorf("old closed ticket after the purge: %+v; want its text cleared, the rest kept", tk)
	}
	for tk, want := range map[int64]string{closedT.ID: "", youngT.ID: "已电话联系居民"} {
		ns, err := st.TicketNotes(ctx, tk)
		if err != nil || len(ns) != 1 || ns[0].Text != want || ns[0].Author != "王芳" {
			t.Errorf("the notes of ticket %d after the purge: %+v, %v; want one by 王芳 saying %q", tk, ns, err, want)
		}
	}
	if _, err := st.BindingAttempt(ctx, bOld); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("old binding request after the purge: %v, want it deleted", err)
	}
	ignoreText := cmpopts.IgnoreFields(tickets.Ticket{}, "Text")
	if d := cmp.Diff(before, readFigures(t, st, c.ID, ids[0], old), ignoreText); d != "" {
		t.Errorf("figures changed by the purge (-before +after):\n%s", d)
	}

	// Again: nothing left to do.
	if got := purgeAll(t, st, sw); got != (retention.Counts{}) {
		t.Errorf("second purge = %+v, want nothing", got)
	}

	// The open ticket closes and the pending message goes out: what they
	// held is cleared by the next pass, the rest stays as it was.
	ev, err = openT.Transition(tickets.StatusClosed, "wang", t0.Add(3*time.Hour))
	apply(t, st, openT, ev, err)
	if _, ok, err := st.ClaimMessage(ctx, pending.ID, old); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, pending.ID, outbound.StatusSent, outbound.Update{ProviderID: "biz-p/" + phones[2], At: old}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	delete(keep, "reply on an open ticket")
	delete(keep, "pending")
	delete(keep, "inbound of an open ticket")
	delete(keep, "open ticket")
	if got, want := purgeAll(t, st, sw), (retention.Counts{Messages: 2, Inbound: 1, Tickets: 1}); got != want {
		t.Errorf("purge after the ticket closed = %+v, want %+v", got, want)
	}
	unchanged("after the second purge")
	for _, id := range []int64{reply.ID, pending.ID} {
		if m := message(t, st, id); m.Text != "" || m.To != "" || strings.Contains(m.ProviderID, "/") {
			t.Errorf("held until now: %s; want it cleared", shown(m))
		}
	}
	if in := inbound(t, st, inOpen); in.Content != "" {
		t.Errorf("inbound of the ticket closed since: %+v; want it cleared", in)
	}
	if tk := ticket(t, st, openT.ID); tk.Text != "" {
		t.Errorf("ticket closed since: %+v; want its text cleared", tk)
	}
}

func testRetentionNeedsCutoff(t *testing.T, st Store) {
	if _, err := st.PurgeMessages(t.Context(), retention.Sweep{}); err == nil {
		t.Error("PurgeMessages without a cutoff: nil error, want a refusal")
	}
}

// Erasure: the resident becomes a pseudonym with nothing that identifies
// them, everything they sent and were sent is cleared, nothing more goes
// to them, the counts stay — and an import of the same source row does
// not bring them back.
func testEraseResident(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 6)
	r, other := rs[0], rs[3] // resident 0: unemployed, elderly alone, skills, jobs
	workerID := seedWorker(t, st, "W-ERASE")
	if err := st.BindOpenID(ctx, r.ID, "oErasedOpenID0001"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetOptOut(ctx, r.ID, population.TopicJob, true); err != nil {
		t.Fatal(err)
	}
	phone, openid := string(r.Phone), "oErasedOpenID0001"
	c := startedRun(t, st, "删除")
	sms := population.ChannelSMS
	now := time.Now()

	delivered := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: r.ID, Channel: sms, Route: outbound.RouteSMS, CreatedAt: now}, outbound.SMSProviderID("biz-1", phone))
	toOther := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: other.ID, Channel: sms, Route: outbound.RouteSMS, CreatedAt: now}, outbound.SMSProviderID("biz-1", string(other.Phone)))
	pending, _, err := st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: r.ID, Channel: population.ChannelWeChat, Route: outbound.RouteWeChatTemplate})
	if err != nil {
		t.Fatal(err)
	}

	// Before they were known, they wrote from their phone and were answered.
	unknownT := tickets.Ticket{GridCode: "NY-01-01-01", Channel: sms, Text: "我家水管漏水，我叫居民0", Category: tickets.CategoryEnvironment,
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateTicket(ctx, &unknownT, tickets.Event{Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}
	inUnknown := record(t, st, tickets.InboundRecord{Channel: sms, ProviderMsgID: "up-u", FromKey: phone, Content: "我家水管漏水，我叫居民0",
		ReceivedAt: now, Intent: tickets.IntentQuestion}, unknownT.ID)
	toUnknown := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, TicketID: unknownT.ID, Route: outbound.RouteSMS, To: phone,
		Text: "已受理", CreatedAt: now}, outbound.SMSProviderID("biz-u", phone))

	// As a resident: a ticket still open, one closed, their worker told.
	openT := newTicket(t, st, r.ID, "NY-01-01-01", 0, time.Time{})
	closedT := newTicket(t, st, r.ID, "NY-01-01-01", time.Hour, time.Time{})
	ev, err := closedT.Transition(tickets.StatusClosed, "wang", t0.Add(2*time.Hour))
	apply(t, st, closedT, ev, err)
	inOpen := record(t, st, tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "wx-1", FromKey: openid, ResidentID: r.ID,
		Content: "[位置] 桃园小区 (30.12345, 120.12345)", ReceivedAt: now, Intent: tickets.IntentQuestion}, openT.ID)
	reply := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, TicketID: openT.ID, ResidentID: r.ID,
		Route: outbound.RouteCustomerService, To: openid, Text: "居民0您好，明天来修", CreatedAt: now}, "")
	notify := sentMessage(t, st, outbound.Message{Purpose: outbound.PurposeNotify, TicketID: openT.ID, WorkerID: workerID,
		Route: outbound.RouteSMS, To: "13700000009", Text: "新工单 #1", Params: map[string]string{"summary": "楼道灯坏了，居民0"},
		CreatedAt: now}, outbound.SMSProviderID("biz-n", "13700000009"))
	otherIn := record(t, st, tickets.InboundRecord{Channel: sms, ProviderMsgID: "up-o", FromKey: string(other.Phone), ResidentID: other.ID,
		Content: "谢谢", ReceivedAt: now, Intent: tickets.IntentQuestion}, 0)

	// A visit ahead, a binding request.
	ahead := now.Add(48 * time.Hour).Truncate(time.Hour)
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: workerID, ResidentID: r.ID, CampaignID: c.ID, Start: ahead, End: ahead.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	binding, err := st.StartBinding(ctx, tickets.Binding{OpenID: "oSomeoneElse", Phone: r.Phone, ResidentID: r.ID, CodeHash: "h",
		CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}

	everyone, err := st.CountSegment(ctx, "age:0..")
	if err != nil {
		t.Fatal(err)
	}
	before := readFigures(t, st, c.ID, r.ID, now)
	otherBefore := []any{message(t, st, toOther.ID), inbound(t, st, otherIn), rs[1]}

	got, err := st.EraseResident(ctx, r.ID, "王芳", "依申请删除 2026-031")
	if err != nil {
		t.Fatalf("EraseResident: %v", err)
	}
	e := got.Erasure
	if e.ResidentID != r.ID || !strings.HasPrefix(e.Pseudonym, retention.PseudonymPrefix) || len(e.Pseudonym) != len(retention.PseudonymPrefix)+8 ||
		e.By != "王芳" || e.Reason != "依申请删除 2026-031" || e.At.IsZero() {
		t.Errorf("erasure record: %+v", e)
	}
	counts := got
	counts.Erasure = retention.Erasure{}
	want := retention.Erased{MessagesCleared: 5, MessagesSkipped: 1, InboundCleared: 2, TicketsCleared: 3, TicketsOpen: 1,
		VisitsCancelled: 1, BindingsDeleted: 1}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("EraseResident counts (-want +got):\n%s", d)
	}
	if reg, err := st.Erasure(ctx, r.ID); err != nil || reg != e {
		t.Errorf("Erasure = %+v, %v; want %+v", reg, err, e)
	}
	if _, err := st.Erasure(ctx, other.ID); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Erasure(not erased) = %v, want ErrNotFound", err)
	}

	// The record: a pseudonym, the grid, gender and birth year; nothing else.
	rm, err := st.Residents(ctx, []int64{r.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantR := population.Resident{ID: r.ID, Name: pii.Name(e.Pseudonym), Gender: r.Gender, GridCode: r.GridCode,
		BirthDate: time.Date(r.BirthDate.Year(), 1, 1, 0, 0, 0, 0, time.UTC), OptOuts: []population.Topic{population.TopicAll}}
	if d := cmp.Diff(wantR, rm[r.ID], residentOpts); d != "" {
		t.Errorf("erased resident (-want +got):\n%s", d)
	}
	if _, err := st.UnmaskIDNumber(ctx, r.ID); !errors.Is(err, retention.ErrErased) {
		t.Errorf("UnmaskIDNumber(erased) = %v, want retention.ErrErased", err)
	}
	if _, err := st.Sender(ctx, sms, phone); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Sender(their old phone) = %v, want ErrNotFound: a new message from it is an unknown sender's", err)
	}

	// Never messaged again: no segment selects them, the pending message
	// is skipped, the visit ahead cancelled.
	if n, err := st.CountSegment(ctx, "age:0.."); err != nil || n != everyone-1 {
		t.Errorf("everyone after the erasure = %d, %v; want %d", n, err, everyone-1)
	}
	var streamed []int64
	if err := st.StreamSegment(ctx, "age:0..", 0, 100, func(rs []population.Resident) error {
		for _, x := range rs {
			streamed = append(streamed, x.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range streamed {
		if id == r.ID {
			t.Errorf("StreamSegment still selects the erased resident")
		}
	}
	if m := message(t, st, pending.ID); m.Status != outbound.StatusSkipped || m.SkipReason != outbound.SkipErased {
		t.Errorf("pending message after the erasure: %s %s, want skipped erased", m.Status, m.SkipReason)
	}
	if evs, err := st.MessageEvents(ctx, pending.ID); err != nil || len(evs) == 0 || evs[len(evs)-1].Code != string(outbound.SkipErased) {
		t.Errorf("pending message's history: %+v, %v; want the skip recorded", evs, err)
	}
	if _, err := st.SlotFor(ctx, r.ID, c.ID); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("SlotFor after the erasure = %v, want the visit cancelled", err)
	}
	if _, err := st.BindingAttempt(ctx, binding); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("binding request after the erasure: %v, want it deleted", err)
	}

	// What they sent and were sent is cleared; what counts stays.
	for _, id := range []int64{delivered.ID, reply.ID, toUnknown.ID} {
		m := message(t, st, id)
		if m.Text != "" || m.To != "" || len(m.Params) != 0 || strings.Contains(m.ProviderID, "/") || m.Status != outbound.StatusSent {
			t.Errorf("to them, after the erasure: %s", shown(m))
		}
	}
	if m := message(t, st, notify.ID); m.Text != "" || len(m.Params) != 0 || m.To != "13700000009" || m.WorkerID != workerID {
		t.Errorf("their worker's notification after the erasure: %s; want its content cleared, the worker's address kept", shown(m))
	}
	for _, id := range []int64{inOpen, inUnknown} {
		if in := inbound(t, st, id); in.Content != "" || in.FromKey != "" || in.ProviderMsgID == "" {
			t.Errorf("inbound %d from them after the erasure: %+v", id, in)
		}
	}
	for _, tk := range []tickets.Ticket{openT, closedT, unknownT} {
		got := ticket(t, st, tk.ID)
		if got.Text != "" || got.Status != tk.Status || got.Category != tk.Category || got.ResidentID != tk.ResidentID {
			t.Errorf("ticket %d after the erasure: %+v", tk.ID, got)
		}
	}
	after := readFigures(t, st, c.ID, r.ID, now)
	wantF := before
	wantF.Funnel.ByChannel = map[population.Channel]outbound.ChannelFunnel{sms: before.Funnel.ByChannel[sms]}
	wantF.Funnel.Skipped = map[outbound.SkipReason]int{outbound.SkipErased: 1}
	if d := cmp.Diff(wantF, after, cmpopts.IgnoreFields(tickets.Ticket{}, "Text"), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("figures after the erasure (-want +got):\n%s", d)
	}
	otherAfter := []any{message(t, st, toOther.ID), inbound(t, st, otherIn), mustResident(t, st, rs[1].ID)}
	if d := cmp.Diff(otherBefore, otherAfter, residentOpts); d != "" {
		t.Errorf("other residents' records changed (-before +after):\n%s", d)
	}

	// Again: nothing more, the first record.
	again, err := st.EraseResident(ctx, r.ID, "李强", "重复申请")
	if err != nil || !again.Already || again.Erasure != e || again.MessagesCleared != 0 {
		t.Errorf("second erasure = %+v, %v; want the first record, Already, nothing done", again, err)
	}

	// The source still holds them: an import refuses them and writes the
	// others.
	source := Resident(0)
	stats, err := st.UpsertResidents(ctx, []population.Resident{source, Resident(6)})
	if err != nil {
		t.Fatal(err)
	}
	if stats != (population.UpsertStats{Inserted: 1, Erased: 1}) {
		t.Errorf("import of an erased resident's row = %+v, want 1 inserted, 1 erased", stats)
	}
	if again := mustResident(t, st, r.ID); again.Name != pii.Name(e.Pseudonym) || again.Phone != "" {
		t.Errorf("after the import the erased resident reads %+v", again)
	}
	if n, err := st.CountSegment(ctx, "age:0.."); err != nil || n != everyone {
		t.Errorf("everyone after importing one new resident = %d, %v; want %d", n, err, everyone)
	}
}

func mustResident(t *testing.T, st Store, id int64) population.Resident {
	t.Helper()
	rs, err := st.Residents(t.Context(), []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rs[id]
	if !ok {
		t.Fatalf("resident %d is gone", id)
	}
	return r
}

func testEraseRefusals(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	for _, tc := range []struct{ by, reason string }{{"", "依申请删除"}, {"王芳", ""}, {"王芳", "删"}} {
		if _, err := st.EraseResident(ctx, ids[0], tc.by, tc.reason); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("EraseResident(by %q, reason %q) = %v, want ErrInvalid", tc.by, tc.reason, err)
		}
	}
	if r := mustResident(t, st, ids[0]); r.Phone == "" {
		t.Errorf("a refused erasure changed the resident: %+v", r)
	}
	var nf *fault.NotFoundError
	if _, err := st.EraseResident(ctx, ids[0]+1000, "王芳", "依申请删除"); !errors.As(err, &nf) {
		t.Errorf("EraseResident(missing) = %v, want a fault.NotFoundError", err)
	}
}
