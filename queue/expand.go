package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// ExpandBatch is how many residents expansion reads, writes and enqueues at
// a time; the run's checkpoint moves once per chunk.
const ExpandBatch = 1000

// handlers holds what every task handler needs.
type handlers struct {
	cfg  Config
	deps Deps
	enq  *Enqueuer
	lim  *limits
	log  *slog.Logger
	wrk  *workerCache
}

// expand fans one campaign run out into the ledger and the bulk queue.
func (h *handlers) expand(ctx context.Context, t *asynq.Task) error {
	var p expandPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	c, err := h.deps.Ledger.Campaign(ctx, p.CampaignID)
	if err != nil {
		return fmt.Errorf("queue: expand: campaign %d: %w", p.CampaignID, err)
	}
	if c.State != campaigns.StateRunning {
		// Paused: resuming enqueues the expansion again. Cancelled or
		// completed: nothing to do.
		h.log.InfoContext(ctx, "expand_not_running", "campaign_id", c.ID, "run", p.Run, "state", c.State)
		return nil
	}
	runAt := p.RunAt
	if runAt.IsZero() {
		runAt = c.ScheduleAt
	}
	after, done, err := h.deps.Ledger.RunCheckpoint(ctx, c.ID, p.Run)
	if err != nil {
		return fmt.Errorf("queue: expand: checkpoint %d/%d: %w", c.ID, p.Run, err)
	}
	if !done {
		if after, err = h.stream(ctx, c, p.Run, runAt, after); err != nil {
			return err
		}
		if _, err := h.deps.Ledger.WriteMessages(ctx, c.ID, p.Run, nil, after, true); err != nil {
			return fmt.Errorf("queue: expand: finish %d/%d: %w", c.ID, p.Run, err)
		}
		h.log.InfoContext(ctx, "expand_done", "campaign_id", c.ID, "run", p.Run)
	}
	return h.maybeComplete(ctx, c.ID)
}

// stream writes and enqueues the run chunk by chunk. The checkpoint written
// with a chunk is the previous chunk's last id, because the chunk's sends
// are enqueued after the write: a crash in between re-reads the chunk.
// Reading the next chunk overlaps writing this one: the writes, in order,
// run in a goroutine of their own one chunk behind the reads.
func (h *handlers) stream(ctx context.Context, c campaigns.Campaign, run int, runAt time.Time, after int64) (int64, error) {
	checkpoint := after
	deadline := c.Deadline(runAt)
	// A visit campaign books each resident's slot before writing their
	// message (see visits.go); one booker, and one allocator per worker,
	// serve the whole run.
	slots := h.newSlotBooker(c, runAt, h.cfg.Now())
	type part struct {
		msgs []outbound.Message
		last int64 // the chunk's last resident id
		at   time.Time
	}
	parts := make(chan part, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for p := range parts {
			written, err := h.deps.Ledger.WriteMessages(gctx, c.ID, run, p.msgs, checkpoint, false)
			if err != nil {
				return fmt.Errorf("queue: expand: write %d/%d: %w", c.ID, run, err)
			}
			if ids := pendingIDs(written); len(ids) > 0 {
				// One send task for the chunk (see chunk.go).
				if err := h.enq.enqueueChunk(gctx, c.ID, ids, later(runAt, p.at), chunkTaskID(c.ID, ids[0], time.Time{}, time.Time{})); err != nil {
					return err
				}
			}
			checkpoint = p.last
		}
		return nil
	})
	err := h.deps.Audience.StreamSegment(gctx, c.Audience(), after, ExpandBatch, func(rs []population.Resident) error {
		now := h.cfg.Now()
		msgs := make([]outbound.Message, 0, len(rs))
		for _, r := range rs {
			m := outbound.Message{CampaignID: c.ID, Run: run, ResidentID: r.ID, Status: outbound.StatusPending,
				NotBefore: later(runAt, now), Deadline: deadline, CreatedAt: now}
			if why := c.CheckRecipient(r, runAt, now); why != outbound.SkipNone {
				m.Status, m.SkipReason = outbound.StatusSkipped, why
			} else if ch, why := campaigns.ChooseChannel(c.ChannelPolicy, r, false); why != outbound.SkipNone {
				m.Status, m.SkipReason = outbound.StatusSkipped, why
			} else {
				m.Channel = ch
				if slots != nil {
					why, err := slots.book(gctx, r)
					if err != nil {
						return fmt.Errorf("queue: expand: %d/%d: %w", c.ID, run, err)
					}
					if why != outbound.SkipNone {
						m.Status, m.SkipReason = outbound.StatusSkipped, why
					}
				}
			}
			if m.Status == outbound.StatusSkipped {
				m.FinishedAt = now
			}
			msgs = append(msgs, m)
		}
		select {
		case parts <- part{msgs: msgs, last: rs[len(rs)-1].ID, at: now}:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	})
	close(parts)
	if werr := g.Wait(); werr != nil {
		return 0, werr // the write's error, not the cancellation it caused
	}
	if err != nil {
		return 0, err
	}
	return checkpoint, nil
}

