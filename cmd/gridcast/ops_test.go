package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

func TestPrintWaiting(t *testing.T) {
	loc := campaigns.Shanghai()
	now := time.Date(2026, 12, 5, 22, 10, 0, 0, loc)
	var b bytes.Buffer
	printWaiting(&b, []outbound.Waiting{
		{Reason: outbound.WaitQuietHours, Count: 1240, Until: time.Date(2026, 12, 5, 23, 0, 0, 0, loc)},
		{Reason: outbound.WaitCapDaily, Count: 35, Until: time.Date(2026, 12, 6, 8, 0, 0, 0, loc)},
		{Reason: outbound.WaitRetry + ":isp.SYSTEM_ERROR", Count: 2, Until: now.Add(-time.Second)},
	}, now)
	want := "waiting: 1,240 quiet hours until 23:00; 35 daily cap per resident until 12-06 08:00; 2 retry after isp.SYSTEM_ERROR\n"
	if b.String() != want {
		t.Errorf("printWaiting =\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printWaiting(&b, nil, now)
	if b.Len() != 0 {
		t.Errorf("nothing pending printed %q", b.String())
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// testRedisEnv returns the CLI's environment for the test Redis
// (GRIDCAST_TEST_REDIS, database GRIDCAST_TEST_REDIS_DB+1, default 11) and a
// client on it; it skips without one (fails under CI).
func testRedisEnv(t *testing.T) (map[string]string, *redis.Client) {
	t.Helper()
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
		}
		t.Skip("GRIDCAST_TEST_REDIS unset (e.g. 127.0.0.1:6379): skipping the channel pause read")
	}
	db := 11
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_TEST_REDIS_DB")); err == nil {
		db = v + 1
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	t.Cleanup(func() { _ = rdb.Close() })
	return map[string]string{"GRIDCAST_REDIS_ADDR": addr, "GRIDCAST_REDIS_DB": strconv.Itoa(db)}, rdb
}

// `campaign status` says why the campaign's messages wait and which
// channel is paused right now.
func TestCLICampaignStatusWaiting(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	env, rdb := testRedisEnv(t)
	env["GRIDCAST_DATA_DIR"] = dir
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, stderrOf(&errb), envOf(env))
		return out.String(), errb.String(), code
	}
	if _, e, code := run("seed", "--residents", "20", "--seed", "5", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	ctx := t.Context()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: testlog.Writer()}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	c := campaigns.Campaign{Name: "等待", Kind: campaigns.KindPolicyNotice, Segment: "age:18..", ChannelPolicy: campaigns.SMSOnly,
		Owner: "王芳", ScheduleAt: now, ExpiresAt: now.Add(72 * time.Hour),
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_T", Params: map[string]string{"worker": "{{worker.name}}"}}}
	if err := st.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartRun(ctx, c.ID, 1, now); err != nil {
		t.Fatal(err)
	}
	ms := make([]outbound.Message, 3)
	for i := range ms {
		ms[i] = outbound.Message{ResidentID: int64(i + 1), Channel: population.ChannelSMS, NotBefore: now}
	}
	if ms, err = st.WriteMessages(ctx, c.ID, 1, ms, 3, true); err != nil {
		t.Fatal(err)
	}
	until := now.Add(25 * time.Hour) // another day: the date is shown
	for _, m := range ms[:2] {
		if _, ok, err := st.ClaimMessage(ctx, m.ID, now); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := st.RescheduleMessage(ctx, m.ID, until, outbound.WaitQuietHours); err != nil {
			t.Fatal(err)
		}
	}
	// The SMS channel paused as the queue pauses it.
	key := "gridcast:queue:pause:sms"
	if err := rdb.Set(ctx, key, "isv.AMOUNT_NOT_ENOUGH", 8*time.Minute+30*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), key) })

	out, e, code := run("campaign", "status", strconv.FormatInt(c.ID, 10))
	if code != 0 {
		t.Fatalf("status: %d %s", code, e)
	}
	for _, want := range []string{
		"waiting: 2 quiet hours until " + until.In(campaigns.Shanghai()).Format("01-02 15:04") + "; 1 due\n",
		"channel sms paused for 9m (isv.AMOUNT_NOT_ENOUGH)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// A Redis that does not answer costs the pauses, not the status.
	env["GRIDCAST_REDIS_ADDR"] = "127.0.0.1:1"
	out, e, code = run("campaign", "status", strconv.FormatInt(c.ID, 10))
	if code != 0 || !strings.Contains(out, "waiting: 2 quiet hours") || !strings.Contains(e, "channel pauses unknown") {
		t.Errorf("with Redis down: %d\n%s\n%s", code, out, e)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeHelperProcess is `gridcast serve` as main runs it, in a process
// of its own (WeChat's SDK hooks are process-wide, and other tests of this
// package run their own sandbox): TestServeMetricsAndShutdown starts it.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("GRIDCAST_TEST_SERVE_HELPER") != "1" {
		t.Skip("run by TestServeMetricsAndShutdown")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var env environ
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRIDCAST_TEST_") {
			env = append(env, kv)
		}
	}
	code := run(ctx, []string{"serve"}, os.Stdout, stderrOf(os.Stderr), env)
	stop()
	os.Exit(code)
}

