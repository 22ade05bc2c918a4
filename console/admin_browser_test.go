package console_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/console"
)

// TestAdminInBrowser drives the administration screens on a phone-sized
// page (390 px): the city's administrator creates a worker, copies the
// token shown once, and the worker signs in with it in a fresh tab at
// once; the administrator disables the worker and the worker's next
// request is refused; the audit log shows the creation, filtered, and
// exports the filtered entries as the API's workbook.
func TestAdminInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	const adminToken = "console-admin-token-7c1e"
	if _, err := s.st.CreateUser(t.Context(), access.User{Name: "系统管理员", TokenSHA256: sha256.Sum256([]byte(adminToken)),
		Roles: []access.Role{access.RoleAdmin}, Grids: []string{access.All}}); err != nil {
		t.Fatal(err)
	}
	grid := s.resident.GridCode
	b := openBrowser(t, s)
	b.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix+"#/admin"))
	b.signIn(adminToken, "#new-user")
	b.until("the users listed", `!!document.querySelector('#user-list li[data-name="王芳"]')`)
	b.fits("users")

	// A name left empty is refused at the field, and nothing is created.
	b.do("create without a name", chromedp.Click(chromedp.CSS("#nu-submit")))
	if got := b.eval(`document.querySelector('#nu-name').getAttribute('aria-invalid')`); got != "true" {
		t.Errorf("an empty name: aria-invalid %q", got)
	}
	b.do("create a worker",
		chromedp.SendKeys(chromedp.CSS("#nu-name"), "赵敏"),
		chromedp.Click(chromedp.CSS("#nu-role-worker")),
		chromedp.SendKeys(chromedp.CSS("#nu-grids"), grid),
		chromedp.Click(chromedp.CSS("#nu-submit")),
		chromedp.WaitVisible(chromedp.CSS("#issued-token")))
	token := b.eval(`document.querySelector('#issued-token').value`)
	if len(token) < 40 {
		t.Fatalf("the token shown is %q", token)
	}
	if got := b.text("#issued"); !strings.Contains(got, "只显示这一次") {
		t.Errorf("the token box %q does not warn it is shown once", got)
	}
	b.do("copy the token", chromedp.Click(chromedp.CSS("#copy-token")))
	b.until("the copy answered", `document.querySelector('#notice').textContent.includes('令牌')`)
	b.until("the new user listed", `!!document.querySelector('#user-list li[data-name="赵敏"]')`)
	if got := b.text(`#user-list li[data-name="赵敏"]`); !strings.Contains(got, "网格员") || !strings.Contains(got, grid) || !strings.Contains(got, "启用") {
		t.Errorf("the new user's card %q: want the role, the grid and 启用", got)
	}
	b.fits("token issued")
	b.screenshot("admin-users")

	// The worker signs in with it in a fresh tab, at once.
	ctx2, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	// The first run opens the tab, with no deadline (a deadline would
	// close it when it passed).
	if err := chromedp.Do(ctx2); err != nil {
		t.Fatal(err)
	}
	w := &tab{t: t, s: s, ctx: ctx2}
	w.do("open the console", chromedp.Navigate(s.srv.URL+console.Prefix))
	w.signIn(token, "#who")
	w.until("the worker named", `document.querySelector('#who-label').textContent.includes('赵敏（网格员）')`)

	// Disabled: the next request of the worker is refused.
	card := `#user-list li[data-name="赵敏"]`
	b.do("disable", chromedp.Click(chromedp.CSS(card+` button[data-act="disable"]`)))
	if got := b.text(card + ` button[data-act="disable"]`); !strings.Contains(got, "确认停用") {
		t.Errorf("the first press shows %q, want it to ask again", got)
	}
	b.do("confirm", chromedp.Click(chromedp.CSS(card+` button[data-act="disable"]`)))
	b.until("the card says disabled", `(document.querySelector('#user-list li[data-name="赵敏"]') || {textContent: ''}).textContent.includes('已停用')`)
	w.do("the worker's next request", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#error[data-status="401"]`)), chromedp.WaitVisible(chromedp.CSS("#token")))

	// The audit log shows who created whom.
	b.do("the audit log", chromedp.Navigate(s.srv.URL+console.Prefix+"#/admin/audit"), chromedp.WaitVisible(chromedp.CSS("#audit-filters")))
	b.do("filter by action",
		chromedp.SetValue(chromedp.CSS("#au-action"), "user.create"),
		chromedp.Click(chromedp.CSS("#audit-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#audit-list li[data-action="user.create"]`)))
	if got := b.text("#audit-list"); !strings.Contains(got, "user:赵敏") || !strings.Contains(got, "系统管理员") || strings.Contains(got, "停用") {
		t.Errorf("the audit log filtered to user.create shows %q", got)
	}
	if n := b.eval(`document.querySelectorAll('#audit-list li').length`); n != "1" {
		t.Errorf("%s entries under user.create, want 1", n)
	}
	b.do("all actions",
		chromedp.SetValue(chromedp.CSS("#au-action"), ""),
		chromedp.SendKeys(chromedp.CSS("#au-subject"), "user:赵敏"),
		chromedp.Click(chromedp.CSS("#audit-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#audit-list li[data-action="user.revoke"]`)))
	b.fits("audit")
	b.screenshot("admin-audit")

	// 导出Excel: the entries of the filters shown, every page of them.
	file, wb := b.exportXLSX("export the audit log", "#audit-export")
	rows := wb["审计日志"]
	if !strings.HasPrefix(file, "审计日志-") || len(rows) < 3 || rows[0][0] != "序号" {
		t.Errorf("the export %q: %v; want the header and 赵敏's entries", file, rows)
	}
	for _, r := range rows[1:] {
		if len(r) < 7 || r[6] != "user:赵敏" {
			t.Errorf("an exported entry %v is not of user:赵敏", r)
		}
	}

	// A resident's page from the API: their ticket and messages, masked
	// for the city's administrator.
	b.do("the resident's page", chromedp.Navigate(fmt.Sprintf("%s%s#/residents/%d", s.srv.URL, console.Prefix, s.ticket.ResidentID)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#resident-tickets li[data-id="%d"]`, s.ticket.ID))),
		chromedp.WaitVisible(chromedp.CSS("#resident-messages")), chromedp.WaitVisible(chromedp.CSS("#resident-household")))
	if got := b.text("#screen-title"); !strings.Contains(got, s.resident.Name.Masked()) {
		t.Errorf("the resident's page is titled %q, want the masked name", got)
	}
	if got := b.text("#resident-messages"); !strings.Contains(got, "受理回执") {
		t.Errorf("the messages %q lack the acknowledgement", got)
	}
	b.clean("resident page")
	b.fits("resident page")
	b.checkLog()
	w.checkLog()
}
