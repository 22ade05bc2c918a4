package queue_test

import (
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

// An officer's test send (试发), written as the API writes it, goes out at
// once by SMS even in the quiet hours — nothing is prepared at send time,
// no cap holds it — with the text the officer was shown, and its receipt
// settles it; no campaign run counts it. On both store drivers.
func TestTestSendGoesAtOnce(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := setup(t, queue.Config{}, 23, onDriver(driver)) // 23:00 Beijing time: quiet hours
			e.recovered()
			c := e.schedule(e.campaign("保安招聘", 48*time.Hour))
			tpls, err := campaigns.SyncedTemplates(e.ctx, e.st, c)
			if err != nil {
				t.Fatal(err)
			}
			if tpls.SMS.Code == "" {
				// The sandbox's templates, as `gridcast templates sync` keeps them.
				for _, x := range sandbox.SMSTemplates() {
					if x.Code == sandbox.TemplateJob {
						tpls.SMS = campaigns.Template{Code: x.Code, Content: x.Content, Approved: true}
					}
				}
			}
			params, text, err := campaigns.TestSMS(c, tpls.SMS, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			const phone = pii.Phone("13812345678")
			m, _, err := e.st.CreateMessage(e.ctx, outbound.Message{Purpose: outbound.PurposeTest, Route: outbound.RouteSMS,
				RouteReason: outbound.TestReason(c.ID), To: string(phone), Text: text, TemplateCode: c.SMS.TemplateCode,
				Params: params, Actor: "officer", CreatedAt: e.clk.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.enq.EnqueueSend(e.ctx, m); err != nil {
				t.Fatal(err)
			}
			e.waitFor("the test send delivered", 20*time.Second, func() bool {
				got, err := e.st.Message(e.ctx, m.ID)
				return err == nil && got.Status == outbound.StatusDelivered
			})
			var sent []string
			for _, s := range e.sb.SMS.Sent() {
				if s.Phone == phone {
					sent = append(sent, s.Content)
				}
			}
			if len(sent) != 1 || sent[0] != text {
				t.Errorf("the phone got %q, want once %q", sent, text)
			}
			if f := e.funnel(c.ID); f.Targeted != 0 || len(f.FollowUps) != 0 {
				t.Errorf("the campaign's funnel after a test send = %+v, want nothing", f)
			}
		})
	}
}
