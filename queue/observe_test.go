package queue_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// moves records what Deps.Observe is told.
type moves struct {
	mu  sync.Mutex
	all []queue.Move
}

func (m *moves) add(mv queue.Move) {
	m.mu.Lock()
	m.all = append(m.all, mv)
	m.mu.Unlock()
}

// distinct counts the messages of channel ch that made a move matching
// to and reason.
func (m *moves) distinct(ch population.Channel, to outbound.Status, reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := map[int64]bool{}
	for _, mv := range m.all {
		if mv.Channel == ch && mv.To == to && mv.Reason == reason {
			ids[mv.MessageID] = true
		}
	}
	return len(ids)
}

// The observer learns every move the queue makes, with the channel of the
// message; while the SMS account has no balance, the channel's pause and
// why the campaign's SMS wait can be read back by an officer.
func TestObserveMovesAndWaiting(t *testing.T) {
	var seen moves
	e := setup(t, queue.Config{Concurrency: 1}, 10, withObserver(seen.add))
	e.sb.SMS.Inject(func(action string, _ pii.Phone) *aliyunsms.Fault {
		if isSend(action) {
			f := aliyunsms.FaultAmountNotEnough
			return &f
		}
		return nil
	})
	c := e.schedule(e.campaign("观察", 48*time.Hour))
	start := e.clk.Now()
	e.tick()
	want := e.eligible(c)
	// WeChat goes out and its receipts follow (the test webhook may take
	// some for repeats of an earlier test's: it dedupes events by openid,
	// second and event name), SMS waits for the pause.
	e.waitFor("wechat sent, sms deferred", 30*time.Second, func() bool {
		f := e.funnel(c.ID)
		wx, sms := f.ByChannel[population.ChannelWeChat], f.ByChannel[population.ChannelSMS]
		return wx.Pending+wx.Sending == 0 && sms.Pending == want[population.ChannelSMS] &&
			seen.distinct(population.ChannelSMS, outbound.StatusPending, outbound.WaitChannelPaused) == want[population.ChannelSMS]
	})
	var delivered int
	e.waitFor("every delivery the ledger took observed", 10*time.Second, func() bool {
		delivered = e.funnel(c.ID).ByChannel[population.ChannelWeChat].Delivered
		return delivered > 0 && seen.distinct(population.ChannelWeChat, outbound.StatusDelivered, "") == delivered
	})
	for _, tc := range []struct {
		ch     population.Channel
		to     outbound.Status
		reason string
		want   int
	}{
		{population.ChannelWeChat, outbound.StatusSent, "", want[population.ChannelWeChat]},
		{population.ChannelWeChat, outbound.StatusDelivered, "", delivered}, // every receipt the ledger took
		{population.ChannelSMS, outbound.StatusPending, outbound.WaitChannelPaused, want[population.ChannelSMS]},
		{population.ChannelSMS, outbound.StatusSent, "", 0},
		{population.ChannelSMS, outbound.StatusFailed, "", 0},
	} {
		if got := seen.distinct(tc.ch, tc.to, tc.reason); got != tc.want {
			t.Errorf("%s messages moved to %s (%q): %d, want %d", tc.ch, tc.to, tc.reason, got, tc.want)
		}
	}
	seen.mu.Lock()
	for _, mv := range seen.all {
		if mv.Channel == "" || mv.Purpose != outbound.PurposeCampaign || mv.MessageID == 0 {
			t.Errorf("move %+v: want the message's id, channel and purpose", mv)
		}
	}
	seen.mu.Unlock()

	pauses, err := queue.ChannelPauses(e.ctx, e.rdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(pauses) != 1 || pauses[0].Channel != population.ChannelSMS || pauses[0].Code != "isv.AMOUNT_NOT_ENOUGH" ||
		pauses[0].Remaining < 55*time.Minute || pauses[0].Remaining > time.Hour {
		t.Errorf("ChannelPauses = %+v, want sms paused for about an hour by isv.AMOUNT_NOT_ENOUGH", pauses)
	}
	waiting, err := e.st.CampaignWaiting(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 1 || waiting[0].Reason != outbound.WaitChannelPaused || waiting[0].Count != want[population.ChannelSMS] {
		t.Fatalf("CampaignWaiting = %+v, want %d channel_paused", waiting, want[population.ChannelSMS])
	}
	if d := waiting[0].Until.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("they wait until %s after the start, want about an hour", d)
	}
	loc := campaigns.Shanghai()
	if got, want := outbound.DescribeWait(waiting[0].Reason, waiting[0].Until, e.clk.Now(), loc),
		"channel paused until "+waiting[0].Until.In(loc).Format("15:04"); got != want {
		t.Errorf("described as %q, want %q", got, want)
	}
}
