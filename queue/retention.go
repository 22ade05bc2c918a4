package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/retention"
)

// The retention purge (package retention): once a day the scheduler
// enqueues "retention:purge", and a worker clears what Config.Retention's
// ages let go of. Each store sweep commits a batch at a time and keeps
// its place, so a purge cut short (a deploy, the task's timeout) loses
// nothing and the next one carries on.

// TypeRetentionPurge is the daily retention purge: no payload; queue
// default, every day at RetentionSpec.
const TypeRetentionPurge = "retention:purge"

// RetentionSpec is when the purge runs: 03:40 China Standard Time
// (19:40 UTC, the scheduler's zone), when residents sleep and campaigns
// are held by the quiet hours. It runs whenever the scheduler runs
// (Config.TickSpec other than "-"), Config.Retention is active and
// Deps.Retention is set.
const RetentionSpec = "40 19 * * *"

// retentionUnique keeps a second scheduler's (or an operator's) purge
// from queueing while one is queued or running; retentionTimeout bounds
// one purge: a city's first one may take longer, and the next day's goes
// on where it stopped.
const (
	retentionUnique  = 23 * time.Hour
	retentionTimeout = 2 * time.Hour
)

func retentionOpts() []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueDefault), asynq.Unique(retentionUnique), asynq.MaxRetry(3),
		asynq.Timeout(retentionTimeout), asynq.Retention(0)}
}

// PurgeRetention enqueues a retention purge now (the scheduler does so
// daily). A purge already queued or running makes it a no-op.
func (e *Enqueuer) PurgeRetention(ctx context.Context) error {
	err := e.enqueue(ctx, TypeRetentionPurge, struct{}{}, retentionOpts()...)
	if errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return err
}

// purgeRetention runs retention.Purge with Config.Retention at the
// queue's clock, deleting purged attachments' blobs from Deps.Blobs. A store error fails the task, which Asynq retries; the
// batches committed before it stay.
func (h *handlers) purgeRetention(ctx context.Context, _ *asynq.Task) error {
	rc := h.cfg.Retention
	switch {
	case h.deps.Retention == nil:
		h.log.WarnContext(ctx, "retention_skipped", "why", "this process has no retention store")
		return nil
	case !rc.Active():
		h.log.InfoContext(ctx, "retention_skipped", "why", "retention is disabled or keeps everything (retention.enabled, retention.message_text, retention.inbound)")
		return nil
	}
	start := time.Now()
	n, err := retention.Purge(ctx, h.deps.Retention, h.deps.Blobs, rc, h.cfg.Now(), false)
	h.log.InfoContext(ctx, "retention_purged", "messages", n.Messages, "inbound", n.Inbound, "tickets", n.Tickets,
		"bindings", n.Bindings, "attachments", n.Attachments, "tasks", n.Tasks, "supervisions", n.Supervisions,
		"blobs", n.Blobs, "blobs_pending", n.BlobsPending, "took", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}
