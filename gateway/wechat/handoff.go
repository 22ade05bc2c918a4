package wechat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/population"
)

// The statuses of a TEMPLATESENDJOBFINISH receipt WeChat documents; an
// undocumented "failed:freq limit" exists too.
const (
	TemplateStatusSuccess   = "success"
	TemplateStatusUserBlock = "failed:user block"
)

// ToSink returns the callback hand-off (NewCallbackHandler's handle) that
// passes each verified push on to sink: a template receipt as a
// gateway.Receipt, a resident's message or follow event as a
// gateway.Inbound. Other pushes (menu clicks, scans) are dropped.
func ToSink(sink gateway.Sink) func(context.Context, Inbound) error {
	return func(ctx context.Context, in Inbound) error {
		if r, ok := in.Receipt(); ok {
			return sink.Receipts(ctx, []gateway.Receipt{r})
		}
		if m, ok := in.Message(); ok {
			return sink.Inbound(ctx, m)
		}
		return nil
	}
}

// Receipt converts a TEMPLATESENDJOBFINISH push; ok is false for any other
// push. "success" is delivered; "failed:user block" (spaced either way) is
// a refusal of WeChat by the resident, which another channel may overcome.
func (in Inbound) Receipt() (r gateway.Receipt, ok bool) {
	if in.Kind != KindTemplateFinish {
		return gateway.Receipt{}, false
	}
	squash := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	return gateway.Receipt{Channel: population.ChannelWeChat, ProviderID: strconv.FormatInt(in.TemplateMsgID, 10),
		Delivered: in.Status == TemplateStatusSuccess, Code: in.Status,
		Blocked: squash(in.Status) == squash(TemplateStatusUserBlock), At: in.CreateTime}, true
}

// Message converts a resident's message or follow event; ok is false for
// pushes that are neither (template receipts, menu clicks) or that name no
// sender. The dedupe key is the message's MsgId, or for an event the
// push's DedupKey.
func (in Inbound) Message() (m gateway.Inbound, ok bool) {
	m = gateway.Inbound{Channel: population.ChannelWeChat, From: string(in.FromOpenID), At: in.CreateTime, ProviderMsgID: in.DedupKey}
	if in.MsgID != 0 {
		m.ProviderMsgID = strconv.FormatInt(in.MsgID, 10)
	}
	switch in.Kind {
	case KindText:
		m.Kind, m.Text = gateway.InboundText, in.Content
	case KindVoice:
		m.Kind, m.Text, m.MediaID = gateway.InboundVoice, in.Recognition, in.MediaID
	case KindImage:
		m.Kind, m.Text, m.MediaID = gateway.InboundImage, "[图片] "+in.MediaID, in.MediaID
	case KindLocation:
		m.Kind, m.Text = gateway.InboundLocation, fmt.Sprintf("[位置] %s (%.5f, %.5f)", in.Label, in.Lat, in.Lng)
	case KindSubscribe:
		m.Kind = gateway.InboundFollow
	case KindUnsubscribe:
		m.Kind = gateway.InboundUnfollow
	case KindOther:
		m.Kind, m.Text = gateway.InboundOther, "[其他消息]"
	default:
		return gateway.Inbound{}, false
	}
	return m, m.From != ""
}
