package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// The one receipt matcher and the one reconciler, for messages of every
// purpose.

// receiptSMS handles one Aliyun delivery report. It matches the message by
// "<biz_id>/<phone>" (or "out:<out_id>/<phone>" for a send settled after an
// ambiguous timeout) and moves it forward only. A report for a message not
// (yet) recorded as sent is retried: it may have overtaken our own write.
func (h *handlers) receiptSMS(ctx context.Context, t *asynq.Task) error {
	var p smsReceipt
	if err := decode(t, &p); err != nil {
		return err
	}
	m, err := h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, outbound.SMSProviderID(p.BizID, p.Phone))
	if errors.Is(err, fault.ErrNotFound) && p.OutID != "" {
		m, err = h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, outbound.SMSProviderID("out:"+p.OutID, p.Phone))
	}
	if err != nil {
		if unmatched(ctx, err) {
			h.log.WarnContext(ctx, "receipt_unmatched", "channel", "sms", "phone", pii.Phone(p.Phone), "biz_id", p.BizID)
			return nil
		}
		return fmt.Errorf("queue: sms receipt for %s: %w", pii.Phone(p.Phone), err)
	}
	to := outbound.StatusDelivered
	if !p.Success {
		to = outbound.StatusFailed
	}
	moved, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, outbound.Update{ProviderCode: p.ErrCode, ProviderMessage: p.ErrMsg, At: p.At})
	if err != nil {
		return fmt.Errorf("queue: sms receipt %d: %w", m.ID, err)
	}
	if !moved {
		h.log.DebugContext(ctx, "receipt_ignored", "message_id", m.ID, "status", m.Status, "to", to)
	}
	return nil
}

// receiptWeChat handles one TEMPLATESENDJOBFINISH event: success is
// delivered, anything else failed; a resident's block fails the message
// and writes what replaces it (fallback), as a permanent send failure
// does.
func (h *handlers) receiptWeChat(ctx context.Context, t *asynq.Task) error {
	var p wechatReceipt
	if err := decode(t, &p); err != nil {
		return err
	}
	m, err := h.deps.Ledger.MessageByProviderID(ctx, population.ChannelWeChat, strconv.FormatInt(p.MsgID, 10))
	if err != nil {
		if unmatched(ctx, err) {
			h.log.WarnContext(ctx, "receipt_unmatched", "channel", "wechat", "msg_id", p.MsgID)
			return nil
		}
		return fmt.Errorf("queue: wechat receipt %d: %w", p.MsgID, err)
	}
	to := outbound.StatusFailed
	// A task queued before receipts carried "delivered" has only WeChat's status.
	if p.Delivered || p.Status == "success" {
		to = outbound.StatusDelivered
	}
	moved, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, outbound.Update{ProviderCode: p.Status, At: p.At})
	if err != nil {
		return fmt.Errorf("queue: wechat receipt %d: %w", m.ID, err)
	}
	if moved && p.Blocked {
		j, err := h.load(ctx, m, nil)
		if err != nil {
			return err
		}
		return h.fallback(ctx, &j, p.Status, h.cfg.Now())
	}
	return nil
}

// reconcileBatch is how many messages one reconcile pass looks at.
const reconcileBatch = 200

// ReasonRecovered is the history code of a message that recovery handed
// back from sending to pending.
const ReasonRecovered = "recovered after a worker crash"

// reconcile runs every tick. It returns to pending the messages a crashed
// worker left in sending (see recoverStuck), then asks Aliyun about SMS
// still "sent" ReceiptTimeout after the send (reports are lost
// sometimes). WeChat has no query API: a template message without receipt
// stays sent.
func (h *handlers) reconcile(ctx context.Context, _ *asynq.Task) error {
	now := h.cfg.Now()
	return errors.Join(h.recoverStuck(ctx, now), h.reconcileSent(ctx, now))
}