// `serve` serves the business metrics and the queue UI, and on SIGTERM
// stops the HTTP server and the workers and exits 0.
func TestServeMetricsAndShutdown(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Dir = t.TempDir()
	const pushToken = "serve-test-push-token-0123"
	// Aliyun pushes from 198.51.100.0/24 here, through a proxy on this
	// host.
	cmd.Env = append(os.Environ(), "GRIDCAST_TEST_SERVE_HELPER=1", "GRIDCAST_DATA_DIR="+dir, "GRIDCAST_HTTP_ADDR="+addr,
		"GRIDCAST_ALIYUN_SMS_PUSH_TOKEN="+pushToken, "GRIDCAST_ALIYUN_SMS_PUSH_ALLOW=198.51.100.0/24",
		"GRIDCAST_HTTP_TRUSTED_PROXIES=127.0.0.1,::1")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	jar, _ := cookiejar.New(nil)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	client := &http.Client{Timeout: 5 * time.Second, Jar: jar}
	get := func(path string) (int, string) {
		res, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/healthz"); code == 200 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited (%v) before answering:\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 30s:\n%s", logs.String())
		}
	}
	code, body := get("/metrics")
	for _, want := range []string{
		`gridcast_queue_tasks{queue="critical",state="pending"}`,
		`gridcast_queue_latency_seconds{queue="bulk"}`,
		`gridcast_tickets_open{level="grid_worker"} 0`,
		`gridcast_http_requests_total{code="2xx",route="GET /healthz"}`,
		`gridcast_media_missing_total 0`,
		`go_goroutines`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s (status %d)", want, code)
		}
	}
	// No user exists: the trial mode admits the browser that opens the
	// one-time link serve printed, and no one before.
	if code, body := get("/queues/api/queues"); code != 401 {
		t.Errorf("/queues/api/queues before the login link: %d %.200s, want 401", code, body)
	}
	link := regexp.MustCompile(`/login\?token=[A-Za-z0-9]+`).FindString(logs.String())
	if link == "" {
		t.Fatalf("serve printed no login link:\n%s", logs.String())
	}
	if code, _ := get(link); code != 200 { // the console, after the redirect
		t.Errorf("the login link: %d", code)
	}
	if code, body := get("/queues/api/queues"); code != 200 || !strings.Contains(body, `"queues"`) {
		t.Errorf("/queues/api/queues from this host after the link, no users configured: %d %.200s", code, body)
	}
	if res, err := http.Get("http://" + addr + link); err != nil || res.StatusCode != 403 {
		t.Errorf("the login link a second time: %v %v, want 403", res.Status, err)
	}
	// Aliyun's pushes prove their sender by the token of their URL, and
	// here by their address too; one taken twice is acknowledged and
	// counted as a duplicate.
	opt := `[{"phone_number":"13800000001","content":"TD","send_time":"2026-03-16 10:00:00","dest_code":"","sequence_id":1}]`
	push := func(path, from string) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(opt))
		if err != nil {
			t.Fatal(err)
		}
		if from != "" {
			req.Header.Set("X-Forwarded-For", from)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	const aliyun, elsewhere = "198.51.100.7", "203.0.113.9"
	for _, p := range []struct{ path, from string }{
		{"/aliyun/sms/up", aliyun}, {"/aliyun/sms/up?token=forged-token-0123456789", aliyun}, {"/aliyun/sms/report", aliyun},
		{"/aliyun/sms/report?token=" + pushToken[:len(pushToken)-1], aliyun},
		{"/aliyun/sms/up?token=" + pushToken, elsewhere}, {"/aliyun/sms/up?token=" + pushToken, ""},
	} {
		if code := push(p.path, p.from); code != http.StatusForbidden {
			t.Errorf("POST %s from %q: %d, want 403", p.path, p.from, code)
		}
	}
	for range 2 {
		if code := push("/aliyun/sms/up?token="+pushToken, aliyun); code != 200 {
			t.Errorf("POST /aliyun/sms/up with the push token from Aliyun: %d, want 200", code)
		}
	}
	_, body = get("/metrics")
	for _, want := range []string{
		`gridcast_webhook_refused_total{provider="aliyun_sms",reason="bad_token",webhook="uplink"} 2`,
		`gridcast_webhook_refused_total{provider="aliyun_sms",reason="address_not_allowed",webhook="uplink"} 2`,
		`gridcast_webhook_duplicates_total{provider="aliyun_sms",webhook="uplink"} 1`,
		`gridcast_webhook_duplicates_total{provider="wechat",webhook="callback"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatalf("serve still running 25s after SIGTERM:\n%s", logs.String())
	}
	t.Logf("serve stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("http.addr still accepts connections after serve exited")
	}
}

// serve refuses to take Aliyun's unsigned pushes outside sandbox mode
// without a push token, and says which key to set; a worker takes none.
func TestServeNeedsPushToken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sandbox  bool
		token    string
		withHTTP bool
		want     string
	}{
		{"sandbox", true, "", true, ""},
		{"production without", false, "", true, "aliyun_sms.push_token: required to serve outside sandbox mode"},
		{"production short", false, "short", true, "5 characters; want at least 16"},
		{"production", false, "0123456789abcdef", true, ""},
		{"worker", false, "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{cfg: Config{Sandbox: tc.sandbox, AliyunSMS: AliyunSMSConfig{PushToken: tc.token}}}
			err := a.checkPushToken(tc.withHTTP)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer a child process writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A campaign sent or resumed from the CLI kicks the workers' scheduler
// through Redis: the tick is queued and nothing is said, since nothing
// went wrong (closing the queue's client over the shared connection used
// to log a failure every time).
func TestCLIKickScheduler(t *testing.T) {
	env, rdb := testRedisEnv(t)
	env["GRIDCAST_DATA_DIR"] = t.TempDir()
	var logs bytes.Buffer
	a := &app{env: envOf(env), stdout: io.Discard, stderr: &logs}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	before, _ := rdb.Keys(t.Context(), "asynq:*").Result()
	a.kickScheduler(t.Context())
	if strings.Contains(logs.String(), "campaign_kick_failed") {
		t.Errorf("the kick logged a failure:\n%s", logs.String())
	}
	after, err := rdb.Keys(t.Context(), "asynq:*").Result()
	if err != nil || len(after) <= len(before) && len(before) == 0 {
		t.Errorf("no task queued by the kick: keys before %v, after %v (%v)", before, after, err)
	}
}
