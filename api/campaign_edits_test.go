package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// clearPhone is a mobile number in clear, which no preview may hold.
var clearPhone = regexp.MustCompile(`1[3-9][0-9]{9}`)

// Before sending, an officer or a checker sees the campaign's messages as
// the residents' phones show them: an SMS whole with the parts Aliyun
// bills, a WeChat template message without first and remark; of a saved
// campaign and of one still on the form; masked. On both store drivers.
func TestCampaignPreview(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			officer, checker, worker := f.in[access.RoleOfficer].token, f.in[access.RoleChecker].token, f.in[access.RoleWorker].token
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			// 70 characters fit one SMS: this template, signed, takes two.
			long := "${name}您好，社区本周六上午九点在党群服务中心举办电工、焊工、育婴师技能培训，免费参加，结业发证，推荐就业，名额有限，报满即止，详询网格员。回T退订"
			if err := f.st.SaveTemplates(t.Context(), population.ChannelSMS, []campaigns.Template{
				{Code: "SMS_T", Content: long, Approved: true},
			}, at); err != nil {
				t.Fatal(err)
			}
			if err := f.st.SaveTemplates(t.Context(), population.ChannelWeChat, []campaigns.Template{
				{Code: "wx-tpl", Content: "{{first.DATA}}\n活动：{{keyword1.DATA}}\n回复：{{keyword2.DATA}}\n{{remark.DATA}}", Approved: true},
			}, at); err != nil {
				t.Fatal(err)
			}
			preview := func(tok, method, path, body string) (int, api.CampaignPreview, string) {
				t.Helper()
				code, _, out := as(t, tok, method, f.srv.URL+path, body)
				var p api.CampaignPreview
				if code == 200 {
					if err := json.Unmarshal([]byte(out), &p); err != nil {
						t.Fatalf("%s %s: %v\n%s", method, path, err, out)
					}
				}
				if clearPhone.MatchString(out) {
					t.Errorf("%s %s shows a phone number in clear: %s", method, path, out)
				}
				return code, p, out
			}

			// The saved campaign, as its checker sees it.
			saved := fmt.Sprintf("/api/v1/campaigns/%d/preview?n=2", f.campaign)
			code, p, out := preview(checker, "GET", saved, "")
			if code != 200 || p.Audience == 0 || len(p.Samples) != 2 || p.ByChannel["sms"] == 0 {
				t.Fatalf("preview of the saved campaign: %d %s", code, out)
			}
			for _, s := range p.Samples {
				if s.Channel != "sms" || !strings.HasPrefix(s.Text, "【网格通】") || s.Parts != 2 || s.Chars <= 70 ||
					s.Chars != utf8.RuneCountInString(s.Text) {
					t.Errorf("an SMS sample = %+v, want the signed text of more than 70 characters, billed as 2", s)
				}
			}
			if !strings.Contains(strings.Join(p.Warnings, "\n"), "billed as 2 SMS") {
				t.Errorf("warnings %q do not say the SMS takes two parts", p.Warnings)
			}
			for _, q := range []string{"n=0", "n=11", "n=x"} {
				if code, _, out := preview(checker, "GET", fmt.Sprintf("/api/v1/campaigns/%d/preview?%s", f.campaign, q), ""); code != 400 || !strings.Contains(out, "样例条数") {
					t.Errorf("preview ?%s: %d %s, want 400 in Chinese", q, code, out)
				}
			}
			if code, _, _ := preview(worker, "GET", saved, ""); code != 403 {
				t.Errorf("a worker previews a campaign: %d, want 403", code)
			}
			if code, _, _ := preview(f.out[access.RoleOfficer].token, "GET", saved, ""); code != 403 {
				t.Errorf("an officer of another street previews the campaign: %d, want 403", code)
			}

			// A draft still on the form: WeChat shows neither first nor remark.
			draft := `{"name":"周六培训","kind":"training_notice","segment":"age:0..","channel_policy":"wechat_only",
				"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `","reply_options":{"1":"报名"},
				"wechat":{"template_id":"wx-tpl","fields":{"first":"重要通知请务必阅读","keyword1":"周六技能培训","keyword2":"{{reply_hint}}","remark":"备注不会显示"}}}`
			code, p, out = preview(officer, "POST", "/api/v1/campaigns/preview?n=3", draft)
			if code != 200 || len(p.Samples) == 0 {
				t.Fatalf("preview of a draft: %d %s", code, out)
			}
			for _, s := range p.Samples {
				lines := strings.Join(s.Lines, "\n")
				if s.Channel != "wechat" || !strings.Contains(lines, "活动：周六技能培训") || !strings.Contains(lines, "回复：回复1报名") ||
					strings.Contains(lines, "重要通知") || strings.Contains(lines, "备注") || s.Parts != 0 {
					t.Errorf("a WeChat sample = %+v, want the keyword lines only", s)
				}
			}
			if !strings.Contains(strings.Join(p.Warnings, "\n"), "wechat.fields[first]") {
				t.Errorf("warnings %q do not name the first field WeChat no longer shows", p.Warnings)
			}
			if n, err := f.st.Campaigns(t.Context(), "", 100); err != nil || len(n) != 1 {
				t.Errorf("a preview stored a campaign: %d campaigns, %v", len(n), err)
			}
			bad := strings.Replace(draft, `"age:0.."`, `"colour:red"`, 1)
			if code, _, out := preview(officer, "POST", "/api/v1/campaigns/preview", bad); code != 400 || !strings.Contains(out, "活动内容有误") {
				t.Errorf("preview of a draft with a bad segment: %d %s, want 400 in Chinese", code, out)
			}
			if code, _, _ := preview(checker, "POST", "/api/v1/campaigns/preview", draft); code != 403 {
				t.Errorf("a checker previews a form: %d, want 403 (officers make campaigns)", code)
			}
		})
	}
}

// A checker refuses a draft with a comment the maker reads; the maker
// edits it, which lifts the refusal (and would clear an approval); a
// campaign past draft is neither refused nor edited. On both store
// drivers.
func TestCampaignRefuseAndEdit(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			officer, checker := f.in[access.RoleOfficer].token, f.in[access.RoleChecker].token
			if err := f.st.SaveTemplates(t.Context(), population.ChannelSMS, []campaigns.Template{
				{Code: "SMS_T", Content: "${name}您好，社区招聘保安，详询网格员${worker}。回T退订", Approved: true},
			}, time.Now()); err != nil {
				t.Fatal(err)
			}
			camp := fmt.Sprintf("%s/api/v1/campaigns/%d", f.srv.URL, f.campaign)
			get := func() api.Campaign {
				t.Helper()
				code, _, out := as(t, officer, "GET", camp, "")
				var st api.CampaignStatus
				if code != 200 || json.Unmarshal([]byte(out), &st) != nil {
					t.Fatalf("get: %d %s", code, out)
				}
				return st.Campaign
			}
			act := func(tok, body string) (int, string) {
				code, _, out := as(t, tok, "POST", camp+"/actions", body)
				return code, out
			}

			if code, out := act(checker, `{"action":"refuse","comment":"  "}`); code != 400 || !strings.Contains(out, "请填写退回意见") {
				t.Errorf("a refusal without a comment: %d %s, want 400 in Chinese", code, out)
			}
			if code, out := act(officer, `{"action":"refuse","comment":"我再改改"}`); code != 409 || !strings.Contains(out, "不能退回自己创建的活动") {
				t.Errorf("the maker refuses their own campaign: %d %s, want 409", code, out)
			}
			if code, out := act(checker, `{"action":"refuse","comment":"`+strings.Repeat("长", 201)+`"}`); code != 400 {
				t.Errorf("a refusal of 201 characters: %d %s, want 400", code, out)
			}
			if got := get(); got.Refusal != nil {
				t.Fatalf("refused attempts left a refusal: %+v", got.Refusal)
			}
			if code, out := act(checker, `{"action":"refuse","comment":"时间写错了，请改为周六"}`); code != 200 || !strings.Contains(out, `"state":"draft"`) {
				t.Fatalf("refuse: %d %s", code, out)
			}
			c := get()
			if c.State != "draft" || c.Refusal == nil || c.Refusal.By != "in-checker" || c.Refusal.Comment != "时间写错了，请改为周六" {
				t.Errorf("after the refusal the campaign = %s %+v, want a draft with in-checker's refusal", c.State, c.Refusal)
			}
			code, _, out := as(t, officer, "GET", f.srv.URL+"/api/v1/campaigns", "")
			if code != 200 || !strings.Contains(out, `"refusal":{"by":"in-checker"`) {
				t.Errorf("the list does not carry the refusal: %d %s", code, out)
			}
			entries, err := f.st.AuditEntries(t.Context(), audit.Filter{Action: "campaign.refuse"})
			if err != nil || len(entries) != 1 || entries[0].Actor != "in-checker" || entries[0].Reason != "时间写错了，请改为周六" {
				t.Errorf("the audit log holds %+v (%v), want in-checker's refusal with its comment", entries, err)
			}

			// The edit: the maker only, checked as a create is.
			body := func(name string) string {
				return `{"name":"` + name + `","kind":"job_posting","segment":"age:18..60","channel_policy":"sms_only",
					"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `",
					"sms":{"sign_name":"网格通","template_code":"SMS_T","params":{"name":"{{resident.surname_title}}","worker":"{{worker.name}}"}},"wechat":{"template_id":"","fields":{}}}`
			}
			if code, _, out := as(t, checker, "PUT", camp, body("x")); code != 403 {
				t.Errorf("a checker edits: %d %s, want 403", code, out)
			}
			if code, _, out := as(t, f.city.token, "PUT", camp, body("x")); code != 403 {
				t.Errorf("an administrator edits: %d %s, want 403", code, out)
			}
			if code, _, out := as(t, officer, "PUT", camp, strings.Replace(body("x"), `"age:18..60"`, `"age:18..60 AND colour:red"`, 1)); code != 400 || !strings.Contains(out, "活动内容有误") {
				t.Errorf("an edit with a bad segment: %d %s, want 400 in Chinese", code, out)
			}
			if got := get(); got.Name != "保安招聘" || got.Refusal == nil {
				t.Errorf("a refused edit changed the campaign: %q %+v", got.Name, got.Refusal)
			}
			if code, _, out := as(t, officer, "PUT", camp, body("保安招聘（周六）")); code != 200 || !strings.Contains(out, `"name":"保安招聘（周六）"`) {
				t.Fatalf("edit: %d %s", code, out)
			}
			if got := get(); got.Name != "保安招聘（周六）" || got.Refusal != nil || got.Owner != "in-officer" || got.State != "draft" {
				t.Errorf("after the edit = %q owner %s %s refusal %+v, want the new name, the refusal lifted", got.Name, got.Owner, got.State, got.Refusal)
			}
			// An edit after an approval clears it: the checker reviews what
			// would now be sent.
			if code, out := act(checker, `{"action":"approve","comment":"可以"}`); code != 200 {
				t.Fatalf("approve: %d %s", code, out)
			}
			if code, out := act(checker, `{"action":"refuse","comment":"再看看"}`); code != 409 {
				t.Errorf("refuse an approved campaign: %d %s, want 409", code, out)
			}
			if code, _, out := as(t, officer, "PUT", camp, body("保安招聘（周日）")); code != 200 || strings.Contains(out, "approved_by") {
				t.Errorf("an edit after the approval: %d %s, want the approval cleared", code, out)
			}
			if code, out := act(officer, `{"action":"send"}`); code != 409 || !strings.Contains(out, "审核") {
				t.Errorf("send an edited campaign without a new approval: %d %s, want 409", code, out)
			}
			if code, out := act(checker, `{"action":"approve"}`); code != 200 {
				t.Fatalf("approve again: %d %s", code, out)
			}
			if code, out := act(officer, `{"action":"send"}`); code != 200 {
				t.Fatalf("send: %d %s", code, out)
			}
			if code, _, out := as(t, officer, "PUT", camp, body("迟到的修改")); code != 409 || !strings.Contains(out, "只有草稿可以编辑") {
				t.Errorf("edit a scheduled campaign: %d %s, want 409 in Chinese", code, out)
			}
			if code, out := act(checker, `{"action":"refuse","comment":"晚了"}`); code != 409 {
				t.Errorf("refuse a scheduled campaign: %d %s, want 409", code, out)
			}
			code, _, out = as(t, officer, "GET", camp+"/events", "")
			for _, want := range []string{`"note":"refused: 时间写错了，请改为周六"`, `"note":"edited"`, `"note":"approved: 可以"`} {
				if code != 200 || !strings.Contains(out, want) {
					t.Errorf("the record lacks %s: %d %s", want, code, out)
				}
			}
		})
	}
}

// The sign-up list downloads as a workbook of the caller's residents,
// names and phones masked; the export is audited. On both store drivers.
func TestCampaignAnswersXLSX(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			for _, r := range []population.Resident{f.residents[0], f.residents[2]} { // the second lives in NY-02
				if err := f.st.RecordAnswer(t.Context(), tickets.Answer{CampaignID: f.campaign, ResidentID: r.ID, Option: "1", Meaning: "报名"}); err != nil {
					t.Fatal(err)
				}
			}
			url := fmt.Sprintf("%s/api/v1/campaigns/%d/answers.xlsx", f.srv.URL, f.campaign)
			code, _, out := as(t, f.in[access.RoleWorker].token, "GET", url, "")
			if code != 200 {
				t.Fatalf("answers.xlsx: %d %.200s", code, out)
			}
			x, err := excelize.OpenReader(bytes.NewReader([]byte(out)))
			if err != nil {
				t.Fatalf("answers.xlsx is no workbook: %v", err)
			}
			rows, err := x.GetRows("报名名单")
			if err != nil {
				t.Fatal(err)
			}
			r := f.residents[0]
			if len(rows) != 2 || rows[0][1] != "姓名" || rows[1][0] != fmt.Sprint(r.ID) || rows[1][1] != r.Name.Masked() ||
				rows[1][2] != r.Phone.Masked() || rows[1][4] != "1" || rows[1][5] != "报名" {
				t.Errorf("answers.xlsx rows = %q, want the header and %s's masked sign-up only", rows, r.Name.Masked())
			}
			if clearPhone.MatchString(strings.Join(rows[len(rows)-1], " ")) {
				t.Errorf("answers.xlsx holds a phone number in clear: %q", rows)
			}
			entries, err := f.st.AuditEntries(t.Context(), audit.Filter{Action: string(audit.ActionExport)})
			if err != nil || len(entries) != 1 || entries[0].Subject != fmt.Sprintf("campaign:%d", f.campaign) {
				t.Errorf("the audit log holds %+v (%v), want the export", entries, err)
			}
			if code, _, _ := as(t, f.out[access.RoleOfficer].token, "GET", url, ""); code != 403 {
				t.Errorf("an officer of another street downloads the list: %d, want 403", code)
			}
		})
	}
}
