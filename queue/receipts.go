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
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// WeChat receipt statuses.
const (
	WeChatStatusSuccess   = "success"
	WeChatStatusUserBlock = "failed:user block"
)

// receiptSMS handles one Aliyun delivery report. It matches the message by
// "<biz_id>/<phone>" (or "out:<out_id>/<phone>" for a send settled after an
// ambiguous timeout) and moves it forward only. A report for a message not
// (yet) recorded as sent is retried: it may have overtaken our own write.
func (h *handlers) receiptSMS(ctx context.Context, t *asynq.Task) error {
	var p smsReceipt
	if err := decode(t, &p); err != nil {
		return err
	}
	if strings.HasPrefix(p.OutID, "visit-") {
		// A visit reminder: it is recorded on its slot, not as a message.
		h.log.DebugContext(ctx, "reminder_receipt", "out_id", p.OutID, "success", p.Success)
		return nil
	}
	if strings.HasPrefix(p.OutID, desk.OutIDPrefix) {
		// A desk message (a reply, a confirmation, a notification).
		found, err := h.deskReceipt(ctx, population.ChannelSMS, p.BizID, p.Success, p.ErrCode, p.At)
		if err != nil || found {
			return err
		}
	}
	m, err := h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, p.BizID+"/"+p.Phone)
	if errors.Is(err, fault.ErrNotFound) && p.OutID != "" {
		m, err = h.deps.Ledger.MessageByProviderID(ctx, population.ChannelSMS, "out:"+p.OutID+"/"+p.Phone)
	}
	if err != nil {
		if unmatched(ctx, err) {
			h.log.WarnContext(ctx, "receipt_unmatched", "channel", "sms", "phone", pii.Phone(p.Phone), "biz_id", p.BizID)
			return nil
		}
		return fmt.Errorf("queue: sms receipt for %s: %w", pii.Phone(p.Phone), err)
	}
	to, code := campaigns.StatusDelivered, p.ErrCode
	if !p.Success {
		to = campaigns.StatusFailed
	}
	moved, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, campaigns.MessageUpdate{ProviderCode: code, ProviderMessage: p.ErrMsg, At: p.At})
	if err != nil {
		return fmt.Errorf("queue: sms receipt %d: %w", m.ID, err)
	}
	if !moved {
		h.log.DebugContext(ctx, "receipt_ignored", "message_id", m.ID, "status", m.Status, "to", to)
	}
	return nil
}

// receiptWeChat handles one TEMPLATESENDJOBFINISH event: success is
// delivered; "failed:user block" fails the message and, when the policy
// allows, falls back to SMS; any other status fails it.
func (h *handlers) receiptWeChat(ctx context.Context, t *asynq.Task) error {
	var p wechatReceipt
	if err := decode(t, &p); err != nil {
		return err
	}
	m, err := h.deps.Ledger.MessageByProviderID(ctx, population.ChannelWeChat, strconv.FormatInt(p.MsgID, 10))
	if errors.Is(err, fault.ErrNotFound) {
		found, derr := h.deskReceipt(ctx, population.ChannelWeChat, strconv.FormatInt(p.MsgID, 10), p.Status == WeChatStatusSuccess, p.Status, p.At)
		if derr != nil || found {
			return derr
		}
	}
	if err != nil {
		if unmatched(ctx, err) {
			h.log.WarnContext(ctx, "receipt_unmatched", "channel", "wechat", "msg_id", p.MsgID)
			return nil
		}
		return fmt.Errorf("queue: wechat receipt %d: %w", p.MsgID, err)
	}
	to := campaigns.StatusFailed
	if p.Status == WeChatStatusSuccess {
		to = campaigns.StatusDelivered
	}
	moved, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, campaigns.MessageUpdate{ProviderCode: p.Status, At: p.At})
	if err != nil {
		return fmt.Errorf("queue: wechat receipt %d: %w", m.ID, err)
	}
	if moved && strings.ReplaceAll(p.Status, " ", "") == strings.ReplaceAll(WeChatStatusUserBlock, " ", "") {
		j, err := h.load(ctx, m)
		if err != nil {
			return err
		}
		return h.fallback(ctx, &j, h.cfg.Now())
	}
	return nil
}

