package queue_test

import (
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// eligible counts the residents c reaches per channel.
func (e *env) eligible(c campaigns.Campaign) map[population.Channel]int {
	n := map[population.Channel]int{}
	for _, r := range e.byID {
		n[expectChannel(r, c)]++
	}
	return n
}

// A resident who unfollowed (43004, permanent) gets the SMS fallback.
func TestWeChatPermanentFallsBackToSMS(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	c := e.campaign("回退", 48*time.Hour)
	var victim population.Resident
	for _, r := range e.res {
		if expectChannel(r, c) == population.ChannelWeChat && r.Phone != "" {
			victim = r
			break
		}
	}
	e.sb.WeChat.SetFollower(wechat.Follower{OpenID: victim.OpenID, Following: false})
	c = e.schedule(c)
	e.tick()
	e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	sms, wx := e.sentCounts()
	if sms[victim.Phone] != 1 || wx[victim.OpenID] != 0 {
		t.Errorf("victim: sms %d wechat %d, want 1 and 0", sms[victim.Phone], wx[victim.OpenID])
	}
	var failed, fb *outbound.Message
	for _, st := range []outbound.Status{outbound.StatusFailed, outbound.StatusSent, outbound.StatusDelivered} {
		for _, m := range e.messages(c.ID, st) {
			if m.ResidentID != victim.ID {
				continue
			}
			if m.Channel == population.ChannelWeChat {
				failed = &m
			} else {
				fb = &m
			}
		}
	}
	if failed == nil || failed.Status != outbound.StatusFailed || failed.ProviderCode != "43004" {
		t.Fatalf("wechat message = %+v, want failed 43004", failed)
	}
	if fb == nil || fb.FallbackOf != failed.ID {
		t.Fatalf("fallback = %+v, want an SMS with FallbackOf %d", fb, failed.ID)
	}
}

// 503s are retried (burning retries) and then succeed; throttles defer
// without burning retries (MaxRetry 1 would fail them otherwise).
func TestRetryAndThrottle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   queue.Config
		fault aliyunsms.Fault
		n     int
	}{
		{"503", queue.Config{}, aliyunsms.FaultServiceUnavailable, 2},
		{"throttle", queue.Config{MaxRetry: 1}, aliyunsms.FaultThrottling, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.cfg, 10)
			e.sb.SMS.FailNext(tc.n, tc.fault)
			c := e.schedule(e.campaign(tc.name, 48*time.Hour))
			e.tick()
			e.waitFor("settled", 60*time.Second, func() bool { return e.settled(c.ID) })
			f := e.funnel(c.ID).ByChannel[population.ChannelSMS]
			want := e.eligible(c)[population.ChannelSMS]
			if f.Failed != 0 || f.Sent+f.Delivered != want {
				t.Errorf("sms funnel %+v, want %d sent or delivered and none failed", f, want)
			}
			sms, _ := e.sentCounts()
			for p, n := range sms {
				if n != 1 {
					t.Errorf("%v got %d SMS", p, n)
				}
			}
			if len(sms) != want {
				t.Errorf("%d numbers got SMS, want %d", len(sms), want)
			}
		})
	}
}

// With a cap of one message a day, a second campaign that expires before
// tomorrow skips everyone as capped and sends nothing.
func TestCaps(t *testing.T) {
	e := setup(t, queue.Config{Caps: campaigns.Caps{PerDay: 1}}, 10)
	a := e.schedule(e.campaign("第一", 48*time.Hour))
	e.tick()
	e.waitFor("first settled", 30*time.Second, func() bool { return e.settled(a.ID) })
	before := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent())
	b := e.schedule(e.campaign("第二", time.Hour))
	e.tick()
	e.waitFor("second settled", 30*time.Second, func() bool { return e.settled(b.ID) })
	if after := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); after != before {
		t.Errorf("capped campaign sent %d", after-before)
	}
	el := e.eligible(b)
	if got, want := e.funnel(b.ID).Skipped[outbound.SkipCapped], el[population.ChannelSMS]+el[population.ChannelWeChat]; got != want {
		t.Errorf("skipped capped = %d, want %d", got, want)
	}
}

// A paused campaign writes and sends nothing until resumed; a cancelled
// one skips its held messages as cancelled.
func TestPauseResumeCancel(t *testing.T) {
	e := setup(t, queue.Config{PausedRecheck: 200 * time.Millisecond}, 10)
	// Runs are started by hand below: the server's recovery at start must
	// be over, or it may expand a running campaign before it is paused.
	e.recovered()

	// Paused before its expansion ran: nothing until resumed.
	p := e.schedule(e.campaign("暂停", 48*time.Hour))
	e.move(p.ID, campaigns.StateRunning)
	if _, err := e.st.StartRun(e.ctx, p.ID, 1, p.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	e.move(p.ID, campaigns.StatePaused)
	if err := e.enq.StartCampaign(e.ctx, p.ID, 1, p.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	e.waitFor("idle", 10*time.Second, e.idle)
	if f := e.funnel(p.ID); f.Targeted != 0 || len(e.sb.SMS.Sent())+len(e.sb.WeChat.Sent()) != 0 {
		t.Fatalf("paused campaign wrote or sent: %+v", f)
	}
	e.move(p.ID, campaigns.StateRunning)
	e.tick() // resumes the expansion
	e.waitFor("resumed campaign settled", 30*time.Second, func() bool { return e.settled(p.ID) })
	el := e.eligible(p)
	if got, want := len(e.sb.SMS.Sent())+len(e.sb.WeChat.Sent()), el[population.ChannelSMS]+el[population.ChannelWeChat]; got != want {
		t.Errorf("resumed campaign sent %d, want %d", got, want)
	}
	sentBefore := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent())

	// Sends held by a pause, then cancelled: skipped, never sent.
	x := e.schedule(e.campaign("取消", 48*time.Hour))
	e.move(x.ID, campaigns.StateRunning)
	if _, err := e.st.StartRun(e.ctx, x.ID, 1, x.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	e.move(x.ID, campaigns.StatePaused)
	var msgs []outbound.Message
	for _, r := range e.res[:20] {
		ch, why := campaigns.ChooseChannel(x.ChannelPolicy, r, false)
		if why == outbound.SkipNone {
			msgs = append(msgs, outbound.Message{ResidentID: r.ID, Channel: ch, Status: outbound.StatusPending,
				NotBefore: e.clk.Now(), Deadline: x.ExpiresAt})
		}
	}
	written, err := e.st.WriteMessages(e.ctx, x.ID, 1, msgs, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range written {
		if err := e.enq.EnqueueSend(e.ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("held sends tried", 20*time.Second, func() bool {
		for _, m := range written {
			got, err := e.st.Message(e.ctx, m.ID)
			if err != nil || got.Attempts < 1 || got.Status != outbound.StatusPending {
				return false
			}
		}
		return true
	})
	e.move(x.ID, campaigns.StateCancelled)
	e.waitFor("cancelled skipped", 20*time.Second, func() bool {
		return e.funnel(x.ID).Skipped[outbound.SkipCancelled] == len(written)
	})
	if got := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); got != sentBefore {
		t.Errorf("cancelled campaign sent %d", got-sentBefore)
	}
}
