package aliyunsms

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridcast/gridcast/internal/testlog"
)

func TestReportHandler(t *testing.T) {
	var got []Report
	h := NewReportHandler(func(_ context.Context, rs []Report) error {
		got = append(got, rs...)
		if len(rs) > 0 && rs[0].OutID == "fail" {
			return errors.New("queue down")
		}
		return nil
	}, PushOptions{Secret: "s3", MaxBody: 512, Log: testlog.New(t)})
	good := `[{"phone_number":"13812345678","send_time":"2026-11-29 10:00:00","report_time":"2026-11-29 10:00:05","success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"123^0","out_id":"42"}]`
	tests := []struct {
		name, method, target, body string
		want                       int
		wantBody                   string
	}{
		{"accepted", "POST", "/?token=s3", good, 200, AckBody},
		{"wrong token", "POST", "/?token=nope", good, 403, ""},
		{"no token", "POST", "/", good, 403, ""},
		{"GET", "GET", "/?token=s3", "", 405, ""},
		{"not an array", "POST", "/?token=s3", `{"phone_number":"1"}`, 400, ""},
		{"malformed", "POST", "/?token=s3", `[{"success":"yes"`, 400, ""},
		{"oversized", "POST", "/?token=s3", "[" + strings.Repeat(`{},`, 400) + "{}]", 413, ""},
		{"handler fails → Aliyun retries", "POST", "/?token=s3", strings.Replace(good, `"42"`, `"fail"`, 1), 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body)))
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body %q", rec.Body)
			}
			if tt.want != 200 && tt.want != 500 && len(got) != 0 {
				t.Errorf("a refused push reached the handler: %+v", got)
			}
		})
	}
}

func TestUplinkHandler(t *testing.T) {
	var got []Uplink
	h := NewUplinkHandler(func(_ context.Context, us []Uplink) error { got = us; return nil }, PushOptions{Log: testlog.New(t)})
	rec := httptest.NewRecorder()
	body := `[{"phone_number":"13812345678","send_time":"20261129100000","content":"TD","sign_name":"网格通","dest_code":"1234","sequence_id":1234567}]`
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/aliyun/sms/up", strings.NewReader(body)))
	if rec.Code != 200 || len(got) != 1 || got[0].Content != "TD" || got[0].SequenceID != 1234567 {
		t.Fatalf("status %d, got %+v", rec.Code, got)
	}
}

// Refused hears the reason of each refused push, and nothing of a taken
// one or of our own failure.
func TestPushRefusedHook(t *testing.T) {
	var reasons []string
	h := NewUplinkHandler(func(context.Context, []Uplink) error { return nil },
		PushOptions{Secret: "s3", MaxBody: 256, Log: testlog.New(t), Refused: func(r string) { reasons = append(reasons, r) }})
	good := `[{"phone_number":"13812345678","send_time":"20261129100000","content":"TD","sign_name":"网格通","dest_code":"1234","sequence_id":1}]`
	for _, tc := range []struct{ method, target, body string }{
		{"POST", "/?token=s3", good},
		{"POST", "/?token=nope", good},
		{"GET", "/?token=s3", ""},
		{"POST", "/?token=s3", `{"phone_number":"1"}`},
		{"POST", "/?token=s3", "[" + strings.Repeat(`{},`, 100) + "{}]"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)))
	}
	if want := []string{"bad_token", "method", "bad_body", "body_too_large"}; !slices.Equal(reasons, want) {
		t.Errorf("refusals heard %q, want %q", reasons, want)
	}
}

