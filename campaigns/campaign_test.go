package campaigns_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// t0 is Monday 16 March 2026, 10:00 Beijing time.
var t0 = time.Date(2026, 3, 16, 10, 0, 0, 0, campaigns.Shanghai())

func validCampaign() campaigns.Campaign {
	return campaigns.Campaign{
		ID:            7,
		Name:          "春风行动招聘会",
		Kind:          campaigns.KindJobPosting,
		Segment:       "category:unemployed AND age:18..45",
		ChannelPolicy: campaigns.WeChatFirst,
		SMS: campaigns.SMSContent{
			SignName:     "网格通",
			TemplateCode: "SMS_100",
			Params: map[string]string{
				"name":   "{{resident.surname_title}}",
				"job":    "春风行动招聘会",
				"worker": "{{worker.name}}",
				"reply":  "{{reply_hint}}",
			},
		},
		WeChat: campaigns.WeChatContent{
			TemplateID: "TPL_JOB",
			URL:        "https://jobs.example.gov.cn/7",
			Fields: map[string]string{
				"keyword1": "{{campaign.name}}",
				"keyword2": "{{worker.name}} {{worker.phone}}",
				"keyword3": "{{reply_hint}}，回T退订",
			},
		},
		Text:         "{{resident.surname_title}}您好，{{campaign.name}}本周六举行。{{reply_hint}}",
		ScheduleAt:   t0.Add(24 * time.Hour),
		ExpiresAt:    t0.Add(72 * time.Hour),
		Owner:        "officer.li",
		ReplyOptions: map[string]string{"1": "报名", "2": "咨询"},
		ExtendCode:   "07",
	}
}

func smsTemplate() campaigns.Template {
	return campaigns.Template{
		Code:     "SMS_100",
		Content:  "${name}您好，${job}本周六举行，详询网格员${worker}。${reply}，回T退订",
		Approved: true,
		Channel:  population.ChannelSMS,
	}
}

// oldWeChatTemplate is a template of the kind made before 2023-05-04,
// with first and remark, which WeChat no longer shows.
func oldWeChatTemplate() campaigns.Template {
	return campaigns.Template{
		Code:     "TPL_OLD",
		Content:  "{{first.DATA}}\n事项：{{keyword1.DATA}}\n{{remark.DATA}}",
		Approved: true,
		Channel:  population.ChannelWeChat,
	}
}

func wechatTemplate() campaigns.Template {
	return campaigns.Template{
		Code:     "TPL_JOB",
		Content:  "招聘会：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n回复方式：{{keyword3.DATA}}",
		Approved: true,
		Channel:  population.ChannelWeChat,
	}
}

