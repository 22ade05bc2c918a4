package queue_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk end to end: messages posted to the real webhook
// handlers (WeChat safe mode built here from WeChat's published algorithm,
// Aliyun's uplink push format), through Asynq and the store, answers sent
// through the real SDKs to the emulators.

// --- WeChat's safe mode, built independently of gateway/wechat ---

// wxSignature is WeChat's signature: SHA-1 of the sorted parts joined.
func wxSignature(parts ...string) string {
	s := slices.Clone(parts)
	sort.Strings(s)
	sum := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(sum[:])
}

// wxEncrypt is WeChat's message encryption: AES-256-CBC with the key
// decoded from EncodingAESKey+"=", IV its first 16 bytes, plaintext =
// 16 random bytes | 4-byte big-endian length | message | appid, PKCS#7
// padded to 32 bytes; base64.
func wxEncrypt(t testing.TB, encodingAESKey, appID string, msg []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	r := make([]byte, 16)
	_, _ = rand.Read(r)
	buf.Write(r)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(msg)))
	buf.Write(msg)
	buf.WriteString(appID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, buf.Len())
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, buf.Bytes())
	return base64.StdEncoding.EncodeToString(out)
}

func wxTextXML(openid, text string, msgID int64, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[gh_grid]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
		openid, at.Unix(), text, msgID)
}

