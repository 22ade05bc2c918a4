package queue_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridcast/gridcast/queue"
)

// BenchmarkDeskCallback posts residents' WeChat messages, signed and
// AES-encrypted as WeChat does, to the real callback handler over HTTP
// (verify, decrypt, parse, dedupe, enqueue on real Redis) from 16
// concurrent clients, and the same posts to a bare net/http handler that
// only reads the body and answers "success", in the same run. It reports
// replies/s and the p99 latency to the acknowledgement for both, their
// ratio, and how fast the desk then turns the queued messages into
// tickets (handled/s, until the queues are still).
func BenchmarkDeskCallback(b *testing.B) {
	if os.Getenv("GRIDCAST_TEST_REDIS") == "" {
		b.Skip("GRIDCAST_TEST_REDIS unset: the benchmark needs a real Redis")
	}
	const posts, clients = 2000, 16
	e := setup(b, queue.Config{}, 10)
	var openids []string
	for _, r := range e.res {
		if onWeChat(r) {
			openids = append(openids, string(r.OpenID))
		}
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "success")
	}))
	defer bare.Close()
	type req struct{ query, body string }
	// The callback's dedupe outlives a run: ids of this run's own.
	base := time.Now().UnixNano()
	build := func(round int) []req {
		out := make([]req, posts)
		for i := range out {
			inner := wxTextXML(openids[i%len(openids)], fmt.Sprintf("楼下垃圾桶满了没人清理 %d", i), base+int64(round*posts+i), time.Now())
			var q url.Values
			var body string
			wxPostPrepared(b, inner, &q, &body)
			out[i] = req{q.Encode(), body}
		}
		return out
	}
	run := func(base string, rs []req) (time.Duration, []time.Duration) {
		lat := make([]time.Duration, len(rs))
		var wg sync.WaitGroup
		next := make(chan int)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for i := range next {
					t0 := time.Now()
					resp, err := client.Post(base+"?"+rs[i].query, "text/xml", strings.NewReader(rs[i].body))
					if err != nil {
						b.Error(err)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat[i] = time.Since(t0)
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
					}
				}
			})
		}
		for i := range rs {
			next <- i
		}
		close(next)
		wg.Wait()
		client.CloseIdleConnections()
		return time.Since(start), lat
	}
	p99 := func(lat []time.Duration) float64 {
		s := slices.Clone(lat)
		slices.Sort(s)
		return float64(s[len(s)*99/100].Microseconds()) / 1000
	}
	var realTime, bareTime, drain time.Duration
	var realLat, bareLat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		rs := build(i)
		bt, bl := run(bare.URL, rs)
		t0 := time.Now()
		rt, rl := run(prov.hook.URL+"/wechat/callback-aes", rs)
		e.waitFor("the desk to drain", 10*time.Minute, func() bool { return e.still() })
		drain += time.Since(t0)
		realTime, bareTime = realTime+rt, bareTime+bt
		realLat, bareLat = append(realLat, rl...), append(bareLat, bl...)
	}
	b.StopTimer()
	n := float64(posts * b.N)
	b.ReportMetric(n/realTime.Seconds(), "replies/s")
	b.ReportMetric(n/bareTime.Seconds(), "bare_replies/s")
	b.ReportMetric(bareTime.Seconds()/realTime.Seconds(), "ratio")
	b.ReportMetric(p99(realLat), "p99_ms")
	b.ReportMetric(p99(bareLat), "bare_p99_ms")
	b.ReportMetric(n/drain.Seconds(), "handled/s")
}

// wxPostPrepared builds the query and body wxPost would send for inner.
func wxPostPrepared(tb testing.TB, inner string, q *url.Values, body *string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	enc := wxEncrypt(tb, wxAESKey, wxAppID, []byte(inner))
	*q = url.Values{"timestamp": {ts}, "nonce": {nonce}, "openid": {"x"}, "encrypt_type": {"aes"},
		"signature": {wxSignature(wxToken, ts, nonce)}, "msg_signature": {wxSignature(wxToken, ts, nonce, enc)}}
	*body = "<xml><ToUserName><![CDATA[gh_grid]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
}
