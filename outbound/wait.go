package outbound

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/population"
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
	// WaitCampaign + the campaign's state: the campaign is not running
	// (WaitCampaignPaused is the common case).
	WaitCampaign = "campaign_"
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
	return describeWait(english, reason, until, now, loc)
}

// DescribeWaitZh is DescribeWait in Chinese, e.g. "免打扰时段，至 08:00".
func DescribeWaitZh(reason string, until, now time.Time, loc *time.Location) string {
	return describeWait(chinese, reason, until, now, loc)
}

// waitWords are one language's sentences for the wait reasons; until is
// the language's " until 08:00" form and %s in retry the provider's code.
type waitWords struct {
	until       string // format of the time clause, %s the time
	reasons     map[string]string
	campaign    string // %s the campaign's state
	retryCode   string // %s the code
	due         string
	durationFmt func(time.Duration) string
	paused      string // %s channel, %s duration, %s code
}

var english = waitWords{
	until: " until %s",
	reasons: map[string]string{
		WaitCampaignPaused: "the campaign is paused",
		WaitQuietHours:     "quiet hours",
		WaitCapDaily:       "daily cap per resident",
		WaitCapWeekly:      "weekly cap per resident",
		WaitCapProvider:    "the provider's limit per number",
		WaitChannelPaused:  "channel paused",
		WaitRateLimited:    "rate limit",
		WaitThrottled:      "provider throttling",
		WaitRetry:          "retry",
		WaitOutcomeUnknown: "no answer from the provider: asking it before any resend",
		WaitRecovered:      "recovered after a worker stopped",
		WaitSenderBusy:     "another message to the same person is going out",
	},
	campaign:    "the campaign is %s",
	retryCode:   "retry after %s",
	due:         "due",
	durationFmt: durationEn,
	paused:      "channel %s paused for %s (%s)",
}

var chinese = waitWords{
	until: "，至 %s",
	reasons: map[string]string{
		WaitCampaignPaused: "活动已暂停",
		WaitQuietHours:     "免打扰时段",
		WaitCapDaily:       "已达每人每日条数上限",
		WaitCapWeekly:      "已达每人每周条数上限",
		WaitCapProvider:    "已达服务商对该号码的发送限额",
		WaitChannelPaused:  "渠道暂停",
		WaitRateLimited:    "发送速率限制",
		WaitThrottled:      "服务商要求降速",
		WaitRetry:          "发送失败，等待重试",
		WaitOutcomeUnknown: "服务商未应答，先查询结果再决定是否重发",
		WaitRecovered:      "发送进程中断后恢复",
		WaitSenderBusy:     "同一人的另一条消息正在发送",
	},
	campaign:    "活动当前状态为 %s，暂不发送",
	retryCode:   "发送失败（%s），等待重试",
	due:         "排队待发",
	durationFmt: durationZh,
	paused:      "%s渠道暂停 %s（%s）",
}

// untimed are the reasons whose time says nothing an officer can use.
var untimed = map[string]bool{WaitCampaignPaused: true, WaitSenderBusy: true}

func describeWait(w waitWords, reason string, until, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	at := ""
	if until.After(now) {
		t, n := until.In(loc), now.In(loc)
		layout := "15:04"
		if t.YearDay() != n.YearDay() || t.Year() != n.Year() {
			layout = "01-02 15:04"
		}
		at = fmt.Sprintf(w.until, t.Format(layout))
	}
	if untimed[reason] {
		return w.reasons[reason]
	}
	if code, ok := strings.CutPrefix(reason, WaitRetry+":"); ok && code != "" {
		return fmt.Sprintf(w.retryCode, code) + at
	}
	if s, ok := w.reasons[reason]; ok {
		return s + at
	}
	if state, ok := strings.CutPrefix(reason, WaitCampaign); ok && state != "" {
		return fmt.Sprintf(w.campaign, state)
	}
	if reason == "" {
		return w.due + at
	}
	return reason + at
}

// ChannelPause is a channel the queue holds right now: no message goes out
// on it until Remaining has passed. The zero value is no pause.
type ChannelPause struct {
	Channel   population.Channel
	Remaining time.Duration
	// Code is the provider's code that paused it (isv.AMOUNT_NOT_ENOUGH,
	// 45009 …).
	Code string
}

// Describe says the pause in English: "channel sms paused for 9m
// (isv.AMOUNT_NOT_ENOUGH)".
func (p ChannelPause) Describe() string {
	return fmt.Sprintf(english.paused, p.Channel, english.durationFmt(p.Remaining), orUnknown(p.Code, "no code"))
}

// DescribeZh says the pause in Chinese: "短信渠道暂停 9 分钟（isv.AMOUNT_NOT_ENOUGH）".
func (p ChannelPause) DescribeZh() string {
	name := string(p.Channel)
	switch p.Channel {
	case population.ChannelSMS:
		name = "短信"
	case population.ChannelWeChat:
		name = "微信"
	}
	return fmt.Sprintf(chinese.paused, name, chinese.durationFmt(p.Remaining), orUnknown(p.Code, "原因未记录"))
}

func orUnknown(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// durationEn is a remaining time as an officer reads it: 45s, 9m, 2h05m
// (minutes rounded up: a pause of 8m10s is "9m", never shorter than it is).
func durationEn(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

// durationZh is durationEn in Chinese: 45 秒, 9 分钟, 2 小时 5 分钟.
func durationZh(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d 秒", int((d+time.Second-1)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d 分钟", m)
	case m%60 == 0:
		return fmt.Sprintf("%d 小时", m/60)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", m/60, m%60)
}
