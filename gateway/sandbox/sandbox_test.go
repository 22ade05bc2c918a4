package sandbox_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
)

// Both real SDKs reach their emulator through the one sandbox address.
func TestBothProvidersOnOneAddress(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(sandbox.Config{AppID: "wxsandbox", AppSecret: "s3cret", Token: "tok"}, log)
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	ctx := context.Background()

	sms, err := aliyunsms.New(aliyunsms.Config{
		AccessKeyID: aliyunsms.SandboxAccessKeyID, AccessKeySecret: aliyunsms.SandboxAccessKeySecret,
		SignName: "网格通", Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http",
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sms.Close()
	_, err = sms.Send(ctx, gateway.SMS{Phone: "13812345678", TemplateCode: sandbox.TemplateVisit, OutID: "42",
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

	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	wx, err := wechat.New(wechat.Config{AppID: "wxsandbox", AppSecret: "s3cret", Token: "tok", BaseURL: srv.URL}, rdb, log)
	if err != nil {
		t.Fatal(err)
	}
	sb.WeChat.SetFollower(wechat.Follower{OpenID: "oSandboxResident000000000001", Following: true})
	if _, err := wx.SendTemplate(ctx, gateway.TemplateMessage{ToUser: pii.OpenID("oSandboxResident000000000001"), TemplateID: sandbox.WeChatTemplateNotice,
		Data: map[string]string{"first": "您好", "keyword1": "稳岗补贴申领开始", "keyword2": "李娜", "remark": "回复T退订"}}); err != nil {
		t.Fatalf("template message: %v", err)
	}
	if got := len(sb.WeChat.Sent()); got != 1 {
		t.Errorf("wechat sent %d", got)
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
