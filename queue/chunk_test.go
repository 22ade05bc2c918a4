package queue_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
)

// A chunk's send task delivered three times at once — Asynq delivers at
// least once, and a rescue or a recovery may queue a copy — still reaches
// each resident once: the batch claim lets one delivery take each message.
func TestChunkDeliveredThriceSendsOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		e := setup(t, queue.Config{Concurrency: 6}, 10, onDriver(driver))
		e.waitFor("start recovery", 10*time.Second, func() bool {
			n, err := e.rdb.Exists(e.ctx, "gridcast:queue:recovered").Result()
			return err == nil && n == 1
		})
		c := e.schedule(e.campaign("三投", 48*time.Hour))
		e.move(c.ID, campaigns.StateRunning)
		if _, err := e.st.StartRun(e.ctx, c.ID, 1, c.ScheduleAt); err != nil {
			t.Fatal(err)
		}
		var msgs []outbound.Message
		for _, r := range e.res {
			if ch := expectChannel(r, c); ch != "" {
				msgs = append(msgs, outbound.Message{ResidentID: r.ID, Channel: ch, Status: outbound.StatusPending,
					NotBefore: e.clk.Now(), Deadline: c.ExpiresAt})
			}
		}
		written, err := e.st.WriteMessages(e.ctx, c.ID, 1, msgs, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range written {
			ids = append(ids, m.ID)
		}
		payload, _ := json.Marshal(map[string]any{"campaign_id": c.ID, "ids": ids})
		cl := asynq.NewClientFromRedisClient(e.rdb)
		defer cl.Close()
		for i := range 3 {
			if _, err := cl.Enqueue(asynq.NewTask(queue.TypeSendChunk, payload), asynq.Queue(queue.QueueBulk),
				asynq.TaskID("copy:"+strconv.Itoa(i)), asynq.Retention(0)); err != nil {
				t.Fatal(err)
			}
		}
		e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })
		e.checkReachedOnce(c)
		// Each message went out once: one move to sent in its history
		// (claims that waited for the rate limit come and go).
		for _, m := range e.messages(c.ID, outbound.StatusSent) {
			evs, err := e.st.MessageEvents(e.ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, ev := range evs {
				if ev.To == outbound.StatusSent {
					sent++
				}
			}
			if sent != 1 {
				t.Errorf("message %d moved to sent %d times, want once: %+v", m.ID, sent, evs)
				break
			}
		}
	})
}
