package aliyunsms

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// BenchmarkSendSMS measures messages per second through the SDK and the
// emulator on loopback, one SendSms per message and 100 per SendBatchSms,
// against a baseline of bare loopback HTTP POSTs to a no-op handler.
func BenchmarkSendSMS(b *testing.B) {
	phone := func(i int) pii.Phone { return pii.Phone(fmt.Sprintf("13%09d", i%1_000_000_000)) }
	var baseline float64

	b.Run("baseline_http_post", func(b *testing.B) {
		b.ReportAllocs()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"Code":"OK"}`))
		}))
		defer srv.Close()
		hc := &http.Client{}
		defer hc.CloseIdleConnections()
		for b.Loop() {
			resp, err := hc.Post(srv.URL+"/?Action=SendSms", "application/x-www-form-urlencoded", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
		baseline = float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(baseline, "msgs/s")
	})

	b.Run("send_sms", func(b *testing.B) {
		b.ReportAllocs()
		f := newFixture(b, func(c *EmulatorConfig) { c.PerNumberDailyLimit = -1; c.MaxRecords = 10000 }, nil)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			if _, err := f.client.Send(ctx, gateway.SMS{Phone: phone(i), TemplateCode: "SMS_400"}); err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "msgs/s")
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "x_baseline")
		}
	})

	b.Run("send_batch_100", func(b *testing.B) {
		b.ReportAllocs()
		f := newFixture(b, func(c *EmulatorConfig) { c.PerNumberDailyLimit = -1; c.MaxRecords = 10000 }, nil)
		ctx := context.Background()
		batch := make([]gateway.SMS, MaxNumbersPerBatch)
		i := 0
		for b.Loop() {
			for j := range batch {
				i++
				batch[j] = gateway.SMS{Phone: phone(i), TemplateCode: "SMS_100",
					Params: map[string]string{"name": fmt.Sprint("居民", j), "date": "3月5日", "worker": "李娜"}}
			}
			if _, err := f.client.SendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(b.N*MaxNumbersPerBatch) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "msgs/s")
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "x_baseline")
		}
	})
}
