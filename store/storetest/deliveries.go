package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// The delivery records (发送记录): the ledger searched by a resident's
// phone tail, dates, status and scope; and the template sync status.

var deliveryTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"Deliveries", testDeliveries},
	{"TemplateStatus", testTemplateStatus},
}

func testDeliveries(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 3) // phones 13900000000…2; grids NY-01-01-01, NY-01-01-02, NY-02-01-01
	c := startedRun(t, st, "发送记录")
	cm := writeOne(t, st, c.ID, rs[1].ID, population.ChannelSMS)
	ack := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: rs[1].ID,
		Route: outbound.RouteSMS, To: string(rs[1].Phone), Status: outbound.StatusFailed})
	other := createMessage(t, st, outbound.Message{Purpose: outbound.PurposeAck, ResidentID: rs[2].ID,
		Route: outbound.RouteSMS, To: string(rs[2].Phone)})
	// A desk message to an unknown sender has no resident: not a delivery
	// record of anyone's.
	createMessage(t, st, outbound.Message{Purpose: outbound.PurposeReply, Route: outbound.RouteSMS, To: "13700000001"})

	ids := func(f outbound.DeliveryFilter) []int64 {
		t.Helper()
		ds, err := st.Deliveries(ctx, f)
		if err != nil {
			t.Fatalf("Deliveries(%+v): %v", f, err)
		}
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	now := time.Now()
	for _, tc := range []struct {
		name string
		f    outbound.DeliveryFilter
		want []int64
	}{
		{"all, newest first", outbound.DeliveryFilter{}, []int64{other.ID, ack.ID, cm.ID}},
		{"phone tail", outbound.DeliveryFilter{PhoneTail: "0001"}, []int64{ack.ID, cm.ID}},
		{"whole phone", outbound.DeliveryFilter{PhoneTail: "13900000002"}, []int64{other.ID}},
		{"tail nobody has", outbound.DeliveryFilter{PhoneTail: "5678"}, nil},
		{"status", outbound.DeliveryFilter{PhoneTail: "0001", Status: outbound.StatusFailed}, []int64{ack.ID}},
		{"dates around now", outbound.DeliveryFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)}, []int64{other.ID, ack.ID, cm.ID}},
		{"dates before", outbound.DeliveryFilter{To: now.Add(-time.Hour)}, nil},
		{"scope", outbound.DeliveryFilter{Scope: []string{"NY-01"}}, []int64{ack.ID, cm.ID}},
		{"other scope", outbound.DeliveryFilter{Scope: []string{"NY-02-01-01"}}, []int64{other.ID}},
		{"page", outbound.DeliveryFilter{BeforeID: ack.ID, Limit: 1}, []int64{cm.ID}},
		{"limit", outbound.DeliveryFilter{Limit: 1}, []int64{other.ID}},
	} {
		if d := cmp.Diff(tc.want, ids(tc.f)); d != "" {
			t.Errorf("%s: Deliveries (-want +got):\n%s", tc.name, d)
		}
	}
	ds, err := st.Deliveries(ctx, outbound.DeliveryFilter{PhoneTail: "0001", Status: outbound.StatusFailed})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Deliveries = %+v, %v", ds, err)
	}
	d := ds[0]
	if d.Phone != pii.Phone("13900000001") || d.GridCode != rs[1].GridCode || d.Purpose != outbound.PurposeAck ||
		d.Route != outbound.RouteSMS || d.ResidentID != rs[1].ID {
		t.Errorf("delivery = %+v", d)
	}
}

func testTemplateStatus(t *testing.T, st Store) {
	ctx := t.Context()
	if got, err := st.TemplateStatus(ctx); err != nil || len(got) != 0 {
		t.Errorf("TemplateStatus before any sync = %+v, %v", got, err)
	}
	later := t0.Add(time.Hour)
	if err := st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{
		{Code: "SMS_1", Content: "a", Approved: true}, {Code: "SMS_2", Content: "b", Approved: true},
		{Code: "SMS_3", Content: "c"},
	}, later); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveTemplates(ctx, population.ChannelWeChat, []campaigns.Template{
		{Code: "wx1", Content: "a", Approved: true},
	}, t0); err != nil {
		t.Fatal(err)
	}
	got, err := st.TemplateStatus(ctx)
	want := []campaigns.TemplateCount{
		{Channel: population.ChannelSMS, Approved: false, Count: 1, SyncedAt: later},
		{Channel: population.ChannelSMS, Approved: true, Count: 2, SyncedAt: later},
		{Channel: population.ChannelWeChat, Approved: true, Count: 1, SyncedAt: t0},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" || err != nil {
		t.Errorf("TemplateStatus (-want +got):\n%s%v", d, err)
	}
}
