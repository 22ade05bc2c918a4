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

// What a reply answers: the latest outreach, extension codes, the proposed
// visit and the ticket awaiting a rating.

func testLatestOutreach(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	who := ids[0]
	a, b := startedRun(t, st, "甲"), startedRun(t, st, "乙")
	send := func(campaignID, resident int64, ch population.Channel, to outbound.Status, at time.Time) {
		t.Helper()
		m := writeOne(t, st, campaignID, resident, ch)
		if ok, err := st.AdvanceMessage(ctx, m.ID, to, outbound.Update{ProviderID: "p", At: at}); !ok || err != nil {
			t.Fatalf("advance to %s: %v, %v", to, ok, err)
		}
	}
	if _, err := st.LatestOutreach(ctx, who, t0.Add(-time.Hour)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("LatestOutreach(nothing sent) = %v, want ErrNotFound", err)
	}
	send(a.ID, who, population.ChannelSMS, outbound.StatusSent, t0)
	send(b.ID, who, population.ChannelWeChat, outbound.StatusDelivered, t0.Add(time.Hour))
	send(a.ID, who, population.ChannelWeChat, outbound.StatusFailed, t0.Add(2*time.Hour)) // failed: not outreach
	writeOne(t, st, b.ID, who, population.ChannelSMS)                                     // never sent
	send(a.ID, ids[1], population.ChannelSMS, outbound.StatusSent, t0.Add(3*time.Hour))   // someone else
	for _, tc := range []struct {
		since time.Time
		want  int64
	}{
		{t0.Add(-time.Hour), b.ID},
		{t0.Add(time.Hour), b.ID},
		{t0.Add(90 * time.Minute), 0},
	} {
		got, err := st.LatestOutreach(ctx, who, tc.since)
		if tc.want == 0 {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("LatestOutreach(since %v) = %d, %v; want ErrNotFound", tc.since, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("LatestOutreach(since %v) = %d, %v; want %d", tc.since, got, err, tc.want)
		}
	}
}

func testCampaignByExtendCode(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	withCode := func(name, code string) campaigns.Campaign {
		t.Helper()
		c := testCampaign(name)
		c.ExtendCode = code
		if err := st.CreateCampaign(ctx, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	messaged := startedRun(t, st, "甲") // extend code "12"
	writeOne(t, st, messaged.ID, ids[0], population.ChannelSMS)
	latest := withCode("乙", "12")
	other := withCode("丙", "34")
	withCode("丁", "")
	for _, tc := range []struct {
		code     string
		resident int64
		want     int64
	}{
		{"12", ids[0], messaged.ID},
		{"12", ids[1], latest.ID},
		{"12", 0, latest.ID},
		{"34", ids[0], other.ID},
		{"99", ids[0], 0},
		{"", ids[0], 0},
	} {
		got, err := st.CampaignByExtendCode(ctx, tc.code, tc.resident)
		if tc.want == 0 {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("CampaignByExtendCode(%q, %d) = %d, %v; want ErrNotFound", tc.code, tc.resident, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CampaignByExtendCode(%q, %d) = %d, %v; want %d", tc.code, tc.resident, got, err, tc.want)
		}
	}
}

func testProposedVisit(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	book := func(name string, start time.Time) campaigns.Campaign {
		t.Helper()
		c := createCampaign(t, st, name)
		if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[0], CampaignID: c.ID, Start: start, End: start.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	earlier := book("走访一", t0.Add(24*time.Hour))
	later := book("走访二", t0.Add(25*time.Hour))
	book("走访三", t0.Add(-time.Hour)) // booked last, but already past
	check := func(want campaigns.Campaign) {
		t.Helper()
		got, err := st.ProposedVisit(ctx, ids[0], t0)
		if err != nil {
			t.Fatal(err)
		}
		if got.CampaignID != want.ID || got.State != campaigns.VisitProposed || got.WorkerID != w || got.ResidentID != ids[0] || got.ID == 0 {
			t.Errorf("ProposedVisit = %+v; want campaign %d proposed", got, want.ID)
		}
	}
	check(later)
	if err := st.SetSlotState(ctx, ids[0], later.ID, campaigns.VisitConfirmed); err != nil {
		t.Fatal(err)
	}
	check(earlier)
	if err := st.SetSlotState(ctx, ids[0], earlier.ID, campaigns.VisitMoved); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		resident int64
	}{{"all confirmed, moved or past", ids[0]}, {"no slots", ids[1]}} {
		if v, err := st.ProposedVisit(ctx, tc.resident, t0); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("ProposedVisit(%s) = %+v, %v; want ErrNotFound", tc.name, v, err)
		}
	}
}

func testRatableTicket(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 2)
	w := seedWorker(t, st, "W001")
	due := t0.Add(time.Hour)
	resolve := func(tk tickets.Ticket, at time.Time) tickets.Ticket {
		t.Helper()
		ev, err := tk.Assign(w, tickets.LevelGridWorker, "leader.li", at)
		apply(t, st, tk, ev, err)
		ev, err = tk.Transition(tickets.StatusResolved, "wang", at)
		apply(t, st, tk, ev, err)
		return tk
	}
	if _, err := st.RatableTicket(ctx, ids[0], t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("RatableTicket(no tickets) = %v, want ErrNotFound", err)
	}
	first := resolve(newTicket(t, st, ids[0], "NY-01-01-01", 0, due), t0.Add(5*time.Minute))
	rated := resolve(newTicket(t, st, ids[0], "NY-01-01-01", time.Minute, due), t0.Add(10*time.Minute))
	ev, err := rated.Rate(5, t0.Add(11*time.Minute))
	apply(t, st, rated, ev, err)
	newTicket(t, st, ids[0], "NY-01-01-01", 2*time.Minute, due)                                  // open
	resolve(newTicket(t, st, ids[1], "NY-01-01-02", 3*time.Minute, due), t0.Add(20*time.Minute)) // someone else's
	got, err := st.RatableTicket(ctx, ids[0], t0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, got); d != "" {
		t.Errorf("RatableTicket (-want +got):\n%s", d)
	}
	if _, err := st.RatableTicket(ctx, ids[0], t0.Add(6*time.Minute)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("RatableTicket(resolved before since) = %v, want ErrNotFound", err)
	}
}
