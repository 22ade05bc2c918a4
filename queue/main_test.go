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

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue/embedredis"
	"github.com/gridcast/gridcast/store/storetest"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

var (
	_ queue.Ledger       = (*store.Store)(nil)
	_ queue.Audience     = (*store.Store)(nil)
	_ queue.SMSSender    = (*aliyunsms.Client)(nil)
	_ queue.WeChatSender = (*wechat.Client)(nil)
	_ desk.Store         = (*store.Store)(nil)
	_ desk.Dispatcher    = (*queue.Enqueuer)(nil)
)

const (
	wxAppID, wxSecret, wxToken = "wxqueuetest", "queue-secret", "queue-token"
	wxAESKey                   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
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
	mr   *embedredis.Redis
	// loseSMS makes the next n SendSms/SendBatchSms calls reach the
	// emulator (the messages go out) while their answers are lost: the
	// client waits until its timeout, as when a response drops on the way
	// back from Aliyun.
	loseSMS atomic.Int32
}

var (
	prov     provider
	provOnce sync.Once
	quiet    = slog.New(testlog.Handler())
)

func TestMain(m *testing.M) {
	code := m.Run()
	if prov.srv != nil {
		prov.srv.Close()
		prov.hook.Close()
		if sb := prov.sb.Load(); sb != nil {
			sb.Close()
		}
		if prov.wrdb != nil {
			_ = prov.wrdb.Close()
		}
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

// redisOpts returns the test Redis: GRIDCAST_TEST_REDIS (DB 5 unless
// GRIDCAST_TEST_REDIS_DB says otherwise), else an
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
		mr, err := embedredis.Start()
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
			if a := r.URL.Query().Get("Action"); (a == "SendSms" || a == "SendBatchSms") && takeOne(&prov.loseSMS) {
				prov.sb.Load().ServeHTTP(httptest.NewRecorder(), r)
				<-r.Context().Done() // the answer never comes back
				return
			}
			prov.sb.Load().ServeHTTP(w, r)
		}))
		mux := http.NewServeMux()
		mux.HandleFunc("/aliyun/sms/report", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
			reps, err := aliyunsms.ParseReports(body)
			if err == nil {
				err = aliyunsms.ReportsTo(lazySink{})(r.Context(), reps)
			}
			if err != nil {
				http.Error(w, "bad", http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, aliyunsms.AckBody)
		})
		toQueue := wechat.ToSink(lazySink{})
		// The sandbox pushes plaintext; tests post safe-mode (AES) messages
		// they build themselves to the second route.
		mux.Handle("/wechat/callback", wechat.NewCallbackHandler(wechat.Config{AppID: wxAppID, Token: wxToken}, toQueue,
			wechat.CallbackOptions{Log: quiet}))
		mux.Handle("/wechat/callback-aes", wechat.NewCallbackHandler(wechat.Config{AppID: wxAppID, Token: wxToken, EncodingAESKey: wxAESKey},
			toQueue, wechat.CallbackOptions{Log: quiet}))
		mux.Handle("/aliyun/sms/up", aliyunsms.NewUplinkHandler(aliyunsms.UplinksTo(lazySink{}), aliyunsms.PushOptions{Log: quiet}))
		prov.hook = httptest.NewServer(mux)
		prov.sb.Store(newSandbox())
	})
}

// wxConfig is the WeChat client's configuration: the test account on the
// emulators.
func wxConfig() wechat.Config {
	return wechat.Config{AppID: wxAppID, AppSecret: wxSecret, Token: wxToken, BaseURL: prov.srv.URL}
}

var wxOnce sync.Once

// sharedWeChat builds prov.wx, the WeChat client of the tests on the test
// Redis, on first use (a test on a Redis of its own, withRedis, never
// touches the test Redis).
func sharedWeChat(tb testing.TB) *wechat.Client {
	wxOnce.Do(func() {
		prov.wrdb = redis.NewClient(redisOpts(tb))
		wx, err := wechat.New(wxConfig(), prov.wrdb, quiet)
		if err != nil {
			panic(err)
		}
		prov.wx = wx
	})
	return prov.wx
}

// lazySink hands the webhooks' pushes to the current test's Enqueuer, if
// any.
type lazySink struct{}

func (lazySink) Inbound(ctx context.Context, in gateway.Inbound) error {
	if e := prov.enq.Load(); e != nil {
		return e.Inbound(ctx, in)
	}
	return nil
}

func (lazySink) Receipts(ctx context.Context, rs []gateway.Receipt) error {
	if e := prov.enq.Load(); e != nil {
		return e.Receipts(ctx, rs)
	}
	return nil
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

// today moves the clock to hh:mm Beijing time on the current Beijing day,
// past or future. Tests that have Aliyun look sends up by date use it: the
// emulator files sends under the wall-clock day.
func (c *clock) today(hh, mm int) {
	now := time.Now().In(campaigns.Shanghai())
	t := time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, campaigns.Shanghai())
	c.off.Store(int64(t.Sub(now)))
}

// advance moves the clock forward by d.
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

func takeOne(n *atomic.Int32) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

