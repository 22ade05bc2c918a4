package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

func notice(to pii.OpenID) gateway.TemplateMessage {
	return gateway.TemplateMessage{ToUser: to, TemplateID: "TPL_NOTICE", URL: "https://gridcast.example/m/1", Data: testData}
}

// sendErr asserts err is a *gateway.SendError and returns it.
func sendErr(t *testing.T, err error) *gateway.SendError {
	t.Helper()
	var se *gateway.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *gateway.SendError", err, err)
	}
	return se
}

func TestSendTemplateRecorded(t *testing.T) {
	f := newFixture(t, nil)
	id, err := f.client.SendTemplate(t.Context(), notice(alice))
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	// The recipient sees the keyword fields; first and remark were sent
	// but WeChat no longer shows them.
	want := []SentMessage{{Kind: "template", MsgID: id, ToUser: alice, TemplateID: "TPL_NOTICE",
		URL: "https://gridcast.example/m/1", Data: map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"},
		Shown: []string{"事项：就业培训", "时间：3月5日"}, RawData: testData, At: f.clock.Now()}}
	if diff := cmp.Diff(want, f.emu.Sent()); diff != "" {
		t.Errorf("Sent() (-want +got):\n%s", diff)
	}
}

func TestTokenCachedThenExpiredThenRefreshed(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	for range 3 {
		if _, err := f.client.SendTemplate(ctx, notice(alice)); err != nil {
			t.Fatalf("SendTemplate: %v", err)
		}
	}
	if got := f.emu.TokenRequests(); got != 1 {
		t.Errorf("token requests after 3 sends = %d, want 1 (cached in Redis)", got)
	}
	if n, _ := f.rdb.Exists(ctx, "gridcast:wechat:"+f.client.tokenKey).Result(); n != 1 {
		t.Errorf("token not cached under %q", f.client.tokenKey)
	}
	// The emulator's token outlives nothing in Redis: WeChat says 42001 and
	// the client fetches a new stable token (no force needed).
	f.clock.Advance(DefaultTokenTTL + time.Minute)
	if _, err := f.client.SendTemplate(ctx, notice(alice)); err != nil {
		t.Fatalf("SendTemplate after expiry: %v", err)
	}
	if got := f.emu.TokenRequests(); got != 2 {
		t.Errorf("token requests after expiry = %d, want 2", got)
	}
	if got := len(f.emu.Sent()); got != 4 {
		t.Errorf("sent %d, want 4", got)
	}
}

func TestExpireTokensRefreshes(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.client.SendTemplate(t.Context(), notice(alice)); err != nil {
		t.Fatal(err)
	}
	f.emu.ExpireTokens()
	if err := func() error { _, err := f.client.Templates(t.Context()); return err }(); err != nil {
		t.Fatalf("Templates after ExpireTokens: %v", err)
	}
}

func TestForcedRefreshOnInvalidToken(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.emu.Fail(ActionTemplateSend, 40001, 1)
	if _, err := f.client.SendTemplate(ctx, notice(alice)); err != nil {
		t.Fatalf("SendTemplate with one 40001: %v", err)
	}
	// initial fetch, normal re-fetch (same token back), forced refresh
	if got := f.emu.TokenRequests(); got != 3 {
		t.Errorf("token requests = %d, want 3", got)
	}

	// A second rejection within 30 s may not force again.
	f.clock.Advance(10 * time.Second)
	f.emu.Fail(ActionTemplateSend, 42001, 1)
	_, err := f.client.SendTemplate(ctx, notice(alice))
	se := sendErr(t, err)
	if se.Class != gateway.Retryable || se.Code != "42001" || se.RetryAfter != 20*time.Second {
		t.Errorf("rate-limited refresh: got %+v, want Retryable 42001 after 20s", se)
	}

	f.clock.Advance(21 * time.Second)
	f.emu.Fail(ActionTemplateSend, 42001, 1)
	if _, err := f.client.SendTemplate(ctx, notice(alice)); err != nil {
		t.Fatalf("SendTemplate after the interval: %v", err)
	}

	// Rejected again after the refresh: one retry only, then Retryable.
	f.clock.Advance(31 * time.Second)
	f.emu.Fail(ActionTemplateSend, 40001, 2)
	_, err = f.client.SendTemplate(ctx, notice(alice))
	if se := sendErr(t, err); se.Class != gateway.Retryable || se.Code != "40001" {
		t.Errorf("twice rejected: got %+v, want Retryable 40001", se)
	}
	if got := len(f.emu.Sent()); got != 2 {
		t.Errorf("sent %d, want 2", got)
	}
}

