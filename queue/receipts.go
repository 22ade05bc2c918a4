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
	m, err := h.matchSMS(ctx, p)
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

// receiptsSMS handles the reports of one push: each is matched as
// receiptSMS matches one, and every matched report is recorded in one
// transaction. A report whose message is not (yet) recorded as sent is
// queued again as a task of its own, which retries it alone.
func (h *handlers) receiptsSMS(ctx context.Context, t *asynq.Task) error {
	var p smsReceipts
	if err := decode(t, &p); err != nil {
		return err
	}
	moves := make([]outbound.Advance, 0, len(p.Receipts))
	var errs []error
	for _, r := range p.Receipts {
		m, err := h.matchSMS(ctx, r)
		if errors.Is(err, fault.ErrNotFound) {
			// It may have overtaken our own write: retried alone.
			errs = append(errs, h.enq.enqueue(ctx, TypeReceiptSMS, r, asynq.Queue(QueueCritical),
				asynq.MaxRetry(h.cfg.MaxRetry), asynq.Retention(0), asynq.ProcessIn(time.Second)))
			continue
		}
		if err != nil {
			return fmt.Errorf("queue: sms receipt for %s: %w", pii.Phone(r.Phone), err)
		}
		to := outbound.StatusDelivered
		if !r.Success {
			to = outbound.StatusFailed
		}
		moves = append(moves, outbound.Advance{ID: m.ID, To: to,
			Update: outbound.Update{ProviderCode: r.ErrCode, ProviderMessage: r.ErrMsg, At: r.At}})
	}
	if _, err := h.deps.Ledger.AdvanceMessages(ctx, moves); err != nil {
		return fmt.Errorf("queue: %d sms receipts: %w", len(moves), err)
	}
	return errors.Join(errs...)
}

// matchSMS finds the message an SMS report is about: by "<biz_id>/<phone>",
// or "out:<out_id>/<phone>" for a send settled after an ambiguous timeout.
func (h *handlers) matchSMS(ctx context.Context, p smsReceipt) (outbound.Message, error) {
	m, err := h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, outbound.SMSProviderID(p.BizID, p.Phone))
	if errors.Is(err, fault.ErrNotFound) && p.OutID != "" {
		m, err = h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, outbound.SMSProviderID("out:"+p.OutID, p.Phone))
	}
	return m, err
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

// ReasonRecovered is the history code (and wait reason) of a message that
// recovery handed back from sending to pending.
const ReasonRecovered = outbound.WaitRecovered

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
// Whether the crashed worker's provider call went out is unknown, so the
// message's outcome becomes unknown as of its claim (RecoverMessage) and
// the send that follows settles it before anything goes out again
// (settleUnknown): Aliyun's send record is asked about an SMS; a WeChat
// template message is resent under the same client_msg_id while WeChat
// still drops repeats (recovery comes 2×SendTimeout plus at most a tick
// after the claim, well inside its 10 minutes), else failed as unknown, as
// is a customer-service text.
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
	// The dead worker's task may still be active in Asynq (until its lease
	// runs out and Asynq's recoverer hands it back, a minute or more): a
	// task id of its own for the recovered attempt sends it now. Should
	// both run, the ledger's claim lets one through.
	m.Status, m.NotBefore = outbound.StatusPending, now
	return h.enq.enqueueSend(ctx, m, fmt.Sprintf("%s:recovered:%d", sendTaskID(m.ID), m.Attempts))
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
