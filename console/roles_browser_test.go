package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// Who sees what in clear, as README ("Personal data", "The worker's
// month") and the API (ownGrid in api/visits.go, getTicket in
// api/tickets.go, residentPage) have it:
//
//   - ID numbers: nobody, on no screen. The console cannot unmask.
//   - A resident's phone number and full name: only a user holding the
//     worker role whose scope names the resident's grid itself (the grid's
//     own worker, not a leader above it), and only on the screens made for
//     the work in the field: a ticket's page, 走访 (the register and the
//     overdue list) and the resident's sheet. Every view of those is on
//     the audit log as pii.view.
//   - Everyone else — leaders above the grid, viewers, departments,
//     officers, checkers, administrators — and every other screen (the
//     inbox, 部门待办, 活动, 数据看板, 考核, 发送记录, 报名名单, 未识别发送方,
//     用户与审计): residents masked (刘**, 138****5678).
//   - Workers' names are public under 挂牌服务 and are no resident's data;
//     a grid worker's number, which the desk's receipts give the grid's
//     residents, is shown like those residents' (in the messages on a
//     resident's sheet).
//   - Free text (a resident's message, an event's description, a task's
//     note, a visit's notes) is shown masked of what the API can know:
//     the resident it concerns, and anything shaped like a phone or ID
//     number. Another resident's name typed into it cannot be recognised,
//     so the fixture's texts name only their own resident.
//
// clearScreens are the screens where a grid's own worker may see that
// grid's residents in clear, by the fragment they start with.
var clearScreens = []string{"#/tickets/", "#/visits", "#/residents/"}

// roleCase is one user of the fixture city and what the test expects of
// their navigation.
type roleCase struct {
	key  string // names the subtest and the screenshots
	user access.User
	// offered and withheld are navigation links (data-nav) the role must
	// and must not be offered: what its roles may use in the API.
	offered, withheld []string
}

// rolesCity is the fixture city: two grids in different communities, a
// distinctive household in the first and a resident in the second, each
// with a ticket they wrote naming themselves with their phone and ID
// number; a reported event, a task dispatched to 城管, a campaign with a
// sign-up, a message in the ledger and a visit whose notes name the
// resident; and a user of every role.
type rolesCity struct {
	*site
	gridA, gridB     string
	workerA, workerB population.Worker
	a1, a2, b1       population.Resident
	ticketA, ticketB int64
	event, campaign  int64
	residents        map[int64]population.Resident // every resident, in clear
	workers          []population.Worker
	users            []roleCase
	tokens           map[string]string
}

