package wechat

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/internal/testlog"
)

// callbackServer serves NewCallbackHandler and forwards every Inbound to ch.
func callbackServer(t *testing.T, aesKey string, now func() time.Time, ch chan<- Inbound) *httptest.Server {
	t.Helper()
	h := NewCallbackHandler(Config{AppID: testAppID, Token: testToken, EncodingAESKey: aesKey},
		func(_ context.Context, in Inbound) error { ch <- in; return nil },
		CallbackOptions{Now: now, Log: testlog.New(t)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

var cbNow = time.Date(2025, 3, 1, 10, 0, 0, 0, shanghai)

// signedQuery is the query WeChat sends at ts.
func signedQuery(ts time.Time, nonce string) url.Values {
	s := strconv.FormatInt(ts.Unix(), 10)
	return url.Values{"signature": {Signature(testToken, s, nonce)}, "timestamp": {s}, "nonce": {nonce}, "openid": {string(alice)}}
}

// aesRequest builds a safe-mode POST of inner, signed at ts.
func aesRequest(t testing.TB, inner string, ts time.Time) *http.Request {
	t.Helper()
	q := signedQuery(ts, "77")
	enc, err := Encrypt(testAESKey, testAppID, []byte(inner), nil)
	if err != nil {
		t.Fatal(err)
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), "77", enc))
	body := "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	return httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q.Encode(), strings.NewReader(body))
}

// sealedRequest posts enc as a safe-mode envelope with valid signatures.
func sealedRequest(enc string) *http.Request {
	q := signedQuery(cbNow, "77")
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), "77", enc))
	body := "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	return httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q.Encode(), strings.NewReader(body))
}

func plainRequest(inner string, ts time.Time) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/wechat/callback?"+signedQuery(ts, "42").Encode(), strings.NewReader(inner))
}

const textXML = `<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oAlice0123456789abcdefghijkl]]></FromUserName><CreateTime>1740794400</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[确认走访 ]]]]><![CDATA[> <!DOCTYPE x>]]></Content><MsgId>24000000000000001</MsgId></xml>`

// recorder collects the Inbounds a handler receives.
type recorder struct {
	got  []Inbound
	fail atomic.Int32 // fail this many calls
}

func (r *recorder) handle(_ context.Context, in Inbound) error {
	if r.fail.Load() > 0 {
		r.fail.Add(-1)
		return errors.New("queue down")
	}
	r.got = append(r.got, in)
	return nil
}

func newHandler(aesKey string, rec *recorder) *CallbackHandler {
	return NewCallbackHandler(Config{AppID: testAppID, Token: testToken, EncodingAESKey: aesKey}, rec.handle,
		CallbackOptions{Now: func() time.Time { return cbNow }, MaxBody: 4096, Log: slog.New(testlog.Handler())})
}

func serve(h http.Handler, r *http.Request) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestCallbackEchostr(t *testing.T) {
	t.Parallel()
	h := newHandler(testAESKey, &recorder{})
	q := signedQuery(cbNow, "9")
	q.Set("echostr", "5837397749209113")
	code, body := serve(h, httptest.NewRequest(http.MethodGet, "/wechat/callback?"+q.Encode(), nil))
	if code != 200 || body != "5837397749209113" {
		t.Errorf("echostr: %d %q", code, body)
	}
	q.Set("signature", strings.Repeat("0", 40))
	if code, _ := serve(h, httptest.NewRequest(http.MethodGet, "/wechat/callback?"+q.Encode(), nil)); code != 403 {
		t.Errorf("forged echostr: %d, want 403", code)
	}
}

// failReader fails the test if the body is read.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("body read before the request was authenticated")
	return 0, io.EOF
}

func TestCallbackRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		aesKey string
		req    func(t *testing.T) *http.Request
		want   int
	}{
		{"forged signature", "", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/wechat/callback?signature=deadbeef&timestamp=1740794400&nonce=1", failReader{t})
			return r
		}, 403},
		{"missing signature", "", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/wechat/callback?timestamp=1740794400&nonce=1", failReader{t})
		}, 403},
		{"stale timestamp", "", func(t *testing.T) *http.Request {
			r := plainRequest(textXML, cbNow.Add(-6*time.Minute))
			r.Body = io.NopCloser(failReader{t})
			return r
		}, 403},
		{"future timestamp", "", func(t *testing.T) *http.Request { return plainRequest(textXML, cbNow.Add(6*time.Minute)) }, 403},
		{"forged msg_signature", testAESKey, func(t *testing.T) *http.Request {
			r := aesRequest(t, textXML, cbNow)
			q := r.URL.Query()
			q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), "77", "other"))
			r.URL.RawQuery = q.Encode()
			return r
		}, 403},
		{"plaintext in safe mode", testAESKey, func(t *testing.T) *http.Request { return plainRequest(textXML, cbNow) }, 403},
		{"malformed XML", "", func(t *testing.T) *http.Request { return plainRequest("<xml><MsgType>text", cbNow) }, 400},
		{"not xml root", "", func(t *testing.T) *http.Request { return plainRequest("<foo><MsgType>text</MsgType></foo>", cbNow) }, 400},
		{"DOCTYPE", "", func(t *testing.T) *http.Request {
			return plainRequest(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>&x;</FromUserName><MsgType>text</MsgType></xml>`, cbNow)
		}, 400},
		{"DOCTYPE inside AES", testAESKey, func(t *testing.T) *http.Request {
			return aesRequest(t, `<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName><MsgType>text</MsgType></xml>`, cbNow)
		}, 400},
		{"DOCTYPE in envelope", testAESKey, func(t *testing.T) *http.Request {
			r := aesRequest(t, textXML, cbNow)
			r.Body = io.NopCloser(strings.NewReader(`<!DOCTYPE x><xml><Encrypt>x</Encrypt></xml>`))
			return r
		}, 400},
		{"envelope for another AppID", testAESKey, func(t *testing.T) *http.Request {
			enc, err := Encrypt(testAESKey, "wxsomeoneelse", []byte(textXML), nil)
			if err != nil {
				t.Fatal(err)
			}
			return sealedRequest(enc)
		}, 400},
		{"signed garbage ciphertext", testAESKey, func(t *testing.T) *http.Request {
			return sealedRequest(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64)))
		}, 400},
		{"oversized", "", func(t *testing.T) *http.Request {
			return plainRequest("<xml><Content>"+strings.Repeat("a", 5000)+"</Content></xml>", cbNow)
		}, 413},
		{"method", "", func(t *testing.T) *http.Request { return httptest.NewRequest(http.MethodPut, "/wechat/callback", nil) }, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			code, _ := serve(newHandler(tt.aesKey, rec), tt.req(t))
			if code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
			if len(rec.got) != 0 {
				t.Errorf("handle called for a rejected request: %v", rec.got)
			}
		})
	}
}

func TestCallbackPlainAndAES(t *testing.T) {
	t.Parallel()
	want := []Inbound{{Kind: KindText, MsgID: 24000000000000001, FromOpenID: alice, CreateTime: time.Unix(1740794400, 0),
		Content: "确认走访 ]]> <!DOCTYPE x>", DedupKey: "wechat:msg:24000000000000001"}}
	for _, mode := range []struct {
		name   string
		aesKey string
		req    func() *http.Request
	}{
		{"plaintext", "", func() *http.Request { return plainRequest(textXML, cbNow) }},
		{"aes", testAESKey, func() *http.Request { return aesRequest(t, textXML, cbNow) }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			rec := &recorder{}
			h := newHandler(mode.aesKey, rec)
			for range 3 { // WeChat retries: handled once, answered each time
				code, body := serve(h, mode.req())
				if code != 200 || body != "success" {
					t.Fatalf("got %d %q, want 200 success", code, body)
				}
			}
			if diff := cmp.Diff(want, rec.got); diff != "" {
				t.Errorf("handled (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallbackHandleFailureReleasesKey(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	rec.fail.Store(1)
	h := newHandler("", rec)
	if code, _ := serve(h, plainRequest(textXML, cbNow)); code != 500 {
		t.Fatalf("failing handle: %d, want 500", code)
	}
	if code, body := serve(h, plainRequest(textXML, cbNow)); code != 200 || body != "success" {
		t.Fatalf("retry: %d %q", code, body)
	}
	if len(rec.got) != 1 {
		t.Errorf("handled %d times, want 1", len(rec.got))
	}
}

func TestParseInbound(t *testing.T) {
	t.Parallel()
	head := `<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oAlice0123456789abcdefghijkl]]></FromUserName><CreateTime>1740794400</CreateTime>`
	at := time.Unix(1740794400, 0)
	evKey := func(event string, msgID int64) string {
		in, err := ParseInbound([]byte(head + `<MsgType>event</MsgType><Event>` + event + `</Event>` + fmt.Sprintf("<MsgID>%d</MsgID>", msgID) + `</xml>`))
		if err != nil {
			t.Fatal(err)
		}
		return in.DedupKey
	}
	tests := []struct {
		name string
		xml  string
		want Inbound
	}{
		{"voice", `<MsgType>voice</MsgType><MediaId>m1</MediaId><Format>amr</Format><Recognition>我要退订</Recognition><MsgId>11</MsgId>`,
			Inbound{Kind: KindVoice, MsgID: 11, MediaID: "m1", Recognition: "我要退订", DedupKey: "wechat:msg:11"}},
		{"image", `<MsgType>image</MsgType><PicUrl>http://x/p.jpg</PicUrl><MediaId>m2</MediaId><MsgId>12</MsgId>`,
			Inbound{Kind: KindImage, MsgID: 12, MediaID: "m2", DedupKey: "wechat:msg:12"}},
		{"location", `<MsgType>location</MsgType><Location_X>30.69</Location_X><Location_Y>111.28</Location_Y><Scale>15</Scale><Label><![CDATA[宜昌市西陵区]]></Label><MsgId>13</MsgId>`,
			Inbound{Kind: KindLocation, MsgID: 13, Lat: 30.69, Lng: 111.28, Label: "宜昌市西陵区", DedupKey: "wechat:msg:13"}},
		{"subscribe", `<MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey>`,
			Inbound{Kind: KindSubscribe, Event: "subscribe", DedupKey: evKey("subscribe", 0)}},
		{"unsubscribe", `<MsgType>event</MsgType><Event>unsubscribe</Event>`,
			Inbound{Kind: KindUnsubscribe, Event: "unsubscribe", DedupKey: evKey("unsubscribe", 0)}},
		{"receipt", `<MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>3000000001</MsgID><Status><![CDATA[failed:user block]]></Status>`,
			Inbound{Kind: KindTemplateFinish, Event: "TEMPLATESENDJOBFINISH", Status: "failed:user block", TemplateMsgID: 3000000001,
				DedupKey: evKey("TEMPLATESENDJOBFINISH", 3000000001)}},
		{"click", `<MsgType>event</MsgType><Event>CLICK</Event><EventKey>CONFIRM_VISIT</EventKey>`,
			Inbound{Kind: KindEvent, Event: "CLICK", EventKey: "CONFIRM_VISIT", DedupKey: evKey("CLICK", 0)}},
		{"video", `<MsgType>video</MsgType><MediaId>m3</MediaId><MsgId>14</MsgId>`,
			Inbound{Kind: KindOther, MsgID: 14, DedupKey: "wechat:msg:14"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInbound([]byte(head + tt.xml + `</xml>`))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.FromOpenID, tt.want.CreateTime = alice, at
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(got.DedupKey, string(alice)) {
				t.Errorf("DedupKey %q holds the openid", got.DedupKey)
			}
		})
	}
	if evKey("TEMPLATESENDJOBFINISH", 1) == evKey("TEMPLATESENDJOBFINISH", 2) {
		t.Error("two receipts in one second share a DedupKey")
	}
}

