package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
)

// Both real SDKs reach their emulator through the one sandbox address.
func TestBothProvidersOnOneAddress(t *testing.T) {
	sb := sandbox.New(config(""), testlog.New(t))
	defer sb.Close()
	install(t, sb)
	ctx := context.Background()
	c := newClients(t)
	sms, wx := c.sms, c.wx

	_, err := sms.Send(ctx, gateway.SMS{Phone: "13812345678", TemplateCode: sandbox.TemplateVisit, OutID: "42",
		Params: map[string]string{"name": "张先生", "worker": "李娜", "slot": "3月16日(周一) 14:00", "phone": "13900001111"}})
	if err != nil {
		t.Fatalf("visit SMS: %v", err)
	}
	sent := sb.SMS.Sent()
	if len(sent) != 1 || !strings.Contains(sent[0].Content, "【网格通】") || !strings.Contains(sent[0].Content, "李娜") {
		t.Fatalf("sent = %+v", sent)
	}
	// An unapproved template is refused as the real service does.
	_, err = sms.Send(ctx, gateway.SMS{Phone: "13812345678", TemplateCode: "SMS_GRID_PROMO", Params: map[string]string{"name": "x", "offer": "y"}})
	if gateway.ClassOf(err) != gateway.Config {
		t.Errorf("unapproved template: %v", err)
	}

	sb.WeChat.SetFollower(wechat.Follower{OpenID: "oSandboxResident000000000001", Following: true})
	if _, err := wx.SendTemplate(ctx, gateway.TemplateMessage{ToUser: pii.OpenID("oSandboxResident000000000001"), TemplateID: sandbox.WeChatTemplateNotice,
		Data: map[string]string{"keyword1": "稳岗补贴申领开始", "keyword2": "李娜", "keyword3": "回T退订"}}); err != nil {
		t.Fatalf("template message: %v", err)
	}
	wxSent := sb.WeChat.Sent()
	if len(wxSent) != 1 {
		t.Fatalf("wechat sent %d", len(wxSent))
	}
	if diff := cmp.Diff([]string{"通知内容：稳岗补贴申领开始", "网格员：李娜", "回复方式：回T退订"}, wxSent[0].Shown); diff != "" {
		t.Errorf("the resident's phone shows (-want +got):\n%s", diff)
	}
}

// The sandbox's WeChat shows what campaigns.WeChatDisplay predicts: the
// preview and the campaign checks rest on that prediction, the emulator on
// its own reading of WeChat's rules.
//
// silenceper/wechat talks to one origin per process (the test above holds
// it), so this test speaks the wire protocol itself.
func TestWeChatShowsWhatCampaignsPredict(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Config{AppID: "wxsandbox", AppSecret: "s3cret", Token: "tok"}, testlog.New(t))
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := srv.Client().Post(srv.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	tok := post("/cgi-bin/stable_token", map[string]string{"grant_type": "client_credential", "appid": "wxsandbox", "secret": "s3cret"})
	token, _ := tok["access_token"].(string)
	const to = "oSandboxResident000000000002"
	sb.WeChat.SetFollower(wechat.Follower{OpenID: to, Following: true})
	values := []string{
		"青岛港机电招电工焊工各10名，月薪6千起",
		"青岛港机电公司招聘电工、焊工各10名，月薪6000元起",
		strings.Repeat("长", 20), strings.Repeat("长", 21),
		"Room 1203 Building 7 Block B 春风行动招聘会开始啦",
		"李娜 13987654321", "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0U1V2W3X4Y5Z6",
		"招聘会🎉开始啦👍🏻👨‍👩‍👧🇨🇳☎️", "A🎉B 一二三四五六七八九十一二三四五六七八九",
		"第一行\n第二行\r\n\n第三行", "  前后有空格  ", "6.5 km，3:00 p.m.，No.7",
		"全角１２３ＡＢＣ一二三四五六七八九十一二三四五", "回复1报名，回复2咨询，回T退订",
	}
	for _, tpl := range sandbox.WeChatTemplates() {
		ct := campaigns.Template{Code: tpl.ID, Content: tpl.Content}
		for i := range values {
			data := map[string]string{"first": "您好", "remark": "谢谢"}
			for j, p := range ct.Params() {
				data[p] = values[(i+j)%len(values)]
			}
			body := map[string]any{"touser": to, "template_id": tpl.ID, "data": map[string]any{}}
			for k, v := range data {
				body["data"].(map[string]any)[k] = map[string]string{"value": v}
			}
			if got := post("/cgi-bin/message/template/send?access_token="+token, body); got["errcode"] != 0.0 {
				t.Fatalf("%s with %q: %v", tpl.ID, data, got)
			}
			sent := sb.WeChat.Sent()
			got := sent[len(sent)-1]
			if diff := cmp.Diff(campaigns.WeChatDisplay(ct, data), got.Shown); diff != "" {
				t.Errorf("%s with %q: campaigns.WeChatDisplay (-) and the emulator (+) disagree:\n%s", tpl.ID, data, diff)
			}
			if diff := cmp.Diff(campaigns.WeChatDisplay(campaigns.Template{}, data), fieldsInOrder(ct, got.Data)); diff != "" {
				t.Errorf("%s with %q: fields (-want +got):\n%s", tpl.ID, data, diff)
			}
		}
	}
}

