package console_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
)

// TestDashboardInBrowser opens the leaders' dashboard as a street's
// viewer on a phone-sized page (390 px) and on a desktop (1280 px): at
// each the figures are the API's (the seeded ticket, its task dispatched
// to 城管, the street's graded workers), the four charts draw on their
// canvases within the screen, nothing sticks out, and 导出Excel saves the
// API's workbook (fetched with the session's token) under its Chinese
// name; on a desktop the cards sit in two columns and the charts widen;
// a table alone exports as a CSV Excel reads (UTF-8 with a BOM).
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	ctx := t.Context()
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: s.st, Dispatcher: s.rec, Log: testlog.New(t), Media: s.media})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dk.Dispatch(ctx, s.ticket.ID, []dispatch.Task{{Department: "chengguan", DueAt: time.Now().Add(72 * time.Hour)}}, "街道指挥中心"); err != nil {
		t.Fatal(err)
	}
	street := ancestor(t, s.st, s.ticket.GridCode, population.LevelStreet)
	tok := s.user(t, "街道领导", access.User{Roles: []access.Role{access.RoleViewer}, Grids: []string{street}})

	// What the API says the street holds.
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+"/api/v1/dashboard", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var want api.Dashboard
	if res.StatusCode != 200 || json.Unmarshal(body, &want) != nil {
		t.Fatalf("dashboard API: %d %s", res.StatusCode, body)
	}
	graded := 0
	for _, g := range want.Grades {
		graded += g.Count
	}
	if want.Tickets.Total < 1 || len(want.Departments) != 1 || want.Departments[0].Open != 1 || graded < 1 {
		t.Fatalf("the street's figures %+v: want the seeded ticket, its task and a graded worker", want)
	}

	b := openBrowser(t, s)
	do, text := b.do, b.text
	do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.signIn(tok, "#screen-title")
	if hidden := b.eval(`document.querySelector('#nav a[data-nav="dashboard"]').hidden`); hidden != "false" {
		t.Errorf("a street viewer is not offered the dashboard")
	}
	do("open the dashboard",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS("#dash-kpis")))

	// The same screen on a phone and on a desktop: the API's figures, the
	// charts drawn within the screen, nothing sticking out, and 导出Excel
	// downloading the API's workbook.
	for i, width := range []int{390, 1280} {
		if i > 0 {
			do("a desktop's screen", chromedp.EmulateViewport(int64(width), 900),
				chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#dash-kpis")))
		}
		at := fmt.Sprintf(" at %d px", width)
		if got := text("#kpi-total dd"); got != strconv.Itoa(want.Tickets.Total) {
			t.Errorf("工单总数 shows %q, the API %d%s", got, want.Tickets.Total, at)
		}
		if got := text("#kpi-tasks dd"); got != "1" {
			t.Errorf("部门待办 shows %q, want 1%s", got, at)
		}
		if got := text("#dash-departments-table tbody"); !strings.Contains(got, "城管") {
			t.Errorf("the departments' table %q: want 城管's task%s", got, at)
		}
		rows := b.eval(`[...document.querySelectorAll('#dash-grades-table tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent).join('=')).join(';')`)
		var wantRows []string
		for _, g := range want.Grades {
			wantRows = append(wantRows, fmt.Sprintf("%s=%d", g.Label, g.Count))
		}
		if rows != strings.Join(wantRows, ";") {
			t.Errorf("the grades' table %q, the API %q%s", rows, strings.Join(wantRows, ";"), at)
		}
		if got := text("#dash-status-table tbody"); !strings.Contains(got, "1") {
			t.Errorf("the status table %q: want the seeded ticket%s", got, at)
		}

		// Each chart drew something on its canvas, within the screen.
		for _, id := range []string{"dash-status-chart", "dash-category-chart", "dash-channels-chart", "dash-grades-chart"} {
			b.until("chart "+id+" drawn"+at, fmt.Sprintf(`(() => {
				const c = document.querySelector('#%s canvas');
				if (!c || c.width === 0 || c.height === 0) return false;
				const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
				let n = 0;
				for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
				return n > 0 && c.getBoundingClientRect().right <= %d;
			})()`, id, width))
		}
		if width == 390 {
			b.fits("dashboard")
			b.screenshot("phone-dashboard")
		} else {
			if got := b.eval(`document.documentElement.scrollWidth <= window.innerWidth`); got != "true" {
				t.Errorf("the desktop's dashboard scrolls sideways")
			}
			// The cards sit two abreast and the charts widen with them.
			b.until("the charts follow their cards", `(() => { const c = document.querySelector('#dash-status-chart canvas');
				const r = c.getBoundingClientRect(), box = document.querySelector('#dash-status-chart').getBoundingClientRect();
				return box.width > 400 && Math.abs(r.width - box.width) < 2; })()`)
			if got := b.eval(`getComputedStyle(document.querySelector('.dash-grid')).gridTemplateColumns.split(' ').length`); got != "2" {
				t.Errorf("the desktop's dashboard has %s columns, want 2", got)
			}
			b.screenshot("desktop-dashboard")
		}

		// 导出Excel: the API's workbook, fetched with the session's token,
		// saved under its Chinese name.
		file, wb := b.exportXLSX("export the dashboard"+at, "#dashboard-export")
		if !strings.HasPrefix(file, "数据看板-") || !strings.HasSuffix(file, ".xlsx") {
			t.Errorf("the workbook is saved as %q%s", file, at)
		}
		if len(wb) != 9 || wb["部门任务"] == nil || wb["考核等级"] == nil {
			t.Errorf("the workbook's sheets %v%s: want the dashboard's nine", slices.Collect(maps.Keys(wb)), at)
		}
		if rows := wb["概况"]; len(rows) < 3 || len(rows[2]) < 2 || rows[2][0] != "工单总数" || rows[2][1] != strconv.Itoa(want.Tickets.Total) {
			t.Errorf("the workbook's 概况 %v%s: want 工单总数 %d as the API", rows, at, want.Tickets.Total)
		}
	}

	// A table alone still exports as a CSV with a BOM.
	b.eval(`(() => { window.__blobs = []; window.__saved = []; return true; })()`)
	do("export the status table", chromedp.Click(chromedp.CSS("#dash-status .dash-export")))
	b.until("the CSV is made", `window.__blobs.length === 1`)
	b.eval(`window.__blobs[0].arrayBuffer().then((buf) => { const t = new Uint8Array(buf);
		window.__csv = Array.from(t.slice(0, 3)).join(',') + '|' + new TextDecoder().decode(t.slice(3)); }) && true`)
	b.until("the CSV is read", `typeof window.__csv === 'string'`)
	csv := b.eval(`window.__csv`)
	if !strings.HasPrefix(csv, "239,187,191|状态,数量\r\n") || !strings.Contains(csv, "\r\n") {
		t.Errorf("the exported CSV %q: want a BOM, then 状态,数量", csv)
	}
	b.checkLog()
}