// The allow-list decides by the sender's address before the token is
// looked at; behind a trusted proxy by the client its X-Forwarded-For
// names. A refused push is 403, reaches nothing, is counted with its own
// reason and logged without the body's personal data or the token.
func TestPushAllowList(t *testing.T) {
	const token = "push-token-0123456789"
	allow, err := ParseNetworks([]string{"198.51.100.0/24", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := ParseNetworks([]string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var handled, reasons []string
	h := NewUplinkHandler(func(_ context.Context, us []Uplink) error {
		for _, u := range us {
			handled = append(handled, u.Content)
		}
		return nil
	}, PushOptions{Secret: token, Allow: allow, TrustedProxies: trusted, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Refused: func(r string) { reasons = append(reasons, r) }})
	const body = `[{"phone_number":"13812345678","send_time":"20261129100000","content":"TD","sign_name":"网格通","dest_code":"1234","sequence_id":7}]`
	tests := []struct {
		name, peer, xff, token string
		want                   int
		reason                 string
	}{
		{"allowed peer", "198.51.100.7:4711", "", token, 200, ""},
		{"allowed IPv6 peer", "[2001:db8::5]:4711", "", token, 200, ""},
		{"peer not allowed, right token", "203.0.113.9:4711", "", token, 403, "address_not_allowed"},
		{"peer not allowed, wrong token: the address decides first", "203.0.113.9:4711", "", "forged", 403, "address_not_allowed"},
		{"allowed peer, wrong token", "198.51.100.7:4711", "", "forged", 403, "bad_token"},
		{"untrusted peer forging the header", "203.0.113.9:4711", "198.51.100.7", token, 403, "address_not_allowed"},
		{"through the proxy, allowed client", "127.0.0.1:5000", "198.51.100.7", token, 200, ""},
		{"through two proxies, allowed client", "127.0.0.1:5000", "198.51.100.7, 10.2.3.4", token, 200, ""},
		{"through the proxy, client not allowed", "127.0.0.1:5000", "203.0.113.9", token, 403, "address_not_allowed"},
		{"through the proxy, an allowed address forged left of the client", "127.0.0.1:5000", "198.51.100.7, 203.0.113.9", token, 403, "address_not_allowed"},
		{"the proxy names no client", "127.0.0.1:5000", "", token, 403, "address_not_allowed"},
		{"the proxy itself is not allowed", "10.9.9.9:5000", "10.1.1.1", token, 403, "address_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			handled, reasons = nil, nil
			r := httptest.NewRequest(http.MethodPost, "/aliyun/sms/up?token="+tc.token, strings.NewReader(body))
			r.RemoteAddr = tc.peer
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 200 && !slices.Equal(handled, []string{"TD"}) {
				t.Errorf("handled %q, want the uplink", handled)
			}
			if tc.want != 200 && len(handled) != 0 {
				t.Errorf("a refused push reached the handler: %q", handled)
			}
			if want := []string{tc.reason}; tc.reason != "" && !slices.Equal(reasons, want) {
				t.Errorf("refusals heard %q, want %q", reasons, want)
			}
		})
	}
	if !strings.Contains(logs.String(), "reason=address_not_allowed") || !strings.Contains(logs.String(), "client=203.0.113.9") {
		t.Errorf("the refusals are not logged with the address:\n%s", logs.String())
	}
	for _, secret := range []string{"13812345678", token, "TD"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
}

// memReplays is Replays in memory, for the tests; fail makes it fail.
type memReplays struct {
	mu   sync.Mutex
	keys map[string]bool
	fail bool
}

func (m *memReplays) Seen(_ context.Context, keys []string) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return nil, errors.New("redis: connection refused")
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = m.keys[k]
	}
	return out, nil
}

func (m *memReplays) Took(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("redis: connection refused")
	}
	for _, k := range keys {
		m.keys[k] = true
	}
	return nil
}

