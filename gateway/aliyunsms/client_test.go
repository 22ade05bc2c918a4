package aliyunsms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

func sendError(t *testing.T, err error) *gateway.SendError {
	t.Helper()
	var se *gateway.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *gateway.SendError", err, err)
	}
	return se
}

func TestSendOneIsRecordedRendered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	rcpt, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_100", Params: visitParams,
		OutID: "msg-1", ExtendCode: "01"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rcpt.BizID == "" || rcpt.RequestID == "" {
		t.Fatalf("receipt %+v lacks ids", rcpt)
	}
	now := f.clock.Now()
	want := []SentMessage{{
		Phone: alice, SignName: testSign, TemplateCode: "SMS_100", Params: visitParams,
		Content: "【网格通】张先生您好，3月5日网格员李娜将上门走访，改期请回复。",
		OutID:   "msg-1", BizID: rcpt.BizID, ExtendCode: "01",
		Status: gateway.SMSDelivered, ErrCode: "DELIVERED", SendTime: now, ReportTime: now,
	}}
	if diff := cmp.Diff(want, f.emu.Sent()); diff != "" {
		t.Errorf("Sent() (-want +got):\n%s", diff)
	}

	// The wire is what PROVIDERS.md says: POST /, everything in the query,
	// SignatureType present and empty, no body.
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	got := map[string]string{"method": r.Method, "path": r.Path, "Action": r.Query.Get("Action"),
		"PhoneNumbers": r.Query.Get("PhoneNumbers"), "TemplateParam": r.Query.Get("TemplateParam"),
		"SignatureType": r.Query.Get("SignatureType"), "has SignatureType": fmt.Sprint(r.Query.Has("SignatureType")),
		"form": r.Form.Encode()}
	wantWire := map[string]string{"method": "POST", "path": "/", "Action": "SendSms", "PhoneNumbers": alice,
		"TemplateParam": `{"date":"3月5日","name":"张先生","worker":"李娜"}`,
		"SignatureType": "", "has SignatureType": "true", "form": ""}
	if diff := cmp.Diff(wantWire, got); diff != "" {
		t.Errorf("request on the wire (-want +got):\n%s", diff)
	}
}

