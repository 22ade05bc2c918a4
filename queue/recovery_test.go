package queue_test

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// isSend reports whether an Aliyun action sends messages.
func isSend(action string) bool { return action == "SendSms" || action == "SendBatchSms" }

// events returns the history codes of message id.
func (e *env) events(id int64) []string {
	e.t.Helper()
	evs, err := e.st.MessageEvents(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var codes []string
	for _, ev := range evs {
		codes = append(codes, ev.Code)
	}
	return codes
}

func hasCode(codes []string, prefix string) bool {
	for _, c := range codes {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// channelMessages returns a campaign's messages on ch in the given statuses,
// each once: a receipt may move one from one status to the next between
// the reads.
func (e *env) channelMessages(id int64, ch population.Channel, sts ...outbound.Status) []outbound.Message {
	var out []outbound.Message
	seen := map[int64]bool{}
	for _, st := range sts {
		for _, m := range e.messages(id, st) {
			if m.Channel == ch && !seen[m.ID] {
				seen[m.ID] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// An SMS call that times out is ambiguous: Aliyun may or may not have sent
// it. The retry asks Aliyun (QueryDetails by OutId) first, so every
// resident gets exactly one SMS whether the call went nowhere (the
// emulator hangs) or went out and only its answer was lost.
func TestAmbiguousSMSTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(e *env)
		// wentOut: the timed-out call was accepted by Aliyun, so the retry
		// must record it (ProviderID "out:…") and not send again.
		wentOut bool
	}{
		{"hang", func(e *env) {
			var hung atomic.Bool
			e.sb.SMS.Inject(func(action string, _ pii.Phone) *aliyunsms.Fault {
				if isSend(action) && hung.CompareAndSwap(false, true) {
					f := aliyunsms.FaultHang
					return &f
				}
				return nil
			})
		}, false},
		{"answer_lost", func(*env) { prov.loseSMS.Store(1) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Aliyun files sends under the day they were made: the clock
			// stays on the wall clock's day so that the settling query asks
			// about the right one.
			e := setup(t, queue.Config{}, 10, withSMSTimeout(300*time.Millisecond), onToday())
			tc.arm(e)
			c := e.schedule(e.campaign("超时", 48*time.Hour))
			e.tick()
			e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
			e.checkReachedOnce(c)

			sms := e.channelMessages(c.ID, population.ChannelSMS, outbound.StatusSent, outbound.StatusDelivered)
			if want := e.eligible(c)[population.ChannelSMS]; len(sms) != want {
				t.Fatalf("%d SMS sent or delivered, want %d (funnel %+v)", len(sms), want, e.funnel(c.ID))
			}
			ambiguous, settled := 0, 0
			for _, m := range sms {
				if hasCode(e.events(m.ID), outbound.WaitOutcomeUnknown) {
					ambiguous++
				}
				if strings.HasPrefix(m.ProviderID, "out:") {
					settled++
				}
			}
			if ambiguous == 0 {
				t.Errorf("no SMS was handed back as %s: the fault did not hit a send", outbound.WaitOutcomeUnknown)
			}
			if tc.wentOut && settled != ambiguous {
				t.Errorf("%d SMS settled from Aliyun's record (out:…), want all %d ambiguous ones", settled, ambiguous)
			}
			if !tc.wentOut && settled != 0 {
				t.Errorf("%d SMS settled from a record of a call Aliyun never took", settled)
			}
		})
	}
}

// A Quota or Config failure pauses that channel: the message is deferred,
// not failed, later sends on the channel are deferred by the gate without
// calling the provider, the other channel goes on, and once the pause
// expires everything goes out exactly once. Concurrency 1 keeps a second
// call from racing past the gate before the pause is set.
func TestChannelPause(t *testing.T) {
	t.Run("sms_amount_not_enough", func(t *testing.T) {
		e := setup(t, queue.Config{Concurrency: 1}, 10)
		var calls atomic.Int32
		e.sb.SMS.Inject(func(action string, _ pii.Phone) *aliyunsms.Fault {
			if isSend(action) {
				calls.Add(1)
				f := aliyunsms.FaultAmountNotEnough
				return &f
			}
			return nil
		})
		c := e.schedule(e.campaign("欠费", 48*time.Hour))
		start := e.clk.Now()
		e.tick()
		want := e.eligible(c)
		e.waitFor("wechat settled, sms deferred", 30*time.Second, func() bool {
			f := e.funnel(c.ID)
			wx, sms := f.ByChannel[population.ChannelWeChat], f.ByChannel[population.ChannelSMS]
			if wx.Pending+wx.Sending > 0 || sms.Sending > 0 || sms.Pending != want[population.ChannelSMS] {
				return false
			}
			for _, m := range e.messages(c.ID, outbound.StatusPending) {
				if m.Attempts == 0 {
					return false
				}
			}
			return e.still()
		})
		if n := calls.Load(); n != 1 {
			t.Errorf("%d SMS send calls, want 1: after the first refusal the paused channel must not be called", n)
		}
		if n := len(e.sb.SMS.Sent()); n != 0 {
			t.Errorf("%d SMS accepted while the account has no balance", n)
		}
		f := e.funnel(c.ID)
		if f.ByChannel[population.ChannelSMS].Failed != 0 || f.ByChannel[population.ChannelWeChat].Failed != 0 {
			t.Errorf("funnel %+v: a quota failure must not fail messages", f)
		}
		if got := len(e.sb.WeChat.Sent()); got != want[population.ChannelWeChat] {
			t.Errorf("%d WeChat messages sent, want %d: the SMS pause must not hold WeChat", got, want[population.ChannelWeChat])
		}
		// AMOUNT_NOT_ENOUGH carries its own pause: look again in an hour.
		for _, m := range e.messages(c.ID, outbound.StatusPending) {
			if d := m.NotBefore.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("message %d deferred to %s after start, want about 1h", m.ID, d)
			}
			if !hasCode(e.events(m.ID), "channel_paused") {
				t.Errorf("message %d history %v lacks channel_paused", m.ID, e.events(m.ID))
			}
		}
		// Their tasks wait (as retries of a deferral, which burn no retry)
		// for the hour, in wall-clock time.
		waiting, err := e.insp.ListRetryTasks(queue.QueueBulk)
		if err != nil {
			t.Fatal(err)
		}
		sched, err := e.insp.ListScheduledTasks(queue.QueueBulk)
		if err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, sched...)
		if len(waiting) == 0 {
			t.Error("no send task waits for the deferred SMS")
		}
		for _, ti := range waiting {
			if d := time.Until(ti.NextProcessAt); d < 58*time.Minute || d > 61*time.Minute {
				t.Errorf("task %s (%s) runs in %s, want about 1h", ti.ID, ti.Type, d)
			}
			if ti.Retried != 0 {
				t.Errorf("task %s burned %d retries on a deferral", ti.ID, ti.Retried)
			}
		}
	})

	t.Run("wechat_40164", func(t *testing.T) {
		const pause = 2 * time.Second
		e := setup(t, queue.Config{Concurrency: 1, ChannelPause: pause}, 10)
		e.sb.WeChat.Fail(wechat.ActionTemplateSend, 40164, 1)
		c := e.schedule(e.campaign("白名单", 48*time.Hour))
		begin := time.Now()
		e.tick()
		e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
		e.checkReachedOnce(c)
		f := e.funnel(c.ID)
		if f.ByChannel[population.ChannelSMS].Failed != 0 || f.ByChannel[population.ChannelWeChat].Failed != 0 {
			t.Errorf("funnel %+v: a config failure must not fail messages", f)
		}
		sent := e.sb.WeChat.Sent()
		for _, m := range sent {
			if m.At.Before(begin.Add(pause)) {
				t.Errorf("WeChat message to %v sent %s after the start, inside the %s pause", m.ToUser, m.At.Sub(begin), pause)
			}
		}
		paused := 0
		for _, m := range e.channelMessages(c.ID, population.ChannelWeChat, outbound.StatusSent, outbound.StatusDelivered) {
			if hasCode(e.events(m.ID), "channel_paused") {
				paused++
			}
		}
		// The refused one and every one that reached the gate meanwhile.
		if paused < 2 {
			t.Errorf("%d WeChat messages were held by the pause, want the refused one and those after it", paused)
		}
	})
}

// Work lost from Redis mid-campaign (FlushDB while WeChat sends wait out a
// channel pause) is rebuilt from the ledger: Rebuild re-enqueues exactly
// the pending messages and the campaign completes with every resident
// reached exactly once.
func TestRebuildAfterRedisFlush(t *testing.T) {
	const pause = 30 * time.Minute
	e := setup(t, queue.Config{ChannelPause: pause}, 10)
	e.sb.WeChat.Fail(wechat.ActionTemplateSend, 40164, 1)
	c := e.schedule(e.campaign("重建", 48*time.Hour))
	e.tick()
	e.waitFor("sms done, wechat waiting", 30*time.Second, func() bool {
		f := e.funnel(c.ID)
		_, done, err := e.st.RunCheckpoint(e.ctx, c.ID, 1)
		wx, sms := f.ByChannel[population.ChannelWeChat], f.ByChannel[population.ChannelSMS]
		return err == nil && done && sms.Pending+sms.Sending == 0 && wx.Sending == 0 && wx.Pending > 0 && e.still()
	})
	pending := e.messages(c.ID, outbound.StatusPending)
	if err := e.rdb.FlushDB(e.ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// The deferred sends' NotBefore has passed when Redis comes back.
	e.clk.advance(pause + time.Minute)
	n, err := e.enq.Rebuild(e.ctx, e.st, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(pending) {
		t.Errorf("Rebuild enqueued %d, want the %d pending messages", n, len(pending))
	}
	e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	e.tick()
	e.waitFor("completed", 10*time.Second, func() bool { return e.state(c.ID) == campaigns.StateCompleted })
	e.checkReachedOnce(c)
	for ch, cf := range e.funnel(c.ID).ByChannel {
		if cf.Failed != 0 {
			t.Errorf("%s: %d failed", ch, cf.Failed)
		}
	}
}

// A worker that crashed after ClaimMessage leaves its message in sending.
// Reconciliation leaves it alone for 2×SendTimeout, then hands it back and
// re-enqueues it with its outcome unknown, and the resident is reached
// exactly once — also when the crashed worker's call had already gone out:
// Aliyun is asked before anything is sent (the message's own OutId, or the
// batch's that MarkAttempt recorded), and WeChat drops the repeat by
// client_msg_id.
func TestRecoverStuckSending(t *testing.T) {
	// Aliyun is asked about the claim's day: keep the clock on today.
	e := setup(t, queue.Config{}, 10, onToday())
	// The run is written by hand below: the server's recovery at start
	// must be over, or it may expand the running campaign meanwhile.
	e.recovered()
	c := e.campaign("崩溃", 48*time.Hour)
	var wx, sms []population.Resident
	phones := map[pii.Phone]bool{}
	for _, r := range e.res {
		switch expectChannel(r, c) {
		case population.ChannelWeChat:
			if len(wx) < 2 {
				wx = append(wx, r)
			}
		case population.ChannelSMS:
			if len(sms) < 4 && !phones[r.Phone] {
				phones[r.Phone] = true
				sms = append(sms, r)
			}
		}
	}
	if len(wx) < 2 || len(sms) < 4 {
		t.Fatalf("fixture: %d wechat, %d sms residents", len(wx), len(sms))
	}
	c = e.schedule(c)
	e.move(c.ID, campaigns.StateRunning)
	if _, err := e.st.StartRun(e.ctx, c.ID, 1, c.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	var msgs []outbound.Message
	for _, r := range append(append([]population.Resident{}, wx...), sms...) {
		msgs = append(msgs, outbound.Message{ResidentID: r.ID, Channel: expectChannel(r, c), Status: outbound.StatusPending,
			NotBefore: e.clk.Now(), Deadline: c.ExpiresAt})
	}
	// Written as the whole run (done), so the tick does not expand it.
	written, err := e.st.WriteMessages(e.ctx, c.ID, 1, msgs, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	id := map[int64]int64{} // resident → message
	for _, m := range written {
		if _, ok, err := e.st.ClaimMessage(e.ctx, m.ID, e.clk.Now()); err != nil || !ok {
			t.Fatalf("claim %d: %v %v", m.ID, ok, err)
		}
		id[m.ResidentID] = m.ID
	}
	// Before crashing, the workers of wx[1], sms[1] (alone) and sms[2],
	// sms[3] (one batch under sms[2]'s id as OutId) had their calls
	// accepted; wx[0] and sms[0] crashed before calling.
	ctx := e.ctx
	if _, err := prov.wx.SendTemplate(ctx, gateway.TemplateMessage{ToUser: wx[1].OpenID, TemplateID: sandbox.WeChatTemplateNotice,
		Data:        map[string]string{"keyword1": "社区保安招聘，月薪五千", "keyword2": "网格员", "keyword3": "回T退订"},
		ClientMsgID: strconv.FormatInt(id[wx[1].ID], 10)}); err != nil {
		t.Fatal(err)
	}
	cl := newSMSClient(t, 2*time.Second)
	sm := func(r population.Resident, outID int64) gateway.SMS {
		return gateway.SMS{Phone: r.Phone, TemplateCode: c.SMS.TemplateCode, SignName: c.SMS.SignName,
			OutID: strconv.FormatInt(outID, 10), Params: map[string]string{"name": "您", "job": "社区保安", "detail": "月薪五千",
				"reply": "回复1报名", "worker": "网格员", "phone": "12345"}}
	}
	if _, err := cl.Send(ctx, sm(sms[1], id[sms[1].ID])); err != nil {
		t.Fatal(err)
	}
	// A batch's messages learn its OutId before the call.
	if err := e.st.MarkAttempt(ctx, []int64{id[sms[2].ID], id[sms[3].ID]}, strconv.FormatInt(id[sms[2].ID], 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.SendBatch(ctx, []gateway.SMS{sm(sms[2], id[sms[2].ID]), sm(sms[3], id[sms[2].ID])}); err != nil {
		t.Fatal(err)
	}

	// A tick right away leaves the claims alone: a live worker may hold them.
	e.tick()
	e.waitFor("tick done", 10*time.Second, e.still)
	if got := len(e.messages(c.ID, outbound.StatusSending)); got != len(written) {
		t.Fatalf("%d of %d messages still sending after an early tick", got, len(written))
	}

	// 2×SendTimeout later the reconciler takes them back.
	e.clk.advance(2*queue.DefaultSendTimeout + time.Second)
	e.tick()
	e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	e.tick()
	e.waitFor("completed", 10*time.Second, func() bool { return e.state(c.ID) == campaigns.StateCompleted })

	smsSent, wxSent := e.sentCounts()
	for _, r := range wx {
		if wxSent[r.OpenID] != 1 || smsSent[r.Phone] != 0 {
			t.Errorf("wechat resident %d: wechat %d sms %d, want 1 and 0", r.ID, wxSent[r.OpenID], smsSent[r.Phone])
		}
	}
	for _, r := range sms {
		if smsSent[r.Phone] != 1 {
			t.Errorf("sms resident %d: %d SMS, want 1", r.ID, smsSent[r.Phone])
		}
	}
	if n := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); n != len(written) {
		t.Errorf("%d messages sent in all, want %d", n, len(written))
	}
	for _, tc := range []struct {
		r        population.Resident
		provider string // ProviderID prefix
	}{
		{wx[0], ""},
		{wx[1], ""}, // resent; WeChat answered with the first msgid
		{sms[0], ""},
		{sms[1], "out:" + strconv.FormatInt(id[sms[1].ID], 10) + "/"},
		{sms[2], "out:" + strconv.FormatInt(id[sms[2].ID], 10) + "/"},
		{sms[3], "out:" + strconv.FormatInt(id[sms[2].ID], 10) + "/"},
	} {
		m, err := e.st.Message(ctx, id[tc.r.ID])
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != outbound.StatusSent && m.Status != outbound.StatusDelivered {
			t.Errorf("message %d: %s, want sent or delivered", m.ID, m.Status)
		}
		codes := e.events(m.ID)
		if !hasCode(codes, queue.ReasonRecovered) {
			t.Errorf("message %d history %v: not recovered", m.ID, codes)
		}
		if !strings.HasPrefix(m.ProviderID, tc.provider) || m.ProviderID == "" {
			t.Errorf("message %d provider id %q, want prefix %q", m.ID, m.ProviderID, tc.provider)
		}
	}
}

// Pending work whose tasks Redis no longer has is queued again as soon as
// another Redis server answers than the one the last recovery marked (a
// failover promoted a replica), not only every RecoverEvery: the tick
// compares the mark with the server's run id.
func TestRecoverWhenAnotherRedisAnswers(t *testing.T) {
	if os.Getenv("GRIDCAST_TEST_REDIS") == "" {
		t.Skip("GRIDCAST_TEST_REDIS unset: the in-process miniredis reports no run_id, which a failover is recognised by")
	}
	e := setup(t, queue.Config{}, 10)
	// Written as the whole run, with no task: what a Redis that lost the
	// latest writes leaves behind.
	c, msgs := e.writtenRun("换主")
	// The mark names this server: a tick recovers nothing.
	e.tick()
	e.waitFor("tick done", 10*time.Second, e.still)
	if got := len(e.messages(c.ID, outbound.StatusPending)); got != len(msgs) {
		t.Fatalf("%d of %d messages pending after a tick on the same Redis; want all", got, len(msgs))
	}
	// Another server's run id in the mark, as after a failover.
	if err := e.rdb.Set(e.ctx, "gridcast:queue:recovered", "0123456789abcdef0123456789abcdef01234567", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	e.tick()
	e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	e.checkReachedOnce(c)
}
