package aliyunsms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// signIndependently implements Aliyun's published signature v1 the way the
// documentation states it, sharing no code with the package.
func signIndependently(method, secret string, q url.Values) string {
	enc := func(s string) string {
		s = url.QueryEscape(s)
		s = strings.ReplaceAll(s, "+", "%20")
		s = strings.ReplaceAll(s, "*", "%2A")
		return strings.ReplaceAll(s, "%7E", "~")
	}
	var keys []string
	for k := range q {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = enc(k) + "=" + enc(q.Get(k))
	}
	sts := method + "&" + enc("/") + "&" + enc(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func handBuilt(nonce string, ts time.Time) url.Values {
	return url.Values{
		"Action": {"SendSms"}, "Version": {"2017-05-25"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"AccessKeyId": {testKeyID}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"},
		"SignatureType": {""}, "SignatureNonce": {nonce}, "Timestamp": {ts.UTC().Format("2006-01-02T15:04:05Z")},
		"PhoneNumbers": {alice}, "SignName": {testSign}, "TemplateCode": {"SMS_100"},
		"TemplateParam": {`{"name":"张 先生*~","date":"3月5日","worker":"李娜"}`},
	}
}

type rawAnswer struct {
	Status int
	Code   string
}

func post(t *testing.T, srvURL string, q url.Values) rawAnswer {
	t.Helper()
	resp, err := http.Post(srvURL+"/?"+q.Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var b struct{ Code string }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return rawAnswer{resp.StatusCode, b.Code}
}

func TestHandBuiltSignatures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	defer http.DefaultClient.CloseIdleConnections()
	now := f.clock.Now()

	good := handBuilt("nonce-1", now)
	good.Set("Signature", signIndependently("POST", testSecret, good))

	tampered := handBuilt("nonce-2", now)
	tampered.Set("Signature", signIndependently("POST", testSecret, tampered))
	tampered.Set("PhoneNumbers", bob) // after signing

	forged := handBuilt("nonce-3", now)
	forged.Set("Signature", signIndependently("POST", "guessed-secret", forged))

	getSigned := handBuilt("nonce-4", now) // signed for GET, sent as POST
	getSigned.Set("Signature", signIndependently("GET", testSecret, getSigned))

	stale := handBuilt("nonce-5", now.Add(-16*time.Minute))
	stale.Set("Signature", signIndependently("POST", testSecret, stale))

	unsigned := handBuilt("nonce-6", now)

	got := []rawAnswer{
		post(t, f.srv.URL, good),
		post(t, f.srv.URL, good), // replayed: same nonce
		post(t, f.srv.URL, tampered),
		post(t, f.srv.URL, forged),
		post(t, f.srv.URL, getSigned),
		post(t, f.srv.URL, stale),
		post(t, f.srv.URL, unsigned),
	}
	want := []rawAnswer{
		{200, "OK"},
		{400, "SignatureNonceUsed"},
		{400, "SignatureDoesNotMatch"},
		{400, "SignatureDoesNotMatch"},
		{400, "SignatureDoesNotMatch"},
		{400, "InvalidTimeStamp.Expired"},
		{400, "MissingSignature"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	sent := f.emu.Sent()
	if len(sent) != 1 || sent[0].Content != "【网格通】张 先生*~您好，3月5日网格员李娜将上门走访，改期请回复。" {
		t.Errorf("Sent() = %+v, want only the good request", sent)
	}
}

func TestDeliveryReportsPushed(t *testing.T) {
	t.Parallel()
	rx, reports := receiver(t, ParseReports)
	f := newFixture(t, func(c *EmulatorConfig) {
		c.ReportURL = rx.URL
		c.DuplicateRate = 1
		c.UndeliverableSuffix = "0000"
	}, nil)
	ctx := context.Background()
	r1, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := f.client.Send(ctx, gateway.SMS{Phone: "13700000000", TemplateCode: "SMS_400", OutID: "m-2"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Report{}
	for range 4 { // two reports, each pushed twice
		r := recv(t, reports)
		got[r.OutID] = append(got[r.OutID], r)
	}
	at := f.clock.Now().In(shanghai)
	ok := Report{Phone: alice, SendTime: at, ReportTime: at, Success: true, ErrCode: "DELIVERED",
		ErrMsg: "用户接收成功", SMSSize: 1, BizID: r1.BizID, OutID: "m-1"}
	failed := Report{Phone: "13700000000", SendTime: at, ReportTime: at, Success: false, ErrCode: "UNDELIV",
		ErrMsg: "UNDELIV", SMSSize: 1, BizID: r2.BizID, OutID: "m-2"}
	want := map[string][]Report{"m-1": {ok, ok}, "m-2": {failed, failed}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reports by out_id (-want +got):\n%s", diff)
	}
	if st := f.emu.Sent()[1].Status; st != gateway.SMSFailed {
		t.Errorf("undeliverable number status %v, want failed", st)
	}
}

func TestReportPushRetriesRefusal(t *testing.T) {
	t.Parallel()
	refused := make(chan struct{}, 1)
	got := make(chan []Report, 1)
	var calls atomic.Int32
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			refused <- struct{}{}
			_, _ = io.WriteString(w, `{"code":1,"msg":"busy"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		rs, err := ParseReports(body)
		if err != nil {
			t.Error(err)
		}
		got <- rs
		_, _ = io.WriteString(w, AckBody)
	}))
	t.Cleanup(rx.Close)
	f := newFixture(t, func(c *EmulatorConfig) { c.ReportURL = rx.URL }, nil)
	if _, err := f.client.Send(context.Background(), gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "r"}); err != nil {
		t.Fatal(err)
	}
	recv(t, refused)
	if rs := recv(t, got); len(rs) != 1 || rs[0].OutID != "r" {
		t.Errorf("second push %+v, want the refused report again", rs)
	}
}

func TestUplinkReply(t *testing.T) {
	t.Parallel()
	rx, ups := receiver(t, ParseUplinks)
	f := newFixture(t, func(c *EmulatorConfig) { c.UplinkURL = rx.URL }, nil)
	ctx := context.Background()
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: bob, TemplateCode: "SMS_400", SignName: "社区E通"}); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.Reply(ctx, bob, "确认，谢谢", "01"); err != nil {
		t.Fatal(err)
	}
	u := recv(t, ups)
	want := Uplink{Phone: bob, SendTime: f.clock.Now().In(shanghai), Content: "确认，谢谢", SignName: "社区E通", DestCode: "01",
		SequenceID: u.SequenceID}
	if diff := cmp.Diff(want, u); diff != "" || u.SequenceID == 0 {
		t.Errorf("uplink (-want +got):\n%s", diff)
	}
	bare := NewEmulator(EmulatorConfig{}, nil)
	defer bare.Close()
	if err := bare.Reply(ctx, alice, "x", ""); err == nil {
		t.Error("Reply without UplinkURL succeeded")
	}
}

func TestInjectHook(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	f.emu.Inject(func(action string, phone pii.Phone) *Fault {
		if action == "SendSms" && phone == bob {
			return &Fault{Code: "isv.BLACK_KEY_CONTROL_LIMIT", Message: "黑名单管控"}
		}
		return nil
	})
	ctx := context.Background()
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400"}); err != nil {
		t.Errorf("alice: %v", err)
	}
	_, err := f.client.Send(ctx, gateway.SMS{Phone: bob, TemplateCode: "SMS_400"})
	if se := sendError(t, err); se.Code != "isv.BLACK_KEY_CONTROL_LIMIT" {
		t.Errorf("bob: %v", err)
	}
}

func TestFailureRateIsDeterministic(t *testing.T) {
	t.Parallel()
	run := func() (fails int) {
		f := newFixture(t, func(c *EmulatorConfig) { c.FailureRate = 0.5; c.Seed = 7; c.PerNumberDailyLimit = -1 }, nil)
		for range 40 {
			if _, err := f.client.Send(context.Background(), gateway.SMS{Phone: alice, TemplateCode: "SMS_400"}); err != nil {
				fails++
			}
		}
		return fails
	}
	a, b := run(), run()
	if a != b || a == 0 || a == 40 {
		t.Errorf("failures %d and %d: want equal, between 0 and 40", a, b)
	}
}
