package outbound

import "github.com/gridcast/gridcast/population"

// Funnel counts one campaign's messages by channel and outcome, the
// figures an officer watches: targeted, skipped by reason, sent,
// delivered, failed by code — and what else the ledger sent because of
// the campaign.
type Funnel struct {
	// Targeted is one per resident and run: every campaign message that is
	// not a fallback.
	Targeted int
	// ByChannel counts the campaign's own messages that were not skipped,
	// fallbacks included.
	ByChannel map[population.Channel]ChannelFunnel
	// Skipped counts the campaign's own skipped messages by reason.
	Skipped map[SkipReason]int
	// FollowUps counts the other messages that belong to the campaign, by
	// purpose: visit reminders, and the desk's answers to residents'
	// replies to it (sign-up confirmations, opt-outs, visit confirmations).
	FollowUps map[Purpose]ChannelFunnel
}

// ChannelFunnel is one channel's (or one follow-up purpose's) part of a
// Funnel.
type ChannelFunnel struct {
	Pending, Sending, Sent, Delivered, Failed int
	// Skipped is used by follow-ups only (a campaign's own skips are
	// counted by reason in Funnel.Skipped).
	Skipped  int
	FailedBy map[string]int // provider code → count
}

// Open reports whether messages are still pending or sending.
func (c ChannelFunnel) Open() bool { return c.Pending > 0 || c.Sending > 0 }

// Add counts n messages in status st (failed ones under code too).
func (c *ChannelFunnel) Add(st Status, code string, n int) {
	switch st {
	case StatusPending:
		c.Pending += n
	case StatusSending:
		c.Sending += n
	case StatusSent:
		c.Sent += n
	case StatusDelivered:
		c.Delivered += n
	case StatusSkipped:
		c.Skipped += n
	case StatusFailed:
		c.Failed += n
		if c.FailedBy == nil {
			c.FailedBy = map[string]int{}
		}
		c.FailedBy[code] += n
	}
}
