package outbound

import "time"

// Update is what a status move of a message records on the ledger: what
// the provider answered and when. Empty fields leave the stored value as it
// is, so a receipt that lacks the provider's id never erases it.
type Update struct {
	ProviderID      string     // once the provider accepted the message (see Message.ProviderID)
	ProviderCode    string     // the provider's error or receipt code, e.g. DELIVERED, 43004
	ProviderMessage string     // the provider's words for ProviderCode
	SkipReason      SkipReason // required when the move is to StatusSkipped
	TemplateCode    string     // the Aliyun TemplateCode or WeChat template_id the message went out with
	At              time.Time  // when it happened; zero means the store's clock
}

// Event is one entry of a message's history on the ledger: a status move
// (pending → sending → sent → delivered, a reschedule back to pending, a
// skip) with what came back.
type Event struct {
	MessageID int64
	At        time.Time
	From, To  Status
	Code      string // provider code, skip reason or reschedule reason
	Note      string // provider message, attempt number, or a human note
}

// Accepted is one message a provider took, with the id it gave it (an
// SMS's "BizId/phone", a WeChat template message's msgid).
type Accepted struct {
	ID         int64
	ProviderID string
}

// Counts are how many campaign messages a resident was sent today and
// this week, and today with one template: what frequency caps weigh.
type Counts struct {
	Today, Week, SameTemplate int
}

// Advance is one forward move of a message: to To, recording Update.
type Advance struct {
	ID     int64
	To     Status
	Update Update
}
