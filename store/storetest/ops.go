package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// opsTests are the reads operators watch: why a campaign's messages wait,
// and the ticket backlog the metrics report.
var opsTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"CampaignWaiting", testCampaignWaiting},
	{"TicketBacklog", testTicketBacklog},
}

// A campaign's pending messages grouped by why they wait, most first, with
// the earliest time among them; other statuses, other campaigns and
// follow-ups are not counted.
func testCampaignWaiting(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 7)
	c := startedRun(t, st, "等待")
	other := startedRun(t, st, "别的")
	sms := population.ChannelSMS
	if got, err := st.CampaignWaiting(ctx, c.ID); err != nil || len(got) != 0 {
		t.Fatalf("CampaignWaiting before any message = %v, %v; want none", got, err)
	}
	ms := make([]outbound.Message, 6)
	for i := range ms {
		ms[i] = outbound.Message{ResidentID: ids[i], Channel: sms, NotBefore: t0}
	}
	ms, err := st.WriteMessages(ctx, c.ID, 1, ms, ids[5], true)
	if err != nil {
		t.Fatal(err)
	}
	writeOne(t, st, other.ID, ids[6], sms) // another campaign's: not counted
	claim := func(m outbound.Message) {
		t.Helper()
		if _, ok, err := st.ClaimMessage(ctx, m.ID, t0); !ok || err != nil {
			t.Fatalf("claim %d: %v, %v", m.ID, ok, err)
		}
	}
	wait := func(m outbound.Message, until time.Time, reason string) {
		t.Helper()
		claim(m)
		if err := st.RescheduleMessage(ctx, m.ID, until, reason); err != nil {
			t.Fatalf("reschedule %d: %v", m.ID, err)
		}
	}
	quietEnd := t0.Add(22 * time.Hour)
	wait(ms[0], quietEnd.Add(time.Minute), outbound.WaitQuietHours)
	wait(ms[1], quietEnd, outbound.WaitQuietHours)
	wait(ms[2], t0.Add(2*time.Second), outbound.WaitRetry+":isp.SYSTEM_ERROR")
	claim(ms[3]) // sending: not waiting
	if ok, err := st.AdvanceMessage(ctx, ms[3].ID, outbound.StatusSent, outbound.Update{ProviderID: "s3"}); !ok || err != nil {
		t.Fatalf("advance: %v, %v", ok, err)
	}
	claim(ms[4]) // still sending
	got, err := st.CampaignWaiting(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []outbound.Waiting{
		{Reason: outbound.WaitQuietHours, Count: 2, Until: quietEnd.UTC()},
		{Reason: outbound.WaitRetry + ":isp.SYSTEM_ERROR", Count: 1, Until: t0.Add(2 * time.Second).UTC()},
		{Reason: "", Count: 1, Until: t0.UTC()}, // ms[5], never tried
	}
	// Equal counts come in reason order.
	want[1], want[2] = want[2], want[1]
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Errorf("CampaignWaiting (-want +got):\n%s", d)
	}
}

// Open tickets per level, and those past their deadline; closed ones do
// not count.
func testTicketBacklog(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	now := t0.Add(2 * time.Hour)
	if got, err := st.TicketBacklog(ctx, now); err != nil || len(got) != 0 {
		t.Fatalf("TicketBacklog of an empty desk = %v, %v; want none", got, err)
	}
	newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))   // overdue
	newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(3*time.Hour)) // due later
	newTicket(t, st, ids[0], "NY-01-01-01", 0, time.Time{})         // no deadline
	up := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	ev, err := up.Escalate(tickets.LevelCommunity, 0, now.Add(-time.Minute), "system", t0.Add(time.Hour))
	apply(t, st, up, ev, err) // escalated, and overdue again
	closed := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(time.Hour))
	ev, err = closed.Transition(tickets.StatusClosed, "wang", t0.Add(time.Minute))
	apply(t, st, closed, ev, err)

	got, err := st.TicketBacklog(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []tickets.Backlog{
		{Level: tickets.LevelCommunity, Open: 1, Overdue: 1},
		{Level: tickets.LevelGridWorker, Open: 3, Overdue: 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TicketBacklog (-want +got):\n%s", d)
	}
}
