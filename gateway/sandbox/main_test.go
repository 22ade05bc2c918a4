package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/gateway/wechat/wechattest"
)

// silenceper/wechat's HTTP hooks are process-wide, so every wechat.Client
// in this test binary talks to one front server, which forwards to the
// sandbox of the test that is running (a restarted sandbox keeps the
// address, as `gridcast sandbox` restarted on its port does). Tests that
// use it do not run in parallel.
var front wechattest.Front

func TestMain(m *testing.M) { wechattest.Main(m, &front) }

// The sandbox account of these tests.
const (
	appID     = "wxsandboxtest0001"
	appSecret = "s3cret"
	wxToken   = "tok"
	// clientTimeout bounds every client's call: a hang fault ends with it.
	clientTimeout = time.Second
)

// install routes the front server to h until the test ends.
func install(t *testing.T, h http.Handler) {
	t.Helper()
	front.Install(t, h)
}

// config is the sandbox configuration of these tests; callback may be "".
func config(callback string) sandbox.Config {
	return sandbox.Config{AppID: appID, AppSecret: appSecret, Token: wxToken,
		CallbackBase: callback, DeliveryDelay: 10 * time.Millisecond}
}

// clients are the real SDK clients pointed at the front server.
type clients struct {
	sms *aliyunsms.Client
	wx  *wechat.Client
}

func newClients(t *testing.T) clients {
	t.Helper()
	sms, err := aliyunsms.New(aliyunsms.Config{
		AccessKeyID: aliyunsms.SandboxAccessKeyID, AccessKeySecret: aliyunsms.SandboxAccessKeySecret,
		SignName: "网格通", Endpoint: strings.TrimPrefix(front.URL, "http://"), Scheme: "http", Timeout: clientTimeout,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sms.Close)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	wx, err := wechat.New(wechat.Config{AppID: appID, AppSecret: appSecret, Token: wxToken, BaseURL: front.URL,
		Timeout: clientTimeout}, rdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	return clients{sms: sms, wx: wx}
}

// admin calls the sandbox's admin API through the front server and
// decodes the answer into out (if not nil), returning the status.
func admin(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, front.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(10 * time.Millisecond)
	}
}
