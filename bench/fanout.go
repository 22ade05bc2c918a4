package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

func init() {
	register(Case{Name: "fanout-sms", Store: true, Run: fanoutSMS})
	register(Case{Name: "fanout-wechat", Store: true, Run: fanoutWeChat})
}

// queueConcurrency is the handlers one bench server runs, as a worker
// process would by default on this machine size.
const queueConcurrency = 20

// fanoutSMS sends an SMS-only campaign to a city of 100k (1M) residents,
// from the send to the emulator's acceptance of the last message, against
// bare Asynq: no-op tasks/s on the same Redis. Batching is what lets the
// ratio pass one: a task carries a chunk, a call a hundred numbers.
func fanoutSMS(ctx context.Context, e *Env) ([]Result, error) {
	n := e.city(100_000, 1_000_000)
	f, err := e.fanout(ctx, n, campaigns.SMSOnly)
	if err != nil {
		return nil, err
	}
	base, err := noopRate(ctx, f.rdb, min(n, e.Size(100_000, 200_000)), queueConcurrency)
	if err != nil {
		return nil, err
	}
	res, err := f.run(ctx)
	if err != nil {
		return nil, err
	}
	return []Result{{
		Metrics:  append([]Metric{{"residents", float64(n)}}, res.metrics()...),
		Baseline: Metric{"noop_tasks_per_s", base}, Ratio: res.rate / base, Target: 3,
	}}, nil
}

// fanoutWeChat sends a WeChat-only campaign against the same SDK client's
// raw template-send rate to the same emulator, with no ledger.
func fanoutWeChat(ctx context.Context, e *Env) ([]Result, error) {
	n := e.city(50_000, 1_000_000)
	f, err := e.fanout(ctx, n, campaigns.WeChatOnly)
	if err != nil {
		return nil, err
	}
	res, err := f.run(ctx)
	if err != nil {
		return nil, err
	}
	base, err := rawWeChatRate(ctx, f.wx, f.openids(int(min(res.final, int64(e.Size(20_000, 100_000))))), 32)
	if err != nil {
		return nil, err
	}
	return []Result{{
		Metrics:  append([]Metric{{"residents", float64(n)}}, res.metrics()...),
		Baseline: Metric{"sdk_sends_per_s", base}, Ratio: res.rate / base, Target: 0.5,
	}}, nil
}

// fanoutRig is a seeded store, Redis, the emulators and a queue server
// ready to send one campaign.
type fanoutRig struct {
	e      *Env
	st     *store.Store
	rdb    *redis.Client
	sb     *sandbox.Sandbox
	wx     *wechat.Client
	srv    *queue.Server
	policy campaigns.ChannelPolicy

	written atomic.Int64 // pending messages the fan-out wrote
	final   atomic.Int64 // of which moved to sent, failed or skipped
	last    atomic.Int64 // unix nanos of the latest final move
}

