package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// aggregator joins the grouped message:sms tasks of one campaign run into
// one message:sms:batch task that carries their message ids (the
// aggregated task loses the originals' ids).
func (h *handlers) aggregator() asynq.GroupAggregator {
	return asynq.GroupAggregatorFunc(func(group string, tasks []*asynq.Task) *asynq.Task {
		p := batchPayload{MessageIDs: make([]int64, 0, len(tasks))}
		for _, t := range tasks {
			var sp sendPayload
			if json.Unmarshal(t.Payload(), &sp) == nil && sp.MessageID > 0 {
				p.MessageIDs = append(p.MessageIDs, sp.MessageID)
			}
		}
		b, _ := json.Marshal(p) // cannot fail: a slice of int64
		return asynq.NewTask(TypeSendSMSBatch, b, asynq.MaxRetry(h.cfg.MaxRetry), asynq.Retention(0),
			asynq.Timeout(h.cfg.SendTimeout))
	})
}

// sendBatch handles message:sms:batch: it claims every message, screens
// each (a message that must wait gets its own send task again), and sends
// the rest in one SendBatchSms call.
func (h *handlers) sendBatch(ctx context.Context, t *asynq.Task) (err error) {
	var p batchPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	now := h.cfg.Now()
	var claimed []outbound.Message
	releaseAll := func(cause error) error { return h.releaseAll(ctx, claimed, cause) }
	for _, id := range p.MessageIDs {
		m, ok, err := h.deps.Ledger.ClaimMessage(ctx, id, now)
		if err != nil {
			return releaseAll(fmt.Errorf("queue: claim %d: %w", id, err))
		}
		if ok {
			claimed = append(claimed, m)
		}
	}
	if len(claimed) == 0 {
		return nil
	}
	defer func() {
		seen := map[int64]bool{}
		for _, m := range claimed {
			if m.Purpose == outbound.PurposeCampaign && !seen[m.CampaignID] {
				seen[m.CampaignID] = true
				h.afterSend(ctx, m.CampaignID, err)
			}
		}
	}()
	ids := make([]int64, len(claimed))
	for i, m := range claimed {
		ids[i] = m.ResidentID
	}
	rs, err := h.deps.Audience.Residents(ctx, ids)
	if err != nil {
		return releaseAll(fmt.Errorf("queue: residents: %w", err))
	}
	cs := map[int64]campaigns.Campaign{}
	var jobs []*job
	for _, m := range claimed {
		c, ok := cs[m.CampaignID]
		if !ok && m.CampaignID != 0 {
			if c, err = h.deps.Ledger.Campaign(ctx, m.CampaignID); err != nil {
				return releaseAll(fmt.Errorf("queue: campaign %d: %w", m.CampaignID, err))
			}
			cs[m.CampaignID] = c
		}
		j := &job{m: m, c: c, r: rs[m.ResidentID]}
		done, err := h.settleUnknown(ctx, j, now)
		if !done && err == nil {
			var v verdict
			if v, err = h.prepare(ctx, j, now); err != nil {
				return releaseAll(err)
			}
			if v.kind == proceed {
				jobs = append(jobs, j)
				continue
			}
			err = h.settle(ctx, m, v, now)
		}
		var d *Deferred
		if errors.As(err, &d) {
			m.NotBefore = d.Until
			err = h.enq.EnqueueSend(ctx, m) // waits alone, then joins a later batch
		}
		if err != nil {
			return err
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	v, err := h.gate(ctx, population.ChannelSMS, now)
	if err != nil {
		return h.failedUnexpected(ctx, jobs, err)
	}
	if v.kind == deferIt {
		return h.deferAll(ctx, jobs, v.until, v.reason)
	}
	return h.sendSMS(ctx, jobs, now)
}

func (h *handlers) failedUnexpected(ctx context.Context, js []*job, cause error) error {
	ms := make([]outbound.Message, len(js))
	for i, j := range js {
		ms[i] = j.m
	}
	return h.releaseAll(ctx, ms, cause)
}

// releaseAll hands every message of ms back to pending, due now, after an
// error that stopped the whole call or task, and returns cause with any
// failure to hand one back.
func (h *handlers) releaseAll(ctx context.Context, ms []outbound.Message, cause error) error {
	errs := []error{cause}
	now := h.cfg.Now()
	for _, m := range ms {
		if err := h.deps.Ledger.RescheduleMessage(ctx, m.ID, now, outbound.WaitRetry); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
