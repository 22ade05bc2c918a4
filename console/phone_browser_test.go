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

// TestWorkerPhoneInboxInBrowser drives the worker's screens at 390 px
// (a phone) and at 1280 px: a worker signs in, opens 我的工单, is asked
// for the worker code, then sees the ticket assigned to them and not the
// grid's unassigned one; 待认领 lists the unassigned one, and a new
// ticket arriving shows by itself on the next refresh (run at once here,
// not after 30 seconds), with the focus left where it was; an open ticket
// refreshes by itself keeping the reply being typed; on it the worker
// leaves an internal note (an empty one refused on the spot), which shows
// with their name and is sent to no one, and hands the ticket over to a
// colleague picked from the grid's workers (names masked); a search by
// text finds the ticket on the server. The page can be added to the home
// screen: it links a manifest served as application/manifest+json.
func TestWorkerPhoneInboxInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, vp := range []struct {
		name          string
		width, height int64
		phone         bool
	}{
		{"390px", 390, 844, true},
		{"1280px", 1280, 900, false},
	} {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			testWorkerScreens(t, vp.width, vp.height, vp.phone)
		})
	}
}

func testWorkerScreens(t *testing.T, width, height int64, phone bool) {
	s := newSite(t, true, 0)
	ctx := t.Context()
	wk, err := s.st.WorkerByID(ctx, s.ticket.AssigneeWorkerID)
	if err != nil {
		t.Fatalf("the ticket's worker: %v", err)
	}
	// The worker's account covers the community (the grid and those
	// around it); its grid leader is the one to hand tickets over to.
	g, err := s.st.Grid(ctx, wk.GridCode)
	if err != nil {
		t.Fatal(err)
	}
	mate, err := s.st.WorkerForGrid(ctx, wk.GridCode, population.RoleGridLeader)
	if err != nil || mate.ID == wk.ID {
		t.Fatalf("a colleague to hand over to: %+v, %v", mate, err)
	}
	tok := "console-token-phone-7c1e"
	if _, err := s.st.CreateUser(ctx, access.User{Name: "李娜", TokenSHA256: sha256.Sum256([]byte(tok)),
		Roles: []access.Role{access.RoleWorker}, Grids: []string{g.ParentCode}}); err != nil {
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
	screen := chromedp.EmulateViewport(width, height)
	if phone {
		screen = chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	do("the screen", screen, chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
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
	fits(b, phone, "我的工单")

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
	fits(b, phone, "待认领")
	do("focus on a ticket", chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"] a`, free))))
	arrived := unassigned("小区路口积水很深")
	b.eval(`GridCast.refreshNow().then(() => true)`)
	b.until("the new ticket shows by itself", fmt.Sprintf(`!!document.querySelector('#ticket-list tr[data-id="%d"]')`, arrived))
	if got := b.eval(`document.activeElement.getAttribute('href')`); got != fmt.Sprintf("#/tickets/%d", free) {
		t.Errorf("after the refresh the focus is on %q, want the ticket it was on", got)
	}
	if phone {
		b.screenshot("phone-unassigned")
	}

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
	fits(b, phone, "ticket")

	// 内部备注: an empty note is refused on the page; a note shows with
	// its author and time, and nothing is queued for the resident.
	queued := s.rec.count()
	do("an empty note",
		chromedp.WaitVisible(chromedp.CSS("#note-text")),
		chromedp.Click(chromedp.CSS("#note-add")),
		chromedp.WaitVisible(chromedp.CSS("#note-text-error")))
	const note = "已电话联系物业，明早派人来修"
	do("a note",
		chromedp.SendKeys(chromedp.CSS("#note-text"), note),
		chromedp.Click(chromedp.CSS("#note-add")),
		chromedp.WaitVisible(chromedp.CSS("#notes li")))
	if got := b.text("#notes li"); !strings.Contains(got, note) || !strings.Contains(got, "李娜") {
		t.Errorf("the note shows %q, want its text and author", got)
	}
	if got := b.eval(`document.querySelector('#notes li time').getAttribute('datetime') !== ''`); got != "true" {
		t.Errorf("the note has no time")
	}
	if n := s.rec.count(); n != queued {
		t.Errorf("a note queued %d messages, want none", n-queued)
	}
	fits(b, phone, "ticket with a note")

	// 转派 from a picker: the grid's workers, masked, the current one not
	// to be picked; the typed code stays as a fallback.
	do("the 转派 picker", chromedp.WaitReady(chromedp.CSS(`#reassign-pick option[value="`+mate.Code+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#reassign-code")))
	if got := b.eval(`document.querySelector('#reassign-pick option[value="` + wk.Code + `"]').disabled`); got != "true" {
		t.Errorf("the ticket's own worker can be picked: disabled %s", got)
	}
	if html := visible(b.ctx); strings.Contains(html, string(mate.Name)) || mate.Phone != "" && strings.Contains(html, string(mate.Phone)) {
		t.Errorf("the picker shows the colleague's name or phone in clear")
	}
	do("hand over",
		chromedp.SetValue(chromedp.CSS("#reassign-pick"), mate.Code),
		chromedp.Click(chromedp.CSS("#act-reassign")))
	b.until("handed over", `document.querySelector('#ticket-fields').textContent.includes('`+mate.Code+`')`)
	if got, err := s.st.Ticket(ctx, s.ticket.ID); err != nil || got.AssigneeWorkerID == wk.ID {
		t.Errorf("after 转派 the ticket is still %d's (%v)", got.AssigneeWorkerID, err)
	}
	if got := b.text("#notes li"); !strings.Contains(got, note) {
		t.Errorf("after 转派 the note shows %q", got)
	}
	fits(b, phone, "ticket handed over")

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
	fits(b, phone, "search")

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

// count is how many messages the desk queued so far.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// fits checks that the page is no wider than the screen: on a phone as
// tab.fits does (no sideways scrolling at 390 px), on a desktop likewise
// at its own width.
func fits(b *tab, phone bool, screen string) {
	b.t.Helper()
	if phone {
		b.fits(screen)
		return
	}
	if got := b.eval(`document.documentElement.scrollWidth <= window.innerWidth`); got != "true" {
		b.t.Errorf("%s: the page is wider than the screen", screen)
	}
}