func TestInboundLogValueMasks(t *testing.T) {
	t.Parallel()
	in := Inbound{Kind: KindText, FromOpenID: alice, Content: "住址 某某小区3栋"}
	s := in.LogValue().String()
	if strings.Contains(s, string(alice)) || strings.Contains(s, "某某小区") {
		t.Errorf("LogValue leaks personal data: %s", s)
	}
}

func FuzzParseInbound(f *testing.F) {
	f.Add([]byte(textXML))
	f.Add([]byte(`<xml><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>1</MsgID></xml>`))
	f.Add([]byte(`<!DOCTYPE x><xml/>`))
	f.Add([]byte(`<xml><![CDATA[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseInbound(b)
	})
}

// Refused hears the reason of each refusal, and nothing of an accepted
// message.
func TestCallbackRefusedHook(t *testing.T) {
	t.Parallel()
	var reasons []string
	h := NewCallbackHandler(Config{AppID: testAppID, Token: testToken}, (&recorder{}).handle,
		CallbackOptions{Now: func() time.Time { return cbNow }, Log: testlog.New(t), Refused: func(r string) { reasons = append(reasons, r) }})
	serve(h, httptest.NewRequest(http.MethodPost, "/wechat/callback?signature=deadbeef&timestamp=1740794400&nonce=1", nil))
	serve(h, plainRequest(textXML, cbNow.Add(-6*time.Minute)))
	serve(h, plainRequest("<xml><MsgType>text", cbNow))
	if code, _ := serve(h, plainRequest(textXML, cbNow)); code != 200 {
		t.Fatalf("a good message answered %d", code)
	}
	if want := []string{"bad_signature", "stale_timestamp", "malformed_xml"}; !slices.Equal(reasons, want) {
		t.Errorf("refusals heard %q, want %q", reasons, want)
	}
}

// A message posted again with its MsgId — WeChat's retry, or a captured
// post replayed inside the freshness window, signed anew or not — is
// answered "success", handled once and counted as a duplicate; a replay
// past the window is refused before anything is read.
func TestCallbackReplayedMsgID(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var dups int
	var reasons []string
	h := NewCallbackHandler(Config{AppID: testAppID, Token: testToken}, rec.handle,
		CallbackOptions{Now: func() time.Time { return cbNow }, Duplicate: func() { dups++ },
			Refused: func(r string) { reasons = append(reasons, r) }})
	for i, at := range []time.Time{cbNow, cbNow, cbNow.Add(-time.Minute), cbNow.Add(-6 * time.Minute)} {
		want := 200
		if i == 3 {
			want = 403
		}
		if code, _ := serve(h, plainRequest(textXML, at)); code != want {
			t.Errorf("post %d: %d, want %d", i, code, want)
		}
	}
	if len(rec.got) != 1 || dups != 2 || !slices.Equal(reasons, []string{"stale_timestamp"}) {
		t.Errorf("handled %d, %d duplicates, refusals %q; want 1, 2, [stale_timestamp]", len(rec.got), dups, reasons)
	}
}