func newRolesCity(t *testing.T) *rolesCity {
	t.Helper()
	s := newSite(t, true, 0)
	ctx := t.Context()
	c := &rolesCity{site: s, gridA: s.resident.GridCode, tokens: map[string]string{}}
	communityA := ancestor(t, s.st, c.gridA, population.LevelCommunity)
	streetA := ancestor(t, s.st, c.gridA, population.LevelStreet)

	// Grid A's worker; and grid B, with its worker, in a community of its
	// own beside A's, in the same street.
	ws, err := s.st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Role == population.RoleGridWorker && w.GridCode == c.gridA {
			c.workerA = w
			break
		}
	}
	if c.workerA.Code == "" {
		t.Fatalf("grid %s has no worker", c.gridA)
	}
	communityB := streetA + "-97"
	c.gridB = communityB + "-01"
	if err := s.st.UpsertGrids(ctx, []population.Grid{{Code: communityB, Name: "映雪社区", Level: population.LevelCommunity, ParentCode: streetA},
		{Code: c.gridB, Name: "映雪第一网格", Level: population.LevelGrid, ParentCode: communityB}}); err != nil {
		t.Fatal(err)
	}
	if err := s.st.UpsertWorkers(ctx, []population.Worker{{Code: "W-" + c.gridB, Name: "郑网格", Phone: "13512349999",
		Role: population.RoleGridWorker, GridCode: c.gridB}}); err != nil {
		t.Fatal(err)
	}
	if c.workerB, err = s.st.WorkerByCode(ctx, "W-"+c.gridB); err != nil {
		t.Fatal(err)
	}
	c.workers = append(ws, c.workerB)

	// Residents with names, phones and ID numbers no one else has.
	id := func(seq int) pii.IDNumber {
		first := fmt.Sprintf("11010119400307%03d", seq)
		return pii.IDNumber(first + string(pii.CheckDigit(first)))
	}
	phone := func(p string) pii.Phone {
		t.Helper()
		if _, err := s.st.ResidentByPhone(ctx, pii.Phone(p)); err == nil {
			t.Fatalf("phone %s is taken in the synthetic city", p)
		}
		return pii.Phone(p)
	}
	born := time.Date(1940, 3, 7, 0, 0, 0, 0, time.UTC)
	c.a1 = population.Resident{Name: "欧阳青禾", Gender: population.Male, BirthDate: born, IDNumber: id(131), Phone: phone("13512340001"),
		Address: population.Address{Community: "青禾苑", Building: "7", Unit: "2", Room: "301"}, GridCode: c.gridA,
		Categories: []population.Category{population.ElderlyAlone}, PreferredChannel: population.ChannelSMS}
	c.a2 = population.Resident{Name: "欧阳松涛", Gender: population.Male, BirthDate: born, IDNumber: id(153), Phone: phone("13512340002"),
		Address: c.a1.Address, GridCode: c.gridA, Categories: []population.Category{population.Disabled}, PreferredChannel: population.ChannelSMS}
	c.b1 = population.Resident{Name: "司马映雪", Gender: population.Female, BirthDate: born, IDNumber: id(162), Phone: phone("13512340003"),
		Address: population.Address{Community: "映雪里", Building: "3", Unit: "1", Room: "102"}, GridCode: c.gridB,
		Categories: []population.Category{population.ElderlyAlone}, PreferredChannel: population.ChannelSMS}
	if _, err := s.st.UpsertResidents(ctx, []population.Resident{c.a1, c.a2, c.b1}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*population.Resident{&c.a1, &c.a2, &c.b1} {
		got, err := s.st.ResidentByPhone(ctx, r.Phone)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = got.ID
	}

	// Each writes in, naming themself with their phone and ID number.
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: s.st, Dispatcher: s.rec, Log: testlog.New(t), Media: s.media})
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	write := func(r population.Resident, text, extend string) desk.Outcome {
		t.Helper()
		seq++
		out, err := dk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: fmt.Sprintf("roles-%d", seq),
			From: string(r.Phone), Kind: desk.KindText, Text: text, ExtendCode: extend})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, x := range []struct {
		r  population.Resident
		id *int64
	}{{c.a1, &c.ticketA}, {c.b1, &c.ticketB}} {
		out := write(x.r, fmt.Sprintf("家里水管漏水，楼下都淹了。我是%s，身份证%s，电话%s，请尽快来人。", x.r.Name, x.r.IDNumber, x.r.Phone), "")
		if !out.NewTicket {
			t.Fatalf("%s's message opened no ticket: %+v", x.r.Name.Masked(), out)
		}
		*x.id = out.TicketID
	}
	if _, err := dk.Dispatch(ctx, c.ticketA, []dispatch.Task{{Department: "chengguan", DueAt: time.Now().Add(72 * time.Hour),
		Note: "请联系" + string(c.a1.Name) + "（" + string(c.a1.Phone) + "）上门查看"}}, "街道指挥中心"); err != nil {
		t.Fatal(err)
	}
	rep, err := dk.Report(ctx, desk.Report{GridCode: c.gridA, By: "巡查员", Source: tickets.SourcePatrol, ResidentID: c.a1.ID,
		Text:     fmt.Sprintf("%s家中燃气报警器失灵，其子电话%s，身份证%s", c.a1.Name, c.a2.Phone, c.a2.IDNumber),
		Location: tickets.Location{Address: "青禾苑7栋2单元301"}})
	if err != nil {
		t.Fatal(err)
	}
	c.event = rep.Ticket.ID

	// A campaign of the whole city that A1 signs up to, and its message
	// in the ledger.
	camp := campaigns.Campaign{Name: "独居老人冬季关爱", Kind: campaigns.KindPolicyNotice, Segment: "category:elderly_alone",
		ChannelPolicy: campaigns.SMSOnly, Owner: "业务科", ExpiresAt: time.Now().Add(72 * time.Hour),
		SMS:          campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_T", Params: map[string]string{"x": "回T退订"}},
		ReplyOptions: map[string]string{"1": "报名", "2": "不参加"}, ExtendCode: "61"}
	if err := s.st.CreateCampaign(ctx, &camp); err != nil {
		t.Fatal(err)
	}
	c.campaign = camp.ID
	if out := write(c.a1, "1", "61"); out.CampaignID != camp.ID {
		t.Fatalf("A1's answer: %+v, want a sign-up to campaign %d", out, camp.ID)
	}
	if _, _, err := s.st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeNotify, ResidentID: c.a1.ID,
		Channel: population.ChannelSMS, Route: outbound.RouteSMS, To: string(c.a1.Phone)}); err != nil {
		t.Fatal(err)
	}

	// A visit whose notes name the resident and a number.
	if _, err := s.st.RecordVisit(ctx, visits.Record{WorkerID: c.workerA.ID, ResidentID: c.a1.ID, Kind: visits.InPerson,
		Notes:     fmt.Sprintf("%s身体尚可，电话%s，身份证%s，其子每周来看望", c.a1.Name, c.a1.Phone, c.a1.IDNumber),
		VisitedAt: time.Now().Add(-time.Hour), RecordedBy: "网格员甲"}); err != nil {
		t.Fatal(err)
	}

	// Every resident in clear, for what the screens must not show.
	ids := make([]int64, 0, 1000)
	for i := range int64(1000) {
		ids = append(ids, i+1)
	}
	if c.residents, err = s.st.Residents(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.residents[c.b1.ID]; !ok || len(c.residents) < 300 {
		t.Fatalf("read %d residents back, want every one", len(c.residents))
	}

	// A user of every role.
	worker := []string{"tickets", "report", "visits", "dashboard", "answers"}
	c.users = []roleCase{
		{key: "worker", user: access.User{Name: "网格员甲", Roles: []access.Role{access.RoleWorker}, Grids: []string{c.gridA}},
			offered: worker, withheld: []string{"tasks", "campaigns", "assessment", "delivery", "admin", "unknown"}},
		{key: "leader", user: access.User{Name: "社区书记", Roles: []access.Role{access.RoleWorker}, Grids: []string{communityA}},
			offered: worker, withheld: []string{"campaigns", "assessment", "delivery", "admin", "unknown"}},
		{key: "viewer", user: access.User{Name: "社区查看员", Roles: []access.Role{access.RoleViewer}, Grids: []string{communityA}},
			offered: []string{"tickets", "dashboard", "assessment"}, withheld: []string{"report", "tasks", "delivery", "admin", "unknown"}},
		{key: "department", user: access.User{Name: "城管队员", Roles: []access.Role{access.RoleDepartment}, Department: "chengguan"},
			offered: []string{"tasks"}, withheld: []string{"tickets", "report", "visits", "campaigns", "dashboard", "assessment", "delivery", "answers", "unknown", "admin"}},
		{key: "officer", user: access.User{Name: "业务科", Roles: []access.Role{access.RoleOfficer}, Grids: []string{access.All}},
			offered: []string{"tickets", "report", "visits", "campaigns", "dashboard", "assessment", "delivery", "unknown"}, withheld: []string{"admin"}},
		{key: "checker", user: access.User{Name: "审核员", Roles: []access.Role{access.RoleChecker}, Grids: []string{streetA}},
			offered: []string{"campaigns"}, withheld: []string{"report", "delivery", "admin", "unknown"}},
		{key: "admin", user: access.User{Name: "管理员", Roles: []access.Role{access.RoleAdmin}, Grids: []string{access.All}},
			offered: []string{"admin", "unknown", "delivery"}},
	}
	for _, rc := range c.users {
		tok := "console-roles-" + fmt.Sprintf("%x", sha256.Sum256([]byte(rc.key)))[:16]
		u := rc.user
		u.TokenSHA256 = sha256.Sum256([]byte(tok))
		if _, err := s.st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		c.tokens[rc.key] = tok
	}
	return c
}

