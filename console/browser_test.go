package console_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// chromium is Debian's package's browser, which .ci/run installs.
const chromium = "/usr/bin/chromium"

// ticketStore is the glue cmd/gridcast has too: the API takes its own
// ticket filter so that it imports no driver.
type ticketStore struct{ *store.Store }

func (s ticketStore) ListTickets(ctx context.Context, f api.TicketFilter) ([]tickets.Ticket, error) {
	return s.Tickets(ctx, store.TicketFilter(f))
}

// recorder is the desk's Dispatcher: it records what would be queued and
// sends nothing, so a reply stays pending.
type recorder struct {
	mu   sync.Mutex
	sent []int64
}

func (r *recorder) EnqueueSend(_ context.Context, m outbound.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.ID)
	return nil
}

func (r *recorder) ScheduleEscalation(context.Context, int64, tickets.Level, time.Time) error {
	return nil
}

// site is a real server: the API over a seeded SQLite store and the desk,
// with the visit register, living records and 考核, and the console
// mounted as cmd/gridcast mounts it.
type site struct {
	srv      *httptest.Server
	st       *store.Store
	rec      *recorder
	media    *blob.Media         // where photos and voice are kept
	token    string              // the worker's; "" with authentication off
	resident population.Resident // the one who wrote, in clear
	ticket   tickets.Ticket      // the ticket their message opened
	stranger pii.Phone           // a sender who matches no resident
}

