package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/population"
)

// Codes the queue records itself when no provider spoke.
const (
	CodeRender   = "RENDER"    // a value template did not render for this resident
	CodeNoSender = "NO_SENDER" // no sender is configured for the channel
	CodeRetries  = "RETRIES_EXHAUSTED"
)

// verdict is what screening a claimed message decided.
type verdict struct {
	kind   verdictKind
	until  time.Time            // defer
	reason string               // defer reason, or failure code
	skip   campaigns.SkipReason // skip
	note   string               // failure message
}

type verdictKind int

const (
	proceed verdictKind = iota
	deferIt
	skipIt
	failIt
)

// job is a claimed message ready to go out.
type job struct {
	m      campaigns.Message
	c      campaigns.Campaign
	r      population.Resident
	params map[string]string // rendered SMS params or WeChat fields; personal data
}

// screen re-checks a claimed message at send time: campaign state, the
// deadline, opt-out, reachability, quiet hours, caps, then renders it (a
// visit campaign's {{slot}} from the resident's live booking).
func (h *handlers) screen(ctx context.Context, j *job, now time.Time) (verdict, error) {
	switch j.c.State {
	case campaigns.StateRunning:
	case campaigns.StateCancelled, campaigns.StateCompleted:
		return verdict{kind: skipIt, skip: campaigns.SkipCancelled}, nil
	default: // paused, or not (yet, again) running
		return verdict{kind: deferIt, until: now.Add(h.cfg.PausedRecheck), reason: "campaign_" + string(j.c.State)}, nil
	}
	if !j.m.Deadline.IsZero() && !now.Before(j.m.Deadline) {
		return verdict{kind: skipIt, skip: campaigns.SkipExpired}, nil
	}
	if j.r.ID == 0 {
		return verdict{kind: skipIt, skip: campaigns.SkipNoChannel}, nil // the resident is gone
	}
	if j.r.OptedOut(j.c.Kind.Topic()) {
		return verdict{kind: skipIt, skip: campaigns.SkipOptedOut}, nil
	}
	switch j.m.Channel {
	case population.ChannelSMS:
		if j.r.Phone == "" || j.r.Phone.Validate() != nil {
			return verdict{kind: skipIt, skip: campaigns.SkipNoChannel}, nil
		}
	case population.ChannelWeChat:
		if j.r.OpenID == "" {
			return verdict{kind: skipIt, skip: campaigns.SkipNoChannel}, nil
		}
	}
	if next := h.cfg.QuietHours.NextAllowed(now); next.After(now) {
		return verdict{kind: deferIt, until: next, reason: string(campaigns.SkipQuietHours)}, nil
	}
	day, week := h.cfg.Caps.Windows(now)
	tpl := ""
	if j.m.Channel == population.ChannelSMS {
		tpl = j.c.SMS.TemplateCode
	}
	today, thisWeek, sameTpl, err := h.deps.Ledger.SentCounts(ctx, j.r.ID, day, week, tpl)
	if err != nil {
		return verdict{}, fmt.Errorf("queue: sent counts: %w", err)
	}
	if d := h.cfg.Caps.Check(now, today, thisWeek, sameTpl); !d.OK {
		at := h.cfg.QuietHours.NextAllowed(d.RetryAt)
		if !j.m.Deadline.IsZero() && !at.Before(j.m.Deadline) {
			return verdict{kind: skipIt, skip: campaigns.SkipCapped}, nil
		}
		return verdict{kind: deferIt, until: at, reason: string(d.Reason)}, nil
	}
	w, gridName, err := h.wrk.get(ctx, j.r.GridCode)
	if err != nil {
		return verdict{}, err
	}
	slot, ok, err := h.visitSlot(ctx, j.c, j.r.ID)
	if err != nil {
		return verdict{}, err
	}
	if !ok { // a visit campaign's slot was cancelled or moved away
		return verdict{kind: skipIt, skip: campaigns.SkipNoSlot}, nil
	}
	if !slot.IsZero() && !slot.After(now) { // never propose a visit that is past
		return verdict{kind: skipIt, skip: campaigns.SkipExpired}, nil
	}
	vars := campaigns.Vars{Resident: j.r, Worker: w, GridName: gridName, Campaign: j.c, Slot: slot}
	if j.m.Channel == population.ChannelSMS {
		j.params, err = campaigns.RenderParams(j.c.SMS.Params, vars)
	} else {
		j.params, err = campaigns.RenderFields(j.c.WeChat.Fields, vars)
	}
	if err != nil {
		return verdict{kind: failIt, reason: CodeRender, note: err.Error()}, nil
	}
	return verdict{kind: proceed}, nil
}

