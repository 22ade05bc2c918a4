package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk: its outbound messages (claimed once, finished forward
// only, found again by provider id), a ticket's conversation, the WeChat
// reply window, the keyword flows' lookups, bindings and leaves.

// deskTests are run by Run beside the ticket tests.
var deskTests = []struct {
	name string
	fn   func(t *testing.T, st *store.Store)
}{
	{"OutboundLifecycle", testOutboundLifecycle},
	{"OutboundByProvider", testOutboundByProvider},
	{"PendingOutbound", testPendingOutbound},
	{"Conversation", testConversation},
	{"ReplyWindow", testReplyWindow},
	{"LatestOutreach", testLatestOutreach},
	{"CampaignByExtendCode", testCampaignByExtendCode},
	{"ProposedVisit", testProposedVisit},
	{"RatableTicket", testRatableTicket},
	{"OpenTicketsByGrid", testOpenTicketsByGrid},
	{"TicketPeriods", testTicketPeriods},
	{"InboundHandled", testInboundHandled},
	{"Bindings", testBindings},
	{"Leaves", testLeaves},
	{"WorkerLookups", testWorkerLookups},
}

// createOutbound stores o and returns it as CreateOutbound completed it.
func createOutbound(t *testing.T, st *store.Store, o tickets.Outbound) tickets.Outbound {
	t.Helper()
	if err := st.CreateOutbound(t.Context(), &o); err != nil {
		t.Fatalf("CreateOutbound: %v", err)
	}
	return o
}

// sendOutbound creates a message, claims it and finishes it as sent with
// providerID at at, and returns its id.
func sendOutbound(t *testing.T, st *store.Store, o tickets.Outbound, providerID string, at time.Time) int64 {
	t.Helper()
	o = createOutbound(t, st, o)
	if _, ok, err := st.ClaimOutbound(t.Context(), o.ID, at); !ok || err != nil {
		t.Fatalf("ClaimOutbound(%d) = %v, %v", o.ID, ok, err)
	}
	if ok, err := st.FinishOutbound(t.Context(), o.ID, tickets.OutSent, providerID, "OK", "", at); !ok || err != nil {
		t.Fatalf("FinishOutbound(%d, sent) = %v, %v", o.ID, ok, err)
	}
	return o.ID
}

func testOutboundLifecycle(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	o := createOutbound(t, st, tickets.Outbound{Kind: tickets.OutReply, TicketID: tk.ID, ResidentID: ids[0],
		Route: tickets.RouteWeChatTemplate, RouteReason: "outside the 48-hour window", To: "oOpenID0001",
		Text: "灯已修好", TemplateCode: "TPL_REPLY", Params: map[string]string{"first": "您好", "remark": "网格员王芳"},
		Actor: "wang", CreatedAt: t0})
	if o.ID == 0 || o.Status != tickets.OutPending {
		t.Fatalf("CreateOutbound set id %d, status %q", o.ID, o.Status)
	}
	get := func() tickets.Outbound {
		t.Helper()
		got, err := st.Outbound(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if d := cmp.Diff(o, get(), ignoreUpdated); d != "" {
		t.Errorf("Outbound after create (-want +got):\n%s", d)
	}

	// Claimed once; a second claim gets the stored message and false.
	claimAt := t0.Add(time.Second)
	claimed, ok, err := st.ClaimOutbound(ctx, o.ID, claimAt)
	if err != nil || !ok {
		t.Fatalf("ClaimOutbound = %v, %v", ok, err)
	}
	want := o
	want.Status, want.Attempts = tickets.OutSending, 1
	if d := cmp.Diff(want, claimed, ignoreUpdated); d != "" {
		t.Errorf("claimed (-want +got):\n%s", d)
	}
	if again, ok, err := st.ClaimOutbound(ctx, o.ID, claimAt); err != nil || ok || again.Status != tickets.OutSending || again.Attempts != 1 {
		t.Errorf("second ClaimOutbound = %+v, %v, %v; want the sending message, false", again, ok, err)
	}

	// Released after a retryable failure: pending again, attempt counted.
	if err := st.ReleaseOutbound(ctx, o.ID, "45047", "out of response count limit"); err != nil {
		t.Fatal(err)
	}
	want.Status, want.ProviderCode, want.ProviderMessage = tickets.OutPending, "45047", "out of response count limit"
	if d := cmp.Diff(want, get(), ignoreUpdated); d != "" {
		t.Errorf("after release (-want +got):\n%s", d)
	}
	if err := st.ReleaseOutbound(ctx, o.ID, "x", "y"); err != nil {
		t.Errorf("releasing a pending message = %v, want a no-op", err)
	}
	if got := get(); got.ProviderCode != "45047" {
		t.Errorf("releasing a pending message changed it: %+v", got)
	}

	// Sent, then delivered; nothing moves it back.
	if _, ok, err := st.ClaimOutbound(ctx, o.ID, claimAt); !ok || err != nil {
		t.Fatalf("ClaimOutbound after release = %v, %v", ok, err)
	}
	sentAt, doneAt := t0.Add(2*time.Second), t0.Add(time.Minute)
	for _, step := range []struct {
		to         tickets.OutStatus
		providerID string
		code       string
		at         time.Time
		moved      bool
	}{
		{tickets.OutSent, "wx-1", "0", sentAt, true},
		{tickets.OutSent, "wx-1", "0", sentAt, false},
		{tickets.OutDelivered, "", "success", doneAt, true},
		{tickets.OutSent, "wx-2", "0", doneAt, false},
		{tickets.OutFailed, "", "failed:user block", doneAt, false},
	} {
		moved, err := st.FinishOutbound(ctx, o.ID, step.to, step.providerID, step.code, "", step.at)
		if err != nil || moved != step.moved {
			t.Errorf("FinishOutbound(%s, %q) = %v, %v; want %v", step.to, step.providerID, moved, err, step.moved)
		}
	}
	want.Status, want.Attempts, want.ProviderID, want.ProviderCode, want.ProviderMessage = tickets.OutDelivered, 2, "wx-1", "success", ""
	want.SentAt, want.FinishedAt = sentAt, doneAt
	if d := cmp.Diff(want, get(), ignoreUpdated); d != "" {
		t.Errorf("after delivery (-want +got):\n%s", d)
	}

	// A sent message may still fail.
	id := sendOutbound(t, st, tickets.Outbound{Kind: tickets.OutAck, TicketID: tk.ID, ResidentID: ids[0],
		Route: tickets.RouteSMS, To: "13900000000", TemplateCode: "SMS_ACK", Actor: tickets.ActorSystem}, "biz-1", sentAt)
	if moved, err := st.FinishOutbound(ctx, id, tickets.OutFailed, "", "DELIVRD_FAIL", "unreachable", doneAt); !moved || err != nil {
		t.Errorf("FinishOutbound(sent → failed) = %v, %v; want true", moved, err)
	}
	if got, err := st.Outbound(ctx, id); err != nil || got.Status != tickets.OutFailed || got.ProviderID != "biz-1" ||
		!got.SentAt.Equal(sentAt) || !got.FinishedAt.Equal(doneAt) || got.Params != nil {
		t.Errorf("failed message = %+v, %v", got, err)
	}

	// Refused input; unknown ids.
	for _, bad := range []tickets.Outbound{
		{Kind: "spam", Route: tickets.RouteSMS},
		{Kind: tickets.OutReply, Route: "email"},
		{Kind: tickets.OutReply, Route: tickets.RouteSMS, Status: "lost"},
	} {
		if err := st.CreateOutbound(ctx, &bad); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("CreateOutbound(%s, %s, %s) = %v, want ErrInvalid", bad.Kind, bad.Route, bad.Status, err)
		}
	}
	if _, err := st.FinishOutbound(ctx, o.ID, tickets.OutPending, "", "", "", doneAt); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("FinishOutbound(pending) = %v, want ErrInvalid", err)
	}
	missing := id + 100
	if _, err := st.Outbound(ctx, missing); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Outbound(missing) = %v, want ErrNotFound", err)
	}
	if _, _, err := st.ClaimOutbound(ctx, missing, doneAt); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ClaimOutbound(missing) = %v, want ErrNotFound", err)
	}
	if err := st.ReleaseOutbound(ctx, missing, "", ""); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ReleaseOutbound(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.FinishOutbound(ctx, missing, tickets.OutSent, "p", "", "", doneAt); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("FinishOutbound(missing) = %v, want ErrNotFound", err)
	}
}

