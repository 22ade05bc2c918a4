package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
)

// Settling a send whose outcome is unknown. A provider call that got no
// answer (a timeout, a dropped connection, a worker killed between the
// call and its record) may have gone out. The ledger records it on the
// message (AttemptedAt and OutID: UnknownOutcome after the call,
// RecoverMessage for a crashed worker's claim), and before anything is
// sent again the next attempt settles it:
//
//   - SMS: Aliyun's send record is asked, number by number
//     (QuerySendDetails by phone and day), for a message with the call's
//     OutId or the message's own id. Found: the message is recorded as sent
//     (provider id "out:<OutId>/<phone>", which receipts match) and not sent
//     again. A SendBatchSms call is accepted or refused as a whole, so a
//     record under the batch's OutId for this number is this message's.
//     Not found SettleDelay after the call: it did not go out, and is sent.
//   - WeChat template message: resent with the same client_msg_id while
//     WeChat still deduplicates it (10 minutes after the call, less a
//     margin); WeChat answers a repeat with the first send's msgid. After
//     that it is failed with CodeOutcomeUnknown, never resent blind.
//   - WeChat customer-service text: WeChat does not deduplicate it, so it
//     is failed with CodeOutcomeUnknown at once.
//
// A message failed as unknown gets no fallback: it may have arrived.

// CodeOutcomeUnknown is the failure code of a message whose provider call
// got no answer and that could not be settled: it may or may not have
// reached the resident, and is not sent again.
const CodeOutcomeUnknown = "OUTCOME_UNKNOWN"

// wechatReplayWindow is how long after a template send a repeat with the
// same client_msg_id is safe: WeChat's 10 minutes, less a margin for
// clocks and the call's own duration.
const wechatReplayWindow = 9 * time.Minute

// settleUnknown settles the unknown outcome of j's last call, if any. done
// means j must not be sent now: it was found sent, failed as unknown, or
// deferred until the provider can be asked (the returned error is then a
// *Deferred).
func (h *handlers) settleUnknown(ctx context.Context, j *job, now time.Time) (done bool, err error) {
	m := j.m
	if m.AttemptedAt.IsZero() {
		return false, nil
	}
	switch m.Route {
	case outbound.RouteSMS:
		return h.settleSMS(ctx, j, now)
	case outbound.RouteWeChatTemplate:
		if now.Before(m.AttemptedAt.Add(wechatReplayWindow)) {
			return false, nil // the same client_msg_id: WeChat drops the repeat
		}
	}
	why := "no answer from WeChat: not sent again, as it may have arrived"
	if m.Route == outbound.RouteWeChatTemplate {
		why = "no answer from WeChat within its 10-minute repeat window: not sent again, as it may have arrived"
	}
	h.log.WarnContext(ctx, "outcome_unknown", "message_id", m.ID, "purpose", m.Purpose, "route", m.Route,
		"attempted_at", m.AttemptedAt)
	_, err = h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusFailed, outbound.Update{
		ProviderCode: CodeOutcomeUnknown, ProviderMessage: why, At: now})
	return true, err
}

// settleSMS asks Aliyun whether j's unanswered SMS call went out.
func (h *handlers) settleSMS(ctx context.Context, j *job, now time.Time) (bool, error) {
	m := j.m
	if h.deps.SMS == nil {
		return false, nil // the send fails as NO_SENDER
	}
	if ready := m.AttemptedAt.Add(h.cfg.SettleDelay); now.Before(ready) {
		return true, h.settle(ctx, m, verdict{kind: deferIt, until: ready, reason: outbound.WaitOutcomeUnknown}, now)
	}
	phone := pii.Phone(m.To)
	if phone == "" {
		phone = j.r.Phone
	}
	if phone == "" {
		return false, nil // nowhere to send: the screening skips it
	}
	own := strconv.FormatInt(m.ID, 10)
	ours := func(outID string) bool { return outID != "" && (outID == own || outID == m.OutID) }
	// Aliyun files a send under its day in Beijing time: the day of the
	// call, the day it may have run into, and today.
	var days []time.Time
	for _, d := range []time.Time{m.AttemptedAt, m.AttemptedAt.Add(h.cfg.SendTimeout), now} {
		if len(days) == 0 || dayOf(d) != dayOf(days[len(days)-1]) {
			days = append(days, d)
		}
	}
	for _, day := range days {
		ds, err := h.deps.SMS.QueryDetails(ctx, phone, "", day)
		if err != nil {
			// Not knowing is no reason to send: the message waits, still
			// unknown, and asks again.
			wait := backoff(m.Attempts)
			if se := (*gateway.SendError)(nil); errors.As(err, &se) && se.RetryAfter > 0 {
				wait = se.RetryAfter
			}
			h.log.WarnContext(ctx, "settle_failed", "message_id", m.ID, "err", err, "retry_in", wait)
			return true, h.settle(ctx, m, verdict{kind: deferIt, until: now.Add(wait), reason: outbound.WaitOutcomeUnknown}, now)
		}
		for _, d := range ds {
			if d.Phone != phone || !ours(d.OutID) {
				continue
			}
			at := d.SendDate
			if at.IsZero() {
				at = m.AttemptedAt
			}
			if _, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{
				ProviderID: outbound.SMSProviderID("out:"+d.OutID, string(phone)), ProviderCode: "OK",
				TemplateCode: d.TemplateCode, At: at}); err != nil {
				return true, err
			}
			h.log.InfoContext(ctx, "outcome_settled", "message_id", m.ID, "out_id", d.OutID, "sent", true)
			return true, h.receiptFromDetail(ctx, m.ID, d)
		}
	}
	h.log.InfoContext(ctx, "outcome_settled", "message_id", m.ID, "out_id", m.OutID, "sent", false)
	return false, nil
}

// receiptFromDetail records what Aliyun's send record already knows of
// the delivery of a settled message, whose report may have come and gone
// unmatched while the message's outcome was unknown.
func (h *handlers) receiptFromDetail(ctx context.Context, id int64, d gateway.SMSDetail) error {
	var to outbound.Status
	switch d.Status {
	case gateway.SMSDelivered:
		to = outbound.StatusDelivered
	case gateway.SMSFailed:
		to = outbound.StatusFailed
	default:
		return nil
	}
	at := d.ReceiveDate
	if at.IsZero() {
		at = h.cfg.Now()
	}
	_, err := h.deps.Ledger.AdvanceMessage(ctx, id, to, outbound.Update{ProviderCode: d.ErrCode, At: at})
	return err
}

// unknownOutcome records that the call carrying js under outID at at got
// no answer: each message goes back to pending until SettleDelay has
// passed, when the provider can be asked.
func (h *handlers) unknownOutcome(ctx context.Context, js []*job, outID string, at time.Time, cause error) error {
	until := at.Add(h.cfg.SettleDelay)
	errs := []error{}
	for _, j := range js {
		if err := h.deps.Ledger.UnknownOutcome(ctx, j.m.ID, outID, at, until); err != nil {
			errs = append(errs, fmt.Errorf("queue: unknown outcome of %d: %w", j.m.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return errors.Join(cause, err)
	}
	h.log.WarnContext(ctx, "outcome_unknown", "messages", len(js), "out_id", outID, "err", cause)
	return &Deferred{Until: until, Reason: outbound.WaitOutcomeUnknown}
}
