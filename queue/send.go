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
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// The one send path. Every message on the ledger — a campaign's, a visit
// reminder, the desk's — goes through it: claim, prepare (what its purpose
// needs: a campaign message is screened and rendered, a desk message
// carries its content), the channel-wide gates, the provider call by
// route, then one advance; a permanent failure fails it and writes what
// replaces it (fallback), other failures become Asynq instructions.

// Codes the queue records itself when no provider spoke.
const (
	CodeRender   = "RENDER"    // a value template did not render for this resident
	CodeNoSender = "NO_SENDER" // no sender is configured for the channel
	CodeNoRoute  = "NO_ROUTE"  // the message names no route a sender serves
	CodeRetries  = "RETRIES_EXHAUSTED"
)

// verdict is what preparing a claimed message decided.
type verdict struct {
	kind   verdictKind
	until  time.Time           // defer
	reason string              // defer reason, or failure code
	skip   outbound.SkipReason // skip
	note   string              // failure message
}

type verdictKind int

const (
	proceed verdictKind = iota
	deferIt
	skipIt
	failIt
)

// job is a claimed message made ready to go out: whom it reaches, on which
// route, with what.
type job struct {
	m outbound.Message
	// c and r are the campaign and resident of a campaign message or a
	// reminder (r.ID 0 when the resident is gone).
	c campaigns.Campaign
	r population.Resident
	// to is the phone number or openid the call goes to.
	to       string
	template string
	params   map[string]string // SMS params or WeChat fields; personal data
	text     string            // a customer-service text; personal data
	url      string
	signName string
	extend   string
	// counts, when set, are the resident's sent counts read for a whole
	// chunk; else screening reads them.
	counts *outbound.Counts
}

// outID is the job's OutId / client_msg_id: its ledger id.
func (j *job) outID() string { return strconv.FormatInt(j.m.ID, 10) }

// sendOne handles message:wechat and message:sms (one message).
func (h *handlers) sendOne(ctx context.Context, t *asynq.Task) (err error) {
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
	if m.Purpose == outbound.PurposeCampaign {
		defer func() { h.afterSend(ctx, m.CampaignID, err) }()
	}
	j, err := h.load(ctx, m, nil)
	if err != nil {
		return h.release(ctx, m, err)
	}
	if done, err := h.settleUnknown(ctx, &j, now); done || err != nil {
		return err
	}
	v, err := h.prepare(ctx, &j, now)
	if err == nil && v.kind == proceed {
		v, err = h.gate(ctx, m.Route.Channel(), now)
	}
	if err != nil {
		return h.release(ctx, m, err)
	}
	if v.kind != proceed {
		return h.settle(ctx, m, v, now)
	}
	if m.Route == outbound.RouteSMS {
		return h.sendSMS(ctx, []*job{&j}, now)
	}
	return h.sendWeChat(ctx, &j, now)
}

// load reads what preparing m needs: the campaign and resident of a
// campaign message or reminder (campaigns caches campaigns across a batch;
// nil for none). A desk message or a test send needs nothing more than its
// row.
func (h *handlers) load(ctx context.Context, m outbound.Message, cache map[int64]campaigns.Campaign) (job, error) {
	j := job{m: m}
	if m.Purpose != outbound.PurposeCampaign && m.Purpose != outbound.PurposeReminder {
		return j, nil
	}
	c, ok := cache[m.CampaignID]
	if !ok {
		var err error
		if c, err = h.deps.Ledger.Campaign(ctx, m.CampaignID); err != nil {
			return j, fmt.Errorf("queue: campaign %d: %w", m.CampaignID, err)
		}
		if cache != nil {
			cache[m.CampaignID] = c
		}
	}
	rs, err := h.deps.Audience.Residents(ctx, []int64{m.ResidentID})
	if err != nil {
		return j, fmt.Errorf("queue: resident %d: %w", m.ResidentID, err)
	}
	j.c, j.r = c, rs[m.ResidentID]
	return j, nil
}

