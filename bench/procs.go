package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

// The process cases run the product as it runs in production — `gridcast
// worker` processes of this binary — so that what they measure is the
// product alone: the seeding, the emulators and the harness stay in the
// bench's own process.

func init() {
	register(Case{Name: "memory", Store: true, Run: memoryCase})
	register(Case{Name: "workers", Store: true, Run: workersCase})
}

// workerConfig is the workers' configuration: the case's store and Redis,
// the bench's emulators, no limits of GridCast's own.
const workerConfig = `# A bench case's worker configuration.
data_dir: %[1]s
sandbox: false
store:
  driver: %[2]s
  dsn: "%[3]s"
redis:
  addr: %[4]s
  db: %[5]d
wechat:
  app_id: %[6]s
  app_secret: %[7]s
  token: %[8]s
  base_url: http://%[9]s
aliyun_sms:
  access_key_id: %[10]s
  access_key_secret: %[11]s
  sign_name: 网格通
  endpoint: %[9]s
  scheme: http
security:
  pii_key: %[12]s
log:
  level: warn
  format: json
campaigns:
  approval_threshold: 1000000
  quiet_start: "00:00"
  quiet_end: "00:00"
  cap_per_day: -1
  cap_per_week: -1
  sms_rate: -1
  wechat_rate: -1
queue:
  concurrency: %[13]d
  tick_every: 2s
`

// workers are gridcast worker processes of one configuration.
type workers struct {
	e       *Env
	config  string
	procs   []*exec.Cmd
	logs    []string
	metrics []string // each worker's /metrics URL
}

// startWorkers writes the configuration for st (at dsn) and Redis db, and
// starts n workers, each waiting until it answers /readyz.
func (e *Env) startWorkers(ctx context.Context, n int, dsn, emulator string) (*workers, error) {
	if e.Bin == "" {
		return nil, errors.New("this case runs gridcast worker processes: run it with `gridcast bench` (Options.Bin)")
	}
	e.n++
	dir := filepath.Join(e.Dir, fmt.Sprintf("workers-%d", e.n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &workers{e: e, config: filepath.Join(dir, "config.yaml")}
	body := fmt.Sprintf(workerConfig, filepath.Join(dir, "data"), e.Driver, dsn, e.RedisAddr, e.RedisDB,
		AppID, AppSecret, Token, emulator, aliyunsms.SandboxAccessKeyID, aliyunsms.SandboxAccessKeySecret,
		base64.StdEncoding.EncodeToString(benchKey), queueConcurrency)
	if err := os.WriteFile(w.config, []byte(body), 0o600); err != nil {
		return nil, err
	}
	for i := range n {
		port, err := freePort()
		if err != nil {
			w.stop()
			return nil, err
		}
		log := filepath.Join(dir, fmt.Sprintf("worker-%d.log", i+1))
		f, err := os.Create(log)
		if err != nil {
			w.stop()
			return nil, err
		}
		cmd := exec.Command(e.Bin, "--config", w.config, "worker")
		cmd.Env = append(os.Environ(), "GRIDCAST_WORKER_ADDR=127.0.0.1:"+strconv.Itoa(port))
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			f.Close()
			w.stop()
			return nil, err
		}
		f.Close()
		w.procs, w.logs = append(w.procs, cmd), append(w.logs, log)
		w.metrics = append(w.metrics, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); err != nil {
			w.stop()
			return nil, fmt.Errorf("worker %d: %w\n%s", i+1, err, tail(log))
		}
	}
	e.Defer(w.stop)
	return w, nil
}

func (w *workers) stop() {
	for _, p := range w.procs {
		if p.Process != nil {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range w.procs {
		if p.Process != nil {
			done := make(chan struct{})
			go func() { _ = p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = p.Process.Kill()
			}
		}
	}
	w.procs = nil
}

// heapInUse is the largest Go heap in use among the workers, in bytes,
// as their /metrics report it.
func (w *workers) heapInUse() int64 {
	var most int64
	for _, u := range w.metrics {
		resp, err := http.Get(u)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					most = max(most, int64(f))
				}
			}
		}
	}
	return most
}