func testOutboundByProvider(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	msg := func(route tickets.Route) tickets.Outbound {
		return tickets.Outbound{Kind: tickets.OutReply, ResidentID: ids[0], Route: route, To: "x", Text: "好的", Actor: "wang"}
	}
	cs := sendOutbound(t, st, msg(tickets.RouteCustomerService), "p1", t0)
	tpl := sendOutbound(t, st, msg(tickets.RouteWeChatTemplate), "p2", t0)
	sms := sendOutbound(t, st, msg(tickets.RouteSMS), "p1", t0) // the same id on another channel
	createOutbound(t, st, msg(tickets.RouteSMS))                // never sent: no provider id
	for _, tc := range []struct {
		channel    population.Channel
		providerID string
		want       int64
	}{
		{population.ChannelWeChat, "p1", cs},
		{population.ChannelWeChat, "p2", tpl},
		{population.ChannelSMS, "p1", sms},
		{population.ChannelSMS, "p2", 0},
		{population.ChannelSMS, "", 0},
		{population.ChannelNone, "p1", 0},
	} {
		got, err := st.OutboundByProvider(ctx, tc.channel, tc.providerID)
		if tc.want == 0 {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("OutboundByProvider(%q, %q) = %d, %v; want ErrNotFound", tc.channel, tc.providerID, got.ID, err)
			}
			continue
		}
		if err != nil || got.ID != tc.want {
			t.Errorf("OutboundByProvider(%q, %q) = %d, %v; want %d", tc.channel, tc.providerID, got.ID, err, tc.want)
		}
	}
	// Should a provider reuse an id, the latest message wins.
	later := sendOutbound(t, st, msg(tickets.RouteWeChatTemplate), "p1", t0.Add(time.Hour))
	if got, err := st.OutboundByProvider(ctx, population.ChannelWeChat, "p1"); err != nil || got.ID != later {
		t.Errorf("OutboundByProvider(reused id) = %d, %v; want %d", got.ID, err, later)
	}
}

