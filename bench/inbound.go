package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

// The inbound case: residents' WeChat replies, signed and encrypted in
// safe mode as WeChat sends them, posted by concurrent clients over HTTP
// to the real callback handler (verify, decrypt, parse, dedupe, enqueue on
// Redis), then turned into tickets by the real queue server and desk.
//
// It reports the acknowledgements per second and their p99 latency for the
// product's handler and for a bare net/http handler that only reads the
// body and answers "success" (the baseline), and the tickets persisted per
// second, from the first post until the last ticket is in the store. The
// ratio is tickets/s over the product's acks/s: whether the desk keeps up
// with what the callback takes in (at least half). cpu_ms_per_reply is the
// bench process's CPU time (callback, queue, desk; not Redis or the
// database) per reply from the first post to the last ticket: on a shared
// machine it moves less than the rates do.
func init() {
	register(Case{Name: "inbound", Store: true, Run: runInbound})
}

// inboundClients is how many posts are in flight at once, as WeChat's
// push servers hold several connections open.
const inboundClients = 16

func runInbound(ctx context.Context, e *Env) ([]Result, error) {
	posts := e.Size(3_000, 50_000)
	st, err := e.Store(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := e.Seed(ctx, st, e.Size(20_000, 200_000)); err != nil {
		return nil, err
	}
	openids, err := inboundFollowers(ctx, st, posts)
	if err != nil {
		return nil, err
	}
	rdb, err := e.Redis(ctx)
	if err != nil {
		return nil, err
	}
	sb, addr, err := e.Sandbox("")
	if err != nil {
		return nil, err
	}
	// They have just written: the customer-service window is open for the
	// desk's acknowledgements, as it would be on WeChat.
	for _, o := range openids {
		sb.WeChat.SetFollower(wechat.Follower{OpenID: pii.OpenID(o), Following: true, LastMessage: time.Now()})
	}
	wx, err := e.WeChatClient(addr, rdb)
	if err != nil {
		return nil, err
	}
	sms, err := e.SMSClient(addr, 8)
	if err != nil {
		return nil, err
	}
	// The queue's defaults; no scheduler tick: the case runs no campaign.
	cfg := queue.Config{TickSpec: "-"}
	enq := queue.NewEnqueuer(rdb, cfg)
	e.Defer(func() { _ = enq.Close() })
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: st, Dispatcher: enq, Log: e.Log})
	if err != nil {
		return nil, err
	}
	srv, err := queue.NewServer(rdb, cfg, queue.Deps{Ledger: st, Audience: st, SMS: sms, WeChat: wx, Desk: dk}, e.Log)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	e.Defer(func() {
		stop()
		<-done
	})

	product := wechat.NewCallbackHandler(wechat.Config{AppID: AppID, Token: Token, EncodingAESKey: AESKey},
		wechat.ToSink(srv.Enqueuer()), wechat.CallbackOptions{})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "success")
	})
	productURL, err := inboundListen(e, product)
	if err != nil {
		return nil, err
	}
	bareURL, err := inboundListen(e, bare)
	if err != nil {
		return nil, err
	}

	// The same posts to both; the callback's dedupe would drop the second
	// round of the product's, and the bare handler reads only bytes.
	reqs, err := wechatPosts(openids, posts)
	if err != nil {
		return nil, err
	}
	bareTook, bareLat, err := inboundPost(ctx, bareURL, reqs)
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	start, cpu0 := time.Now(), processCPU()
	took, lat, err := inboundPost(ctx, productURL, reqs)
	if err != nil {
		return nil, fmt.Errorf("callback handler: %w", err)
	}
	last, err := waitTickets(ctx, st, posts, start)
	if err != nil {
		return nil, err
	}
	cpu := processCPU() - cpu0
	n := float64(posts)
	acks, bareAcks := n/took.Seconds(), n/bareTook.Seconds()
	ticketsPerSec := n / last.Sub(start).Seconds()
	return []Result{{
		Metrics: []Metric{{"acks_per_s", acks}, {"p99_ack_ms", inboundP99ms(lat)},
			{"bare_acks_per_s", bareAcks}, {"bare_p99_ack_ms", inboundP99ms(bareLat)},
			{"tickets_per_s", ticketsPerSec},
			{"cpu_ms_per_reply", float64(cpu) / float64(time.Millisecond) / n}, {"posts", n}},
		Baseline: Metric{Name: "bare_acks_per_s", Value: bareAcks},
		Ratio:    ticketsPerSec / acks,
		Target:   0.5,
	}}, nil
}

