package bench

import (
	"log/slog"
	"os"
	"strconv"
	"testing"
)

// BenchmarkInbound runs the inbound case at its quick size on SQLite and,
// when GRIDCAST_TEST_POSTGRES is set, on PostgreSQL, on the Redis of
// GRIDCAST_TEST_REDIS in database GRIDCAST_BENCH_REDIS_DB (14 unless set).
// Each iteration is one whole run of the case; the figures are reported as
// the benchmark's metrics and the BENCH lines logged.
func BenchmarkInbound(b *testing.B) {
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		b.Skip("GRIDCAST_TEST_REDIS unset: the case needs a real Redis")
	}
	db := 14
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_BENCH_REDIS_DB")); err == nil {
		db = v
	}
	o := Options{Quick: true, Cases: []string{"inbound"}, Postgres: os.Getenv("GRIDCAST_TEST_POSTGRES"),
		RedisAddr: addr, RedisDB: db, Dir: b.TempDir(), Profile: os.Getenv("GRIDCAST_BENCH_PROFILE")}
	if testing.Verbose() {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if d := os.Getenv("GRIDCAST_BENCH_DRIVER"); d != "" {
		o.Drivers = []string{d}
	}
	for range b.N {
		rs, err := Run(b.Context(), o, inboundOutput{b})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			for _, m := range r.Metrics {
				b.ReportMetric(m.Value, r.Driver+"_"+m.Name)
			}
			b.ReportMetric(r.Ratio, r.Driver+"_ratio")
		}
	}
}

// inboundOutput writes the BENCH lines to the benchmark's log.
type inboundOutput struct{ b *testing.B }

func (w inboundOutput) Write(p []byte) (int, error) {
	w.b.Log(string(p))
	return len(p), nil
}
