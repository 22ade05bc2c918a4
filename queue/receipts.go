package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/segments"
	"github.com/gridcast/gridcast/segments/pii"
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
	m, err := h.deps.Ledger.MessageByProviderID(ctx, segments.ChannelSMS, p.BizID+"/"+p.Phone)
	if errors.Is(err, segments.ErrNotFound) && p.OutID != "" {
		m, err = h.deps.Ledger.MessageByProviderID(ctx, segments.ChannelSMS, "out:"+p.OutID+"/"+p.Phone)
	}
	if err != nil {
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
	m, err := h.deps.Ledger.MessageByProviderID(ctx, segments.ChannelWeChat, strconv.FormatInt(p.MsgID, 10))
	if err != nil {
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

// reconcile asks Aliyun about SMS still "sent" ReceiptTimeout after the
// send (reports are lost sometimes). WeChat has no query API: a template
// message without receipt stays sent.
func (h *handlers) reconcile(ctx context.Context, _ *asynq.Task) error {
	now := h.cfg.Now()
	if h.deps.SMS == nil {
		return nil
	}
	ms, err := h.deps.Ledger.StaleSent(ctx, now.Add(-h.cfg.ReceiptTimeout), reconcileBatch)
	if err != nil {
		return fmt.Errorf("queue: reconcile: %w", err)
	}
	var errs []error
	for _, m := range ms {
		if m.Channel != segments.ChannelSMS {
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
