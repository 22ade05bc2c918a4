package campaigns_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

func TestWeChatField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		width          int
	}{
		{name: "short", in: "社区保安招聘", want: "社区保安招聘", width: 6},
		{name: "twenty characters are shown", in: strings.Repeat("招", 20), want: strings.Repeat("招", 20), width: 20},
		{name: "the 21st is cut with an ellipsis", in: strings.Repeat("招", 21), want: strings.Repeat("招", 20) + "…", width: 21},
		{name: "a run of digits is one character", in: "电话13987654321", want: "电话13987654321", width: 3},
		{name: "a run of letters and digits is one character", in: "房间A1203B", want: "房间A1203B", width: 3},
		{name: "punctuation and spaces end a run", in: "6.5 km", want: "6.5 km", width: 5},
		{name: "full-width digits are not latin", in: "１２３", want: "１２３", width: 3},
		{name: "a long latin text fits where Han would not", in: "WeChat ID 13987654321 Room 1203 Building 7 Block B",
			want: "WeChat ID 13987654321 Room 1203 Building 7 Block B", width: 17},
		{name: "cut counts latin runs as one", in: "青岛港机电公司招聘电工、焊工各10名，月薪6000元起",
			want: "青岛港机电公司招聘电工、焊工各10名，月薪…", width: 23},
		{name: "emoji are dropped", in: "招聘会🎉开始啦👍🏻", want: "招聘会开始啦", width: 6},
		{name: "joined emoji and flags are dropped", in: "👨‍👩‍👧家庭医生🇨🇳☎️", want: "家庭医生", width: 4},
		{name: "dropped emoji do not count", in: strings.Repeat("🎉", 30) + "回复1报名", want: "回复1报名", width: 5},
		{name: "line breaks become spaces", in: "第一行\n第二行\r\n第三行\n", want: "第一行 第二行 第三行", width: 11},
		{name: "empty", in: "", want: "", width: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, campaigns.WeChatField(tt.in)); diff != "" {
				t.Errorf("WeChatField(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got := len(campaigns.WeChatUnits(strings.ReplaceAll(strings.TrimSpace(tt.in), "\r\n", "\n"))); got != tt.width {
				t.Errorf("len(WeChatUnits(%q)) = %d, want %d", tt.in, got, tt.width)
			}
		})
	}
}

func TestWeChatDisplay(t *testing.T) {
	t.Parallel()
	fields := map[string]string{
		"first":    "张先生您好",
		"keyword1": "青岛港机电公司招聘电工、焊工各10名，月薪6000元起",
		"keyword2": "李娜 13987654321",
		"keyword3": "回复1报名，回复2咨询，回T退订",
		"remark":   "回复1报名，回复2咨询",
	}
	tests := []struct {
		name   string
		tpl    campaigns.Template
		fields map[string]string
		want   []string
	}{
		{name: "category template: its lines with the values as shown", tpl: campaigns.Template{
			Content: "岗位：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n回复方式：{{keyword3.DATA}}"}, fields: fields,
			want: []string{"岗位：青岛港机电公司招聘电工、焊工各10名，月薪…", "网格员：李娜 13987654321", "回复方式：回复1报名，回复2咨询，回T退订"}},
		{name: "old template: the lines of first and remark are gone", tpl: campaigns.Template{
			Content: "{{first.DATA}}\n岗位：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n{{remark.DATA}}"}, fields: fields,
			want: []string{"岗位：青岛港机电公司招聘电工、焊工各10名，月薪…", "网格员：李娜 13987654321"}},
		{name: "a line without a field is not shown", tpl: campaigns.Template{Content: "社区通知\n事项：{{thing1.DATA}}"},
			fields: map[string]string{"thing1": "垃圾分类宣传"}, want: []string{"事项：垃圾分类宣传"}},
		{name: "a field without a value shows its label", tpl: campaigns.Template{Content: "事项：{{thing1.DATA}}\n时间：{{time2.DATA}}"},
			fields: map[string]string{"thing1": "垃圾分类宣传"}, want: []string{"事项：垃圾分类宣传", "时间："}},
		{name: "no template: keyword values in order", fields: fields,
			want: []string{"青岛港机电公司招聘电工、焊工各10名，月薪…", "李娜 13987654321", "回复1报名，回复2咨询，回T退订"}},
		{name: "no template: numbers order the keys", fields: map[string]string{
			"keyword10": "十", "keyword2": "二", "thing1": "一", "time3": "三", "note": "无号", "remark": "备注", "keyword4": " "},
			want: []string{"一", "二", "三", "十", "无号"}},
		{name: "only first and remark: nothing is shown", fields: map[string]string{"first": "您好", "remark": "回T退订"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, campaigns.WeChatDisplay(tt.tpl, tt.fields)); diff != "" {
				t.Errorf("WeChatDisplay() (-want +got):\n%s", diff)
			}
		})
	}
}