func testPendingOutbound(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	msg := tickets.Outbound{Kind: tickets.OutConfirm, ResidentID: ids[0], Route: tickets.RouteSMS, To: "13900000000", Text: "已退订"}
	if got, err := st.PendingOutbound(ctx, 0); err != nil || len(got) != 0 {
		t.Errorf("PendingOutbound(empty) = %v, %v", got, err)
	}
	pending := createOutbound(t, st, msg)
	sendOutbound(t, st, msg, "biz-1", t0)
	sending := createOutbound(t, st, msg)
	if _, ok, err := st.ClaimOutbound(ctx, sending.ID, t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	failed := msg
	failed.Route, failed.Status, failed.RouteReason = tickets.RouteNone, tickets.OutFailed, "no phone, no WeChat"
	createOutbound(t, st, failed)
	got, err := st.PendingOutbound(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != pending.ID || got[1].ID != sending.ID || got[1].Status != tickets.OutSending {
		t.Errorf("PendingOutbound = %+v; want [%d pending, %d sending]", got, pending.ID, sending.ID)
	}
	if got, err := st.PendingOutbound(ctx, 1); err != nil || len(got) != 1 || got[0].ID != pending.ID {
		t.Errorf("PendingOutbound(1) = %+v, %v; want [%d]", got, err, pending.ID)
	}
}

func testConversation(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	other := newTicket(t, st, ids[1], "NY-01-01-01", 0, t0.Add(time.Hour))
	inbound := func(ticketID int64, ch population.Channel, msgID, text string, at time.Time) int64 {
		t.Helper()
		id, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: ch, ProviderMsgID: msgID, FromKey: "k",
			ResidentID: ids[0], Content: text, ReceivedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if ticketID != 0 {
			if err := st.LinkInbound(ctx, id, ticketID); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	out := func(ticketID int64, kind tickets.OutboundKind, route tickets.Route, worker int64, actor, text string, at time.Time) tickets.Outbound {
		t.Helper()
		resident := ids[0]
		if worker != 0 {
			resident = 0
		}
		return createOutbound(t, st, tickets.Outbound{Kind: kind, TicketID: ticketID, ResidentID: resident, WorkerID: worker,
			Route: route, To: "k", Text: text, Actor: actor, CreatedAt: at})
	}
	// Out of order on purpose: the conversation is ordered by time, and on
	// a tie the inbound message comes first even with the higher id.
	rating := out(tk.ID, tickets.OutRatingRequest, tickets.RouteSMS, 0, tickets.ActorSystem, "请评价", t0.Add(2*time.Minute))
	reply := out(tk.ID, tickets.OutReply, tickets.RouteCustomerService, 0, "wang", "明天上午来修", t0.Add(time.Minute))
	ack := out(tk.ID, tickets.OutAck, tickets.RouteCustomerService, 0, tickets.ActorSystem, "已收到", t0)
	first := inbound(tk.ID, population.ChannelWeChat, "m1", "楼道灯坏了", t0)
	out(tk.ID, tickets.OutNotify, tickets.RouteWeChatTemplate, w, tickets.ActorSystem, "新工单", t0.Add(30*time.Second))
	second := inbound(tk.ID, population.ChannelSMS, "s1", "好的谢谢", t0.Add(2*time.Minute))
	inbound(0, population.ChannelWeChat, "m2", "不相关", t0.Add(90*time.Second))
	inbound(other.ID, population.ChannelWeChat, "m3", "别的工单", t0.Add(90*time.Second))
	out(other.ID, tickets.OutAck, tickets.RouteSMS, 0, tickets.ActorSystem, "已收到", t0.Add(90*time.Second))

	got, err := st.Conversation(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	outEntry := func(o tickets.Outbound) tickets.Entry {
		return tickets.Entry{At: o.CreatedAt, ID: o.ID, Channel: o.Route.Channel(), Route: o.Route, Kind: o.Kind,
			Status: tickets.OutPending, Actor: o.Actor, Text: o.Text}
	}
	want := []tickets.Entry{
		{At: t0, Inbound: true, ID: first, Channel: population.ChannelWeChat, Text: "楼道灯坏了"},
		outEntry(ack),
		outEntry(reply),
		{At: t0.Add(2 * time.Minute), Inbound: true, ID: second, Channel: population.ChannelSMS, Text: "好的谢谢"},
		outEntry(rating),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Conversation (-want +got):\n%s", d)
	}
	if got, err := st.Conversation(ctx, tk.ID+100); err != nil || len(got) != 0 {
		t.Errorf("Conversation(missing) = %v, %v", got, err)
	}
}

func testReplyWindow(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	who, bystander := ids[0], ids[1]
	if last, n, err := st.ReplyWindow(ctx, who); err != nil || !last.IsZero() || n != 0 {
		t.Errorf("ReplyWindow(never wrote) = %v, %d, %v; want zero, 0", last, n, err)
	}
	cs := func(resident int64, route tickets.Route, status tickets.OutStatus, at time.Time) {
		t.Helper()
		createOutbound(t, st, tickets.Outbound{Kind: tickets.OutReply, ResidentID: resident, Route: route, To: "o",
			Text: "好的", Status: status, CreatedAt: at})
	}
	cs(who, tickets.RouteCustomerService, tickets.OutSent, t0.Add(-time.Hour)) // before their last message
	for i, in := range []struct {
		ch       population.Channel
		resident int64
		at       time.Time
	}{
		{population.ChannelWeChat, who, t0.Add(-2 * time.Hour)},
		{population.ChannelWeChat, who, t0},
		{population.ChannelSMS, who, t0.Add(10 * time.Minute)},   // SMS does not open the window
		{population.ChannelWeChat, bystander, t0.Add(time.Hour)}, // someone else
		{population.ChannelWeChat, 0, t0.Add(2 * time.Hour)},     // an unknown sender
	} {
		if _, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: in.ch, ProviderMsgID: string(rune('a' + i)),
			FromKey: "o", ResidentID: in.resident, Content: "在吗", ReceivedAt: in.at}); err != nil {
			t.Fatal(err)
		}
	}
	cs(who, tickets.RouteCustomerService, tickets.OutSent, t0)                       // counts: at the message
	cs(who, tickets.RouteCustomerService, tickets.OutDelivered, t0.Add(time.Minute)) // counts
	cs(who, tickets.RouteCustomerService, tickets.OutSending, t0.Add(2*time.Minute)) // counts: going out
	cs(who, tickets.RouteCustomerService, tickets.OutPending, t0.Add(3*time.Minute)) // counts: queued
	cs(who, tickets.RouteCustomerService, tickets.OutFailed, t0.Add(4*time.Minute))
	cs(who, tickets.RouteWeChatTemplate, tickets.OutSent, t0.Add(5*time.Minute))
	cs(who, tickets.RouteSMS, tickets.OutSent, t0.Add(6*time.Minute))
	cs(bystander, tickets.RouteCustomerService, tickets.OutSent, t0.Add(90*time.Minute))
	last, n, err := st.ReplyWindow(ctx, who)
	if err != nil || !last.Equal(t0) || n != 4 {
		t.Errorf("ReplyWindow = %v, %d, %v; want %v, 4", last, n, err, t0)
	}
	if last, n, err := st.ReplyWindow(ctx, bystander); err != nil || !last.Equal(t0.Add(time.Hour)) || n != 1 {
		t.Errorf("ReplyWindow(bystander) = %v, %d, %v; want %v, 1", last, n, err, t0.Add(time.Hour))
	}
}

func testOpenTicketsByGrid(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	due := t0.Add(time.Hour)
	t1 := newTicket(t, st, ids[0], "NY-01-01-01", 0, due)
	newTicket(t, st, ids[1], "NY-01-01-02", time.Minute, due) // another grid
	t3 := newTicket(t, st, ids[0], "NY-01-01-01", 2*time.Minute, due)
	ev, err := t3.Assign(w, tickets.LevelGridWorker, "leader.li", t0.Add(3*time.Minute))
	apply(t, st, t3, ev, err)
	closed := newTicket(t, st, ids[0], "NY-01-01-01", 4*time.Minute, due)
	ev, err = closed.Transition(tickets.StatusClosed, "wang", t0.Add(5*time.Minute))
	apply(t, st, closed, ev, err)
	t5 := newTicket(t, st, ids[0], "NY-01-01-01", 6*time.Minute, due)
	for _, tc := range []struct {
		name    string
		grid    string
		afterID int64
		limit   int
		want    []tickets.Ticket
	}{
		{"all", "NY-01-01-01", 0, 0, []tickets.Ticket{t1, t3, t5}},
		{"page 1", "NY-01-01-01", 0, 2, []tickets.Ticket{t1, t3}},
		{"page 2", "NY-01-01-01", t3.ID, 2, []tickets.Ticket{t5}},
		{"page 3", "NY-01-01-01", t5.ID, 2, nil},
		{"empty grid", "NY-02-01-01", 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.OpenTicketsByGrid(ctx, tc.grid, tc.afterID, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("OpenTicketsByGrid (-want +got):\n%s", d)
			}
		})
	}
	// By assignee: only the open ticket the worker holds, and paging.
	ev, err = t5.Assign(w, tickets.LevelGridWorker, "leader.li", t0.Add(7*time.Minute))
	apply(t, st, t5, ev, err)
	ev, err = closed.Assign(w, tickets.LevelGridWorker, "leader.li", t0.Add(8*time.Minute))
	if err == nil {
		t.Fatal("a closed ticket was assigned")
	}
	if got, err := st.OpenTicketsByAssignee(ctx, w, 0, 0); err != nil || len(got) != 2 || got[0].ID != t3.ID || got[1].ID != t5.ID {
		t.Errorf("OpenTicketsByAssignee = %v, %v; want #%d and #%d", got, err, t3.ID, t5.ID)
	}
	if got, err := st.OpenTicketsByAssignee(ctx, w, t3.ID, 1); err != nil || len(got) != 1 || got[0].ID != t5.ID {
		t.Errorf("OpenTicketsByAssignee page 2 = %v, %v", got, err)
	}
}

func testTicketPeriods(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	due := t0.Add(48 * time.Hour)
	a := newTicket(t, st, ids[0], "NY-01-01-01", 0, due)
	b := newTicket(t, st, ids[0], "NY-01-01-01", time.Hour, due)
	c := newTicket(t, st, ids[0], "NY-01-01-01", 2*time.Hour, due)
	got, err := st.TicketsCreatedBetween(ctx, t0.Add(30*time.Minute), t0.Add(2*time.Hour), 0, 0)
	if err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("TicketsCreatedBetween = %v, %v; want #%d only (from inclusive, to exclusive)", got, err, b.ID)
	}
	got, err = st.TicketsCreatedBetween(ctx, t0, t0.Add(3*time.Hour), a.ID, 1)
	if err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("TicketsCreatedBetween page 2 = %v, %v; want #%d", got, err, b.ID)
	}
	ev, err := a.Transition(tickets.StatusClosed, "wang", t0.Add(10*time.Minute))
	apply(t, st, a, ev, err)
	ev, err = c.Transition(tickets.StatusClosed, "wang", t0.Add(5*time.Hour))
	apply(t, st, c, ev, err)
	got, err = st.ClosedBefore(ctx, t0.Add(time.Hour), 0)
	if err != nil || len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("ClosedBefore = %v, %v; want #%d only", got, err, a.ID)
	}
}

