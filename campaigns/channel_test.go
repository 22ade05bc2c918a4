package campaigns_test

import (
	"fmt"
	"testing"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// TestChooseChannel runs the full matrix: policy × bound WeChat × phone ×
// preference × permanent WeChat failure.
func TestChooseChannel(t *testing.T) {
	t.Parallel()
	const (
		wx   = population.ChannelWeChat
		sms  = population.ChannelSMS
		none = population.ChannelNone
	)
	type want struct {
		ch   population.Channel
		skip outbound.SkipReason
	}
	ok := func(c population.Channel) want { return want{c, outbound.SkipNone} }
	skip := want{none, outbound.SkipNoChannel}
	// expected(policy, hasWX, hasPhone, pref, failed)
	expected := func(pol campaigns.ChannelPolicy, hasWX, hasPhone bool, pref population.Channel, failed bool) want {
		wxOK := hasWX && !failed
		switch pol {
		case campaigns.SMSOnly:
			if hasPhone {
				return ok(sms)
			}
			return skip
		case campaigns.WeChatOnly:
			if wxOK {
				return ok(wx)
			}
			return skip
		}
		switch {
		case pref == sms && hasPhone:
			return ok(sms)
		case wxOK:
			return ok(wx)
		case hasPhone:
			return ok(sms)
		}
		return skip
	}
	n := 0
	for _, pol := range []campaigns.ChannelPolicy{"", campaigns.WeChatFirst, campaigns.SMSOnly, campaigns.WeChatOnly} {
		for _, hasWX := range []bool{false, true} {
			for _, hasPhone := range []bool{false, true} {
				for _, pref := range []population.Channel{none, wx, sms} {
					for _, failed := range []bool{false, true} {
						r := population.Resident{ID: 1, PreferredChannel: pref}
						if hasWX {
							r.OpenID = "oAbCdEfGhIjKlMnOp"
						}
						if hasPhone {
							r.Phone = "13812345678"
						}
						name := fmt.Sprintf("%s/wx=%v/phone=%v/pref=%s/failed=%v", pol, hasWX, hasPhone, pref, failed)
						w := expected(pol, hasWX, hasPhone, pref, failed)
						n++
						t.Run(name, func(t *testing.T) {
							t.Parallel()
							ch, sk := campaigns.ChooseChannel(pol, r, failed)
							if ch != w.ch || sk != w.skip {
								t.Errorf("ChooseChannel() = %q, %q; want %q, %q", ch, sk, w.ch, w.skip)
							}
						})
					}
				}
			}
		}
	}
	if n != 96 {
		t.Errorf("matrix has %d cases, want 96", n)
	}
}

// TestChooseChannelCases spells out the cases that matter most.
func TestChooseChannelCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pol    campaigns.ChannelPolicy
		openID pii.OpenID
		phone  pii.Phone
		pref   population.Channel
		failed bool
		want   population.Channel
		skip   outbound.SkipReason
	}{
		{"bound wechat first", campaigns.WeChatFirst, "oX", "13812345678", "", false, population.ChannelWeChat, ""},
		{"prefers sms", campaigns.WeChatFirst, "oX", "13812345678", population.ChannelSMS, false, population.ChannelSMS, ""},
		{"prefers sms without a phone", campaigns.WeChatFirst, "oX", "", population.ChannelSMS, false, population.ChannelWeChat, ""},
		{"prefers wechat, unbound", campaigns.WeChatFirst, "", "13812345678", population.ChannelWeChat, false, population.ChannelSMS, ""},
		{"fallback after a permanent wechat failure", campaigns.WeChatFirst, "oX", "13812345678", "", true, population.ChannelSMS, ""},
		{"malformed phone is no phone", campaigns.SMSOnly, "oX", "12345", "", false, "", outbound.SkipNoChannel},
		{"sms_only ignores a wechat preference", campaigns.SMSOnly, "oX", "13812345678", population.ChannelWeChat, false, population.ChannelSMS, ""},
		{"wechat_only never falls back", campaigns.WeChatOnly, "oX", "13812345678", "", true, "", outbound.SkipNoChannel},
		{"nothing", campaigns.WeChatFirst, "", "", "", false, "", outbound.SkipNoChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := population.Resident{OpenID: tt.openID, Phone: tt.phone, PreferredChannel: tt.pref}
			ch, sk := campaigns.ChooseChannel(tt.pol, r, tt.failed)
			if ch != tt.want || sk != tt.skip {
				t.Errorf("ChooseChannel() = %q, %q; want %q, %q", ch, sk, tt.want, tt.skip)
			}
		})
	}
}

func TestSkipReasonFinal(t *testing.T) {
	t.Parallel()
	for r, want := range map[outbound.SkipReason]bool{
		outbound.SkipNone: false, outbound.SkipQuietHours: false,
		outbound.SkipOptedOut: true, outbound.SkipNoChannel: true, outbound.SkipExpired: true,
		outbound.SkipCapped: true, outbound.SkipDuplicate: true, outbound.SkipCancelled: true,
	} {
		if got := r.Final(); got != want {
			t.Errorf("%q.Final() = %v, want %v", r, got, want)
		}
	}
}