func TestClientMsgIDDedupe(t *testing.T) {
	f := newFixture(t, nil)
	m := notice(alice)
	m.ClientMsgID = "gc-msg-1001"
	id1, err := f.client.SendTemplate(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(9 * time.Minute)
	id2, err := f.client.SendTemplate(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || len(f.emu.Sent()) != 1 {
		t.Errorf("replay within 10 min: msgids %d, %d and %d sent; want one message", id1, id2, len(f.emu.Sent()))
	}
	f.clock.Advance(2 * time.Minute)
	id3, err := f.client.SendTemplate(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if id3 == id1 || len(f.emu.Sent()) != 2 {
		t.Errorf("after 11 min: msgid %d (first %d), %d sent; want a new message", id3, id1, len(f.emu.Sent()))
	}
}

func TestSendTemplateFailures(t *testing.T) {
	midnight := 14 * time.Hour // the clock starts at 10:00 Asia/Shanghai
	tests := []struct {
		name       string
		fault      int
		msg        func() gateway.TemplateMessage
		code       string
		class      gateway.Class
		retryAfter time.Duration
	}{
		{name: "not following", msg: func() gateway.TemplateMessage { return notice(carol) }, code: "43004", class: gateway.Permanent},
		{name: "unknown openid", msg: func() gateway.TemplateMessage { return notice("oNobody456789abcdefghijklmno") }, code: "40003", class: gateway.Permanent},
		{name: "bad template", msg: func() gateway.TemplateMessage { m := notice(alice); m.TemplateID = "NOPE"; return m }, code: "40037", class: gateway.Config},
		{name: "missing data", msg: func() gateway.TemplateMessage { m := notice(alice); m.Data = map[string]string{"first": "x"}; return m }, code: "47003", class: gateway.Permanent},
		{name: "refused", fault: 43101, code: "43101", class: gateway.Permanent},
		{name: "daily quota", fault: 45009, code: "45009", class: gateway.Quota, retryAfter: midnight},
		{name: "minute quota", fault: 45011, code: "45011", class: gateway.Throttled, retryAfter: time.Minute},
		{name: "busy", fault: -1, code: "-1", class: gateway.Retryable},
		{name: "ip whitelist", fault: 40164, code: "40164", class: gateway.Config},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			msg := notice(alice)
			if tt.msg != nil {
				msg = tt.msg()
			}
			if tt.fault != 0 {
				f.emu.Fail(ActionTemplateSend, tt.fault, 1)
			}
			_, err := f.client.SendTemplate(t.Context(), msg)
			se := sendErr(t, err)
			got := [4]any{se.Channel, se.Code, se.Class, se.RetryAfter}
			want := [4]any{"wechat", tt.code, tt.class, tt.retryAfter}
			if got != want {
				t.Errorf("got %v, want %v (%v)", got, want, se)
			}
			if se.Message == "" {
				t.Error("SendError.Message is empty; want WeChat's errmsg")
			}
			if len(f.emu.Sent()) != 0 {
				t.Error("a failed send was recorded")
			}
		})
	}
}

func TestWrongCredentialsAreConfig(t *testing.T) {
	f := newFixture(t, nil)
	c, _ := newTestClient(t, f.clock, "wrong-secret")
	_, err := c.SendTemplate(t.Context(), notice(alice))
	if se := sendErr(t, err); se.Class != gateway.Config || se.Code != "40125" {
		t.Errorf("wrong secret: got %+v, want Config 40125", se)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestSendTextWindow(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.emu.SetFollower(Follower{OpenID: alice, Following: true, LastMessage: f.clock.Now().Add(-49 * time.Hour)})
	err := f.client.SendText(ctx, alice, "您好")
	if se := sendErr(t, err); se.Class != gateway.Permanent || se.Code != CodeWindowClosed || !IsWindowClosed(err) {
		t.Errorf("outside 48h: got %+v, want Permanent %s", se, CodeWindowClosed)
	}

	f.emu.SetFollower(Follower{OpenID: alice, Following: true, LastMessage: f.clock.Now().Add(-47 * time.Hour)})
	for i := range 5 {
		if err := f.client.SendText(ctx, alice, fmt.Sprintf("回复 %d", i)); err != nil {
			t.Fatalf("SendText %d: %v", i, err)
		}
	}
	err = f.client.SendText(ctx, alice, "第六条")
	if se := sendErr(t, err); se.Class != gateway.Permanent || se.Code != CodeWindowSpent || !IsWindowClosed(err) {
		t.Errorf("6th message: got %+v, want Permanent %s", se, CodeWindowSpent)
	}
	if got := len(f.emu.Sent()); got != 5 {
		t.Errorf("sent %d texts, want 5", got)
	}
	if IsWindowClosed(errors.New("other")) {
		t.Error("IsWindowClosed(plain error) = true")
	}
}

func TestSayReopensWindow(t *testing.T) {
	got := make(chan Inbound, 4)
	clock := newClock()
	cb := callbackServer(t, testAESKey, clock.Now, got)
	f := newFixture(t, func(c *EmulatorConfig) { c.CallbackURL = cb.URL; c.EncodingAESKey = testAESKey; c.Now = clock.Now })
	ctx := t.Context()
	if err := f.client.SendText(ctx, alice, "您好"); !IsWindowClosed(err) {
		t.Fatalf("before Say: err = %v, want window closed", err)
	}
	msgID, err := f.emu.Say(ctx, string(alice), "我想报名培训")
	if err != nil {
		t.Fatalf("Say: %v", err)
	}
	in := waitFor(t, got)
	want := Inbound{Kind: KindText, MsgID: msgID, FromOpenID: alice, CreateTime: time.Unix(f.clock.Now().Unix(), 0),
		Content: "我想报名培训", DedupKey: fmt.Sprintf("wechat:msg:%d", msgID)}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("inbound (-want +got):\n%s", diff)
	}
	if err := f.client.SendText(ctx, alice, "收到，网格员会联系您"); err != nil {
		t.Fatalf("SendText after Say: %v", err)
	}
	want2 := SentMessage{Kind: "text", ToUser: alice, Text: "收到，网格员会联系您", At: f.clock.Now()}
	if diff := cmp.Diff([]SentMessage{want2}, f.emu.Sent()); diff != "" {
		t.Errorf("Sent (-want +got):\n%s", diff)
	}
}

func TestTemplates(t *testing.T) {
	f := newFixture(t, nil)
	got, err := f.client.Templates(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testTemplates, got); diff != "" {
		t.Errorf("Templates (-want +got):\n%s", diff)
	}
	f.emu.Fail(ActionTemplateList, 45009, 1)
	_, err = f.client.Templates(t.Context())
	if se := sendErr(t, err); se.Class != gateway.Quota {
		t.Errorf("got %+v, want Quota", se)
	}
}

func TestTransportErrorsRetryableAndRedacted(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.client.SendTemplate(t.Context(), notice(alice)); err != nil {
		t.Fatal(err)
	}
	token, _ := f.rdb.Get(t.Context(), "gridcast:wechat:"+f.client.tokenKey).Result()
	install(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	// A send answered by a broken gateway may have reached WeChat behind
	// it: its outcome is unknown, to be settled before any resend.
	_, err := f.client.SendTemplate(t.Context(), notice(alice))
	se := sendErr(t, err)
	if se.Class != gateway.Retryable || se.Code != gateway.CodeAmbiguous {
		t.Errorf("got %+v, want Retryable %s", se, gateway.CodeAmbiguous)
	}
	if token == "" || strings.Contains(err.Error(), token) {
		t.Errorf("error %q leaks the access token", err)
	}
	// Token fetch failing at the transport level is Retryable too.
	c, _ := newTestClient(t, f.clock, testSecret)
	_, err = c.SendTemplate(t.Context(), notice(alice))
	if se := sendErr(t, err); se.Class != gateway.Retryable || se.Code != CodeTransport {
		t.Errorf("token fetch: got %+v, want Retryable %s", se, CodeTransport)
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t, func(c *EmulatorConfig) { c.Latency = time.Minute })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := f.client.SendTemplate(ctx, notice(alice))
	if se := sendErr(t, err); se.Class != gateway.Retryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want Retryable wrapping DeadlineExceeded", err)
	}
}

func TestConcurrentSends(t *testing.T) {
	f := newFixture(t, nil)
	const n = 64
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			to := alice
			if i%2 == 1 {
				to = bob
			}
			m := notice(to)
			m.ClientMsgID = fmt.Sprintf("gc-%d", i)
			ids[i], errs[i] = f.client.SendTemplate(t.Context(), m)
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		seen[ids[i]] = true
	}
	if len(seen) != n || len(f.emu.Sent()) != n {
		t.Errorf("%d distinct msgids, %d sent; want %d", len(seen), len(f.emu.Sent()), n)
	}
	if got := f.emu.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 (the SDK's lock + Redis cache)", got)
	}
}

func TestNewProcessWideGuard(t *testing.T) {
	clock := newClock()
	_, _ = newTestClient(t, clock, testSecret) // installs the hooks for front.URL
	cfg := Config{AppID: testAppID, AppSecret: testSecret, Token: testToken, BaseURL: "http://127.0.0.1:1"}
	c, rdb := newTestClient(t, clock, testSecret)
	_ = c
	if _, err := New(cfg, rdb, nil); err == nil || !strings.Contains(err.Error(), "process-wide") {
		t.Errorf("New with a second BaseURL: err = %v, want the process-wide error", err)
	}
	cfg.BaseURL = front.URL + "/"
	if _, err := New(cfg, rdb, nil); err != nil {
		t.Errorf("New with the same BaseURL: %v", err)
	}
	if _, err := New(cfg, nil, nil); err == nil {
		t.Error("New without Redis: no error")
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{EncodingAESKey: "short", BaseURL: "ftp://x", Timeout: -1}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for an empty config")
	}
	for _, key := range []string{"wechat.app_id", "wechat.app_secret", "wechat.token", "wechat.encoding_aes_key", "wechat.base_url", "wechat.timeout"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() does not name %s: %v", key, err)
		}
	}
	ok := Config{AppID: testAppID, AppSecret: testSecret, Token: testToken, EncodingAESKey: testAESKey}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestRedisCacheContract(t *testing.T) {
	f := newFixture(t, nil)
	c := newRedisCache(f.rdb, "t:")
	if v := c.Get("missing"); v != nil {
		t.Errorf("Get(miss) = %#v, want untyped nil", v)
	}
	if err := c.Set("k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get("k").(string); !ok || v != "v" || !c.IsExist("k") {
		t.Errorf("Get(hit) = %#v, want string v", c.Get("k"))
	}
	if err := c.Set("k", 42, time.Minute); err == nil {
		t.Error("Set(non-string) = nil error")
	}
	if err := c.Delete("k"); err != nil || c.IsExist("k") {
		t.Errorf("Delete: %v, exists %v", err, c.IsExist("k"))
	}
}
