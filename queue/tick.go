package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
)

// tickLimit is how many campaigns of one state a tick looks at.
const tickLimit = 500

// maxRunsScanned bounds the walk from ScheduleAt to the current run of a
// recurring campaign (a daily campaign reaches it in under three years).
const maxRunsScanned = 1000

// tick starts scheduled campaigns whose run is due, finishes running
// campaigns with nothing left to send, and reconciles stale receipts. It
// is idempotent: StartRun, the optimistic transitions and the expansion's
// task id keep several schedulers (or a repeated tick) from starting a run
// twice.
func (h *handlers) tick(ctx context.Context, t *asynq.Task) error {
	now := h.cfg.Now()
	var errs []error
	scheduled, err := h.deps.Ledger.Campaigns(ctx, campaigns.StateScheduled, tickLimit)
	if err != nil {
		return fmt.Errorf("queue: tick: %w", err)
	}
	for _, c := range scheduled {
		if err := h.startDue(ctx, c, now); err != nil {
			errs = append(errs, fmt.Errorf("campaign %d: %w", c.ID, err))
		}
	}
	running, err := h.deps.Ledger.Campaigns(ctx, campaigns.StateRunning, tickLimit)
	if err != nil {
		return fmt.Errorf("queue: tick: %w", err)
	}
	for _, c := range running {
		if err := h.resume(ctx, c, now); err != nil {
			errs = append(errs, err)
		}
		if err := h.maybeComplete(ctx, c.ID); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, h.reconcile(ctx, t))
	if _, err := h.rescueOrphans(ctx); err != nil {
		errs = append(errs, err)
	}
	// Reminders and the desk's messages written by a process without a
	// queue (the CLI beside an embedded Redis).
	if _, err := h.enq.requeueSingles(ctx, h.deps.Ledger); err != nil {
		errs = append(errs, err)
	}
	// Work a Redis lost: at once when it was emptied or another server
	// took over (a failover), else every RecoverEvery.
	if due, err := h.recoverDue(ctx); err != nil {
		errs = append(errs, fmt.Errorf("queue: recover: %w", err))
	} else if due {
		errs = append(errs, h.recover(ctx, false))
	}
	if h.deps.Desk != nil {
		// The safety net under the escalation timers.
		if _, err := h.deps.Desk.Sweep(ctx); err != nil {
			errs = append(errs, fmt.Errorf("queue: escalation sweep: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.log.WarnContext(ctx, "tick_errors", "err", err)
		return err
	}
	return nil
}

// dueRun returns the number and start of the latest run of c that is due
// at now: run 1 at ScheduleAt, then each NextRun.
func dueRun(c campaigns.Campaign, now time.Time) (int, time.Time) {
	if now.Before(c.ScheduleAt) {
		return 0, time.Time{}
	}
	run, at := 1, c.ScheduleAt
	for range maxRunsScanned {
		next := c.NextRun(at)
		if next.IsZero() || next.After(now) {
			break
		}
		run, at = run+1, next
	}
	return run, at
}

// startDue moves a scheduled campaign whose run is due to running and
// enqueues the run's expansion, unless that run is already fully expanded
// (a recurring campaign waiting for its next run).
func (h *handlers) startDue(ctx context.Context, c campaigns.Campaign, now time.Time) error {
	run, at := dueRun(c, now)
	if run == 0 {
		return nil
	}
	_, done, err := h.deps.Ledger.RunCheckpoint(ctx, c.ID, run)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if done {
		return nil
	}
	if d := c.Deadline(at); !d.IsZero() && !now.Before(d) {
		// Too late for this run. A campaign past ExpiresAt completes.
		if !now.Before(c.ExpiresAt) {
			return h.transition(ctx, c, campaigns.StateCompleted, now, "expired")
		}
		return nil
	}
	// Approval was enforced when the campaign was scheduled and only drafts
	// can be edited, so the audience need not be counted again here.
	if err := h.transition(ctx, c, campaigns.StateRunning, now, fmt.Sprintf("run %d", run)); err != nil {
		return err
	}
	if _, err := h.deps.Ledger.StartRun(ctx, c.ID, run, at); err != nil {
		return err
	}
	return h.enq.StartCampaign(ctx, c.ID, run, at)
}

// resume re-enqueues the expansion of a running campaign's current run
// when it is not fully expanded: after a resume from paused (the expansion
// stopped) or when its task was lost. The task id makes it a no-op while
// the expansion is queued or running.
func (h *handlers) resume(ctx context.Context, c campaigns.Campaign, now time.Time) error {
	run, at := dueRun(c, now)
	if run == 0 {
		return nil
	}
	_, done, err := h.deps.Ledger.RunCheckpoint(ctx, c.ID, run)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if done {
		return nil
	}
	return h.enq.StartCampaign(ctx, c.ID, run, at)
}

func (h *handlers) transition(ctx context.Context, c campaigns.Campaign, to campaigns.State, now time.Time, note string) error {
	ev, err := c.Transition(to, "system", 0, h.cfg.Policy, now)
	if err != nil {
		return err
	}
	if note != "" {
		ev.Note = note
	}
	if err := h.deps.Ledger.ApplyCampaignEvent(ctx, c, ev); err != nil && !errors.Is(err, fault.ErrConflict) {
		return err
	}
	return nil
}

// tickPeriod is how often spec fires: its duration for "@every D", else a
// minute (a cron spec fires at most once a minute).
func tickPeriod(spec string) time.Duration {
	if d, err := time.ParseDuration(strings.TrimPrefix(spec, "@every ")); err == nil && d >= time.Second {
		return d
	}
	return time.Minute
}

// recover re-enqueues the ledger's pending work (Enqueuer.Recover) and
// marks it done for RecoverEvery, under the Redis server's run id.
func (h *handlers) recover(ctx context.Context, dropArchived bool) error {
	n, err := h.enq.Recover(ctx, h.deps.Ledger, dropArchived)
	if n > 0 {
		h.log.InfoContext(ctx, "work_recovered", "pending_messages", n)
	}
	if err != nil {
		return err
	}
	return h.lim.rdb.Set(ctx, keyRecovered, h.redisRunID(ctx), h.cfg.RecoverEvery).Err()
}

// recoverDue reports whether the ledger's pending work must be queued
// again: the mark of the last recovery is gone (expired after
// RecoverEvery, or the Redis was flushed or restarted empty), or names
// another server than the one answering now (a failover promoted a
// replica, which may lack the latest writes).
func (h *handlers) recoverDue(ctx context.Context) (bool, error) {
	v, err := h.lim.rdb.Get(ctx, keyRecovered).Result()
	if errors.Is(err, redis.Nil) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	id := h.redisRunID(ctx)
	return id != "" && v != id, nil
}

// redisRunID is the run id of the Redis server commands go to (its
// master under Sentinel); "" for a cluster, whose nodes each have one, or
// when INFO is refused.
func (h *handlers) redisRunID(ctx context.Context) string {
	if _, ok := h.lim.rdb.(*redis.ClusterClient); ok {
		return ""
	}
	info, err := h.lim.rdb.Info(ctx, "server").Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return id
		}
	}
	return ""
}
