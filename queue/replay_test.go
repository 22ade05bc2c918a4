package queue_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/tickets"
)

// Replays of captured pushes, end to end: a push sent again after it was
// taken changes nothing, on either store. The webhooks here have no memory
// of what they took (serve's lives in Redis for a day: this is a replay
// after it, or after Redis lost it), so what stands between a replay and a
// second action is the queue's task ids and, once Asynq has forgotten
// those, the desk's record of each inbound message and the ledger's
// forward-only moves.

// replayPushToken is the push token the test's webhooks require and its
// sandbox pushes with.
const replayPushToken = "replay-test-push-token-0123"

// capturingHook serves the webhooks as serve does (token checked, the real
// handlers, the queue's Enqueuer behind them) and keeps a copy of every
// request that reached them, to be replayed.
type capturingHook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []capturedPush
}

type capturedPush struct {
	path, query string
	body        []byte
}

func (h *capturingHook) pushes(path string) []capturedPush {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []capturedPush
	for _, p := range h.got {
		if p.path == path {
			out = append(out, p)
		}
	}
	return out
}

// replayHook starts a capturingHook and puts a sandbox pushing to it in
// place of the one setup made.
func (e *env) replayHook(t *testing.T) *capturingHook {
	t.Helper()
	h := &capturingHook{}
	opts := aliyunsms.PushOptions{Secret: replayPushToken, Log: quiet}
	mux := http.NewServeMux()
	mux.Handle("/aliyun/sms/report", aliyunsms.NewReportHandler(aliyunsms.ReportsTo(lazySink{}), opts))
	mux.Handle("/aliyun/sms/up", aliyunsms.NewUplinkHandler(aliyunsms.UplinksTo(lazySink{}), opts))
	mux.Handle("/wechat/callback", wechat.NewCallbackHandler(wechat.Config{AppID: wxAppID, Token: wxToken}, wechat.ToSink(lazySink{}),
		wechat.CallbackOptions{Log: quiet}))
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, capturedPush{path: r.URL.Path, query: r.URL.RawQuery, body: body})
		h.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	sb := sandbox.New(sandbox.Config{AppID: wxAppID, AppSecret: wxSecret, Token: wxToken,
		CallbackBase: h.srv.URL, PushToken: replayPushToken, DeliveryDelay: 50 * time.Millisecond}, quiet)
	for _, r := range e.res {
		if r.OpenID != "" {
			sb.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true})
		}
	}
	prov.sb.Swap(sb).Close()
	e.sb = sb
	return h
}

