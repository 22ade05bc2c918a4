package aliyunsms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// OnAccept hears every accepted number of a call once, a lost answer's
// too; a refused call is not heard.
func TestOnAcceptHearsAcceptedMessages(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var heard []string
	f := newFixture(t, func(c *EmulatorConfig) {
		c.OnAccept = func(ms []SentMessage) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range ms {
				heard = append(heard, string(m.Phone)+" "+m.OutID)
			}
		}
	}, nil)
	ctx := context.Background()
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "1"}); err != nil {
		t.Fatal(err)
	}
	batch := []gateway.SMS{{Phone: bob, TemplateCode: "SMS_400", OutID: "2"}, {Phone: carol, TemplateCode: "SMS_400", OutID: "2"}}
	if _, err := f.client.SendBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	f.emu.FailNext(1, FaultLoseAnswer)
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "3"}); sendError(t, err).Code != CodeAmbiguous {
		t.Errorf("lost answer: %v", err)
	}
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: "12345", TemplateCode: "SMS_400", OutID: "4"}); err == nil {
		t.Error("a bad number was accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{alice + " 1", bob + " 2", carol + " 2", alice + " 3"}, heard); diff != "" {
		t.Errorf("heard (-want +got):\n%s", diff)
	}
}

// The Faults hook is asked after FailNext and Inject.
func TestFaultsHookAfterQueue(t *testing.T) {
	t.Parallel()
	var asked []string
	f := newFixture(t, func(c *EmulatorConfig) {
		c.Faults = func(action string, _ pii.Phone) *Fault {
			asked = append(asked, action)
			if action == "SendSms" {
				return &FaultThrottling
			}
			return nil
		}
	}, nil)
	f.emu.FailNext(1, FaultSystemError)
	m := gateway.SMS{Phone: alice, TemplateCode: "SMS_400"}
	if _, err := f.client.Send(context.Background(), m); sendError(t, err).Code != "isp.SYSTEM_ERROR" {
		t.Errorf("first send: %v, want the queued fault", err)
	}
	if _, err := f.client.Send(context.Background(), m); sendError(t, err).Code != "Throttling.User" {
		t.Errorf("second send: %v, want the hook's fault", err)
	}
	if diff := cmp.Diff([]string{"SendSms"}, asked); diff != "" {
		t.Errorf("hook asked (-want +got):\n%s", diff)
	}
}

// Restored messages are found by QuerySendDetails, count against the
// per-number limits, and get no report if theirs was due before.
func TestRestore(t *testing.T) {
	t.Parallel()
	rx, reports := receiver(t, ParseReports)
	f := newFixture(t, func(c *EmulatorConfig) {
		c.ReportURL = rx.URL
		c.PerNumberDailyLimit = 2
		c.DeliveryDelay = time.Minute
	}, nil)
	now := f.clock.Now()
	f.emu.Restore([]SentMessage{
		{Phone: alice, SignName: testSign, TemplateCode: "SMS_400", Content: "【网格通】感谢您的反馈。",
			OutID: "old", BizID: "900^0", SendTime: now.Add(-2 * time.Minute)},
		{Phone: alice, SignName: testSign, TemplateCode: "SMS_400", Content: "【网格通】感谢您的反馈。",
			OutID: "recent", BizID: "901^0", SendTime: now.Add(-10 * time.Second)},
	})
	ds, err := f.client.QueryDetails(context.Background(), alice, "", now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.OutID+" "+d.Status.String())
	}
	if diff := cmp.Diff([]string{"recent " + gateway.SMSWaiting.String(), "old " + gateway.SMSDelivered.String()}, got); diff != "" {
		t.Errorf("QueryDetails after Restore (-want +got):\n%s", diff)
	}
	_, err = f.client.Send(context.Background(), gateway.SMS{Phone: alice, TemplateCode: "SMS_400"})
	if se := sendError(t, err); se.Code != "isv.BUSINESS_LIMIT_CONTROL" {
		t.Errorf("a third message today: %v, want the daily limit of 2", err)
	}
	f.clock.Advance(time.Minute)
	if r := recv(t, reports); r.OutID != "recent" {
		t.Errorf("report for %q, want only the one still due", r.OutID)
	}
	select {
	case r := <-reports:
		t.Errorf("a second report, for %q", r.OutID)
	case <-time.After(100 * time.Millisecond):
	}
}

// In duplicate mode each report comes twice, the copy in a POST of its
// own; in reorder mode a group comes newest first.
func TestReportModes(t *testing.T) {
	t.Parallel()
	rx, reports := receiver(t, ParseReports)
	f := newFixture(t, func(c *EmulatorConfig) { c.ReportURL = rx.URL }, nil)
	ctx := context.Background()
	f.emu.SetReportMode(ReportsDuplicate)
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "d"}); err != nil {
		t.Fatal(err)
	}
	if a, b := recv(t, reports), recv(t, reports); a.OutID != "d" || b.OutID != "d" {
		t.Errorf("duplicate mode pushed %q and %q", a.OutID, b.OutID)
	}
	f.emu.SetReportMode(ReportsReorder)
	var want []string
	for i, to := range []string{alice, bob, carol, "13700000001"} {
		id := string(rune('a' + i))
		if _, err := f.client.Send(ctx, gateway.SMS{Phone: pii.Phone(to), TemplateCode: "SMS_400", OutID: id}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{id}, want...)
	}
	var got []string
	for range 4 {
		got = append(got, recv(t, reports).OutID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reorder mode (-want +got):\n%s", diff)
	}
}
