package tickets

import (
	"time"

	"github.com/gridcast/gridcast/population"
)

// InboundRecord is one inbound message (a WeChat message to the official
// account or an SMS uplink) as the system of record keeps it, before or
// after it is parsed. A plain value; the zero value is not a valid record:
// Channel, ProviderMsgID and FromKey are required.
type InboundRecord struct {
	Channel population.Channel
	// ProviderMsgID is the provider's id of the message (WeChat MsgId, the
	// SMS uplink's sequence id). With Channel it is the dedupe key: a
	// message delivered twice is recorded once.
	ProviderMsgID string
	// FromKey is who sent it: the openid (WeChat) or the phone number
	// (SMS). Personal data: log it masked.
	FromKey string
	// ResidentID is the resident FromKey belongs to, 0 for an unknown
	// sender (kept so that staff can bind or answer it).
	ResidentID int64
	// Content is the message text as received. Personal data: log it only
	// at debug level, truncated.
	Content    string
	ReceivedAt time.Time
	// CampaignID is the campaign the message answers, 0 if none.
	CampaignID int64
	// Intent is what Parse made of it; "" if not parsed yet.
	Intent Intent
}

// Inbound is an InboundRecord as stored: with its id and the ticket it
// was linked to (0 if none).
type Inbound struct {
	ID       int64
	TicketID int64
	// HandledAt is when acting on the message finished; zero while it has
	// not (recorded, then a failure: a retry acts again).
	HandledAt time.Time
	InboundRecord
}

// Answer is one resident's answer to a campaign's reply options (the
// sign-up list of a job posting or training notice). A resident has at
// most one answer per campaign: the latest.
type Answer struct {
	CampaignID int64
	ResidentID int64
	Option     string // the option key the resident sent, e.g. "1"
	Meaning    string // what the option means, e.g. "报名"
	InboundID  int64  // the message that carried it, 0 if none
	AnsweredAt time.Time
}
