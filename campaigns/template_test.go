package campaigns_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

func TestTemplateParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"aliyun", "您好${name}，${job}招聘，${name}请回复", []string{"name", "job"}},
		{"wechat", "{{first.DATA}}\n时间：{{ keyword1.DATA }}\n{{remark.DATA}}", []string{"first", "keyword1", "remark"}},
		{"new wechat keys", "{{thing1.DATA}}{{time2.DATA}}", []string{"thing1", "time2"}},
		{"both", "${a}{{b.DATA}}", []string{"a", "b"}},
		{"none", "纯文本，无参数", nil},
		{"not parameters", "${} ${a-b} {{first}} {{x.VALUE}} $name", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, campaigns.Template{Content: tt.content}.Params()); diff != "" {
				t.Errorf("Params() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckTemplateFit(t *testing.T) {
	t.Parallel()
	tpl := campaigns.Template{Code: "SMS_1", Content: "${name}您好，${job}。网格员${worker}，回T退订", Approved: true}
	full := map[string]string{"name": "{{resident.surname_title}}", "job": "招聘", "worker": "{{worker.name}}"}
	tests := []struct {
		name     string
		tpl      campaigns.Template
		mapping  map[string]string
		want     []string
		wantErrs []error
	}{
		{name: "fits", tpl: tpl, mapping: full},
		{name: "not approved", tpl: campaigns.Template{Code: "SMS_1", Content: tpl.Content}, mapping: full,
			want: []string{"template SMS_1: template not approved by the provider"}, wantErrs: []error{campaigns.ErrTemplateNotApproved}},
		{name: "missing and unknown", tpl: tpl, mapping: map[string]string{"name": "x", "jobs": "y", "extra": "z"},
			want: []string{
				`template SMS_1: parameter "job": template parameter has no value in the mapping`,
				`template SMS_1: parameter "worker": template parameter has no value in the mapping`,
				`template SMS_1: mapping "extra": mapping names no parameter of the template (it has name, job, worker)`,
				`template SMS_1: mapping "jobs": mapping names no parameter of the template (it has name, job, worker)`,
			}, wantErrs: []error{campaigns.ErrMissingParam, campaigns.ErrUnknownParam}},
		{name: "wechat keys", tpl: wechatTemplate(), mapping: map[string]string{"keyword1": "a", "keyword2": "b", "keyword3": "c"}},
		{name: "wechat key with .DATA in the mapping", tpl: wechatTemplate(), mapping: map[string]string{"keyword1.DATA": "a", "keyword2": "b", "keyword3": "c"},
			want: []string{
				`template TPL_JOB: parameter "keyword1": template parameter has no value in the mapping`,
				`template TPL_JOB: mapping "keyword1.DATA": mapping names no parameter of the template (it has keyword1, keyword2, keyword3)`,
			}},
		{name: "first and remark of an old wechat template need no value", tpl: oldWeChatTemplate(), mapping: map[string]string{"keyword1": "b"}},
		{name: "first and remark of an old wechat template may have one", tpl: oldWeChatTemplate(),
			mapping: map[string]string{"first": "a", "keyword1": "b", "remark": "c"}},
		{name: "a category template has no first", tpl: wechatTemplate(),
			mapping: map[string]string{"first": "a", "keyword1": "b", "keyword2": "c", "keyword3": "d"},
			want: []string{
				`template TPL_JOB: mapping "first": mapping names no parameter of the template (it has keyword1, keyword2, keyword3)`,
			}, wantErrs: []error{campaigns.ErrUnknownParam}},
		{name: "an sms parameter named first needs a value", tpl: campaigns.Template{Code: "SMS_2", Content: "${first}您好", Approved: true},
			mapping: map[string]string{},
			want:    []string{`template SMS_2: parameter "first": template parameter has no value in the mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := campaigns.CheckTemplateFit(tt.tpl, tt.mapping)
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Errorf("CheckTemplateFit() (-want +got):\n%s", diff)
			}
			for _, w := range tt.wantErrs {
				if !errors.Is(err, w) {
					t.Errorf("error does not match %v", w)
				}
			}
		})
	}
}

func TestTrustCheck(t *testing.T) {
	t.Parallel()
	mapping := map[string]string{"name": "{{resident.surname_title}}", "worker": "网格员{{worker.name}}"}
	tests := []struct {
		name     string
		content  string
		mapping  map[string]string
		pol      campaigns.Policy
		wantErrs []error
	}{
		{name: "worker named, opt-out hint", content: "${name}您好，我是${worker}。回T退订"},
		{name: "lower-case, full-width and spaced hint", content: "${name}您好，我是${worker}。回ｔ 退订"},
		{name: "carrier hint", content: "${name}您好，我是${worker}。拒收请回复R"},
		{name: "hint from a literal parameter", content: "${name}您好，我是${worker}。${tail}",
			mapping: map[string]string{"name": "x", "worker": "{{worker.name}}", "tail": "退订回TD"}},
		{name: "no worker", content: "${name}您好。回T退订", wantErrs: []error{campaigns.ErrNoWorkerName}},
		{name: "worker mapped but not in the template", content: "${name}您好。回T退订",
			mapping: map[string]string{"name": "x", "worker": "{{worker.name}}"}, wantErrs: []error{campaigns.ErrNoWorkerName}},
		{name: "no opt-out", content: "${name}您好，我是${worker}。", wantErrs: []error{campaigns.ErrNoOptOut}},
		{name: "neither", content: "${name}您好", wantErrs: []error{campaigns.ErrNoWorkerName, campaigns.ErrNoOptOut}},
		{name: "configured hints", content: "${name}您好，我是${worker}。回复0000退订",
			pol: campaigns.Policy{OptOutHints: []string{"回复0000退订"}}},
		{name: "configured hints replace the defaults", content: "${name}您好，我是${worker}。回T退订",
			pol: campaigns.Policy{OptOutHints: []string{"回复0000退订"}}, wantErrs: []error{campaigns.ErrNoOptOut}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.mapping
			if m == nil {
				m = mapping
			}
			err := campaigns.TrustCheck(campaigns.Template{Code: "SMS_1", Content: tt.content, Approved: true}, m, tt.pol)
			if (err == nil) != (len(tt.wantErrs) == 0) {
				t.Fatalf("TrustCheck() = %v, want %v", err, tt.wantErrs)
			}
			for _, w := range tt.wantErrs {
				if !errors.Is(err, w) {
					t.Errorf("TrustCheck() = %v, does not match %v", err, w)
				}
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		params        map[string]string
		want          string
	}{
		{"aliyun", "${name}您好，${job}", map[string]string{"name": "张先生", "job": "招聘会"}, "张先生您好，招聘会"},
		{"wechat", "{{first.DATA}} / {{ remark.DATA }}", map[string]string{"first": "您好", "remark": "谢谢"}, "您好 / 谢谢"},
		{"missing stays visible", "${name}您好，${job}", map[string]string{"name": "张先生"}, "张先生您好，${job}"},
		{"values are not re-expanded", "${a}", map[string]string{"a": "${a}${b}", "b": "x"}, "${a}${b}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := campaigns.RenderText(tt.content, tt.params); got != tt.want {
				t.Errorf("RenderText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckTemplates(t *testing.T) {
	t.Parallel()
	words := campaigns.NewWordFilter([]string{"贷款"})
	tests := []struct {
		name string
		edit func(c *campaigns.Campaign, ts *campaigns.Templates)
		want []string
	}{
		{name: "fits", edit: func(*campaigns.Campaign, *campaigns.Templates) {}},
		{name: "sms_only ignores the wechat template", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			c.ChannelPolicy = campaigns.SMSOnly
			ts.WeChat = campaigns.Template{}
		}},
		{name: "wechat_only needs no trust check", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			c.ChannelPolicy = campaigns.WeChatOnly
			ts.SMS = campaigns.Template{}
		}},
		{name: "wrong templates given", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			ts.SMS.Code, ts.WeChat.Code = "SMS_9", ""
		}, want: []string{
			`sms.template_code: the template given is "SMS_9", the campaign uses "SMS_100"`,
			`wechat.template_id: the template given is "", the campaign uses "TPL_JOB"`,
		}},
		{name: "channel mix-up", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			ts.SMS.Channel = population.ChannelWeChat
		}, want: []string{"sms.template_code: SMS_100 is a wechat template"}},
		{name: "everything wrong with the sms template", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			ts.SMS.Approved = false
			ts.SMS.Content = "${name}您好，低息贷款${job}"
		}, want: []string{
			"sms.template_code: template SMS_100: template not approved by the provider",
			`sms.template_code: template SMS_100: mapping "reply": mapping names no parameter of the template (it has name, job)`,
			`sms.template_code: template SMS_100: mapping "worker": mapping names no parameter of the template (it has name, job)`,
			"sms.template_code: template SMS_100: no parameter carries {{worker.name}}: residents distrust texts that do not name their grid worker",
			"sms.template_code: template SMS_100: no opt-out hint such as 回T退订 (want one of 回T退订, 回TD退订, 退订回T, 退订回TD, 拒收请回复R)",
			`sms.template: sensitive word "贷款" at column 13`,
		}},
		{name: "wechat template misses a field", edit: func(c *campaigns.Campaign, ts *campaigns.Templates) {
			ts.WeChat.Content += "\n备注：{{keyword4.DATA}}"
		}, want: []string{
			`wechat.template_id: template TPL_JOB: parameter "keyword4": template parameter has no value in the mapping`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			ts := campaigns.Templates{SMS: smsTemplate(), WeChat: wechatTemplate()}
			tt.edit(&c, &ts)
			err := c.CheckTemplates(ts, campaigns.Policy{Words: words})
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Errorf("CheckTemplates() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreviewSMS(t *testing.T) {
	t.Parallel()
	got, err := campaigns.PreviewSMS(validCampaign(), smsTemplate(), testVars())
	if err != nil {
		t.Fatal(err)
	}
	if want := "【网格通】张先生您好，春风行动招聘会本周六举行，详询网格员李娜。回复1报名，回复2咨询，回T退订"; got != want {
		t.Errorf("PreviewSMS() = %q, want %q", got, want)
	}
	v := testVars()
	v.Worker.Name = ""
	if _, err := campaigns.PreviewSMS(validCampaign(), smsTemplate(), v); !errors.Is(err, campaigns.ErrMissingValue) {
		t.Errorf("PreviewSMS() without a worker name = %v, want ErrMissingValue", err)
	}
}
