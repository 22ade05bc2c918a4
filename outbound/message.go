package outbound

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
)

// Purpose is why a message is sent. It decides how the send path prepares
// it: a campaign message and a reminder are rendered from their campaign
// when they go out; the desk's messages carry their content from the
// moment they are written.
type Purpose string

// The purposes.
const (
	// PurposeCampaign: a campaign run's message to one resident of its
	// segment (or the SMS that replaces its failed WeChat message).
	PurposeCampaign Purpose = "campaign"
	// PurposeReminder: the reminder of a confirmed visit, the evening
	// before, with the visit campaign's own content.
	PurposeReminder Purpose = "reminder"
	// The ticket desk's messages.
	PurposeAck           Purpose = "ack"            // the canned acknowledgement of a new ticket
	PurposeConfirm       Purpose = "confirm"        // a keyword's answer: unsubscribed, visit confirmed, signed up, bound …
	PurposeBindCode      Purpose = "bind_code"      // the WeChat binding verification code, by SMS
	PurposeReply         Purpose = "reply"          // a worker's answer to the resident
	PurposeRatingRequest Purpose = "rating_request" // after resolution: rate the handling
	PurposeNotify        Purpose = "notify"         // to a worker: a new, escalated or handed-over ticket
	// PurposeTest: a campaign's SMS rendered for a made-up resident, sent
	// by an officer to their own phone to see it as residents will (试发).
	// It belongs to no campaign run, resident or worker (the officer is
	// its Actor, RouteReason names the campaign: TestReason), so no
	// funnel, cap, sign-up or history counts it.
	PurposeTest Purpose = "test"
)

// Purposes lists every purpose, campaign first.
var Purposes = []Purpose{PurposeCampaign, PurposeReminder, PurposeAck, PurposeConfirm, PurposeBindCode,
	PurposeReply, PurposeRatingRequest, PurposeNotify, PurposeTest}

// Valid reports whether p is one of Purposes.
func (p Purpose) Valid() bool {
	for _, q := range Purposes {
		if p == q {
			return true
		}
	}
	return false
}

// Desk reports whether p is one of the ticket desk's purposes: a message
// composed in full when it is written, answering someone who is waiting.
func (p Purpose) Desk() bool {
	return p.Valid() && p != PurposeCampaign && p != PurposeReminder && p != PurposeTest
}

// Composed reports whether a message of purpose p carries its content
// from the moment it is written — the desk's messages and a test send —
// so that nothing is prepared at send time and no quiet hours or caps hold
// it back: someone is waiting for it.
func (p Purpose) Composed() bool { return p.Desk() || p == PurposeTest }

// TestReason is the RouteReason of a test send of campaign id: what ties
// the message, which belongs to no campaign, to the campaign it shows.
func TestReason(campaignID int64) string { return fmt.Sprintf("test send of campaign %d", campaignID) }

// Label is the purpose in Chinese, for screens and sheets.
func (p Purpose) Label() string {
	switch p {
	case PurposeCampaign:
		return "群发通知"
	case PurposeReminder:
		return "走访提醒"
	case PurposeAck:
		return "受理回执"
	case PurposeConfirm:
		return "自动答复"
	case PurposeBindCode:
		return "绑定验证码"
	case PurposeReply:
		return "网格员答复"
	case PurposeRatingRequest:
		return "评价邀请"
	case PurposeNotify:
		return "工单通知"
	case PurposeTest:
		return "测试发送"
	}
	return string(p)
}

// WeChat's customer-service message limits: an official account may send
// customer-service (客服) messages to a follower only within
// CustomerServiceWindow of the follower's last message, and at most
// CustomerServiceLimit of them per such message.
const (
	CustomerServiceWindow = 48 * time.Hour
	CustomerServiceLimit  = 5
)

// Route is how a message goes out: the provider call that carries it.
type Route string

// The routes. RouteNone is a message that reaches nobody (recorded as
// failed or skipped, so that nothing is dropped silently).
const (
	RouteNone            Route = ""
	RouteCustomerService Route = "wechat_customer_service" // free text in WeChat's 48-hour window
	RouteWeChatTemplate  Route = "wechat_template"         // a template message to a bound openid
	RouteSMS             Route = "sms"                     // an Aliyun SMS to a phone number
)

// Channel is the population.Channel r travels on; ChannelNone for
// RouteNone.
func (r Route) Channel() population.Channel {
	switch r {
	case RouteCustomerService, RouteWeChatTemplate:
		return population.ChannelWeChat
	case RouteSMS:
		return population.ChannelSMS
	}
	return population.ChannelNone
}

