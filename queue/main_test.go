package queue_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/segments"
	"github.com/gridcast/gridcast/segments/pii"
	"github.com/gridcast/gridcast/segments/sqlstore"
	"github.com/gridcast/gridcast/segments/synth"
)

var (
	_ queue.Ledger       = (*sqlstore.Store)(nil)
	_ queue.Audience     = (*sqlstore.Store)(nil)
	_ queue.SMSSender    = (*aliyunsms.Client)(nil)
	_ queue.WeChatSender = (*wechat.Client)(nil)
)

const (
	wxAppID, wxSecret, wxToken = "wxqueuetest", "queue-secret", "queue-token"
	redisDB                    = 5
)

// provider is the process's one route to the emulators: wechat.New's base
// URL is process-global, so one httptest server fronts whichever sandbox
// the running test made (a fresh one per test: fresh counters and
// per-number limits).
type provider struct {
	srv  *httptest.Server // the emulators' address
	hook *httptest.Server // our webhooks, where the emulators push receipts
	sb   atomic.Pointer[sandbox.Sandbox]
	enq  atomic.Pointer[queue.Enqueuer]
	wx   *wechat.Client
	wrdb *redis.Client // the WeChat client's token cache
	mr   *miniredis.Miniredis
}

var (
	prov     provider
	provOnce sync.Once
	quiet    = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func TestMain(m *testing.M) {
	code := m.Run()
	if prov.srv != nil {
		prov.srv.Close()
		prov.hook.Close()
		if sb := prov.sb.Load(); sb != nil {
			sb.Close()
		}
		_ = prov.wrdb.Close()
		if prov.mr != nil {
			prov.mr.Close()
		}
	}
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// redisOpts returns the test Redis: GRIDCAST_TEST_REDIS (DB 5), else an
// in-process miniredis (said so), and a failure under CI.
func redisOpts(tb testing.TB) *redis.Options {
	if addr := os.Getenv("GRIDCAST_TEST_REDIS"); addr != "" {
		db := redisDB
		if v, err := strconv.Atoi(os.Getenv("GRIDCAST_TEST_REDIS_DB")); err == nil {
			db = v // lets two runs (a benchmark and the tests) share one Redis
		}
		return &redis.Options{Addr: addr, DB: db}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
	}
	provOnce.Do(func() {
		mr, err := miniredis.Run()
		if err != nil {
			panic(err)
		}
		prov.mr = mr
	})
	tb.Log("GRIDCAST_TEST_REDIS unset: using in-process miniredis (slower; set it to test against real Redis)")
	return &redis.Options{Addr: prov.mr.Addr()}
}

var setupOnce sync.Once

func setupProvider(tb testing.TB) {
	setupOnce.Do(func() {
		prov.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			prov.sb.Load().ServeHTTP(w, r)
		}))
		mux := http.NewServeMux()
		mux.HandleFunc("/aliyun/sms/report", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
			reps, err := aliyunsms.ParseReports(body)
			if err == nil {
				if e := prov.enq.Load(); e != nil {
					err = e.EnqueueSMSReports(r.Context(), reps)
				}
			}
			if err != nil {
				http.Error(w, "bad", http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, aliyunsms.AckBody)
		})
		mux.Handle("/wechat/callback", wechat.NewCallbackHandler(wechat.Config{AppID: wxAppID, Token: wxToken},
			func(ctx context.Context, in wechat.Inbound) error {
				if e := prov.enq.Load(); e != nil {
					return e.EnqueueWeChatReceipt(ctx, in)
				}
				return nil
			}, wechat.CallbackOptions{Log: quiet}))
		prov.hook = httptest.NewServer(mux)
		prov.sb.Store(newSandbox())
		prov.wrdb = redis.NewClient(redisOpts(tb))
		wx, err := wechat.New(wechat.Config{AppID: wxAppID, AppSecret: wxSecret, Token: wxToken, BaseURL: prov.srv.URL}, prov.wrdb, quiet)
		if err != nil {
			panic(err)
		}
		prov.wx = wx
	})
}

