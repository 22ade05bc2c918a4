package campaigns

import (
	"time"

	"github.com/gridcast/gridcast/population"
)

// Status is where one message stands on the ledger. Statuses only move
// forward (see Rank): a late or repeated receipt never moves a delivered
// message back to sent.
type Status string

// The message statuses, in the order a message moves through them.
const (
	// StatusPending: written by the fan-out, not yet handed to a provider.
	StatusPending Status = "pending"
	// StatusSending: a worker is calling the provider. A message found in
	// this state after a crash is ambiguous (the provider may have it) and
	// is reconciled with the provider before any resend.
	StatusSending Status = "sending"
	// StatusSent: the provider accepted it (we hold its id).
	StatusSent Status = "sent"
	// StatusDelivered: the provider's receipt says it reached the resident.
	StatusDelivered Status = "delivered"
	// StatusFailed: the provider refused it or its receipt says undelivered.
	StatusFailed Status = "failed"
	// StatusSkipped: never sent, for the recorded SkipReason.
	StatusSkipped Status = "skipped"
)

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
// message is not revived; its SMS fallback is a new message.
func (s Status) CanMove(next Status) bool {
	return next.Rank() > s.Rank() && s.Rank() >= 0
}

// Message is one row of the ledger: one resident, one campaign run, one
// channel. Its ID is the identity of everything downstream — the queue's
// task id and the provider's OutId / client_msg_id — so a message is sent
// at most once however often its task runs.
type Message struct {
	ID         int64
	CampaignID int64
	Run        int // 1 for a one-off campaign; the run number of a recurring one
	ResidentID int64
	Channel    population.Channel
	Status     Status
	SkipReason SkipReason
	// FallbackOf is the WeChat message this SMS replaces after a permanent
	// WeChat failure; zero otherwise.
	FallbackOf int64

	Attempts        int
	ProviderID      string // Aliyun BizId or WeChat msgid
	ProviderCode    string // the provider's error or receipt code, e.g. DELIVERED, isv.MOBILE_NUMBER_ILLEGAL, 43004
	ProviderMessage string

	NotBefore  time.Time // quiet hours and caps move this forward; the send waits for it
	Deadline   time.Time // after this the message is skipped as expired
	CreatedAt  time.Time
	SentAt     time.Time
	FinishedAt time.Time // delivered, failed or skipped
	UpdatedAt  time.Time
}

// Funnel counts one campaign's messages by channel and outcome, the
// figures an officer watches: targeted, skipped by reason, sent,
// delivered, failed by code.
type Funnel struct {
	Targeted  int
	ByChannel map[population.Channel]ChannelFunnel
	Skipped   map[SkipReason]int
}

// ChannelFunnel is one channel's part of a Funnel.
type ChannelFunnel struct {
	Pending, Sending, Sent, Delivered, Failed int
	FailedBy                                  map[string]int // provider code → count
}
