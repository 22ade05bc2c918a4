package console_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/pii"
)

// TestStoryInBrowser is the product end to end, nothing faked: the
// gridcast binary, built here, seeds a small city and runs `serve` in
// sandbox mode (the WeChat and Aliyun SMS emulators in-process, its own
// queue workers) on SQLite and real Redis, and three people use the
// console in headless Chromium with the passwords their administrator
// set. An officer at 1280 px builds a campaign's audience from the
// segment language's fields and saves the draft; a checker on a phone
// approves it; the officer sends it, and the campaign's page shows the
// funnel the workers filled, figure for figure as the API reports it and
// as many messages as the emulators took. A resident then writes by SMS
// (`gridcast sandbox say`); the grid worker finds the ticket in 我的工单
// on their phone without typing their worker code, answers with a quick
// reply and resolves it: the answer reaches the resident's phone in the
// emulator's record. No page shows a phone number in clear, but for the
// ticket's page, where the grid's own worker sees their resident's.
func TestStoryInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
		}
		t.Skip("GRIDCAST_TEST_REDIS unset (e.g. 127.0.0.1:6379): the end-to-end story runs gridcast serve on real Redis")
	}
	// A database of this test's own: 12, or GRIDCAST_TEST_REDIS_DB+2 when
	// that is set (the queue package flushes GRIDCAST_TEST_REDIS_DB, or 5;
	// the API's, the CLI's and the metrics' tests use the one after it, or
	// 11): serve's workers take every task of the database they are given.
	db := 12
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_TEST_REDIS_DB")); err == nil {
		db = v + 2
	}
	p := startProduct(t, addr, db)
	started := time.Now()

	// The people, as their administrator makes them with the CLI.
	grid, code, workerName := p.gridWorker()
	const pw = "网格通 e2e 2026 冬"
	pwFile := filepath.Join(p.dir, "password")
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	user := func(name string, args ...string) string {
		t.Helper()
		out := p.cli(append([]string{"users", "create", name}, args...)...)
		p.cli("users", "passwd", name, "--password-file", pwFile)
		lines := strings.Fields(out)
		return lines[len(lines)-1] // the token, printed once, last
	}
	officerTok := user("李强", "--role", "officer", "--grid", "*")
	user("张敏", "--role", "checker", "--grid", "*")
	workerTok := user(workerName, "--role", "worker", "--grid", grid, "--worker", code)
	p.serve()

	// The officer, at a desktop: the audience from the fields' chips.
	officer := openBrowser(t, &site{})
	officer.do("the officer's screen", chromedp.EmulateViewport(1280, 900))
	officer.passwordSignIn(p.base, "李强", pw)
	officer.do("the campaign form", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)),
		chromedp.WaitVisible(chromedp.CSS("#campaign-new")), chromedp.Click(chromedp.CSS("#campaign-new")),
		chromedp.WaitVisible(chromedp.CSS("#cf-segment")))
	officer.until("the fields of the language", `document.querySelectorAll('#cf-fields .chip').length > 5`)
	officer.do("build the audience",
		chromedp.Click(chromedp.CSS(`#cf-fields .chip[data-field="category"]`)),
		chromedp.Click(chromedp.CSS(`#cf-fields .chip[data-field="age"]`)))
	const expr = "category:unemployed AND age:18..45"
	if got := officer.eval(`document.querySelector('#cf-segment').value`); got != expr {
		t.Fatalf("the chips built %q, want %q", got, expr)
	}
	var count struct{ Count int }
	p.api(officerTok, "/api/v1/segments/count?expr="+url.QueryEscape(expr), &count)
	if count.Count == 0 {
		t.Fatalf("no resident of the seeded city is in %s", expr)
	}
	// Each chip asks for a count; the page shows the last expression's.
	officer.until(fmt.Sprintf("the form counts the API's %d residents", count.Count),
		fmt.Sprintf(`document.querySelector('#cf-count').textContent.includes('符合条件的居民：%d 人') && document.querySelectorAll('#cf-sample li').length > 0`, count.Count))
	officer.noPhones("story-campaign-form", "")
	officer.do("the content",
		chromedp.SendKeys(chromedp.CSS("#cf-name"), "就业补贴政策宣传"),
		chromedp.SetValue(chromedp.CSS("#cf-kind"), "policy_notice"),
		chromedp.SendKeys(chromedp.CSS("#cf-sms-code"), "SMS_GRID_POLICY"))
	officer.until("the template's parameters listed", `document.querySelector('#cf-sms-params').value.includes('policy=')`)
	officer.setValue("#cf-sms-params", "name={{resident.surname_title}}\npolicy=灵活就业社保补贴开始申报\nworker={{worker.name}}\nphone={{worker.phone}}")
	officer.until("the SMS mapping fits", `document.querySelector('#cf-sms-check').textContent.includes('参数齐全')`)
	officer.setValue("#cf-wx-id", "TPL_GRID_NOTICE")
	officer.setValue("#cf-wx-fields", "keyword1=灵活就业社保补贴开始申报\nkeyword2={{worker.name}}\nkeyword3=回T退订")
	officer.until("the WeChat mapping fits", `document.querySelector('#cf-wx-check').textContent.includes('参数齐全')`)
	officer.do("save the draft", chromedp.Click(chromedp.CSS("#cf-submit")),
		chromedp.WaitVisible(chromedp.CSS(`.camp-state [data-state="draft"]`)))
	id := officer.eval(`location.hash.split('/')[2]`)
	officer.until("the draft's preview", `document.querySelectorAll('#camp-preview .camp-msg').length > 0`)
	officer.noPhones("story-campaign-draft", "")

	// The checker, on a phone, in a browser of their own: approves.
	checker := openBrowser(t, &site{})
	checker.do("the checker's phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	checker.passwordSignIn(p.base, "张敏", pw)
	card := `#approval-queue .camp-card[data-id="` + id + `"]`
	checker.do("the approval queue", chromedp.Click(chromedp.CSS(`#nav a[data-nav="campaigns"]`)), chromedp.WaitVisible(chromedp.CSS(card)))
	checker.fits("the approval queue")
	checker.do("open and approve", chromedp.Click(chromedp.CSS(card+" a")), chromedp.WaitVisible(chromedp.CSS("#camp-approve")),
		chromedp.Click(chromedp.CSS("#camp-approve")), chromedp.WaitVisible(chromedp.CSS("#camp-approved")))
	checker.fits("the approved campaign")
	checker.noPhones("story-phone-campaign-approved", "")

	// The officer sends it; the workers send, the emulators take the
	// messages and push the receipts back.
	officer.do("the approved draft", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#camp-approved")),
		chromedp.Click(chromedp.CSS("#camp-send")))
	officer.until("on its way", `(document.querySelector('.camp-state [data-state]') || {dataset: {}}).dataset.state !== 'draft' && document.querySelector('#notice').textContent.includes('已提交发送')`)
	var st campaignState
	p.until("every message of the campaign sent and its receipt back", func() (bool, string) {
		p.api(officerTok, "/api/v1/campaigns/"+id, &st)
		tot := st.total()
		return st.Campaign.State == "completed" && tot.pending == 0 && st.waitingReceipts() == 0 && tot.sent+tot.failed > 0,
			fmt.Sprintf("%+v", st)
	})
	tot := st.total()
	officer.do("the campaign's page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#camp-funnel [data-channel]`)))
	want := fmt.Sprintf("目标 %d · 待发 %d · 已发 %d · 送达 %d · 失败 %d · 跳过 %d", st.Funnel.Targeted, tot.pending, tot.sent, tot.delivered, tot.failed, tot.skipped)
	if got := officer.text("#camp-figures"); got != want {
		t.Errorf("the page's funnel says %q; the API's figures are %q", got, want)
	}
	for ch, cf := range st.Funnel.ByChannel {
		want := fmt.Sprintf("待发 %d · 发送中 %d · 已发 %d · 送达 %d · 失败 %d", cf.Pending, cf.Sending, cf.Sent, cf.Delivered, cf.Failed)
		if got := officer.text(`#camp-funnel [data-channel="` + ch + `"] p`); got != want {
			t.Errorf("the page's %s card says %q; the API's figures are %q", ch, got, want)
		}
	}
	if f := st.Funnel; f.Targeted != count.Count || tot.delivered == 0 || tot.delivered != f.Targeted-tot.skipped-tot.failed {
		t.Errorf("%d of %d targeted delivered (%d skipped, %d failed), of an audience of %d: want everyone reachable",
			tot.delivered, f.Targeted, tot.skipped, tot.failed, count.Count)
	}
	// The emulators took exactly the messages the ledger says were sent,
	// each once.
	rec := p.record(time.Time{})
	if n := rec.count(func(m recorded) bool { return m.Template == "SMS_GRID_POLICY" || m.Template == "TPL_GRID_NOTICE" }); n != tot.sent {
		t.Errorf("the emulators took %d of the campaign's messages; its page says %d sent", n, tot.sent)
	}
	if rec.SMS.Accepted+rec.WeChat.Accepted != tot.sent || rec.SMS.Repeats+rec.WeChat.Repeats != 0 {
		t.Errorf("the sandbox's record: %d SMS and %d WeChat messages, %d repeats; want the campaign's %d sent, each once",
			rec.SMS.Accepted, rec.WeChat.Accepted, rec.SMS.Repeats+rec.WeChat.Repeats, tot.sent)
	}
	officer.fitsWidth("the campaign's funnel", 1280)
	officer.noPhones("story-campaign-funnel", "")

	// A resident of the worker's grid, on no campaign's list and not on
	// WeChat, writes by SMS.
	var rs []struct {
		ID    int64  `json:"id"`
		Phone string `json:"phone"`
	}
	if err := json.Unmarshal([]byte(p.cli("segment", "sample", "grid:"+grid+" AND age:60.. AND channel:sms AND NOT channel:wechat", "--n", "1", "--json")), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("a resident of %s to write: %v, %v", grid, rs, err)
	}
	r := rs[0]
	p.cli("sandbox", "say", "--resident", strconv.FormatInt(r.ID, 10), "小区门口的路灯坏了，晚上出门看不清路，请尽快修一下")
	var tk apiTicket
	p.until("the resident's ticket", func() (bool, string) {
		var ts []apiTicket
		p.api(workerTok, "/api/v1/tickets?status=assigned", &ts)
		for _, x := range ts {
			if x.ResidentID == r.ID {
				tk = x
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", ts)
	})
	if tk.AssigneeCode != code {
		t.Errorf("ticket %d is with %q, want the grid's worker %s", tk.ID, tk.AssigneeCode, code)
	}

	// The worker, on their phone: 我的工单 by the code /me gives.
	worker := openBrowser(t, &site{})
	worker.do("the worker's phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	worker.passwordSignIn(p.base, workerName, pw)
	row := fmt.Sprintf(`#ticket-list tr[data-id="%d"]`, tk.ID)
	worker.do("我的工单", chromedp.Click(chromedp.CSS(`#nav a[data-nav="tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tab-mine[aria-current="page"]`)), chromedp.WaitVisible(chromedp.CSS(row)))
	if got := worker.eval(`document.querySelector('#mine-worker').value`); got != code {
		t.Errorf("我的工单 is for %q, want the user's own worker code %s", got, code)
	}
	if got := worker.text(row); !strings.Contains(got, "路灯坏了") || !strings.Contains(got, r.Phone) {
		t.Errorf("the ticket's row says %q, want the resident's words and masked phone %s", got, r.Phone)
	}
	worker.fits("我的工单")
	worker.noPhones("story-phone-mine", "")
	worker.do("open the ticket", chromedp.Click(chromedp.CSS(row+" a.ticket-link")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="assigned"]`)), chromedp.WaitVisible(chromedp.CSS("#quick-1")))
	worker.fits("the ticket")
	worker.noPhones("story-phone-ticket", r.Phone)
	repliedAt := time.Now()
	worker.do("a quick reply", chromedp.Click(chromedp.CSS("#quick-1")),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="replied"]`)))
	worker.do("resolve", chromedp.SendKeys(chromedp.CSS("#note-resolve"), "已联系市政维修，路灯今晚修复"),
		chromedp.Click(chromedp.CSS("#act-resolve")), chromedp.WaitVisible(chromedp.CSS(`#ticket-status[data-status="resolved"]`)))
	worker.fits("the resolved ticket")
	worker.noPhones("story-phone-resolved", r.Phone)

	// The API: resolved, the reply sent; the emulator: it reached the
	// resident's phone.
	var detail struct {
		Ticket       apiTicket `json:"ticket"`
		Conversation []struct {
			ID      int64  `json:"id"`
			Purpose string `json:"purpose"`
			Status  string `json:"status"`
			Actor   string `json:"actor"`
		} `json:"conversation"`
	}
	var reply int64
	p.until("the reply sent", func() (bool, string) {
		p.api(workerTok, fmt.Sprintf("/api/v1/tickets/%d", tk.ID), &detail)
		for _, m := range detail.Conversation {
			if m.Purpose == "reply" && (m.Status == "sent" || m.Status == "delivered") {
				reply = m.ID
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", detail.Conversation)
	})
	for _, m := range detail.Conversation {
		if m.ID == reply && m.Actor != workerName {
			t.Errorf("the reply is by %q, want %s", m.Actor, workerName)
		}
	}
	if detail.Ticket.Status != "resolved" {
		t.Errorf("ticket %d after 办结: %s, want resolved", tk.ID, detail.Ticket.Status)
	}
	got := p.record(repliedAt).count(func(m recorded) bool {
		return m.Channel == "sms" && m.OutID == strconv.FormatInt(reply, 10) && pii.Phone(m.Recipient).Masked() == r.Phone
	})
	if got != 1 {
		t.Errorf("the reply (message %d) reached %s %d times in the emulator's record, want once", reply, r.Phone, got)
	}
	officer.checkLog()
	checker.checkLog()
	worker.checkLog()
	t.Logf("the story took %v after the build", time.Since(started).Round(time.Second))
}

// product is the gridcast binary with its configuration, data directory
// and, once p.serve has run, the server.
type product struct {
	t    *testing.T
	dir  string
	bin  string
	cfg  string
	env  []string
	base string // serve's base URL
	log  string // serve's log file
	sb   string // the in-process sandbox's address, for its admin API
}

// startProduct builds the binary, writes the configuration (sandbox mode,
// SQLite in a temporary data directory, Redis database db, a free port,
// no quiet hours so that the story runs at any hour, approval for every
// campaign), seeds a city of 400 and syncs the emulators' templates.
func startProduct(t *testing.T, redisAddr string, db int) *product {
	t.Helper()
	dir := t.TempDir()
	p := &product{t: t, dir: dir, bin: filepath.Join(dir, "gridcast"), cfg: filepath.Join(dir, "config.yaml"), log: filepath.Join(dir, "serve.log")}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool, to build gridcast: %v", err)
	}
	if out, err := exec.CommandContext(t.Context(), goTool, "build", "-o", p.bin, "github.com/gridcast/gridcast/cmd/gridcast").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := ln.Addr().String()
	ln.Close()
	p.base = "http://" + httpAddr
	cfg := fmt.Sprintf(`data_dir: %q
sandbox: true
redis:
  addr: %q
  db: %d
http:
  addr: %q
log:
  format: json
campaigns:
  approval_threshold: -1
  quiet_start: "00:00"
  quiet_end: "00:00"
`, filepath.Join(dir, "data"), redisAddr, db, httpAddr)
	if err := os.WriteFile(p.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The file alone decides: no GRIDCAST_* override from the test's
	// environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRIDCAST_") {
			p.env = append(p.env, kv)
		}
	}
	p.cli("seed", "--residents", "400", "--seed", "1", "--quiet")
	p.cli("templates", "sync")
	return p
}

// cli runs a gridcast command and returns what it printed, failing the
// test with its standard error when it fails.
func (p *product) cli(args ...string) string {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), p.bin, append([]string{"--config", p.cfg}, args...)...)
	cmd.Env = p.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("gridcast %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// gridWorker is the seeded city's grid worker: their grid, worker code
// and name, from `gridcast workers list`.
func (p *product) gridWorker() (grid, code, name string) {
	p.t.Helper()
	for line := range strings.Lines(p.cli("workers", "list")) {
		if f := strings.Fields(line); len(f) >= 4 && f[2] == "grid_worker" {
			return f[3], f[0], f[1]
		}
	}
	p.t.Fatal("the seeded city has no grid worker")
	return "", "", ""
}

// serve starts `gridcast serve`, stopped when the test ends (its log
// printed when the test failed), and waits until it is ready.
func (p *product) serve() {
	t := p.t
	t.Helper()
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p.bin, "--config", p.cfg, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if t.Failed() {
			p.dumpLog()
		}
	})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	})
	c := &http.Client{Timeout: 2 * time.Second}
	ready := func() (bool, string) {
		select {
		case <-exited:
			t.Fatalf("gridcast serve exited before it was ready")
		default:
		}
		res, err := c.Get(p.base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, res.Status
	}
	p.until("gridcast serve ready at "+p.base, ready)
	// The in-process sandbox listens on a port of its own, which serve
	// logs; its admin API keeps the record of what the emulators took.
	f, err := os.Open(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "sandbox_started" {
			p.sb = l.Addr
		}
	}
	if p.sb == "" {
		t.Fatal("serve logged no sandbox_started with the emulators' address")
	}
}