// errLines splits a (joined) error into its lines; nil gives nil.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	words := campaigns.NewWordFilter([]string{"加微信", "VX", "赌博"})
	pol := campaigns.Policy{Words: words}
	tests := []struct {
		name   string
		edit   func(c *campaigns.Campaign)
		policy *campaigns.Policy
		want   []string
	}{
		{name: "valid", edit: func(*campaigns.Campaign) {}},
		{name: "valid sms_only without wechat", edit: func(c *campaigns.Campaign) {
			c.ChannelPolicy = campaigns.SMSOnly
			c.WeChat = campaigns.WeChatContent{}
		}},
		{name: "valid wechat_only without sms", edit: func(c *campaigns.Campaign) {
			c.ChannelPolicy = campaigns.WeChatOnly
			c.SMS = campaigns.SMSContent{}
		}},
		{name: "zero channel policy is wechat_first", edit: func(c *campaigns.Campaign) {
			c.ChannelPolicy = ""
			c.WeChat.TemplateID = ""
		}, want: []string{"wechat.template_id: required for channel policy wechat_first"}},
		{name: "sign name in brackets is the same signature", edit: func(c *campaigns.Campaign) { c.SMS.SignName = "【网格通】" }},
		{name: "empty campaign", edit: func(c *campaigns.Campaign) { *c = campaigns.Campaign{} }, want: []string{
			"name: required",
			"owner: required",
			`kind: "": want policy_notice, job_posting, training_notice or visit_schedule`,
			"segment: required",
			"sms.sign_name: required for channel policy wechat_first",
			"sms.template_code: required for channel policy wechat_first",
			"sms.params: required for channel policy wechat_first (at least the grid worker's name)",
			"wechat.template_id: required for channel policy wechat_first",
			"wechat.fields: no keyword field (keyword1…, thing1…): WeChat shows only those, never first or remark",
			"schedule_at: required",
			"expires_at: required, so that nothing is ever sent late",
		}},
		{name: "unknown kind and channel policy", edit: func(c *campaigns.Campaign) {
			c.Kind = "lottery"
			c.ChannelPolicy = "fax"
		}, want: []string{
			`kind: "lottery": want policy_notice, job_posting, training_notice or visit_schedule`,
			`channel_policy: "fax": want wechat_first, sms_only or wechat_only`,
		}},
		{name: "bad segment", edit: func(c *campaigns.Campaign) { c.Segment = "category:unemployed AND" }, want: []string{
			`segment: column 24: expected a term after "AND", found the end of the expression`,
		}},
		{name: "saved segment reference", edit: func(c *campaigns.Campaign) { c.Segment = "segment:job_seekers" }},
		{name: "wrong signature", edit: func(c *campaigns.Campaign) { c.SMS.SignName = "某某贷款" }, want: []string{
			`sms.sign_name: "某某贷款": every SMS must carry the registered signature 【网格通】`,
		}},
		{name: "configured signature", policy: &campaigns.Policy{SignName: "【桃源社区】"}, edit: func(c *campaigns.Campaign) { c.SMS.SignName = "桃源社区" }},
		{name: "bad url", edit: func(c *campaigns.Campaign) { c.WeChat.URL = "javascript:alert(1)" }, want: []string{
			`wechat.url: "javascript:alert(1)": want an absolute http(s) URL`,
		}},
		{name: "unknown variable and unclosed braces", edit: func(c *campaigns.Campaign) {
			c.SMS.Params["name"] = "{{resident.idcard}}"
			c.WeChat.Fields["first"] = "{{resident.name"
			c.Text = "{{ workr.name }}"
		}, want: []string{
			"sms.params[name]: {{resident.idcard}}: campaigns: unknown variable (known: resident.name, resident.surname_title, worker.name, worker.phone, grid.name, slot, campaign.name, reply_hint)",
			`wechat.fields[first]: unclosed {{ in "{{resident.name"`,
			"text: {{workr.name}}: campaigns: unknown variable (known: resident.name, resident.surname_title, worker.name, worker.phone, grid.name, slot, campaign.name, reply_hint)",
		}},
		{name: "empty parameter value", edit: func(c *campaigns.Campaign) { c.SMS.Params["job"] = " " }, want: []string{
			"sms.params[job]: value required",
		}},
		{name: "literal over 35 characters", edit: func(c *campaigns.Campaign) {
			c.SMS.Params["job"] = strings.Repeat("招", 36)
			c.WeChat.Fields["keyword1"] = strings.Repeat("招", 200) // WeChat cuts it: a warning, not an error
		}, want: []string{
			"sms.params[job]: campaigns: value too long: at least 36 characters before variables are filled in; the limit is 35",
		}},
		{name: "literal of 35 characters", edit: func(c *campaigns.Campaign) { c.SMS.Params["job"] = strings.Repeat("招", 35) }},
		{name: "campaign name counts toward the limit", edit: func(c *campaigns.Campaign) {
			c.Name = strings.Repeat("名", 31)
			c.SMS.Params["job"] = "{{campaign.name}}：报名中！"
		}, want: []string{
			"sms.params[job]: campaigns: value too long: at least 36 characters before variables are filled in; the limit is 35",
		}},
		{name: "reply hint without options", edit: func(c *campaigns.Campaign) { c.ReplyOptions = nil }, want: []string{
			"sms.params[reply]: {{reply_hint}} needs reply_options",
			"wechat.fields[keyword3]: {{reply_hint}} needs reply_options",
			"text: {{reply_hint}} needs reply_options",
		}},
		{name: "slot outside a visit campaign", edit: func(c *campaigns.Campaign) { c.SMS.Params["job"] = "{{slot}}" }, want: []string{
			"sms.params[job]: {{slot}} is only for visit_schedule campaigns",
		}},
		{name: "visit campaign without slot", edit: func(c *campaigns.Campaign) { c.Kind = campaigns.KindVisitSchedule }, want: []string{
			"sms.params: a visit_schedule campaign must tell the resident the slot ({{slot}})",
			"wechat.fields: a visit_schedule campaign must tell the resident the slot ({{slot}}) in a keyword field",
		}},
		{name: "visit campaign with slot", edit: func(c *campaigns.Campaign) {
			c.Kind = campaigns.KindVisitSchedule
			c.SMS.Params["job"] = "{{slot}}"
			c.WeChat.Fields["keyword1"] = "{{slot}}"
		}},
		{name: "visit slot only in the customer-service text", edit: func(c *campaigns.Campaign) {
			c.Kind = campaigns.KindVisitSchedule
			c.SMS.Params["job"] = "{{slot}}"
			c.Text = "{{slot}}"
		}, want: []string{
			"wechat.fields: a visit_schedule campaign must tell the resident the slot ({{slot}}) in a keyword field",
		}},
		{name: "sensitive words everywhere, with columns", policy: &pol, edit: func(c *campaigns.Campaign) {
			c.SMS.Params["job"] = "详情加微信abc"
			c.WeChat.Fields["remark"] = "加vx：123，加微信"
			c.Text = "赌博"
			c.ReplyOptions["2"] = "Vx咨询"
		}, want: []string{
			`sms.params[job]: sensitive word "加微信" at column 3`,
			`wechat.fields[remark]: sensitive word "VX" at column 2`,
			`wechat.fields[remark]: sensitive word "加微信" at column 9`,
			`text: sensitive word "赌博" at column 1`,
			`reply_options[2]: sensitive word "VX" at column 1`,
		}},
		{name: "expiry not after schedule", edit: func(c *campaigns.Campaign) { c.ExpiresAt = c.ScheduleAt }, want: []string{
			"expires_at: 2026-03-17 10:00:00 must be after schedule_at 2026-03-17 10:00:00",
		}},
		{name: "weekly recurrence", edit: func(c *campaigns.Campaign) { c.Recurrence = "0 9 * * MON" }},
		{name: "descriptor recurrence", edit: func(c *campaigns.Campaign) { c.Recurrence = "@weekly" }},
		{name: "daily recurrence is the minimum", edit: func(c *campaigns.Campaign) { c.Recurrence = "30 18 * * *" }},
		{name: "bad cron", edit: func(c *campaigns.Campaign) { c.Recurrence = "0 25 * * *" }, want: []string{
			`recurrence: "0 25 * * *": end of range (25) above maximum (23): 25`,
		}},
		{name: "six fields rejected", edit: func(c *campaigns.Campaign) { c.Recurrence = "0 0 9 * * MON" }, want: []string{
			`recurrence: "0 0 9 * * MON": expected exactly 5 fields, found 6: [0 0 9 * * MON]`,
		}},
		{name: "recurrence too frequent", edit: func(c *campaigns.Campaign) { c.Recurrence = "0 9,17 * * *" }, want: []string{
			`recurrence: "0 9,17 * * *" fires 16h0m0s apart (2026-03-17 17:00:00 then 2026-03-18 09:00:00); the minimum is 24h0m0s`,
		}},
		{name: "every hour", edit: func(c *campaigns.Campaign) { c.Recurrence = "@every 1h" }, want: []string{
			`recurrence: "@every 1h" fires 1h0m0s apart (2026-03-17 11:00:00 then 2026-03-17 12:00:00); the minimum is 24h0m0s`,
		}},
		{name: "configured minimum recurrence", policy: &campaigns.Policy{MinRecurrence: time.Hour}, edit: func(c *campaigns.Campaign) { c.Recurrence = "@hourly" }},
		{name: "reply options", edit: func(c *campaigns.Campaign) {
			c.ReplyOptions = map[string]string{"td": "退订?", "12345": "太长", "报名": "中文键", "3": " ", "Y": "确认"}
		}, want: []string{
			"sms.params[reply]: campaigns: value too long: at least 36 characters before variables are filled in; the limit is 35",
			"wechat.fields[keyword3]: the reply hint would be cut off: WeChat shows the first 20 characters of a field (a run of Latin letters or digits counts as one); put it first or in a field of its own",
			"reply_options[12345]: key must be 1–4 letters or digits",
			"reply_options[3]: meaning required",
			"reply_options[td]: TD is an opt-out keyword",
			"reply_options[报名]: key must be 1–4 letters or digits",
		}},
		{name: "extend code letters", edit: func(c *campaigns.Campaign) { c.ExtendCode = "12a" }, want: []string{
			`extend_code: "12a": want 1–4 digits`,
		}},
		{name: "extend code too long", edit: func(c *campaigns.Campaign) { c.ExtendCode = "12345" }, want: []string{
			`extend_code: "12345": want 1–4 digits`,
		}},
		{name: "extend code optional", edit: func(c *campaigns.Campaign) { c.ExtendCode = "" }},
		{name: "extend code of four digits", edit: func(c *campaigns.Campaign) { c.ExtendCode = "0042" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			tt.edit(&c)
			p := campaigns.Policy{}
			if tt.policy != nil {
				p = *tt.policy
			}
			if diff := cmp.Diff(tt.want, errLines(c.Validate(p))); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		kind  campaigns.Kind
		topic population.Topic
		label string
	}{
		{"policy_notice", campaigns.KindPolicyNotice, population.TopicPolicy, "政策宣传"},
		{"招聘信息", campaigns.KindJobPosting, population.TopicJob, "招聘信息"},
		{"training_notice", campaigns.KindTrainingNotice, population.TopicTraining, "培训通知"},
		{"走访预约", campaigns.KindVisitSchedule, population.TopicVisit, "走访预约"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			k, err := campaigns.ParseKind(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{string(k), string(k.Topic()), k.Label()}
			if diff := cmp.Diff([]string{string(tt.kind), string(tt.topic), tt.label}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := campaigns.ParseKind("lottery"); err == nil {
		t.Error("ParseKind(lottery) succeeded")
	}
	if got := campaigns.Kind("x").Topic(); got != "" {
		t.Errorf("unknown kind's topic = %q, want empty", got)
	}
}

func TestNextRunAndDeadline(t *testing.T) {
	t.Parallel()
	weekly := validCampaign()
	weekly.Recurrence = "0 9 * * MON" // Mondays 09:00 Beijing
	weekly.ScheduleAt = t0            // Monday 10:00: the first run is next Monday
	weekly.ExpiresAt = t0.AddDate(0, 0, 21)
	oneOff := validCampaign()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, campaigns.Shanghai()) }
	tests := []struct {
		name         string
		c            campaigns.Campaign
		after        time.Time
		wantNext     time.Time
		wantDeadline time.Time
	}{
		{"one-off", oneOff, t0, time.Time{}, oneOff.ExpiresAt},
		{"before the first run", weekly, t0.Add(-48 * time.Hour), at(23, 9), at(23, 9)},
		{"first run", weekly, at(23, 9), at(30, 9), at(30, 9)},
		{"second run", weekly, at(30, 9), time.Date(2026, 4, 6, 9, 0, 0, 0, campaigns.Shanghai()), time.Date(2026, 4, 6, 9, 0, 0, 0, campaigns.Shanghai())},
		{"last run: the series expiry is the deadline", weekly, time.Date(2026, 4, 6, 9, 0, 0, 0, campaigns.Shanghai()), time.Time{}, weekly.ExpiresAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.c.NextRun(tt.after); !got.Equal(tt.wantNext) {
				t.Errorf("NextRun(%v) = %v, want %v", tt.after, got, tt.wantNext)
			}
			if got := tt.c.Deadline(tt.after); !got.Equal(tt.wantDeadline) {
				t.Errorf("Deadline(%v) = %v, want %v", tt.after, got, tt.wantDeadline)
			}
		})
	}
}

func TestCheckRecipient(t *testing.T) {
	t.Parallel()
	c := validCampaign() // job posting
	cancelled := validCampaign()
	cancelled.State = campaigns.StateCancelled
	r := population.Resident{ID: 1, Name: "张三"}
	optedJob := population.Resident{ID: 2, OptOuts: []population.Topic{population.TopicJob}}
	optedVisit := population.Resident{ID: 3, OptOuts: []population.Topic{population.TopicVisit}}
	optedAll := population.Resident{ID: 4, OptOuts: []population.Topic{population.TopicAll}}
	tests := []struct {
		name string
		c    campaigns.Campaign
		r    population.Resident
		now  time.Time
		want outbound.SkipReason
	}{
		{"send", c, r, c.ScheduleAt, outbound.SkipNone},
		{"one second before expiry", c, r, c.ExpiresAt.Add(-time.Second), outbound.SkipNone},
		{"at expiry", c, r, c.ExpiresAt, outbound.SkipExpired},
		{"after expiry", c, r, c.ExpiresAt.Add(time.Hour), outbound.SkipExpired},
		{"opted out of jobs", c, optedJob, c.ScheduleAt, outbound.SkipOptedOut},
		{"opted out of visits only", c, optedVisit, c.ScheduleAt, outbound.SkipNone},
		{"opted out of everything", c, optedAll, c.ScheduleAt, outbound.SkipOptedOut},
		{"cancelled beats everything", cancelled, optedAll, c.ExpiresAt, outbound.SkipCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.c.CheckRecipient(tt.r, tt.c.ScheduleAt, tt.now); got != tt.want {
				t.Errorf("CheckRecipient() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	base := validCampaign()
	tests := []struct {
		name string
		edit func(c *campaigns.Campaign)
		same bool
	}{
		{"unchanged", func(*campaigns.Campaign) {}, true},
		{"rescheduled", func(c *campaigns.Campaign) { c.ScheduleAt = c.ScheduleAt.Add(time.Hour) }, true},
		{"renamed", func(c *campaigns.Campaign) { c.Name = "x" }, true},
		{"empty map equals nil map", func(c *campaigns.Campaign) { c.ReplyOptions = nil }, false},
		{"zero channel policy equals wechat_first", func(c *campaigns.Campaign) { c.ChannelPolicy = "" }, true},
		{"one word changed", func(c *campaigns.Campaign) { c.SMS.Params["job"] = "春风行动招聘会!" }, false},
		{"segment widened", func(c *campaigns.Campaign) { c.Segment = "category:unemployed" }, false},
		{"text changed", func(c *campaigns.Campaign) { c.Text += "。" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			tt.edit(&c)
			if got := c.Digest() == base.Digest(); got != tt.same {
				t.Errorf("digest same = %v, want %v", got, tt.same)
			}
		})
	}
	a, b := validCampaign(), validCampaign()
	a.ReplyOptions, b.ReplyOptions = nil, map[string]string{}
	if a.Digest() != b.Digest() {
		t.Error("nil and empty reply options digest differently")
	}
}

func TestValidateErrorsAreJoined(t *testing.T) {
	t.Parallel()
	err := campaigns.Campaign{}.Validate(campaigns.Policy{})
	var j interface{ Unwrap() []error }
	if !errors.As(err, &j) || len(j.Unwrap()) < 2 {
		t.Fatalf("Validate() = %v, want several joined errors", err)
	}
}
