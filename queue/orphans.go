package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// rescueOrphans hands back the tasks a dead worker had taken: Asynq keeps
// a task active under its lease (30 s, extended while the worker lives)
// and its recoverer hands an expired one back only at its next round, up
// to a minute later. Each task whose lease has expired is enqueued again
// now, as a copy under the task id "rescue:<id>" on the same queue. Every
// handler is idempotent against the ledger (a send's claim lets one
// through), so the copy and a late recovery of the original do no harm.
func (h *handlers) rescueOrphans(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for q := range h.cfg.Queues {
		ts, err := h.enq.insp.ListActiveTasks(q, asynq.PageSize(1000))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("queue: active tasks of %s: %w", q, err))
			continue
		}
		for _, t := range ts {
			if !t.IsOrphaned {
				continue
			}
			timeout := h.cfg.SendTimeout
			if t.Type == TypeExpand {
				timeout = time.Hour
			}
			_, err := h.enq.client.EnqueueContext(ctx, asynq.NewTask(t.Type, t.Payload), asynq.Queue(q),
				asynq.TaskID("rescue:"+t.ID), asynq.MaxRetry(h.cfg.MaxRetry), asynq.Timeout(timeout), asynq.Retention(0))
			switch {
			case errors.Is(err, asynq.ErrTaskIDConflict):
			case err != nil:
				errs = append(errs, fmt.Errorf("queue: rescue %s: %w", t.ID, err))
			default:
				n++
				h.log.WarnContext(ctx, "task_rescued", "task_id", t.ID, "type", t.Type, "queue", q)
			}
		}
	}
	return n, errors.Join(errs...)
}