// dumpLog logs the end of serve's log.
func (p *product) dumpLog() {
	b, err := os.ReadFile(p.log)
	if err != nil {
		p.t.Logf("serve's log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	p.t.Logf("the end of serve's log:\n%s", strings.Join(lines, "\n"))
}

// api GETs path with an API token and decodes the answer into v.
func (p *product) api(token, path string, v any) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(p.t.Context(), http.MethodGet, p.base+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	p.getJSON(req, v)
}

func (p *product) getJSON(req *http.Request, v any) {
	p.t.Helper()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		p.t.Fatalf("GET %s: %d %s", req.URL.Path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		p.t.Fatalf("GET %s: %v\n%s", req.URL.Path, err, body)
	}
}

// until polls cond every 200 ms for up to a minute: the pipeline's steps
// (queue, emulators, receipts) take their time on a busy machine.
func (p *product) until(what string, cond func() (bool, string)) {
	p.t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(time.Minute)
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-timeout:
			p.t.Fatalf("%s: not after a minute; last seen: %s", what, state)
		}
	}
}

// record is the sandbox's record of the messages the emulators took, at
// or after since (the zero time: all).
func (p *product) record(since time.Time) sandboxRecord {
	p.t.Helper()
	u := "http://" + p.sb + "/sandbox/record?detail=1"
	if !since.IsZero() {
		u += "&since=" + url.QueryEscape(since.UTC().Format(time.RFC3339Nano))
	}
	req, err := http.NewRequestWithContext(p.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	var rec sandboxRecord
	p.getJSON(req, &rec)
	return rec
}

// sandboxRecord is GET /sandbox/record?detail=1, the parts read here.
type sandboxRecord struct {
	SMS, WeChat struct {
		Accepted int `json:"accepted"`
		Repeats  int `json:"repeats"`
	}
	Messages []recorded `json:"messages"`
}

type recorded struct {
	Channel   string `json:"channel"`
	Recipient string `json:"recipient"`
	OutID     string `json:"out_id"`
	Template  string `json:"template"`
}

func (r sandboxRecord) count(match func(recorded) bool) int {
	n := 0
	for _, m := range r.Messages {
		if match(m) {
			n++
		}
	}
	return n
}

// campaignState is GET /api/v1/campaigns/{id}, the parts read here.
type campaignState struct {
	Campaign struct {
		State string `json:"state"`
	} `json:"campaign"`
	Funnel struct {
		Targeted  int            `json:"targeted"`
		Skipped   map[string]int `json:"skipped"`
		ByChannel map[string]struct {
			Pending, Sending, Sent, Delivered, Failed int
		} `json:"by_channel"`
	} `json:"funnel"`
}

type funnelTotals struct{ pending, sent, delivered, failed, skipped int }

// total adds the channels up as the campaign's page does.
func (s campaignState) total() funnelTotals {
	var t funnelTotals
	for _, cf := range s.Funnel.ByChannel {
		t.pending += cf.Pending + cf.Sending
		t.sent += cf.Sent + cf.Delivered
		t.delivered += cf.Delivered
		t.failed += cf.Failed
	}
	for _, n := range s.Funnel.Skipped {
		t.skipped += n
	}
	return t
}

// waitingReceipts counts the messages sent whose receipt has not come.
func (s campaignState) waitingReceipts() int {
	n := 0
	for _, cf := range s.Funnel.ByChannel {
		n += cf.Sent
	}
	return n
}

// apiTicket is a ticket as the API lists it, the parts read here.
type apiTicket struct {
	ID           int64  `json:"id"`
	Status       string `json:"status"`
	ResidentID   int64  `json:"resident_id"`
	AssigneeCode string `json:"assignee_code"`
}

// passwordSignIn opens the console at base and signs in with a name and
// password.
func (b *tab) passwordSignIn(base, name, pw string) {
	b.t.Helper()
	b.do("sign in as "+name,
		chromedp.Navigate(base+console.Prefix), chromedp.WaitVisible(chromedp.CSS("#login-name")),
		chromedp.SendKeys(chromedp.CSS("#login-name"), name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.until(name+" signed in", fmt.Sprintf(`document.querySelector('#who-label').textContent.includes(%q)`, name))
}

// setValue sets a field's value as typing would, with its input and
// change events.
func (b *tab) setValue(sel, value string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change')); return true; })()`, sel, value))
}

// clearPhone is a mobile number in clear: eleven digits from 13–19, not
// part of a longer number.
var clearPhone = regexp.MustCompile(`(?:^|\D)(1[3-9]\d{9})(?:\D|$)`)

// noPhones checks that neither the page's text nor its HTML holds a
// mobile number in clear, but for the resident whose masked number is own
// (on a ticket's page their grid's worker sees them in clear), and keeps
// a screenshot when asked.
func (b *tab) noPhones(screen, own string) {
	b.t.Helper()
	for what, s := range map[string]string{"text": b.eval(`document.body.innerText`), "HTML": visible(b.ctx)} {
		for _, m := range clearPhone.FindAllStringSubmatchIndex(s, -1) {
			if p := pii.Phone(s[m[2]:m[3]]); own == "" || p.Masked() != own {
				from, to := max(0, m[2]-120), min(len(s), m[3]+60)
				b.t.Errorf("%s: the page's %s shows the phone number %s in clear: …%s…", screen, what, p, s[from:to])
				break
			}
		}
	}
	b.screenshot(screen)
}
