package console_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// TestWorkerMonthInBrowser drives issue 13's screens on a phone-sized
// page (390 px) and on a desktop (1280 px) against the real server: a grid worker opens 走访, finds
// their month's households with the residents in clear and a number to
// tap, records a visit in person with a note, a photo and a problem found
// (filed as a reported event; the card then counts the visit and names
// it as the last; a file that is no picture is refused first, at the
// photo field, and the retry files the problem once), records an attempt
// that found nobody home with a problem seen at the door, marks a resident
// deceased from the resident sheet (a change form left empty is refused
// first, at the field), sees the change in the history and the resident
// gone from the household card; then a street viewer opens 考核, finds the worker's
// score and its breakdown, exports the sheet, and sees the worker's
// register masked with the street's overdue households.
func TestWorkerMonthInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			workerMonth(t, vp)
		})
	}
}

func workerMonth(t *testing.T, vp viewport) {
	s := newSite(t, true, 0)
	ctx := t.Context()

	// A worker whose month holds a household of two residents or more
	// still to visit, and another household besides.
	ws, err := s.st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wk         population.Worker
		due, other visits.Due
	)
	svc := visits.Service{Store: s.st, Config: visits.DefaultConfig()}
	for _, w := range ws {
		if w.Role != population.RoleGridWorker || w.GridCode == "" {
			continue
		}
		reg, err := svc.Register(ctx, w, visits.MonthOf(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range reg.Households {
			if len(d.Household.Members) >= 2 && d.Done < d.Required && len(reg.Households) >= 2 {
				wk, due = w, d
				for _, o := range reg.Households {
					if o.Household.Key != d.Household.Key {
						other = o
						break
					}
				}
				break
			}
		}
		if wk.Code != "" {
			break
		}
	}
	if wk.Code == "" {
		t.Fatal("no worker's register holds a household of two residents still to visit")
	}
	visited, deceased := due.Household.Members[0], due.Household.Members[1]
	street := ancestor(t, s.st, wk.GridCode, population.LevelStreet)
	workerTok := s.user(t, "孙丽", access.User{Roles: []access.Role{access.RoleWorker}, Grids: []string{wk.GridCode}})
	viewerTok := s.user(t, "街道考核员", access.User{Roles: []access.Role{access.RoleViewer}, Grids: []string{street}})

	dir := t.TempDir()
	pic, bad := filepath.Join(dir, "入户.png"), filepath.Join(dir, "bad.png")
	if err := os.WriteFile(pic, testPNG(t, 40, 30), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("no picture in here"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := openBrowser(t, s)
	fits := func(screen string) { t.Helper(); b.fitsWidth(screen, vp.w) }
	shot := func(name string) { b.screenshot(vp.shot(name)) }
	do, text := b.do, b.text
	do("the screen", vp.emulate(),
		chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))

	// The worker: 走访 offered, 考核 not.
	b.signIn(workerTok, "#ticket-list")
	if hidden := b.eval(`document.querySelector('#nav a[data-nav="assessment"]').hidden`); hidden != "true" {
		t.Errorf("a grid worker is offered 考核")
	}
	do("open 走访",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="visits"]`)),
		chromedp.WaitVisible(chromedp.CSS("#visit-worker")),
		chromedp.Click(chromedp.CSS("#register-submit")),
		chromedp.WaitVisible(chromedp.CSS("#visit-worker-error")))
	if got := text("#visit-worker-error"); !strings.Contains(got, "请填写网格员编号") {
		t.Errorf("no worker code: the field says %q", got)
	}
	card := fmt.Sprintf(`#households li.household[data-key="%s"]`, due.Household.Key)
	do("the register",
		chromedp.SendKeys(chromedp.CSS("#visit-worker"), strings.ToLower(wk.Code)),
		chromedp.Click(chromedp.CSS("#register-submit")),
		chromedp.WaitVisible(chromedp.CSS(card)))
	if got := b.eval(`localStorage.getItem('gridcast.console.worker')`); got != wk.Code {
		t.Errorf("the worker code kept is %q, want %s", got, wk.Code)
	}
	if got := text(card); !strings.Contains(got, string(visited.Name)) || !strings.Contains(got, string(deceased.Name)) {
		t.Errorf("the household card %q: want its residents in clear for the grid's own worker", got)
	}
	if visited.Phone != "" {
		if n := b.eval(fmt.Sprintf(`document.querySelectorAll('%s a.tel[href="tel:%s"]').length`, card, string(visited.Phone))); n != "1" {
			t.Errorf("the card offers %s tap-to-call links for %s, want one", n, visited.Phone.Masked())
		}
	}
	if n := b.eval(`document.querySelectorAll('#overdue-h').length`); n != "0" {
		t.Errorf("the grid's own worker is shown the overdue list for staff above the grid")
	}
	fits("register")
	shot("phone-register")

	// A visit in person, with a note and a photo.
	done := b.eval(fmt.Sprintf(`document.querySelector('%s').dataset.done`, card))
	do("open the record form",
		chromedp.Click(chromedp.CSS(card+" button.record-visit")),
		chromedp.WaitVisible(chromedp.CSS(card+" form.visit-form")))
	form := card + " form.visit-form"
	do("fill in the visit",
		chromedp.Click(chromedp.CSS(form+` button[data-kind="phone"]`)),
		chromedp.Click(chromedp.CSS(form+` button[data-kind="in_person"]`)),
		chromedp.SetValue(chromedp.CSS(form+` select[name="resident_id"]`), fmt.Sprint(visited.ResidentID)),
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name="notes"]`), "老人精神尚可，药品充足"),
		chromedp.SetUploadFiles(chromedp.CSS(form+` input[type="file"]`), []string{bad, pic}),
		chromedp.Click(chromedp.CSS(form+" details.more > summary")),
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name="report"]`), "楼道声控灯损坏，夜间漆黑"),
		chromedp.WaitVisible(chromedp.CSS(form+` li.preview[data-name="入户.png"]`)))
	if got := b.eval(fmt.Sprintf(`document.querySelector('%s button[data-kind="in_person"]').getAttribute('aria-pressed')`, form)); got != "true" {
		t.Errorf("入户 is not marked chosen: aria-pressed %s", got)
	}
	fits("record form")
	shot("phone-visit-form")
	// The API judges photos by their bytes: bad.png is refused at the
	// photo field, no visit is recorded, and the form keeps what was
	// typed.
	photoErr := fmt.Sprintf("#visit-%s-photo-error", due.Household.Key)
	tickets := countTickets(t, s.st)
	do("save with a file that is no picture",
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(photoErr)))
	if got := text(photoErr); !strings.Contains(got, "bad.png") {
		t.Errorf("the refused photo: the field says %q", got)
	}
	if recs, err := s.st.RegisterRecords(ctx, wk.GridCode, wk.ID, time.Now().AddDate(0, -1, 0), time.Now().Add(time.Hour)); err != nil || len(recs) != 0 {
		t.Errorf("a refused visit left %d records (%v)", len(recs), err)
	}
	// The problem found is filed once, and kept for the retry.
	if n := countTickets(t, s.st); n != tickets+1 {
		t.Errorf("a visit refused for its photo filed %d events, want the problem's one", n-tickets)
	}
	if got := text(fmt.Sprintf("#visit-%s-filed", due.Household.Key)); !strings.Contains(got, "已上报为工单 #") {
		t.Errorf("the form says %q of the problem filed", got)
	}
	if got := b.eval(fmt.Sprintf(`document.querySelector('%s textarea[name="notes"]').value`, form)); got != "老人精神尚可，药品充足" {
		t.Errorf("after the refusal the notes are %q, want them kept", got)
	}
	do("drop the bad file and save the visit",
		chromedp.Click(chromedp.CSS(form+` li.preview[data-name="bad.png"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(form+` li.preview[data-name="bad.png"]`)),
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(form)),
		chromedp.WaitVisible(chromedp.CSS(card+fmt.Sprintf(`:not([data-done="%s"])`, done))))
	if got, want := b.eval(fmt.Sprintf(`document.querySelector('%s').dataset.done`, card)), fmt.Sprint(mustInt(t, done)+1); got != want {
		t.Errorf("the card counts %s visits done, want %s", got, want)
	}
	if got := text(card + " .hh-last"); !strings.Contains(got, "入户走访") {
		t.Errorf("the card's last visit says %q, want 入户走访", got)
	}
	if n := countTickets(t, s.st); n != tickets+1 {
		t.Errorf("the visit saved on the retry filed %d events in all, want one", n-tickets)
	}
	if got := text("#notice"); !strings.Contains(got, "已记录入户走访") || !strings.Contains(got, "照片 1 张") || !strings.Contains(got, "已上报为工单 #") {
		t.Errorf("the notice after the visit says %q", got)
	}
	if b.eval(fmt.Sprintf(`document.activeElement === document.querySelector('%s button.record-visit')`, card)) != "true" {
		t.Errorf("after saving, the focus is not back on the household's card")
	}
	do("the visit's records",
		chromedp.Click(chromedp.CSS(card+" details.visit-records > summary")),
		chromedp.WaitVisible(chromedp.CSS(card+" details.visit-records li[data-id]")))
	if got := text(card + " details.visit-records"); !strings.Contains(got, "老人精神尚可，药品充足") || !strings.Contains(got, "发现问题：工单 #") {
		t.Errorf("the card's records %q lack the note or the event it filed", got)
	}
	b.until("the visit's photo loads", fmt.Sprintf(`(() => { const i = document.querySelector('%s .visit-photos img'); return !!i && i.complete && i.naturalWidth === 40; })()`, card))
	fits("register after the visit")

	// Nobody home at another household, but a problem seen at the door:
	// filed with the visit (no photo).
	card2 := fmt.Sprintf(`#households li.household[data-key="%s"]`, other.Household.Key)
	do("a visit that finds nobody home",
		chromedp.Click(chromedp.CSS(card2+" button.record-visit")),
		chromedp.WaitVisible(chromedp.CSS(card2+" form.visit-form")),
		chromedp.Click(chromedp.CSS(card2+` form.visit-form button[data-kind="not_home"]`)),
		chromedp.Click(chromedp.CSS(card2+" form.visit-form details.more > summary")),
		chromedp.SendKeys(chromedp.CSS(card2+` form.visit-form textarea[name="report"]`), "门口堆放纸箱，堵塞消防通道"),
		chromedp.SetValue(chromedp.CSS(card2+` form.visit-form select[name="report_category"]`), "safety"),
		chromedp.Click(chromedp.CSS(card2+` form.visit-form button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(card2+" form.visit-form")))
	if got := text("#notice"); !strings.Contains(got, "已记录未遇") || !strings.Contains(got, "已上报为工单 #") {
		t.Errorf("the notice after the visit that found nobody says %q", got)
	}
	if got := text(card2 + " .hh-done"); !strings.Contains(got, "未遇 1") {
		t.Errorf("the card counts %q, want the attempt", got)
	}
	if n := countTickets(t, s.st); n != tickets+2 {
		t.Errorf("%d events filed in all, want two", n-tickets)
	}

	// The resident sheet: a change with nothing set is refused at the
	// field; then the death is recorded and shows in the history.
	do("open the resident sheet",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s li.member[data-resident-id="%d"] a.member-name`, card, deceased.ResidentID))),
		chromedp.WaitVisible(chromedp.CSS("#record-form")),
		chromedp.WaitVisible(chromedp.CSS("#change-history")))
	if got := text("#resident-card"); !strings.Contains(got, string(deceased.Name)) {
		t.Errorf("the sheet %q does not name the resident", got)
	}
	do("save nothing",
		chromedp.SendKeys(chromedp.CSS("#rec-note"), "家属告知"),
		chromedp.Click(chromedp.CSS("#rec-submit")),
		chromedp.WaitVisible(chromedp.CSS("#rec-status-error")))
	if got := text("#rec-status-error"); !strings.Contains(got, "请至少修改一项") {
		t.Errorf("a change of nothing: the field says %q", got)
	}
	if got := b.eval(`document.querySelector('#rec-note').value`); got != "家属告知" {
		t.Errorf("after the refusal the note is %q, want it kept", got)
	}
	do("record the death",
		chromedp.SetValue(chromedp.CSS("#rec-status"), "deceased"),
		chromedp.Click(chromedp.CSS("#rec-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#changes li[data-field="status"][data-after="deceased"]`)))
	if got := text(`#changes li[data-field="status"]`); !strings.Contains(got, "人员状态：在册 → 死亡") || !strings.Contains(got, "家属告知") || !strings.Contains(got, "孙丽") {
		t.Errorf("the history shows %q, want 在册 → 死亡 with the note and who", got)
	}
	if got := text(`#record-now dd[data-field="status"]`); got != "死亡" {
		t.Errorf("the sheet's current status says %q, want 死亡", got)
	}
	if got := text("#notice"); !strings.Contains(got, "已不在走访台账") {
		t.Errorf("the notice after the death says %q", got)
	}
	fits("resident sheet")
	shot("phone-resident")
	do("back to the register",
		chromedp.Click(chromedp.CSS("#back-register")),
		chromedp.WaitVisible(chromedp.CSS(card)),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`%s li.member[data-resident-id="%d"]`, card, deceased.ResidentID))))
	if got := text(card); !strings.Contains(got, string(visited.Name)) {
		t.Errorf("the card %q lost the resident still living there", got)
	}
	if r, err := s.st.Resident(ctx, deceased.ResidentID); err != nil || r.Status != population.StatusDeceased {
		t.Errorf("the resident in the store: %q, %v; want deceased", r.Status, err)
	}

	// The street's viewer: 考核, not 走访's record form.
	b.signOut()
	b.signIn(viewerTok, "#screen-title")
	if hidden := b.eval(`document.querySelector('#nav a[data-nav="assessment"]').hidden`); hidden != "false" {
		t.Errorf("a street viewer is not offered 考核")
	}
	row := fmt.Sprintf(`#assessment tr.worker-row[data-worker="%s"]`, wk.Code)
	do("open 考核",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="assessment"]`)),
		chromedp.WaitVisible(chromedp.CSS("#as-kind")),
		chromedp.SetValue(chromedp.CSS("#as-by"), "grid"),
		chromedp.Click(chromedp.CSS("#assessment-submit")),
		chromedp.WaitVisible(chromedp.CSS(row)))
	if got := b.eval(`location.hash`); !strings.Contains(got, "by=grid") {
		t.Errorf("after choosing 按网格 the page is at %s", got)
	}
	if got := text(row); !strings.Contains(got, wk.Code) || !strings.Contains(got, string(wk.Name)) {
		t.Errorf("the worker's row %q lacks their code or name", got)
	}
	fits("assessment")
	lines := "#lines-" + wk.Code
	do("the worker's breakdown",
		chromedp.Click(chromedp.CSS(row+" td.points")),
		chromedp.WaitVisible(chromedp.CSS(lines)))
	if got := text(lines); !strings.Contains(got, "走访完成") || !strings.Contains(got, "走访 1 / 应访") || !strings.Contains(got, "户籍") {
		t.Errorf("the breakdown %q lacks the visit done or the records line", got)
	}
	fits("assessment breakdown")
	b.clean(vp.shot("phone-assessment"))
	do("export",
		chromedp.Click(chromedp.CSS("#assessment-export")),
		chromedp.WaitVisible(chromedp.CSS("#assessment-file")))
	if got := b.eval(`document.querySelector('#assessment-file').href`); !strings.HasPrefix(got, "blob:") {
		t.Errorf("the export link is %q, want the sheet fetched with the token (blob:)", got)
	}
	if got := text("#assessment-file"); !strings.Contains(got, ".xlsx") {
		t.Errorf("the export link says %q", got)
	}

	// A quarter: the period picker asks for the year and the quarter.
	do("a quarter",
		chromedp.SetValue(chromedp.CSS("#as-kind"), "quarter"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#as-kind').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.CSS("#as-quarter")),
		chromedp.Click(chromedp.CSS("#assessment-submit")),
		chromedp.WaitVisible(chromedp.CSS("#assessment-period")))
	if got := b.eval(`location.hash`); !strings.Contains(got, "-Q") {
		t.Errorf("a quarter asked for %s", got)
	}

	// The worker's register as the street sees it: masked, no number to
	// call, and the street's overdue households below.
	do("the register from the street",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/visits?worker=`+wk.Code+`'`),
		chromedp.WaitVisible(chromedp.CSS(card)),
		chromedp.WaitVisible(chromedp.CSS("#overdue-list .summary")))
	if got := text(card); strings.Contains(got, string(visited.Name)) || !strings.Contains(got, visited.Name.Masked()) {
		t.Errorf("the street sees the card %q; want the resident masked (%s)", got, visited.Name.Masked())
	}
	if n := b.eval(`document.querySelectorAll('#households a.tel, #households button.record-visit').length`); n != "0" {
		t.Errorf("the street's viewer is offered %s tap-to-call links or record forms on a masked register", n)
	}
	if got := b.eval(`document.querySelector('#overdue-grid').value`); got != street {
		t.Errorf("the overdue list is of %q, want the viewer's street %s", got, street)
	}
	fits("register from the street")
	shot("phone-register-street")
	b.checkLog()
}