// complete handles campaign:complete, the check that follows sends.
func (h *handlers) complete(ctx context.Context, t *asynq.Task) error {
	var p completePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return h.maybeComplete(ctx, p.CampaignID)
}

// afterSend asks for a completion check of campaign campaignID (0: none)
// once a send has an outcome (err is not a deferral); a failure to ask is
// logged, not returned: the tick checks every minute anyway.
func (h *handlers) afterSend(ctx context.Context, campaignID int64, err error) {
	var d *Deferred
	if campaignID == 0 || errors.As(err, &d) {
		return
	}
	if e := h.enq.checkCompletion(ctx, campaignID); e != nil {
		h.log.WarnContext(ctx, "completion_check_failed", "campaign_id", campaignID, "err", e)
	}
}

// maybeComplete finishes a running campaign whose messages have all been
// handed to a provider or settled otherwise (none pending or sending) and
// whose latest run is fully expanded: a recurring campaign goes back to
// scheduled when another run is due before it expires, everything else
// completes. It is safe to call from several processes: the transition is
// optimistic and a lost race is not an error.
func (h *handlers) maybeComplete(ctx context.Context, campaignID int64) error {
	c, err := h.deps.Ledger.Campaign(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("queue: complete: campaign %d: %w", campaignID, err)
	}
	if c.State != campaigns.StateRunning {
		return nil
	}
	now := h.cfg.Now()
	run, _ := dueRun(c, now)
	if run == 0 {
		return nil
	}
	if _, done, err := h.deps.Ledger.RunCheckpoint(ctx, c.ID, run); err != nil || !done {
		if errors.Is(err, fault.ErrNotFound) {
			err = nil
		}
		return err // not (fully) expanded yet
	}
	// Two index probes, not the funnel's count of the whole campaign: this
	// runs every two seconds while a campaign sends.
	for _, st := range []outbound.Status{outbound.StatusPending, outbound.StatusSending} {
		ms, err := h.deps.Ledger.MessagesByStatus(ctx, campaignID, st, 0, 1)
		if err != nil {
			return fmt.Errorf("queue: complete: %s messages of %d: %w", st, campaignID, err)
		}
		if len(ms) > 0 {
			return nil
		}
	}
	f, err := h.deps.Ledger.Funnel(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("queue: complete: funnel %d: %w", campaignID, err)
	}
	to := campaigns.StateCompleted
	if !c.NextRun(now).IsZero() {
		to = campaigns.StateScheduled
	}
	ev, err := c.Transition(to, "system", 0, h.cfg.Policy, now)
	if err != nil {
		return fmt.Errorf("queue: complete: campaign %d: %w", campaignID, err)
	}
	ev.Note = fmt.Sprintf("targeted %d", f.Targeted)
	if err := h.deps.Ledger.ApplyCampaignEvent(ctx, c, ev); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return nil
		}
		return fmt.Errorf("queue: complete: campaign %d: %w", campaignID, err)
	}
	if err := h.deps.Ledger.FinishRun(ctx, c.ID, run, now); err != nil && !errors.Is(err, fault.ErrNotFound) {
		return fmt.Errorf("queue: complete: finish run %d/%d: %w", c.ID, run, err)
	}
	h.log.InfoContext(ctx, "campaign_finished", "campaign_id", c.ID, "state", to, "targeted", f.Targeted)
	return nil
}
