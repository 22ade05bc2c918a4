package queue_test

import (
	"testing"
	"time"

	"github.com/gridcast/gridcast/queue"
)

// A recurring campaign (a daily job digest) runs once per period however
// many schedulers tick, and each run reaches every resident once more.
func TestRecurringCampaignRunsOncePerPeriod(t *testing.T) {
	e := setup(t, queue.Config{}, 10) // 10:00 Beijing time: outside quiet hours
	c := e.campaign("daily digest", 10*24*time.Hour)
	c.Recurrence = "0 10 * * *" // every day at 10:00, Asia/Shanghai
	c.ScheduleAt = e.clk.Now()  // run 1 now, on the schedule; run 2 tomorrow
	c = e.schedule(c)

	total := func() int {
		sms, wx := e.sentCounts()
		n := 0
		for _, v := range sms {
			n += v
		}
		for _, v := range wx {
			n += v
		}
		return n
	}
	runSettled := func(run int) func() bool {
		return func() bool {
			_, done, err := e.st.RunCheckpoint(e.ctx, c.ID, run)
			if err != nil || !done {
				return false
			}
			for _, cf := range e.funnel(c.ID).ByChannel {
				if cf.Pending+cf.Sending > 0 {
					return false
				}
			}
			return true
		}
	}

	e.tick()
	e.tick() // a second scheduler process
	defer func() {
		if t.Failed() {
			t.Logf("funnel %+v", e.funnel(c.ID))
			_, d, err := e.st.RunCheckpoint(e.ctx, c.ID, 1)
			t.Logf("run 1 done=%v err=%v state=%s", d, err, e.state(c.ID))
		}
	}()
	e.waitFor("run 1", 60*time.Second, runSettled(1))
	first := total()
	if first == 0 {
		t.Fatal("run 1 sent nothing")
	}
	e.tick() // the same period again: no second run
	e.waitFor("queue idle", 30*time.Second, e.idle)
	if got := total(); got != first {
		t.Fatalf("a repeated tick in the same period sent %d more messages", got-first)
	}
	if _, _, err := e.st.RunCheckpoint(e.ctx, c.ID, 2); err == nil {
		t.Fatal("run 2 started before its time")
	}

	e.clk.advance(24 * time.Hour) // the next day, 10:00
	e.tick()
	e.tick()
	e.waitFor("run 2", 60*time.Second, runSettled(2))
	e.waitFor("queue idle", 30*time.Second, e.idle)
	if got := total(); got != 2*first {
		t.Errorf("after two runs the residents got %d messages, want %d (each run once)", got, 2*first)
	}
}