// settle records a verdict other than proceed. A deferral returns a
// *Deferred; a skip or failure returns nil (the message is final).
func (h *handlers) settle(ctx context.Context, m campaigns.Message, v verdict, now time.Time) error {
	switch v.kind {
	case deferIt:
		if err := h.deps.Ledger.RescheduleMessage(ctx, m.ID, v.until, v.reason); err != nil {
			return fmt.Errorf("queue: reschedule %d: %w", m.ID, err)
		}
		return &Deferred{Until: v.until, Reason: v.reason}
	case skipIt:
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, campaigns.StatusSkipped, campaigns.MessageUpdate{SkipReason: v.skip, At: now})
		return err
	case failIt:
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, campaigns.StatusFailed,
			campaigns.MessageUpdate{ProviderCode: v.reason, ProviderMessage: v.note, At: now})
		return err
	}
	return nil
}

// gate applies the channel-wide holds: a paused channel, the shared rate
// limit (n calls).
func (h *handlers) gate(ctx context.Context, ch population.Channel, now time.Time) (verdict, error) {
	if d, err := h.lim.paused(ctx, ch); err != nil {
		return verdict{}, err
	} else if d > 0 {
		return verdict{kind: deferIt, until: now.Add(d), reason: "channel_paused"}, nil
	}
	if d, err := h.lim.allow(ctx, ch); err != nil {
		return verdict{}, err
	} else if d > 0 {
		return verdict{kind: deferIt, until: now.Add(d), reason: "rate_limited"}, nil
	}
	return verdict{kind: proceed}, nil
}

// release puts a claimed message back to pending after an unexpected error
// and returns the error for Asynq to retry (or, on the last attempt, fails
// the message).
func (h *handlers) release(ctx context.Context, m campaigns.Message, cause error) error {
	now := h.cfg.Now()
	if lastAttempt(ctx) {
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, campaigns.StatusFailed,
			campaigns.MessageUpdate{ProviderCode: CodeRetries, ProviderMessage: truncate(cause.Error(), 200), At: now})
		return errors.Join(fmt.Errorf("queue: message %d: %w: %w", m.ID, cause, asynq.SkipRetry), err)
	}
	n, _ := asynq.GetRetryCount(ctx)
	if err := h.deps.Ledger.RescheduleMessage(ctx, m.ID, now.Add(backoff(n)), "retry"); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	mx, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= mx
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// sendOne handles message:wechat and message:sms (one message).
func (h *handlers) sendOne(ctx context.Context, t *asynq.Task) error {
	var p sendPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	now := h.cfg.Now()
	m, ok, err := h.deps.Ledger.ClaimMessage(ctx, p.MessageID, now)
	if err != nil {
		return fmt.Errorf("queue: claim %d: %w", p.MessageID, err)
	}
	if !ok {
		return nil // sent, settled or being sent by a duplicate task
	}
	j, err := h.load(ctx, m)
	if err != nil {
		return h.release(ctx, m, err)
	}
	v, err := h.screen(ctx, &j, now)
	if err == nil && v.kind == proceed {
		v, err = h.gate(ctx, m.Channel, now)
	}
	if err != nil {
		return h.release(ctx, m, err)
	}
	if v.kind != proceed {
		return h.settle(ctx, m, v, now)
	}
	switch m.Channel {
	case population.ChannelSMS:
		return h.sendSMS(ctx, []*job{&j}, now)
	default:
		return h.sendWeChat(ctx, &j, now)
	}
}

func (h *handlers) load(ctx context.Context, m campaigns.Message) (job, error) {
	c, err := h.deps.Ledger.Campaign(ctx, m.CampaignID)
	if err != nil {
		return job{}, fmt.Errorf("queue: campaign %d: %w", m.CampaignID, err)
	}
	rs, err := h.deps.Audience.Residents(ctx, []int64{m.ResidentID})
	if err != nil {
		return job{}, fmt.Errorf("queue: resident %d: %w", m.ResidentID, err)
	}
	return job{m: m, c: c, r: rs[m.ResidentID]}, nil
}

func (h *handlers) sendWeChat(ctx context.Context, j *job, now time.Time) error {
	if h.deps.WeChat == nil {
		return h.settle(ctx, j.m, verdict{kind: failIt, reason: CodeNoSender, note: "no WeChat sender configured"}, now)
	}
	id, err := h.deps.WeChat.SendTemplate(ctx, wechat.TemplateMessage{ToUser: j.r.OpenID, TemplateID: j.c.WeChat.TemplateID,
		URL: j.c.WeChat.URL, Data: j.params, ClientMsgID: strconv.FormatInt(j.m.ID, 10)})
	if err == nil {
		_, err := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, campaigns.StatusSent, campaigns.MessageUpdate{
			ProviderID: strconv.FormatInt(id, 10), TemplateCode: j.c.WeChat.TemplateID, At: h.cfg.Now()})
		return err
	}
	return h.failed(ctx, population.ChannelWeChat, []*job{j}, err, now)
}