func newSandbox() *sandbox.Sandbox {
	return sandbox.New(sandbox.Config{AppID: wxAppID, AppSecret: wxSecret, Token: wxToken,
		CallbackBase: prov.hook.URL, DeliveryDelay: 50 * time.Millisecond}, quiet)
}

// clock is a test clock: wall time moved by a fixed offset.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// at moves the clock so that it reads the next hh:mm Beijing time.
func (c *clock) at(hh, mm int) {
	now := time.Now().In(campaigns.Shanghai())
	t := time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, campaigns.Shanghai())
	if t.Before(now) {
		t = t.AddDate(0, 0, 1)
	}
	c.off.Store(int64(t.Sub(now)))
}

type env struct {
	t     testing.TB
	ctx   context.Context
	clk   *clock
	rdb   *redis.Client
	st    *sqlstore.Store
	sb    *sandbox.Sandbox
	srv   *queue.Server
	enq   *queue.Enqueuer
	insp  *asynq.Inspector
	cfg   queue.Config
	res   []segments.Resident
	byID  map[int64]segments.Resident
	done  chan struct{}
	limit int
}

// residents is the default fixture size; residentsN what setup seeds.
const residents = 300

var residentsN = residents

// setup builds the whole path for one test: Redis DB 5 flushed, a SQLite
// store seeded from synth, a fresh sandbox, and a running Server with cfg
// (Now set to the env's clock, 10:00 Beijing time unless changed).
func setup(t testing.TB, cfg queue.Config, hh int) *env {
	t.Helper()
	setupProvider(t)
	ctx := t.Context()
	e := &env{t: t, ctx: ctx, clk: &clock{}, done: make(chan struct{})}
	e.clk.at(hh, 0)
	e.rdb = redis.NewClient(redisOpts(t))
	if err := e.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.rdb.Close() })
	sealer, err := pii.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e.st, err = sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "q.db"), Now: e.clk.Now}, sealer, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.st.Close() })
	e.seed(residentsN)

	old := prov.sb.Swap(newSandbox())
	old.Close()
	e.sb = prov.sb.Load()
	for _, r := range e.res {
		if r.OpenID != "" {
			e.sb.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true})
		}
	}
	sms, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: aliyunsms.SandboxAccessKeyID, AccessKeySecret: aliyunsms.SandboxAccessKeySecret,
		SignName: "网格通", Endpoint: strings.TrimPrefix(prov.srv.URL, "http://"), Scheme: "http", Timeout: 2 * time.Second}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sms.Close)

	cfg.Now = e.clk.Now
	if cfg.TickSpec == "" {
		cfg.TickSpec = "-" // the tests tick themselves
	}
	cfg.DelayedTaskCheckInterval = 100 * time.Millisecond
	e.cfg = cfg
	e.srv, err = queue.NewServer(e.rdb, cfg, queue.Deps{Ledger: e.st, Audience: e.st, SMS: sms, WeChat: prov.wx,
		Conflict: sqlstore.ErrConflict}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	e.enq = e.srv.Enqueuer()
	prov.enq.Store(e.enq)
	e.insp = asynq.NewInspectorFromRedisClient(e.rdb)
	runCtx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(e.done)
		if err := e.srv.Run(runCtx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-e.done
		prov.enq.Store(nil)
		_ = e.insp.Close()
	})
	return e
}

