package console_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// A grid worker signs in with the name and password their administrator
// set, on a phone (390 px) and on a desktop (1280 px): a wrong password
// is refused in Chinese without saying whether the name exists; signed
// in, they see the tickets of their own grid only and start one (the
// change carries the session's CSRF token); the session survives a reload
// and is out of the page scripts' reach (HttpOnly); they change their
// password; signing out ends the session on the server.
func TestPasswordSignInInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { testPasswordSignIn(t, width) })
	}
}

func testPasswordSignIn(t *testing.T, width int) {
	s := newSite(t, true, 3, withSessions())
	ctx := t.Context()
	grid := s.ticket.GridCode
	u, err := s.st.CreateUser(ctx, access.User{Name: "李娜", TokenSHA256: sha256.Sum256([]byte("login-test-" + fmt.Sprint(width))),
		Roles: []access.Role{access.RoleWorker}, Grids: []string{grid}})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "巡查走访 2026 春"
	hash, err := access.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.SetPassword(ctx, u.ID, hash); err != nil {
		t.Fatal(err)
	}
	// A ticket of another grid, which the worker must not see.
	var parent, level string
	if err := s.st.DB().QueryRowContext(ctx, `SELECT parent_code, level FROM grids WHERE code = ?`, grid).Scan(&parent, &level); err != nil {
		t.Fatal(err)
	}
	other := parent + "-99"
	if err := s.st.UpsertGrids(ctx, []population.Grid{{Code: other, Name: "邻近网格", Level: population.Level(level), ParentCode: parent}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	elsewhere := tickets.Ticket{ResidentID: s.resident.ID, GridCode: other, Channel: population.ChannelSMS, Text: "别的网格：路灯不亮",
		Category: tickets.CategoryCityManagement, DueAt: now.Add(48 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateTicket(ctx, &elsewhere, tickets.Event{At: now, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}

	b := openBrowser(t, s)
	viewport := chromedp.EmulateViewport(int64(width), 900)
	if width == 390 {
		viewport = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	b.do("open the console", viewport, chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#login-name")))
	if got := b.eval(`document.querySelector('#token-signin').open`); got != "false" {
		t.Errorf("the access token's form is open beside the password form: %s", got)
	}
	if width == 390 {
		b.fits("the sign-in")
	}
	b.screenshot(fmt.Sprintf("login-%d", width))
	b.do("a wrong password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), "李娜"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "not the password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := b.text("#error"); !strings.Contains(got, "用户名或密码错误") {
		t.Errorf("a wrong password says %q; want 用户名或密码错误", got)
	}
	if got := b.eval(`document.querySelector('#login-password').value`); got != "" {
		t.Errorf("the wrong password stays in the field: %q", got)
	}
	b.do("the right password",
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.until("the worker is named", `document.querySelector('#who-label').textContent.includes('李娜')`)
	if got := b.eval(`document.cookie.includes('gridcast_session')`); got != "false" {
		t.Error("the page's scripts can read the session cookie: it must be HttpOnly")
	}
	b.until("the inbox lists tickets", `document.querySelectorAll('a[href^="#/tickets/"]').length > 0`)
	ids := b.eval(`[...document.querySelectorAll('a[href^="#/tickets/"]')].map((a) => a.getAttribute('href').split('/')[2].split('?')[0]).join(',')`)
	found := false
	for _, id := range strings.Split(ids, ",") {
		tk, err := s.st.Ticket(ctx, mustInt(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if tk.GridCode != grid {
			t.Errorf("the worker of %s is shown ticket %d of %s", grid, tk.ID, tk.GridCode)
		}
		found = found || tk.ID == s.ticket.ID
	}
	if strings.Contains(","+ids+",", fmt.Sprintf(",%d,", elsewhere.ID)) {
		t.Errorf("the inbox lists ticket %d of grid %s", elsewhere.ID, other)
	}
	if !found {
		t.Errorf("ticket %d of the worker's grid is not in their inbox (%s)", s.ticket.ID, ids)
	}

	// An action from the session: the page sends the CSRF token.
	b.do("start the ticket",
		chromedp.Navigate(fmt.Sprintf("%s%s#/tickets/%d", s.srv.URL, console.Prefix, s.ticket.ID)),
		chromedp.WaitVisible(chromedp.CSS("#act-start")),
		chromedp.Click(chromedp.CSS("#act-start")))
	b.until("the ticket is in progress", `document.body.textContent.includes('处理中')`)
	if tk, err := s.st.Ticket(ctx, s.ticket.ID); err != nil || tk.Status != tickets.StatusInProgress {
		t.Errorf("the ticket after 开始处理: %s, %v; want in progress", tk.Status, err)
	}

	// A reload keeps the session.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.until("still signed in", `document.querySelector('#who-label').textContent.includes('李娜') && !document.querySelector('#login-name')`)

	const pw2 = "新的密码 2026 冬"
	b.do("change the password",
		chromedp.Click(chromedp.CSS("#password-link")),
		chromedp.WaitVisible(chromedp.CSS("#pw-current")),
		chromedp.SendKeys(chromedp.CSS("#pw-current"), pw),
		chromedp.SendKeys(chromedp.CSS("#pw-new"), pw2),
		chromedp.SendKeys(chromedp.CSS("#pw-again"), pw2),
		chromedp.Click(chromedp.CSS("#pw-submit")))
	b.until("the change is confirmed", `document.querySelector('#notice').textContent.includes('密码已修改')`)
	if width == 390 {
		b.fits("after the password change")
	}

	b.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#login-name")))
	b.until("the server ended the session", `fetch('/api/v1/me').then((r) => r.status === 401)`)
	b.do("sign in with the new password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), "李娜"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw2),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.until("signed in again", `document.querySelector('#who-label').textContent.includes('李娜')`)
	b.checkLog()
}

// An administrator, on a server that signs in with passwords, creates a
// worker linked to the grid worker they are, sets their first password
// and ends their lockout from the user's card; the worker then signs in
// with that password and 走访 opens on their own register.
func TestAdminSetsPasswordInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0, withSessions())
	ctx := t.Context()
	const adminToken = "console-admin-token-pw-51e0"
	if _, err := s.st.CreateUser(ctx, access.User{Name: "系统管理员", TokenSHA256: sha256.Sum256([]byte(adminToken)),
		Roles: []access.Role{access.RoleAdmin}, Grids: []string{access.All}}); err != nil {
		t.Fatal(err)
	}
	wk, err := s.st.WorkerByID(ctx, s.ticket.AssigneeWorkerID)
	if err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, s)
	b.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix+"#/admin"), chromedp.WaitVisible(chromedp.CSS("#login-name")),
		chromedp.Click(chromedp.CSS("#token-signin summary")))
	b.signIn(adminToken, "#new-user")
	b.do("create a linked worker",
		chromedp.SendKeys(chromedp.CSS("#nu-name"), "赵敏"),
		chromedp.Click(chromedp.CSS("#nu-role-worker")),
		chromedp.SendKeys(chromedp.CSS("#nu-grids"), wk.GridCode),
		chromedp.SendKeys(chromedp.CSS("#nu-worker"), wk.Code),
		chromedp.Click(chromedp.CSS("#nu-submit")),
		chromedp.WaitVisible(chromedp.CSS("#issued-token")),
		chromedp.Click(chromedp.CSS("#issued-done")))
	card := `#user-list li[data-name="赵敏"]`
	b.until("the new user listed with the worker code", `(document.querySelector('`+card+` .worker-code') || {}).textContent === '`+wk.Code+`'`)
	const pw = "网格走访 secure 2026"
	b.do("set the password",
		chromedp.Click(chromedp.CSS(card+` .user-login summary`)),
		chromedp.SendKeys(chromedp.CSS(card+` input[name="password"]`), pw),
		chromedp.Click(chromedp.CSS(card+` button[data-act="password"]`)))
	b.until("the password set", `document.querySelector('#notice').textContent.includes('设置密码')`)
	u, cred, err := s.st.LoginCredentials(ctx, "赵敏")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := access.VerifyPassword(cred.PasswordHash, pw); !ok || u.WorkerCode != wk.Code {
		t.Fatalf("赵敏 after the admin's changes: password set %v, worker %q; want %q", ok, u.WorkerCode, wk.Code)
	}
	p := access.DefaultLoginPolicy()
	for range p.MaxFailures {
		if _, err := s.st.RecordLoginFailure(ctx, u.ID, time.Now(), p); err != nil {
			t.Fatal(err)
		}
	}
	b.do("unlock",
		chromedp.Click(chromedp.CSS(card+` .user-login summary`)),
		chromedp.Click(chromedp.CSS(card+` button[data-act="unlock"]`)))
	b.until("unlocked", `document.querySelector('#notice').textContent.includes('解除锁定')`)
	if _, cred, _ = s.st.LoginCredentials(ctx, "赵敏"); cred.Locked(time.Now()) {
		t.Error("still locked after 解除锁定")
	}
	b.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#login-name")))
	b.do("the worker signs in",
		chromedp.SendKeys(chromedp.CSS("#login-name"), "赵敏"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.do("走访", chromedp.Click(chromedp.CSS(`#nav a[data-nav="visits"]`)))
	b.until("the register of the linked worker, no code asked", `document.body.textContent.includes('`+wk.Code+`')`)
	b.checkLog()
}
