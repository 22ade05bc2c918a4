package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// A campaign's messages travel a chunk at a time: the fan-out writes a
// chunk of rows and enqueues one "message:chunk" task carrying their ids;
// its handler claims the chunk in one statement, loads the residents and
// the caps' counts in one query each, screens and renders every message in
// memory, sends the SMS in SendBatchSms calls of up to GroupMaxSize
// numbers and the WeChat messages one call each, several calls at once,
// and records the accepted ones in one transaction per channel. Exactly
// once holds as for one message: the claim is a compare-and-set per row,
// each call's OutId is on its rows before the call, and whatever cannot
// go now — quiet hours, caps, the rate limit, a paused channel, a
// throttle, an unknown outcome — is handed back to the ledger and queued
// again as a smaller chunk for when it may go.

// TypeSendChunk sends a chunk of one campaign's messages; payload
// chunkPayload, queue bulk.
const TypeSendChunk = "message:chunk"

type chunkPayload struct {
	CampaignID int64   `json:"campaign_id"`
	IDs        []int64 `json:"ids"`
}

// Calls in flight at once within one chunk, per channel.
const (
	chunkSMSCalls    = 4
	chunkWeChatCalls = 16
)

// enqueueChunk enqueues the send of ids, messages of campaignID, at the
// later of at and the end of the quiet hours, under task id taskID.
func (e *Enqueuer) enqueueChunk(ctx context.Context, campaignID int64, ids []int64, at time.Time, taskID string) error {
	if len(ids) == 0 {
		return nil
	}
	now := e.cfg.Now()
	at = e.cfg.QuietHours.NextAllowed(later(at, now))
	opts := []asynq.Option{asynq.Queue(QueueBulk), asynq.TaskID(taskID), asynq.Retention(0),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(chunkTimeout(e.cfg, len(ids)))}
	if at.After(now) {
		opts = append(opts, asynq.ProcessAt(wall(at, now)))
	}
	return e.enqueue(ctx, TypeSendChunk, chunkPayload{CampaignID: campaignID, IDs: ids}, opts...)
}

// chunkTimeout gives a chunk the time of its calls in sequence at worst.
func chunkTimeout(cfg Config, n int) time.Duration {
	calls := max(n/chunkWeChatCalls, 1)
	return min(time.Duration(calls)*cfg.SendTimeout, 30*time.Minute)
}

// chunkTaskID names the fan-out's chunk starting at message first. A part
// handed back by the chunk run that claimed at claimed is named by both
// instants too: deferrals until one instant (a channel's pause ends at one
// moment for every run that meets it) must not take the id of a task still
// running, for a conflict reads as "already queued".
func chunkTaskID(campaignID, first int64, due, claimed time.Time) string {
	id := "chunk:" + strconv.FormatInt(campaignID, 10) + ":" + strconv.FormatInt(first, 10)
	if !due.IsZero() {
		id += ":" + strconv.FormatInt(due.UnixMilli(), 10) + ":" + strconv.FormatInt(claimed.UnixNano(), 10)
	}
	return id
}

