package queue_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/queue"
)

// BenchmarkCampaign sends one campaign to N residents (GRIDCAST_BENCH_CAMPAIGN,
// default 100,000; 10,000 with -short) through real Redis, SQLite and both
// emulators without latency or limits, and reports msgs/s beside bare Asynq
// no-op tasks/s on the same Redis (the ratio) and the peak heap in use.
func BenchmarkCampaign(b *testing.B) {
	if os.Getenv("GRIDCAST_TEST_REDIS") == "" {
		b.Skip("GRIDCAST_TEST_REDIS unset: the benchmark needs a real Redis")
	}
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	if s := os.Getenv("GRIDCAST_BENCH_CAMPAIGN"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("GRIDCAST_BENCH_CAMPAIGN=%q: want a positive number", s)
		}
		n = v
	}
	cfg := queue.Config{SMSRate: -1, WeChatRate: -1, Caps: campaigns.Caps{PerDay: -1, PerWeek: -1, ProviderPerDay: -1},
		QuietHours: campaigns.QuietHours{Start: "00:00", End: "00:00"}, Concurrency: 20}
	e := setupN(b, cfg, n)
	baseline := noopRate(b, e.rdb, n, cfg.Concurrency)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	var msgs int
	for i := range b.N {
		c := e.schedule(e.campaign("bench"+strconv.Itoa(i), 48*time.Hour))
		e.tick()
		e.waitFor("bench campaign settled", 30*time.Minute, func() bool { return e.settled(c.ID) })
		f := e.funnel(c.ID)
		for _, cf := range f.ByChannel {
			msgs += cf.Sent + cf.Delivered + cf.Failed
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	rate := float64(msgs) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(baseline, "noop_tasks/s")
	b.ReportMetric(rate/baseline, "ratio")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak_heap_MiB")
}

// setupN is setup with n residents (the default fixture has 300).
func setupN(b *testing.B, cfg queue.Config, n int) *env {
	old := residentsN
	residentsN = n
	defer func() { residentsN = old }()
	return setup(b, cfg, 10)
}

// noopRate measures bare Asynq: n no-op tasks enqueued from 8 goroutines
// and processed by a server of the same concurrency; tasks per second
// from the first enqueue to the last completion.
func noopRate(b *testing.B, rdb *redis.Client, n, concurrency int) float64 {
	var done atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: concurrency, Queues: map[string]int{"noop": 1},
		LogLevel: asynq.ErrorLevel, TaskCheckInterval: 100 * time.Millisecond})
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	if err := srv.Start(mux); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	cl := asynq.NewClientFromRedisClient(rdb)
	defer cl.Close()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := cl.Enqueue(asynq.NewTask("noop", nil), asynq.Queue("noop"), asynq.Retention(0)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(10 * time.Minute):
		b.Fatal("no-op baseline timed out")
	}
	return float64(n) / time.Since(start).Seconds()
}
