package aliyunsms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

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