// prepare decides, at send time, whether and with what j goes out.
func (h *handlers) prepare(ctx context.Context, j *job, now time.Time) (verdict, error) {
	switch j.m.Purpose {
	case outbound.PurposeCampaign:
		return h.screen(ctx, j, now)
	case outbound.PurposeReminder:
		return h.screenReminder(ctx, j, now)
	}
	// The desk (or an officer's test send) composed it whole when it wrote
	// it: the resident, worker or officer is waiting for it, so no quiet
	// hours or caps hold it back.
	j.to, j.template, j.params, j.text, j.url = j.m.To, j.m.TemplateCode, j.m.Params, j.m.Text, j.m.URL
	if j.m.Route == outbound.RouteNone {
		return verdict{kind: failIt, reason: CodeNoRoute, note: "the message names no route"}, nil
	}
	return verdict{kind: proceed}, nil
}

// screen re-checks a claimed campaign message at send time: campaign
// state, the deadline, opt-out, reachability, quiet hours, caps, then
// renders it (a visit campaign's {{slot}} from the resident's live
// booking).
func (h *handlers) screen(ctx context.Context, j *job, now time.Time) (verdict, error) {
	switch j.c.State {
	case campaigns.StateRunning:
	case campaigns.StateCancelled, campaigns.StateCompleted:
		return verdict{kind: skipIt, skip: outbound.SkipCancelled}, nil
	default: // paused, or not (yet, again) running
		return verdict{kind: deferIt, until: now.Add(h.cfg.PausedRecheck), reason: outbound.WaitCampaign + string(j.c.State)}, nil
	}
	if !j.m.Deadline.IsZero() && !now.Before(j.m.Deadline) {
		return verdict{kind: skipIt, skip: outbound.SkipExpired}, nil
	}
	if v, ok := h.reachable(j); !ok {
		return v, nil
	}
	if next := h.cfg.QuietHours.NextAllowed(now); next.After(now) {
		return verdict{kind: deferIt, until: next, reason: outbound.WaitQuietHours}, nil
	}
	day, week := h.cfg.Caps.Windows(now)
	tpl := ""
	if j.m.Channel == population.ChannelSMS {
		tpl = j.c.SMS.TemplateCode
	}
	var today, thisWeek, sameTpl int
	if j.counts != nil {
		today, thisWeek, sameTpl = j.counts.Today, j.counts.Week, j.counts.SameTemplate
	} else if h.cfg.Caps.Active() {
		var err error
		if today, thisWeek, sameTpl, err = h.deps.Ledger.SentCounts(ctx, j.r.ID, day, week, tpl); err != nil {
			return verdict{}, fmt.Errorf("queue: sent counts: %w", err)
		}
	}
	if d := h.cfg.Caps.Check(now, today, thisWeek, sameTpl); !d.OK {
		at := h.cfg.QuietHours.NextAllowed(d.RetryAt)
		if !j.m.Deadline.IsZero() && !at.Before(j.m.Deadline) {
			return verdict{kind: skipIt, skip: outbound.SkipCapped}, nil
		}
		return verdict{kind: deferIt, until: at, reason: string(d.Reason)}, nil
	}
	slot, ok, err := h.visitSlot(ctx, j.c, j.r.ID)
	if err != nil {
		return verdict{}, err
	}
	if !ok { // a visit campaign's slot was cancelled or moved away
		return verdict{kind: skipIt, skip: outbound.SkipNoSlot}, nil
	}
	if !slot.IsZero() && !slot.After(now) { // never propose a visit that is past
		return verdict{kind: skipIt, skip: outbound.SkipExpired}, nil
	}
	return h.render(ctx, j, slot)
}

// reachable checks what a campaign message or reminder needs of its
// resident — still active (not moved out or deceased since the fan-out),
// reachable on the message's channel — and sets the job's recipient; ok is
// false with the skip when they cannot be sent to.
func (h *handlers) reachable(j *job) (verdict, bool) {
	skip := func(r outbound.SkipReason) (verdict, bool) { return verdict{kind: skipIt, skip: r}, false }
	if j.r.ID == 0 {
		return skip(outbound.SkipNoChannel) // the resident is gone
	}
	if !j.r.Active() { // moved out or deceased since the fan-out
		return skip(outbound.SkipFor(j.r.Status))
	}
	if j.r.OptedOut(j.c.Kind.Topic()) {
		return skip(outbound.SkipOptedOut)
	}
	switch j.m.Channel {
	case population.ChannelSMS:
		if j.r.Phone == "" || j.r.Phone.Validate() != nil {
			return skip(outbound.SkipNoChannel)
		}
		j.to = string(j.r.Phone)
	case population.ChannelWeChat:
		if j.r.OpenID == "" {
			return skip(outbound.SkipNoChannel)
		}
		j.to = string(j.r.OpenID)
	default:
		return skip(outbound.SkipNoChannel)
	}
	return verdict{}, true
}

