package campaigns

import (
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// ChooseChannel picks the channel for one resident under a channel policy.
// WeChat needs a bound OpenID and no permanent WeChat failure for this
// message (wechatFailedPermanently: 43004 not following, 43101 refused,
// 40003 bad openid…); SMS needs a well-formed mobile number.
//
//   - SMSOnly: SMS, else outbound.SkipNoChannel.
//   - WeChatOnly: WeChat, else outbound.SkipNoChannel.
//   - WeChatFirst ("" too): SMS when the resident prefers SMS and has a
//     number; otherwise WeChat when possible, SMS when not (the fallback
//     after a permanent WeChat failure), else outbound.SkipNoChannel.
//
// A preference the policy cannot honour is ignored rather than skipping
// the resident. Opt-outs are checked by Campaign.CheckRecipient.
func ChooseChannel(pol ChannelPolicy, r population.Resident, wechatFailedPermanently bool) (population.Channel, outbound.SkipReason) {
	wx := r.OpenID != "" && !wechatFailedPermanently
	sms := r.Phone != "" && r.Phone.Validate() == nil
	switch pol.orDefault() {
	case SMSOnly:
		if sms {
			return population.ChannelSMS, outbound.SkipNone
		}
	case WeChatOnly:
		if wx {
			return population.ChannelWeChat, outbound.SkipNone
		}
	default:
		switch {
		case sms && r.PreferredChannel == population.ChannelSMS:
			return population.ChannelSMS, outbound.SkipNone
		case wx:
			return population.ChannelWeChat, outbound.SkipNone
		case sms:
			return population.ChannelSMS, outbound.SkipNone
		}
	}
	return population.ChannelNone, outbound.SkipNoChannel
}
