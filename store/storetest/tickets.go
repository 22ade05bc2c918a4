package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// Tickets in the system of record: inbound messages (deduplicated, unknown
// senders kept), tickets with their timeline, the optimistic apply, the
// worker's inbox filters, the escalation scan and campaign answers.

// ticketTests are the ticket store tests; RunTickets runs them.
var ticketTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"InboundDedupe", testInboundDedupe},
	{"UnknownSenders", testUnknownSenders},
	{"TicketRoundTrip", testTicketRoundTrip},
	{"TicketOptimistic", testTicketOptimistic},
	{"TicketRecategorised", testTicketRecategorised},
	{"TicketFilters", testTicketFilters},
	{"OpenTicketFor", testOpenTicketFor},
	{"DueTickets", testDueTickets},
	{"CampaignAnswers", testCampaignAnswers},
	{"OpenTicket", testOpenTicket},
	{"Sender", testSender},
}

// seedWorker loads one grid worker for NY-01-01-01 and returns its id.
func seedWorker(t *testing.T, st Store, code string) int64 {
	t.Helper()
	if err := st.UpsertWorkers(t.Context(), []population.Worker{{Code: code, Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Code == code {
			return w.ID
		}
	}
	t.Fatalf("worker %s not stored", code)
	return 0
}

// newTicket creates a ticket opened at t0 plus after, due at due, and
// returns it as stored.
func newTicket(t *testing.T, st Store, residentID int64, grid string, after time.Duration, due time.Time) tickets.Ticket {
	t.Helper()
	at := t0.Add(after)
	tk := tickets.Ticket{ResidentID: residentID, GridCode: grid, Channel: population.ChannelSMS, Text: "楼道灯坏了",
		Category: tickets.CategoryEnvironment, Status: tickets.StatusNew, Level: tickets.LevelGridWorker,
		DueAt: due, CreatedAt: at, UpdatedAt: at}
	ev := tickets.Event{At: at, Actor: tickets.ActorSystem, Kind: tickets.EventCreated, To: string(tk.Category)}
	if err := st.CreateTicket(t.Context(), &tk, ev); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return tk
}

// apply stores a change made by a Ticket method, failing the test on error.
func apply(t *testing.T, st Store, tk tickets.Ticket, ev tickets.Event, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("ticket %d: %v", tk.ID, err)
	}
	if err := st.ApplyTicketEvent(t.Context(), tk, ev); err != nil {
		t.Fatalf("ApplyTicketEvent(%s %s→%s): %v", ev.Kind, ev.From, ev.To, err)
	}
}

func testInboundDedupe(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	in := tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "6912345678901234567", FromKey: "oOpenID0001",
		ResidentID: ids[0], Content: "我想报名", ReceivedAt: t0, Intent: tickets.IntentQuestion}
	id, first, err := st.RecordInbound(ctx, in)
	if err != nil || !first || id == 0 {
		t.Fatalf("RecordInbound = %d, %v, %v; want an id, true", id, first, err)
	}
	again := in
	again.Content, again.ReceivedAt = "重复投递", t0.Add(time.Second)
	id2, first, err := st.RecordInbound(ctx, again)
	if err != nil || first || id2 != id {
		t.Errorf("RecordInbound(duplicate) = %d, %v, %v; want %d, false", id2, first, err, id)
	}
	// The key is per channel: an SMS sequence id may equal a WeChat MsgId.
	sms := in
	sms.Channel, sms.FromKey = population.ChannelSMS, "13900000000"
	if id3, first, err := st.RecordInbound(ctx, sms); err != nil || !first || id3 == id {
		t.Errorf("RecordInbound(other channel) = %d, %v, %v; want a new id", id3, first, err)
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM inbound_messages").Scan(&n); err != nil || n != 2 {
		t.Errorf("inbound rows = %d, %v; want 2", n, err)
	}
	for _, bad := range []tickets.InboundRecord{
		{Channel: population.ChannelSMS, FromKey: "13900000000", Content: "x"},
		{Channel: "email", ProviderMsgID: "1", FromKey: "a@b", Content: "x"},
		{Channel: population.ChannelSMS, ProviderMsgID: "2", Content: "x"},
	} {
		if _, _, err := st.RecordInbound(ctx, bad); err == nil {
			t.Errorf("RecordInbound(%+v) accepted", bad)
		}
	}
}

