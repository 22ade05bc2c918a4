package wechat

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/pii"
)

// capturedPush is one raw callback the emulator sent.
type capturedPush struct {
	query url.Values
	body  []byte
}

func captureServer(t *testing.T) (*httptest.Server, <-chan capturedPush) {
	t.Helper()
	ch := make(chan capturedPush, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- capturedPush{r.URL.Query(), b}
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// TestReceiptSafeMode checks the TEMPLATESENDJOBFINISH push on the wire
// with envelope.go alone: signature, msg_signature, AES envelope, XML.
func TestReceiptSafeMode(t *testing.T) {
	cb, pushes := captureServer(t)
	f := newFixture(t, func(c *EmulatorConfig) {
		c.CallbackURL = cb.URL
		c.EncodingAESKey = testAESKey
		c.ReceiptDelay = 10 * time.Millisecond
	})
	f.emu.SetFollower(Follower{OpenID: bob, Following: true, Blocked: true})
	f.emu.FailReceipts(1)
	want := map[int64]string{}
	for _, to := range []struct {
		openid string
		status string
	}{{string(alice), "failed: system failed"}, {string(alice), "success"}, {string(bob), "failed:user block"}} {
		id, err := f.client.SendTemplate(t.Context(), notice(pii.OpenID(to.openid)))
		if err != nil {
			t.Fatal(err)
		}
		want[id] = to.openid + " " + to.status
	}
	got := map[int64]string{}
	for range want {
		p := waitFor(t, pushes)
		q := p.query
		if q.Get("encrypt_type") != "aes" {
			t.Fatalf("encrypt_type = %q, want aes", q.Get("encrypt_type"))
		}
		if !VerifySignature(q.Get("signature"), testToken, q.Get("timestamp"), q.Get("nonce")) {
			t.Error("bad signature")
		}
		var env struct {
			ToUserName string `xml:"ToUserName"`
			Encrypt    string `xml:"Encrypt"`
		}
		if err := xml.Unmarshal(p.body, &env); err != nil {
			t.Fatal(err)
		}
		if !VerifySignature(q.Get("msg_signature"), testToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			t.Error("bad msg_signature")
		}
		inner, err := Decrypt(testAESKey, testAppID, env.Encrypt)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			ToUserName, FromUserName, MsgType, Event, Status string
			CreateTime                                       int64
			MsgID                                            int64
		}
		if err := xml.Unmarshal(inner, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ToUserName != f.emu.OriginalID() || env.ToUserName != f.emu.OriginalID() || ev.MsgType != "event" ||
			ev.Event != "TEMPLATESENDJOBFINISH" || ev.CreateTime != f.clock.Now().Unix() {
			t.Errorf("receipt fields: %+v", ev)
		}
		got[ev.MsgID] = ev.FromUserName + " " + ev.Status
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("receipts (-want +got):\n%s", diff)
	}
}

// TestEmulatorToCallbackHandler runs pushes through the real handler.
func TestEmulatorToCallbackHandler(t *testing.T) {
	for _, key := range []string{"", testAESKey} {
		t.Run("aes="+strconv.FormatBool(key != ""), func(t *testing.T) {
			got := make(chan Inbound, 8)
			clock := newClock()
			cb := callbackServer(t, key, clock.Now, got)
			f := newFixture(t, func(c *EmulatorConfig) { c.CallbackURL = cb.URL; c.EncodingAESKey = key; c.Now = clock.Now })
			ctx := t.Context()
			if err := f.emu.Follow(ctx, "oDave0123456789abcdefghijklm"); err != nil {
				t.Fatal(err)
			}
			if in := waitFor(t, got); in.Kind != KindSubscribe || in.FromOpenID != "oDave0123456789abcdefghijklm" {
				t.Errorf("follow: %+v", in)
			}
			id, err := f.client.SendTemplate(ctx, notice("oDave0123456789abcdefghijklm"))
			if err != nil {
				t.Fatal(err)
			}
			if in := waitFor(t, got); in.Kind != KindTemplateFinish || in.TemplateMsgID != id || in.Status != "success" {
				t.Errorf("receipt: %+v", in)
			}
			if err := f.emu.Unfollow(ctx, "oDave0123456789abcdefghijklm"); err != nil {
				t.Fatal(err)
			}
			if in := waitFor(t, got); in.Kind != KindUnsubscribe {
				t.Errorf("unfollow: %+v", in)
			}
			_, err = f.client.SendTemplate(ctx, notice("oDave0123456789abcdefghijklm"))
			if se := sendErr(t, err); se.Code != "43004" {
				t.Errorf("after unfollow: %v, want 43004", err)
			}
		})
	}
}

func TestEmulatorRawProtocol(t *testing.T) {
	t.Parallel()
	emu := NewEmulator(EmulatorConfig{AppID: testAppID, AppSecret: testSecret, Templates: testTemplates}, nil)
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	get := func(path string) string {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("/cgi-bin/token?grant_type=client_credential&appid=wxnope&secret=x"); !strings.Contains(got, `"errcode":40013`) {
		t.Errorf("bad appid: %s", got)
	}
	if got := get("/cgi-bin/token?grant_type=client_credential&appid=" + testAppID + "&secret=x"); !strings.Contains(got, `"errcode":40125`) {
		t.Errorf("bad secret: %s", got)
	}
	if got := get("/cgi-bin/token?grant_type=client_credential&appid=" + testAppID + "&secret=" + testSecret); !strings.Contains(got, `"expires_in":7200`) {
		t.Errorf("token: %s", got)
	}
	if got := get("/cgi-bin/template/get_all_private_template?access_token=forged"); !strings.Contains(got, `"errcode":40001`) {
		t.Errorf("forged token: %s", got)
	}
	if got := get("/cgi-bin/template/get_all_private_template"); !strings.Contains(got, `"errcode":41001`) {
		t.Errorf("missing token: %s", got)
	}
}

// The emulator accepts what WeChat accepts and records what the phone
// shows: no first or remark, each field on one line and cut to 20
// characters with an ellipsis (a run of Latin letters or digits counts as
// one), emoji dropped.
func TestEmulatorShowsWhatWeChatShows(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name      string
		data      map[string]string
		wantData  map[string]string
		wantShown []string
	}{
		{name: "first and remark are not shown",
			data:      map[string]string{"first": "张先生您好", "keyword1": "就业培训", "keyword2": "3月5日", "remark": "回复1报名"},
			wantData:  map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"},
			wantShown: []string{"事项：就业培训", "时间：3月5日"}},
		{name: "first and remark may be left out",
			data:      map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"},
			wantData:  map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"},
			wantShown: []string{"事项：就业培训", "时间：3月5日"}},
		{name: "cut at 20 characters",
			data:      map[string]string{"keyword1": "青岛港机电公司招聘电工、焊工各10名，月薪6000元起", "keyword2": strings.Repeat("时", 20)},
			wantData:  map[string]string{"keyword1": "青岛港机电公司招聘电工、焊工各10名，月薪…", "keyword2": strings.Repeat("时", 20)},
			wantShown: []string{"事项：青岛港机电公司招聘电工、焊工各10名，月薪…", "时间：" + strings.Repeat("时", 20)}},
		{name: "latin and digit runs count as one",
			data:      map[string]string{"keyword1": "Room 1203 Building 7 Block B 春风行动", "keyword2": "电话13987654321"},
			wantData:  map[string]string{"keyword1": "Room 1203 Building 7 Block B 春风行动", "keyword2": "电话13987654321"},
			wantShown: []string{"事项：Room 1203 Building 7 Block B 春风行动", "时间：电话13987654321"}},
		{name: "emoji dropped, one line",
			data:      map[string]string{"keyword1": "招聘会🎉开始啦👍🏻", "keyword2": "3月5日\n下午\r\n两点"},
			wantData:  map[string]string{"keyword1": "招聘会开始啦", "keyword2": "3月5日 下午 两点"},
			wantShown: []string{"事项：招聘会开始啦", "时间：3月5日 下午 两点"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := notice(alice)
			m.Data = tt.data
			id, err := f.client.SendTemplate(t.Context(), m)
			if err != nil {
				t.Fatalf("SendTemplate: %v (WeChat accepts it)", err)
			}
			sent := f.emu.Sent()
			got := sent[len(sent)-1]
			if got.MsgID != id {
				t.Fatalf("last sent is %d, want %d", got.MsgID, id)
			}
			if diff := cmp.Diff(tt.wantData, got.Data); diff != "" {
				t.Errorf("Data (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantShown, got.Shown); diff != "" {
				t.Errorf("Shown (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.data, got.RawData); diff != "" {
				t.Errorf("RawData (-want +got):\n%s", diff)
			}
		})
	}
}