// Valid reports whether r is one of the routes, RouteNone included.
func (r Route) Valid() bool {
	switch r {
	case RouteNone, RouteCustomerService, RouteWeChatTemplate, RouteSMS:
		return true
	}
	return false
}

// RouteFor is how a campaign message or reminder on channel ch goes: a
// WeChat template message or an SMS; RouteNone for ChannelNone.
func RouteFor(ch population.Channel) Route {
	switch ch {
	case population.ChannelWeChat:
		return RouteWeChatTemplate
	case population.ChannelSMS:
		return RouteSMS
	}
	return RouteNone
}

// Status is where a message stands. Statuses only move forward (see
// Rank): a late or repeated receipt never moves a delivered message back
// to sent. The one way back is a reschedule, sending → pending.
type Status string

// The statuses, in the order a message moves through them.
const (
	// StatusPending: written, not yet handed to a provider.
	StatusPending Status = "pending"
	// StatusSending: a worker is calling the provider. A message found in
	// this state after a crash is ambiguous (the provider may have it) and
	// is reconciled with the provider before any resend.
	StatusSending Status = "sending"
	// StatusSent: the provider accepted it.
	StatusSent Status = "sent"
	// StatusDelivered: the provider's receipt says it reached the person.
	StatusDelivered Status = "delivered"
	// StatusFailed: the provider refused it or its receipt says
	// undelivered.
	StatusFailed Status = "failed"
	// StatusSkipped: never sent, for the recorded SkipReason.
	StatusSkipped Status = "skipped"
)

// Statuses lists every status in order.
var Statuses = []Status{StatusPending, StatusSending, StatusSent, StatusDelivered, StatusFailed, StatusSkipped}

// Rank orders statuses for the forward-only rule: pending 0, sending 1,
// sent 2, and the three final statuses 3. An unknown status ranks -1.
func (s Status) Rank() int {
	switch s {
	case StatusPending:
		return 0
	case StatusSending:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered, StatusFailed, StatusSkipped:
		return 3
	}
	return -1
}

// Final reports whether s ends the message's life.
func (s Status) Final() bool { return s.Rank() == 3 }

// CanMove reports whether a message in status s may move to next: only
// forward, and from sent to a final status by receipt. A failed WeChat
// message is not revived; what replaces it is a new message.
func (s Status) CanMove(next Status) bool {
	return next.Rank() > s.Rank() && s.Rank() >= 0
}

// Label is the status in Chinese, for screens.
func (s Status) Label() string {
	switch s {
	case StatusPending:
		return "待发送"
	case StatusSending:
		return "发送中"
	case StatusSent:
		return "已发送"
	case StatusDelivered:
		return "已送达"
	case StatusFailed:
		return "失败"
	case StatusSkipped:
		return "未发送"
	}
	return string(s)
}

// SkipReason says why a message is not sent (or, for SkipQuietHours, not
// yet). The ledger records it per message so that nobody is skipped
// silently. The zero value SkipNone means "send".
type SkipReason string

// The skip reasons.
const (
	SkipNone      SkipReason = ""
	SkipOptedOut  SkipReason = "opted_out"  // opted out of the campaign's topic, or of everything
	SkipNoChannel SkipReason = "no_channel" // no channel the policy allows reaches the resident
	SkipExpired   SkipReason = "expired"    // the campaign's deadline passed before the send
	SkipCapped    SkipReason = "capped"     // a frequency cap held the message until after the deadline
	// SkipQuietHours is recorded when a send is moved out of the quiet
	// hours. It is only ever a reschedule, never a skip.
	SkipQuietHours SkipReason = "quiet_hours"
	SkipDuplicate  SkipReason = "duplicate" // the ledger already holds this message for this resident
	SkipCancelled  SkipReason = "cancelled" // the campaign was cancelled before the send
	// SkipNoSlot: a visit_schedule resident whose grid worker has no free
	// slot in the horizon (or no readable visiting hours), or whose slot
	// was moved or cancelled before the message or its reminder went out.
	SkipNoSlot SkipReason = "no_slot"
	// SkipErased: the resident was erased on request (PIPL) before the
	// message went out; see package retention.
	SkipErased SkipReason = "erased"
	// SkipMovedOut and SkipDeceased: the resident's living record (活户籍)
	// was changed to moved out or deceased before the message went out;
	// see population.Status.
	SkipMovedOut SkipReason = "moved_out"
	SkipDeceased SkipReason = "deceased"
)