// peakRSS is the largest peak resident set (VmHWM) among the workers, in
// bytes.
func (w *workers) peakRSS() (int64, error) {
	var peak int64
	for _, p := range w.procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Process.Pid))
		if err != nil {
			return 0, fmt.Errorf("peak memory of worker %d: %w", p.Process.Pid, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err != nil {
					return 0, err
				}
				peak = max(peak, kb<<10)
			}
		}
	}
	return peak, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within a minute", url)
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// dsnOf is the DSN the case's store was opened with.
func (e *Env) dsnOf(st *store.Store) string { return e.dsns[st] }

// procRun is one SMS-only campaign sent by worker processes: the case's
// own store (seeded), Redis and emulators.
type procRun struct {
	messages int
	took     time.Duration
	dups     int
	peakRSS  int64
	peakHeap int64 // the largest Go heap in use seen, sampled twice a second
}

func (r procRun) rate() float64 { return float64(r.messages) / r.took.Seconds() }

// runProcs seeds a city of n residents, starts k workers and sends them an
// SMS-only campaign to everyone; it returns when every message is out of
// pending and sending.
func (e *Env) runProcs(ctx context.Context, n, k int) (procRun, error) {
	st, err := e.Store(ctx)
	if err != nil {
		return procRun{}, err
	}
	if _, err := e.Seed(ctx, st, n); err != nil {
		return procRun{}, err
	}
	rdb, err := e.Redis(ctx)
	if err != nil {
		return procRun{}, err
	}
	_, addr, err := e.Sandbox("")
	if err != nil {
		return procRun{}, err
	}
	w, err := e.startWorkers(ctx, k, e.dsnOf(st), addr)
	if err != nil {
		return procRun{}, err
	}
	c, err := startCampaign(ctx, st, campaigns.SMSOnly)
	if err != nil {
		return procRun{}, err
	}
	enq := queue.NewEnqueuer(rdb, queue.Config{})
	defer enq.Close()
	start := time.Now()
	if err := enq.StartCampaign(ctx, c.ID, 1, c.ScheduleAt); err != nil {
		return procRun{}, err
	}
	var peakHeap int64
	if err := waitSettled(ctx, st, c.ID, w, func() { peakHeap = max(peakHeap, w.heapInUse()) }); err != nil {
		return procRun{}, err
	}
	took := time.Since(start)
	peak, err := w.peakRSS()
	if err != nil {
		return procRun{}, err
	}
	// The sandbox's record holds every accepted message (the emulator
	// keeps only the latest 100,000).
	resp, err := http.Get("http://" + addr + "/sandbox/record")
	if err != nil {
		return procRun{}, err
	}
	defer resp.Body.Close()
	var rec sandbox.RecordSummary
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		return procRun{}, fmt.Errorf("the sandbox's record: %w", err)
	}
	r := procRun{took: took, peakRSS: peak, peakHeap: peakHeap, messages: rec.SMS.Accepted}
	for _, v := range rec.SMS.Recipients {
		r.dups += v - 1
	}
	return r, nil
}

// startCampaign stores a campaign to everyone on policy and moves it to
// running with run 1 started, as the scheduler's tick would.
func startCampaign(ctx context.Context, st *store.Store, policy campaigns.ChannelPolicy) (campaigns.Campaign, error) {
	now := time.Now()
	c := campaigns.Campaign{
		Name: "bench " + string(policy), Kind: campaigns.KindPolicyNotice, Segment: "grid:NY*", ChannelPolicy: policy,
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: sandbox.TemplateJob, Params: map[string]string{
			"name": "{{resident.surname_title}}", "job": "社区保安", "detail": "月薪五千", "reply": "回复1报名",
			"worker": "{{worker.name}}", "phone": "{{worker.phone}}"}},
		WeChat: campaigns.WeChatContent{TemplateID: sandbox.WeChatTemplateNotice, Fields: map[string]string{
			"keyword1": "社区保安招聘，月薪五千", "keyword2": "{{worker.name}}", "keyword3": "回T退订"}},
		ScheduleAt: now.Add(-time.Minute), ExpiresAt: now.Add(48 * time.Hour), Owner: "bench",
	}
	if err := st.CreateCampaign(ctx, &c); err != nil {
		return c, err
	}
	for _, to := range []campaigns.State{campaigns.StateScheduled, campaigns.StateRunning} {
		ev, err := c.Transition(to, "bench", 0, campaigns.Policy{}, time.Now())
		if err != nil {
			return c, err
		}
		if err := st.ApplyCampaignEvent(ctx, c, ev); err != nil {
			return c, err
		}
		c.State = to
	}
	_, err := st.StartRun(ctx, c.ID, 1, c.ScheduleAt)
	return c, err
}