// The WeChat fields are held to what a resident's phone shows: refused
// when something the resident must read is where WeChat does not show it,
// warned about when text is pointless or may be cut.
func TestValidateWeChatFields(t *testing.T) {
	t.Parallel()
	const cutHint = "would be cut off: WeChat shows the first 20 characters of a field (a run of Latin letters or digits counts as one); put it first or in a field of its own"
	tests := []struct {
		name      string
		edit      func(c *campaigns.Campaign)
		wantErrs  []string
		wantWarns []string
	}{
		{name: "keyword fields carry everything", edit: func(*campaigns.Campaign) {}},
		{name: "reply and opt-out hints only in remark", edit: func(c *campaigns.Campaign) {
			delete(c.WeChat.Fields, "keyword3")
			c.WeChat.Fields["remark"] = "{{reply_hint}}，回T退订"
		}, wantErrs: []string{
			"wechat.fields[remark]: the reply hint and the opt-out hint are only here, and WeChat has not shown remark since 2023-05-04: put them in a keyword field",
		}},
		{name: "worker only in first", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword2"] = "请留意社区公告"
			c.WeChat.Fields["first"] = "网格员{{worker.name}}提醒您"
		}, wantErrs: []string{
			"wechat.fields[first]: the grid worker's name is only here, and WeChat has not shown first since 2023-05-04: put it in a keyword field",
		}},
		{name: "a greeting in first is pointless", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["first"] = "{{resident.surname_title}}您好"
		}, wantWarns: []string{
			"wechat.fields[first]: WeChat has not shown first since 2023-05-04: nobody reads this text",
		}},
		{name: "a reply hint in remark that a keyword field also shows", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["remark"] = "{{reply_hint}}"
		}, wantWarns: []string{
			"wechat.fields[remark]: WeChat has not shown remark since 2023-05-04: nobody reads this text",
		}},
		{name: "reply options and no hint in any field", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword3"] = "回T退订"
		}, wantErrs: []string{
			"wechat.fields: no keyword field tells the resident how to reply: put {{reply_hint}} (回复1报名，回复2咨询) in one",
		}},
		{name: "a reply hint in its own words", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword3"] = "回复1报名 2咨询 T退订"
		}},
		{name: "no reply options, no reply hint needed", edit: func(c *campaigns.Campaign) {
			c.ReplyOptions = nil
			c.SMS.Params["reply"] = "详询网格员"
			c.Text = "{{campaign.name}}"
			c.WeChat.Fields["keyword3"] = "回T退订"
		}},
		{name: "a reply hint past the cut", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword1"] = "青岛港机电公司招聘电工、焊工各10名，月薪6000元起，{{reply_hint}}"
			c.WeChat.Fields["keyword3"] = "回T退订"
		}, wantErrs: []string{"wechat.fields[keyword1]: the reply hint " + cutHint}},
		{name: "a reply hint cut in the middle", edit: func(c *campaigns.Campaign) {
			c.ReplyOptions = map[string]string{"1": "报名参加培训班", "2": "咨询培训课程详情"}
		}, wantErrs: []string{"wechat.fields[keyword3]: the reply hint and the opt-out hint would be cut off: WeChat shows the first 20 characters of a field (a run of Latin letters or digits counts as one); put them first or in a field of its own"}},
		{name: "a worker's name past the cut", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword2"] = strings.Repeat("请", 19) + "网格员{{worker.name}}"
		}, wantErrs: []string{"wechat.fields[keyword2]: the grid worker's name " + cutHint}},
		{name: "a long literal", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword1"] = "青岛港机电公司招聘电工、焊工各10名，月薪6000元起"
		}, wantWarns: []string{
			`wechat.fields[keyword1]: 23 characters; WeChat shows 20 (a run of Latin letters or digits counts as one) and cuts the rest: "青岛港机电公司招聘电工、焊工各10名，月薪…"`,
		}},
		{name: "a field that long names push past the width", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword2"] = "{{grid.name}}网格员{{worker.name}} {{worker.phone}}"
		}, wantWarns: []string{
			`wechat.fields[keyword2]: up to 22 characters with long names filled in; WeChat shows 20 (a run of Latin letters or digits counts as one) and cuts the rest: "青年路街道嘉园社区第12网格网格员欧阳秀英…"`,
		}},
		{name: "runs of latin letters and digits count as one", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword1"] = "Room 1203 Building 7 Block B 春风行动"
		}},
		{name: "emoji and line breaks", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields["keyword1"] = "春风行动🎉\n招聘会"
		}, wantWarns: []string{
			"wechat.fields[keyword1]: WeChat drops emoji",
			"wechat.fields[keyword1]: WeChat shows a field on one line: line breaks become spaces",
		}},
		{name: "only first and remark", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields = map[string]string{"first": "{{campaign.name}}", "remark": "网格员{{worker.name}}，{{reply_hint}}"}
		}, wantErrs: []string{
			"wechat.fields: no keyword field (keyword1…, thing1…): WeChat shows only those, never first or remark",
			"wechat.fields[remark]: the reply hint and the grid worker's name are only here, and WeChat has not shown remark since 2023-05-04: put them in a keyword field",
		}, wantWarns: []string{
			"wechat.fields[first]: WeChat has not shown first since 2023-05-04: nobody reads this text",
		}},
		{name: "category template keys", edit: func(c *campaigns.Campaign) {
			c.WeChat.Fields = map[string]string{"thing1": "{{campaign.name}}", "thing2": "{{worker.name}}", "phrase3": "{{reply_hint}}"}
		}},
		{name: "visit slot only in first", edit: func(c *campaigns.Campaign) {
			c.Kind = campaigns.KindVisitSchedule
			c.SMS.Params["job"] = "{{slot}}"
			c.WeChat.Fields["first"] = "网格员将于{{slot}}上门"
		}, wantErrs: []string{
			"wechat.fields[first]: the visit slot is only here, and WeChat has not shown first since 2023-05-04: put it in a keyword field",
		}},
		{name: "visit slot in a keyword field", edit: func(c *campaigns.Campaign) {
			c.Kind = campaigns.KindVisitSchedule
			c.SMS.Params["job"] = "{{slot}}"
			c.WeChat.Fields["keyword1"] = "{{slot}}上门走访"
		}},
		{name: "sms_only: the wechat fields are never sent", edit: func(c *campaigns.Campaign) {
			c.ChannelPolicy = campaigns.SMSOnly
			c.WeChat.Fields = map[string]string{"remark": "{{reply_hint}}"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			tt.edit(&c)
			if diff := cmp.Diff(tt.wantErrs, errLines(c.Validate(campaigns.Policy{}))); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarns, c.Warnings()); diff != "" {
				t.Errorf("Warnings() (-want +got):\n%s", diff)
			}
		})
	}
}
