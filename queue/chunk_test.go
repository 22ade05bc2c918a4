package queue_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
)

// A chunk's send task delivered three times at once — Asynq delivers at
// least once, and a rescue or a recovery may queue a copy — still reaches
// each resident once: the batch claim lets one delivery take each message.
func TestChunkDeliveredThriceSendsOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		e := setup(t, queue.Config{Concurrency: 6}, 10, onDriver(driver))
		c, written := e.writtenRun("三投")
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
