package aliyunsms

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gridcast/gridcast/internal/testlog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testKeyID  = "LTAI-test-key"
	testSecret = "test-secret-0123456789"
	testSign   = "网格通"
	alice      = "13800001111"
	bob        = "13900002222"
	carol      = "15000003333"
)

var testTemplates = []Template{
	{Code: "SMS_100", Name: "走访预约", Type: TemplateNotice, Approved: true,
		Content: "${name}您好，${date}网格员${worker}将上门走访，改期请回复。"},
	{Code: "SMS_200", Name: "招聘信息", Type: TemplateNotice, Approved: true,
		Content: "${job}招聘，详询${phone}。退订回T"},
	{Code: "SMS_300", Name: "培训通知", Type: TemplatePromotion, Approved: false, RejectReason: "内容不规范",
		Content: "培训${course}开课"},
	{Code: "SMS_400", Name: "感谢", Type: TemplateNotice, Approved: true, Content: "感谢您的反馈。"},
}

var visitParams = map[string]string{"name": "张先生", "date": "3月5日", "worker": "李娜"}

// fakeClock is an injectable clock, safe for concurrent use. It starts at
// the real time because the emulator compares the SDK's real-clock
// Timestamp with it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seenRequest is what the emulator was sent, for asserting the wire.
type seenRequest struct {
	Method, Path string
	Query, Form  url.Values
}

type fixture struct {
	emu    *Emulator
	srv    *httptest.Server
	clock  *fakeClock
	client *Client

	mu   sync.Mutex
	seen []seenRequest
}

func (f *fixture) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// newFixture starts an emulator behind an httptest.Server that records each
// request, and a Client pointed at it. mod adjusts the emulator config,
// cmod the client's.
func newFixture(t testing.TB, mod func(*EmulatorConfig), cmod func(*Config)) *fixture {
	t.Helper()
	f := &fixture{clock: newClock()}
	ecfg := EmulatorConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SignNames: []string{testSign, "社区E通"},
		Templates: testTemplates, Now: f.clock.Now, ReportInterval: 10 * time.Millisecond}
	if mod != nil {
		mod(&ecfg)
	}
	f.emu = NewEmulator(ecfg, testlog.New(t))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Form: form})
		f.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		f.srv.Close()
		f.emu.Close()
	})
	f.client = newTestClient(t, f.srv, func(c *Config) {
		if cmod != nil {
			cmod(c)
		}
	})
	return f
}

func newTestClient(t testing.TB, srv *httptest.Server, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SignName: testSign,
		Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, testlog.New(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// receiver is a webhook that parses pushes with parse and hands them on.
func receiver[T any](t *testing.T, parse func([]byte) ([]T, error)) (*httptest.Server, <-chan T) {
	t.Helper()
	ch := make(chan T, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		items, err := parse(body)
		if err != nil {
			t.Errorf("receiver: %v", err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		for _, it := range items {
			ch <- it
		}
		_, _ = io.WriteString(w, AckBody)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// recv receives from ch or fails after a deadline.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a push")
	}
	var zero T
	return zero
}
