package gateway

import (
	"log/slog"
	"time"

	"github.com/gridcast/gridcast/pii"
)

// The provider-neutral requests and answers the channel adapters take and
// give: the queue declares its senders over these types, so it imports no
// provider package.

// SMS is one text to one phone number on a provider template.
type SMS struct {
	Phone        pii.Phone
	TemplateCode string
	Params       map[string]string // the template's ${name} values; personal data
	OutID        string            // ours, echoed in reports and in the provider's send record: the ledger's message id
	ExtendCode   string            // digits appended to the sender number, so that replies can be routed to a campaign
	SignName     string            // "" = the adapter's configured signature
}

// LogValue implements slog.LogValuer without personal data.
func (m SMS) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("phone", m.Phone), slog.String("template", m.TemplateCode),
		slog.String("out_id", m.OutID))
}

// SMSAccepted is the provider's answer to an accepted SMS send.
type SMSAccepted struct {
	BizID     string // the provider's id of the send (a batch shares one); reports carry it
	RequestID string
}

// SMSStatus is where an SMS stands in the provider's send record.
type SMSStatus int

// The SMS statuses the provider reports (Aliyun's SendStatus codes).
const (
	SMSWaiting   SMSStatus = 1 // accepted, no receipt yet
	SMSFailed    SMSStatus = 2 // the carrier reported failure
	SMSDelivered SMSStatus = 3 // the handset received it
)

// String is waiting, failed or delivered.
func (s SMSStatus) String() string {
	switch s {
	case SMSWaiting:
		return "waiting"
	case SMSFailed:
		return "failed"
	case SMSDelivered:
		return "delivered"
	}
	return "unknown"
}

// SMSDetail is one row of the provider's send record for a number and day
// (Aliyun QuerySendDetails): how a send that timed out, or whose report
// never came, is settled.
type SMSDetail struct {
	Phone        pii.Phone
	Status       SMSStatus
	ErrCode      string // DELIVERED, or the carrier's code
	TemplateCode string
	Content      string // as sent, 【sign】 included; personal data
	OutID        string
	SendDate     time.Time
	ReceiveDate  time.Time // zero while waiting
}

// TemplateMessage is one WeChat template message to a follower.
type TemplateMessage struct {
	ToUser     pii.OpenID
	TemplateID string
	// URL is opened when the resident taps the message; optional.
	URL string
	// Data fills the template's {{key.DATA}} placeholders; personal data.
	Data map[string]string
	// ClientMsgID makes WeChat drop a repeat of the same send within 10
	// minutes (the first msgid comes back): the ledger's message id.
	ClientMsgID string
}
