package outbound

import (
	"strings"
	"time"
)

// Why a pending message waits: the reasons the queue records when it hands
// a claimed message back (Message.WaitReason), and what an officer reads
// for them. A retry's reason is WaitRetry + ":" + the provider's code.
const (
	WaitCampaignPaused = "campaign_paused" // the campaign is paused
	WaitQuietHours     = "quiet_hours"     // the quiet hours hold sends until they end
	WaitCapDaily       = "capped_daily"    // the resident had today's messages
	WaitCapWeekly      = "capped_weekly"   // the resident had this week's messages
	WaitCapProvider    = "capped_provider" // the provider's own limit for this number and template
	WaitChannelPaused  = "channel_paused"  // the channel is paused (quota, bad credentials)
	WaitRateLimited    = "rate_limited"    // the shared rate limit of the channel
	WaitThrottled      = "throttled"       // the provider asked to slow down
	WaitRetry          = "retry"           // a failed call waits for its next try
	WaitOutcomeUnknown = "outcome_unknown" // a call got no answer: the provider is asked before any resend
	WaitRecovered      = "recovered"       // a worker died while sending it
	WaitSenderBusy     = "sender_busy"     // another worker is sending to the same resident
)

// Waiting counts one campaign's pending messages that wait for one reason,
// and until when the first of them waits.
type Waiting struct {
	Reason string
	Count  int
	Until  time.Time // the earliest NotBefore among them; zero when due
}

// DescribeWait says in English why messages wait for reason until until
// (zero or past now: due), e.g. "quiet hours until 08:00"; a time on
// another day than now carries its date. Times read in loc.
func DescribeWait(reason string, until, now time.Time, loc *time.Location) string {
	at := ""
	if until.After(now) {
		t, n := until.In(loc), now.In(loc)
		at = " until " + t.Format("15:04")
		if t.YearDay() != n.YearDay() || t.Year() != n.Year() {
			at = " until " + t.Format("01-02 15:04")
		}
	}
	code := ""
	if c, ok := strings.CutPrefix(reason, WaitRetry+":"); ok {
		reason, code = WaitRetry, c
	}
	switch reason {
	case WaitCampaignPaused:
		return "the campaign is paused"
	case WaitQuietHours:
		return "quiet hours" + at
	case WaitCapDaily:
		return "daily cap per resident" + at
	case WaitCapWeekly:
		return "weekly cap per resident" + at
	case WaitCapProvider:
		return "the provider's limit per number" + at
	case WaitChannelPaused:
		return "channel paused" + at
	case WaitRateLimited:
		return "rate limit" + at
	case WaitThrottled:
		return "provider throttling" + at
	case WaitRetry:
		if code != "" {
			return "retry after " + code + at
		}
		return "retry" + at
	case WaitOutcomeUnknown:
		return "no answer from the provider: asking it before any resend" + at
	case WaitRecovered:
		return "recovered after a worker stopped" + at
	case WaitSenderBusy:
		return "another message to the same person is going out"
	case "":
		return "due" + at
	}
	return reason + at
}