func testUnknownSenders(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := createCampaign(t, st, "招聘")
	recs := []tickets.InboundRecord{
		{Channel: population.ChannelSMS, ProviderMsgID: "s1", FromKey: "13700000001", Content: "你们是谁", ReceivedAt: t0, Intent: tickets.IntentQuestion},
		{Channel: population.ChannelSMS, ProviderMsgID: "s2", FromKey: "13900000000", ResidentID: ids[0], Content: "1", ReceivedAt: t0.Add(time.Minute), CampaignID: c.ID, Intent: tickets.IntentCampaignAnswer},
		{Channel: population.ChannelWeChat, ProviderMsgID: "w1", FromKey: "oStranger", Content: "报名", ReceivedAt: t0.Add(2 * time.Minute), CampaignID: c.ID},
	}
	got := make([]int64, len(recs))
	for i, r := range recs {
		id, _, err := st.RecordInbound(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = id
	}
	tk := newTicket(t, st, 0, "", 0, t0.Add(time.Hour))
	if err := st.LinkInbound(ctx, got[0], tk.ID); err != nil {
		t.Fatal(err)
	}
	unknown, err := st.UnknownSenders(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []tickets.Inbound{
		{ID: got[2], InboundRecord: recs[2]},
		{ID: got[0], TicketID: tk.ID, InboundRecord: recs[0]},
	}
	if d := cmp.Diff(want, unknown); d != "" {
		t.Errorf("UnknownSenders (-want +got):\n%s", d)
	}
	if page, _ := st.UnknownSenders(ctx, 1); len(page) != 1 || page[0].ID != got[2] {
		t.Errorf("UnknownSenders(1) = %+v, want the newest", page)
	}
	for _, tc := range []struct {
		name            string
		inbound, ticket int64
	}{{"missing ticket", got[1], tk.ID + 100}, {"missing inbound", got[2] + 100, tk.ID}} {
		if err := st.LinkInbound(ctx, tc.inbound, tc.ticket); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("LinkInbound(%s) = %v, want ErrNotFound", tc.name, err)
		}
	}
}

func testTicketRoundTrip(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	w := seedWorker(t, st, "W001")
	c := createCampaign(t, st, "走访")
	at := t0
	tk := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Channel: population.ChannelWeChat, Text: "想改到周五",
		Category: tickets.CategoryElderlyCare, DueAt: t0.Add(24 * time.Hour), CampaignID: c.ID,
		Slot: t0.Add(96 * time.Hour), CreatedAt: at, UpdatedAt: at}
	created := tickets.Event{At: at, Actor: tickets.ActorSystem, Kind: tickets.EventCreated, To: string(tk.Category), Note: "keywords: 老人"}
	if err := st.CreateTicket(ctx, &tk, created); err != nil {
		t.Fatal(err)
	}
	if tk.ID == 0 || tk.Status != tickets.StatusNew || tk.Level != tickets.LevelGridWorker {
		t.Fatalf("CreateTicket set %d, %s, %s", tk.ID, tk.Status, tk.Level)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tk, got); d != "" {
		t.Errorf("Ticket after create (-want +got):\n%s", d)
	}

	// Walk the workflow, storing each step.
	want := []tickets.Event{created}
	want[0].TicketID = tk.ID
	step := func(ev tickets.Event, err error) {
		t.Helper()
		apply(t, st, tk, ev, err)
		want = append(want, ev)
	}
	at = at.Add(time.Minute)
	step(tk.Assign(w, tickets.LevelGridWorker, "leader.li", at))
	at = at.Add(time.Minute)
	step(tk.Transition(tickets.StatusInProgress, "wang", at))
	at = at.Add(time.Minute)
	step(tk.Transition(tickets.StatusResolved, "wang", at))
	at = at.Add(time.Minute)
	step(tk.Rate(5, at))
	got, err = st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tk, got); d != "" {
		t.Errorf("Ticket after the workflow (-want +got):\n%s", d)
	}
	evs, err := st.TicketEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, evs); d != "" {
		t.Errorf("TicketEvents (-want +got):\n%s", d)
	}
	if _, err := st.Ticket(ctx, tk.ID+100); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Ticket(missing) = %v, want ErrNotFound", err)
	}
	if evs, err := st.TicketEvents(ctx, tk.ID+100); err != nil || len(evs) != 0 {
		t.Errorf("TicketEvents(missing) = %v, %v", evs, err)
	}
}