// SkipFor is the reason a campaign message or reminder to a resident of
// status s is skipped: SkipMovedOut, SkipDeceased, or SkipNone for an
// active resident.
func SkipFor(s population.Status) SkipReason {
	switch s {
	case population.StatusMovedOut:
		return SkipMovedOut
	case population.StatusDeceased:
		return SkipDeceased
	}
	return SkipNone
}

// Final reports whether r ends the message: every reason does except
// SkipNone and SkipQuietHours.
func (r SkipReason) Final() bool { return r != SkipNone && r != SkipQuietHours }

// Message is one row of the ledger: one text to one person over one route.
// Its ID is the identity of everything downstream — the queue's task id
// and the provider's OutId / client_msg_id.
type Message struct {
	ID      int64
	Purpose Purpose

	// What the message belongs to; zero when nothing. A campaign message
	// has CampaignID and Run (1 for a one-off campaign, the run number of
	// a recurring one); a reminder CampaignID and SlotID; a desk message
	// TicketID when it is about a ticket, and CampaignID when it answers a
	// reply to that campaign.
	CampaignID int64
	Run        int
	TicketID   int64
	SlotID     int64

	// Who it goes to: a resident (ResidentID), a worker (WorkerID), or for
	// a desk message to an unknown sender neither, only To.
	ResidentID int64
	WorkerID   int64
	// Channel is the route's channel; ChannelNone only for a message
	// skipped before a channel was chosen.
	Channel population.Channel
	// Route is how it goes; RouteReason why (the reply-route decision, the
	// channel an answered message came by, a fallback).
	Route       Route
	RouteReason string
	// To is the openid or phone number it goes to. A desk message has it
	// from the start; a campaign message or reminder reaches the resident's
	// number or openid as it is at send time, and To stays empty. Personal
	// data: log it masked (pii.OpenID, pii.Phone).
	To string

	// The content of a desk message: Text is what the recipient reads (the
	// customer-service text, or the main template parameter), TemplateCode
	// and Params the provider template and its values, URL where a WeChat
	// template message opens. A campaign message and a reminder are
	// rendered from their campaign when sent; TemplateCode then records the
	// template they went out with. Personal data: log Text and Params only
	// at debug level.
	Text         string
	TemplateCode string
	Params       map[string]string
	URL          string
	// Actor is who wrote it: a user, or "system".
	Actor string

	Status     Status
	SkipReason SkipReason
	// FallbackOf is the message this one replaces after the provider
	// refused it for good (an SMS after a WeChat message the resident
	// cannot receive); zero otherwise.
	FallbackOf int64

	Attempts int
	// ProviderID is how the provider knows the message once accepted:
	// "<BizId>/<phone>" for an SMS (a batch shares one BizId), the msgid
	// of a WeChat template message. ProviderCode and ProviderMessage are
	// the provider's last answer (DELIVERED, isv.MOBILE_NUMBER_ILLEGAL,
	// 43004 …).
	ProviderID      string
	ProviderCode    string
	ProviderMessage string

	NotBefore  time.Time // quiet hours, caps and deferrals move this forward; the send waits for it
	Deadline   time.Time // after this the message is skipped as expired; zero = none
	CreatedAt  time.Time
	SentAt     time.Time
	FinishedAt time.Time // delivered, failed or skipped
	UpdatedAt  time.Time // the last change, set by the store: how long a message has been sending

	// OutID is the OutId (SMS) or client_msg_id (WeChat template) of the
	// latest provider call that carried the message: its own id, or for
	// an SMS batch the id of the batch's first message.
	OutID string
	// AttemptedAt, when set, dates a provider call whose outcome is not
	// known (no answer, a timeout, a worker killed before it recorded the
	// answer). The next attempt asks the provider about it (OutID) before
	// it sends anything again. Any recorded outcome clears it.
	AttemptedAt time.Time
	// WaitReason says why a pending message waits until NotBefore
	// (WaitQuietHours, WaitCapDay, WaitThrottled, …); empty once claimed.
	WaitReason string
}

// SMSProviderID is the ProviderID of an SMS accepted under bizID for
// phone: Aliyun's reports carry both, and a batch shares one BizId.
func SMSProviderID(bizID, phone string) string { return bizID + "/" + phone }

// String names the message without personal data, for errors and logs.
func (m Message) String() string {
	return fmt.Sprintf("message %d (%s, %s)", m.ID, m.Purpose, m.Status)
}