// newSite builds the site; withUser turns authentication on with one
// worker, 王芳, whose token is s.token. others more residents write too,
// each opening a ticket after s.ticket.
func newSite(t *testing.T, withUser bool, others int, opts ...siteOption) *site {
	t.Helper()
	ctx := t.Context()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	lg := testlog.New(t)
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "console.db")}, sealer, lg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gen, _ := synth.New(synth.Config{Residents: 300, Seed: 11})
	if err := st.UpsertGrids(ctx, gen.Grids()); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertWorkers(ctx, gen.Workers()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BulkInsertResidents(ctx, gen.Next, nil); err != nil {
		t.Fatal(err)
	}
	s := &site{st: st, rec: &recorder{}}
	if withUser {
		s.token = "console-test-token-3f9a"
		if _, err := st.CreateUser(ctx, access.User{Name: "王芳", TokenSHA256: sha256.Sum256([]byte(s.token)),
			Roles: []access.Role{access.RoleWorker}, Grids: []string{access.All}}); err != nil {
			t.Fatal(err)
		}
	}
	// A resident answered by SMS alone, whose phone is theirs only and
	// whose name is long enough to tell from its masked form.
	phones := map[pii.Phone]int{}
	for r := range gen.Residents() {
		phones[r.Phone]++
	}
	for r := range gen.Residents() {
		if r.Phone.Validate() == nil && phones[r.Phone] == 1 && r.OpenID == "" && len([]rune(string(r.Name))) >= 2 {
			s.resident = r
			break
		}
	}
	if s.resident.Phone == "" {
		t.Fatal("the synthetic population has no resident reachable by SMS alone")
	}
	for _, p := range []pii.Phone{"13900001234", "13900005678", "13700009876"} {
		if _, err := st.ResidentByPhone(ctx, p); errors.Is(err, fault.ErrNotFound) {
			s.stranger = p
			break
		}
	}
	if s.stranger == "" {
		t.Fatal("no phone free for an unknown sender")
	}
	// Photos are kept on disk, as with the blob store's local driver.
	bs, err := localfs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if s.media, err = blob.NewMedia(bs, blob.Limits{}); err != nil {
		t.Fatal(err)
	}
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: st, Dispatcher: s.rec, Log: lg, Media: s.media})
	if err != nil {
		t.Fatal(err)
	}
	// The resident names themself and gives their number: the API masks
	// both in the text, and the page must never show them in clear.
	r := s.resident
	out, err := dk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "up-1", From: string(r.Phone), Kind: desk.KindText,
		Text: fmt.Sprintf("小区门口的路灯坏了，我是%s，电话%s，什么时候能修好？", r.Name, r.Phone)})
	if err != nil || !out.NewTicket {
		t.Fatalf("Handle = %+v, %v; want a new ticket", out, err)
	}
	if s.ticket, err = st.Ticket(ctx, out.TicketID); err != nil {
		t.Fatal(err)
	}
	if _, err := dk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "up-2", From: string(s.stranger),
		Kind: desk.KindText, Text: "你好，我想问一下社保卡怎么补办"}); err != nil {
		t.Fatal(err)
	}
	for o := range gen.Residents() {
		if others == 0 {
			break
		}
		if o.Phone.Validate() != nil || phones[o.Phone] != 1 || o.Phone == r.Phone {
			continue
		}
		out, err := dk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "up-o-" + string(o.Phone),
			From: string(o.Phone), Kind: desk.KindText, Text: "我想咨询一下低保怎么申请"})
		if err != nil || !out.NewTicket {
			t.Fatalf("Handle = %+v, %v; want a new ticket", out, err)
		}
		others--
	}
	if others > 0 {
		t.Fatalf("%d residents short of a ticket each", others)
	}
	// 考核 over the store's monthly figures, as cmd/gridcast wires it.
	scorer, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	inputs := func(ctx context.Context, p assessment.Period) ([]assessment.Input, error) {
		return st.AssessmentInputs(ctx, p, visits.DefaultConfig(), dk.SLA().OnTime)
	}
	cfg := api.Config{
		Segments: st, Tickets: ticketStore{st}, Desk: dk,
		// Every campaign needs a second user's approval, whatever its audience.
		Campaigns: st, Policy: campaigns.Policy{ApprovalThreshold: -1},
		Users: st, Dispatch: st, Supervision: st, Audit: st,
		Visits: st, Records: st, Dashboard: st, Deliveries: st, Assessor: assessment.Assessor{Scorer: scorer, Inputs: inputs},
		Ready: func(context.Context) error { return nil },
		Extra: map[string]http.Handler{"GET " + console.Prefix: console.Handler()},
		Log:   lg,
	}
	for _, o := range opts {
		o(&cfg, st)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

// user stores u as the user called name, as `gridcast users create`
// does, and returns their token (made from the name).
func (s *site) user(t *testing.T, name string, u access.User) string {
	t.Helper()
	tok := "console-token-" + fmt.Sprintf("%x", sha256.Sum256([]byte(name)))[:16]
	u.Name, u.TokenSHA256 = name, sha256.Sum256([]byte(tok))
	if _, err := s.st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return tok
}

// siteOption changes the site's API configuration.
type siteOption func(*api.Config, *store.Store)

// withTestSends serves the test send of campaigns (试发): the messages are
// written on the store's ledger and handed to rec, which sends nothing.
func withTestSends(rec *recorder) siteOption {
	return func(c *api.Config, st *store.Store) { c.TestSender = testSends{Store: st, recorder: rec} }
}

// testSends is the site's api.TestSender: the ledger, and rec for the queue.
type testSends struct {
	*store.Store
	*recorder
}

// withSessions lets users sign in with a password, as gridcast serve does.
func withSessions() siteOption {
	return func(c *api.Config, st *store.Store) { c.Sessions, c.IdentityLinks = st, st }
}

// get fetches a path of the site without following redirects.
func (s *site) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// The console mounted through api.Config.Extra: outside authentication,
// under the API's middleware, /console redirected to /console/.
func TestMountedThroughAPI(t *testing.T) {
	t.Parallel()
	s := newSite(t, true, 0)
	res, _ := s.get(t, "/console")
	if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d to %q, want a redirect to /console/", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := s.get(t, "/console/")
	if res.StatusCode != 200 || !strings.Contains(body, `src="app.js"`) || !strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("/console/: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res, _ := s.get(t, "/api/v1/tickets"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("/api/v1/tickets without a token: %d, want 401", res.StatusCode)
	}
	if _, metrics := s.get(t, "/metrics"); !strings.Contains(metrics, `gridcast_http_requests_total{code="2xx",route="GET /console/"}`) {
		t.Errorf("/metrics does not count the console's requests")
	}
}

// TestConsoleInBrowser drives the console in headless Chromium against the
// real server: sign in, the inbox, a ticket, a quick reply, resolve, the
// unknown senders, a sign-up list, and the refusals the API explains. Set
// GRIDCAST_TEST_SCREENSHOTS to a directory to keep a PNG of each screen.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, true, 0)
	b := openBrowser(t, s)
	ctx, do, text, clean := b.ctx, b.do, b.text, b.clean
	r, tk := s.resident, s.ticket
	row := fmt.Sprintf(`#ticket-list tr[data-id="%d"]`, tk.ID)

	// The token form; a wrong token is refused with the API's 401 message
	// and is not kept.
	do("open the console", chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#token")))
	do("sign in with a wrong token",
		chromedp.SendKeys(chromedp.CSS("#token"), "not-a-token"),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-status="401"]`)))
	if got := text("#error"); !strings.Contains(got, "HTTP 401") || !strings.Contains(got, "invalid bearer token") {
		t.Errorf("wrong token: the error shows %q, want HTTP 401 and the API's message", got)
	}
	b.screenshot("signin-refused")
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem('gridcast.console.token') || ''`)); kept != "" {
		t.Errorf("a refused token was kept: %q", kept)
	}

	// The right token: the inbox lists the ticket with its category,
	// masked resident and due time in Asia/Shanghai.
	do("sign in",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#token').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#token"), s.token),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(row)))
	shanghai := time.FixedZone("CST", 8*3600) // Asia/Shanghai: no daylight saving since 1991
	got := text(row)
	for _, want := range []string{"#" + fmt.Sprint(tk.ID), "已分派", tk.Category.Label(), r.Name.Masked(), r.Phone.Masked(),
		tk.DueAt.In(shanghai).Format("2006-01-02 15:04"), "小区门口的路灯坏了"} {
		if !strings.Contains(got, want) {
			t.Errorf("inbox row %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "已超期") {
		t.Errorf("inbox row %q: a new ticket marked overdue", got)
	}
	// The header names who the token belongs to (GET /api/v1/me).
	who := ""
	for range 50 {
		if who = text("#who-label"); strings.Contains(who, "王芳（网格员）") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(who, "王芳（网格员）") {
		t.Errorf("the header says %q, want the token's user and role", who)
	}
	clean("inbox")

	// The ticket: a quick reply goes out pending and the ticket is replied.
	do("open the ticket",
		chromedp.Click(chromedp.CSS(row+" a.ticket-link")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="assigned"]`)),
		chromedp.WaitVisible(chromedp.CSS("#quick-1")))
	if got := text("#conversation"); !strings.Contains(got, "⇠") || !strings.Contains(got, "居民") || !strings.Contains(got, "受理回执") {
		t.Errorf("conversation %q: want the resident's message and the acknowledgement", got)
	}
	clean("ticket")
	do("send quick reply 1",
		chromedp.Click(chromedp.CSS("#quick-1")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="replied"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversation li.msg.out[data-purpose="reply"][data-status="pending"]`)))
	if got := text(`#conversation li.msg.out[data-purpose="reply"]`); !strings.Contains(got, "⇢") || !strings.Contains(got, "王芳") ||
		!strings.Contains(got, "短信") || !strings.Contains(got, "待发送") {
		t.Errorf("the reply shows %q: want ⇢, the worker, the SMS route and 待发送", got)
	}
	if got := text("#notice"); !strings.Contains(got, "常用回复 1") {
		t.Errorf("notice after the reply: %q", got)
	}
	clean("replied")

	// Resolve with a note; the timeline records it.
	do("resolve",
		chromedp.SendKeys(chromedp.CSS("#note-resolve"), "路灯已修复"),
		chromedp.Click(chromedp.CSS("#act-resolve")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="resolved"]`)))
	if got := text("#timeline"); !strings.Contains(got, "已回复 → 已解决") || !strings.Contains(got, "路灯已修复") {
		t.Errorf("timeline %q: want the resolution and its note", got)
	}
	// A resolved ticket cannot be answered, nor resolved again.
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#reply-text, #act-resolve').length`)); n != 0 {
		t.Errorf("a resolved ticket still offers %d reply or resolve controls", n)
	}
	clean("resolved")

	// The resident says it is not fixed: reopen, then resolve again.
	do("reopen",
		chromedp.SendKeys(chromedp.CSS("#note-reopen"), "居民反映路灯仍不亮"),
		chromedp.Click(chromedp.CSS("#act-reopen")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="assigned"]`)))
	if got := text("#timeline"); !strings.Contains(got, "重新打开（原为已解决）") || !strings.Contains(got, "居民反映路灯仍不亮") {
		t.Errorf("timeline %q: want the reopening and its note", got)
	}
	do("resolve again",
		chromedp.Click(chromedp.CSS("#act-resolve")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="resolved"]`)))
	clean("resolved again")

	// Back in the inbox the ticket is resolved.
	do("back to the inbox",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-status="resolved"]`)))
	if got := text(row); !strings.Contains(got, "已解决") {
		t.Errorf("inbox row after resolving: %q", got)
	}
	do("filter by status",
		chromedp.SetValue(chromedp.CSS("#f-status"), "assigned"),
		chromedp.Click(chromedp.CSS("#apply-filters")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-list .empty")))

	// The unknown sender, masked.
	do("unknown senders",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="unknown"]`)),
		chromedp.WaitVisible(chromedp.CSS("#unknown-list table")))
	if got := text("#unknown-list"); !strings.Contains(got, s.stranger.Masked()) || !strings.Contains(got, "社保卡") {
		t.Errorf("unknown senders %q: want %s and the message", got, s.stranger.Masked())
	}
	clean("unknown")

	// A sign-up list of a campaign that does not exist: the API's 404.
	do("sign-up list",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="answers"]`)),
		chromedp.SendKeys(chromedp.CSS("#campaign-id"), "999"),
		chromedp.Click(chromedp.CSS("#answers-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-status="404"]`)))
	if got := text("#error"); !strings.Contains(got, "HTTP 404") || !strings.Contains(got, "999") {
		t.Errorf("unknown campaign: the error shows %q", got)
	}
	b.screenshot("answers-404")

	// The store agrees with what the page showed.
	final, err := s.st.Ticket(t.Context(), tk.ID)
	if err != nil || final.Status != tickets.StatusResolved {
		t.Errorf("ticket in the store: %s, %v; want resolved", final.Status, err)
	}
	s.rec.mu.Lock()
	sends := len(s.rec.sent)
	s.rec.mu.Unlock()
	if sends < 3 { // the acknowledgements, the reply, the rating request
		t.Errorf("%d messages dispatched, want the reply and the rating request too", sends)
	}
	b.checkLog()
}