// replay posts p again to the hook, as captured, and wants it taken.
func (h *capturingHook) replay(t *testing.T, p capturedPush) {
	t.Helper()
	resp, err := http.Post(h.srv.URL+p.path+"?"+p.query, "application/json", bytes.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != aliyunsms.AckBody {
		t.Errorf("replayed %s answered %d %q, want 200 and Aliyun's acknowledgement", p.path, resp.StatusCode, b)
	}
}

// receipted: every SMS of the campaign, its own and the desk's
// confirmations, has its outcome (nothing waits for a report). The
// WeChat customer-service acknowledgement gets no report: it stays sent.
func (e *env) receipted(id int64) bool {
	f := e.funnel(id)
	sms, confirm := f.ByChannel[population.ChannelSMS], f.FollowUps[outbound.PurposeConfirm]
	return sms.Pending+sms.Sending+sms.Sent+confirm.Pending+confirm.Sending+confirm.Sent == 0
}

// replayState is what a replay must not change.
type replayState struct {
	Funnel     outbound.Funnel
	Moves      map[int64]int // every campaign message's recorded moves
	Answers    []string
	Tickets    map[int64][]string // per resident: each ticket's conversation
	OptOuts    []population.Topic
	SMSSent    int
	WeChatSent int
}

// replayState reads it: c's messages and answers, the tickets of
// residents, the opt-outs of optedOut and what the emulators delivered.
func (e *env) replayState(c campaigns.Campaign, optedOut population.Resident, residents ...population.Resident) replayState {
	e.t.Helper()
	s := replayState{Funnel: e.funnel(c.ID), Moves: map[int64]int{}, Tickets: map[int64][]string{},
		SMSSent: len(e.sb.SMS.Sent()), WeChatSent: len(e.sb.WeChat.Sent())}
	for _, st := range []outbound.Status{outbound.StatusSent, outbound.StatusDelivered, outbound.StatusFailed} {
		for _, m := range e.messages(c.ID, st) {
			evs, err := e.st.MessageEvents(e.ctx, m.ID)
			if err != nil {
				e.t.Fatal(err)
			}
			s.Moves[m.ID] = len(evs)
		}
	}
	answers, err := e.st.CampaignAnswers(e.ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, an := range answers {
		s.Answers = append(s.Answers, strconv.FormatInt(an.ResidentID, 10)+":"+an.Option+an.Meaning)
	}
	slices.Sort(s.Answers)
	for _, r := range residents {
		for _, tk := range e.ticketsOf(r.ID) {
			conv, err := e.st.Conversation(e.ctx, tk.ID)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, en := range conv {
				s.Tickets[r.ID] = append(s.Tickets[r.ID], strconv.FormatInt(tk.ID, 10)+" "+strconv.FormatBool(en.Inbound)+" "+string(en.Purpose))
			}
		}
	}
	rb, err := e.st.Resident(e.ctx, optedOut.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	s.OptOuts = rb.OptOuts
	return s
}

// A captured push sent again — every delivery report of a campaign, and
// residents' replies that signed up, opted out, asked a question (a ticket)
// and wrote on WeChat (a ticket) — is answered as taken and changes
// nothing: right away (the queue's task ids hold it back) and after Asynq
// has forgotten the tasks (the desk's record and the ledger do).
func TestReplayedPushesChangeNothing(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) { testReplayedPushesChangeNothing(t, driver) })
}

func testReplayedPushesChangeNothing(t *testing.T, driver string) {
	e := setup(t, queue.Config{}, 10, onDriver(driver))
	hook := e.replayHook(t)
	c := e.campaign("保安招聘", time.Hour)
	c.ChannelPolicy = campaigns.SMSOnly
	c.ExtendCode, c.ReplyOptions = "07", map[string]string{"1": "报名", "2": "咨询"}
	c = e.schedule(c)
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	reached := func(r population.Resident) bool {
		m, err := e.st.LatestOutreach(e.ctx, r.ID, e.clk.Now().Add(-time.Hour))
		return err == nil && m == c.ID && smsOnly(r)
	}
	a := e.pick(reached)
	b := e.pick(reached, a.ID)
	d := e.pick(reached, a.ID, b.ID)
	w := e.pick(onWeChat)

	ctx := e.ctx
	for _, reply := range []struct {
		r    population.Resident
		text string
	}{{a, "1"}, {b, "TD"}, {d, "2"}} {
		if err := e.sb.SMS.Reply(ctx, reply.r.Phone, reply.text, "07"); err != nil {
			t.Fatal(err)
		}
	}
	e.sb.WeChat.SetFollower(wechat.Follower{OpenID: w.OpenID, Following: true, LastMessage: time.Now()})
	wx := wxCapture(t, string(w.OpenID), "楼道的灯坏了一个星期了", time.Now().UnixNano())
	if code := wx.post(t, hook.srv.URL); code != http.StatusOK {
		t.Fatalf("WeChat message: %d", code)
	}
	e.waitFor("the 咨询 and WeChat tickets", 15*time.Second, func() bool {
		return len(e.ticketsOf(d.ID)) == 1 && len(e.ticketsOf(w.ID)) == 1
	})
	e.desked()
	e.waitFor("every report", 15*time.Second, func() bool { return e.receipted(c.ID) })
	e.desked()

	before := e.replayState(c, b, a, d, w)
	if len(before.Answers) != 2 || len(before.Tickets[d.ID]) == 0 || len(before.Tickets[w.ID]) == 0 ||
		!slices.Contains(before.OptOuts, population.TopicJob) {
		t.Fatalf("the replies did not act: %+v", before)
	}
	reports, uplinks := hook.pushes("/aliyun/sms/report"), hook.pushes("/aliyun/sms/up")
	if len(reports) == 0 || len(uplinks) != 3 {
		t.Fatalf("captured %d report and %d uplink pushes, want some and 3", len(reports), len(uplinks))
	}
	// WeChat's timestamp is checked: a captured callback replays within
	// its five minutes, here to a fresh handler, as another serve process
	// (or this one restarted) would take it — no memory of the MsgId.
	fresh := httptest.NewServer(wechat.NewCallbackHandler(wechat.Config{AppID: wxAppID, Token: wxToken}, wechat.ToSink(lazySink{}),
		wechat.CallbackOptions{Log: quiet}))
	defer fresh.Close()

	for _, when := range []string{"right away", "after Asynq forgot the tasks"} {
		if when != "right away" {
			if _, err := e.insp.DeleteAllCompletedTasks(queue.QueueCritical); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range append(slices.Clone(uplinks), reports...) {
			hook.replay(t, p)
		}
		if code := wx.post(t, fresh.URL); code != http.StatusOK {
			t.Errorf("%s: replayed WeChat message answered %d", when, code)
		}
		e.desked()
		if diff := cmp.Diff(before, e.replayState(c, b, a, d, w)); diff != "" {
			t.Errorf("%s: the replays changed (-before +after):\n%s", when, diff)
		}
	}
	if n := len(e.ticketsOf(w.ID)); n != 1 {
		t.Errorf("%d WeChat tickets, want 1", n)
	}
	conv, err := e.st.Conversation(ctx, e.ticketsOf(d.ID)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if in := slices.DeleteFunc(conv, func(en tickets.Entry) bool { return !en.Inbound }); len(in) != 1 {
		t.Errorf("the 咨询 ticket holds %d inbound messages, want 1", len(in))
	}
}

// wxRequest is a captured plaintext WeChat callback: its signed query and
// body.
type wxRequest struct {
	query url.Values
	body  string
}

func wxCapture(t *testing.T, openid, text string, msgID int64) wxRequest {
	t.Helper()
	now := time.Now()
	ts, nonce := strconv.FormatInt(now.Unix(), 10), "20250301"
	return wxRequest{query: url.Values{"signature": {wxSignature(wxToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openid}},
		body: wxTextXML(openid, text, msgID, now)}
}

func (r wxRequest) post(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Post(base+"/wechat/callback?"+r.query.Encode(), "text/xml", strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