// render fills the campaign's content for j's resident and channel.
func (h *handlers) render(ctx context.Context, j *job, slot time.Time) (verdict, error) {
	w, gridName, err := h.wrk.get(ctx, j.r.GridCode)
	if err != nil {
		return verdict{}, err
	}
	vars := campaigns.Vars{Resident: j.r, Worker: w, GridName: gridName, Campaign: j.c, Slot: slot}
	if j.m.Channel == population.ChannelSMS {
		j.template, j.signName, j.extend = j.c.SMS.TemplateCode, j.c.SMS.SignName, j.c.ExtendCode
		j.params, err = campaigns.RenderParams(j.c.SMS.Params, vars)
	} else {
		j.template, j.url = j.c.WeChat.TemplateID, j.c.WeChat.URL
		j.params, err = campaigns.RenderFields(j.c.WeChat.Fields, vars)
	}
	if err != nil {
		return verdict{kind: failIt, reason: CodeRender, note: err.Error()}, nil
	}
	return verdict{kind: proceed}, nil
}

// settle records a verdict other than proceed. A deferral returns a
// *Deferred; a skip or failure returns nil (the message is final).
func (h *handlers) settle(ctx context.Context, m outbound.Message, v verdict, now time.Time) error {
	switch v.kind {
	case deferIt:
		if err := h.deps.Ledger.RescheduleMessage(ctx, m.ID, v.until, v.reason); err != nil {
			return fmt.Errorf("queue: reschedule %d: %w", m.ID, err)
		}
		return &Deferred{Until: v.until, Reason: v.reason}
	case skipIt:
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusSkipped, outbound.Update{SkipReason: v.skip, At: now})
		return err
	case failIt:
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusFailed,
			outbound.Update{ProviderCode: v.reason, ProviderMessage: v.note, At: now})
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
		return verdict{kind: deferIt, until: now.Add(d), reason: outbound.WaitChannelPaused}, nil
	}
	if d, err := h.lim.allow(ctx, ch); err != nil {
		return verdict{}, err
	} else if d > 0 {
		return verdict{kind: deferIt, until: now.Add(d), reason: outbound.WaitRateLimited}, nil
	}
	return verdict{kind: proceed}, nil
}

// release puts a claimed message back to pending after an unexpected error
// and returns the error for Asynq to retry (or, on the last attempt, fails
// the message).
func (h *handlers) release(ctx context.Context, m outbound.Message, cause error) error {
	now := h.cfg.Now()
	if lastAttempt(ctx) {
		_, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusFailed,
			outbound.Update{ProviderCode: CodeRetries, ProviderMessage: truncate(cause.Error(), 200), At: now})
		return errors.Join(fmt.Errorf("queue: message %d: %w: %w", m.ID, cause, asynq.SkipRetry), err)
	}
	n, _ := asynq.GetRetryCount(ctx)
	if err := h.deps.Ledger.RescheduleMessage(ctx, m.ID, now.Add(backoff(n)), outbound.WaitRetry); err != nil {
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

var errNoSender = func(ch population.Channel) error {
	return &gateway.SendError{Channel: string(ch), Class: gateway.Permanent, Code: CodeNoSender,
		Message: "no " + string(ch) + " sender configured"}
}

// sendWeChat sends one WeChat message: a template message (its
// client_msg_id the message id, so WeChat drops a repeat within ten
// minutes) or a customer-service text.
func (h *handlers) sendWeChat(ctx context.Context, j *job, now time.Time) error {
	providerID, err := h.callWeChat(ctx, j)
	// The answer is recorded even when the worker is stopping.
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		return h.failed(ctx, population.ChannelWeChat, []*job{j}, j.outID(), err, now)
	}
	_, err = h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, outbound.StatusSent, outbound.Update{
		ProviderID: providerID, ProviderCode: "OK", TemplateCode: j.template, At: h.cfg.Now()})
	return err
}