func (h *handlers) reconcileSent(ctx context.Context, now time.Time) error {
	if h.deps.SMS == nil {
		return nil
	}
	ms, err := h.deps.Ledger.StaleSent(ctx, now.Add(-h.cfg.ReceiptTimeout), reconcileBatch)
	if err != nil {
		return fmt.Errorf("queue: reconcile: %w", err)
	}
	var errs []error
	for _, m := range ms {
		if m.Channel != population.ChannelSMS {
			continue
		}
		biz, phone, ok := strings.Cut(m.ProviderID, "/")
		if !ok || strings.HasPrefix(biz, "out:") {
			biz = ""
		}
		sentAt := m.SentAt
		if sentAt.IsZero() {
			sentAt = m.UpdatedAt
		}
		ds, err := h.deps.SMS.QueryDetails(ctx, pii.Phone(phone), biz, sentAt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range ds {
			if d.Phone != pii.Phone(phone) || d.Status == gateway.SMSWaiting {
				continue
			}
			to := outbound.StatusDelivered
			if d.Status == gateway.SMSFailed {
				to = outbound.StatusFailed
			}
			at := d.ReceiveDate
			if at.IsZero() {
				at = now
			}
			if _, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, outbound.Update{ProviderCode: d.ErrCode, At: at}); err != nil {
				errs = append(errs, err)
			}
			break
		}
	}
	return errors.Join(errs...)
}

// stuckAfter is how long a message may stay in sending before recovery
// takes it back: twice SendTimeout. A send task's context ends after
// SendTimeout, so no live handler still holds a claim that old; only a
// crashed (killed, OOM, lost) worker leaves one behind.
func (h *handlers) stuckAfter() time.Duration { return 2 * h.cfg.SendTimeout }

// recoverStuck finds the messages, of every purpose, that have been in
// sending for longer than stuckAfter — claimed by a worker that then died
// before it recorded the outcome — and hands each back to pending and to
// the queue. Without it a re-delivered task would find the message claimed
// and do nothing, and nobody would ever be reached.
//
// Whether the crashed worker's provider call went out is unknown:
//   - SMS: Aliyun is asked first (settleStuckSMS); a send it knows is
//     recorded as sent and not repeated. Otherwise the message is marked
//     ambiguous (limits.markAmbiguous, OutId = its own id) before it goes
//     back to pending, so the resend asks Aliyun once more
//     (settleAmbiguous) in case the record was not yet visible.
//   - WeChat: a template send carries client_msg_id = the message id, and
//     WeChat drops a repeat of it within 10 minutes, returning the first
//     send's msgid. Recovery runs 2×SendTimeout (2 minutes by default)
//     plus at most a tick after the claim, well inside that window; a
//     resend after a longer outage of every worker could duplicate, as can
//     a customer-service text, which WeChat does not deduplicate.
//
// A recovered message of a campaign cancelled meanwhile is screened out by
// the send that follows.
func (h *handlers) recoverStuck(ctx context.Context, now time.Time) error {
	cutoff := now.Add(-h.stuckAfter())
	var errs []error
	var after int64
	for {
		ms, err := h.deps.Ledger.StuckSending(ctx, cutoff, after, reconcileBatch)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("queue: recover: %w", err))...)
		}
		for _, m := range ms {
			after = m.ID
			if err := h.recoverOne(ctx, m, now); err != nil {
				errs = append(errs, fmt.Errorf("queue: recover message %d: %w", m.ID, err))
			}
		}
		if len(ms) < reconcileBatch {
			return errors.Join(errs...)
		}
	}
}

func (h *handlers) recoverOne(ctx context.Context, m outbound.Message, now time.Time) error {
	if m.Route == outbound.RouteSMS && h.deps.SMS != nil {
		sent, err := h.settleStuckSMS(ctx, m, now)
		if err != nil || sent {
			return err // on error the message stays sending: the next pass asks again
		}
		if err := h.lim.markAmbiguous(ctx, m.ID, strconv.FormatInt(m.ID, 10), m.UpdatedAt); err != nil {
			return err
		}
	}
	if err := h.deps.Ledger.RecoverMessage(ctx, m.ID, m.Attempts, now, ReasonRecovered); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return nil // no longer sending: a late worker or another reconciler moved it
		}
		return err
	}
	h.log.WarnContext(ctx, "message_recovered", "message_id", m.ID, "purpose", m.Purpose, "campaign_id", m.CampaignID,
		"channel", m.Channel, "claimed_at", m.UpdatedAt)
	// The crashed worker's task may sit archived under the same id, which
	// would turn the enqueue into a no-op forever.
	if err := h.enq.dropArchived(m); err != nil {
		return err
	}
	m.Status, m.NotBefore = outbound.StatusPending, now
	return h.enq.EnqueueSend(ctx, m)
}