func (e *env) seed(n int) {
	ctx := e.ctx
	g, err := synth.New(synth.Config{Residents: n, Seed: 11})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.UpsertGrids(ctx, g.Grids()); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.UpsertWorkers(ctx, g.Workers()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.BulkInsertResidents(ctx, g.Next, nil); err != nil {
		e.t.Fatal(err)
	}
	e.byID = map[int64]segments.Resident{}
	e.res = nil
	err = e.st.StreamSegment(ctx, segmentAll, 0, 1000, func(rs []segments.Resident) error {
		for _, r := range rs {
			e.res = append(e.res, r)
			e.byID[r.ID] = r
		}
		return nil
	})
	if err != nil || len(e.res) != n {
		e.t.Fatalf("seeded %d residents, %v", len(e.res), err)
	}
}

const segmentAll = "grid:NY*"

// campaign returns a valid job-posting campaign to everyone, WeChat first.
func (e *env) campaign(name string, expires time.Duration) campaigns.Campaign {
	now := e.clk.Now()
	return campaigns.Campaign{
		Name: name, Kind: campaigns.KindJobPosting, Segment: segmentAll, ChannelPolicy: campaigns.WeChatFirst,
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: sandbox.TemplateJob, Params: map[string]string{
			"name": "{{resident.surname_title}}", "job": "社区保安", "detail": "月薪五千", "reply": "回复1报名",
			"worker": "{{worker.name}}", "phone": "{{worker.phone}}"}},
		WeChat: campaigns.WeChatContent{TemplateID: sandbox.WeChatTemplateNotice, Fields: map[string]string{
			"first": "{{resident.surname_title}}您好", "keyword1": "社区保安招聘", "keyword2": "{{worker.name}}", "remark": "回复T退订"}},
		ScheduleAt: now.Add(-time.Minute), ExpiresAt: now.Add(expires), Owner: "officer",
	}
}

// schedule stores c and moves it to scheduled, as the console would.
func (e *env) schedule(c campaigns.Campaign) campaigns.Campaign {
	e.t.Helper()
	if err := e.st.CreateCampaign(e.ctx, &c); err != nil {
		e.t.Fatal(err)
	}
	ev, err := c.Transition(campaigns.StateScheduled, "officer", residents, campaigns.Policy{}, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.ApplyCampaignEvent(e.ctx, c, ev); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// move applies a transition by a staff member.
func (e *env) move(id int64, to campaigns.State) {
	e.t.Helper()
	c, err := e.st.Campaign(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	ev, err := c.Transition(to, "officer", residents, campaigns.Policy{}, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.ApplyCampaignEvent(e.ctx, c, ev); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) tick() {
	e.t.Helper()
	if err := e.enq.Tick(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func (e *env) waitFor(what string, d time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			qs, _ := e.insp.Queues()
			for _, q := range qs {
				info, _ := e.insp.GetQueueInfo(q)
				e.t.Logf("queue %s: %+v", q, info)
			}
			e.t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatal(e.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *env) funnel(id int64) campaigns.Funnel {
	f, err := e.st.Funnel(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// settled: the run is expanded and nothing is pending or sending.
func (e *env) settled(id int64) bool {
	_, done, err := e.st.RunCheckpoint(e.ctx, id, 1)
	if err != nil || !done {
		return false
	}
	for _, cf := range e.funnel(id).ByChannel {
		if cf.Pending+cf.Sending > 0 {
			return false
		}
	}
	return true
}

// idle: no task of any state but archived left in the queues.
func (e *env) idle() bool {
	qs, err := e.insp.Queues()
	if err != nil {
		return false
	}
	for _, q := range qs {
		info, err := e.insp.GetQueueInfo(q)
		if err != nil {
			return false
		}
		if info.Pending+info.Active+info.Scheduled+info.Retry+info.Aggregating > 0 {
			return false
		}
	}
	return true
}

func (e *env) state(id int64) campaigns.State {
	c, err := e.st.Campaign(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.State
}

// messages returns every message of a campaign in one status.
func (e *env) messages(id int64, st campaigns.Status) []campaigns.Message {
	var out []campaigns.Message
	var after int64
	for {
		ms, err := e.st.MessagesByStatus(e.ctx, id, st, after, 500)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ms...)
		if len(ms) < 500 {
			return out
		}
		after = ms[len(ms)-1].ID
	}
}

// sentCounts counts the emulators' accepted messages per phone and openid.
func (e *env) sentCounts() (sms map[pii.Phone]int, wx map[pii.OpenID]int) {
	sms, wx = map[pii.Phone]int{}, map[pii.OpenID]int{}
	for _, m := range e.sb.SMS.Sent() {
		sms[m.Phone]++
	}
	for _, m := range e.sb.WeChat.Sent() {
		wx[m.ToUser]++
	}
	return sms, wx
}

func testLog() *slog.Logger {
	if os.Getenv("QUEUE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return quiet
}
