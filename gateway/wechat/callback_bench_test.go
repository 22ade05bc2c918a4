package wechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkCallback measures signed AES-mode posts through the callback
// handler (signature, freshness, msg_signature, decrypt, parse, dedup,
// handle) next to a bare net/http handler that only reads the body and
// answers "success", in the same loop. It reports both rates and their
// ratio (x_bare: how many times slower the real handler is).
func BenchmarkCallback(b *testing.B) {
	for _, size := range []int{16, 2048} {
		b.Run(fmt.Sprintf("content=%dB", size), func(b *testing.B) {
			const variants = 64
			type pre struct{ target, body string }
			posts := make([]pre, variants)
			for i := range posts {
				inner := fmt.Sprintf(`<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>`,
					alice, cbNow.Unix(), strings.Repeat("办", size/3), 24000000000000000+i)
				r := aesRequest(b, inner, cbNow)
				body, _ := io.ReadAll(r.Body)
				posts[i] = pre{r.URL.RequestURI(), string(body)}
			}
			h := NewCallbackHandler(Config{AppID: testAppID, Token: testToken, EncodingAESKey: testAESKey},
				func(context.Context, Inbound) error { return nil },
				CallbackOptions{Now: func() time.Time { return cbNow },
					Dedup: func(context.Context, string) (bool, error) { return true, nil }})
			bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, "success")
			})
			var tBare, tReal time.Duration
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				p := posts[n%variants]
				n++
				r1, w1 := httptest.NewRequest(http.MethodPost, p.target, strings.NewReader(p.body)), httptest.NewRecorder()
				r2, w2 := httptest.NewRequest(http.MethodPost, p.target, strings.NewReader(p.body)), httptest.NewRecorder()
				t0 := time.Now()
				bare.ServeHTTP(w1, r1)
				t1 := time.Now()
				h.ServeHTTP(w2, r2)
				tReal += time.Since(t1)
				tBare += t1.Sub(t0)
				if w2.Code != http.StatusOK {
					b.Fatalf("handler answered %d %q", w2.Code, w2.Body)
				}
			}
			b.ReportMetric(float64(n)/tReal.Seconds(), "replies/s")
			b.ReportMetric(float64(n)/tBare.Seconds(), "bare_replies/s")
			b.ReportMetric(tReal.Seconds()/tBare.Seconds(), "x_bare")
		})
	}
}
