package console_test

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// TestWorkerPhoneInboxInBrowser drives the worker's phone at 390 px: a
// worker signs in, opens 我的工单, is asked for the worker code, then
// sees the ticket assigned to them and not the grid's unassigned one;
// 待认领 lists the unassigned one, and a new ticket arriving shows by
// itself on the next refresh (run at once here, not after 30 seconds),
// with the focus left where it was; an open ticket refreshes by itself
// keeping the reply being typed; a search by text finds the ticket on the
// server. The page can be added to the home
// screen: it links a manifest served as application/manifest+json.
func TestWorkerPhoneInboxInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	ctx := t.Context()
	wk, err := s.st.WorkerByID(ctx, s.ticket.AssigneeWorkerID)
	if err != nil {
		t.Fatalf("the ticket's worker: %v", err)
	}
	tok := "console-token-phone-7c1e"
	if _, err := s.st.CreateUser(ctx, access.User{Name: "李娜", TokenSHA256: sha256.Sum256([]byte(tok)),
		Roles: []access.Role{access.RoleWorker}, Grids: []string{wk.GridCode}}); err != nil {
		t.Fatal(err)
	}
	unassigned := func(text string) int64 {
		t.Helper()
		now := time.Now()
		tk := tickets.Ticket{ResidentID: s.resident.ID, GridCode: s.ticket.GridCode, Channel: population.ChannelSMS, Text: text,
			Category: tickets.CategoryCityManagement, DueAt: now.Add(48 * time.Hour), CreatedAt: now, UpdatedAt: now}
		if err := s.st.CreateTicket(ctx, &tk, tickets.Event{At: now, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	free := unassigned("井盖松了，晚上看不见")

	b := openBrowser(t, s)
	do := b.do
	do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.signIn(tok, "#tab-mine")

	// No worker code on this phone yet: 我的工单 asks for it.
	do("我的工单, no code yet",
		chromedp.Click(chromedp.CSS("#tab-mine")),
		chromedp.WaitVisible(chromedp.CSS("#mine-worker")),
		chromedp.Click(chromedp.CSS("#mine-apply")),
		chromedp.WaitVisible(chromedp.CSS("#mine-worker-error")))
	do("我的工单",
		chromedp.SendKeys(chromedp.CSS("#mine-worker"), strings.ToLower(wk.Code)),
		chromedp.Click(chromedp.CSS("#mine-apply")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-list tr[data-id]")))
	if got := b.eval(`document.querySelector('#ticket-list tr[data-id]').dataset.id`); got != fmt.Sprint(s.ticket.ID) {
		t.Errorf("我的工单 starts with ticket %s, want the worker's %d", got, s.ticket.ID)
	}
	if n := b.eval(fmt.Sprintf(`document.querySelectorAll('#ticket-list tr[data-id="%d"]').length`, free)); n != "0" {
		t.Errorf("我的工单 lists the unassigned ticket %d", free)
	}
	if got := b.eval(`document.querySelector('#tab-mine').getAttribute('aria-current')`); got != "page" {
		t.Errorf("the 我的工单 tab is not marked current: %s", got)
	}
	b.fits("我的工单")

	// The inbox now opens on 我的工单 by itself: the phone keeps the code.
	do("the inbox again",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/tickets'`),
		chromedp.WaitVisible(chromedp.CSS("#mine-worker")))
	b.until("我的工单 by default", `document.querySelector('#screen-title').textContent === '我的工单'`)

	// 待认领: the unassigned one only; a new one shows on the next refresh.
	do("待认领",
		chromedp.Click(chromedp.CSS("#tab-open")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"]`, free))))
	if n := b.eval(fmt.Sprintf(`document.querySelectorAll('#ticket-list tr[data-id="%d"]').length`, s.ticket.ID)); n != "0" {
		t.Errorf("待认领 lists the assigned ticket %d", s.ticket.ID)
	}
	b.fits("待认领")
	do("focus on a ticket", chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"] a`, free))))
	arrived := unassigned("小区路口积水很深")
	b.eval(`GridCast.refreshNow().then(() => true)`)
	b.until("the new ticket shows by itself", fmt.Sprintf(`!!document.querySelector('#ticket-list tr[data-id="%d"]')`, arrived))
	if got := b.eval(`document.activeElement.getAttribute('href')`); got != fmt.Sprintf("#/tickets/%d", free) {
		t.Errorf("after the refresh the focus is on %q, want the ticket it was on", got)
	}
	b.screenshot("phone-unassigned")

	// An open ticket refreshes by itself too, keeping the reply being typed.
	do("the worker's ticket",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/tickets/%d'`, s.ticket.ID)),
		chromedp.WaitVisible(chromedp.CSS("#reply-text")),
		chromedp.SendKeys(chromedp.CSS("#reply-text"), "正在联系物业"))
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/tickets/%d/start", s.srv.URL, s.ticket.ID), strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("start the ticket from elsewhere: %d", res.StatusCode)
	}
	b.eval(`GridCast.refreshNow().then(() => true)`)
	b.until("the ticket shows it started", `!!document.querySelector('#ticket-status[data-status="in_progress"]')`)
	if got := b.eval(`document.querySelector('#reply-text').value`); got != "正在联系物业" {
		t.Errorf("after the refresh the reply holds %q, want what was typed", got)
	}
	if got := b.eval(`document.activeElement.id`); got != "reply-text" {
		t.Errorf("after the refresh the focus is on %q, want the reply", got)
	}
	b.fits("ticket")

	// Search from the phone: by the text, on the server, across 全部.
	do("search",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/tickets?tab=open'`),
		chromedp.WaitVisible(chromedp.CSS("#phone-q")),
		chromedp.SendKeys(chromedp.CSS("#phone-q"), "井盖"),
		chromedp.Click(chromedp.CSS("#phone-search-go")),
		chromedp.WaitVisible(chromedp.CSS("#f-q")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"]`, free))))
	if n := b.eval(`document.querySelectorAll('#ticket-list tr[data-id]').length`); n != "1" {
		t.Errorf("searching 井盖 lists %s tickets, want 1", n)
	}
	if got := b.eval(`document.querySelector('#tab-all').getAttribute('aria-current')`); got != "page" {
		t.Errorf("the search shows under 全部: aria-current %s", got)
	}
	b.fits("search")

	// Home screen: the page links the manifest, served with its type.
	if got := b.eval(`document.querySelector('link[rel="manifest"]').getAttribute('href')`); got != "manifest.webmanifest" {
		t.Errorf("the manifest link is %q", got)
	}
	res, err = http.Get(s.srv.URL + console.Prefix + "manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "application/manifest+json" {
		t.Errorf("manifest: %d %s", res.StatusCode, ct)
	}
	b.checkLog()
}
