package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// At a phone's 390 px and a desktop's 1280 px, an officer makes a
// campaign, seeing the audience counted as the expression is typed and
// its messages as the residents' phones show them (an SMS with the parts
// Aliyun bills, a WeChat message without first and remark); a checker
// finds it in the approval queue and sends it back with a comment; the
// maker reads it, edits the draft and saves; the checker approves; the
// officer sends it, and its page shows each state, the funnel and the
// sign-up workbook. A mistyped expression is refused at its column, a
// refusal without a comment is refused, and the checker is not offered
// sending nor the maker approving. On the phone, before sending, the
// officer sends the SMS to their own phone (试发) and follows its status.
func TestCampaignsInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) { testCampaignsAt(t, width) })
	}
}

func testCampaignsAt(t *testing.T, width int64) {
	queued := &recorder{}
	s := newSite(t, true, 0, withTestSends(queued))
	ctx := t.Context()
	officerTok := s.user(t, "李强", access.User{Roles: []access.Role{access.RoleOfficer}, Grids: []string{access.All}})
	checkerTok := s.user(t, "张敏", access.User{Roles: []access.Role{access.RoleChecker}, Grids: []string{access.All}})
	// The templates as `gridcast templates sync` keeps them: a short SMS,
	// a long one (over 70 characters: two parts), and a WeChat template
	// whose first and remark WeChat no longer shows.
	if err := s.st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{
		{Code: "SMS_900001", Content: "${name}您好，${worker}提醒：本周六社区举办技能培训，${hint}。回T退订", Approved: true},
		{Code: "SMS_900002", Content: "${name}您好，${worker}提醒：本周六上午九点在党群服务中心三楼举办电工、焊工技能培训，免费参加，结业发证，请携带身份证和一寸照片，${hint}。回T退订", Approved: true},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.st.SaveTemplates(ctx, population.ChannelWeChat, []campaigns.Template{
		{Code: "wx-training", Content: "{{first.DATA}}\n活动：{{keyword1.DATA}}\n回复：{{keyword2.DATA}}\n{{remark.DATA}}", Approved: true},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	const expr = "age:18..45"
	device, phone := "desktop-", width == 390
	if phone {
		device = "phone-"
	}
	b := openBrowser(t, s)
	do := b.do
	viewport := chromedp.EmulateViewport(width, 900)
	if phone {
		viewport = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	do("the screen", viewport, chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	fits := func(screen string) {
		t.Helper()
		if phone {
			b.fits(screen)
			return
		}
		if got := b.eval(`document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 1280`); got != "true" {
			t.Errorf("%s: at 1280 px the page is %s px wide", screen, b.eval(`document.documentElement.scrollWidth`))
		}
	}
	// parts checks every SMS of the preview in sel: its meter says the
	// parts Aliyun bills for the text shown (masking keeps the length).
	parts := func(sel string, want string) {
		t.Helper()
		got := b.eval(`[...document.querySelectorAll('` + sel + ` .camp-msg[data-channel="sms"]')].map((m) => {
			const n = [...m.querySelector('.camp-sms-text').textContent].length;
			const p = m.querySelector('.camp-sms-meter').dataset.parts;
			return (n <= 70 ? 1 : Math.ceil(n / 67)) === Number(p) ? p : 'text of ' + n + ' characters billed as ' + p;
		}).join(',')`)
		if got == "" || strings.Trim(strings.ReplaceAll(got, want, ""), ",") != "" {
			t.Errorf("the preview's SMS parts: %q, want each %s", got, want)
		}
	}
	setValue := func(sel, value string) {
		t.Helper()
		b.eval(`(() => { const e = document.querySelector('` + sel + `'); e.value = ` + fmt.Sprintf("%q", value) +
			`; e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change')); return true; })()`)
	}

	// The officer: a mistyped expression first, refused at its column.
	b.signIn(officerTok, "#main")
	do("the form", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)), chromedp.WaitVisible(chromedp.CSS("#campaign-new")),
		chromedp.Click(chromedp.CSS("#campaign-new")), chromedp.WaitVisible(chromedp.CSS("#cf-segment")))
	b.until("the fields of the language", `document.querySelectorAll('#cf-fields .chip').length > 5`)
	do("a mistyped expression", chromedp.SendKeys(chromedp.CSS("#cf-segment"), "age:18..45 AND colour:red"),
		chromedp.WaitVisible(chromedp.CSS("#cf-segment-error")))
	if got := b.text("#cf-segment-error"); !strings.Contains(got, "列") {
		t.Errorf("a refused expression says %q, want its column", got)
	}
	b.eval(`document.querySelector('#cf-segment').value = '', true`)
	do("type the audience", chromedp.SendKeys(chromedp.CSS("#cf-segment"), expr))
	b.until("the count while typing", `document.querySelector('#cf-count').dataset.count !== undefined`)
	n, err := s.st.CountSegment(ctx, expr)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.text("#cf-count"); !strings.Contains(got, fmt.Sprintf("%d 人", n)) {
		t.Errorf("the count says %q, want %d residents", got, n)
	}
	b.until("a masked sample", `document.querySelectorAll('#cf-sample li').length > 0`)
	fits("campaign form")
	b.clean(device + "campaign-form")

	do("the content",
		chromedp.SendKeys(chromedp.CSS("#cf-name"), "周六技能培训"),
		chromedp.SetValue(chromedp.CSS("#cf-kind"), "training_notice"),
		chromedp.SendKeys(chromedp.CSS("#cf-sms-code"), "SMS_900001"))
	b.until("the template's parameters filled in", `document.querySelector('#cf-sms-params').value.includes('worker=')`)
	if got := b.text("#cf-sms-check"); !strings.Contains(got, "缺少参数") {
		t.Errorf("an empty mapping: the check says %q, want the missing parameters", got)
	}
	setValue("#cf-sms-params", "name={{resident.surname_title}}\nworker={{worker.name}}\nhint=回复1报名")
	do("reply options", chromedp.SendKeys(chromedp.CSS("#cf-replies"), "1=报名"))
	b.until("the mapping fits", `document.querySelector('#cf-sms-check').textContent.includes('参数齐全')`)
	if got := b.text("#cf-sms-meter"); !strings.Contains(got, "约 1 条计费") {
		t.Errorf("the SMS meter says %q, want one part", got)
	}
	setValue("#cf-wx-id", "wx-training")
	setValue("#cf-wx-fields", "first=重要通知请务必阅读\nkeyword1=周六技能培训\nkeyword2={{reply_hint}}\nremark=备注不会显示")
	// The WeChat message first, as a phone shows it: no first, no remark.
	setValue("#cf-policy", "wechat_only")
	do("preview on WeChat", chromedp.Click(chromedp.CSS("#cf-preview-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#cf-preview .camp-msg[data-channel="wechat"]`)))
	if got := b.text("#cf-preview .camp-msgs"); !strings.Contains(got, "活动：周六技能培训") || !strings.Contains(got, "回复：回复1报名") ||
		strings.Contains(got, "重要通知") || strings.Contains(got, "备注不会显示") {
		t.Errorf("the WeChat preview shows %q, want the keyword lines without first and remark", got)
	}
	if got := b.text("#preview-warnings"); !strings.Contains(got, "wechat.fields[first]") {
		t.Errorf("the preview warns %q, want first named as unseen", got)
	}
	// Then by SMS only: one part each.
	setValue("#cf-policy", "sms_only")
	do("preview by SMS", chromedp.Click(chromedp.CSS("#cf-preview-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#cf-preview .camp-msg[data-channel="sms"]`)))
	parts("#cf-preview", "1")
	fits("campaign form preview")
	b.clean(device + "campaign-preview")
	do("save the draft", chromedp.Click(chromedp.CSS("#cf-submit")),
		chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="draft"]`)))
	id := b.eval(`location.hash.split('/')[2]`)
	if b.eval(`!!document.querySelector('#camp-approve') || !!document.querySelector('#camp-refuse')`) != "false" {
		t.Errorf("the maker is offered approving or refusing their own campaign")
	}
	// Sending before the approval: refused, in Chinese, and still a draft.
	do("send unapproved", chromedp.Click(chromedp.CSS("#camp-send")), chromedp.WaitVisible(chromedp.CSS("#error-message")))
	if got := b.text("#error-message"); !strings.Contains(got, "须先由另一位工作人员审核通过") {
		t.Errorf("sending unapproved says %q, want the approval rule in Chinese", got)
	}
	if got := b.eval(`document.querySelector('.camp-state [data-state]').dataset.state`); got != "draft" {
		t.Errorf("after the refusal the page says %s, want draft", got)
	}
	fits("campaign page")
	b.signOut()

	// The checker: the queue first; a refusal needs a comment; sent back.
	b.signIn(checkerTok, "#main")
	do("the queue", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"]`)))
	fits("approval queue")
	do("open it", chromedp.Click(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#camp-refuse")), chromedp.WaitVisible(chromedp.CSS(`#camp-preview .camp-msg[data-channel="sms"]`)))
	parts("#camp-preview", "1")
	if b.eval(`!!document.querySelector('#camp-send') || !!document.querySelector('#camp-edit')`) != "false" {
		t.Errorf("a checker is offered sending or editing")
	}
	do("refuse without a comment", chromedp.Click(chromedp.CSS("#camp-refuse")), chromedp.WaitVisible(chromedp.CSS("#error-message")))
	if got := b.text("#error-message"); !strings.Contains(got, "请填写退回意见") {
		t.Errorf("a refusal without a comment says %q", got)
	}
	do("refuse with a comment", chromedp.SendKeys(chromedp.CSS("#camp-comment"), "请写明培训地点和要带的材料"),
		chromedp.Click(chromedp.CSS("#camp-refuse")), chromedp.WaitVisible(chromedp.CSS("#camp-refusal")))
	if got := b.text("#camp-events"); !strings.Contains(got, "张敏 退回修改") || !strings.Contains(got, "请写明培训地点和要带的材料") {
		t.Errorf("the record says %q, want 张敏's refusal with the comment", got)
	}
	if b.eval(`!!document.querySelector('#camp-approve')`) != "false" {
		t.Errorf("a refused draft is offered for approval before its maker edits it")
	}
	b.signOut()

	// The maker reads the refusal and edits the draft: the long template.
	b.signIn(officerTok, "#main")
	do("the list", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.camp-card[data-id="`+id+`"] .camp-refused`)))
	do("open it", chromedp.Click(chromedp.CSS(`.camp-card[data-id="`+id+`"] a`)), chromedp.WaitVisible(chromedp.CSS("#camp-refusal")))
	if got := b.text("#camp-refusal"); !strings.Contains(got, "张敏") || !strings.Contains(got, "请写明培训地点和要带的材料") {
		t.Errorf("the maker reads %q, want 张敏's comment", got)
	}
	fits("refused campaign")
	do("edit", chromedp.Click(chromedp.CSS("#camp-edit")), chromedp.WaitVisible(chromedp.CSS("#cf-submit")))
	if got := b.eval(`[document.querySelector('#cf-name').value, document.querySelector('#cf-segment').value, document.querySelector('#cf-policy').value, document.querySelector('#cf-sms-code').value].join('|')`); got != "周六技能培训|"+expr+"|sms_only|SMS_900001" {
		t.Errorf("the edit form holds %q, want the draft's content", got)
	}
	setValue("#cf-sms-code", "SMS_900002")
	b.until("the long template fits", `document.querySelector('#cf-sms-check').textContent.includes('参数齐全')`)
	fits("edit form")
	do("save the edit", chromedp.Click(chromedp.CSS("#cf-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#camp-preview .camp-msg[data-channel="sms"]`)))
	if got := b.text("#notice"); !strings.Contains(got, "已保存修改") {
		t.Errorf("after the edit the notice says %q", got)
	}
	if b.eval(`!!document.querySelector('#camp-refusal')`) != "false" {
		t.Errorf("the refusal still shows after the edit")
	}
	if got := b.text("#camp-events"); !strings.Contains(got, "李强 已编辑") {
		t.Errorf("the record says %q, want 李强's edit", got)
	}
	parts("#camp-preview", "2")
	b.signOut()

	// The checker approves the draft as it now reads; no sending.
	b.signIn(checkerTok, "#main")
	do("the queue again", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"]`)))
	do("open and approve", chromedp.Click(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#camp-approve")))
	do("approve with a comment", chromedp.SendKeys(chromedp.CSS("#camp-comment"), "内容已核对"),
		chromedp.Click(chromedp.CSS("#camp-approve")), chromedp.WaitVisible(chromedp.CSS("#camp-approved")))
	if got := b.text("#camp-events"); !strings.Contains(got, "张敏 审核通过") || !strings.Contains(got, "内容已核对") {
		t.Errorf("the record says %q, want 张敏's approval with the comment", got)
	}
	b.signOut()

	// The officer sends it: scheduled, on the record with its audience.
	b.signIn(officerTok, "#main")
	do("open it", chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns/"+id), chromedp.WaitVisible(chromedp.CSS("#camp-send")))
	if b.eval(`!!document.querySelector('#camp-edit')`) != "true" {
		t.Errorf("the maker is not offered editing an approved draft")
	}
	if phone {
		testSendAt(t, s, b, queued, mustInt(t, id))
	}
	do("send", chromedp.Click(chromedp.CSS("#camp-send")),
		chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="scheduled"]`)))
	if got := b.text("#camp-events"); !strings.Contains(got, "草稿 → 已排期") || !strings.Contains(got, fmt.Sprintf("受众 %d 人", n)) {
		t.Errorf("the record says %q, want the move to 已排期 with the audience", got)
	}
	if got := b.text("#notice"); !strings.Contains(got, "已提交发送") {
		t.Errorf("the notice says %q", got)
	}
	if b.eval(`!!document.querySelector('#camp-edit')`) != "false" {
		t.Errorf("a scheduled campaign is offered for editing")
	}
	fits("campaign sent")

	// The workers' first results, as the ledger keeps them: two failures
	// with the providers' codes and one message held for quiet hours; and
	// a resident's sign-up.
	cid := mustInt(t, id)
	rs, err := s.st.SampleSegment(ctx, expr, 3)
	if err != nil || len(rs) < 3 {
		t.Fatalf("three residents of the audience: %v, %v", rs, err)
	}
	msg := func(r population.Resident, ch population.Channel, route outbound.Route) int64 {
		t.Helper()
		m, _, err := s.st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: cid, Run: 1,
			ResidentID: r.ID, Channel: ch, Route: route})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	for i, code := range []string{"43004", "isv.MOBILE_NUMBER_ILLEGAL"} {
		ch, route := population.ChannelWeChat, outbound.RouteWeChatTemplate
		if i == 1 {
			ch, route = population.ChannelSMS, outbound.RouteSMS
		}
		if _, err := s.st.AdvanceMessage(ctx, msg(rs[i], ch, route), outbound.StatusFailed, outbound.Update{ProviderCode: code}); err != nil {
			t.Fatal(err)
		}
	}
	held := msg(rs[2], population.ChannelSMS, outbound.RouteSMS)
	if _, ok, err := s.st.ClaimMessage(ctx, held, time.Now()); err != nil || !ok {
		t.Fatalf("claim %d: %v, %v", held, ok, err)
	}
	if err := s.st.RescheduleMessage(ctx, held, time.Now().Add(10*time.Hour), "quiet_hours"); err != nil {
		t.Fatal(err)
	}
	if err := s.st.RecordAnswer(ctx, tickets.Answer{CampaignID: cid, ResidentID: rs[0].ID, Option: "1", Meaning: "报名"}); err != nil {
		t.Fatal(err)
	}
	do("the funnel fills", chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#camp-funnel [data-channel="sms"]`)))
	if got := b.text("#camp-funnel"); !strings.Contains(got, "未关注公众号（43004）：1 条") ||
		!strings.Contains(got, "号码无效（isv.MOBILE_NUMBER_ILLEGAL）：1 条") || !strings.Contains(got, "免打扰") {
		t.Errorf("the funnel says %q, want the failures in Chinese and the quiet hours", got)
	}
	if got := b.text("#camp-figures"); !strings.Contains(got, "失败 2") || !strings.Contains(got, "待发 1") {
		t.Errorf("the figures say %q, want 2 failed and 1 waiting", got)
	}
	// The sign-up workbook: downloaded on the page, and a valid workbook
	// with the sign-up masked when the API is asked with the same token.
	do("the sign-up workbook", chromedp.Click(chromedp.CSS("#camp-answers-xlsx")), chromedp.WaitVisible(chromedp.CSS("#camp-answers-file")))
	if got := b.text("#camp-answers-file"); !strings.Contains(got, "campaign-"+id+"-answers.xlsx") {
		t.Errorf("the download says %q", got)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+"/api/v1/campaigns/"+id+"/answers.xlsx", nil)
	req.Header.Set("Authorization", "Bearer "+officerTok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	x, err := excelize.OpenReader(res.Body)
	if err != nil {
		t.Fatalf("answers.xlsx (%d %s) is no workbook: %v", res.StatusCode, res.Header.Get("Content-Type"), err)
	}
	rows, err := x.GetRows("报名名单")
	if err != nil || len(rows) != 2 || rows[1][1] != rs[0].Name.Masked() || rows[1][2] != rs[0].Phone.Masked() || rows[1][5] != "报名" {
		t.Errorf("answers.xlsx rows = %q (%v), want the header and %s's masked sign-up", rows, err, rs[0].Name.Masked())
	}
	fits("campaign funnel")
	b.clean(device + "campaign")
	do("the list", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.camp-card[data-id="`+id+`"][data-state="scheduled"]`)))
	b.until("the funnel figures", `document.querySelector('#camp-fig-`+id+`').textContent.includes('目标')`)
	fits("campaign list")
	b.checkLog()
}

// In the trial mode (no users) the console names the maker in a
// campaign's owner and no one in a segment's preview: the audience is
// counted as it is typed and the draft is saved under the name typed at
// the start, with no field the API refuses.
func TestCampaignFormInTrialMode(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, false, 0)
	if err := s.st.SaveTemplates(t.Context(), population.ChannelSMS, []campaigns.Template{
		{Code: "SMS_900001", Content: "${name}您好，本周六社区举办技能培训。回T退订", Approved: true},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, s)
	b.do("open the console", chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "试用员"), chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.do("the form", chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns"), chromedp.WaitVisible(chromedp.CSS("#campaign-new")),
		chromedp.Click(chromedp.CSS("#campaign-new")), chromedp.WaitVisible(chromedp.CSS("#cf-segment")),
		chromedp.SendKeys(chromedp.CSS("#cf-segment"), "age:18..45"))
	b.until("the count while typing", `document.querySelector('#cf-count').dataset.count !== undefined`)
	b.do("the content",
		chromedp.SendKeys(chromedp.CSS("#cf-name"), "试用活动"),
		chromedp.SetValue(chromedp.CSS("#cf-policy"), "sms_only"),
		chromedp.SendKeys(chromedp.CSS("#cf-sms-code"), "SMS_900001"))
	b.until("the template's parameters filled in", `document.querySelector('#cf-sms-params').value.includes('name=')`)
	b.eval(`(() => { const e = document.querySelector('#cf-sms-params'); e.value = 'name={{resident.surname_title}}';
		e.dispatchEvent(new Event('input')); return true; })()`)
	b.do("save the draft", chromedp.Click(chromedp.CSS("#cf-submit")), chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="draft"]`)))
	cs, err := s.st.Campaigns(t.Context(), "", 10)
	if err != nil || len(cs) != 1 || cs[0].Owner != "试用员" {
		t.Fatalf("the campaigns stored: %+v, %v; want one draft by 试用员", cs, err)
	}
	b.checkLog()
}

// testSendAt is the officer's test send on campaign id's page: a number
// that is not a mobile one is refused before anything is sent; then the
// SMS, rendered for the made-up 张先生, goes to their phone as a test send
// on the ledger (not the campaign's), is handed to the queue, and its
// status follows on the page; the number is remembered for the tab.
func testSendAt(t *testing.T, s *site, b *tab, queued *recorder, id int64) {
	t.Helper()
	ctx := t.Context()
	b.do("the test send panel", chromedp.WaitVisible(chromedp.CSS("#ts-send")), chromedp.WaitVisible(chromedp.CSS("#ts-list h3")))
	if got := b.text("#ts-list"); !strings.Contains(got, "还可试发 5 次") || !strings.Contains(got, "还没有试发") {
		t.Errorf("before any test send the panel says %q", got)
	}
	b.do("a landline", chromedp.SendKeys(chromedp.CSS("#ts-phone"), "02088881234"), chromedp.Click(chromedp.CSS("#ts-send")),
		chromedp.WaitVisible(chromedp.CSS("#ts-error")))
	if got := b.text("#ts-error"); !strings.Contains(got, "11 位手机号") {
		t.Errorf("a landline is refused with %q", got)
	}
	if n := queued.count(); n != 0 {
		t.Errorf("a refused number queued %d messages", n)
	}
	b.eval(`document.querySelector('#ts-phone').value = '', true`)
	b.do("the officer's own phone", chromedp.SendKeys(chromedp.CSS("#ts-phone"), "13812345678"), chromedp.Click(chromedp.CSS("#ts-send")),
		chromedp.WaitVisible(chromedp.CSS("#ts-done")), chromedp.WaitVisible(chromedp.CSS("#ts-list .ts-send")))
	if b.eval(`document.querySelector('#ts-error').hidden`) != "true" {
		t.Errorf("the refusal still shows after a test send")
	}
	sends, err := s.st.TestSends(ctx, "李强", id, time.Now().Add(-time.Hour), 10)
	if err != nil || len(sends) != 1 {
		t.Fatalf("the ledger's test sends = %+v, %v; want one", sends, err)
	}
	m := sends[0]
	if m.Purpose != outbound.PurposeTest || m.CampaignID != 0 || m.ResidentID != 0 || m.To != "13812345678" ||
		!strings.HasPrefix(m.Text, "【网格通】张先生您好，李网格提醒") {
		t.Errorf("the test send on the ledger = %+v", m)
	}
	if got := b.text("#ts-done"); !strings.Contains(got, fmt.Sprintf("#%d", m.ID)) || !strings.Contains(got, "138****5678") ||
		!strings.Contains(got, m.Text) || strings.Contains(got, "13812345678") {
		t.Errorf("the page says %q, want message #%d to 138****5678 with its text", got, m.ID)
	}
	if n := queued.count(); n != 1 {
		t.Errorf("%d messages handed to the queue, want the test send", n)
	}
	if got := b.text("#ts-list"); !strings.Contains(got, "待发送") || !strings.Contains(got, "还可试发 4 次") {
		t.Errorf("the test sends say %q, want it pending and 4 left", got)
	}
	b.fits("test send")
	// The provider delivers it: the status follows.
	if _, ok, err := s.st.ClaimMessage(ctx, m.ID, time.Now()); err != nil || !ok {
		t.Fatalf("claim %d: %v, %v", m.ID, ok, err)
	}
	for _, st := range []outbound.Status{outbound.StatusSent, outbound.StatusDelivered} {
		if _, err := s.st.AdvanceMessage(ctx, m.ID, st, outbound.Update{ProviderID: "biz-1", ProviderCode: "DELIVRD"}); err != nil {
			t.Fatal(err)
		}
	}
	b.do("refresh", chromedp.Click(chromedp.CSS("#ts-refresh")),
		chromedp.WaitVisible(chromedp.CSS(`#ts-list .ts-send[data-status="delivered"]`)))
	if got := b.text("#ts-list"); !strings.Contains(got, "已送达") {
		t.Errorf("after delivery the test sends say %q", got)
	}
	b.clean("phone-campaign-test-send")
	// Not the campaign's: its funnel counts nothing yet.
	if f, err := s.st.Funnel(ctx, id); err != nil || f.Targeted != 0 || len(f.ByChannel) != 0 {
		t.Errorf("the campaign's funnel after a test send = %+v, %v", f, err)
	}
	// The number is remembered for the tab.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#ts-phone")))
	if got := b.eval(`document.querySelector('#ts-phone').value`); got != "13812345678" {
		t.Errorf("after a reload the phone field holds %q, want the number typed", got)
	}
}