func TestSendBatchBothWays(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	job := map[string]string{"job": "保洁员", "phone": "0717-1234567"}

	// Same parameters for all: one SendSms with a number list.
	same := []gateway.SMS{
		{Phone: alice, TemplateCode: "SMS_200", Params: job, OutID: "camp-1"},
		{Phone: bob, TemplateCode: "SMS_200", Params: job, OutID: "camp-1"},
		{Phone: carol, TemplateCode: "SMS_200", Params: job, OutID: "camp-1"},
	}
	r1, err := f.client.SendBatch(ctx, same)
	if err != nil {
		t.Fatalf("SendBatch(same): %v", err)
	}
	// Per-number parameters and signs: one SendBatchSms.
	varied := []gateway.SMS{
		{Phone: alice, TemplateCode: "SMS_100", Params: map[string]string{"name": "张先生", "date": "3月5日", "worker": "李娜"}, OutID: "camp-2"},
		{Phone: bob, TemplateCode: "SMS_100", Params: map[string]string{"name": "王女士", "date": "3月6日", "worker": "李娜"}, OutID: "camp-2", SignName: "社区E通"},
	}
	r2, err := f.client.SendBatch(ctx, varied)
	if err != nil {
		t.Fatalf("SendBatch(varied): %v", err)
	}

	type row struct{ Phone, Sign, Content, OutID, BizID string }
	var got []row
	for _, m := range f.emu.Sent() {
		got = append(got, row{string(m.Phone), m.SignName, m.Content, m.OutID, m.BizID})
	}
	jobText := "【网格通】保洁员招聘，详询0717-1234567。退订回T"
	want := []row{
		{alice, testSign, jobText, "camp-1", r1.BizID},
		{bob, testSign, jobText, "camp-1", r1.BizID},
		{carol, testSign, jobText, "camp-1", r1.BizID},
		{alice, testSign, "【网格通】张先生您好，3月5日网格员李娜将上门走访，改期请回复。", "camp-2", r2.BizID},
		{bob, "社区E通", "【社区E通】王女士您好，3月6日网格员李娜将上门走访，改期请回复。", "camp-2", r2.BizID},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sent() (-want +got):\n%s", diff)
	}

	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	type wire struct{ Action, QueryPhones, FormPhones, FormSigns string }
	gotWire := []wire{}
	for _, r := range reqs {
		gotWire = append(gotWire, wire{r.Query.Get("Action"), r.Query.Get("PhoneNumbers"),
			r.Form.Get("PhoneNumberJson"), r.Form.Get("SignNameJson")})
	}
	wantWire := []wire{
		{"SendSms", alice + "," + bob + "," + carol, "", ""},
		{"SendBatchSms", "", `["` + alice + `","` + bob + `"]`, `["网格通","社区E通"]`},
	}
	if diff := cmp.Diff(wantWire, gotWire); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestSendBatchRefusedLocally(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	many := make([]gateway.SMS, MaxNumbersPerBatch+1)
	for i := range many {
		many[i] = gateway.SMS{Phone: pii.Phone(fmt.Sprintf("138%08d", i)), TemplateCode: "SMS_400",
			Params: map[string]string{"i": fmt.Sprint(i)}}
	}
	for name, ms := range map[string][]gateway.SMS{
		"empty":          nil,
		"mixed template": {{Phone: alice, TemplateCode: "SMS_100"}, {Phone: bob, TemplateCode: "SMS_200"}},
		"mixed out id":   {{Phone: alice, TemplateCode: "SMS_400", OutID: "a"}, {Phone: bob, TemplateCode: "SMS_400", OutID: "b"}},
		"too many":       many,
	} {
		_, err := f.client.SendBatch(context.Background(), ms)
		se := sendError(t, err)
		if se.Code != CodeInvalidBatch || se.Class != gateway.Permanent {
			t.Errorf("%s: got %s/%s, want %s/permanent", name, se.Code, se.Class, CodeInvalidBatch)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests reached the emulator, want 0", n)
	}
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	ok := gateway.SMS{Phone: alice, TemplateCode: "SMS_100", Params: visitParams}
	tests := []struct {
		name  string
		cfg   func(*Config)
		fault *Fault
		msg   gateway.SMS
		code  string
		class gateway.Class
		after time.Duration
	}{
		{name: "wrong secret", cfg: func(c *Config) { c.AccessKeySecret = "wrong" }, msg: ok,
			code: "SignatureDoesNotMatch", class: gateway.Config},
		{name: "unknown key", cfg: func(c *Config) { c.AccessKeyID = "LTAI-nobody" }, msg: ok,
			code: "InvalidAccessKeyId.NotFound", class: gateway.Config},
		{name: "unknown template", msg: gateway.SMS{Phone: alice, TemplateCode: "SMS_999"},
			code: "isv.SMS_TEMPLATE_ILLEGAL", class: gateway.Config},
		{name: "unapproved template", msg: gateway.SMS{Phone: alice, TemplateCode: "SMS_300", Params: map[string]string{"course": "电工"}},
			code: "isv.SMS_TEMPLATE_ILLEGAL", class: gateway.Config},
		{name: "unknown sign", msg: gateway.SMS{Phone: alice, TemplateCode: "SMS_400", SignName: "阿里云"},
			code: "isv.SMS_SIGNATURE_ILLEGAL", class: gateway.Config},
		{name: "missing param", msg: gateway.SMS{Phone: alice, TemplateCode: "SMS_100", Params: map[string]string{"name": "张先生"}},
			code: "isv.TEMPLATE_MISSING_PARAMETERS", class: gateway.Permanent},
		{name: "param too long", msg: gateway.SMS{Phone: alice, TemplateCode: "SMS_200",
			Params: map[string]string{"job": strings.Repeat("长", 36), "phone": "1"}},
			code: "isv.PARAM_LENGTH_LIMIT", class: gateway.Permanent},
		{name: "bad phone", msg: gateway.SMS{Phone: "12345", TemplateCode: "SMS_400"},
			code: "isv.MOBILE_NUMBER_ILLEGAL", class: gateway.Permanent},
		{name: "missing phone", msg: gateway.SMS{TemplateCode: "SMS_400"},
			code: "MissingPhoneNumbers", class: gateway.Permanent},
		{name: "503", fault: &FaultServiceUnavailable, msg: ok, code: "ServiceUnavailable", class: gateway.Retryable},
		{name: "500", fault: &FaultInternalError, msg: ok, code: "InternalError", class: gateway.Retryable},
		{name: "system error", fault: &FaultSystemError, msg: ok, code: "isp.SYSTEM_ERROR", class: gateway.Retryable},
		{name: "qps", fault: &FaultThrottling, msg: ok, code: "Throttling.User", class: gateway.Throttled, after: time.Second},
		{name: "balance", fault: &FaultAmountNotEnough, msg: ok, code: "isv.AMOUNT_NOT_ENOUGH", class: gateway.Quota, after: time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil, tc.cfg)
			if tc.fault != nil {
				f.emu.FailNext(1, *tc.fault)
			}
			_, err := f.client.Send(context.Background(), tc.msg)
			se := sendError(t, err)
			got := fmt.Sprintf("%s %s %v", se.Code, se.Class, se.RetryAfter)
			want := fmt.Sprintf("%s %s %v", tc.code, tc.class, tc.after)
			if got != want {
				t.Errorf("got %q, want %q (%v)", got, want, err)
			}
			if strings.Contains(err.Error(), alice) || strings.Contains(err.Error(), "张先生") {
				t.Errorf("error text leaks personal data: %v", err)
			}
			if n := len(f.emu.Sent()); n != 0 {
				t.Errorf("%d messages recorded after a failure", n)
			}
		})
	}
}