// failed turns a provider failure of one call (one message, or one SMS
// batch) into ledger moves and an Asynq instruction.
func (h *handlers) failed(ctx context.Context, ch population.Channel, js []*job, err error, now time.Time) error {
	var se *gateway.SendError
	if !errors.As(err, &se) {
		se = &gateway.SendError{Channel: string(ch), Class: gateway.Retryable, Code: "UNKNOWN", Err: err}
	}
	switch se.Class {
	case gateway.Permanent:
		var errs []error
		for _, j := range js {
			if ch == population.ChannelWeChat {
				errs = append(errs, h.fallback(ctx, j, now))
			}
			_, e := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, campaigns.StatusFailed, campaigns.MessageUpdate{
				ProviderCode: se.Code, ProviderMessage: truncate(se.Message, 200), At: now})
			errs = append(errs, e)
		}
		if e := errors.Join(errs...); e != nil {
			return e
		}
		return fmt.Errorf("queue: %w: %w", err, asynq.SkipRetry)
	case gateway.Throttled:
		return h.deferAll(ctx, js, now.Add(retryAfter(se, time.Second)), "throttled")
	case gateway.Quota, gateway.Config:
		d := retryAfter(se, h.cfg.ChannelPause)
		h.log.ErrorContext(ctx, "channel_paused", "alert", true, "channel", ch, "class", se.Class.String(),
			"code", se.Code, "until", now.Add(d))
		if e := h.lim.pause(ctx, ch, d, se.Code); e != nil {
			return errors.Join(e, h.deferAll(ctx, js, now.Add(d), "channel_paused"))
		}
		return h.deferAll(ctx, js, now.Add(d), "channel_paused")
	}
	// Retryable: burn a retry.
	if lastAttempt(ctx) {
		for _, j := range js {
			if _, e := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, campaigns.StatusFailed, campaigns.MessageUpdate{
				ProviderCode: se.Code, ProviderMessage: truncate(se.Message, 200), At: now}); e != nil {
				return e
			}
		}
		return fmt.Errorf("queue: %w: %w", err, asynq.SkipRetry)
	}
	n, _ := asynq.GetRetryCount(ctx)
	for _, j := range js {
		if e := h.deps.Ledger.RescheduleMessage(ctx, j.m.ID, now.Add(backoff(n)), "retry:"+se.Code); e != nil {
			return errors.Join(err, e)
		}
	}
	return err
}

func retryAfter(se *gateway.SendError, def time.Duration) time.Duration {
	if se.RetryAfter > 0 {
		return se.RetryAfter
	}
	return def
}

func (h *handlers) deferAll(ctx context.Context, js []*job, until time.Time, reason string) error {
	for _, j := range js {
		if err := h.deps.Ledger.RescheduleMessage(ctx, j.m.ID, until, reason); err != nil {
			return err
		}
	}
	return &Deferred{Until: until, Reason: reason}
}

// fallback writes and enqueues the SMS that replaces a WeChat message that
// failed for good, when the campaign's policy allows SMS and the resident
// has a number. The ledger's unique key (run, resident, channel) keeps it
// to one.
func (h *handlers) fallback(ctx context.Context, j *job, now time.Time) error {
	pol := j.c.ChannelPolicy
	if pol != "" && pol != campaigns.WeChatFirst {
		return nil
	}
	ch, why := campaigns.ChooseChannel(pol, j.r, true)
	if why != campaigns.SkipNone || ch != population.ChannelSMS {
		return nil
	}
	fb := campaigns.Message{CampaignID: j.m.CampaignID, Run: j.m.Run, ResidentID: j.m.ResidentID,
		Channel: population.ChannelSMS, Status: campaigns.StatusPending, FallbackOf: j.m.ID,
		NotBefore: now, Deadline: j.m.Deadline, CreatedAt: now}
	// Checkpoint 0, done false: the run's fan-out progress stays as it is.
	written, err := h.deps.Ledger.WriteMessages(ctx, j.m.CampaignID, j.m.Run, []campaigns.Message{fb}, 0, false)
	if err != nil {
		return fmt.Errorf("queue: fallback %d: %w", j.m.ID, err)
	}
	h.log.InfoContext(ctx, "sms_fallback", "message_id", j.m.ID, "campaign_id", j.m.CampaignID)
	return h.enqueueAll(ctx, written)
}