// smsTarget is the number and template an SMS message went to: a desk
// message's own, a campaign message's or reminder's resident's number on
// its campaign's template.
func (h *handlers) smsTarget(ctx context.Context, m outbound.Message) (pii.Phone, string, error) {
	if m.Purpose.Desk() {
		return pii.Phone(m.To), m.TemplateCode, nil
	}
	j, err := h.load(ctx, m, nil)
	if err != nil {
		return "", "", err
	}
	return j.r.Phone, j.c.SMS.TemplateCode, nil
}

// settleStuckSMS asks Aliyun whether the crashed worker's SMS went out and,
// if so, records it as sent (keyed "out:<OutId>/<phone>", as
// settleAmbiguous does, which receipts match). A call carries one OutId,
// the id of its first message, so a record for the number whose OutId is
// this message's id, or names another message of the same campaign run
// sent to a different number (a batch-mate), is this message's: a resident
// has one SMS per run, and a batch is accepted or refused as a whole. A
// batch-mate sharing the resident's number cannot be told apart; that rare
// case is resent (under the ambiguity marker).
func (h *handlers) settleStuckSMS(ctx context.Context, m outbound.Message, now time.Time) (bool, error) {
	phone, template, err := h.smsTarget(ctx, m)
	if err != nil || phone == "" {
		return false, err // no number: the resend screens it out
	}
	// The send happened within SendTimeout of the claim: query its day,
	// and the next if the window crossed midnight.
	days := []time.Time{m.UpdatedAt}
	if end := m.UpdatedAt.Add(h.cfg.SendTimeout); dayOf(end) != dayOf(m.UpdatedAt) {
		days = append(days, end)
	}
	own := strconv.FormatInt(m.ID, 10)
	for _, day := range days {
		ds, err := h.deps.SMS.QueryDetails(ctx, phone, "", day)
		if err != nil {
			return false, err
		}
		for _, d := range ds {
			if d.Phone != phone || d.OutID == "" || d.TemplateCode != template {
				continue
			}
			if d.OutID != own {
				if mate, err := h.batchMate(ctx, m, d.OutID); err != nil {
					return false, err
				} else if !mate {
					continue
				}
			}
			at := d.SendDate
			if at.IsZero() {
				at = now
			}
			if _, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{
				ProviderID: outbound.SMSProviderID("out:"+d.OutID, string(phone)), TemplateCode: template, At: at}); err != nil {
				return false, err
			}
			h.log.WarnContext(ctx, "message_recovered_sent", "message_id", m.ID, "campaign_id", m.CampaignID, "out_id", d.OutID)
			return true, h.lim.clearAmbiguous(ctx, m.ID)
		}
	}
	return false, nil
}

// batchMate reports whether outID names another message of m's campaign
// run addressed to a different phone number than m's resident.
func (h *handlers) batchMate(ctx context.Context, m outbound.Message, outID string) (bool, error) {
	if m.Purpose != outbound.PurposeCampaign {
		return false, nil // only a campaign run's SMS travel in batches
	}
	id, err := strconv.ParseInt(outID, 10, 64)
	if err != nil {
		return false, nil // not one of ours
	}
	o, err := h.deps.Ledger.Message(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("message %d: %w", id, err)
	}
	if o.Purpose != outbound.PurposeCampaign || o.CampaignID != m.CampaignID || o.Run != m.Run || o.Channel != population.ChannelSMS {
		return false, nil
	}
	rs, err := h.deps.Audience.Residents(ctx, []int64{o.ResidentID, m.ResidentID})
	if err != nil {
		return false, fmt.Errorf("residents: %w", err)
	}
	return rs[o.ResidentID].Phone != rs[m.ResidentID].Phone, nil
}

// dayOf is t's calendar day in Beijing time, the day Aliyun files a send
// under.
func dayOf(t time.Time) string { return t.In(campaigns.Shanghai()).Format("20060102") }

// unmatchedRetries is how often a receipt whose message is not (yet) on the
// ledger is retried: a receipt can overtake the send's own record of the
// provider id, but one that still matches nothing after that belongs to no
// message of ours (another system on the same account).
const unmatchedRetries = 3

// unmatched reports whether err is "no such message" and the receipt has
// been retried enough to give up on it.
func unmatched(ctx context.Context, err error) bool {
	if !errors.Is(err, fault.ErrNotFound) {
		return false
	}
	n, ok := asynq.GetRetryCount(ctx)
	return ok && n >= unmatchedRetries
}