// callWeChat makes j's WeChat call and returns the provider's id for it
// (a template message's msgid; none for a customer-service text).
func (h *handlers) callWeChat(ctx context.Context, j *job) (string, error) {
	switch {
	case h.deps.WeChat == nil:
		return "", errNoSender(population.ChannelWeChat)
	case j.m.Route == outbound.RouteCustomerService:
		return "", h.deps.WeChat.SendText(ctx, pii.OpenID(j.to), j.text)
	}
	id, err := h.deps.WeChat.SendTemplate(ctx, gateway.TemplateMessage{ToUser: pii.OpenID(j.to), TemplateID: j.template,
		URL: j.url, Data: j.params, ClientMsgID: j.outID()})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

// failed turns a provider failure of one call (one message, or one SMS
// batch) into ledger moves and an Asynq instruction; a call that may have
// gone out (gateway.CodeAmbiguous) leaves its messages' outcome unknown.
func (h *handlers) failed(ctx context.Context, ch population.Channel, js []*job, outID string, err error, now time.Time) error {
	var se *gateway.SendError
	if !errors.As(err, &se) {
		se = &gateway.SendError{Channel: string(ch), Class: gateway.Retryable, Code: "UNKNOWN", Err: err}
	}
	if se.Code == gateway.CodeAmbiguous {
		// The call may have gone out: settled before anything is resent,
		// under the OutId / client_msg_id the call carried.
		return h.unknownOutcome(ctx, js, outID, now, err)
	}
	switch se.Class {
	case gateway.Permanent:
		var errs []error
		for _, j := range js {
			_, e := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, outbound.StatusFailed, outbound.Update{
				ProviderCode: se.Code, ProviderMessage: truncate(se.Message, 200), At: now})
			errs = append(errs, e)
			if e == nil && ch == population.ChannelWeChat {
				errs = append(errs, h.fallback(ctx, j, se.Code, now))
			}
		}
		if e := errors.Join(errs...); e != nil {
			return e
		}
		h.log.InfoContext(ctx, "send_failed", "channel", ch, "code", se.Code, "messages", len(js))
		return fmt.Errorf("queue: %w: %w", err, asynq.SkipRetry)
	case gateway.Throttled:
		return h.deferAll(ctx, js, now.Add(retryAfter(se, time.Second)), outbound.WaitThrottled)
	case gateway.Quota, gateway.Config:
		d := retryAfter(se, h.cfg.ChannelPause)
		h.log.ErrorContext(ctx, "channel_paused", "alert", true, "channel", ch, "class", se.Class.String(),
			"code", se.Code, "until", now.Add(d))
		if e := h.lim.pause(ctx, ch, d, se.Code); e != nil {
			return errors.Join(e, h.deferAll(ctx, js, now.Add(d), outbound.WaitChannelPaused))
		}
		return h.deferAll(ctx, js, now.Add(d), outbound.WaitChannelPaused)
	}
	// Retryable: burn a retry.
	if lastAttempt(ctx) {
		for _, j := range js {
			if _, e := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, outbound.StatusFailed, outbound.Update{
				ProviderCode: se.Code, ProviderMessage: truncate(se.Message, 200), At: now}); e != nil {
				return e
			}
		}
		return fmt.Errorf("queue: %w: %w", err, asynq.SkipRetry)
	}
	n, _ := asynq.GetRetryCount(ctx)
	for _, j := range js {
		if e := h.deps.Ledger.RescheduleMessage(ctx, j.m.ID, now.Add(backoff(n)), outbound.WaitRetry+":"+se.Code); e != nil {
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

// fallback writes and enqueues what replaces a WeChat message that failed
// for good (code says why): for a campaign message or a reminder, the SMS
// the campaign's policy allows when the resident has a number (one per
// resident, run or slot: the ledger's unique keys keep it so); for a desk
// message, what the desk composes on its next route; for a test send,
// nothing.
func (h *handlers) fallback(ctx context.Context, j *job, code string, now time.Time) error {
	var next []outbound.Message
	switch j.m.Purpose {
	case outbound.PurposeCampaign, outbound.PurposeReminder:
		pol := j.c.ChannelPolicy
		if pol != "" && pol != campaigns.WeChatFirst {
			return nil
		}
		ch, why := campaigns.ChooseChannel(pol, j.r, true)
		if why != outbound.SkipNone || ch != population.ChannelSMS {
			return nil
		}
		next = []outbound.Message{{Purpose: j.m.Purpose, CampaignID: j.m.CampaignID, Run: j.m.Run, SlotID: j.m.SlotID,
			ResidentID: j.m.ResidentID, Channel: population.ChannelSMS, Route: outbound.RouteSMS,
			RouteReason: "fallback after WeChat " + code, NotBefore: now, Deadline: j.m.Deadline}}
	case outbound.PurposeTest:
		return nil // an officer's own phone, by SMS only: nothing to fall back to
	default:
		if h.deps.Desk == nil {
			return nil
		}
		var err error
		if next, err = h.deps.Desk.Fallback(ctx, j.m, code); err != nil {
			return fmt.Errorf("queue: fallback of %d: %w", j.m.ID, err)
		}
	}
	for _, m := range next {
		m.FallbackOf, m.CreatedAt = j.m.ID, now
		stored, created, err := h.deps.Ledger.CreateMessage(ctx, m)
		if err != nil {
			return fmt.Errorf("queue: fallback of %d: %w", j.m.ID, err)
		}
		if created {
			h.log.InfoContext(ctx, "fallback", "message_id", j.m.ID, "fallback_id", stored.ID, "purpose", stored.Purpose,
				"route", stored.Route)
		}
		if stored.Status == outbound.StatusPending {
			if err := h.enq.EnqueueSend(ctx, stored); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendSMS sends one or more prepared SMS jobs in one call: one SendSms, or
// one SendBatchSms for a campaign run's batch (the OutId is the first
// message's id).
func (h *handlers) sendSMS(ctx context.Context, js []*job, now time.Time) error {
	acc, err := h.callSMS(ctx, js, js[0].outID())
	// The answer is recorded even when the worker is stopping.
	ctx = context.WithoutCancel(ctx)
	if errors.Is(err, errMarkAttempt) {
		return h.failedUnexpected(ctx, js, err)
	}
	if err != nil {
		return h.failed(ctx, population.ChannelSMS, js, js[0].outID(), err, now)
	}
	at := h.cfg.Now()
	for _, j := range js {
		if _, err := h.deps.Ledger.AdvanceMessage(ctx, j.m.ID, outbound.StatusSent, outbound.Update{
			ProviderID: outbound.SMSProviderID(acc.BizID, j.to), ProviderCode: "OK", TemplateCode: j.template, At: at}); err != nil {
			return err
		}
	}
	return nil
}

// errMarkAttempt marks a call that did not go out because its OutId could
// not be recorded first.
var errMarkAttempt = errors.New("queue: record the call's OutId")

// callSMS makes one SMS call for js under OutId outID: SendSms for one,
// SendBatchSms for more. Every message learns the OutId before the call,
// so that a worker killed before it records the answer leaves behind what
// to ask Aliyun: a message's own id needs no record, and a chunk's claim
// has recorded the chunk's.
func (h *handlers) callSMS(ctx context.Context, js []*job, outID string) (gateway.SMSAccepted, error) {
	if h.deps.SMS == nil {
		return gateway.SMSAccepted{}, errNoSender(population.ChannelSMS)
	}
	var mark []int64
	for _, j := range js {
		if j.m.OutID != outID && j.outID() != outID {
			mark = append(mark, j.m.ID)
		}
	}
	if len(mark) > 0 {
		if err := h.deps.Ledger.MarkAttempt(ctx, mark, outID); err != nil {
			return gateway.SMSAccepted{}, fmt.Errorf("%w: %w", errMarkAttempt, err)
		}
	}
	ms := make([]gateway.SMS, len(js))
	for i, j := range js {
		ms[i] = gateway.SMS{Phone: pii.Phone(j.to), TemplateCode: j.template, Params: j.params,
			OutID: outID, ExtendCode: j.extend, SignName: j.signName}
	}
	if len(ms) == 1 {
		return h.deps.SMS.Send(ctx, ms[0])
	}
	return h.deps.SMS.SendBatch(ctx, ms)
}