// fieldsInOrder lists data's values in the order of t's fields.
func fieldsInOrder(t campaigns.Template, data map[string]string) []string {
	var out []string
	for _, p := range t.Params() {
		if v, ok := data[p]; ok {
			out = append(out, v)
		}
	}
	return out
}

// The sandbox's WeChat templates are category templates: no first or
// remark, a label on every line, and the reply hint, the worker and the
// visit slot each in a field of their own.
func TestWeChatTemplatesShowEveryField(t *testing.T) {
	for _, tpl := range sandbox.WeChatTemplates() {
		ct := campaigns.Template{Code: tpl.ID, Content: tpl.Content}
		for _, p := range ct.Params() {
			if campaigns.WeChatHidden(p) {
				t.Errorf("%s has %s, which WeChat does not show: %s", tpl.ID, p, tpl.Content)
			}
		}
		for _, line := range strings.Split(tpl.Content, "\n") {
			if !strings.Contains(line, "：{{") {
				t.Errorf("%s: line %q has no label", tpl.ID, line)
			}
		}
		if ex := strings.Split(tpl.Example, "\n"); len(ex) != len(ct.Params()) {
			t.Errorf("%s: the example has %d lines for %d fields", tpl.ID, len(ex), len(ct.Params()))
		}
		for _, line := range strings.Split(tpl.Example, "\n") {
			_, v, _ := strings.Cut(line, "：")
			if shown := campaigns.WeChatField(v); shown != v {
				t.Errorf("%s: the example's %q would show as %q", tpl.ID, v, shown)
			}
		}
	}
}

// Every sandbox notice template a resident receives passes the campaign
// trust rules: the worker's name and an opt-out hint. The opt-out
// confirmation names the worker but has nothing left to opt out of; the
// worker notification goes to staff.
func TestTemplatesCarryWorkerAndOptOut(t *testing.T) {
	for _, tpl := range sandbox.SMSTemplates() {
		if tpl.Type != aliyunsms.TemplateNotice || !tpl.Approved || tpl.Code == sandbox.TemplateNotify {
			continue
		}
		hint := strings.Contains(tpl.Content, "回T退订") || tpl.Code == sandbox.TemplateUnsub
		if !strings.Contains(tpl.Content, "${worker}") || !hint {
			t.Errorf("%s lacks the worker's name or the opt-out hint: %s", tpl.Code, tpl.Content)
		}
		ct := campaigns.Template{Code: tpl.Code, Content: tpl.Content, Approved: true}
		if len(ct.Params()) == 0 {
			t.Errorf("%s has no parameters", tpl.Code)
		}
	}
}

// The emulator pushes Aliyun's delivery reports to the report URL with
// the push token that URL carries when registered with Aliyun.
func TestReportsCarryThePushToken(t *testing.T) {
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Path + "?" + r.URL.RawQuery
		_, _ = io.WriteString(w, aliyunsms.AckBody)
	}))
	defer hook.Close()
	cfg := config(hook.URL)
	cfg.PushToken = "tok+en/0123456789"
	sb := sandbox.New(cfg, testlog.New(t))
	defer sb.Close()
	install(t, sb)
	c := newClients(t)
	if _, err := c.sms.Send(t.Context(), gateway.SMS{Phone: "13800000001", TemplateCode: sandbox.TemplateJob,
		Params: map[string]string{"name": "张先生", "job": "保安", "detail": "月薪五千", "reply": "回复1", "worker": "王芳", "phone": "13900000000"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-got:
		if want := "/aliyun/sms/report?token=tok%2Ben%2F0123456789"; u != want {
			t.Errorf("report pushed to %s, want %s", u, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report pushed")
	}
}