func (e *Env) fanout(ctx context.Context, n int, policy campaigns.ChannelPolicy) (*fanoutRig, error) {
	f := &fanoutRig{e: e, policy: policy}
	var err error
	if f.st, err = e.Store(ctx); err != nil {
		return nil, err
	}
	if _, err = e.Seed(ctx, f.st, n); err != nil {
		return nil, fmt.Errorf("seed %d residents: %w", n, err)
	}
	if f.rdb, err = e.Redis(ctx); err != nil {
		return nil, err
	}
	// No receipts: the case ends at the providers' acceptance.
	sb, addr, err := e.Sandbox("")
	if err != nil {
		return nil, err
	}
	f.sb = sb
	sms, err := e.SMSClient(addr, 16)
	if err != nil {
		return nil, err
	}
	if f.wx, err = e.WeChatClient(addr, f.rdb); err != nil {
		return nil, err
	}
	none := campaigns.Caps{PerDay: -1, PerWeek: -1, ProviderPerDay: -1}
	cfg := queue.Config{SMSRate: -1, WeChatRate: -1, Caps: none, Concurrency: queueConcurrency,
		QuietHours: campaigns.QuietHours{Start: "00:00", End: "00:00"}, TickSpec: "-"}
	f.srv, err = queue.NewServer(f.rdb, cfg, queue.Deps{Ledger: countingLedger{f.st, f}, Audience: f.st, SMS: sms,
		WeChat: f.wx, Observe: f.observe}, e.Log.With("bench", "queue"))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// countingLedger counts the pending messages the fan-out writes.
type countingLedger struct {
	*store.Store
	f *fanoutRig
}

func (c countingLedger) WriteMessages(ctx context.Context, campaignID int64, run int, msgs []outbound.Message, checkpoint int64, done bool) ([]outbound.Message, error) {
	ms, err := c.Store.WriteMessages(ctx, campaignID, run, msgs, checkpoint, done)
	for _, m := range ms {
		if m.Status == outbound.StatusPending {
			c.f.written.Add(1)
		}
	}
	return ms, err
}

// observe counts final moves: the product's own metrics hook.
func (f *fanoutRig) observe(m queue.Move) {
	switch m.To {
	case outbound.StatusSent, outbound.StatusDelivered, outbound.StatusFailed, outbound.StatusSkipped:
		f.final.Add(1)
		f.last.Store(time.Now().UnixNano())
	}
}

// fanoutResult is what one campaign measured.
type fanoutResult struct {
	written, final int64
	took           time.Duration
	rate           float64
}

func (r fanoutResult) metrics() []Metric {
	return []Metric{{"messages", float64(r.final)}, {"seconds", r.took.Seconds()}, {"msgs_per_s", r.rate}}
}

// run sends one campaign to everyone in the city on the rig's policy and
// waits until every message the fan-out wrote has a final move.
func (f *fanoutRig) run(ctx context.Context) (fanoutResult, error) {
	c, err := startCampaign(ctx, f.st, f.policy)
	if err != nil {
		return fanoutResult{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(runCtx) }()
	defer func() {
		cancel()
		<-done
	}()
	start := time.Now()
	if err := f.srv.Enqueuer().StartCampaign(ctx, c.ID, 1, c.ScheduleAt); err != nil {
		return fanoutResult{}, err
	}
	tk := time.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return fanoutResult{}, ctx.Err()
		case err := <-done:
			return fanoutResult{}, fmt.Errorf("queue server stopped: %v", err)
		case <-tk.C:
		}
		if _, expanded, err := f.st.RunCheckpoint(ctx, c.ID, 1); err != nil || !expanded {
			continue
		}
		if w := f.written.Load(); w > 0 && f.final.Load() >= w {
			break
		}
		if time.Since(start) > 2*time.Hour {
			return fanoutResult{}, fmt.Errorf("campaign not settled after 2h: %d of %d messages", f.final.Load(), f.written.Load())
		}
	}
	took := time.Unix(0, f.last.Load()).Sub(start)
	r := fanoutResult{written: f.written.Load(), final: f.final.Load(), took: took}
	r.rate = float64(r.final) / took.Seconds()
	return r, nil
}

// openids are up to n openids of the city's WeChat residents.
func (f *fanoutRig) openids(n int) []pii.OpenID {
	var out []pii.OpenID
	_ = f.st.StreamSegment(context.Background(), "grid:NY*", 0, 1000, func(rs []population.Resident) error {
		for _, r := range rs {
			if r.OpenID != "" && len(out) < n {
				out = append(out, r.OpenID)
			}
		}
		if len(out) >= n {
			return errEnough
		}
		return nil
	})
	return out
}

var errEnough = fmt.Errorf("enough")

// rawWeChatRate sends one template message to each of ids through the SDK
// client from workers goroutines, with no ledger, and returns sends/s.
func rawWeChatRate(ctx context.Context, wx *wechat.Client, ids []pii.OpenID, workers int) (float64, error) {
	if len(ids) == 0 {
		return 0, fmt.Errorf("no WeChat residents in the city")
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if int(i) >= len(ids) {
					return
				}
				_, err := wx.SendTemplate(ctx, gateway.TemplateMessage{ToUser: ids[i], TemplateID: sandbox.WeChatTemplateNotice,
					Data:        map[string]string{"keyword1": "社区保安招聘，月薪五千", "keyword2": "张网格", "keyword3": "回T退订"},
					ClientMsgID: fmt.Sprintf("raw-%d", i)})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("raw WeChat sends: %w", firstErr)
	}
	return float64(len(ids)) / time.Since(start).Seconds(), nil
}

// noopRate is bare Asynq on rdb: n no-op tasks enqueued from 8 goroutines
// and processed by a server of the given concurrency; tasks/s from the
// first enqueue to the last completion.
func noopRate(ctx context.Context, rdb *redis.Client, n, concurrency int) (float64, error) {
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
		return 0, err
	}
	defer srv.Shutdown()
	cl := asynq.NewClientFromRedisClient(rdb)
	defer cl.Close()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := cl.EnqueueContext(ctx, asynq.NewTask("noop", nil), asynq.Queue("noop"), asynq.Retention(0)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	select {
	case <-all:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("no-op baseline: %d of %d tasks after 10 minutes", done.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