// inboundFollowers are the openids of up to n residents who follow the account,
// one each.
func inboundFollowers(ctx context.Context, st *store.Store, n int) ([]string, error) {
	var out []string
	errEnough := errors.New("enough")
	err := st.StreamSegment(ctx, "channel:wechat", 0, 1000, func(rs []population.Resident) error {
		for _, r := range rs {
			if !slices.Contains(r.OptOuts, population.TopicAll) {
				out = append(out, string(r.OpenID))
			}
			if len(out) == n {
				return errEnough
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	if len(out) < n {
		return nil, fmt.Errorf("the seeded city has %d WeChat followers, the case posts from %d", len(out), n)
	}
	return out, nil
}

// inboundListen serves h on a loopback port until the case ends and returns its
// base URL.
func inboundListen(e *Env, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.Defer(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// wechatPost is one push as WeChat sends it in safe mode.
type wechatPost struct{ query, body string }

// wechatPosts builds one question per follower, encrypted and signed,
// ahead of the timed runs. The message ids are this run's own.
func wechatPosts(openids []string, n int) ([]wechatPost, error) {
	base := time.Now().UnixNano()
	out := make([]wechatPost, n)
	for i := range out {
		now := time.Now()
		inner := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_grid]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
			"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
			openids[i], now.Unix(), fmt.Sprintf("楼下垃圾桶满了没人清理 %d", i), base+int64(i))
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := wechat.Encrypt(AESKey, AppID, []byte(inner), random)
		if err != nil {
			return nil, err
		}
		ts, nonce := strconv.FormatInt(now.Unix(), 10), strconv.Itoa(i)
		q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "openid": {openids[i]}, "encrypt_type": {"aes"},
			"signature": {wechat.Signature(Token, ts, nonce)}, "msg_signature": {wechat.Signature(Token, ts, nonce, enc)}}
		out[i] = wechatPost{q.Encode(), "<xml><ToUserName><![CDATA[gh_grid]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"}
	}
	return out, nil
}

// inboundPost sends reqs to base from inboundClients clients and returns how long
// all took and each one's latency to its answer.
func inboundPost(ctx context.Context, base string, reqs []wechatPost) (time.Duration, []time.Duration, error) {
	lat := make([]time.Duration, len(reqs))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: inboundClients}}
	defer client.CloseIdleConnections()
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	start := time.Now()
	for range inboundClients {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				err := inboundPostOne(ctx, client, base+"?"+reqs[i].query, reqs[i].body)
				lat[i] = time.Since(t0)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		return 0, nil, fmt.Errorf("%d of %d posts failed, first: %w", len(errs), len(reqs), errs[0])
	}
	return took, lat, nil
}

func inboundPostOne(ctx context.Context, client *http.Client, u, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != "success" {
		return fmt.Errorf("status %d, answer %q", resp.StatusCode, got)
	}
	return nil
}

// inboundPatience is how long the desk may take without opening a ticket
// before the case gives up on it.
const inboundPatience = time.Minute

// waitTickets polls the store until want tickets are open and returns when
// the last one was seen (within the poll period of when it was stored).
// It counts rather than pages by id: on PostgreSQL ids are drawn before
// commit, so a ticket can appear below one already seen.
func waitTickets(ctx context.Context, st *store.Store, want int, since time.Time) (time.Time, error) {
	const poll = 100 * time.Millisecond
	var seen int
	progress := time.Now()
	for {
		bl, err := st.TicketBacklog(ctx, time.Now())
		if err != nil {
			return time.Time{}, err
		}
		n := 0
		for _, b := range bl {
			n += b.Open
		}
		if n > seen {
			seen, progress = n, time.Now()
		}
		if seen >= want {
			return time.Now(), nil
		}
		if time.Since(progress) > inboundPatience {
			return time.Time{}, fmt.Errorf("%d of %d tickets after %s: the desk stopped opening tickets",
				seen, want, time.Since(since).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// inboundP99ms is the 99th percentile of lat in milliseconds.
func inboundP99ms(lat []time.Duration) float64 {
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[len(s)*99/100]) / float64(time.Millisecond)
}