func testTicketOptimistic(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	w1, w2 := seedWorker(t, st, "W001"), seedWorker(t, st, "W002")
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	now := t0.Add(time.Minute)

	// Two staff read the new ticket and both assign it: one wins.
	a, b := tk, tk
	evA, errA := a.Assign(w1, tickets.LevelGridWorker, "leader.li", now)
	evB, errB := b.Assign(w2, tickets.LevelGridWorker, "leader.zhao", now)
	apply(t, st, a, evA, errA)
	if errB != nil {
		t.Fatal(errB)
	}
	if err := st.ApplyTicketEvent(ctx, b, evB); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("second assignment = %v, want fault.ErrConflict", err)
	}
	// Two moves from assigned: one wins.
	c, d := a, a
	evC, errC := c.Transition(tickets.StatusInProgress, "wang", now)
	evD, errD := d.Transition(tickets.StatusClosed, "leader.li", now)
	apply(t, st, c, evC, errC)
	if errD != nil {
		t.Fatal(errD)
	}
	if err := st.ApplyTicketEvent(ctx, d, evD); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("stale status move = %v, want fault.ErrConflict", err)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("Ticket after the races (-want +got):\n%s", d)
	}
	if evs, _ := st.TicketEvents(ctx, tk.ID); len(evs) != 3 {
		t.Errorf("timeline has %d events, want 3 (created, assigned, in progress): %+v", len(evs), evs)
	}
	missing := c
	missing.ID = tk.ID + 100
	if err := st.ApplyTicketEvent(ctx, missing, tickets.Event{Kind: tickets.EventStatus, From: "in_progress", To: "replied", Actor: "wang"}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ApplyTicketEvent(missing) = %v, want ErrNotFound", err)
	}
	for _, bad := range []tickets.Event{
		{Kind: tickets.EventCreated, Actor: "x"},
		{TicketID: tk.ID + 1, Kind: tickets.EventStatus, From: "in_progress", To: "replied", Actor: "x"},
	} {
		if err := st.ApplyTicketEvent(ctx, c, bad); err == nil {
			t.Errorf("ApplyTicketEvent(%+v) accepted", bad)
		}
	}
}

