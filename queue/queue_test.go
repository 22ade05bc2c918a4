package queue_test

import (
	"encoding/json"
	"testing"

	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// expectChannel is the channel a resident should be reached on, or "" if
// none (opted out, no channel).
func expectChannel(r population.Resident, c campaigns.Campaign) population.Channel {
	if r.OptedOut(c.Kind.Topic()) {
		return ""
	}
	ch, _ := campaigns.ChooseChannel(c.ChannelPolicy, r, false)
	return ch
}

// A campaign reaches every eligible resident exactly once, on the right
// channel; opted-out residents are skipped with the reason; re-running the
// expansion and re-delivering every send task sends nothing twice;
// receipts, duplicated and out of order, only move statuses forward; the
// tick completes the campaign. It runs on both store drivers.
func TestCampaignReachesEveryoneOnce(t *testing.T) {
	forEachDriver(t, testCampaignReachesEveryoneOnce)
}

func testCampaignReachesEveryoneOnce(t *testing.T, driver string) {
	e := setup(t, queue.Config{}, 10, onDriver(driver))
	// Two residents opt out of job postings.
	for _, r := range e.res[:2] {
		if err := e.st.SetOptOut(e.ctx, r.ID, population.TopicJob, true); err != nil {
			t.Fatal(err)
		}
		r.OptOuts = append(r.OptOuts, population.TopicJob)
		e.byID[r.ID] = r
	}
	c := e.schedule(e.campaign("招聘", 48*time.Hour))
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })

	sms, wx := e.sentCounts()
	want := map[population.Channel]int{}
	for _, r := range e.byID {
		ch := expectChannel(r, c)
		want[ch]++
		gotSMS, gotWX := sms[r.Phone], 0
		if r.OpenID != "" {
			gotWX = wx[r.OpenID]
		}
		switch ch {
		case population.ChannelSMS:
			if gotSMS != 1 || gotWX != 0 {
				t.Errorf("resident %d (sms): sms %d wechat %d", r.ID, gotSMS, gotWX)
			}
		case population.ChannelWeChat:
			if gotWX != 1 || gotSMS != 0 {
				t.Errorf("resident %d (wechat): sms %d wechat %d", r.ID, gotSMS, gotWX)
			}
		default:
			if gotSMS+gotWX != 0 {
				t.Errorf("resident %d (none): sms %d wechat %d", r.ID, gotSMS, gotWX)
			}
		}
	}
	if want[population.ChannelWeChat] == 0 || want[population.ChannelSMS] == 0 {
		t.Fatalf("fixture reaches channels %v: want both", want)
	}
	f := e.funnel(c.ID)
	optedOut := 0
	for _, r := range e.byID {
		if r.OptedOut(c.Kind.Topic()) {
			optedOut++
		}
	}
	if got := f.Skipped[outbound.SkipOptedOut]; got != optedOut || optedOut < 2 {
		t.Errorf("skipped opted_out = %d, want %d (funnel %+v)", got, optedOut, f)
	}
	for _, m := range e.messages(c.ID, outbound.StatusSkipped) {
		if m.SkipReason == "" {
			t.Errorf("message %d skipped without a reason", m.ID)
		}
	}

	// Receipts arrive (the emulators push them to our webhooks).
	e.waitFor("receipts", 30*time.Second, func() bool {
		f := e.funnel(c.ID)
		return f.ByChannel[population.ChannelSMS].Sent == 0 && f.ByChannel[population.ChannelWeChat].Sent == 0
	})
	// The tick completes the campaign.
	e.tick()
	e.waitFor("completed", 10*time.Second, func() bool { return e.state(c.ID) == campaigns.StateCompleted })

	// Re-running the expansion and re-delivering every send task sends
	// nothing twice.
	before := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent())
	if err := e.enq.StartCampaign(e.ctx, c.ID, 1, c.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	for _, st := range []outbound.Status{outbound.StatusDelivered, outbound.StatusFailed} {
		for _, m := range e.messages(c.ID, st) {
			if err := e.enq.EnqueueSend(e.ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.waitFor("queues idle", 20*time.Second, e.idle)
	if after := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); after != before {
		t.Errorf("re-delivery sent %d more messages", after-before)
	}

	// Duplicate and out-of-order receipts keep statuses forward.
	delivered := e.messages(c.ID, outbound.StatusDelivered)
	var reps []aliyunsms.Report
	var wxm []outbound.Message
	for _, m := range delivered {
		if m.Channel == population.ChannelSMS && len(reps) < 5 {
			biz, phone := splitKey(m.ProviderID)
			reps = append(reps, aliyunsms.Report{Phone: pii.Phone(phone), BizID: biz, Success: false, ErrCode: "UNDELIV"},
				aliyunsms.Report{Phone: pii.Phone(phone), BizID: biz, Success: true, ErrCode: "DELIVERED"})
		}
		if m.Channel == population.ChannelWeChat && len(wxm) < 5 {
			wxm = append(wxm, m)
		}
	}
	if err := aliyunsms.ReportsTo(e.enq)(e.ctx, reps); err != nil {
		t.Fatal(err)
	}
	for _, m := range wxm {
		var id int64
		for _, ch := range m.ProviderID {
			id = id*10 + int64(ch-'0')
		}
		if err := wechat.ToSink(e.enq)(e.ctx, wechat.Inbound{Kind: wechat.KindTemplateFinish, TemplateMsgID: id, Status: "failed: system failed"}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("receipts processed", 20*time.Second, e.idle)
	if got := len(e.messages(c.ID, outbound.StatusDelivered)); got != len(delivered) {
		t.Errorf("delivered %d after late receipts, want %d", got, len(delivered))
	}
}

func splitKey(k string) (biz, phone string) {
	for i := range k {
		if k[i] == '/' {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

// At 22:00 Beijing time nothing is sent: the send tasks wait for 08:00.
func TestQuietHoursReschedule(t *testing.T) {
	e := setup(t, queue.Config{}, 22)
	c := e.schedule(e.campaign("夜间", 48*time.Hour))
	e.tick()
	e.waitFor("expansion done", 30*time.Second, func() bool {
		_, done, err := e.st.RunCheckpoint(e.ctx, c.ID, 1)
		return err == nil && done
	})
	pending := e.messages(c.ID, outbound.StatusPending)
	if len(pending) == 0 {
		t.Fatal("no pending messages")
	}
	tasks, err := e.insp.ListScheduledTasks(queue.QueueBulk, asynq.PageSize(10000))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(10 * time.Hour)
	if got := messagesIn(t, tasks); got != len(pending) {
		t.Errorf("scheduled tasks carry %d messages for %d pending messages", got, len(pending))
	}
	for _, ti := range tasks {
		if d := ti.NextProcessAt.Sub(want); d < -time.Minute || d > time.Minute {
			t.Errorf("task %s at %s, want about %s (08:00 Beijing)", ti.ID, ti.NextProcessAt, want)
			break
		}
	}
	if n := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); n != 0 {
		t.Errorf("%d messages sent in quiet hours", n)
	}
}

// messagesIn counts the messages send tasks carry: the ids of a chunk, one
// for a single send.
func messagesIn(t *testing.T, tasks []*asynq.TaskInfo) int {
	t.Helper()
	n := 0
	for _, ti := range tasks {
		if ti.Type != queue.TypeSendChunk {
			n++
			continue
		}
		var p struct {
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatalf("chunk %s: %v", ti.ID, err)
		}
		n += len(p.IDs)
	}
	return n
}

// A campaign completes within seconds of its last outcome, not at the next
// minute's tick: each send asks for a completion check of its campaign.
// The test ticks once, to start the campaign, and never again.
func TestCampaignCompletesSoonAfterItsLastMessage(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	c := e.schedule(e.campaign("即时完成", 48*time.Hour))
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	settledAt := time.Now()
	e.waitFor("campaign completed without a tick", 10*time.Second, func() bool {
		return e.state(c.ID) == campaigns.StateCompleted
	})
	t.Logf("completed %v after the last outcome", time.Since(settledAt).Round(100*time.Millisecond))
}
