package bench

import (
	"log/slog"
	"os"
	"strconv"
	"testing"
)

// The cases as Go benchmarks, at their quick size (GRIDCAST_BENCH_FULL=1:
// full size) on SQLite and, when GRIDCAST_TEST_POSTGRES is set, on
// PostgreSQL (GRIDCAST_BENCH_DRIVER picks one), on the Redis of
// GRIDCAST_TEST_REDIS in database GRIDCAST_BENCH_REDIS_DB (14 unless set),
// with profiles into GRIDCAST_BENCH_PROFILE when set:
//
//	GRIDCAST_TEST_REDIS=127.0.0.1:6379 go test ./bench -run '^$' -bench . -benchtime 1x
//
// Each iteration is one whole run of the case; its figures are reported as
// the benchmark's metrics (per driver) and its BENCH lines logged. The
// process cases (memory, workers) need the gridcast binary: run them with
// `gridcast bench`.
func benchCase(b *testing.B, name string) {
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		b.Skip("GRIDCAST_TEST_REDIS unset: the cases need a real Redis")
	}
	db := 14
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_BENCH_REDIS_DB")); err == nil {
		db = v
	}
	o := Options{Quick: os.Getenv("GRIDCAST_BENCH_FULL") == "", Cases: []string{name},
		Postgres: os.Getenv("GRIDCAST_TEST_POSTGRES"), RedisAddr: addr, RedisDB: db, Dir: b.TempDir(),
		Profile: os.Getenv("GRIDCAST_BENCH_PROFILE")}
	if testing.Verbose() {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if d := os.Getenv("GRIDCAST_BENCH_DRIVER"); d != "" {
		o.Drivers = []string{d}
	}
	for range b.N {
		rs, err := Run(b.Context(), o, logWriter{b})
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

// logWriter writes the BENCH lines to the benchmark's log.
type logWriter struct{ b *testing.B }

func (w logWriter) Write(p []byte) (int, error) {
	w.b.Log(string(p))
	return len(p), nil
}

func BenchmarkFanoutSMS(b *testing.B)    { benchCase(b, "fanout-sms") }
func BenchmarkFanoutWeChat(b *testing.B) { benchCase(b, "fanout-wechat") }
func BenchmarkSegment(b *testing.B)      { benchCase(b, "segment") }
func BenchmarkInbound(b *testing.B)      { benchCase(b, "inbound") }
func BenchmarkImport(b *testing.B)       { benchCase(b, "import") }