func testTicketFilters(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	due := t0.Add(time.Hour)
	t1 := newTicket(t, st, ids[0], "NY-01-01-01", 0, due)
	t2 := newTicket(t, st, ids[1], "NY-01-01-02", time.Minute, due)
	t3 := newTicket(t, st, ids[0], "NY-01-01-01", 2*time.Minute, due)
	t4 := newTicket(t, st, 0, "", 3*time.Minute, due)
	ev, err := t3.Assign(w, tickets.LevelGridWorker, "leader.li", t0.Add(5*time.Minute))
	apply(t, st, t3, ev, err)
	r0, err := st.Resident(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	r1, err := st.Resident(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	p1 := string(r1.Phone)
	for _, tc := range []struct {
		name string
		f    store.TicketFilter
		want []tickets.Ticket
	}{
		{"all", store.TicketFilter{}, []tickets.Ticket{t1, t2, t3, t4}},
		{"grid", store.TicketFilter{GridCode: "NY-01-01-01"}, []tickets.Ticket{t1, t3}},
		{"status", store.TicketFilter{Status: tickets.StatusNew}, []tickets.Ticket{t1, t2, t4}},
		{"assignee", store.TicketFilter{AssigneeID: w}, []tickets.Ticket{t3}},
		{"resident", store.TicketFilter{ResidentID: ids[0]}, []tickets.Ticket{t1, t3}},
		{"grid and status", store.TicketFilter{GridCode: "NY-01-01-01", Status: tickets.StatusNew}, []tickets.Ticket{t1}},
		{"page 1", store.TicketFilter{Limit: 2}, []tickets.Ticket{t1, t2}},
		{"page 2", store.TicketFilter{Limit: 2, AfterID: t2.ID}, []tickets.Ticket{t3, t4}},
		{"page 3", store.TicketFilter{Limit: 2, AfterID: t4.ID}, nil},
		{"none", store.TicketFilter{GridCode: "NY-02-01-01"}, nil},
		{"search text", store.TicketFilter{Query: "灯坏"}, []tickets.Ticket{t1, t2, t3, t4}},
		{"search text, none", store.TicketFilter{Query: "井盖"}, nil},
		{"search name", store.TicketFilter{Query: string(r0.Name)}, []tickets.Ticket{t1, t3}},
		{"search phone tail", store.TicketFilter{Query: p1[len(p1)-4:]}, []tickets.Ticket{t2}},
		{"search phone head", store.TicketFilter{Query: p1[:4]}, nil},
		{"search and grid", store.TicketFilter{Query: string(r0.Name), Status: tickets.StatusNew}, []tickets.Ticket{t1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Tickets(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Tickets(%+v) (-want +got):\n%s", tc.f, d)
			}
		})
	}
}

func testOpenTicketFor(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	due := t0.Add(time.Hour)
	if _, err := st.OpenTicketFor(ctx, ids[0]); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("OpenTicketFor(no tickets) = %v, want ErrNotFound", err)
	}
	older := newTicket(t, st, ids[0], "NY-01-01-01", 0, due)
	newer := newTicket(t, st, ids[0], "NY-01-01-01", time.Minute, due)
	newTicket(t, st, ids[1], "NY-01-01-02", 2*time.Minute, due)
	check := func(want tickets.Ticket) {
		t.Helper()
		got, err := st.OpenTicketFor(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("OpenTicketFor (-want +got):\n%s", d)
		}
	}
	check(newer)
	// The newer one resolved: the open one comes first.
	ev, err := newer.Assign(w, tickets.LevelGridWorker, "leader.li", t0.Add(3*time.Minute))
	apply(t, st, newer, ev, err)
	ev, err = newer.Transition(tickets.StatusResolved, "wang", t0.Add(4*time.Minute))
	apply(t, st, newer, ev, err)
	check(older)
	// Nothing open: the latest resolved one, for the caller to reopen.
	ev, err = older.Transition(tickets.StatusClosed, "wang", t0.Add(5*time.Minute))
	apply(t, st, older, ev, err)
	check(newer)
	// A later duplicate is the open one until it is merged away; a merged
	// ticket never comes back.
	dup := newTicket(t, st, ids[0], "NY-01-01-01", 6*time.Minute, due)
	check(dup)
	kept, merged, err := newer.Merge(&dup, "leader.li", t0.Add(7*time.Minute))
	apply(t, st, newer, kept, err)
	apply(t, st, dup, merged, nil)
	check(newer)
	if got, err := st.Ticket(ctx, dup.ID); err != nil || got.MergedInto != newer.ID || got.Status != tickets.StatusClosed {
		t.Errorf("merged duplicate = %+v, %v", got, err)
	}
}

func testDueTickets(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	a := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(2*time.Hour))
	b := newTicket(t, st, ids[0], "NY-01-01-01", time.Minute, t0.Add(time.Hour))
	newTicket(t, st, ids[0], "NY-01-01-01", 2*time.Minute, t0.Add(3*time.Hour))
	closed := newTicket(t, st, ids[0], "NY-01-01-01", 3*time.Minute, t0.Add(30*time.Minute))
	ev, err := closed.Transition(tickets.StatusClosed, "wang", t0.Add(4*time.Minute))
	apply(t, st, closed, ev, err)
	for _, tc := range []struct {
		name   string
		before time.Time
		limit  int
		want   []tickets.Ticket
	}{
		{"overdue", t0.Add(150 * time.Minute), 0, []tickets.Ticket{b, a}},
		{"limit", t0.Add(150 * time.Minute), 1, []tickets.Ticket{b}},
		{"due exactly now is not overdue", t0.Add(time.Hour), 10, nil},
		{"none", t0, 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.DueTickets(ctx, tc.before, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("DueTickets (-want +got):\n%s", d)
			}
		})
	}
}

