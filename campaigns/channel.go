package campaigns

import "github.com/gridcast/gridcast/population"

// SkipReason says why a resident in a campaign's audience gets no message
// (or, for SkipQuietHours, not yet). The ledger records it per resident so
// that nobody is skipped silently. The zero value SkipNone means "send".
type SkipReason string

// The skip reasons.
const (
	SkipNone      SkipReason = ""
	SkipOptedOut  SkipReason = "opted_out"  // opted out of the campaign's topic, or of everything
	SkipNoChannel SkipReason = "no_channel" // no channel the policy allows reaches the resident
	SkipExpired   SkipReason = "expired"    // the campaign's deadline passed before the send
	SkipCapped    SkipReason = "capped"     // a frequency cap held the message until after the deadline
	// SkipQuietHours is recorded when a send is moved out of the quiet
	// hours. It is only ever a reschedule, never a skip: see
	// QuietHours.NextAllowed.
	SkipQuietHours SkipReason = "quiet_hours"
	SkipDuplicate  SkipReason = "duplicate" // the ledger already holds this message for this resident
	SkipCancelled  SkipReason = "cancelled" // the campaign was cancelled before the send
)

// Final reports whether r ends the resident's part in the run: every
// reason does except SkipNone and SkipQuietHours.
func (r SkipReason) Final() bool { return r != SkipNone && r != SkipQuietHours }

// ChooseChannel picks the channel for one resident under a channel policy.
// WeChat needs a bound OpenID and no permanent WeChat failure for this
// message (wechatFailedPermanently: 43004 not following, 43101 refused,
// 40003 bad openid…); SMS needs a well-formed mobile number.
//
//   - SMSOnly: SMS, else SkipNoChannel.
//   - WeChatOnly: WeChat, else SkipNoChannel.
//   - WeChatFirst ("" too): SMS when the resident prefers SMS and has a
//     number; otherwise WeChat when possible, SMS when not (the fallback
//     after a permanent WeChat failure), else SkipNoChannel.
//
// A preference the policy cannot honour is ignored rather than skipping
// the resident. Opt-outs are checked by Campaign.CheckRecipient.
func ChooseChannel(pol ChannelPolicy, r population.Resident, wechatFailedPermanently bool) (population.Channel, SkipReason) {
	wx := r.OpenID != "" && !wechatFailedPermanently
	sms := r.Phone != "" && r.Phone.Validate() == nil
	switch pol.orDefault() {
	case SMSOnly:
		if sms {
			return population.ChannelSMS, SkipNone
		}
	case WeChatOnly:
		if wx {
			return population.ChannelWeChat, SkipNone
		}
	default:
		switch {
		case sms && r.PreferredChannel == population.ChannelSMS:
			return population.ChannelSMS, SkipNone
		case wx:
			return population.ChannelWeChat, SkipNone
		case sms:
			return population.ChannelSMS, SkipNone
		}
	}
	return population.ChannelNone, SkipNoChannel
}