// waitSettled polls, twice a second and with index probes only, until the
// campaign is expanded and holds no pending or sending message.
func waitSettled(ctx context.Context, st *store.Store, id int64, w *workers, sample func()) error {
	deadline := time.Now().Add(2 * time.Hour)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		sample()
		for i, p := range w.procs {
			if p.ProcessState != nil {
				return fmt.Errorf("worker %d exited:\n%s", i+1, tail(w.logs[i]))
			}
		}
		if _, done, err := st.RunCheckpoint(ctx, id, 1); err != nil || !done {
			continue
		}
		open := false
		for _, s := range []outbound.Status{outbound.StatusPending, outbound.StatusSending} {
			ms, err := st.MessagesByStatus(ctx, id, s, 0, 1)
			if err != nil {
				return err
			}
			open = open || len(ms) > 0
		}
		if !open {
			return nil
		}
	}
	return errors.New("campaign not settled after 2 hours")
}

// memoryCase: the peak resident memory of a worker process sending an
// SMS-only campaign to a large city against a small one. A fan-out works
// a chunk at a time, so the peak must not grow with the city: at most
// 1.2× (full: 1M against 100k residents; quick: 100k against 20k).
func memoryCase(ctx context.Context, e *Env) ([]Result, error) {
	if e.Bin == "" {
		e.Log.WarnContext(ctx, "bench_case_skipped", "case", "memory", "why", "it runs gridcast worker processes: run it with gridcast bench")
		return nil, nil
	}
	small, large := e.Size(20_000, 100_000), e.Size(100_000, 1_000_000)
	a, err := e.runProcs(ctx, small, 1)
	if err != nil {
		return nil, err
	}
	e.close() // the small city's store, Redis and worker go first
	b, err := e.runProcs(ctx, large, 1)
	if err != nil {
		return nil, err
	}
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	return []Result{{
		Metrics: []Metric{{"residents", float64(large)}, {"peak_rss_mib", mib(b.peakRSS)}, {"peak_go_heap_mib", mib(b.peakHeap)},
			{"msgs_per_s", b.rate()}, {"duplicates", float64(a.dups + b.dups)}, {"small_residents", float64(small)},
			{"small_peak_go_heap_mib", mib(a.peakHeap)}},
		Baseline: Metric{"small_peak_rss_mib", mib(a.peakRSS)}, Ratio: float64(b.peakRSS) / float64(a.peakRSS),
		Target: 1.2, AtMost: true,
	}}, nil
}

// workersCase: the same campaign sent by one worker process and by two on
// one store and one Redis; the two must share it with no duplicates and
// more throughput. PostgreSQL only: SQLite has one writer for all.
func workersCase(ctx context.Context, e *Env) ([]Result, error) {
	if e.Driver != store.DriverPostgres {
		return nil, nil
	}
	if e.Bin == "" {
		e.Log.WarnContext(ctx, "bench_case_skipped", "case", "workers", "why", "it runs gridcast worker processes: run it with gridcast bench")
		return nil, nil
	}
	n := e.city(50_000, 1_000_000)
	one, err := e.runProcs(ctx, n, 1)
	if err != nil {
		return nil, err
	}
	e.close()
	two, err := e.runProcs(ctx, n, 2)
	if err != nil {
		return nil, err
	}
	return []Result{{
		Metrics: []Metric{{"residents", float64(n)}, {"msgs_per_s", two.rate()}, {"processes", 2},
			{"duplicates", float64(one.dups + two.dups)}},
		Baseline: Metric{"one_process_msgs_per_s", one.rate()}, Ratio: two.rate() / one.rate(), Target: 1.2,
	}}, nil
}