// smsKey is the provider id stored for an SMS: Aliyun reports carry the
// BizId and the phone, and a batch shares one BizId.
func smsKey(bizID string, r population.Resident) string { return bizID + "/" + string(r.Phone) }

// sendSMS sends one or more screened SMS jobs of one campaign in one call.
func (h *handlers) sendSMS(ctx context.Context, js []*job, now time.Time) error {
	if h.deps.SMS == nil {
		for _, j := range js {
			if err := h.settle(ctx, j.m, verdict{kind: failIt, reason: CodeNoSender, note: "no SMS sender configured"}, now); err != nil {
				return err
			}
		}
		return nil
	}
	outID := strconv.FormatInt(js[0].m.ID, 10)
	// A send whose outcome was unknown is looked up before anything is sent again.
	js, err := h.settleAmbiguous(ctx, js, now)
	if err != nil || len(js) == 0 {
		return err
	}
	ms := make([]aliyunsms.Message, len(js))
	for i, j := range js {
		ms[i] = aliyunsms.Message{Phone: j.r.Phone, TemplateCode: j.c.SMS.TemplateCode, Params: j.params,
			OutID: outID, ExtendCode: j.c.ExtendCode, SignName: j.c.SMS.SignName}
	}
	var rec aliyunsms.Receipt
	if len(ms) == 1 {
		rec, err = h.deps.SMS.Send(ctx, ms[0])
	} else {
		rec, err = h.deps.SMS.SendBatch(ctx, ms)
	}
	if err != nil {
		if se := (*gateway.SendError)(nil); errors.As(err, &se) && se.Code == aliyunsms.CodeAmbiguous {
			for _, j := range js {
				if e := h.lim.markAmbiguous(ctx, j.m.ID, outID, now); e != nil {
					return errors.Join(err, e)
				}
			}
		}
		return h.failed(ctx, population.ChannelSMS, js, err, now)
	}
	at := h.cfg.Now()
	for _, j := range js {
		if _, err := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, campaigns.StatusSent, campaigns.MessageUpdate{
			ProviderID: smsKey(rec.BizID, j.r), TemplateCode: j.c.SMS.TemplateCode, At: at}); err != nil {
			return err
		}
	}
	return nil
}

// settleAmbiguous asks Aliyun about every job marked ambiguous: one found
// there is recorded as sent (keyed "out:<OutId>/<phone>", which receipts
// also match) and dropped from js; one not found is sent again.
func (h *handlers) settleAmbiguous(ctx context.Context, js []*job, now time.Time) ([]*job, error) {
	keep := js[:0:0]
	for _, j := range js {
		outID, sentAt, err := h.lim.ambiguous(ctx, j.m.ID)
		if err != nil {
			return nil, h.release(ctx, j.m, err)
		}
		if outID == "" {
			keep = append(keep, j)
			continue
		}
		// Aliyun lists a number's messages per day: ask about the day of
		// the ambiguous send and, if the retry falls on a later day, that
		// day too.
		days := []time.Time{now}
		if !sentAt.IsZero() {
			days = []time.Time{sentAt}
			if !sameShanghaiDay(sentAt, now) {
				days = append(days, now)
			}
		}
		var ds []aliyunsms.Detail
		for _, day := range days {
			d, err := h.deps.SMS.QueryDetails(ctx, j.r.Phone, "", day)
			if err != nil {
				return nil, h.failed(ctx, population.ChannelSMS, js, err, now)
			}
			ds = append(ds, d...)
		}
		found := false
		for _, d := range ds {
			if d.OutID == outID && d.TemplateCode == j.c.SMS.TemplateCode {
				found = true
				if _, err := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, campaigns.StatusSent, campaigns.MessageUpdate{
					ProviderID: "out:" + outID + "/" + string(j.r.Phone), TemplateCode: j.c.SMS.TemplateCode, At: now}); err != nil {
					return nil, err
				}
				break
			}
		}
		if err := h.lim.clearAmbiguous(ctx, j.m.ID); err != nil {
			return nil, err
		}
		if !found {
			keep = append(keep, j)
		}
	}
	return keep, nil
}

// sameShanghaiDay reports whether a and b fall on the same calendar day in
// Beijing time, the day Aliyun's QuerySendDetails SendDate means.
func sameShanghaiDay(a, b time.Time) bool {
	loc := campaigns.Shanghai()
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}