// reconcileBatch is how many stale messages one reconcile pass looks at.
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
			if d.Phone != pii.Phone(phone) || d.Status == aliyunsms.StatusWaiting {
				continue
			}
			to := campaigns.StatusDelivered
			if d.Status == aliyunsms.StatusFailed {
				to = campaigns.StatusFailed
			}
			at := d.ReceiveDate
			if at.IsZero() {
				at = now
			}
			if _, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, to, campaigns.MessageUpdate{ProviderCode: d.ErrCode, At: at}); err != nil {
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

// recoverStuck finds the messages of running and paused campaigns that
// have been in sending for longer than stuckAfter — claimed by a worker
// that then died before it recorded the outcome — and hands each back to
// pending and to the queue. Without it a re-delivered task would find the
// message claimed and do nothing, and the resident would silently never be
// reached.
//
// Whether the crashed worker's provider call went out is unknown:
//   - SMS: Aliyun is asked first (settleStuckSMS); a send it knows is
//     recorded as sent and not repeated. Otherwise the message is marked
//     ambiguous (limits.markAmbiguous, OutId = its own id) before it goes
//     back to pending, so the resend asks Aliyun once more
//     (settleAmbiguous) in case the record was not yet visible.
//   - WeChat: the template send carries client_msg_id = the message id,
//     and WeChat drops a repeat of it within 10 minutes, returning the
//     first send's msgid. Recovery runs 2×SendTimeout (2 minutes by
//     default) plus at most a tick after the claim, well inside that
//     window; a resend after a longer outage of every worker could
//     duplicate.
//
// The ledger reads it needs — Campaigns and MessagesByStatus — are part of
// Ledger already (CampaignStore, MessageFinder), so *store.Store needs
// nothing new.
func (h *handlers) recoverStuck(ctx context.Context, now time.Time) error {
	cutoff := now.Add(-h.stuckAfter())
	var errs []error
	for _, st := range []campaigns.State{campaigns.StateRunning, campaigns.StatePaused} {
		cs, err := h.deps.Ledger.Campaigns(ctx, st, tickLimit)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue: recover: %s campaigns: %w", st, err))
			continue
		}
		for _, c := range cs {
			errs = append(errs, h.recoverCampaign(ctx, c, cutoff, now))
		}
	}
	return errors.Join(errs...)
}

// recoverCampaign recovers c's messages claimed before cutoff, paging
// through its sending messages by id.
func (h *handlers) recoverCampaign(ctx context.Context, c campaigns.Campaign, cutoff, now time.Time) error {
	var errs []error
	var after int64
	for {
		ms, err := h.deps.Ledger.MessagesByStatus(ctx, c.ID, campaigns.StatusSending, after, reconcileBatch)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("queue: recover: campaign %d: %w", c.ID, err))...)
		}
		for _, m := range ms {
			after = m.ID
			if !m.UpdatedAt.Before(cutoff) {
				continue // a live worker may still hold it
			}
			if err := h.recoverOne(ctx, c, m, now); err != nil {
				errs = append(errs, fmt.Errorf("queue: recover message %d: %w", m.ID, err))
			}
		}
		if len(ms) < reconcileBatch {
			return errors.Join(errs...)
		}
	}
}

func (h *handlers) recoverOne(ctx context.Context, c campaigns.Campaign, m campaigns.Message, now time.Time) error {
	if m.Channel == population.ChannelSMS && h.deps.SMS != nil {
		sent, err := h.settleStuckSMS(ctx, c, m, now)
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
	h.log.WarnContext(ctx, "message_recovered", "message_id", m.ID, "campaign_id", m.CampaignID,
		"channel", m.Channel, "claimed_at", m.UpdatedAt)
	// The crashed worker's task may sit archived under the same id, which
	// would turn the enqueue into a no-op forever.
	if err := h.enq.dropArchived(sendTaskID(m.ID)); err != nil {
		return err
	}
	m.Status, m.NotBefore = campaigns.StatusPending, now
	return h.enq.EnqueueSend(ctx, m)
}

// settleStuckSMS asks Aliyun whether the crashed worker's SMS went out and,
// if so, records it as sent (keyed "out:<OutId>/<phone>", as
// settleAmbiguous does, which receipts match). A call carries one OutId,
// the id of its first message, so a record for the resident's number whose
// OutId is this message's id, or names another message of the same
// campaign run sent to a different number (a batch-mate), is this
// message's: a resident has one SMS per run, and a batch is accepted or
// refused as a whole. A batch-mate sharing the resident's number cannot be
// told apart; that rare case is resent (under the ambiguity marker).
func (h *handlers) settleStuckSMS(ctx context.Context, c campaigns.Campaign, m campaigns.Message, now time.Time) (bool, error) {
	rs, err := h.deps.Audience.Residents(ctx, []int64{m.ResidentID})
	if err != nil {
		return false, fmt.Errorf("resident %d: %w", m.ResidentID, err)
	}
	r, ok := rs[m.ResidentID]
	if !ok || r.Phone == "" {
		return false, nil // the resend screens it out
	}
	// The send happened within SendTimeout of the claim: query its day,
	// and the next if the window crossed midnight.
	days := []time.Time{m.UpdatedAt}
	if end := m.UpdatedAt.Add(h.cfg.SendTimeout); dayOf(end) != dayOf(m.UpdatedAt) {
		days = append(days, end)
	}
	own := strconv.FormatInt(m.ID, 10)
	for _, day := range days {
		ds, err := h.deps.SMS.QueryDetails(ctx, r.Phone, "", day)
		if err != nil {
			return false, err
		}
		for _, d := range ds {
			if d.Phone != r.Phone || d.OutID == "" || d.TemplateCode != c.SMS.TemplateCode {
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
			if _, err := h.deps.Ledger.AdvanceMessage(ctx, m.ID, campaigns.StatusSent, campaigns.MessageUpdate{
				ProviderID: "out:" + d.OutID + "/" + string(r.Phone), TemplateCode: c.SMS.TemplateCode, At: at}); err != nil {
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
func (h *handlers) batchMate(ctx context.Context, m campaigns.Message, outID string) (bool, error) {
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
	if o.CampaignID != m.CampaignID || o.Run != m.Run || o.Channel != population.ChannelSMS {
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
// campaign message (a visit reminder, another system on the same account).
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
