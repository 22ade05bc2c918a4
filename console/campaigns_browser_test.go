package console_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// On a phone, an officer makes a campaign, seeing the audience counted as
// the expression is typed; a checker finds it in the approval queue and
// approves it; the officer sends it, and its page shows each state. A
// mistyped expression is refused at its column, and the checker is not
// offered sending nor the maker approving.
func TestCampaignsInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	ctx := t.Context()
	user := func(name string, roles ...access.Role) string {
		t.Helper()
		tok := "console-token-" + fmt.Sprintf("%x", sha256.Sum256([]byte(name)))[:16]
		if _, err := s.st.CreateUser(ctx, access.User{Name: name, TokenSHA256: sha256.Sum256([]byte(tok)), Roles: roles,
			Grids: []string{access.All}}); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	officerTok := user("李强", access.RoleOfficer)
	checkerTok := user("张敏", access.RoleChecker)
	// The template as `gridcast templates sync` keeps it.
	if err := s.st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{
		{Code: "SMS_900001", Content: "${name}您好，${worker}提醒：本周六社区举办技能培训，${hint}。回T退订", Approved: true},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	const expr = "age:18..45"

	b := openBrowser(t, s)
	do := b.do
	do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))

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
	b.fits("campaign form")
	b.clean("phone-campaign-form")

	b.eval(`(() => { const s = document.querySelector('#cf-policy'); s.value = 'sms_only'; s.dispatchEvent(new Event('change')); return true; })()`)
	do("the content",
		chromedp.SendKeys(chromedp.CSS("#cf-name"), "周六技能培训"),
		chromedp.SetValue(chromedp.CSS("#cf-kind"), "training_notice"),
		chromedp.SendKeys(chromedp.CSS("#cf-sms-code"), "SMS_900001"))
	b.until("the template's parameters filled in", `document.querySelector('#cf-sms-params').value.includes('worker=')`)
	if got := b.text("#cf-sms-check"); !strings.Contains(got, "缺少参数") {
		t.Errorf("an empty mapping: the check says %q, want the missing parameters", got)
	}
	b.eval("(() => { const p = document.querySelector('#cf-sms-params'); p.value = 'name={{resident.surname_title}}\\nworker={{worker.name}}\\nhint=回复1报名'; p.dispatchEvent(new Event('input')); return true; })()")
	do("reply options", chromedp.SendKeys(chromedp.CSS("#cf-replies"), "1=报名"))
	b.until("the mapping fits", `document.querySelector('#cf-sms-check').textContent.includes('参数齐全')`)
	if got := b.text("#cf-sms-meter"); !strings.Contains(got, "约 1 条计费") {
		t.Errorf("the SMS meter says %q, want one part", got)
	}
	do("save the draft", chromedp.Click(chromedp.CSS("#cf-submit")),
		chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="draft"]`)))
	id := b.eval(`location.hash.split('/')[2]`)
	if b.eval(`!!document.querySelector('#camp-approve')`) != "false" {
		t.Errorf("the maker is offered approving their own campaign")
	}
	// Sending before the approval: refused, in Chinese, and still a draft.
	do("send unapproved", chromedp.Click(chromedp.CSS("#camp-send")), chromedp.WaitVisible(chromedp.CSS("#error-message")))
	if got := b.text("#error-message"); !strings.Contains(got, "须先由另一位工作人员审核通过") {
		t.Errorf("sending unapproved says %q, want the approval rule in Chinese", got)
	}
	if got := b.eval(`document.querySelector('.camp-state [data-state]').dataset.state`); got != "draft" {
		t.Errorf("after the refusal the page says %s, want draft", got)
	}
	b.fits("campaign page")
	b.signOut()

	// The checker: the queue first, then approve; no sending.
	b.signIn(checkerTok, "#main")
	do("the queue", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"]`)))
	b.fits("approval queue")
	do("open and approve", chromedp.Click(chromedp.CSS(`#approval-queue .camp-card[data-id="`+id+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#camp-approve")))
	if b.eval(`!!document.querySelector('#camp-send')`) != "false" {
		t.Errorf("a checker is offered sending")
	}
	do("approve with a comment", chromedp.SendKeys(chromedp.CSS("#camp-comment"), "内容已核对"),
		chromedp.Click(chromedp.CSS("#camp-approve")), chromedp.WaitVisible(chromedp.CSS("#camp-approved")))
	if got := b.text("#camp-events"); !strings.Contains(got, "张敏 审核通过") || !strings.Contains(got, "内容已核对") {
		t.Errorf("the record says %q, want 张敏's approval with the comment", got)
	}
	b.signOut()

	// The officer sends it: scheduled, on the record with its audience.
	b.signIn(officerTok, "#main")
	do("open it", chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns/"+id), chromedp.WaitVisible(chromedp.CSS("#camp-send")))
	do("send", chromedp.Click(chromedp.CSS("#camp-send")),
		chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="scheduled"]`)))
	if got := b.text("#camp-events"); !strings.Contains(got, "草稿 → 已排期") || !strings.Contains(got, fmt.Sprintf("受众 %d 人", n)) {
		t.Errorf("the record says %q, want the move to 已排期 with the audience", got)
	}
	if got := b.text("#notice"); !strings.Contains(got, "已提交发送") {
		t.Errorf("the notice says %q", got)
	}
	b.fits("campaign sent")

	// The workers' first results, as the ledger keeps them: two failures
	// with the providers' codes and one message held for quiet hours.
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
	do("the funnel fills", chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#camp-funnel [data-channel="sms"]`)))
	if got := b.text("#camp-funnel"); !strings.Contains(got, "未关注公众号（43004）：1 条") ||
		!strings.Contains(got, "号码无效（isv.MOBILE_NUMBER_ILLEGAL）：1 条") || !strings.Contains(got, "免打扰") {
		t.Errorf("the funnel says %q, want the failures in Chinese and the quiet hours", got)
	}
	if got := b.text("#camp-figures"); !strings.Contains(got, "失败 2") || !strings.Contains(got, "待发 1") {
		t.Errorf("the figures say %q, want 2 failed and 1 waiting", got)
	}
	b.fits("campaign funnel")
	b.clean("phone-campaign")
	do("the list", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.camp-card[data-id="`+id+`"][data-state="scheduled"]`)))
	b.until("the funnel figures", `document.querySelector('#camp-fig-`+id+`').textContent.includes('目标')`)
	b.fits("campaign list")

	// On a desktop the same screens, with nothing sticking out.
	do("a desktop's screen", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.srv.URL+console.Prefix+"#/campaigns/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#camp-funnel [data-channel="sms"]`)))
	if got := b.eval(`document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 1280`); got != "true" {
		t.Errorf("at 1280 px the campaign page is %s px wide", b.eval(`document.documentElement.scrollWidth`))
	}
	b.screenshot("desktop-campaign")
	b.checkLog()
}