// whose says whose phone p is, for a failure message.
func (c *rolesCity) whose(p string) string {
	for _, r := range c.residents {
		if string(r.Phone) == p {
			return fmt.Sprintf(" (resident %d of %s)", r.ID, r.GridCode)
		}
	}
	for _, w := range c.workers {
		if string(w.Phone) == p {
			return " (worker " + w.Code + ")"
		}
	}
	return ""
}

// mayShow reports whether u may see resident r in clear on the screen at
// hash: the table above.
func mayShow(u access.User, r population.Resident, hash string) bool {
	if !u.Has(access.RoleWorker) || !slices.Contains(u.Grids, r.GridCode) {
		return false
	}
	return slices.ContainsFunc(clearScreens, func(p string) bool { return strings.HasPrefix(hash, p) })
}

// digitRun is a run of digits, and the X an ID number may end with.
var digitRun = regexp.MustCompile(`[0-9]+[Xx]?`)

// numbersOn finds the mainland mobile numbers (1[3-9] and nine digits)
// and ID numbers (17 digits and a digit or X) in text, as package pii
// does, but only as whole runs of digits: not inside a longer number such
// as a timestamp.
func numbersOn(text string) (phones, ids []string) {
	for _, run := range digitRun.FindAllString(text, -1) {
		digits := strings.TrimRight(run, "Xx")
		switch {
		case len(digits) == 11 && digits[0] == '1' && digits[1] >= '3':
			phones = append(phones, digits)
		case len(run) == 18:
			ids = append(ids, run)
		}
	}
	return phones, ids
}