// pendingIDs are the ids of the pending messages among ms.
func pendingIDs(ms []outbound.Message) []int64 {
	var ids []int64
	for _, m := range ms {
		if m.Status == outbound.StatusPending {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// chunk is one run of the chunk handler: what it claimed and what became
// of each message.
type chunk struct {
	h     *handlers
	c     campaigns.Campaign
	now   time.Time
	outID string // the OutId of the chunk's SMS calls

	mu       sync.Mutex
	deferred map[time.Time][]int64 // handed back to the ledger, due then
	retry    []outbound.Message    // handed back after a retryable failure
	accepted map[population.Channel][]outbound.Accepted
	halt     map[population.Channel]halt // a channel-wide hold a call ran into
	errs     []error
}

// halt is a channel-wide hold learnt from a call's failure: no further
// call of the chunk goes on that channel before until.
type halt struct {
	until  time.Time
	reason string
}

// haltOn holds ch for the rest of the chunk when err says the channel
// must wait (a throttle, an exhausted quota, a configuration refusal).
func (k *chunk) haltOn(ch population.Channel, err error) {
	var se *gateway.SendError
	if !errors.As(err, &se) {
		return
	}
	var hl halt
	switch se.Class {
	case gateway.Throttled:
		hl = halt{k.now.Add(retryAfter(se, time.Second)), outbound.WaitThrottled}
	case gateway.Quota, gateway.Config:
		hl = halt{k.now.Add(retryAfter(se, k.h.cfg.ChannelPause)), outbound.WaitChannelPaused}
	default:
		return
	}
	k.mu.Lock()
	k.halt[ch] = hl
	k.mu.Unlock()
}

// held holds js when ch was halted; it reports whether it did.
func (k *chunk) held(ctx context.Context, ch population.Channel, js []*job) bool {
	k.mu.Lock()
	hl, ok := k.halt[ch]
	k.mu.Unlock()
	if !ok {
		return false
	}
	k.hold(ctx, js, hl.until.Sub(k.now), hl.reason)
	return true
}

// fanOut runs call for each item, the first alone — a channel that
// refuses (paused, throttled, misconfigured) then stops the chunk after
// one call, not after a volley — and the rest limit at a time.
func fanOut[T any](items []T, limit int, call func(T)) {
	if len(items) == 0 {
		return
	}
	call(items[0])
	var g errgroup.Group
	g.SetLimit(limit)
	for _, it := range items[1:] {
		g.Go(func() error { call(it); return nil })
	}
	_ = g.Wait()
}

// sendChunk handles message:chunk.
func (h *handlers) sendChunk(ctx context.Context, t *asynq.Task) (err error) {
	var p chunkPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	now := h.cfg.Now()
	// Every SMS call of the chunk carries the chunk's OutId, its first
	// message's id, which the claim records on each message.
	ids := slices.Clone(p.IDs)
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil
	}
	outID := strconv.FormatInt(ids[0], 10)
	claimed, err := h.deps.Ledger.ClaimMessages(ctx, ids, now, outID)
	if err != nil {
		return fmt.Errorf("queue: claim chunk of campaign %d: %w", p.CampaignID, err)
	}
	if len(claimed) == 0 {
		return nil // sent, settled or being sent by a duplicate task
	}
	defer func() { h.afterSend(ctx, p.CampaignID, err) }()
	k := &chunk{h: h, now: now, outID: outID, deferred: map[time.Time][]int64{}, accepted: map[population.Channel][]outbound.Accepted{},
		halt: map[population.Channel]halt{}}
	jobs, err := k.load(ctx, p.CampaignID, claimed)
	if err != nil {
		return h.releaseAll(context.WithoutCancel(ctx), claimed, err)
	}
	var sms, wx []*job
	for _, j := range jobs {
		if j.m.Purpose != outbound.PurposeCampaign || j.m.CampaignID != p.CampaignID {
			// Not a message of this chunk's kind: it goes alone.
			k.addRetry(j.m, now)
			k.add(h.deps.Ledger.RescheduleMessage(ctx, j.m.ID, now, outbound.WaitRetry))
			continue
		}
		if !k.prepare(ctx, j) {
			continue
		}
		if j.m.Route == outbound.RouteSMS || j.m.Channel == population.ChannelSMS {
			sms = append(sms, j)
		} else {
			wx = append(wx, j)
		}
	}
	// The two channels go side by side.
	var g errgroup.Group
	g.Go(func() error { k.sendSMS(ctx, sms); return nil })
	g.Go(func() error { k.sendWeChat(ctx, wx); return nil })
	_ = g.Wait()
	return k.finish(ctx)
}

// load reads the chunk's campaign, residents and, when caps apply, the
// residents' sent counts, and makes a job of each claimed message.
func (k *chunk) load(ctx context.Context, campaignID int64, claimed []outbound.Message) ([]*job, error) {
	h := k.h
	c, err := h.deps.Ledger.Campaign(ctx, campaignID)
	if err != nil {
		return nil, fmt.Errorf("queue: campaign %d: %w", campaignID, err)
	}
	k.c = c
	ids := make([]int64, len(claimed))
	for i, m := range claimed {
		ids[i] = m.ResidentID
	}
	rs, err := h.deps.Audience.Residents(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("queue: residents: %w", err)
	}
	var counts map[int64]outbound.Counts
	if h.cfg.Caps.Active() && c.State == campaigns.StateRunning {
		day, week := h.cfg.Caps.Windows(k.now)
		if counts, err = h.deps.Ledger.SentCountsFor(ctx, ids, day, week, c.SMS.TemplateCode); err != nil {
			return nil, fmt.Errorf("queue: sent counts: %w", err)
		}
	}
	jobs := make([]*job, len(claimed))
	for i, m := range claimed {
		j := &job{m: m, c: c, r: rs[m.ResidentID]}
		if counts != nil {
			n := counts[m.ResidentID]
			if m.Channel != population.ChannelSMS {
				n.SameTemplate = 0 // the same-template cap weighs SMS only
			}
			j.counts = &n
		}
		jobs[i] = j
	}
	return jobs, nil
}

// prepare settles an unknown outcome and screens and renders j; it
// reports whether j goes out now (else its fate is recorded).
func (k *chunk) prepare(ctx context.Context, j *job) bool {
	h := k.h
	done, err := h.settleUnknown(ctx, j, k.now)
	if !done && err == nil {
		var v verdict
		if v, err = h.prepare(ctx, j, k.now); err != nil {
			k.addRetry(j.m, k.now)
			k.add(errors.Join(err, h.deps.Ledger.RescheduleMessage(ctx, j.m.ID, k.now, outbound.WaitRetry)))
			return false
		}
		if v.kind == proceed {
			return true
		}
		err = h.settle(ctx, j.m, v, k.now)
	}
	k.outcome([]*job{j}, err)
	return false
}

// outcome files what a settlement or a failed call returned for js: a
// deferral waits for a later chunk, a retryable error for a send of its
// own (which counts the retries), anything final is done.
func (k *chunk) outcome(js []*job, err error) {
	var d *Deferred
	switch {
	case err == nil, errors.Is(err, asynq.SkipRetry):
		return
	case errors.As(err, &d):
		k.mu.Lock()
		for _, j := range js {
			k.deferred[d.Until] = append(k.deferred[d.Until], j.m.ID)
		}
		k.mu.Unlock()
	default:
		var se *gateway.SendError
		if !errors.As(err, &se) {
			k.add(err) // the ledger refused: the chunk is retried
			return
		}
		for _, j := range js {
			k.addRetry(j.m, k.now.Add(backoff(0)))
		}
	}
}

func (k *chunk) addRetry(m outbound.Message, at time.Time) {
	m.NotBefore = at
	k.mu.Lock()
	k.retry = append(k.retry, m)
	k.mu.Unlock()
}

func (k *chunk) add(err error) {
	if err == nil {
		return
	}
	k.mu.Lock()
	k.errs = append(k.errs, err)
	k.mu.Unlock()
}

func (k *chunk) accept(ch population.Channel, acc ...outbound.Accepted) {
	k.mu.Lock()
	k.accepted[ch] = append(k.accepted[ch], acc...)
	k.mu.Unlock()
}

// admit passes the channel-wide holds for calls provider calls: it
// returns how many may go now; the rest are deferred.
func (k *chunk) admit(ctx context.Context, ch population.Channel, calls int) (int, time.Duration, error) {
	if d, err := k.h.lim.paused(ctx, ch); err != nil {
		return 0, 0, err
	} else if d > 0 {
		return 0, d, nil
	}
	return k.h.lim.allowN(ctx, ch, calls)
}

// hold hands js back to the ledger until now+d with reason.
func (k *chunk) hold(ctx context.Context, js []*job, d time.Duration, reason string) {
	k.outcome(js, k.h.deferAll(context.WithoutCancel(ctx), js, k.now.Add(d), reason))
}

// sendSMS sends the chunk's SMS in calls of up to GroupMaxSize numbers
// (one number per call when batching is off), a few calls at once.
func (k *chunk) sendSMS(ctx context.Context, js []*job) {
	if len(js) == 0 {
		return
	}
	h := k.h
	size := 1
	if *h.cfg.SMSBatch {
		size = h.cfg.GroupMaxSize
	}
	// One campaign's chunk: every job carries the campaign's template,
	// signature and extension code, which a call carries once.
	var calls [][]*job
	for c := range slices.Chunk(js, size) {
		calls = append(calls, c)
	}
	n, wait, err := k.admit(ctx, population.ChannelSMS, len(calls))
	if err != nil {
		k.hold(ctx, js, time.Second, outbound.WaitRetry)
		k.add(err)
		return
	}
	k.spread(ctx, population.ChannelSMS, calls[n:], n, wait)
	fanOut(calls[:n], chunkSMSCalls, func(c []*job) {
		if k.held(ctx, population.ChannelSMS, c) {
			return
		}
		acc, err := h.callSMS(ctx, c, k.outID)
		if errors.Is(err, errMarkAttempt) {
			k.outcome(c, h.failedUnexpected(context.WithoutCancel(ctx), c, err))
			return
		}
		if err != nil {
			k.haltOn(population.ChannelSMS, err)
			k.outcome(c, h.failed(context.WithoutCancel(ctx), population.ChannelSMS, c, k.outID, err, k.now))
			return
		}
		for _, j := range c {
			k.accept(population.ChannelSMS, outbound.Accepted{ID: j.m.ID, ProviderID: outbound.SMSProviderID(acc.BizID, j.to)})
		}
	})
}

// spread holds the calls the channel did not admit now (admitted were):
// until the pause ends when it admitted none because it is paused, else
// over the seconds the rate limit needs for them — a second's worth of
// calls per second from wait on — so that each waits once, not once per
// token that frees up.
func (k *chunk) spread(ctx context.Context, ch population.Channel, calls [][]*job, admitted int, wait time.Duration) {
	if len(calls) == 0 {
		return
	}
	if admitted == 0 {
		if reason := k.pausedReason(ctx, ch); reason == outbound.WaitChannelPaused {
			var js []*job
			for _, c := range calls {
				js = append(js, c...)
			}
			k.hold(ctx, js, wait, reason)
			return
		}
	}
	per := max(k.h.lim.rates[ch], 1)
	for i := 0; i < len(calls); i += per {
		var js []*job
		for _, c := range calls[i:min(i+per, len(calls))] {
			js = append(js, c...)
		}
		k.hold(ctx, js, wait+time.Duration(i/per)*time.Second, outbound.WaitRateLimited)
	}
}

// pausedReason is the wait reason of a channel that admitted nothing:
// paused, or out of its rate.
func (k *chunk) pausedReason(ctx context.Context, ch population.Channel) string {
	if d, err := k.h.lim.paused(ctx, ch); err == nil && d > 0 {
		return outbound.WaitChannelPaused
	}
	return outbound.WaitRateLimited
}

// sendWeChat sends the chunk's WeChat messages, several calls at once.
func (k *chunk) sendWeChat(ctx context.Context, js []*job) {
	if len(js) == 0 {
		return
	}
	h := k.h
	n, wait, err := k.admit(ctx, population.ChannelWeChat, len(js))
	if err != nil {
		k.hold(ctx, js, time.Second, outbound.WaitRetry)
		k.add(err)
		return
	}
	rest := make([][]*job, 0, len(js)-n)
	for _, j := range js[n:] {
		rest = append(rest, []*job{j})
	}
	k.spread(ctx, population.ChannelWeChat, rest, n, wait)
	fanOut(js[:n], chunkWeChatCalls, func(j *job) {
		if k.held(ctx, population.ChannelWeChat, []*job{j}) {
			return
		}
		id, err := h.callWeChat(ctx, j)
		if err != nil {
			k.haltOn(population.ChannelWeChat, err)
			k.outcome([]*job{j}, h.failed(context.WithoutCancel(ctx), population.ChannelWeChat, []*job{j}, j.outID(), err, k.now))
			return
		}
		k.accept(population.ChannelWeChat, outbound.Accepted{ID: j.m.ID, ProviderID: id})
	})
}

// finish records what was accepted (one transaction per channel) and
// queues again what was handed back.
func (k *chunk) finish(ctx context.Context) error {
	h := k.h
	ctx = context.WithoutCancel(ctx) // the answers are recorded even when stopping
	at := h.cfg.Now()
	for ch, acc := range k.accepted {
		tpl := k.c.SMS.TemplateCode
		if ch == population.ChannelWeChat {
			tpl = k.c.WeChat.TemplateID
		}
		if _, err := h.deps.Ledger.MarkSent(ctx, acc, tpl, at); err != nil {
			// Left sending: the reconciler settles them with the provider.
			k.add(fmt.Errorf("queue: record %d sent: %w", len(acc), err))
		}
	}
	for due, ids := range k.deferred {
		slices.Sort(ids)
		k.add(h.enq.enqueueChunk(ctx, k.c.ID, ids, due, chunkTaskID(k.c.ID, ids[0], due, k.now)))
	}
	for _, m := range k.retry {
		k.add(h.enq.EnqueueSend(ctx, m))
	}
	return errors.Join(k.errs...)
}
