package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

var testSendTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"TestSend", testTestSend},
	{"TestSendRefused", testTestSendRefused},
}

// A test send (试发) is a row of the ledger like any message — claimed,
// sent, delivered — that belongs to no campaign run, resident or worker:
// the campaign's funnel and the resident's history do not see it, and the
// officer finds their own by campaign.
func testTestSend(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "体检通知")
	other := startedRun(t, st, "防汛通知")
	own := writeOne(t, st, c.ID, ids[0], population.ChannelSMS)

	in := outbound.Message{Purpose: outbound.PurposeTest, Route: outbound.RouteSMS, RouteReason: outbound.TestReason(c.ID),
		To: "13800000000", Text: "【网格通】张先生，体检通知", TemplateCode: "SMS_1",
		Params: map[string]string{"name": "张先生"}, Actor: "li", CreatedAt: t0}
	m := createMessage(t, st, in)
	want := in
	want.ID, want.Channel, want.Status = m.ID, population.ChannelSMS, outbound.StatusPending
	if d := cmp.Diff(want, m, ignoreUpdated); d != "" {
		t.Errorf("CreateMessage(test) (-want +got):\n%s", d)
	}
	// Pending, it is handed to the queue again like the desk's messages.
	pending, err := st.PendingSingles(ctx, 0, 10)
	if err != nil || len(pending) != 1 || pending[0].ID != m.ID {
		t.Errorf("PendingSingles = %+v, %v; want the test send only", pending, err)
	}

	for _, step := range []struct {
		since      time.Time
		actor      string
		campaignID int64
		want       int
	}{
		{t0.Add(-time.Hour), "li", c.ID, 1},
		{t0, "li", c.ID, 1},
		{t0.Add(time.Second), "li", c.ID, 0},
		{t0.Add(-time.Hour), "wang", c.ID, 0},
		{t0.Add(-time.Hour), "li", other.ID, 0},
	} {
		got, err := st.TestSends(ctx, step.actor, step.campaignID, step.since, 10)
		if err != nil || len(got) != step.want {
			t.Errorf("TestSends(%s, %d, %s) = %d, %v; want %d", step.actor, step.campaignID, step.since, len(got), err, step.want)
		}
	}

	moveTo(t, st, m.ID, outbound.StatusSent)
	if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusDelivered, outbound.Update{ProviderCode: "DELIVERED", At: t0}); !ok || err != nil {
		t.Fatalf("deliver the test send: %v, %v", ok, err)
	}
	got, err := st.TestSends(ctx, "li", c.ID, t0.Add(-time.Hour), 10)
	if err != nil || len(got) != 1 || got[0].Status != outbound.StatusDelivered {
		t.Errorf("TestSends after delivery = %+v, %v; want it delivered", got, err)
	}

	// Not in the campaign's funnel, nor in the resident's history.
	f, err := st.Funnel(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Targeted != 1 || len(f.FollowUps) != 0 || f.ByChannel[population.ChannelSMS].Pending != 1 {
		t.Errorf("funnel with a test send = %+v; want its one campaign message and no follow-ups", f)
	}
	hist, err := st.ResidentMessages(ctx, ids[0], 0, 10)
	if err != nil || len(hist) != 1 || hist[0].ID != own.ID {
		t.Errorf("resident's history = %+v, %v; want the campaign message only", hist, err)
	}
}

// A test send that names a campaign, resident or worker, or goes by
// anything but SMS, is refused by the store and by the schema.
func testTestSendRefused(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 1)
	c := startedRun(t, st, "体检通知")
	base := outbound.Message{Purpose: outbound.PurposeTest, Route: outbound.RouteSMS, RouteReason: outbound.TestReason(c.ID),
		To: "13800000000", Text: "【网格通】张先生", TemplateCode: "SMS_1", Actor: "li", CreatedAt: t0}
	for name, edit := range map[string]func(m *outbound.Message){
		"campaign": func(m *outbound.Message) { m.CampaignID, m.Run = c.ID, 1 },
		"resident": func(m *outbound.Message) { m.ResidentID = ids[0] },
		"wechat":   func(m *outbound.Message) { m.Route = outbound.RouteWeChatTemplate },
		"no phone": func(m *outbound.Message) { m.To = "" },
		"no actor": func(m *outbound.Message) { m.Actor = "" },
	} {
		m := base
		edit(&m)
		if _, _, err := st.CreateMessage(ctx, m); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("CreateMessage(test, %s) = %v; want ErrInvalid", name, err)
		}
	}
	// The schema holds the same line.
	q := fmt.Sprintf(`INSERT INTO messages (purpose, campaign_id, resident_id, channel, route, status, created_at, updated_at)
		VALUES ('test', %d, %d, 'sms', 'sms', 'pending', '2026-12-01 00:00:00', '2026-12-01 00:00:00')`, c.ID, ids[0])
	if _, err := st.DB().ExecContext(ctx, q); err == nil {
		t.Error("the schema took a test send that belongs to a campaign and a resident")
	}
	if got, err := st.TestSends(ctx, "li", c.ID, t0.Add(-time.Hour), 10); err != nil || len(got) != 0 {
		t.Errorf("TestSends after the refusals = %+v, %v; want none", got, err)
	}
}
