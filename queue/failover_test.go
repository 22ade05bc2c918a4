package queue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// failoverOptions is how GridCast should reach Redis under Sentinel: a
// failover client whose retries outlast a promotion, so that a command
// caught by the failover waits for the new master instead of failing.
// A failed command is worse than a slow one here: Asynq v0.26.0 cannot
// write a task's outcome again after a failed attempt (its syncer retries
// with an already cancelled context), so the task stays active until
// Asynq's recoverer takes it back, one to two minutes later. The retry
// budget must exceed Sentinel's down-after-milliseconds plus the election
// (1 s + about 1.3 s here): twelve retries, backing off up to a second,
// each with up to five dials 100 ms apart, wait about ten seconds;
// go-redis's default three give up after under two.
func failoverOptions(g *sentinelGroup) *redis.FailoverOptions {
	return &redis.FailoverOptions{MasterName: sentinelMaster, SentinelAddrs: g.sentinelAddrs(),
		MaxRetries: 12, MaxRetryBackoff: time.Second}
}

// A Redis master failover under Sentinel in the middle of a campaign. The
// master is killed (SIGKILL) once part of each channel is out; Sentinel
// promotes the replica; the queue carries on on the new master with the
// per-minute scheduler running and the ticks a deployment runs; and every
// reachable resident gets exactly one message, on the right channel, and
// the campaign completes.
//
// Replication is asynchronous, so the writes the replica had not received
// are gone from the new master. That is emulated deterministically by
// deleting a few send tasks (pending, retrying, aggregating) right after
// the promotion. Nothing outside the queue helps: the next tick sees that
// another Redis server answers (its run id is not the one the last
// recovery marked) and re-enqueues the ledger's pending work, and the
// periodic recovery catches anything lost after that.
func TestSentinelFailover(t *testing.T) {
	g := startSentinelGroup(t)
	// The scheduler runs (at most one tick a wall-clock minute: the tick's
	// task id is per minute); the test's own ticks come every second.
	// The tasks are deleted just after the promotion, and a tick may
	// notice the new master (and recover) a moment before that; the
	// periodic recovery, every 5 s here, catches what such a tick missed.
	cfg := queue.Config{WeChatRate: 20, SMSRate: 2, GroupMaxSize: 10, TickSpec: "@every 1s", RecoverEvery: 5 * time.Second}
	e := setup(t, cfg, 10, withRedis(redis.NewFailoverClient(failoverOptions(g))))
	c := e.schedule(e.campaign("主从切换", 48*time.Hour))
	want := e.eligible(c)
	if want[population.ChannelSMS] < 4*cfg.GroupMaxSize || want[population.ChannelWeChat] < 100 {
		t.Fatalf("fixture reaches %v: want at least %d by SMS and 100 by WeChat", want, 4*cfg.GroupMaxSize)
	}
	e.tick()
	e.waitFor("a quarter of each channel sent", 30*time.Second, func() bool {
		return len(e.sb.SMS.Sent()) >= want[population.ChannelSMS]/4 && len(e.sb.WeChat.Sent()) >= want[population.ChannelWeChat]/4
	})

	killed := time.Now()
	g.master.kill()
	poll(t, "Sentinel to promote the replica", 30*time.Second, g.promoted)
	promoted := time.Now()
	lost := e.loseTasks(2)
	t.Logf("replica promoted %s after the kill; %d SMS and %d WeChat sent by then of %v; %d send tasks made lost",
		promoted.Sub(killed).Round(time.Millisecond), len(e.sb.SMS.Sent()), len(e.sb.WeChat.Sent()), want, len(lost))

	lastTick := time.Now()
	e.waitFor("the campaign settled on the new master", 40*time.Second, func() bool {
		if time.Since(lastTick) >= time.Second {
			lastTick = time.Now()
			e.tick()
		}
		return e.settled(c.ID)
	})
	e.tick()
	e.waitFor("completed", 10*time.Second, func() bool { return e.state(c.ID) == campaigns.StateCompleted })
	t.Logf("completed %s after the kill", time.Since(killed).Round(time.Millisecond))

	e.checkReachedOnce(c)
	for ch, cf := range e.funnel(c.ID).ByChannel {
		if cf.Failed != 0 {
			t.Errorf("%s: %d messages failed", ch, cf.Failed)
		}
	}
	// The failover was mid-campaign: both channels sent on the new master,
	// SMS still in aggregated batches (one BizId for several numbers).
	batches := map[string]int{}
	for _, m := range e.sb.SMS.Sent() {
		if m.SendTime.After(promoted) {
			batches[m.BizID]++
		}
	}
	biggest := 0
	for _, n := range batches {
		biggest = max(biggest, n)
	}
	if biggest < 2 {
		t.Errorf("SMS after the promotion went in %d calls of at most %d numbers: want aggregated batches", len(batches), biggest)
	}
	wxAfter := 0
	for _, m := range e.sb.WeChat.Sent() {
		if m.At.After(promoted) {
			wxAfter++
		}
	}
	if wxAfter == 0 {
		t.Error("no WeChat message sent after the promotion: the kill came too late to test anything")
	}
	// The scheduler lives on: its heartbeat (a 10 s TTL, written every 5 s)
	// is on the new master after the one written before the kill expired.
	e.waitFor("the scheduler's heartbeat on the new master", 20*time.Second, func() bool {
		if time.Since(killed) < 11*time.Second {
			return false
		}
		entries, err := e.insp.SchedulerEntries()
		if err != nil {
			return false
		}
		for _, en := range entries {
			if en.Task.Type() == queue.TypeTick {
				return true
			}
		}
		return false
	})
}

// loseTasks deletes up to n campaign send tasks of each waiting state
// (pending, retry, aggregating) from Redis, as a failover loses the writes
// its replica had not yet received, and returns their ids. A task that
// started meanwhile is left alone.
func (e *env) loseTasks(n int) []string {
	e.t.Helper()
	var lost []string
	drop := func(tasks []*asynq.TaskInfo, err error) {
		if err != nil {
			e.t.Fatal(err)
		}
		k := 0
		for _, ti := range tasks {
			if k == n {
				return
			}
			if !strings.HasPrefix(ti.ID, "send:") {
				continue
			}
			if e.insp.DeleteTask(queue.QueueBulk, ti.ID) == nil {
				lost = append(lost, ti.ID)
				k++
			}
		}
	}
	drop(e.insp.ListPendingTasks(queue.QueueBulk))
	drop(e.insp.ListRetryTasks(queue.QueueBulk))
	groups, err := e.insp.Groups(queue.QueueBulk)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, gi := range groups {
		drop(e.insp.ListAggregatingTasks(queue.QueueBulk, gi.Group))
	}
	return lost
}
