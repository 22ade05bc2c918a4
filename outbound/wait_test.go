package outbound_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

func TestDescribeWait(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 5, 22, 10, 0, 0, loc)
	tonight, tomorrow := now.Add(30*time.Minute), time.Date(2026, 12, 6, 8, 0, 0, 0, loc)
	for _, tc := range []struct {
		reason string
		until  time.Time
		en, zh string
	}{
		{outbound.WaitQuietHours, tomorrow, "quiet hours until 12-06 08:00", "免打扰时段，至 12-06 08:00"},
		{outbound.WaitCapDaily, tonight, "daily cap per resident until 22:40", "已达每人每日条数上限，至 22:40"},
		{outbound.WaitRetry + ":isp.SYSTEM_ERROR", tonight, "retry after isp.SYSTEM_ERROR until 22:40", "发送失败（isp.SYSTEM_ERROR），等待重试，至 22:40"},
		{outbound.WaitChannelPaused, now.Add(-time.Minute), "channel paused", "渠道暂停"}, // past: due now
		{outbound.WaitCampaignPaused, tomorrow, "the campaign is paused", "活动已暂停"},
		{outbound.WaitCampaign + "scheduled", tomorrow, "the campaign is scheduled", "活动当前状态为 scheduled，暂不发送"},
		{"", time.Time{}, "due", "排队待发"},
		{"something_new", tonight, "something_new until 22:40", "something_new，至 22:40"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			if got := outbound.DescribeWait(tc.reason, tc.until, now, loc); got != tc.en {
				t.Errorf("DescribeWait = %q, want %q", got, tc.en)
			}
			if got := outbound.DescribeWaitZh(tc.reason, tc.until, now, loc); got != tc.zh {
				t.Errorf("DescribeWaitZh = %q, want %q", got, tc.zh)
			}
		})
	}
}

func TestChannelPauseDescribe(t *testing.T) {
	for _, tc := range []struct {
		p      outbound.ChannelPause
		en, zh string
	}{
		{outbound.ChannelPause{Channel: population.ChannelSMS, Remaining: 8*time.Minute + 10*time.Second, Code: "isv.AMOUNT_NOT_ENOUGH"},
			"channel sms paused for 9m (isv.AMOUNT_NOT_ENOUGH)", "短信渠道暂停 9 分钟（isv.AMOUNT_NOT_ENOUGH）"},
		{outbound.ChannelPause{Channel: population.ChannelWeChat, Remaining: 125 * time.Minute, Code: "45009"},
			"channel wechat paused for 2h05m (45009)", "微信渠道暂停 2 小时 5 分钟（45009）"},
		{outbound.ChannelPause{Channel: population.ChannelSMS, Remaining: 40 * time.Second},
			"channel sms paused for 40s (no code)", "短信渠道暂停 40 秒（原因未记录）"},
	} {
		if got := tc.p.Describe(); got != tc.en {
			t.Errorf("Describe = %q, want %q", got, tc.en)
		}
		if got := tc.p.DescribeZh(); got != tc.zh {
			t.Errorf("DescribeZh = %q, want %q", got, tc.zh)
		}
	}
}

func ExampleDescribeWait() {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 5, 22, 10, 0, 0, loc)
	fmt.Println(outbound.DescribeWait(outbound.WaitQuietHours, time.Date(2026, 12, 6, 8, 0, 0, 0, loc), now, loc))
	// Output: quiet hours until 12-06 08:00
}