// wxPost posts inner as WeChat does in safe mode; tweak may spoil the
// query or the body. It returns the status and the answer.
func wxPost(t testing.TB, inner string, tweak func(q url.Values, body *string)) (int, string) {
	t.Helper()
	var q url.Values
	var body string
	wxPostPrepared(t, inner, &q, &body)
	if tweak != nil {
		tweak(q, &body)
	}
	resp, err := http.Post(prov.hook.URL+"/wechat/callback-aes?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// smsUp posts an Aliyun uplink push body.
func smsUp(t testing.TB, body string) int {
	t.Helper()
	resp, err := http.Post(prov.hook.URL+"/aliyun/sms/up", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func uplinkJSON(phone pii.Phone, content, destCode string, seq int64) string {
	return fmt.Sprintf(`[{"phone_number":%q,"send_time":%q,"content":%q,"sign_name":"网格通","dest_code":%q,"sequence_id":%d}]`,
		string(phone), time.Now().In(campaigns.Shanghai()).Format(time.DateTime), content, destCode, seq)
}

// --- fixture helpers ---

// pick returns the first resident for which ok holds.
func (e *env) pick(ok func(population.Resident) bool, skip ...int64) population.Resident {
	e.t.Helper()
	for _, r := range e.res {
		if ok(r) && !slices.Contains(skip, r.ID) {
			return r
		}
	}
	e.t.Fatal("no resident in the fixture fits")
	return population.Resident{}
}

func onWeChat(r population.Resident) bool {
	return r.OpenID != "" && r.Phone != "" && !slices.Contains(r.OptOuts, population.TopicAll)
}

func smsOnly(r population.Resident) bool {
	return r.OpenID == "" && r.Phone != "" && len(r.OptOuts) == 0
}

func (e *env) ticketsOf(residentID int64) []tickets.Ticket {
	e.t.Helper()
	ts, err := e.st.Tickets(e.ctx, store.TicketFilter{ResidentID: residentID})
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

// waitTicket waits for the resident's only ticket.
func (e *env) waitTicket(residentID int64) tickets.Ticket {
	e.t.Helper()
	var ts []tickets.Ticket
	e.waitFor("a ticket", 15*time.Second, func() bool { ts = e.ticketsOf(residentID); return len(ts) > 0 })
	if len(ts) != 1 {
		e.t.Fatalf("resident %d has %d tickets, want 1", residentID, len(ts))
	}
	return ts[0]
}

func (e *env) ticket(id int64) tickets.Ticket {
	e.t.Helper()
	t, err := e.st.Ticket(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// desked waits until the queues are still, nothing waits for a retry
// (a message deferred behind its sender's lock) and no desk message is
// pending. Escalation timers stay scheduled.
func (e *env) desked() {
	e.t.Helper()
	e.waitFor("the desk to settle", 15*time.Second, func() bool {
		ps, err := e.st.PendingSingles(e.ctx, 0, 10)
		return err == nil && len(ps) == 0 && e.quiet()
	})
}

// quiet: no task pending, active, aggregating or waiting for a retry in
// any queue, each queue's counts read at once (a task moving from retry to
// pending between two reads would otherwise be missed).
func (e *env) quiet() bool {
	qs, err := e.insp.Queues()
	if err != nil {
		return false
	}
	for _, q := range qs {
		info, err := e.insp.GetQueueInfo(q)
		if err != nil || info.Pending+info.Active+info.Aggregating+info.Retry > 0 {
			return false
		}
	}
	return true
}

// textsTo returns what the emulators delivered to r since the test began:
// customer-service texts, what the phone shows of template messages, and
// SMS contents.
func (e *env) textsTo(r population.Resident) (cs, tpl, sms []string) {
	for _, m := range e.sb.WeChat.Sent() {
		if r.OpenID == "" || m.ToUser != r.OpenID {
			continue
		}
		if m.Kind == "text" {
			cs = append(cs, m.Text)
		} else {
			tpl = append(tpl, strings.Join(m.Shown, " / "))
		}
	}
	for _, m := range e.sb.SMS.Sent() {
		if m.Phone == r.Phone {
			sms = append(sms, m.Content)
		}
	}
	return cs, tpl, sms
}

// workerNotified reports whether w got a notification naming ticket id
// where their phone shows it.
func (e *env) workerNotified(w population.Worker, id int64) bool {
	tag := regexp.MustCompile("#" + strconv.FormatInt(id, 10) + `\b`)
	for _, m := range e.sb.WeChat.Sent() {
		if w.OpenID != "" && m.ToUser == w.OpenID && tag.MatchString(strings.Join(m.Shown, " ")) {
			return true
		}
	}
	for _, m := range e.sb.SMS.Sent() {
		if m.Phone == w.Phone && tag.MatchString(m.Content) {
			return true
		}
	}
	return false
}

func (e *env) ticketEvents(id int64) []tickets.Event {
	e.t.Helper()
	evs, err := e.st.TicketEvents(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func hasEvent(evs []tickets.Event, kind tickets.EventKind, to string) bool {
	return slices.ContainsFunc(evs, func(ev tickets.Event) bool { return ev.Kind == kind && (to == "" || ev.To == to) })
}

// --- tests ---

// A question posted in WeChat safe mode becomes one ticket however often
// WeChat retries it: assigned to the resident's grid worker, due by its
// category's deadline, the worker notified and the resident answered with
// the category's canned reply on WeChat.
func TestDeskWeChatQuestionToTicket(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) { testDeskWeChatQuestionToTicket(t, driver) })
}

func testDeskWeChatQuestionToTicket(t *testing.T, driver string) {
	e := setup(t, queue.Config{}, 10, onDriver(driver))
	r := e.pick(onWeChat)
	e.sb.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true, LastMessage: time.Now()})
	// The callback's dedupe outlives a test: an id of this run's own.
	msgID := time.Now().UnixNano()
	inner := wxTextXML(string(r.OpenID), "楼道里垃圾好几天没人清理了，味道很大", msgID, time.Now())
	var wg sync.WaitGroup
	for range 3 { // WeChat retries a callback it got no answer to in 5 s
		wg.Go(func() {
			if code, body := wxPost(t, inner, nil); code != http.StatusOK || body != "success" {
				t.Errorf("callback answered %d %q", code, body)
			}
		})
	}
	wg.Wait()
	tk := e.waitTicket(r.ID)
	e.desked()
	w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	tk = e.ticket(tk.ID)
	if tk.Category != tickets.CategoryEnvironment || tk.Status != tickets.StatusAssigned || tk.AssigneeWorkerID != w.ID ||
		tk.GridCode != r.GridCode || tk.Channel != population.ChannelWeChat {
		t.Errorf("ticket %+v: want environment, assigned to worker %d of %s, wechat", tk, w.ID, r.GridCode)
	}
	if want := tk.CreatedAt.Add(48 * time.Hour); !tk.DueAt.Equal(want) {
		t.Errorf("due %s, want %s (environment: 48 h)", tk.DueAt, want)
	}
	if !e.workerNotified(w, tk.ID) {
		t.Errorf("grid worker %s was not notified of #%d", w.Code, tk.ID)
	}
	cs, _, _ := e.textsTo(r)
	if len(cs) != 1 || !strings.Contains(cs[0], "环境问题已登记") || !strings.Contains(cs[0], string(w.Name)) {
		t.Errorf("resident got customer-service texts %q, want the environment canned reply naming %s", cs, w.Name.Masked())
	}
	conv, err := e.st.Conversation(e.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(conv) != 2 || !conv[0].Inbound || conv[1].Inbound || conv[1].Purpose != outbound.PurposeAck || conv[1].Status != outbound.StatusSent {
		t.Errorf("conversation %+v: want the message then the sent acknowledgement", conv)
	}
	// The store's dedupe, under the queue's: the same message again is a
	// duplicate and changes nothing.
	out, err := e.desk.Handle(e.ctx, desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: strconv.FormatInt(msgID, 10),
		From: string(r.OpenID), Kind: desk.KindText, Text: "楼道里垃圾好几天没人清理了，味道很大"})
	if err != nil || !out.Duplicate {
		t.Errorf("Handle again: %+v, %v; want a duplicate", out, err)
	}
	if n := len(e.ticketsOf(r.ID)); n != 1 {
		t.Errorf("%d tickets after retries, want 1", n)
	}
}

// Forged, stale, malformed, oversized and entity-laden posts are refused
// with the right status and leave nothing behind.
func TestDeskCallbackRefusals(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(onWeChat)
	sms := e.pick(smsOnly)
	inner := wxTextXML(string(r.OpenID), "路灯坏了", time.Now().UnixNano(), time.Now())
	cases := []struct {
		name  string
		tweak func(q url.Values, body *string)
		want  int
	}{
		{"forged signature", func(q url.Values, _ *string) {
			q.Set("signature", wxSignature("wrong-token", q.Get("timestamp"), q.Get("nonce")))
		}, http.StatusForbidden},
		{"forged msg_signature", func(q url.Values, _ *string) { q.Set("msg_signature", strings.Repeat("0", 40)) }, http.StatusForbidden},
		{"stale timestamp", func(q url.Values, _ *string) {
			ts := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
			q.Set("timestamp", ts)
			q.Set("signature", wxSignature(wxToken, ts, q.Get("nonce")))
		}, http.StatusForbidden},
		{"plaintext in safe mode", func(q url.Values, body *string) { q.Del("encrypt_type"); *body = inner }, http.StatusForbidden},
		{"malformed envelope", func(_ url.Values, body *string) { *body = "<xml><Encrypt>" }, http.StatusBadRequest},
		{"entity", func(_ url.Values, body *string) {
			*body = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>`
		}, http.StatusBadRequest},
		{"oversized", func(_ url.Values, body *string) { *body = "<xml>" + strings.Repeat("a", 70<<10) + "</xml>" }, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		if code, _ := wxPost(t, inner, tc.tweak); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
	// A well-signed envelope whose decrypted message is malformed or holds
	// an entity.
	for _, bad := range []string{"<xml><FromUserName>", `<!DOCTYPE x [<!ENTITY a "b">]><xml><FromUserName>&a;</FromUserName><MsgType>text</MsgType></xml>`} {
		if code, _ := wxPost(t, bad, nil); code != http.StatusBadRequest {
			t.Errorf("inner %q: status %d, want 400", bad, code)
		}
	}
	for name, body := range map[string]string{
		"not json":   `[{"phone_number":`,
		"not array":  `{"phone_number":"13800000000"}`,
		"wrong type": `[{"phone_number":13800000000,"content":"路灯坏了","sequence_id":1}]`,
		"oversized":  "[" + strings.Repeat(" ", 2<<20) + "]",
	} {
		if code := smsUp(t, body); code < 400 || code >= 500 {
			t.Errorf("uplink %s: status %d, want 4xx", name, code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	e.desked()
	if n := len(e.ticketsOf(r.ID)) + len(e.ticketsOf(sms.ID)); n != 0 {
		t.Errorf("%d tickets after refused posts", n)
	}
	if u, err := e.st.UnknownSenders(e.ctx, 10); err != nil || len(u) != 0 {
		t.Errorf("unknown senders %v, %v; want none", u, err)
	}
	if got := len(e.sb.WeChat.Sent()) + len(e.sb.SMS.Sent()); got != 0 {
		t.Errorf("%d messages sent after refused posts", got)
	}
	// And the genuine article still goes through.
	if code, _ := wxPost(t, inner, nil); code != http.StatusOK {
		t.Fatalf("genuine post: %d", code)
	}
	e.waitTicket(r.ID)
}

// SMS replies to a job posting: the sign-up option is recorded (and
// exported), 咨询 opens an employment ticket on the campaign, TD opts out
// of job postings only, a question without an extension code threads to
// the campaign by the window, an unknown number is kept, and a pushed
// uplink delivered twice is one record.
func TestDeskSMSRepliesToCampaign(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) { testDeskSMSRepliesToCampaign(t, driver) })
}

func testDeskSMSRepliesToCampaign(t *testing.T, driver string) {
	e := setup(t, queue.Config{}, 10, onDriver(driver))
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
	q := e.pick(reached, a.ID, b.ID, d.ID)
	before := len(e.sb.SMS.Sent())

	ctx := e.ctx
	if err := e.sb.SMS.Reply(ctx, a.Phone, "1", "07"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SMS.Reply(ctx, b.Phone, "TD", "07"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SMS.Reply(ctx, d.Phone, "2", "07"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SMS.Reply(ctx, q.Phone, "请问保安岗位要求多大年龄？", ""); err != nil {
		t.Fatal(err)
	}
	unknown := pii.Phone("13912345678")
	for range 2 { // Aliyun pushes again when it misses the ack
		if code := smsUp(t, uplinkJSON(unknown, "你好，我想咨询低保", "", 99001)); code != http.StatusOK {
			t.Fatalf("uplink push: %d", code)
		}
	}
	e.waitFor("tickets for 咨询 and the question", 15*time.Second, func() bool {
		return len(e.ticketsOf(d.ID)) == 1 && len(e.ticketsOf(q.ID)) == 1
	})
	e.desked()

	answers, err := e.st.CampaignAnswers(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, an := range answers {
		got[an.ResidentID] = an.Option + an.Meaning
	}
	if got[a.ID] != "1报名" || got[d.ID] != "2咨询" || len(got) != 2 {
		t.Errorf("sign-up list %v: want %d→1报名 and %d→2咨询 only", got, a.ID, d.ID)
	}
	if n := len(e.ticketsOf(a.ID)) + len(e.ticketsOf(b.ID)); n != 0 {
		t.Errorf("the sign-up and the opt-out made %d tickets", n)
	}
	if tk := e.ticketsOf(d.ID)[0]; tk.Category != tickets.CategoryEmployment || tk.CampaignID != c.ID {
		t.Errorf("咨询 ticket %+v: want employment on campaign %d", tk, c.ID)
	}
	if tk := e.ticketsOf(q.ID)[0]; tk.CampaignID != c.ID {
		t.Errorf("question ticket on campaign %d, want %d (threaded by the window)", tk.CampaignID, c.ID)
	}
	rb, err := e.st.Resident(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rb.OptOuts, population.TopicJob) || slices.Contains(rb.OptOuts, population.TopicVisit) || slices.Contains(rb.OptOuts, population.TopicAll) {
		t.Errorf("opt-outs after TD %v: want job only", rb.OptOuts)
	}
	// Each answer went back by SMS, on its own template.
	replies := map[pii.Phone][]string{}
	for _, m := range e.sb.SMS.Sent()[before:] {
		replies[m.Phone] = append(replies[m.Phone], m.TemplateCode+" "+m.Content)
	}
	check := func(r population.Resident, tpl, words string) {
		t.Helper()
		if !slices.ContainsFunc(replies[r.Phone], func(s string) bool { return strings.HasPrefix(s, tpl) && strings.Contains(s, words) }) {
			t.Errorf("resident %d got %q, want %s with %q", r.ID, replies[r.Phone], tpl, words)
		}
	}
	check(a, sandbox.TemplateReply, "报名")
	check(b, sandbox.TemplateUnsub, "招聘")
	check(d, sandbox.TemplateReply, "咨询")
	if len(replies[unknown]) != 0 {
		t.Errorf("an unknown number got %q", replies[unknown])
	}
	us, err := e.st.UnknownSenders(ctx, 10)
	if err != nil || len(us) != 1 || us[0].FromKey != string(unknown) {
		t.Errorf("unknown senders %+v, %v: want the one uplink once", us, err)
	}
	// Every desk SMS was delivered: the report found its message.
	e.waitFor("desk SMS delivered", 15*time.Second, func() bool {
		for _, tk := range e.ticketsOf(d.ID) {
			conv, _ := e.st.Conversation(ctx, tk.ID)
			for _, en := range conv {
				if !en.Inbound && en.Status != outbound.StatusDelivered {
					return false
				}
			}
		}
		return true
	})
	// The question's ticket resolved and a rating asked for, "1" rates it
	// (1 满意) instead of signing q up: the campaign's conversation has
	// moved on to the ticket it became.
	qt := e.ticketsOf(q.ID)[0]
	if _, err := e.desk.Resolve(ctx, qt.ID, "王网格员", "已电话答复"); err != nil {
		t.Fatal(err)
	}
	e.desked()
	if err := e.sb.SMS.Reply(ctx, q.Phone, "1", "07"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the rating", 15*time.Second, func() bool { return e.ticket(qt.ID).Rating != 0 })
	if got := e.ticket(qt.ID); got.Rating != 5 || tickets.RatingLabel(got.Rating) != "满意" {
		t.Errorf("q's ticket after replying 1: rating %d, want 5 (满意)", got.Rating)
	}
	answers, err = e.st.CampaignAnswers(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, an := range answers {
		if an.ResidentID == q.ID {
			t.Errorf("rating the ticket signed q up: %+v", an)
		}
	}
}

// A visit schedule: 1 confirms the proposed slot, 改期 moves it and opens
// a ticket carrying the slot.
func TestDeskVisitReplies(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	grid, _ := e.visitGrid("Mon-Sun 09:00-11:30,14:00-17:00")
	c := e.schedule(e.visitCampaign(grid))
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	var yes, move population.Resident
	for _, r := range e.visitEligible(c, grid) {
		if _, err := e.st.SlotFor(e.ctx, r.ID, c.ID); err != nil || r.Phone == "" {
			continue
		}
		switch {
		case yes.ID == 0:
			yes = r
		case move.ID == 0:
			move = r
		}
	}
	if move.ID == 0 {
		t.Fatal("fewer than two residents with a slot")
	}
	if err := e.sb.SMS.Reply(e.ctx, yes.Phone, "1", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SMS.Reply(e.ctx, move.Phone, "这周不在家，能改期吗", ""); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the reschedule ticket", 15*time.Second, func() bool { return len(e.ticketsOf(move.ID)) == 1 })
	e.desked()
	v, err := e.st.SlotFor(e.ctx, yes.ID, c.ID)
	if err != nil || v.State != campaigns.VisitConfirmed {
		t.Errorf("slot after 1: %+v, %v; want confirmed", v, err)
	}
	if n := len(e.ticketsOf(yes.ID)); n != 0 {
		t.Errorf("a confirmation made %d tickets", n)
	}
	if _, err := e.st.SlotFor(e.ctx, move.ID, c.ID); err == nil {
		t.Errorf("the moved slot is still live")
	}
	tk := e.ticketsOf(move.ID)[0]
	if tk.Slot.IsZero() || tk.CampaignID != c.ID || tk.Category != tickets.CategoryElderlyCare {
		t.Errorf("reschedule ticket %+v: want the slot, campaign %d, elderly care", tk, c.ID)
	}
	_, _, sms := e.textsTo(yes)
	if !slices.ContainsFunc(sms, func(s string) bool { return strings.Contains(s, "已确认") }) {
		t.Errorf("confirming resident got %q", sms)
	}
}

// Binding: a new follower is welcomed, sends their number, gets a code by
// SMS, gets a wrong code refused and the right one binds the openid.
func TestDeskBinding(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(smsOnly)
	openid := "oNewFollower000000000000001"
	if err := e.sb.WeChat.Follow(e.ctx, openid); err != nil {
		t.Fatal(err)
	}
	say := func(text string) {
		t.Helper()
		if _, err := e.sb.WeChat.Say(e.ctx, openid, text); err != nil {
			t.Fatal(err)
		}
		e.desked()
	}
	e.desked()
	say("我的手机号 " + string(r.Phone))
	var code string
	for _, m := range e.sb.SMS.Sent() {
		if m.Phone == r.Phone && m.TemplateCode == sandbox.TemplateVerify {
			code = m.Params["code"]
		}
	}
	if len(code) != 6 {
		t.Fatalf("no verification code reached %s", r.Phone.Masked())
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	say(wrong)
	if _, err := e.st.ResidentByOpenID(e.ctx, pii.OpenID(openid)); err == nil {
		t.Fatal("a wrong code bound the openid")
	}
	say(code)
	got, err := e.st.ResidentByOpenID(e.ctx, pii.OpenID(openid))
	if err != nil || got.ID != r.ID {
		t.Fatalf("after the code: resident %d, %v; want %d", got.ID, err, r.ID)
	}
	var texts []string
	for _, m := range e.sb.WeChat.Sent() {
		if m.ToUser == pii.OpenID(openid) {
			texts = append(texts, m.Text)
		}
	}
	want := []string{"欢迎关注", "验证码已发送", "验证码不正确", "绑定成功"}
	if len(texts) != len(want) {
		t.Fatalf("follower got %q, want %d answers", texts, len(want))
	}
	for i, w := range want {
		if !strings.Contains(texts[i], w) {
			t.Errorf("answer %d %q lacks %q", i, texts[i], w)
		}
	}
	if strings.Contains(strings.Join(texts, ""), string(r.Phone)) {
		t.Error("the follower was shown the clear phone number")
	}
}

// Under the reassign policy an overdue ticket climbs grid worker → grid
// leader → community → street, one step per missed deadline, each owner
// notified, on the injected clock; the timer is scheduled on Asynq at the
// deadline.
func TestDeskEscalation(t *testing.T) {
	e := setup(t, queue.Config{}, 10, withDesk(desk.Config{Escalation: tickets.EscalateReassign}))
	r := e.pick(onWeChat)
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "邻居装修噪音太大，晚上十点还在施工"); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	id := "esc:" + strconv.FormatInt(tk.ID, 10) + ":grid_worker:" + strconv.FormatInt(tk.DueAt.Unix(), 10)
	if info, err := e.insp.GetTaskInfo(queue.QueueCritical, id); err != nil || info.NextProcessAt.Unix() != tk.DueAt.Unix() {
		t.Errorf("escalation timer %s: %+v, %v; want one at %s", id, info, err, tk.DueAt)
	}
	e.tick()
	e.desked()
	if got := e.ticket(tk.ID); got.Level != tickets.LevelGridWorker {
		t.Fatalf("escalated before the deadline: %s", got.Level)
	}
	for _, lv := range []tickets.Level{tickets.LevelGridLeader, tickets.LevelCommunity, tickets.LevelStreet} {
		cur := e.ticket(tk.ID)
		e.clk.advance(cur.DueAt.Sub(e.clk.Now()) + time.Minute)
		e.tick()
		e.waitFor("escalation to "+string(lv), 15*time.Second, func() bool { return e.ticket(tk.ID).Level == lv })
		e.desked()
		got := e.ticket(tk.ID)
		w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, lv.Role())
		if err != nil {
			t.Fatal(err)
		}
		if got.AssigneeWorkerID != w.ID || !got.DueAt.Equal(cur.DueAt.Add(24*time.Hour)) {
			t.Errorf("%s: assignee %d due %s; want %d due %s", lv, got.AssigneeWorkerID, got.DueAt, w.ID, cur.DueAt.Add(24*time.Hour))
		}
		if !e.workerNotified(w, tk.ID) {
			t.Errorf("%s %s not notified", lv, w.Code)
		}
		if !hasEvent(e.ticketEvents(tk.ID), tickets.EventEscalated, string(lv)) {
			t.Errorf("no escalated→%s event", lv)
		}
	}
	e.clk.advance(48 * time.Hour)
	e.tick()
	e.desked()
	if got := e.ticket(tk.ID); got.Level != tickets.LevelStreet {
		t.Errorf("past the street: %s", got.Level)
	}
}

// Under the default policy the timer at the deadline flags the ticket 督办
// and tells the grid leader while the grid worker keeps it; the next
// step's timer is on Asynq, and at it the community is told.
func TestDeskEscalationSupervises(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(onWeChat)
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "楼下烧烤油烟太大，窗户都不敢开"); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	for _, lv := range []tickets.Level{tickets.LevelGridLeader, tickets.LevelCommunity} {
		flags, err := e.st.Supervisions(e.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		at := tk.DueAt
		if len(flags) > 0 {
			at = tk.DueAt.Add(24 * time.Hour)
			id := "esc:" + strconv.FormatInt(tk.ID, 10) + ":grid_leader:" + strconv.FormatInt(at.Unix(), 10)
			if _, err := e.insp.GetTaskInfo(queue.QueueCritical, id); err != nil {
				t.Errorf("the next step's timer %s: %v", id, err)
			}
		}
		e.clk.advance(at.Sub(e.clk.Now()) + time.Minute)
		e.tick()
		e.waitFor("督办 to "+string(lv), 15*time.Second, func() bool {
			fs, _ := e.st.Supervisions(e.ctx, tk.ID)
			return len(fs) > 0 && fs[len(fs)-1].Level == lv
		})
		e.desked()
		w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, lv.Role())
		if err != nil {
			t.Fatal(err)
		}
		if !e.workerNotified(w, tk.ID) {
			t.Errorf("%s %s not notified", lv, w.Code)
		}
		if got := e.ticket(tk.ID); got.Level != tickets.LevelGridWorker || got.AssigneeWorkerID != tk.AssigneeWorkerID {
			t.Errorf("after the %s step: level %s, assignee %d; want the grid worker %d keeping it", lv, got.Level, got.AssigneeWorkerID, tk.AssigneeWorkerID)
		}
	}
}

// A worker's replies go as customer-service messages while the window is
// open and has quota, then as template messages; to a resident without
// WeChat by SMS. Resolving asks for a rating; the rating closes the ticket;
// a later 谢谢 opens nothing, a new question within the window reopens.
func TestDeskReplyWindowAndRating(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(onWeChat)
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "请问灵活就业社保补贴怎么申请"); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	// The acknowledgement used one customer-service message; four more fit.
	for i := range 5 {
		if _, err := e.desk.Reply(e.ctx, tk.ID, "王网格员", fmt.Sprintf("回复%d：请带身份证到社区服务中心办理", i+1)); err != nil {
			t.Fatal(err)
		}
		e.desked()
	}
	cs, tpl, _ := e.textsTo(r)
	if len(cs) != 5 || len(tpl) != 1 || !strings.Contains(tpl[0], "回复5") {
		t.Errorf("customer-service %d, template %q: want 5 (ack + 4 replies) then the 5th reply as a template", len(cs), tpl)
	}
	// The template message shows the request, the answer and the worker.
	now := e.ticket(tk.ID)
	w, err := e.st.WorkerByID(e.ctx, now.AssigneeWorkerID)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("诉求编号：#%d %s / 办理进度：网格员已回复 / 回复内容：回复5：请带身份证到社区服务中心办理 / 网格员：%s",
		now.ID, now.Category.Label(), string(w.Name))
	if len(tpl) == 1 && tpl[0] != want {
		t.Errorf("the resident's phone shows %q, want %q", tpl[0], want)
	}
	if got := e.ticket(tk.ID); got.Status != tickets.StatusReplied {
		t.Errorf("status after replies %s", got.Status)
	}
	// Two days later the window is closed: a template message.
	e.clk.advance(49 * time.Hour)
	if _, err := e.desk.Reply(e.ctx, tk.ID, "王网格员", "材料已审核通过"); err != nil {
		t.Fatal(err)
	}
	e.desked()
	if _, tpl, _ = e.textsTo(r); len(tpl) != 2 {
		t.Errorf("after 49 h: %d template messages, want 2", len(tpl))
	}
	if _, err := e.desk.Resolve(e.ctx, tk.ID, "王网格员", "已办结"); err != nil {
		t.Fatal(err)
	}
	e.desked()
	// The rating request is a template message too: the phone shows how
	// to rate.
	if _, tpl, _ = e.textsTo(r); len(tpl) != 3 || !strings.Contains(tpl[2], "回复内容：已办结，请回复1满意2基本满意3不满意") {
		t.Errorf("after resolving: template messages %q, want the rating request third", tpl)
	}
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "1"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("rating", 15*time.Second, func() bool { return e.ticket(tk.ID).Rating == 5 })
	e.desked()
	if got := e.ticket(tk.ID); got.Status != tickets.StatusClosed || !hasEvent(e.ticketEvents(tk.ID), tickets.EventRated, "5") {
		t.Errorf("after rating: %s, events %+v", got.Status, e.ticketEvents(tk.ID))
	}
	cs, _, _ = e.textsTo(r)
	if !strings.Contains(cs[len(cs)-1], "感谢您的评价") {
		t.Errorf("last answer %q", cs[len(cs)-1])
	}
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "谢谢"); err != nil {
		t.Fatal(err)
	}
	e.desked()
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "补贴什么时候到账？"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("reopened", 15*time.Second, func() bool { return e.ticket(tk.ID).Status == tickets.StatusAssigned })
	if n := len(e.ticketsOf(r.ID)); n != 1 {
		t.Errorf("%d tickets, want the one reopened", n)
	}
	if !hasEvent(e.ticketEvents(tk.ID), tickets.EventReopened, "") {
		t.Error("no reopened event")
	}

	// SMS only: the reply goes by SMS on the reply template.
	s := e.pick(smsOnly)
	if err := e.sb.SMS.Reply(e.ctx, s.Phone, "小区门口路灯坏了", ""); err != nil {
		t.Fatal(err)
	}
	st := e.waitTicket(s.ID)
	e.desked()
	if _, err := e.desk.Reply(e.ctx, st.ID, "王网格员", "已报修，明天更换"); err != nil {
		t.Fatal(err)
	}
	e.desked()
	if _, _, sms := e.textsTo(s); !slices.ContainsFunc(sms, func(x string) bool { return strings.Contains(x, "已报修，明天更换") }) {
		t.Errorf("SMS-only resident got %q", sms)
	}
}

// A worker on leave: new tickets go to the backup, on the timeline. A grid
// handed over: its open tickets move to the new worker.
func TestDeskLeaveAndHandover(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(onWeChat)
	w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := e.st.Workers(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var backup population.Worker
	for _, x := range ws {
		if x.Role == population.RoleCommunity && x.Phone != "" {
			backup = x
			break
		}
	}
	now := e.clk.Now()
	if err := e.st.SetLeave(e.ctx, tickets.Leave{WorkerID: w.ID, BackupID: backup.ID, From: now.Add(-time.Hour), Until: now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "孩子明年上小学，入学要准备什么材料"); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	tk = e.ticket(tk.ID)
	if tk.AssigneeWorkerID != backup.ID || !e.workerNotified(backup, tk.ID) {
		t.Errorf("ticket to worker %d (notified %v), want backup %d", tk.AssigneeWorkerID, e.workerNotified(backup, tk.ID), backup.ID)
	}
	if !slices.ContainsFunc(e.ticketEvents(tk.ID), func(ev tickets.Event) bool { return strings.Contains(ev.Note, "on leave") }) {
		t.Errorf("timeline does not say why: %+v", e.ticketEvents(tk.ID))
	}
	// A ticket the community gave to the grid leader on purpose stays there.
	other := e.pick(func(x population.Resident) bool { return x.GridCode == r.GridCode && x.Phone != "" }, r.ID)
	kept, err := e.desk.Handle(e.ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "kept-1", From: string(other.Phone), Text: "邻居家漏水到我家了"})
	if err != nil || kept.TicketID == 0 {
		t.Fatalf("%+v, %v", kept, err)
	}
	leader, err := e.st.WorkerForGrid(e.ctx, r.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.desk.Reassign(e.ctx, kept.TicketID, leader.Code, "社区李主任"); err != nil {
		t.Fatal(err)
	}
	// The grid changes hands: a new grid worker, and its open tickets follow.
	nw := population.Worker{Code: "W-NEW", Name: "赵新", Phone: "13700001111", Role: population.RoleGridWorker, GridCode: r.GridCode}
	if err := e.st.UpsertWorkers(e.ctx, []population.Worker{nw}); err != nil {
		t.Fatal(err)
	}
	nw, err = e.st.WorkerByCode(e.ctx, "W-NEW")
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.desk.Handover(e.ctx, r.GridCode, "street-admin")
	if err != nil || n != 1 {
		t.Fatalf("handover moved %d, %v; want 1", n, err)
	}
	e.desked()
	if got := e.ticket(kept.TicketID); got.AssigneeWorkerID != leader.ID {
		t.Errorf("the leader's ticket moved to %d", got.AssigneeWorkerID)
	}
	if got := e.ticket(tk.ID); got.AssigneeWorkerID != nw.ID || !e.workerNotified(nw, tk.ID) {
		t.Errorf("after handover: assignee %d, want %d notified", got.AssigneeWorkerID, nw.ID)
	}
	if !slices.ContainsFunc(e.ticketEvents(tk.ID), func(ev tickets.Event) bool {
		return ev.Kind == tickets.EventAssigned && ev.Actor == "street-admin" && strings.Contains(ev.Note, "handed over")
	}) {
		t.Errorf("no hand-over event: %+v", e.ticketEvents(tk.ID))
	}
}

// A resident who writes several lines at once gets one ticket holding
// them, not one ticket each: one sender's messages are handled in turn.
func TestDeskBurstFromOneSender(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(smsOnly)
	lines := []string{"你好", "我家楼道灯坏了", "能尽快来修吗", "晚上太黑了", "老人上下楼不方便", "已经坏了一周", "物业说不归他们管", "麻烦网格员看看"}
	items := make([]string, len(lines))
	for i, l := range lines {
		items[i] = strings.Trim(uplinkJSON(r.Phone, l, "", int64(500+i)), "[]")
	}
	body := "[" + strings.Join(items, ",") + "]"
	if code := smsUp(t, body); code != http.StatusOK {
		t.Fatalf("uplink push: %d", code)
	}
	// Wait for every line to be handled: all but 你好 (which joins only if
	// it came after the question) are on a ticket.
	e.waitFor("the burst handled", 30*time.Second, func() bool {
		n := 0
		for _, tk := range e.ticketsOf(r.ID) {
			conv, err := e.st.Conversation(e.ctx, tk.ID)
			if err != nil {
				return false
			}
			for _, en := range conv {
				if en.Inbound && en.Text != "你好" {
					n++
				}
			}
		}
		return n >= len(lines)-1
	})
	e.desked()
	ts := e.ticketsOf(r.ID)
	if len(ts) != 1 {
		t.Fatalf("%d tickets from one burst, want 1", len(ts))
	}
	conv, err := e.st.Conversation(e.ctx, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, en := range conv {
		if en.Inbound {
			in = append(in, en.Text)
		}
	}
	// 你好 joins the ticket if it came after the question; before it, it
	// was a greeting answered on its own.
	for _, l := range lines[1:] {
		if !slices.Contains(in, l) {
			t.Errorf("the ticket lacks %q: %q", l, in)
		}
	}
	// The grid worker hears of the ticket once, not once per line.
	w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	tag, n := "#"+strconv.FormatInt(ts[0].ID, 10), 0
	for _, m := range e.sb.WeChat.Sent() {
		if w.OpenID != "" && m.ToUser == w.OpenID && strings.Contains(strings.Join(m.Shown, " "), tag) {
			n++
		}
	}
	for _, m := range e.sb.SMS.Sent() {
		if m.Phone == w.Phone && strings.Contains(m.Content, tag) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the worker got %d notifications for one burst, want 1", n)
	}
}

// A worker who follows the official account is notified by template
// message, which opens the ticket in the console when its address is
// configured.
func TestDeskNotificationLinksConsole(t *testing.T) {
	e := setup(t, queue.Config{}, 10, withDesk(desk.Config{ConsoleURL: "https://grid.example.gov.cn/console/"}))
	r := e.pick(onWeChat)
	w, err := e.st.WorkerForGrid(e.ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	w.OpenID = "oGridWorker0000000000000000001"
	if err := e.st.UpsertWorkers(e.ctx, []population.Worker{w}); err != nil {
		t.Fatal(err)
	}
	e.sb.WeChat.SetFollower(wechat.Follower{OpenID: w.OpenID, Following: true})
	if _, err := e.sb.WeChat.Say(e.ctx, string(r.OpenID), "小区门口的垃圾桶满了"); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	want := "https://grid.example.gov.cn/console/#/tickets/" + strconv.FormatInt(tk.ID, 10)
	var urls []string
	for _, m := range e.sb.WeChat.Sent() {
		if m.ToUser == w.OpenID {
			urls = append(urls, m.URL)
		}
	}
	if len(urls) != 1 || urls[0] != want {
		t.Errorf("worker's template messages link %q, want one to %s", urls, want)
	}
	for _, m := range e.sb.WeChat.Sent() {
		if m.ToUser == r.OpenID && m.URL != "" {
			t.Errorf("the resident got a console link: %s", m.URL)
		}
	}
}
