package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// TestEventToDepartmentInBrowser drives issue 12's screens on a phone-sized
// page (390 px) and on a desktop (1280 px) against the real server: a grid worker reports an event
// with a photo taken on the spot and their position; the ticket shows its
// source, place and thumbnail; a street user flags it 督办 and dispatches
// it to 城管; 城管's user finds it among their tasks, accepts it and
// resolves it with feedback; the ticket then shows resolved and the
// feedback. On the way, the refusals: a photo the API refuses (named at
// the photo field, nothing filed), a description left out, a position
// refused, a deadline in the past, feedback left out, and a step on a task
// someone else moved meanwhile — each in Chinese, where it belongs, losing
// nothing typed.
func TestEventToDepartmentInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			eventToDepartment(t, vp)
		})
	}
}

func eventToDepartment(t *testing.T, vp viewport) {
	s := newSite(t, true, 0)
	ctx := t.Context()
	grid := s.resident.GridCode
	street := ancestor(t, s.st, grid, population.LevelStreet)
	workerTok := s.user(t, "刘洋", access.User{Roles: []access.Role{access.RoleWorker}, Grids: []string{grid}})
	streetTok := s.user(t, "陈静", access.User{Roles: []access.Role{access.RoleWorker}, Grids: []string{street}})
	deptTok := s.user(t, "赵刚", access.User{Roles: []access.Role{access.RoleDepartment}, Department: "chengguan"})

	dir := t.TempDir()
	good, bad := filepath.Join(dir, "井盖.png"), filepath.Join(dir, "bad.png")
	pic := testPNG(t, 64, 48)
	if err := os.WriteFile(good, pic, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("this is not a picture at all"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := openBrowser(t, s)
	fits := func(screen string) { t.Helper(); b.fitsWidth(screen, vp.w) }
	shot := func(name string) { b.screenshot(vp.shot(name)) }
	do, text := b.do, b.text
	do("the screen", vp.emulate(),
		chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))

	// The worker of the grid: 上报事件 is offered, 部门待办 is not.
	b.signIn(workerTok, "#ticket-list")
	fits("inbox")
	shot("phone-inbox")
	if hidden := b.eval(`document.querySelector('#nav a[data-nav="tasks"]').hidden`); hidden != "true" {
		t.Errorf("a grid worker is offered 部门待办")
	}
	do("open the report form",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="report"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ev-text")))
	if got := b.eval(`document.querySelector('#ev-grid').value`); got != grid {
		t.Errorf("the grid field holds %q, want the worker's grid %s", got, grid)
	}
	fits("report")

	// No description: refused at the field before anything is sent.
	do("report without a description",
		chromedp.Click(chromedp.CSS("#ev-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ev-text-error")))
	if got := text("#ev-text-error"); !strings.Contains(got, "请填写事件描述") {
		t.Errorf("no description: the field says %q", got)
	}

	// The position: refused first, then given.
	b.permission(cdpbrowser.PermissionSettingDenied)
	do("locate, refused",
		chromedp.Click(chromedp.CSS("#ev-locate")),
		chromedp.WaitVisible(chromedp.CSS(`#ev-location-status[data-state="refused"]`)))
	if got := text("#ev-location-status"); !strings.Contains(got, "定位被拒绝") || !strings.Contains(got, "填写地址") {
		t.Errorf("a refused position says %q", got)
	}
	b.permission(cdpbrowser.PermissionSettingGranted)
	lat, lng, acc := 30.692381, 111.286425, 12.0
	do("locate",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc})
			return err
		}),
		chromedp.Click(chromedp.CSS("#ev-locate")),
		chromedp.WaitVisible(chromedp.CSS(`#ev-location-status[data-state="located"]`)))
	if got := text("#ev-location-status"); !strings.Contains(got, "30.692381") || !strings.Contains(got, "111.286425") {
		t.Errorf("the position says %q", got)
	}

	desc := "小区东门外人行道井盖缺失，夜间有行人踩空的危险"
	do("fill in the event",
		chromedp.SendKeys(chromedp.CSS("#ev-text"), desc),
		chromedp.SetValue(chromedp.CSS("#ev-category"), "city_management"),
		chromedp.Click(chromedp.CSS("#ev-source-hotline")),
		chromedp.SendKeys(chromedp.CSS("#ev-address"), "柳岸小区东门外人行道"),
		chromedp.SetUploadFiles(chromedp.CSS("#ev-photo"), []string{bad, good}),
		chromedp.WaitVisible(chromedp.CSS(`#ev-previews li[data-name="井盖.png"]`)))
	if got := text("#ev-previews"); !strings.Contains(got, "bad.png") || !strings.Contains(got, "28 B") || !strings.Contains(got, fmt.Sprintf("%d B", len(pic))) {
		t.Errorf("the previews show %q, want both files with their sizes", got)
	}
	if got := text("#ev-photo-total"); !strings.Contains(got, "共 2 张") {
		t.Errorf("the photo total says %q", got)
	}

	// The API judges photos by their bytes: bad.png is refused at the
	// photo field, nothing is filed, and the form keeps what was typed.
	before := countTickets(t, s.st)
	do("report with a file that is no picture",
		chromedp.Click(chromedp.CSS("#ev-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ev-photo-error")))
	if got := text("#ev-photo-error"); !strings.Contains(got, "照片 bad.png 不符合要求") {
		t.Errorf("the refused photo: the field says %q", got)
	}
	if n := countTickets(t, s.st); n != before {
		t.Errorf("a refused report filed %d tickets", n-before)
	}
	if got := b.eval(`document.querySelector('#ev-text').value`); got != desc {
		t.Errorf("after the refusal the description is %q, want it kept", got)
	}
	shot("report-refused")
	fits("report refused")

	do("drop the bad file and report",
		chromedp.Click(chromedp.CSS(`#ev-previews li[data-name="bad.png"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#ev-previews li[data-name="bad.png"]`)),
		chromedp.Click(chromedp.CSS("#ev-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-status")))
	b.until("the thumbnail loads", `(() => { const i = document.querySelector('#attachments img.thumb'); return !!i && i.complete && i.naturalWidth > 0; })()`)
	id, err := strconv.ParseInt(strings.TrimPrefix(b.eval(`location.hash`), "#/tickets/"), 10, 64)
	if err != nil {
		t.Fatalf("after the report the page is at %s, want the new ticket", b.eval(`location.hash`))
	}
	if got := text("#notice"); !strings.Contains(got, fmt.Sprintf("已上报，工单 #%d", id)) || !strings.Contains(got, "照片 1 张") {
		t.Errorf("the notice after the report says %q", got)
	}
	if got := text("#ticket-source"); got != "热线来电" {
		t.Errorf("the source badge says %q, want 热线来电", got)
	}
	if got := text("#ticket-fields"); !strings.Contains(got, "刘洋") || !strings.Contains(got, "柳岸小区东门外人行道") ||
		!strings.Contains(got, "纬度 30.692381") || !strings.Contains(got, "城市管理") {
		t.Errorf("the ticket's fields %q lack the reporter, the address, the position or the category", got)
	}
	if n := b.eval(`document.querySelectorAll('#dispatch, #act-supervise, #reply-text').length`); n != "0" {
		t.Errorf("the grid's own worker is offered dispatch, 督办 or a reply to nobody (%s controls)", n)
	}
	fits("reported ticket")
	shot("reported")
	do("open the photo",
		chromedp.Click(chromedp.CSS("#attachments .thumb-button")),
		chromedp.WaitVisible(chromedp.CSS("#viewer")))
	b.until("the full image loads", `(() => { const i = document.querySelector('#viewer-img'); return !!i && i.complete && i.naturalWidth === 64; })()`)
	do("close the photo", chromedp.Click(chromedp.CSS("#viewer-close")), chromedp.WaitNotPresent(chromedp.CSS("#viewer")))

	// The street: 督办, and a dispatch to 城管, suggested for the category.
	b.signOut()
	b.signIn(streetTok, "#screen-title")
	do("the street opens the ticket",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/tickets/%d'`, id)),
		chromedp.WaitVisible(chromedp.CSS("#dispatch > summary")),
		chromedp.Click(chromedp.CSS("#dispatch > summary")),
		chromedp.WaitVisible(chromedp.CSS("#dispatch-form")))
	if got := b.eval(`document.querySelector('#dept-list li').dataset.code`); got != "chengguan" {
		t.Errorf("the first department offered is %q, want 城管 suggested for 城市管理", got)
	}
	if got := text(`#dept-list li[data-code="chengguan"]`); !strings.Contains(got, "建议") {
		t.Errorf("城管 is not marked suggested: %q", got)
	}
	do("督办",
		chromedp.SendKeys(chromedp.CSS("#note-supervise"), "群众反映强烈，请加快办理"),
		chromedp.Click(chromedp.CSS("#act-supervise")),
		chromedp.WaitVisible(chromedp.CSS("#supervised-banner")))
	if got := text("#supervised-banner"); !strings.Contains(got, "督办") || !strings.Contains(got, "陈静") || !strings.Contains(got, "群众反映强烈") {
		t.Errorf("the 督办 banner says %q", got)
	}
	do("dispatch with a deadline past",
		chromedp.Click(chromedp.CSS("#dept-chengguan")),
		chromedp.WaitVisible(chromedp.CSS("#due-chengguan")),
		chromedp.SetValue(chromedp.CSS("#due-chengguan"), "2020-01-06T09:00"),
		chromedp.SendKeys(chromedp.CSS("#dnote-chengguan"), "请三日内补装井盖"),
		chromedp.Click(chromedp.CSS("#dispatch-submit")),
		chromedp.WaitVisible(chromedp.CSS("#due-chengguan-error")))
	if got := text("#due-chengguan-error"); !strings.Contains(got, "期限须晚于现在") {
		t.Errorf("a deadline past: the field says %q", got)
	}
	shanghai := time.FixedZone("CST", 8*3600)
	due := time.Now().Add(72 * time.Hour).In(shanghai).Truncate(time.Minute)
	do("dispatch",
		chromedp.SetValue(chromedp.CSS("#due-chengguan"), due.Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS("#dispatch-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#task-list li.task[data-state="dispatched"]`)))
	if got := text("#task-list"); !strings.Contains(got, "城管") || !strings.Contains(got, "已分拨") ||
		!strings.Contains(got, due.Format("2006-01-02 15:04")) || !strings.Contains(got, "请三日内补装井盖") {
		t.Errorf("the task card says %q", got)
	}
	fits("dispatched ticket")
	shot("dispatched")

	// 城管's user: their tasks, soonest first; someone else of 城管 accepts
	// the task meanwhile, so the page's 受理 is refused, in Chinese.
	b.signOut()
	b.signIn(deptTok, "#screen-title")
	do("部门待办",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="tasks"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#task-board li.task[data-state="dispatched"]`)))
	if hidden := b.eval(`document.querySelector('#nav a[data-nav="tickets"]').hidden`); hidden != "true" {
		t.Errorf("a department's user is offered the grid inbox")
	}
	// #task-board: the department's list, not the ticket's tasks the
	// user landed on.
	card := `#task-board li.task`
	if got := text(card); !strings.Contains(got, fmt.Sprintf("工单 #%d", id)) || !strings.Contains(got, "井盖缺失") || !strings.Contains(got, "督办") {
		t.Errorf("the department's card %q lacks the ticket, its text or its 督办 mark", got)
	}
	fits("department tasks")
	shot("department")
	taskID, _ := strconv.ParseInt(b.eval(`document.querySelector('#task-board li.task').dataset.id`), 10, 64)
	if _, err := s.st.MoveTask(ctx, taskID, dispatch.Move{Action: dispatch.ActionAccept, By: "赵刚"}); err != nil {
		t.Fatal(err)
	}
	do("accept a task accepted meanwhile",
		chromedp.Click(chromedp.CSS(card+` button[data-action="accept"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+" .task-error")))
	if got := text(card + " .task-error"); !strings.Contains(got, "HTTP 409") || !strings.Contains(got, "不允许") {
		t.Errorf("a stale step: the card says %q, want the API's refusal in Chinese", got)
	}
	do("refresh",
		chromedp.Click(chromedp.CSS("#refresh")),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-state="accepted"] button[data-action="resolve"]`)))

	// Resolve: feedback is required, then the task leaves the list.
	note := fmt.Sprintf("#task-%d-resolve-note", taskID)
	do("resolve without feedback",
		chromedp.Click(chromedp.CSS(card+` button[data-action="resolve"]`)),
		chromedp.WaitVisible(chromedp.CSS(note)),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="resolve"]`)),
		chromedp.WaitVisible(chromedp.CSS(note+"-error")))
	if got := text(note + "-error"); !strings.Contains(got, "请填写办结反馈") {
		t.Errorf("no feedback: the field says %q", got)
	}
	feedback := "井盖已补装，周边已设警示并清理"
	do("resolve",
		chromedp.SendKeys(chromedp.CSS(note), feedback),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="resolve"]`)),
		chromedp.WaitVisible(chromedp.CSS("#task-board .empty")))
	if got := text("#notice"); !strings.Contains(got, "已办结") {
		t.Errorf("the notice after resolving says %q", got)
	}

	// The ticket: resolved, with the department's feedback.
	do("the ticket after the department",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/tickets/%d'`, id)),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="resolved"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#task-list li.task[data-state="resolved"]`)))
	if got := text(`#task-list li.task .task-feedback`); got != feedback {
		t.Errorf("the task's feedback shows %q, want %q", got, feedback)
	}
	if got := text("#timeline"); !strings.Contains(got, "城管：已办结") || !strings.Contains(got, feedback) {
		t.Errorf("the timeline %q lacks the department's resolution", got)
	}
	fits("resolved ticket")
	b.clean(vp.shot("resolved-by-department"))
	final, err := s.st.Ticket(ctx, id)
	if err != nil || final.Status != tickets.StatusResolved || final.Source != tickets.SourceHotline {
		t.Errorf("ticket %d in the store: %s from %s, %v; want resolved, from the hotline", id, final.Status, final.Source, err)
	}
	b.checkLog()
}

// signIn enters token and waits for sel on the screen the user lands on.
func (b *tab) signIn(token, sel string) {
	b.t.Helper()
	b.do("sign in",
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.until("the user is known", `!document.querySelector('#who-label').textContent.startsWith('已用令牌')`)
	b.do("the first screen", chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (b *tab) signOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token")))
}

// eval is the value of a JavaScript expression, as text.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

// until waits up to 20 seconds for a JavaScript expression to be true.
func (b *tab) until(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		b.t.Fatalf("%s: %v\non the page: %s", what, err, visible(b.ctx))
	}
}

// fits checks that the page is no wider than a phone's screen (no
// sideways scrolling), naming what sticks out when it is.
func (b *tab) fits(screen string) {
	b.t.Helper()
	b.fitsWidth(screen, 390)
}

// fitsWidth checks that the page, in a viewport of width px, is no wider
// than the viewport, naming what sticks out when it is.
func (b *tab) fitsWidth(screen string, width int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => {
		const w = document.documentElement.clientWidth;
		const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5)
			.slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));
		return [document.documentElement.scrollWidth, window.innerWidth, out.join(' ')];
	})()`))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(got) != 3 {
		b.t.Fatalf("%s: measuring the page: %v", screen, got)
	}
	sw, _ := got[0].(float64)
	iw, _ := got[1].(float64)
	if sw > iw || iw != float64(width) {
		b.t.Errorf("%s: the page is %v px wide in a %v px viewport (want %d); sticking out: %v", screen, sw, iw, width, got[2])
	}
}

// permission sets the page's geolocation permission, as the user's answer
// to the browser's question would.
func (b *tab) permission(setting cdpbrowser.PermissionSetting) {
	b.t.Helper()
	b.do("geolocation "+string(setting), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: setting, Origin: b.s.srv.URL})
		return err
	}))
}

// ancestor is the grid of level above grid.
func ancestor(t *testing.T, st *store.Store, grid string, level population.Level) string {
	t.Helper()
	for code := grid; code != ""; {
		g, err := st.Grid(t.Context(), code)
		if err != nil {
			t.Fatal(err)
		}
		if g.Level == level {
			return g.Code
		}
		code = g.ParentCode
	}
	t.Fatalf("grid %s has no %s above it", grid, level)
	return ""
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func countTickets(t *testing.T, st *store.Store) int {
	t.Helper()
	ts, err := st.Tickets(t.Context(), store.TicketFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// testPNG is a w×h picture.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDispatchDecisionsInBrowser drives the rest of a dispatch on a
// desktop (1280 px) and a phone (390 px): a resident's ticket with a voice message and a photo WeChat no
// longer had; 吹哨报到 to two departments at once; 城管 asks for more
// time (a deadline not later than the current one refused at the field),
// the dispatcher approves it and withdraws the other department's task,
// flags the ticket 督办 and lifts the flag; 城管 then returns its task (a
// reason required).
func TestDispatchDecisionsInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			dispatchDecisions(t, vp)
		})
	}
}

func dispatchDecisions(t *testing.T, vp viewport) {
	s := newSite(t, true, 0)
	ctx := t.Context()
	tok := "console-token-chengguan-2"
	if _, err := s.st.CreateUser(ctx, access.User{Name: "赵刚", TokenSHA256: sha256.Sum256([]byte(tok)),
		Roles: []access.Role{access.RoleDepartment}, Department: "chengguan"}); err != nil {
		t.Fatal(err)
	}
	voice, err := s.media.Put(ctx, bytes.NewReader(append([]byte("#!AMR\n"), bytes.Repeat([]byte{0x3c, 0x48, 0xf5, 0x1f}, 64)...)))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []tickets.Attachment{
		{TicketID: s.ticket.ID, Kind: tickets.AttachmentImage, MediaID: "wx-media-1", Missing: "fetch failed", AddedBy: tickets.ActorResident},
		{TicketID: s.ticket.ID, Kind: tickets.AttachmentVoice, Key: voice.Key, ContentType: voice.ContentType, Size: voice.Size, AddedBy: tickets.ActorResident},
	} {
		if _, _, err := s.st.AddAttachment(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	b := openBrowser(t, s)
	shot := func(name string) { b.screenshot(vp.shot(name)) }
	do, text := b.do, b.text
	ticket := fmt.Sprintf(`location.hash = '#/tickets/%d'`, s.ticket.ID)
	do("open the console", vp.emulate(), chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.signIn(s.token, "#ticket-list")
	do("open the ticket",
		chromedp.Evaluate[chromedp.Void](ticket),
		chromedp.WaitVisible(chromedp.CSS("#attachments .missing")))
	if got := text("#attachments .missing"); !strings.Contains(got, "照片缺失") || !strings.Contains(got, "未能从微信取回") {
		t.Errorf("the missing photo shows %q, want it marked missing with the reason", got)
	}
	b.until("the voice loads", `(() => { const a = document.querySelector('#attachments audio'); return !!a && a.src.startsWith('blob:'); })()`)
	b.clean(vp.shot("ticket-media"))
	b.fitsWidth("ticket with media", vp.w)

	do("吹哨报到: two departments at once",
		chromedp.Click(chromedp.CSS("#dispatch > summary")),
		chromedp.Click(chromedp.CSS("#dept-chengguan")),
		chromedp.Click(chromedp.CSS("#dept-housing")),
		chromedp.SendKeys(chromedp.CSS("#dnote-housing"), "核实路灯产权"),
		chromedp.Click(chromedp.CSS("#dispatch-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#task-list li.task:nth-child(2)`)))
	if got := text("#notice"); !strings.Contains(got, "已分拨给") || !strings.Contains(got, "城管") || !strings.Contains(got, "住建/物业") {
		t.Errorf("the notice after dispatching says %q", got)
	}
	cards := b.eval(`[...document.querySelectorAll('#task-list li.task')].map((c) => c.querySelector('.dept').textContent + ':' + c.dataset.state).join(',')`)
	if cards != "城管:dispatched,住建/物业:dispatched" {
		t.Errorf("the task cards are %s, want both departments dispatched", cards)
	}
	shot("whistle")
	b.fitsWidth("dispatched to two departments", vp.w)

	// 城管 accepts and asks for more time.
	b.signOut()
	b.signIn(tok, "#screen-title")
	card := `#task-board li.task`
	do("城管's tasks",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/tasks'`),
		chromedp.WaitVisible(chromedp.CSS(card+` button[data-action="accept"]`)),
		chromedp.Click(chromedp.CSS(card+` button[data-action="accept"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-state="accepted"] button[data-action="request_extension"]`)))
	taskID := b.eval(`document.querySelector('#task-board li.task').dataset.id`)
	date := "#task-" + taskID + "-request_extension-date"
	do("an extension to a deadline not later",
		chromedp.Click(chromedp.CSS(card+` button[data-action="request_extension"]`)),
		chromedp.WaitVisible(chromedp.CSS(date)),
		chromedp.SetValue(chromedp.CSS(date), "2020-01-06T09:00"),
		chromedp.SendKeys(chromedp.CSS("#task-"+taskID+"-request_extension-note"), "需协调供电公司更换线路"),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="request_extension"]`)),
		chromedp.WaitVisible(chromedp.CSS(date+"-error")))
	if got := text(date + "-error"); !strings.Contains(got, "新的期限须晚于现在的期限") {
		t.Errorf("an earlier deadline: the field says %q", got)
	}
	later := time.Now().Add(10 * 24 * time.Hour).In(time.FixedZone("CST", 8*3600)).Truncate(time.Minute)
	do("ask for more time",
		chromedp.SetValue(chromedp.CSS(date), later.Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="request_extension"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-state="extension_requested"]`)))
	if got := text(card); !strings.Contains(got, "申请延期至") || !strings.Contains(got, later.Format("2006-01-02 15:04")) || !strings.Contains(got, "需协调供电公司更换线路") {
		t.Errorf("the card after asking says %q", got)
	}

	// The dispatcher grants it, and withdraws 住建/物业's task.
	b.signOut()
	b.signIn(s.token, "#screen-title")
	chengguan := `#task-list li.task[data-id="` + taskID + `"]`
	do("approve the extension",
		chromedp.Evaluate[chromedp.Void](ticket),
		chromedp.WaitVisible(chromedp.CSS(chengguan+` button[data-action="approve_extension"]`)),
		chromedp.Click(chromedp.CSS(chengguan+` button[data-action="approve_extension"]`)),
		chromedp.WaitVisible(chromedp.CSS(chengguan+`[data-state="accepted"]`)))
	if got := text(chengguan); !strings.Contains(got, later.Format("2006-01-02 15:04")) {
		t.Errorf("after the approval the card says %q, want the new deadline", got)
	}
	housing := `#task-list li.task:not([data-id="` + taskID + `"])`
	do("withdraw 住建/物业's task",
		chromedp.Click(chromedp.CSS(housing+` button[data-action="cancel"]`)),
		chromedp.SendKeys(chromedp.CSS(housing+` textarea[name="note"]`), "经核实路灯归城管维护"),
		chromedp.Click(chromedp.CSS(housing+` button[data-submit="cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#task-list li.task[data-state="cancelled"]`)))
	if got := text("#timeline"); !strings.Contains(got, "同意延期") || !strings.Contains(got, "撤回任务") || !strings.Contains(got, "经核实路灯归城管维护") {
		t.Errorf("the timeline %q lacks the approval or the withdrawal", got)
	}
	b.clean(vp.shot("decisions"))
	b.fitsWidth("decisions", vp.w)

	// 督办, then lifted: the flag shows at the top while it stands.
	do("督办",
		chromedp.Click(chromedp.CSS("#act-supervise")),
		chromedp.WaitVisible(chromedp.CSS("#supervised-banner #act-unsupervise")))
	if got := text("#screen-title"); !strings.Contains(got, "督办") {
		t.Errorf("the heading of a flagged ticket says %q", got)
	}
	do("lift the 督办",
		chromedp.SendKeys(chromedp.CSS("#note-unsupervise"), "已协调，恢复正常办理"),
		chromedp.Click(chromedp.CSS("#act-unsupervise")),
		chromedp.WaitVisible(chromedp.CSS("#act-supervise")))
	if n := b.eval(`document.querySelectorAll('#supervised-banner').length`); n != "0" {
		t.Errorf("the 督办 banner stays after the flag is lifted")
	}
	if got := text("#timeline"); !strings.Contains(got, "撤销督办") || !strings.Contains(got, "已协调，恢复正常办理") {
		t.Errorf("the timeline %q lacks the lifting", got)
	}

	// A user of the whole city picks a department and may withdraw its
	// tasks, not take the department's steps.
	do("a department's list, picked",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/tasks'`),
		chromedp.WaitReady(chromedp.CSS(`#task-dept option[value="chengguan"]`)),
		chromedp.SetValue(chromedp.CSS("#task-dept"), "chengguan"),
		chromedp.Click(chromedp.CSS(`#main form.filters button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+` button[data-action="cancel"]`)))
	if n := b.eval(`document.querySelectorAll('#task-board button[data-action="resolve"], #task-board button[data-action="return"]').length`); n != "0" {
		t.Errorf("a user of the whole city is offered %s of the department's steps", n)
	}

	// 城管 returns its task: a reason is required.
	b.signOut()
	b.signIn(tok, "#screen-title")
	do("城管's tasks again",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/tasks'`),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-state="accepted"] button[data-action="return"]`)),
		chromedp.Click(chromedp.CSS(card+` button[data-action="return"]`)),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="return"]`)),
		chromedp.WaitVisible(chromedp.CSS("#task-"+taskID+"-return-note-error")))
	if got := text("#task-" + taskID + "-return-note-error"); !strings.Contains(got, "请填写退回理由") {
		t.Errorf("a return without a reason: the field says %q", got)
	}
	do("return",
		chromedp.SendKeys(chromedp.CSS("#task-"+taskID+"-return-note"), "路灯属供电公司资产，非本部门职责"),
		chromedp.Click(chromedp.CSS(card+` button[data-submit="return"]`)),
		chromedp.WaitVisible(chromedp.CSS("#task-board .empty")))
	back, err := s.st.Task(ctx, mustInt(t, taskID))
	if err != nil || back.State != dispatch.StateReturned || back.Reason != "路灯属供电公司资产，非本部门职责" {
		t.Errorf("the task in the store: %s %q, %v; want returned with the reason", back.State, back.Reason, err)
	}
	b.checkLog()
}