// screenText is everything a screen holds that a person could read off it
// or out of the page: the visible text, the text of hidden parts (a table
// hidden on a phone), every attribute (a tel: link, a title, a data-
// attribute) and the values of inputs.
const screenText = `(() => {
	const out = [document.title, document.body.innerText, document.body.textContent];
	for (const e of document.querySelectorAll('*')) {
		for (const a of e.attributes) out.push(a.value);
		if (typeof e.value === 'string') out.push(e.value);
	}
	return out.join('\n');
})()`

// leaks lists what the screen at hash shows that u may not see.
func (c *rolesCity) leaks(u access.User, hash, text string) []string {
	var out []string
	phones := map[string]bool{}
	for _, r := range c.residents {
		if mayShow(u, r, hash) {
			phones[string(r.Phone)] = true
		}
	}
	for _, w := range c.workers {
		// The grid worker's own number, which the desk's receipts give
		// the grid's residents, shows in those messages on their sheet.
		if mayShow(u, population.Resident{GridCode: w.GridCode}, hash) {
			phones[string(w.Phone)] = true
		}
	}
	found, ids := numbersOn(text)
	for _, p := range found {
		if !phones[p] {
			out = append(out, "phone "+pii.Phone(p).Masked()+c.whose(p))
		}
	}
	for _, id := range ids {
		out = append(out, "ID number "+pii.IDNumber(id).Masked())
	}
	allowed := map[pii.Name]bool{}
	for _, r := range c.residents {
		if mayShow(u, r, hash) {
			allowed[r.Name] = true
		}
	}
	for _, r := range c.residents {
		// Names of three characters or more: two-character ones occur in
		// ordinary words and in workers' and users' names.
		if utf8.RuneCountInString(string(r.Name)) >= 3 && !allowed[r.Name] && strings.Contains(text, string(r.Name)) {
			out = append(out, fmt.Sprintf("name %s (resident %d of %s)", r.Name.Masked(), r.ID, r.GridCode))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// countFetches counts the page's requests to the API still unanswered
// (window.gcRolesPending), for settled.
const countFetches = `(() => {
	const f = window.fetch;
	window.gcRolesPending = 0;
	window.fetch = function (...args) {
		window.gcRolesPending++;
		return f.apply(this, args).finally(() => { window.gcRolesPending--; });
	};
})()`

// settled is true once the screen opened has replaced the one before
// (window.gcRolesOld) and stopped loading: no loading marker, no request
// unanswered, and the text unchanged for a moment (for the last answer's
// body to be read and shown).
const settled = `(() => {
	const t = document.querySelector('#screen-title');
	const busy = !t || t === window.gcRolesOld || window.gcRolesPending > 0 || document.querySelector('#main .loading');
	const s = busy ? null : document.body.innerText;
	if (s === null || s !== window.gcRolesText) { window.gcRolesText = s; window.gcRolesAt = Date.now(); return false; }
	return Date.now() - window.gcRolesAt > 40;
})()`

// open shows the screen at hash, by its navigation link when there is
// one, and waits until it has loaded.
func (b *tab) open(hash string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => {
		window.gcRolesOld = location.hash === %[1]q ? null : document.querySelector('#screen-title');
		window.gcRolesText = undefined;
		const a = [...document.querySelectorAll('#nav a')].find((a) => a.getAttribute('href') === %[1]q);
		if (a) a.click(); else location.hash = %[1]q;
		return true;
	})()`, hash))
	b.until("the screen "+hash+" loads", settled)
}

// viewport is a screen size the console is tested at.
type viewport struct {
	name   string
	w, h   int64
	mobile bool
}

var viewports = []viewport{{"390", 390, 844, true}, {"1280", 1280, 900, false}}

// shot names a screenshot taken at v: a phone's as the flows name them,
// a desktop's with its width (and without "phone-").
func (v viewport) shot(name string) string {
	if v.mobile {
		return name
	}
	return strings.TrimPrefix(name, "phone-") + "-" + v.name
}

// emulate sets the page's size, as a phone held upright or a desktop
// browser's window.
func (v viewport) emulate() chromedp.Action[chromedp.Void] {
	if v.mobile {
		return chromedp.EmulateViewport(v.w, v.h, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	return chromedp.EmulateViewport(v.w, v.h)
}

// TestRolesInBrowser signs in as a user of every role, opens every screen
// the navigation offers them and the pages reached from those (a ticket of
// each grid, the registers of both grids' workers, a resident of each, the
// campaign, its sign-ups, the audit log), and checks each at a phone's
// width and a desktop's: that it shows no phone number, ID number or
// resident's full name the user may not see (the table above), that it is
// no wider than the screen, and that the page logs no error. Each screen
// is opened at one width and then looked at in the other, alternately, as
// a phone turned or a window resized would (the console's layout is CSS
// alone): half the page loads of opening each screen twice.
func TestRolesInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	c := newRolesCity(t)
	b := openBrowser(t, c.site)
	b.do("open the console", viewports[0].emulate(),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: countFetches})
			return err
		}),
		chromedp.Navigate(c.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	shot := map[string]bool{}
	for _, rc := range c.users {
		ok := t.Run(rc.key, func(sub *testing.T) {
			b.t = sub
			defer func() { b.t = t }()
			c.tour(b, rc, shot)
		})
		if !ok {
			// A failed tour may have left the page anywhere: start the
			// next user from the sign-in form.
			b.do("start again", viewports[0].emulate(), chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`),
				chromedp.Navigate(c.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
		}
	}
}

