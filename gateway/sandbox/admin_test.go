package sandbox_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
)

// GET /sandbox/record counts per channel and recipient, since a time, and
// lists every message with detail=1.
func TestAdminRecordCountsAndSince(t *testing.T) {
	sb := sandbox.New(config(""), testlog.New(t))
	defer sb.Close()
	install(t, sb)
	sb.WeChat.KnowFollowers([]pii.OpenID{residentOpenID})
	c := newClients(t)
	ctx := t.Context()
	const other = pii.Phone("13900002222")
	for i, to := range []pii.Phone{residentPhone, residentPhone, other} {
		if _, err := c.sms.Send(ctx, policySMS(to, fmt.Sprint(10+i))); err != nil {
			t.Fatal(err)
		}
	}
	// A batch shares its OutId: each number is its own message.
	batch := []gateway.SMS{policySMS(residentPhone, "20"), policySMS(other, "20")}
	if _, err := c.sms.SendBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	if _, err := c.wx.SendTemplate(ctx, notice(residentOpenID, "30")); err != nil {
		t.Fatal(err)
	}
	// GridCast resending message 10 (an ambiguous outcome settled wrongly)
	// is a repeat the suite must see.
	if _, err := c.sms.Send(ctx, policySMS(residentPhone, "10")); err != nil {
		t.Fatal(err)
	}

	var all sandbox.RecordSummary
	if code := admin(t, "GET", "/sandbox/record", "", &all); code != http.StatusOK {
		t.Fatalf("GET /sandbox/record: %d", code)
	}
	wantSMS := sandbox.ChannelSummary{Accepted: 6, ByKind: map[string]int{"sms": 6}, Repeats: 1,
		Recipients: map[string]int{string(residentPhone): 4, string(other): 2}}
	if diff := cmp.Diff(wantSMS, all.SMS); diff != "" {
		t.Errorf("SMS (-want +got):\n%s", diff)
	}
	if all.WeChat.Accepted != 1 || all.Messages != nil || all.Since != nil || all.File != "" {
		t.Errorf("summary: %+v", all)
	}

	var since sandbox.RecordSummary
	q := "/sandbox/record?detail=1&since=" + mid.Format(time.RFC3339Nano)
	if code := admin(t, "GET", strings.Replace(q, "+", "%2B", 1), "", &since); code != http.StatusOK {
		t.Fatalf("GET %s: %d", q, code)
	}
	if since.SMS.Accepted != 1 || since.WeChat.Accepted != 1 || since.SMS.Repeats != 0 {
		t.Errorf("since %s: sms %+v wechat %+v", mid, since.SMS, since.WeChat)
	}
	var got []string
	for _, m := range since.Messages {
		got = append(got, fmt.Sprintf("%d %s %s %s %s%s %s", m.ID, m.Channel, m.Kind, m.Recipient, m.OutID, m.ClientMsgID, m.Template))
	}
	want := []string{
		"6 wechat template " + string(residentOpenID) + " 30 " + sandbox.WeChatTemplateNotice,
		"7 sms sms " + string(residentPhone) + " 10 " + sandbox.TemplatePolicy,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
	if m := since.Messages[0]; m.MsgID == 0 || m.Time.Before(mid) {
		t.Errorf("template message listed as %+v", m)
	}
	if m := since.Messages[1]; m.BizID == "" {
		t.Errorf("SMS listed as %+v", m)
	}

	var bad struct{ Error string }
	if code := admin(t, "GET", "/sandbox/record?since=yesterday", "", &bad); code != http.StatusBadRequest || !strings.Contains(bad.Error, "RFC 3339") {
		t.Errorf("bad since: %d %q", code, bad.Error)
	}
}

// Each fault kind posted to /sandbox/faults gives the real clients the
// error class the queue relies on, and only lose_answer does the work.
func TestAdminFaultsReachTheClients(t *testing.T) {
	tests := []struct {
		provider, action, kind string
		code                   string // the SendError's Code
		class                  gateway.Class
		recorded               int // messages the failed call leaves on record
	}{
		{"sms", "SendSms", "lose_answer", gateway.CodeAmbiguous, gateway.Retryable, 1},
		{"sms", "", "hang", gateway.CodeAmbiguous, gateway.Retryable, 0},
		{"sms", "SendSms", "5xx", "ServiceUnavailable", gateway.Retryable, 0},
		{"sms", "", "throttle", "Throttling.User", gateway.Throttled, 0},
		{"sms", "SendSms", "system_error", "isp.SYSTEM_ERROR", gateway.Retryable, 0},
		{"wechat", "template", "lose_answer", gateway.CodeAmbiguous, gateway.Retryable, 1},
		{"wechat", "", "hang", gateway.CodeAmbiguous, gateway.Retryable, 0},
		{"wechat", "template", "5xx", gateway.CodeAmbiguous, gateway.Retryable, 0},
		{"wechat", "", "throttle", "-1", gateway.Retryable, 0},
		{"wechat", "template", "system_error", "-1", gateway.Retryable, 0},
		// The token fails, not the send: nothing went out, so not ambiguous.
		{"wechat", "token", "5xx", "transport", gateway.Retryable, 0},
	}
	for i, tc := range tests {
		t.Run(tc.provider+"_"+tc.action+"_"+tc.kind, func(t *testing.T) {
			sb := sandbox.New(config(""), testlog.New(t))
			defer sb.Close()
			install(t, sb)
			sb.WeChat.KnowFollowers([]pii.OpenID{residentOpenID})
			c := newClients(t)
			send := func(id string) error {
				if tc.provider == "sms" {
					_, err := c.sms.Send(t.Context(), policySMS(residentPhone, id))
					return err
				}
				_, err := c.wx.SendTemplate(t.Context(), notice(residentOpenID, id))
				return err
			}
			body := fmt.Sprintf(`{"provider":%q,"action":%q,"kind":%q,"count":1}`, tc.provider, tc.action, tc.kind)
			var rule sandbox.FaultRule
			if code := admin(t, "POST", "/sandbox/faults", body, &rule); code != http.StatusCreated {
				t.Fatalf("POST /sandbox/faults %s: %d", body, code)
			}
			if rule.ID == 0 || rule.Remaining != 1 || rule.Kind != tc.kind {
				t.Errorf("rule in force: %+v", rule)
			}
			start := time.Now()
			err := send(fmt.Sprint(100 + i))
			var se *gateway.SendError
			if !errors.As(err, &se) {
				t.Fatalf("send under %s: %v, want a *gateway.SendError", tc.kind, err)
			}
			if se.Code != tc.code || se.Class != tc.class {
				t.Errorf("send under %s: %v; want code %s, class %s", tc.kind, err, tc.code, tc.class)
			}
			if tc.kind == "hang" && time.Since(start) < clientTimeout/2 {
				t.Errorf("a hang answered after %v", time.Since(start))
			}
			rec := sb.Record(time.Time{}, false)
			if n := rec.SMS.Accepted + rec.WeChat.Accepted; n != tc.recorded {
				t.Errorf("%d messages on record after the fault, want %d", n, tc.recorded)
			}
			if tc.kind == "lose_answer" && tc.provider == "sms" {
				// What the queue does next: ask before resending.
				ds, err := c.sms.QueryDetails(t.Context(), residentPhone, "", time.Now())
				if err != nil || len(ds) != 1 || ds[0].OutID != fmt.Sprint(100+i) {
					t.Errorf("QueryDetails after a lost answer: %+v, %v", ds, err)
				}
			}
			// The count is spent: the rule is gone and the next call passes.
			var list struct{ Faults []sandbox.FaultRule }
			admin(t, "GET", "/sandbox/faults", "", &list)
			if len(list.Faults) != 0 {
				t.Errorf("rules left after their count: %+v", list.Faults)
			}
			if err := send(fmt.Sprint(200 + i)); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}
}

// A rate rule fails a share of the calls until cleared; DELETE clears.
func TestAdminFaultRateUntilCleared(t *testing.T) {
	sb := sandbox.New(config(""), testlog.New(t))
	defer sb.Close()
	install(t, sb)
	c := newClients(t)
	var rule sandbox.FaultRule
	if code := admin(t, "POST", "/sandbox/faults", `{"provider":"sms","kind":"system_error","rate":1}`, &rule); code != http.StatusCreated {
		t.Fatalf("POST: %d", code)
	}
	for i := range 3 {
		_, err := c.sms.Send(t.Context(), policySMS(residentPhone, fmt.Sprint(i)))
		if gateway.ClassOf(err) != gateway.Retryable || err == nil {
			t.Fatalf("send %d under rate 1: %v", i, err)
		}
	}
	// A query is not a send: "" does not cover it.
	if _, err := c.sms.QueryDetails(t.Context(), residentPhone, "", time.Now()); err != nil {
		t.Errorf("QueryDetails under a send rule: %v", err)
	}
	var list struct{ Faults []sandbox.FaultRule }
	admin(t, "GET", "/sandbox/faults", "", &list)
	if len(list.Faults) != 1 || list.Faults[0].Used != 3 || list.Faults[0].ID != rule.ID {
		t.Errorf("rules: %+v", list.Faults)
	}
	var cleared struct{ Cleared int }
	if code := admin(t, "DELETE", "/sandbox/faults", "", &cleared); code != http.StatusOK || cleared.Cleared != 1 {
		t.Errorf("DELETE: %d %+v", code, cleared)
	}
	if _, err := c.sms.Send(t.Context(), policySMS(residentPhone, "9")); err != nil {
		t.Errorf("after DELETE: %v", err)
	}
}

// Bad admin input is refused with 400 and a sentence that names the
// problem, and changes nothing.
func TestAdminRefusesBadInput(t *testing.T) {
	sb := sandbox.New(config(""), testlog.New(t))
	defer sb.Close()
	install(t, sb)
	tests := []struct{ path, body, want string }{
		{"/sandbox/faults", `{"provider":"sms","kind":"explode","count":1}`, `kind "explode"`},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx","count":-2}`, "count -2"},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx","count":1`, "not the JSON object"},
		{"/sandbox/faults", `not json`, "not the JSON object"},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx","count":1,"times":3}`, `unknown field "times"`},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx"}`, "set count"},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx","rate":1.5}`, "rate 1.5"},
		{"/sandbox/faults", `{"provider":"mms","kind":"5xx","count":1}`, `provider "mms"`},
		{"/sandbox/faults", `{"provider":"wechat","action":"SendSms","kind":"5xx","count":1}`, `action "SendSms" for wechat`},
		{"/sandbox/faults", `{"provider":"sms","kind":"5xx","count":1} {}`, "more than one"},
		{"/sandbox/receipts", `{"mode":"sideways"}`, `mode "sideways"`},
		{"/sandbox/receipts", `{"mode":1}`, "not the JSON object"},
	}
	for _, tc := range tests {
		var out struct{ Error string }
		if code := admin(t, "POST", tc.path, tc.body, &out); code != http.StatusBadRequest || !strings.Contains(out.Error, tc.want) {
			t.Errorf("POST %s %s: %d %q, want 400 naming %q", tc.path, tc.body, code, out.Error, tc.want)
		}
	}
	if fs := sb.Faults(); len(fs) != 0 {
		t.Errorf("refused input left rules: %+v", fs)
	}
	if m := sb.ReceiptMode(); m != sandbox.ReceiptsNormal {
		t.Errorf("receipt mode %q after refused input", m)
	}
	var out struct{ Error string }
	if code := admin(t, "GET", "/sandbox/nothing", "", &out); code != http.StatusNotFound || !strings.Contains(out.Error, "/sandbox/faults") {
		t.Errorf("unknown admin path: %d %q", code, out.Error)
	}
}

// The admin API answers only this host and private networks, and no one
// behind a proxy.
func TestAdminOnlyFromPrivateAddresses(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(config(""), testlog.New(t))
	defer sb.Close()
	tests := []struct {
		remote, header string
		want           int
	}{
		{"127.0.0.1:40000", "", http.StatusOK},
		{"[::1]:40000", "", http.StatusOK},
		{"10.1.2.3:40000", "", http.StatusOK},
		{"192.168.0.7:40000", "", http.StatusOK},
		{"203.0.113.9:40000", "", http.StatusForbidden},
		{"[2001:db8::1]:40000", "", http.StatusForbidden},
		{"127.0.0.1:40000", "203.0.113.9", http.StatusForbidden},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/sandbox/faults", nil)
		req.RemoteAddr = tc.remote
		if tc.header != "" {
			req.Header.Set("X-Forwarded-For", tc.header)
		}
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s (proxy %q): %d, want %d: %s", tc.remote, tc.header, rec.Code, tc.want, rec.Body)
		}
	}
}

// pushes collects what the sandbox pushes to GridCast's webhooks: Aliyun
// delivery reports by OutId and WeChat receipts by msgid, in arrival order.
type pushes struct {
	mu      sync.Mutex
	reports []string
	wechat  []int64
}

func (p *pushes) server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /aliyun/sms/report", func(w http.ResponseWriter, r *http.Request) {
		var items []struct {
			OutID string `json:"out_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
			t.Errorf("report push: %v", err)
		}
		p.mu.Lock()
		for _, it := range items {
			p.reports = append(p.reports, it.OutID)
		}
		p.mu.Unlock()
		_, _ = io.WriteString(w, aliyunsms.AckBody)
	})
	mux.HandleFunc("POST /wechat/callback", func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event string
			MsgID int64
		}
		if err := xml.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Event != "TEMPLATESENDJOBFINISH" {
			t.Errorf("WeChat push: %+v %v", ev, err)
		}
		p.mu.Lock()
		p.wechat = append(p.wechat, ev.MsgID)
		p.mu.Unlock()
		_, _ = io.WriteString(w, "success")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func (p *pushes) counts() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reports), len(p.wechat)
}