func testInboundHandled(t *testing.T, st *store.Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	id, first, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: population.ChannelSMS, ProviderMsgID: "h1",
		FromKey: "13800000000", ResidentID: ids[0], Content: "路灯坏了", ReceivedAt: t0})
	if err != nil || !first {
		t.Fatal(first, err)
	}
	in, err := st.InboundByID(ctx, id)
	if err != nil || !in.HandledAt.IsZero() || in.ResidentID != ids[0] || in.Content != "路灯坏了" || in.Channel != population.ChannelSMS {
		t.Fatalf("InboundByID = %+v, %v; want it unhandled", in, err)
	}
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Hour)} {
		if err := st.MarkInboundHandled(ctx, id, at); err != nil {
			t.Fatal(err)
		}
	}
	if in, err = st.InboundByID(ctx, id); err != nil || !in.HandledAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("handled at %v, %v; want the first mark %v", in.HandledAt, err, t0.Add(time.Minute))
	}
	if err := st.MarkInboundHandled(ctx, id+1000, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("MarkInboundHandled(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.InboundByID(ctx, id+1000); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("InboundByID(missing) = %v, want ErrNotFound", err)
	}
}

// ignoreUpdated leaves out the store's own change time.
var ignoreUpdated = cmpopts.IgnoreFields(tickets.Outbound{}, "UpdatedAt")