// tour signs rc's user in, opens their screens and signs out.
func (c *rolesCity) tour(b *tab, rc roleCase, shot map[string]bool) {
	t := b.t
	b.mu.Lock()
	b.logs = nil // another user's errors are theirs
	b.mu.Unlock()
	b.do("a "+viewports[0].name+" px screen", viewports[0].emulate(), chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
	b.signIn(c.tokens[rc.key], "#screen-title")
	b.until("the first screen loads", settled)

	var nav []string
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify([...document.querySelectorAll('#nav a')].filter((a) => !a.hidden).map((a) => a.dataset.nav))`)), &nav); err != nil {
		t.Fatal(err)
	}
	for _, want := range rc.offered {
		if !slices.Contains(nav, want) {
			t.Errorf("the navigation %v does not offer %s", nav, want)
		}
	}
	for _, not := range rc.withheld {
		if slices.Contains(nav, not) {
			t.Errorf("the navigation %v offers %s, which the role may not use", nav, not)
		}
	}

	// The screens: the navigation's, then the pages reached from them.
	var hashes []string
	for _, n := range nav {
		hashes = append(hashes, "#/"+n)
	}
	offered := func(n string) bool { return slices.Contains(nav, n) }
	if offered("tickets") || offered("tasks") {
		hashes = append(hashes, fmt.Sprintf("#/tickets/%d", c.ticketA), fmt.Sprintf("#/tickets/%d", c.ticketB), fmt.Sprintf("#/tickets/%d", c.event))
	}
	if offered("visits") {
		hashes = append(hashes, "#/visits?worker="+url.QueryEscape(c.workerA.Code), "#/visits?worker="+url.QueryEscape(c.workerB.Code),
			fmt.Sprintf("#/residents/%d", c.a1.ID), fmt.Sprintf("#/residents/%d", c.b1.ID))
	}
	if offered("campaigns") {
		hashes = append(hashes, fmt.Sprintf("#/campaigns/%d", c.campaign))
		if rc.user.Has(access.RoleOfficer) {
			hashes = append(hashes, "#/campaigns/new")
		}
	}
	if offered("answers") {
		hashes = append(hashes, fmt.Sprintf("#/answers/%d", c.campaign))
	}
	if offered("admin") {
		hashes = append(hashes, "#/admin/audit")
	}
	vps := slices.Clone(viewports)
	for _, hash := range hashes {
		b.open(hash)
		for i, vp := range vps {
			if i > 0 {
				b.do("a "+vp.name+" px screen", vp.emulate(), chromedp.Evaluate[chromedp.Void](
					`new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))`, chromedp.EvalAwaitPromise))
			}
			for _, l := range c.leaks(rc.user, hash, b.eval(screenText)) {
				t.Errorf("%s at %s px shows %s", hash, vp.name, l)
			}
			b.fitsWidth(hash+" at "+vp.name+" px", vp.w)
			if name := screenName(hash) + "-" + vp.name; !shot[name] {
				shot[name] = true
				b.screenshot("roles-" + name)
			}
		}
		slices.Reverse(vps) // the next screen opens at the width this one ends at
	}

	// What the table allows shows: the grid's own worker has grid A's
	// household in clear, everyone else masked.
	if offered("visits") {
		b.open("#/visits?worker=" + url.QueryEscape(c.workerA.Code))
		card := b.eval(`(document.querySelector('#households') || document.body).innerText`)
		want := c.a1.Name.Masked()
		if rc.key == "worker" {
			want = string(c.a1.Name)
		}
		if !strings.Contains(card, want) {
			t.Errorf("grid A's register shows %q, want %s", card, want)
		}
	}
	b.checkLog()
	b.signOut()
}

// screenName names a screen for its screenshot: its section, and what
// kind of page below it.
func screenName(hash string) string {
	parts := strings.SplitN(strings.TrimPrefix(hash, "#/"), "/", 2)
	sec, _, query := strings.Cut(parts[0], "?")
	switch {
	case len(parts) == 2 && strings.Trim(parts[1], "0123456789") != "":
		return sec + "-" + parts[1] // campaigns-new, admin-audit
	case len(parts) == 2:
		return strings.TrimSuffix(sec, "s") + "-page"
	case query:
		return sec + "-register"
	}
	return sec
}

// The scan finds numbers next to each other or to letters, and not
// inside longer numbers or in their masked forms.
func TestNumbersOnScreen(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text       string
		phones, id []string
	}{
		{"电话13512340001，13512340002", []string{"13512340001", "13512340002"}, nil},
		{"tel:13512340001", []string{"13512340001"}, nil},
		{"身份证110101194003071316", nil, []string{"110101194003071316"}},
		{"11010119400307131X号", nil, []string{"11010119400307131X"}},
		{"1765012345678 12512340001 135****0001 1101**********1316", nil, nil},
	} {
		phones, ids := numbersOn(c.text)
		if !slices.Equal(phones, c.phones) || !slices.Equal(ids, c.id) {
			t.Errorf("numbersOn(%q) = %q, %q; want %q, %q", c.text, phones, ids, c.phones, c.id)
		}
	}
}