func TestDailyLimitThrottles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	m := gateway.SMS{Phone: alice, TemplateCode: "SMS_400"}
	for i := range 50 {
		if _, err := f.client.Send(ctx, m); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	_, err := f.client.Send(ctx, m)
	se := sendError(t, err)
	if se.Code != "isv.BUSINESS_LIMIT_CONTROL" || se.Class != gateway.Throttled {
		t.Fatalf("51st send: %v, want BUSINESS_LIMIT_CONTROL throttled", err)
	}
	if want := untilMidnight(time.Now()); se.RetryAfter <= 0 || se.RetryAfter > want+time.Second {
		t.Errorf("RetryAfter = %v, want about %v (until midnight in Shanghai)", se.RetryAfter, want)
	}
	// The limit is per sign+template+number: others still pass.
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: bob, TemplateCode: "SMS_400"}); err != nil {
		t.Errorf("other number: %v", err)
	}
	if _, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", SignName: "社区E通"}); err != nil {
		t.Errorf("other sign: %v", err)
	}
}

func TestMinuteLimitThrottlesThenPasses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *EmulatorConfig) { c.PerNumberMinuteLimit = 1 }, nil)
	ctx := context.Background()
	m := gateway.SMS{Phone: alice, TemplateCode: "SMS_400"}
	if _, err := f.client.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.Send(ctx, m)
	if se := sendError(t, err); se.Class != gateway.Throttled || se.RetryAfter != time.Minute {
		t.Fatalf("second send in a minute: %v (after %v), want throttled for 1m", err, se.RetryAfter)
	}
	f.clock.Advance(61 * time.Second)
	if _, err := f.client.Send(ctx, m); err != nil {
		t.Errorf("after a minute: %v", err)
	}
}

func TestHangIsAmbiguousTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	f.emu.FailNext(1, FaultHang)
	start := time.Now()
	_, err := f.client.Send(context.Background(), gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "m-7"})
	se := sendError(t, err)
	if se.Code != CodeAmbiguous || se.Class != gateway.Retryable {
		t.Fatalf("got %v, want %s retryable", err, CodeAmbiguous)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v for a 200ms timeout", d)
	}
	if strings.Contains(err.Error(), alice) || strings.Contains(err.Error(), "Signature=") {
		t.Errorf("error text leaks the request URL: %v", err)
	}
	// What a caller does next: look it up before resending.
	ds, err := f.client.QueryDetails(context.Background(), alice, "", time.Now())
	if err != nil {
		t.Fatalf("QueryDetails: %v", err)
	}
	if len(ds) != 0 {
		t.Errorf("QueryDetails found %d messages; the hung send was never accepted", len(ds))
	}
}

