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

// TestDeliveryInBrowser drives 发送记录 on a phone-sized page (390 px): an
// officer finds a resident's failed message by the last four digits of
// their phone, sees it as a card with the phone masked and the provider's
// code said in Chinese, and the template sync status above; a tail too
// short is refused at the field; 导出Excel saves the records found as the
// API's workbook, phones masked; on a desktop the records are a table.
func TestDeliveryInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	ctx := t.Context()
	const officerToken = "console-officer-token-5d2a"
	if _, err := s.st.CreateUser(ctx, access.User{Name: "业务科", TokenSHA256: sha256.Sum256([]byte(officerToken)),
		Roles: []access.Role{access.RoleOfficer}, Grids: []string{access.All}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.st.ResidentByPhone(ctx, s.resident.Phone)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := s.st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeNotify, ResidentID: res.ID,
		Channel: population.ChannelSMS, Route: outbound.RouteSMS, To: string(res.Phone)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.st.ClaimMessage(ctx, m.ID, time.Now()); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := s.st.AdvanceMessage(ctx, m.ID, outbound.StatusFailed, outbound.Update{ProviderCode: "isv.MOBILE_NUMBER_ILLEGAL"}); !ok || err != nil {
		t.Fatalf("advance: %v %v", ok, err)
	}
	if err := s.st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{{Code: "SMS_1", Content: "a", Approved: true}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	tail := string(res.Phone)[len(res.Phone)-4:]

	b := openBrowser(t, s)
	b.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix+"#/delivery"))
	b.signIn(officerToken, "#delivery-filters")
	b.until("the template status", `!!document.querySelector('#template-status li[data-channel="sms"]')`)
	if got := b.text("#template-status"); !strings.Contains(got, "已通过审核 1 个") || !strings.Contains(got, "最近同步") {
		t.Errorf("the template status %q", got)
	}

	// A tail of two digits is refused at the field.
	b.do("a short tail", chromedp.SendKeys(chromedp.CSS("#dl-tail"), "12"), chromedp.Click(chromedp.CSS("#delivery-submit")))
	if got := b.eval(`document.querySelector('#dl-tail').getAttribute('aria-invalid')`); got != "true" {
		t.Errorf("a short tail: aria-invalid %q", got)
	}
	b.eval(`(() => { document.querySelector('#dl-tail').value = '` + tail + `'; document.querySelector('#dl-status').value = 'failed'; return ''; })()`)
	b.do("search by the tail", chromedp.Click(chromedp.CSS("#delivery-submit")))
	card := fmt.Sprintf(`#delivery-list li[data-id="%d"]`, m.ID)
	b.until("the message listed", `!!document.querySelector('`+card+`')`)
	got := b.text(card)
	if !strings.Contains(got, res.Phone.Masked()) || !strings.Contains(got, "isv.MOBILE_NUMBER_ILLEGAL 号码格式错误") ||
		!strings.Contains(got, "发送失败") || !strings.Contains(got, "工单通知") {
		t.Errorf("the card %q: want the masked phone, the code and its reason, the status and the purpose", got)
	}
	if body := b.text("main"); strings.Contains(body, string(res.Phone)) {
		t.Errorf("the page shows the phone in clear")
	}
	if v := b.eval(`getComputedStyle(document.querySelector('#delivery-table')).display`); v != "none" {
		t.Errorf("the table shows on a phone: display %q", v)
	}
	b.fits("delivery")
	b.screenshot("delivery")

	// 导出Excel: the records of the filters shown, as the API's workbook,
	// the phone masked there too.
	file, wb := b.exportXLSX("export the records", "#delivery-export")
	rows := wb["发送记录"]
	if !strings.HasPrefix(file, "发送记录-") || len(rows) != 2 || len(rows[1]) < 7 || rows[1][1] != res.Phone.Masked() ||
		rows[1][5] != "isv.MOBILE_NUMBER_ILLEGAL" || rows[1][6] != "号码格式错误" {
		t.Errorf("the export %q: %v; want the failed message alone, its phone masked", file, rows)
	}
	for _, r := range rows {
		if strings.Contains(strings.Join(r, " "), string(res.Phone)) {
			t.Errorf("the workbook shows the phone in clear: %v", r)
		}
	}

	// On a desktop the same records are a table.
	b.do("a desktop's screen", chromedp.EmulateViewport(1280, 800))
	if v := b.eval(`getComputedStyle(document.querySelector('#delivery-table')).display`); v != "table" {
		t.Errorf("the table on a desktop: display %q", v)
	}
	if got := b.text(fmt.Sprintf(`#delivery-table tr[data-id="%d"]`, m.ID)); !strings.Contains(got, res.Phone.Masked()) {
		t.Errorf("the table's row %q: want the masked phone", got)
	}
}
