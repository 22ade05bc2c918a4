package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
)

// BenchmarkPurgeMessages measures a city's first retention sweep over its
// ledger: n SMS campaign messages, sent, each with a "<BizId>/<phone>"
// provider id to clear, swept in batches of retention.DefaultBatch. The
// baseline is the same clearing as one hand-written UPDATE of every row
// in one transaction (what the sweep avoids: it holds the writer the
// whole time); "resweep_ms" is the next day's sweep, which starts at the
// mark and finds nothing. Run with -benchtime=1x: each iteration builds
// its ledger afresh.
func BenchmarkPurgeMessages(b *testing.B) {
	drivers := []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", func(tb testing.TB) *store.Store { return openSQLite(tb) }}}
	if os.Getenv("GRIDCAST_TEST_POSTGRES") != "" {
		drivers = append(drivers, struct {
			name string
			open func(testing.TB) *store.Store
		}{"postgres", func(tb testing.TB) *store.Store { return openPostgres(tb) }})
	}
	for _, d := range drivers {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", d.name, n), func(b *testing.B) {
				ctx := context.Background()
				var ours, base, resweep time.Duration
				for range b.N {
					b.StopTimer()
					st := d.open(b)
					ledger(b, st, n)
					sw := retention.Sweep{Before: time.Now().Add(time.Hour)}
					b.StartTimer()
					start := time.Now()
					got, err := st.PurgeMessages(ctx, sw)
					ours += time.Since(start)
					b.StopTimer()
					if err != nil || got != int64(n) {
						b.Fatalf("PurgeMessages = %d, %v; want %d", got, err, n)
					}
					start = time.Now()
					if got, err := st.PurgeMessages(ctx, sw); err != nil || got != 0 {
						b.Fatalf("second PurgeMessages = %d, %v; want 0", got, err)
					}
					resweep += time.Since(start)

					st = d.open(b)
					ledger(b, st, n)
					start = time.Now()
					clearAll(b, st)
					base += time.Since(start)
				}
				b.ReportMetric(float64(n*b.N)/ours.Seconds(), "msgs/s")
				b.ReportMetric(float64(n*b.N)/base.Seconds(), "baseline_msgs/s")
				b.ReportMetric(base.Seconds()/ours.Seconds(), "ratio")
				b.ReportMetric(float64(resweep.Milliseconds())/float64(b.N), "resweep_ms")
			})
		}
	}
}

// ledger loads a small population and n sent SMS campaign messages.
func ledger(b *testing.B, st *store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	if err := st.UpsertGrids(ctx, benchGrids()); err != nil {
		b.Fatal(err)
	}
	const people = 1000
	i := 0
	if _, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		i++
		return genResident(i), i <= people
	}, nil); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	written := 0
	for run := 1; written < n; run++ {
		c := campaigns.Campaign{Name: fmt.Sprintf("c%d", run), Kind: campaigns.KindPolicyNotice, Segment: "age:0..",
			ChannelPolicy: campaigns.SMSOnly, ScheduleAt: now, ExpiresAt: now.Add(time.Hour), Owner: "bench"}
		if err := st.CreateCampaign(ctx, &c); err != nil {
			b.Fatal(err)
		}
		if _, err := st.StartRun(ctx, c.ID, 1, now); err != nil {
			b.Fatal(err)
		}
		ms := make([]outbound.Message, 0, people)
		for r := 1; r <= people && written+len(ms) < n; r++ {
			ms = append(ms, outbound.Message{ResidentID: int64(r), Channel: population.ChannelSMS})
		}
		ms, err := st.WriteMessages(ctx, c.ID, 1, ms, int64(people), true)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]int64, len(ms))
		acc := make([]outbound.Accepted, len(ms))
		for k, m := range ms {
			ids[k] = m.ID
			acc[k] = outbound.Accepted{ID: m.ID, ProviderID: outbound.SMSProviderID("biz", fmt.Sprintf("139%08d", m.ResidentID))}
		}
		if _, err := st.ClaimMessages(ctx, ids, now, "out"); err != nil {
			b.Fatal(err)
		}
		if _, err := st.MarkSent(ctx, acc, "SMS_T", now); err != nil {
			b.Fatal(err)
		}
		written += len(ms)
	}
}

// clearAll is the baseline: the sweep's clearing of every message, as one
// statement.
func clearAll(b *testing.B, st *store.Store) {
	b.Helper()
	q := `UPDATE messages SET text = '', params = '{}', url = '', to_key = '',
		provider_id = substr(provider_id, 1, instr(provider_id, '/') - 1), purged_at = '2026-01-01T00:00:00.000000Z'
		WHERE instr(provider_id, '/') > 0`
	if st.Driver() == store.DriverPostgres {
		q = `UPDATE messages SET text = '', params = '{}', url = '', to_key = '',
		provider_id = split_part(provider_id, '/', 1), purged_at = now() WHERE strpos(provider_id, '/') > 0`
	}
	if _, err := st.DB().ExecContext(context.Background(), q); err != nil {
		b.Fatal(err)
	}
}