func testCampaignAnswers(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	c := createCampaign(t, st, "招聘")
	in, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: population.ChannelSMS, ProviderMsgID: "s1",
		FromKey: "13900000000", ResidentID: ids[0], Content: "1", ReceivedAt: t0, CampaignID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		resident        int64
		option, meaning string
		inbound         int64
		at              time.Time
	}{
		{ids[0], "1", "报名", in, t0},
		{ids[1], "2", "咨询", 0, t0.Add(time.Minute)},
		{ids[0], "2", "咨询", 0, t0.Add(2 * time.Minute)},  // changed their mind: latest wins
		{ids[0], "1", "报名", 0, t0.Add(90 * time.Second)}, // a late delivery of an older answer
	} {
		if err := st.RecordAnswer(ctx, tickets.Answer{CampaignID: c.ID, ResidentID: a.resident, Option: a.option, Meaning: a.meaning, InboundID: a.inbound, AnsweredAt: a.at}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.CampaignAnswers(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []tickets.Answer{
		{CampaignID: c.ID, ResidentID: ids[1], Option: "2", Meaning: "咨询", AnsweredAt: t0.Add(time.Minute)},
		{CampaignID: c.ID, ResidentID: ids[0], Option: "2", Meaning: "咨询", AnsweredAt: t0.Add(2 * time.Minute)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CampaignAnswers (-want +got):\n%s", d)
	}
	// The first answer kept the message that carried it until it was replaced.
	if err := st.RecordAnswer(ctx, tickets.Answer{CampaignID: c.ID, ResidentID: ids[1], Option: "1", Meaning: "报名",
		InboundID: in, AnsweredAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.CampaignAnswers(ctx, c.ID); len(got) != 2 || got[1].ResidentID != ids[1] || got[1].InboundID != in {
		t.Errorf("CampaignAnswers after a new answer = %+v; want resident %d's with inbound %d last", got, ids[1], in)
	}
	if got, err := st.CampaignAnswers(ctx, c.ID+100); err != nil || len(got) != 0 {
		t.Errorf("CampaignAnswers(other) = %v, %v", got, err)
	}
}

// Two workers file the same ticket under different categories at once:
// one wins, the other's change is refused, and the timeline holds the
// winner's categories; an urgency change is stored with its deadline.
func testTicketRecategorised(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	now := t0.Add(time.Minute)
	a, b := tk, tk
	evA, errA := a.Recategorise(tickets.CategoryHeatingGas, "wang", "燃气", now)
	evB, errB := b.Recategorise(tickets.CategoryProperty, "li", "", now)
	apply(t, st, a, evA, errA)
	if errB != nil {
		t.Fatal(errB)
	}
	if err := st.ApplyTicketEvent(ctx, b, evB); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("second recategorisation = %v, want fault.ErrConflict", err)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Category != tickets.CategoryHeatingGas {
		t.Errorf("category %s, want heating_gas", got.Category)
	}
	evs, err := st.TicketEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != tickets.EventRecategorised || last.From != string(tk.Category) || last.To != "heating_gas" || last.Note != "燃气" {
		t.Errorf("last event %+v, want recategorised %s → heating_gas", last, tk.Category)
	}
	// An urgency change is a timeline kind of its own.
	a.DueAt = now.Add(2 * time.Hour)
	urg := tickets.Event{Kind: tickets.EventUrgency, Actor: "wang", From: "normal", To: "emergency", At: now}
	if err := st.ApplyTicketEvent(ctx, a, urg); err != nil {
		t.Fatal(err)
	}
	evs, _ = st.TicketEvents(ctx, tk.ID)
	if u := tickets.UrgencyOf(evs); u != tickets.UrgencyEmergency {
		t.Errorf("urgency after the change: %s, want emergency", u)
	}
	if got, _ := st.Ticket(ctx, tk.ID); !got.DueAt.Equal(a.DueAt) {
		t.Errorf("due %s, want %s", got.DueAt, a.DueAt)
	}
}
