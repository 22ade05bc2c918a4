package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk: a ticket's conversation, the WeChat reply window, the
// keyword flows' lookups, bindings and leaves. Its messages are the
// ledger's (ledger_desk.go).

// deskTests are run by Run beside the ticket tests.
var deskTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"DeskMessageLifecycle", testDeskMessageLifecycle},
	{"BindCodeBlanked", testBindCodeBlanked},
	{"MessageByProviderAnyPurpose", testMessageByProviderAnyPurpose},
	{"PendingSingles", testPendingSingles},
	{"StuckSending", testStuckSending},
	{"ReminderOnce", testReminderOnce},
	{"FallbackOnce", testFallbackOnce},
	{"ResidentMessages", testResidentMessages},
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

func testConversation(t *testing.T, st Store) {
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
	out := func(ticketID int64, kind outbound.Purpose, route outbound.Route, worker int64, actor, text string, at time.Time) outbound.Message {
		t.Helper()
		resident := ids[0]
		if worker != 0 {
			resident = 0
		}
		return createMessage(t, st, outbound.Message{Purpose: kind, TicketID: ticketID, ResidentID: resident, WorkerID: worker,
			Route: route, To: "k", Text: text, Actor: actor, CreatedAt: at})
	}
	// Out of order on purpose: the conversation is ordered by time, and on
	// a tie the inbound message comes first even with the higher id.
	rating := out(tk.ID, outbound.PurposeRatingRequest, outbound.RouteSMS, 0, tickets.ActorSystem, "请评价", t0.Add(2*time.Minute))
	reply := out(tk.ID, outbound.PurposeReply, outbound.RouteCustomerService, 0, "wang", "明天上午来修", t0.Add(time.Minute))
	ack := out(tk.ID, outbound.PurposeAck, outbound.RouteCustomerService, 0, tickets.ActorSystem, "已收到", t0)
	first := inbound(tk.ID, population.ChannelWeChat, "m1", "楼道灯坏了", t0)
	out(tk.ID, outbound.PurposeNotify, outbound.RouteWeChatTemplate, w, tickets.ActorSystem, "新工单", t0.Add(30*time.Second))
	second := inbound(tk.ID, population.ChannelSMS, "s1", "好的谢谢", t0.Add(2*time.Minute))
	inbound(0, population.ChannelWeChat, "m2", "不相关", t0.Add(90*time.Second))
	inbound(other.ID, population.ChannelWeChat, "m3", "别的工单", t0.Add(90*time.Second))
	out(other.ID, outbound.PurposeAck, outbound.RouteSMS, 0, tickets.ActorSystem, "已收到", t0.Add(90*time.Second))

	got, err := st.Conversation(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	outEntry := func(o outbound.Message) tickets.Entry {
		return tickets.Entry{At: o.CreatedAt, ID: o.ID, Channel: o.Route.Channel(), Route: o.Route, Purpose: o.Purpose,
			Status: outbound.StatusPending, Actor: o.Actor, Text: o.Text}
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

func testReplyWindow(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	who, bystander := ids[0], ids[1]
	if last, n, err := st.ReplyWindow(ctx, who); err != nil || !last.IsZero() || n != 0 {
		t.Errorf("ReplyWindow(never wrote) = %v, %d, %v; want zero, 0", last, n, err)
	}
	cs := func(resident int64, route outbound.Route, status outbound.Status, at time.Time) {
		t.Helper()
		m := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, ResidentID: resident, Route: route, To: "o",
			Text: "好的", CreatedAt: at})
		moveTo(t, st, m.ID, status)
	}
	cs(who, outbound.RouteCustomerService, outbound.StatusSent, t0.Add(-time.Hour)) // before their last message
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
	cs(who, outbound.RouteCustomerService, outbound.StatusSent, t0)                       // counts: at the message
	cs(who, outbound.RouteCustomerService, outbound.StatusDelivered, t0.Add(time.Minute)) // counts
	cs(who, outbound.RouteCustomerService, outbound.StatusSending, t0.Add(2*time.Minute)) // counts: going out
	cs(who, outbound.RouteCustomerService, outbound.StatusPending, t0.Add(3*time.Minute)) // counts: queued
	cs(who, outbound.RouteCustomerService, outbound.StatusFailed, t0.Add(4*time.Minute))
	cs(who, outbound.RouteWeChatTemplate, outbound.StatusSent, t0.Add(5*time.Minute))
	cs(who, outbound.RouteSMS, outbound.StatusSent, t0.Add(6*time.Minute))
	cs(bystander, outbound.RouteCustomerService, outbound.StatusSent, t0.Add(90*time.Minute))
	last, n, err := st.ReplyWindow(ctx, who)
	if err != nil || !last.Equal(t0) || n != 4 {
		t.Errorf("ReplyWindow = %v, %d, %v; want %v, 4", last, n, err, t0)
	}
	if last, n, err := st.ReplyWindow(ctx, bystander); err != nil || !last.Equal(t0.Add(time.Hour)) || n != 1 {
		t.Errorf("ReplyWindow(bystander) = %v, %d, %v; want %v, 1", last, n, err, t0.Add(time.Hour))
	}
}

func testOpenTicketsByGrid(t *testing.T, st Store) {
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

func testTicketPeriods(t *testing.T, st Store) {
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

func testInboundHandled(t *testing.T, st Store) {
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
var ignoreUpdated = cmpopts.IgnoreFields(outbound.Message{}, "UpdatedAt")