type env struct {
	t     testing.TB
	ctx   context.Context
	clk   *clock
	rdb   *redis.Client
	st    *store.Store
	sb    *sandbox.Sandbox
	srv   *queue.Server
	enq   *queue.Enqueuer
	insp  *asynq.Inspector
	cfg   queue.Config
	res   []population.Resident
	byID  map[int64]population.Resident
	done  chan struct{}
	limit int
	desk  *desk.Service
	media *blob.Media // nil unless withMedia
}

// residents is the default fixture size; residentsN what setup seeds.
const residents = 300

var residentsN = residents

// options are setup's optional settings.
type options struct {
	driver     string        // store.DriverSQLite (default) or DriverPostgres
	smsTimeout time.Duration // the aliyunsms client's Timeout; default 2s
	today      bool          // clock on today's hh:00, even if past
	desk       desk.Config   // the ticket desk's configuration
	rdb        *redis.Client // the Redis to use instead of the test Redis
	observe    func(queue.Move)
	media      bool // keep residents' media in a blob store (env.media)
}

type option func(*options)

// onDriver builds the store on driver (store.DriverSQLite or
// store.DriverPostgres).
func onDriver(driver string) option { return func(o *options) { o.driver = driver } }

// withDesk sets the ticket desk's configuration.
func withDesk(c desk.Config) option { return func(o *options) { o.desk = c } }

// withMedia gives the desk a blob store in t.TempDir (env.media) and the
// WeChat client as its media fetcher.
func withMedia() option { return func(o *options) { o.media = true } }

// withObserver sets the server's Deps.Observe.
func withObserver(fn func(queue.Move)) option { return func(o *options) { o.observe = fn } }

// withSMSTimeout sets the SMS client's per-call timeout.
func withSMSTimeout(d time.Duration) option { return func(o *options) { o.smsTimeout = d } }

// withRedis runs the test on rdb instead of the test Redis: the queue, the
// Enqueuer and a WeChat client of the test's own (its token cache) use it.
// setup flushes its DB and closes it at cleanup.
func withRedis(rdb *redis.Client) option { return func(o *options) { o.rdb = rdb } }

// onToday sets the clock to hh:00 of the current Beijing day (see
// clock.today) instead of the next hh:00.
func onToday() option { return func(o *options) { o.today = true } }

// storeDrivers are the ledger drivers the end-to-end tests run on.
var storeDrivers = []string{store.DriverSQLite, store.DriverPostgres}