// exportXLSX clicks button, which saves a workbook the page fetched, and
// answers the name it is saved under and its sheets' rows by name. It
// watches the page make the file (URL.createObjectURL) and save it (an
// anchor's click), as a headless browser keeps no downloads to look at.
func (b *tab) exportXLSX(what, button string) (string, map[string][][]string) {
	b.t.Helper()
	b.eval(`(() => { if (!window.__saved) {
		const make = URL.createObjectURL, click = HTMLAnchorElement.prototype.click;
		URL.createObjectURL = (x) => { window.__blobs.push(x); return make.call(URL, x); };
		HTMLAnchorElement.prototype.click = function () { window.__saved.push(this.download); return click.call(this); };
	} window.__blobs = []; window.__saved = []; window.__xlsx = null; return true; })()`)
	b.do(what, chromedp.WaitVisible(chromedp.CSS(button)), chromedp.Click(chromedp.CSS(button)))
	b.until(what+": the workbook is saved", `window.__saved.length === 1 && window.__blobs.length === 1`)
	b.eval(`(() => { const r = new FileReader();
		r.onload = () => { window.__xlsx = String(r.result).split(',')[1]; }; r.readAsDataURL(window.__blobs[0]); return true; })()`)
	b.until(what+": the workbook is read", `typeof window.__xlsx === 'string'`)
	raw, err := base64.StdEncoding.DecodeString(b.eval(`window.__xlsx`))
	if err != nil {
		b.t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatalf("%s: the file saved is no workbook: %v", what, err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		if out[name], err = f.GetRows(name); err != nil {
			b.t.Fatal(err)
		}
	}
	return b.eval(`window.__saved[0]`), out
}
