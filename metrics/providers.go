package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/queue"
)

// The provider label values.
const (
	ProviderAliyunSMS = "aliyun_sms"
	ProviderWeChat    = "wechat"
)

// SMS returns next timing each call into gridcast_provider_call_duration_seconds
// (operations send, send_batch, query_details). Calls pass through as they
// are, errors included. A nil next stays nil (no sender: the queue fails
// that channel's messages with NO_SENDER).
func (s *Set) SMS(next queue.SMSSender) queue.SMSSender {
	if next == nil {
		return nil
	}
	return timedSMS{next, s}
}

// WeChat is SMS for the WeChat sender (operations send_template,
// send_text).
func (s *Set) WeChat(next queue.WeChatSender) queue.WeChatSender {
	if next == nil {
		return nil
	}
	return timedWeChat{next, s}
}

func (s *Set) timed(provider, op string, start time.Time, err error) {
	s.calls.WithLabelValues(provider, op, outcome(err)).Observe(time.Since(start).Seconds())
}

// outcome is a call's outcome class: ok, the gateway.SendError's class,
// ambiguous for a send whose fate is unknown, error for anything else.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var se *gateway.SendError
	switch {
	case !errors.As(err, &se):
		return "error"
	case se.Code == gateway.CodeAmbiguous:
		return "ambiguous"
	}
	switch se.Class {
	case gateway.Permanent, gateway.Retryable, gateway.Throttled, gateway.Quota, gateway.Config:
		return se.Class.String()
	}
	return "error"
}

type timedSMS struct {
	next queue.SMSSender
	s    *Set
}

var _ queue.SMSSender = timedSMS{}

func (t timedSMS) Send(ctx context.Context, m gateway.SMS) (gateway.SMSAccepted, error) {
	start := time.Now()
	acc, err := t.next.Send(ctx, m)
	t.s.timed(ProviderAliyunSMS, "send", start, err)
	return acc, err
}

func (t timedSMS) SendBatch(ctx context.Context, ms []gateway.SMS) (gateway.SMSAccepted, error) {
	start := time.Now()
	acc, err := t.next.SendBatch(ctx, ms)
	t.s.timed(ProviderAliyunSMS, "send_batch", start, err)
	return acc, err
}

func (t timedSMS) QueryDetails(ctx context.Context, phone pii.Phone, bizID string, date time.Time) ([]gateway.SMSDetail, error) {
	start := time.Now()
	ds, err := t.next.QueryDetails(ctx, phone, bizID, date)
	t.s.timed(ProviderAliyunSMS, "query_details", start, err)
	return ds, err
}

type timedWeChat struct {
	next queue.WeChatSender
	s    *Set
}

var _ queue.WeChatSender = timedWeChat{}

func (t timedWeChat) SendTemplate(ctx context.Context, m gateway.TemplateMessage) (int64, error) {
	start := time.Now()
	id, err := t.next.SendTemplate(ctx, m)
	t.s.timed(ProviderWeChat, "send_template", start, err)
	return id, err
}

func (t timedWeChat) SendText(ctx context.Context, to pii.OpenID, text string) error {
	start := time.Now()
	err := t.next.SendText(ctx, to, text)
	t.s.timed(ProviderWeChat, "send_text", start, err)
	return err
}
