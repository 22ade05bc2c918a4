package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// testOpenTicket checks that OpenTicket stores what CreateTicket,
// ApplyTicketEvent and LinkInbound would in turn, and nothing when the
// inbound message is missing.
func testOpenTicket(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	w := seedWorker(t, st, "W001")
	inID, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: population.ChannelWeChat, ProviderMsgID: "7001",
		FromKey: "oOpenID0001", ResidentID: ids[0], Content: "楼道灯坏了", ReceivedAt: t0, Intent: tickets.IntentQuestion})
	if err != nil {
		t.Fatal(err)
	}
	tk := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Channel: population.ChannelWeChat, Text: "楼道灯坏了",
		Category: tickets.CategoryEnvironment, DueAt: t0.Add(24 * time.Hour), CreatedAt: t0, UpdatedAt: t0}
	created := tickets.Event{At: t0, Actor: tickets.ActorSystem, Kind: tickets.EventCreated, To: string(tk.Category)}
	assigned, err := tk.Assign(w, tickets.LevelGridWorker, tickets.ActorSystem, t0.Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.OpenTicket(ctx, &tk, created, []tickets.Event{assigned}, inID); err != nil {
		t.Fatalf("OpenTicket: %v", err)
	}
	if tk.ID == 0 || tk.Status != tickets.StatusAssigned || tk.AssigneeWorkerID != w {
		t.Fatalf("OpenTicket set %d, %s, worker %d", tk.ID, tk.Status, tk.AssigneeWorkerID)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tk, got); d != "" {
		t.Errorf("Ticket (-want +got):\n%s", d)
	}
	created.TicketID, assigned.TicketID = tk.ID, tk.ID
	evs, err := st.TicketEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]tickets.Event{created, assigned}, evs); d != "" {
		t.Errorf("TicketEvents (-want +got):\n%s", d)
	}
	in, err := st.InboundByID(ctx, inID)
	if err != nil || in.TicketID != tk.ID {
		t.Errorf("inbound linked to %d, %v; want ticket %d", in.TicketID, err, tk.ID)
	}

	// A missing inbound message: nothing is stored.
	var before int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&before); err != nil {
		t.Fatal(err)
	}
	lost := tickets.Ticket{ResidentID: ids[0], GridCode: "NY-01-01-01", Channel: population.ChannelWeChat, Text: "x",
		Category: tickets.CategoryOther, CreatedAt: t0, UpdatedAt: t0}
	if err := st.OpenTicket(ctx, &lost, created, nil, inID+100); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("OpenTicket(missing inbound) = %v, want ErrNotFound", err)
	}
	var after int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&after); err != nil || after != before {
		t.Errorf("tickets after a refused OpenTicket: %d, %v; want %d", after, err, before)
	}
	// Only the events a ticket's methods make after opening may follow it.
	if err := st.OpenTicket(ctx, &lost, created, []tickets.Event{{Kind: tickets.EventRated}}, 0); err == nil {
		t.Error("OpenTicket accepted a rated event after the creation")
	}
}

// testSender checks that Sender finds whom ResidentByOpenID and
// ResidentByPhone find, without their lists.
func testSender(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 7)
	if err := st.BindOpenID(ctx, rs[3].ID, "oSender0003"); err != nil {
		t.Fatal(err)
	}
	rs[3].OpenID = "oSender0003"
	for _, r := range rs {
		want := r
		want.Categories, want.Skills, want.DesiredJobs, want.OptOuts = nil, nil, nil, nil
		got, err := st.Sender(ctx, population.ChannelSMS, " "+string(r.Phone))
		if err != nil {
			t.Fatalf("Sender(sms %s): %v", r.Phone.Masked(), err)
		}
		if d := cmp.Diff(want, got, residentOpts); d != "" {
			t.Errorf("Sender(sms) (-want +got):\n%s", d)
		}
		if r.OpenID == "" {
			continue
		}
		got, err = st.Sender(ctx, population.ChannelWeChat, string(r.OpenID))
		if err != nil {
			t.Fatalf("Sender(wechat): %v", err)
		}
		if d := cmp.Diff(want, got, residentOpts); d != "" {
			t.Errorf("Sender(wechat) (-want +got):\n%s", d)
		}
	}
	for _, c := range []struct {
		ch   population.Channel
		from string
	}{{population.ChannelWeChat, "oNobody"}, {population.ChannelSMS, "13800000000"}} {
		if _, err := st.Sender(ctx, c.ch, c.from); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("Sender(%s nobody) = %v, want ErrNotFound", c.ch, err)
		}
	}
	if _, err := st.Sender(ctx, "email", "a@b"); err == nil {
		t.Error("Sender accepted channel email")
	}
}