// forEachDriver runs fn as a subtest per store driver; the postgres one
// skips when GRIDCAST_TEST_POSTGRES is unset (fails under CI).
func forEachDriver(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, d := range storeDrivers {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// setup builds the whole path for one test: the test Redis DB flushed, a
// store (SQLite in t.TempDir unless onDriver says otherwise) seeded from
// synth, a fresh sandbox, and a running Server with cfg (Now set to the
// env's clock, at the next hh:00 Beijing time).
func setup(t testing.TB, cfg queue.Config, hh int, opts ...option) *env {
	t.Helper()
	o := options{driver: store.DriverSQLite, smsTimeout: 2 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if o.driver == store.DriverPostgres && os.Getenv("GRIDCAST_TEST_POSTGRES") == "" {
		storetest.PostgresSchema(t) // skips (fails under CI) before anything is built
	}
	setupProvider(t)
	prov.loseSMS.Store(0)
	ctx := t.Context()
	e := &env{t: t, ctx: ctx, clk: &clock{}, done: make(chan struct{})}
	if o.today {
		e.clk.today(hh, 0)
	} else {
		e.clk.at(hh, 0)
	}
	e.rdb = o.rdb
	if e.rdb == nil {
		e.rdb = redis.NewClient(redisOpts(t))
	}
	t.Cleanup(func() { _ = e.rdb.Close() })
	if err := e.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var wx *wechat.Client
	if o.rdb != nil {
		var err error
		if wx, err = wechat.New(wxConfig(), e.rdb, quiet); err != nil {
			t.Fatal(err)
		}
	} else {
		wx = sharedWeChat(t)
	}
	sealer, err := pii.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e.st = openStore(t, o.driver, e.clk.Now, sealer)
	e.seed(residentsN)

	old := prov.sb.Swap(newSandbox())
	old.Close()
	e.sb = prov.sb.Load()
	for _, r := range e.res {
		if r.OpenID != "" {
			e.sb.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true})
		}
	}
	sms := newSMSClient(t, o.smsTimeout)

	cfg.Now = e.clk.Now
	if cfg.TickSpec == "" {
		cfg.TickSpec = "-" // the tests tick themselves
	}
	cfg.DelayedTaskCheckInterval = 100 * time.Millisecond
	if cfg.SettleDelay == 0 {
		cfg.SettleDelay = 300 * time.Millisecond // the emulator's record has no lag
	}
	e.cfg = cfg
	dispatch := queue.NewEnqueuer(e.rdb, cfg)
	t.Cleanup(func() { _ = dispatch.Close() })
	deps := desk.Deps{Store: e.st, Dispatcher: dispatch, Now: e.clk.Now, Log: testLog()}
	if o.media {
		bs, err := localfs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if e.media, err = blob.NewMedia(bs, blob.Limits{}); err != nil {
			t.Fatal(err)
		}
		deps.Media, deps.Fetcher = e.media, wx
	}
	e.desk, err = desk.New(o.desk, deps)
	if err != nil {
		t.Fatal(err)
	}
	qdeps := queue.Deps{Ledger: e.st, Audience: e.st, SMS: sms, WeChat: wx, Desk: e.desk, Retention: e.st, Observe: o.observe}
	if e.media != nil {
		qdeps.Blobs = e.media
	}
	e.srv, err = queue.NewServer(e.rdb, cfg, qdeps, testLog())
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

// openStore opens the ledger on driver, closed at cleanup: SQLite in
// t.TempDir, or PostgreSQL in a fresh schema (search_path in the DSN)
// dropped at cleanup.
func openStore(t testing.TB, driver string, now func() time.Time, sealer *pii.Sealer) *store.Store {
	t.Helper()
	cfg := store.Config{Driver: driver, Now: now}
	switch driver {
	case store.DriverSQLite:
		cfg.DSN = filepath.Join(t.TempDir(), "q.db")
	case store.DriverPostgres:
		cfg.DSN = storetest.PostgresSchema(t)
	default:
		t.Fatalf("unknown store driver %q", driver)
	}
	st, err := store.Open(t.Context(), cfg, sealer, quiet)
	if err != nil {
		t.Fatalf("open %s store: %v", driver, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newSMSClient returns a real aliyunsms client on the sandbox, closed at
// cleanup.
func newSMSClient(t testing.TB, timeout time.Duration) *aliyunsms.Client {
	t.Helper()
	sms, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: aliyunsms.SandboxAccessKeyID, AccessKeySecret: aliyunsms.SandboxAccessKeySecret,
		SignName: "网格通", Endpoint: strings.TrimPrefix(prov.srv.URL, "http://"), Scheme: "http", Timeout: timeout}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sms.Close)
	return sms
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
	e.byID = map[int64]population.Resident{}
	e.res = nil
	err = e.st.StreamSegment(ctx, segmentAll, 0, 1000, func(rs []population.Resident) error {
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
			"keyword1": "社区保安招聘，月薪五千", "keyword2": "{{worker.name}}", "keyword3": "回T退订"}},
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

// writtenRun starts a campaign's run and writes its whole ledger — a
// pending message for each resident it reaches — with no task queued,
// once the server's own recovery at start is done (it would queue them).
func (e *env) writtenRun(name string) (campaigns.Campaign, []outbound.Message) {
	e.t.Helper()
	e.recovered()
	c := e.schedule(e.campaign(name, 48*time.Hour))
	e.move(c.ID, campaigns.StateRunning)
	if _, err := e.st.StartRun(e.ctx, c.ID, 1, c.ScheduleAt); err != nil {
		e.t.Fatal(err)
	}
	var msgs []outbound.Message
	for _, r := range e.res {
		if ch := expectChannel(r, c); ch != "" {
			msgs = append(msgs, outbound.Message{ResidentID: r.ID, Channel: ch, Status: outbound.StatusPending,
				NotBefore: e.clk.Now(), Deadline: c.ExpiresAt})
		}
	}
	written, err := e.st.WriteMessages(e.ctx, c.ID, 1, msgs, 0, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, written
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

func (e *env) funnel(id int64) outbound.Funnel {
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

// still: no task pending, active or aggregating in any queue (scheduled
// and retrying ones may wait).
func (e *env) still() bool {
	qs, err := e.insp.Queues()
	if err != nil {
		return false
	}
	for _, q := range qs {
		info, err := e.insp.GetQueueInfo(q)
		if err != nil {
			return false
		}
		if info.Pending+info.Active+info.Aggregating > 0 {
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
func (e *env) messages(id int64, st outbound.Status) []outbound.Message {
	var out []outbound.Message
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

// checkReachedOnce checks the emulators' records against c: every resident
// c reaches got exactly one message, on the expected channel, and nobody
// else got any.
func (e *env) checkReachedOnce(c campaigns.Campaign) {
	e.t.Helper()
	sms, wx := e.sentCounts()
	for _, r := range e.byID {
		gotSMS, gotWX := sms[r.Phone], 0
		if r.OpenID != "" {
			gotWX = wx[r.OpenID]
		}
		want := map[population.Channel][2]int{population.ChannelSMS: {1, 0}, population.ChannelWeChat: {0, 1}}[expectChannel(r, c)]
		if gotSMS != want[0] || gotWX != want[1] {
			e.t.Errorf("resident %d (%q): sms %d wechat %d, want %d and %d", r.ID, expectChannel(r, c), gotSMS, gotWX, want[0], want[1])
		}
	}
}

// recovered waits for the server's own recovery at start: until it is
// done, a running campaign whose run is not yet written whole may be
// expanded by it, racing a test that writes the run by hand.
func (e *env) recovered() {
	e.t.Helper()
	e.waitFor("start recovery", 10*time.Second, func() bool {
		n, err := e.rdb.Exists(e.ctx, "gridcast:queue:recovered").Result()
		return err == nil && n == 1
	})
}