// Without API users (a trial on one machine) the console asks for a name
// and sends it as by; the timeline records it. The inbox pages by id.
func TestConsoleInBrowserWithoutAuth(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	s := newSite(t, false, 50) // 51 tickets: two pages
	b := openBrowser(t, s)
	do, text := b.do, b.text
	tk := s.ticket
	do("open the console", chromedp.Navigate(s.srv.URL+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#name")))
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#token').length`)); n != 0 {
		t.Errorf("the API wants no token, yet the console asks for one")
	}
	do("enter with a name",
		chromedp.SendKeys(chromedp.CSS("#name"), "李强"),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"] a.ticket-link`, tk.ID))))
	if got := text("#who-label"); !strings.Contains(got, "李强") {
		t.Errorf("the header says %q, want the name", got)
	}
	rows := func() []int64 {
		t.Helper()
		ids, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int64](`[...document.querySelectorAll('#ticket-list tbody tr')].map((r) => +r.dataset.id)`))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	page1 := rows()
	do("next page", chromedp.Click(chromedp.CSS("#next-page")), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"]`, tk.ID+50))))
	if page2 := rows(); len(page1) != 50 || page1[0] != tk.ID || len(page2) != 1 || page2[0] != page1[49]+1 {
		t.Errorf("pages of %d tickets (from #%d) and %v, want 50 from #%d and the 51st", len(page1), page1[0], page2, tk.ID)
	}
	do("first page", chromedp.Click(chromedp.CSS(`#ticket-list .pager a`)), chromedp.WaitVisible(chromedp.CSS(`#next-page`)))
	do("open the ticket",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#ticket-list tr[data-id="%d"] a.ticket-link`, tk.ID))),
		chromedp.WaitVisible(chromedp.CSS("#reply-text")))

	// A refusal names its reason: no worker has this code.
	do("reassign to nobody",
		chromedp.SendKeys(chromedp.CSS("#reassign-code"), "W-NOBODY"),
		chromedp.Click(chromedp.CSS("#act-reassign")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-status="400"]`)))
	if got := text("#error"); !strings.Contains(got, "转派失败") || !strings.Contains(got, "no such worker") {
		t.Errorf("reassign to an unknown code: the error shows %q", got)
	}
	b.screenshot("reassign-refused")

	do("reply with text",
		chromedp.SendKeys(chromedp.CSS("#reply-text"), "我们明天上午去现场看看"),
		chromedp.Click(chromedp.CSS("#reply-send")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="replied"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversation li.msg.out[data-purpose="reply"]`)))
	if got := text(`#conversation li.msg.out[data-purpose="reply"]`); !strings.Contains(got, "李强") || !strings.Contains(got, "我们明天上午去现场看看") {
		t.Errorf("the reply shows %q, want its author and text", got)
	}
	if got := text("#timeline"); !strings.Contains(got, "李强") {
		t.Errorf("timeline %q: want the name as the actor", got)
	}
	if got := text("#error"); got != "" {
		t.Errorf("an error stays on the screen after a success: %q", got)
	}
	b.clean("open-replied")

	// A report is a multipart upload: in the trial mode too it goes
	// through, and names the reporter by the name typed.
	do("report an event",
		chromedp.Click(chromedp.CSS(`#nav a[data-nav="report"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ev-grid")),
		chromedp.SendKeys(chromedp.CSS("#ev-grid"), s.resident.GridCode),
		chromedp.SendKeys(chromedp.CSS("#ev-text"), "楼道里堆放杂物，堵塞了消防通道"),
		chromedp.Click(chromedp.CSS("#ev-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-source")))
	if got := text("#ticket-fields"); !strings.Contains(got, "李强") || !strings.Contains(got, "网格巡查") {
		t.Errorf("the reported ticket's fields %q lack the reporter or the source", got)
	}
	b.checkLog()
}

// needBrowser skips without Chromium, except in CI, where it fails.
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v; .ci/run installs Debian's chromium package", chromium, err)
		}
		t.Skipf("%s not found: the browser test needs Debian's chromium (apt-get install --no-install-recommends chromium); bash .ci/run installs it", chromium)
	}
}

// tab is a browser tab on a site, with the steps the tests take.
type tab struct {
	t    *testing.T
	s    *site
	ctx  context.Context
	mu   sync.Mutex
	logs []string // what the page logged that a working page does not
}

// openBrowser opens a tab and starts recording what the page logs:
// exceptions, and browser errors other than the refused requests (401,
// 404) the tests provoke on purpose, such as a Content-Security-Policy
// violation.
func openBrowser(t *testing.T, s *site) *tab {
	b := &tab{t: t, s: s, ctx: browser(t)}
	if err := chromedp.Listen(b.ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.logs = append(b.logs, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				b.logs = append(b.logs, "console.error")
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				b.logs = append(b.logs, fmt.Sprintf("%s: %s", ev.Entry.Source, ev.Entry.Text))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs steps, failing the test with the page's HTML if they do not
// finish within 20 seconds.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\non the page: %s", what, err, visible(b.ctx))
	}
}

// text is the visible text of the element sel selects.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// clean checks that the page holds the resident's name and phone, and the
// unknown sender's phone, only masked; and keeps a screenshot when asked.
func (b *tab) clean(screen string) {
	b.t.Helper()
	html := visible(b.ctx)
	for _, secret := range []string{string(b.s.resident.Name), string(b.s.resident.Phone), string(b.s.stranger)} {
		if strings.Contains(html, secret) {
			b.t.Errorf("%s: the page shows %q in clear", screen, secret)
		}
	}
	b.screenshot(screen)
}

func (b *tab) checkLog() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.logs) > 0 {
		b.t.Errorf("the page logged errors:\n%s", strings.Join(b.logs, "\n"))
	}
}

// browser starts headless Chromium with a fresh profile and no background
// traffic (the machine's closed network refuses it) and returns a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	// Not t.TempDir: the browser's helper processes may still write to
	// the profile for a moment after it exits, and TempDir's removal
	// would then fail the test.
	profile, err := os.MkdirTemp("", "gridcast-console-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			err := os.RemoveAll(profile)
			if err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Logf("removing the browser profile: %v", err)
				}
				return
			}
		}
	})
	// The first run starts the browser; it must not carry a timeout, which
	// would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return ctx
}

// visible returns the page's HTML, for assertions and failure messages.
func visible(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	html, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return html
}

// screenshot keeps a PNG of the page in $GRIDCAST_TEST_SCREENSHOTS.
func (b *tab) screenshot(name string) {
	dir := os.Getenv("GRIDCAST_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