// In duplicate mode every delivery report reaches GridCast twice; in
// reorder mode a group arrives newest first.
func TestReceiptsDuplicateAndReorder(t *testing.T) {
	var p pushes
	cb := p.server(t)
	sb := sandbox.New(config(cb.URL), testlog.New(t))
	defer sb.Close()
	install(t, sb)
	openids := []pii.OpenID{"oSandboxResident000000000001", "oSandboxResident000000000002",
		"oSandboxResident000000000003", "oSandboxResident000000000004"}
	sb.WeChat.KnowFollowers(openids)
	c := newClients(t)
	ctx := t.Context()

	var mode struct{ Mode string }
	if code := admin(t, "POST", "/sandbox/receipts", `{"mode":"duplicate"}`, &mode); code != http.StatusOK || mode.Mode != "duplicate" {
		t.Fatalf("POST /sandbox/receipts: %d %+v", code, mode)
	}
	if _, err := c.sms.Send(ctx, policySMS(residentPhone, "1")); err != nil {
		t.Fatal(err)
	}
	id, err := c.wx.SendTemplate(ctx, notice(openids[0], "2"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "two pushes of each receipt", func() bool { s, w := p.counts(); return s >= 2 && w >= 2 })
	p.mu.Lock()
	if diff := cmp.Diff([]string{"1", "1"}, p.reports); diff != "" {
		t.Errorf("SMS reports (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{id, id}, p.wechat); diff != "" {
		t.Errorf("WeChat receipts (-want +got):\n%s", diff)
	}
	p.reports, p.wechat = nil, nil
	p.mu.Unlock()

	if code := admin(t, "POST", "/sandbox/receipts", `{"mode":"reorder"}`, &mode); code != http.StatusOK {
		t.Fatalf("POST /sandbox/receipts reorder: %d", code)
	}
	var wantSMS []string
	var wantWX []int64
	for i, to := range openids {
		phone := pii.Phone(fmt.Sprintf("1381234000%d", i+1))
		if _, err := c.sms.Send(ctx, policySMS(phone, fmt.Sprint(10+i))); err != nil {
			t.Fatal(err)
		}
		id, err := c.wx.SendTemplate(ctx, notice(to, fmt.Sprint(20+i)))
		if err != nil {
			t.Fatal(err)
		}
		wantSMS = append([]string{fmt.Sprint(10 + i)}, wantSMS...)
		wantWX = append([]int64{id}, wantWX...)
	}
	eventually(t, "the reordered receipts", func() bool { s, w := p.counts(); return s >= 4 && w >= 4 })
	p.mu.Lock()
	defer p.mu.Unlock()
	if diff := cmp.Diff(wantSMS, p.reports); diff != "" {
		t.Errorf("reordered SMS reports (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWX, p.wechat); diff != "" {
		t.Errorf("reordered WeChat receipts (-want +got):\n%s", diff)
	}
}