// An uplink pushed again — alone, in another batch or twice in one — is
// acknowledged as taken and not handed on again, and counted; one whose
// hand-off failed is not remembered, so that Aliyun's retry gets through;
// with the memory unreachable every push is handed on.
func TestUplinkReplays(t *testing.T) {
	replays := &memReplays{keys: map[string]bool{}}
	var handled []int64
	var dups int
	fail := false
	h := NewUplinkHandler(func(_ context.Context, us []Uplink) error {
		if fail {
			return errors.New("queue down")
		}
		for _, u := range us {
			handled = append(handled, u.SequenceID)
		}
		return nil
	}, PushOptions{Secret: "s3", Replays: replays, Duplicates: func(n int) { dups += n }})
	push := func(seqs ...int) int {
		t.Helper()
		var items []string
		for _, s := range seqs {
			items = append(items, `{"phone_number":"13812345678","send_time":"20261129100000","content":"1","dest_code":"07","sequence_id":`+strconv.Itoa(s)+`}`)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/?token=s3", strings.NewReader("["+strings.Join(items, ",")+"]")))
		if rec.Code == 200 && rec.Body.String() != AckBody {
			t.Errorf("answered %q, want AckBody", rec.Body)
		}
		return rec.Code
	}
	steps := []struct {
		name    string
		seqs    []int
		fail    bool
		code    int
		handled []int64
		dups    int
	}{
		{"first push", []int{1}, false, 200, []int64{1}, 0},
		{"the same push again", []int{1}, false, 200, nil, 1},
		{"again in another batch", []int{2, 1}, false, 200, []int64{2}, 1},
		{"twice in one push", []int{3, 3}, false, 200, []int64{3}, 1},
		{"hand-off fails", []int{4}, true, 500, nil, 0},
		{"Aliyun's retry", []int{4}, false, 200, []int64{4}, 0},
	}
	for _, s := range steps {
		handled, dups, fail = nil, 0, s.fail
		if code := push(s.seqs...); code != s.code {
			t.Fatalf("%s: status %d, want %d", s.name, code, s.code)
		}
		if !slices.Equal(handled, s.handled) || dups != s.dups {
			t.Errorf("%s: handed on %v, %d duplicates; want %v, %d", s.name, handled, dups, s.handled, s.dups)
		}
	}
	replays.fail = true
	handled, dups = nil, 0
	if code := push(1); code != 200 || !slices.Equal(handled, []int64{1}) || dups != 0 {
		t.Errorf("memory unreachable: %d, handed on %v, %d duplicates; want 200, [1], 0", code, handled, dups)
	}
}

// A report push delivered again is acknowledged and not handed on; its
// reports count as duplicates. Another push with the same reports in
// another order is handed on (the ledger ignores what it has recorded).
func TestReportReplays(t *testing.T) {
	replays := &memReplays{keys: map[string]bool{}}
	var handled, dups int
	h := NewReportHandler(func(_ context.Context, rs []Report) error { handled += len(rs); return nil },
		PushOptions{Replays: replays, Duplicates: func(n int) { dups += n }})
	a := `{"phone_number":"13812345678","report_time":"2026-11-29 10:00:05","success":true,"err_code":"DELIVERED","biz_id":"9^0","out_id":"41"}`
	b := `{"phone_number":"13912345678","report_time":"2026-11-29 10:00:06","success":false,"err_code":"UNDELIV","biz_id":"9^0","out_id":"41"}`
	for _, s := range []struct {
		body          string
		handled, dups int
	}{{"[" + a + "," + b + "]", 2, 0}, {"[" + a + "," + b + "]", 0, 2}, {"[" + b + "," + a + "]", 2, 0}} {
		handled, dups = 0, 0
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(s.body)))
		if rec.Code != 200 || rec.Body.String() != AckBody || handled != s.handled || dups != s.dups {
			t.Errorf("%d %q, handed on %d, %d duplicates; want 200 AckBody, %d, %d", rec.Code, rec.Body, handled, dups, s.handled, s.dups)
		}
	}
}

// An uplink is known by its sequence id; one without (0) by what it says,
// who sent it and when — never by "0", which would make the second such
// uplink a duplicate of the first.
func TestUplinkKey(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, shanghai)
	u := Uplink{Phone: "13812345678", SendTime: at, Content: "1", DestCode: "07"}
	if got := (Uplink{SequenceID: 1234567}).Key(); got != "1234567" {
		t.Errorf("Key = %q, want the sequence id", got)
	}
	k := u.Key()
	if !strings.HasPrefix(k, "h:") || strings.Contains(k, "13812345678") {
		t.Errorf("Key without a sequence id = %q: want a hash", k)
	}
	other := u
	other.Content = "2"
	later := u
	later.SendTime = at.Add(time.Second)
	if k != u.Key() || k == other.Key() || k == later.Key() {
		t.Errorf("keys %q %q %q: want the same uplink to keep its key and others to differ", k, other.Key(), later.Key())
	}
	if m := u.Message(); m.ProviderMsgID != k {
		t.Errorf("Message().ProviderMsgID = %q, want the Key %q", m.ProviderMsgID, k)
	}
}