func TestCallerContextCancels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	f.emu.FailNext(1, FaultHang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400"})
	if se := sendError(t, err); se.Code != CodeAmbiguous {
		t.Errorf("got %v, want %s", err, CodeAmbiguous)
	}
}

func TestRefusedConnectionIsNotAmbiguous(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	f.srv.Close()
	_, err := f.client.Send(context.Background(), gateway.SMS{Phone: alice, TemplateCode: "SMS_400"})
	if se := sendError(t, err); se.Code != CodeNetwork || se.Class != gateway.Retryable {
		t.Errorf("got %v, want %s retryable", err, CodeNetwork)
	}
}

func TestQueryDetailsAfterDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *EmulatorConfig) { c.DeliveryDelay = 30 * time.Second }, nil)
	ctx := context.Background()
	r, err := f.client.Send(ctx, gateway.SMS{Phone: alice, TemplateCode: "SMS_400", OutID: "m-9"})
	if err != nil {
		t.Fatal(err)
	}
	sent := f.clock.Now()
	ds, err := f.client.QueryDetails(ctx, alice, r.BizID, sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Status != gateway.SMSWaiting {
		t.Fatalf("before delivery: %+v, want one waiting", ds)
	}
	f.clock.Advance(31 * time.Second)
	ds, err = f.client.QueryDetails(ctx, alice, r.BizID, sent)
	if err != nil {
		t.Fatal(err)
	}
	want := []gateway.SMSDetail{{Phone: alice, Status: gateway.SMSDelivered, ErrCode: "DELIVERED", TemplateCode: "SMS_400",
		Content: "【网格通】感谢您的反馈。", OutID: "m-9", SendDate: sent, ReceiveDate: sent.Add(31 * time.Second)}}
	if diff := cmp.Diff(want, ds, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("QueryDetails (-want +got):\n%s", diff)
	}
}

func TestQueryDetailsPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *EmulatorConfig) { c.PerNumberDailyLimit = -1 }, nil)
	ctx := context.Background()
	for i := range 120 {
		if _, err := f.client.Send(ctx, gateway.SMS{Phone: bob, TemplateCode: "SMS_400", OutID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := f.client.QueryDetails(ctx, bob, "", f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 120 {
		t.Errorf("got %d details, want 120 over 3 pages", len(ds))
	}
}

func TestTemplatesAndSigns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	got, err := f.client.Templates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testTemplates, got); diff != "" {
		t.Errorf("Templates (-want +got):\n%s", diff)
	}
	signs, err := f.client.SignNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Sign{{Name: testSign, Approved: true, BusinessType: "通用类型"}, {Name: "社区E通", Approved: true, BusinessType: "通用类型"}}
	if diff := cmp.Diff(want, signs); diff != "" {
		t.Errorf("SignNames (-want +got):\n%s", diff)
	}
}

func TestConcurrentSendsThroughOneClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(c *Config) { c.Concurrency = 3 })
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				phone := pii.Phone(fmt.Sprintf("1370000%02d%02d", w, i))
				if _, err := f.client.Send(context.Background(), gateway.SMS{Phone: phone, TemplateCode: "SMS_100",
					Params: visitParams, OutID: fmt.Sprintf("%d-%d", w, i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, m := range f.emu.Sent() {
		seen[m.OutID] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct messages recorded, want %d", len(seen), workers*each)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := Config{AccessKeyID: "id", AccessKeySecret: "s", SignName: "网格通"}
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"good", func(*Config) {}, nil},
		{"empty", func(c *Config) { *c = Config{} }, []string{"aliyun_sms.access_key_id", "aliyun_sms.access_key_secret", "aliyun_sms.sign_name"}},
		{"endpoint with scheme", func(c *Config) { c.Endpoint = "https://dysmsapi.aliyuncs.com" }, []string{"aliyun_sms.endpoint"}},
		{"bad scheme", func(c *Config) { c.Scheme = "ftp" }, []string{"aliyun_sms.scheme"}},
		{"negative", func(c *Config) { c.Timeout, c.Concurrency = -1, -1 }, []string{"aliyun_sms.timeout", "aliyun_sms.concurrency"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mod(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					key, _, _ := strings.Cut(line, " ")
					got = append(got, key)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate keys (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}
