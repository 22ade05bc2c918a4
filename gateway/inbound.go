package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// InboundKind is what an Inbound is.
type InboundKind string

// The inbound kinds. Only text (and voice with recognition) is read for
// keywords; the rest become questions or events.
const (
	InboundText     InboundKind = "text"
	InboundVoice    InboundKind = "voice"
	InboundImage    InboundKind = "image"
	InboundLocation InboundKind = "location"
	InboundFollow   InboundKind = "follow"   // WeChat subscribe event
	InboundUnfollow InboundKind = "unfollow" // WeChat unsubscribe event
	InboundOther    InboundKind = "other"
)

// Inbound is one message from a resident (or a follow event), whichever
// provider carried it: a WeChat message to the official account or an SMS
// uplink.
type Inbound struct {
	Channel population.Channel
	// ProviderMsgID is the dedupe key: WeChat's MsgId (or an event's key),
	// the uplink's sequence id.
	ProviderMsgID string
	// From is the sender's openid (WeChat) or phone number (SMS).
	// Personal data.
	From string
	Kind InboundKind
	// Text is what the resident wrote, or a description of a voice, image
	// or location message. Personal data.
	Text string
	// At is when the provider received it; zero means now.
	At time.Time
	// ExtendCode is the SMS extension code the uplink was sent to.
	ExtendCode string
	// MediaID is the provider's id of an image or voice message's media,
	// to fetch it by (WeChat keeps it three days); "" otherwise.
	MediaID string
}

// LogValue implements slog.LogValuer without personal data.
func (in Inbound) LogValue() slog.Value {
	from := slog.Any("from", pii.Phone(in.From))
	if in.Channel == population.ChannelWeChat {
		from = slog.Any("from", pii.OpenID(in.From))
	}
	return slog.GroupValue(slog.String("channel", string(in.Channel)), slog.String("kind", string(in.Kind)), from)
}

// Receipt is a provider's report on a message it accepted: an Aliyun
// delivery report or a WeChat TEMPLATESENDJOBFINISH event.
type Receipt struct {
	Channel population.Channel
	// ProviderID is the provider's id of the send: the Aliyun BizId, the
	// WeChat template msgid.
	ProviderID string
	// Phone and OutID (our message id) of an SMS report.
	Phone pii.Phone
	OutID string
	// Delivered is the outcome; Code and Message the provider's words
	// (DELIVERED, UNDELIV, "failed:user block" …).
	Delivered bool
	Code      string
	Message   string
	// Blocked: the recipient refused the channel (WeChat "failed:user
	// block"): another channel may still reach them.
	Blocked bool
	At      time.Time
}

// Sink takes what the webhooks receive, verified and parsed, and answers
// at once: the queue's Enqueuer puts each on the queue.
type Sink interface {
	// Inbound takes one resident's message or follow event.
	Inbound(ctx context.Context, in Inbound) error
	// Receipts takes delivery reports.
	Receipts(ctx context.Context, rs []Receipt) error
}
