package tickets

import (
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// OutboundKind is why the ticket desk sends a message. Campaign messages
// are not Outbound: they live in the campaign ledger.
type OutboundKind string

// The outbound kinds.
const (
	OutAck           OutboundKind = "ack"            // the canned acknowledgement of a new ticket
	OutConfirm       OutboundKind = "confirm"        // a keyword's answer: unsubscribed, visit confirmed, signed up, bound …
	OutBindCode      OutboundKind = "bind_code"      // the binding verification code, by SMS
	OutReply         OutboundKind = "reply"          // a worker's answer to the resident
	OutRatingRequest OutboundKind = "rating_request" // after resolution: rate 1–5
	OutNotify        OutboundKind = "notify"         // to a worker: a new, escalated or handed-over ticket
)

// OutStatus is where an Outbound stands. It moves forward only: pending →
// sending → sent → delivered | failed (sending may go back to pending when
// an attempt failed and will be retried).
type OutStatus string

// The outbound statuses.
const (
	OutPending   OutStatus = "pending"
	OutSending   OutStatus = "sending"
	OutSent      OutStatus = "sent"
	OutDelivered OutStatus = "delivered"
	OutFailed    OutStatus = "failed"
)

// Rank orders the statuses for forward-only moves: pending 0, sending 1,
// sent 2, delivered and failed 3; -1 for an unknown status.
func (s OutStatus) Rank() int {
	switch s {
	case OutPending:
		return 0
	case OutSending:
		return 1
	case OutSent:
		return 2
	case OutDelivered, OutFailed:
		return 3
	}
	return -1
}

// Outbound is one message from the ticket desk to a resident or a worker:
// an acknowledgement, a keyword's confirmation, a binding code, a worker's
// reply, a rating request or a notification. It is written before any
// provider call and its delivery is tracked like a campaign message.
type Outbound struct {
	ID   int64
	Kind OutboundKind
	// TicketID is the ticket it belongs to, 0 if none (a keyword answer).
	TicketID int64
	// ResidentID is the resident it goes to, 0 when it goes to a worker or
	// to an unknown sender (then To alone says where).
	ResidentID int64
	// WorkerID is the worker it goes to, 0 when it goes to a resident.
	WorkerID int64
	// Route is how it goes; RouteReason why (ChooseReply's reason, or the
	// channel the message being answered came on).
	Route       Route
	RouteReason string
	// To is the openid (WeChat routes) or phone number (SMS). Personal
	// data: log it masked (pii.OpenID, pii.Phone).
	To string
	// Text is what the recipient reads: the customer-service text, or the
	// main parameter of a template. Personal data: log it only at debug
	// level.
	Text string
	// TemplateCode is the SMS template code or WeChat template id; "" for
	// a customer-service text.
	TemplateCode string
	// Params are the template parameters (SMS) or data fields (WeChat).
	Params map[string]string
	// Actor is who wrote it: a user, or ActorSystem.
	Actor    string
	Status   OutStatus // "" is OutPending
	Attempts int
	// ProviderID is the WeChat msgid or the Aliyun BizId once sent;
	// ProviderCode and ProviderMessage the provider's last answer.
	ProviderID, ProviderCode, ProviderMessage string
	CreatedAt, SentAt, FinishedAt             time.Time
	// UpdatedAt is the last change, set by the store: how long a message
	// has been sending.
	UpdatedAt time.Time
}

// Entry is one line of a ticket's conversation: an inbound message from
// the resident or an Outbound to them, in time order.
type Entry struct {
	At time.Time
	// Inbound: the resident wrote it; otherwise it went out.
	Inbound bool
	// ID is the inbound message's or the Outbound's id.
	ID      int64
	Channel population.Channel
	Route   Route        // outbound only
	Kind    OutboundKind // outbound only
	Status  OutStatus    // outbound only
	Actor   string       // outbound only: who wrote it
	// Text is the message. Personal data.
	Text string
}

// Binding is a pending WeChat binding: a follower (OpenID) gave a phone
// number on record for ResidentID, and a code went to that phone. The
// follower's reply with the code binds the openid to the resident.
type Binding struct {
	ID         int64
	OpenID     pii.OpenID
	Phone      pii.Phone
	ResidentID int64
	// CodeHash is a hash of the code bound to the openid. The code itself
	// is kept only in the parameters of its SMS until that is sent.
	CodeHash  string
	Attempts  int // wrong codes tried
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// Leave is a worker's absence: from From until Until (exclusive) their
// new tickets go to BackupID.
type Leave struct {
	WorkerID int64
	BackupID int64
	From     time.Time
	Until    time.Time
	Note     string
}
