package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

var clearMobile = regexp.MustCompile(`1[3-9][0-9]{9}`)

// deskFixture is a seeded store with one ticket opened the way a resident's
// SMS opens one: through the desk, with the CLI's store-only dispatcher.
type deskFixture struct {
	dir      string
	st       *store.Store
	resident population.Resident
	worker   population.Worker
	ticket   int64
}

func newDeskFixture(t *testing.T) deskFixture {
	t.Helper()
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "40", "--seed", "5", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	ctx := context.Background()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: testlog.Writer()}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := deskFixture{dir: dir, st: st}
	for id := int64(1); id <= 40 && f.resident.ID == 0; id++ {
		r, err := st.Resident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Phone != "" && len([]rune(string(r.Name))) >= 2 {
			f.resident = r
		}
	}
	if f.resident.ID == 0 {
		t.Fatal("no resident with a phone number in the fixture")
	}
	if f.worker, err = st.WorkerForGrid(ctx, f.resident.GridCode, population.RoleGridWorker); err != nil {
		t.Fatal(err)
	}
	d, err := a.openDesk(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	out, err := d.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "900001", From: string(f.resident.Phone),
		Text: "我想问下低保怎么申请，我是" + string(f.resident.Name) + "，电话13812345678"})
	if err != nil {
		t.Fatal(err)
	}
	if !out.NewTicket || out.TicketID == 0 {
		t.Fatalf("the question opened no ticket: %+v", out)
	}
	f.ticket = out.TicketID
	return f
}

// noClearData fails when s shows the fixture's clear personal data.
func (f deskFixture) noClearData(t *testing.T, what, s string) {
	t.Helper()
	// The worker's name is public (挂牌服务) and shown in clear; their phone
	// is not printed.
	for _, clear := range []string{string(f.resident.Name), string(f.resident.Phone), string(f.worker.Phone)} {
		if clear != "" && strings.Contains(s, clear) {
			t.Errorf("%s shows %q in clear:\n%s", what, clear, s)
		}
	}
	if m := clearMobile.FindString(s); m != "" {
		t.Errorf("%s shows a clear mobile number %s:\n%s", what, m, s)
	}
}

func TestCLITickets(t *testing.T) {
	f := newDeskFixture(t)
	id := strconv.FormatInt(f.ticket, 10)

	out, errOut, code := gridcast(t, f.dir, "tickets", "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	for _, want := range []string{id, "assigned", "社会救助", f.resident.GridCode, f.worker.Code, f.resident.Name.Masked()} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	f.noClearData(t, "list", out+errOut)

	out, errOut, code = gridcast(t, f.dir, "tickets", "list", "--json", "--grid", f.resident.GridCode, "--status", "assigned", "--assignee", f.worker.Code)
	if code != 0 {
		t.Fatalf("list --json: %d %s", code, errOut)
	}
	var vs []ticketView
	if err := json.Unmarshal([]byte(out), &vs); err != nil || len(vs) != 1 {
		t.Fatalf("list --json: %v, %d tickets\n%s", err, len(vs), out)
	}
	got := []string{vs[0].Resident, vs[0].Phone, vs[0].Assignee, vs[0].AssigneeName, vs[0].Category}
	want := []string{f.resident.Name.Masked(), f.resident.Phone.Masked(), f.worker.Code, string(f.worker.Name), string(tickets.CategorySocialAssistance)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list --json (-want +got):\n%s", diff)
	}
	if !strings.Contains(vs[0].Text, "138****5678") {
		t.Errorf("a phone number in the text is not masked: %q", vs[0].Text)
	}
	f.noClearData(t, "list --json", out)
	if out, _, _ := gridcast(t, f.dir, "tickets", "list", "--status", "closed"); !strings.Contains(out, "no tickets") {
		t.Errorf("list --status closed: %s", out)
	}

	out, errOut, code = gridcast(t, f.dir, "tickets", "show", id)
	if code != 0 {
		t.Fatalf("show: %d %s", code, errOut)
	}
	for _, want := range []string{"ticket " + id, "timeline", "created", "assigned", "⇠ sms", "⇢ sms", "ack, pending", f.resident.Phone.Masked()} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	f.noClearData(t, "show", out+errOut)

	out, errOut, code = gridcast(t, f.dir, "tickets", "quick", id)
	if code != 0 || !strings.Contains(out, " 1  您好，申请需携带身份证") {
		t.Errorf("quick: %d\n%s%s", code, out, errOut)
	}
	f.noClearData(t, "quick", out+errOut)
	if out, errOut, code = gridcast(t, f.dir, "tickets", "reply", id, "--quick", "2", "--by", "王芳"); code != 0 || !strings.Contains(out, "reply by 王芳") {
		t.Errorf("reply --quick 2: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = gridcast(t, f.dir, "tickets", "reply", id, "请带身份证到社区服务中心办理", "--by", "王芳")
	if code != 0 || !strings.Contains(out, "a running worker sends it") || !strings.Contains(out, f.resident.Phone.Masked()) {
		t.Errorf("reply: %d\n%s%s", code, out, errOut)
	}
	f.noClearData(t, "reply", out+errOut)
	if out, errOut, code = gridcast(t, f.dir, "tickets", "close", id, "--by", "王芳", "--note", "已办理"); code != 0 || !strings.Contains(out, "replied → closed by 王芳") {
		t.Errorf("close: %d %s %s", code, out, errOut)
	}
	if _, errOut, code = gridcast(t, f.dir, "tickets", "reply", id, "还有问题吗", "--by", "王芳"); code == 0 || !strings.Contains(errOut, "ticket "+id+" is closed") {
		t.Errorf("reply to a closed ticket: code %d, stderr %q", code, errOut)
	}
	out, errOut, code = gridcast(t, f.dir, "tickets", "stats", "--by", "worker")
	if code != 0 || !strings.Contains(out, f.worker.Code) || !strings.Contains(out, "OVERDUE") {
		t.Errorf("stats: %d\n%s%s", code, out, errOut)
	}
	// The resident's history holds the desk's messages beside any other.
	out, errOut, code = gridcast(t, f.dir, "residents", "messages", strconv.FormatInt(f.resident.ID, 10))
	if code != 0 || !strings.Contains(out, "ack") || !strings.Contains(out, "reply") || !strings.Contains(out, "ticket "+id) ||
		!strings.Contains(out, "请带身份证到社区服务中心办理") {
		t.Errorf("residents messages: %d\n%s%s", code, out, errOut)
	}
	f.noClearData(t, "residents messages", out+errOut)
	out, errOut, code = gridcast(t, f.dir, "residents", "messages", strconv.FormatInt(f.resident.ID, 10), "--json", "--limit", "1")
	var hist []struct {
		Purpose, Route, Status string
		TicketID               int64 `json:"ticket_id"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil || code != 0 || len(hist) != 1 || hist[0].Purpose != "reply" ||
		hist[0].Route != "sms" || hist[0].Status != "pending" || strconv.FormatInt(hist[0].TicketID, 10) != id {
		t.Errorf("residents messages --json --limit 1: %d %v %+v %s", code, err, hist, errOut)
	}
	out, _, _ = gridcast(t, f.dir, "tickets", "show", id)
	for _, want := range []string{"reply, pending by 王芳", "王芳", "replied → closed", "已办理"} {
		if !strings.Contains(out, want) {
			t.Errorf("show after reply and close lacks %q:\n%s", want, out)
		}
	}
}

func TestCLITicketsWorkflow(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	// A second ticket of the same resident, as the store API makes it.
	dup, ev := tickets.SLA{}.Open(tickets.Ticket{ResidentID: f.resident.ID, GridCode: f.resident.GridCode,
		Channel: population.ChannelSMS, Text: "低保的事还没人联系我", Category: tickets.CategorySocialAssistance}, nil, time.Now())
	if err := f.st.CreateTicket(ctx, &dup, ev); err != nil {
		t.Fatal(err)
	}
	leader, err := f.st.WorkerForGrid(ctx, f.resident.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	keep, dupID := strconv.FormatInt(f.ticket, 10), strconv.FormatInt(dup.ID, 10)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"tickets", "start", keep, "--by", "王芳"}, "assigned → in_progress by 王芳"},
		{[]string{"tickets", "reassign", dupID, "--to", leader.Code, "--by", "王芳"}, "assigned to " + leader.Code},
		{[]string{"tickets", "merge", dupID, "--into", keep, "--by", "王芳"}, "ticket " + dupID + " merged into " + keep},
		{[]string{"tickets", "recategorise", keep, "社保医保", "--by", "王芳"}, "社会救助 → 社保医保 by 王芳"},
		{[]string{"tickets", "urgency", keep, "复杂", "--by", "王芳"}, "复杂 by 王芳"},
		{[]string{"tickets", "resolve", keep, "--by", "王芳", "--note", "已协助申请"}, "in_progress → resolved by 王芳"},
		{[]string{"tickets", "show", keep}, "社会救助 → 社保医保"},
		{[]string{"tickets", "show", keep}, "#" + dupID + " → #" + keep},
		{[]string{"tickets", "show", dupID}, "merged into ticket " + keep},
		{[]string{"tickets", "list", "--assignee", leader.Code}, "closed"},
	}
	for _, s := range steps {
		out, errOut, code := gridcast(t, f.dir, s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Errorf("%v: code %d, want %q in:\n%s%s", s.args, code, s.want, out, errOut)
		}
		f.noClearData(t, strings.Join(s.args, " "), out+errOut)
	}
}

func TestCLITicketsBadInput(t *testing.T) {
	f := newDeskFixture(t)
	id := strconv.FormatInt(f.ticket, 10)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tickets", "show", "abc"}, 2, `ticket id "abc": want a positive number`},
		{[]string{"tickets", "show", "0"}, 2, "want a positive number"},
		{[]string{"tickets", "show", "999"}, 1, "ticket 999 not found"},
		{[]string{"tickets", "resolve", "999"}, 1, "ticket 999 not found"},
		{[]string{"tickets", "reopen", "999"}, 1, "ticket 999 not found"},
		{[]string{"tickets", "reopen", id}, 1, "cannot become assigned"},
		{[]string{"tickets", "merge", id, "--into", id}, 2, "into itself"},
		{[]string{"tickets", "reply", id}, 2, "the text is empty"},
		{[]string{"tickets", "stats", "--by", "street"}, 2, "want grid or worker"},
		{[]string{"tickets", "stats", "--since", "2030-02-01", "--until", "2030-01-01"}, 2, "is not after --since"},
		{[]string{"tickets", "reply", id, "好的", "--quick", "1"}, 2, "not both"},
		{[]string{"tickets", "reply", id, "--quick", "99"}, 1, "no such quick reply"},
		{[]string{"tickets", "merge", id, "--into", "999"}, 1, "ticket 999 not found"},
		{[]string{"tickets", "reassign", id, "--to", "NOBODY"}, 1, "--to NOBODY: no worker has that code"},
		{[]string{"tickets", "list", "--status", "done"}, 2, "--status \"done\""},
		{[]string{"tickets", "recategorise", id, "parking"}, 1, `category "parking": want one of`},
		{[]string{"tickets", "recategorise", "999", "property"}, 1, "ticket 999 not found"},
		{[]string{"tickets", "recategorise", id}, 1, "accepts 2 arg(s)"},
		{[]string{"tickets", "urgency", id, "later"}, 1, "want emergency, normal or complex"},
		{[]string{"tickets", "list", "--assignee", "NOBODY"}, 1, "no worker has that code"},
		{[]string{"tickets", "answers", "77"}, 1, "campaign 77 not found"},
		{[]string{"tickets", "answers", "1", "--unmask", "--reason", "回访报名"}, 2, "--unmask needs --xlsx"},
		{[]string{"workers", "leave", f.worker.Code, "--backup", f.worker.Code, "--until", "2030-01-01"}, 2, "cannot be their own backup"},
		{[]string{"workers", "leave", f.worker.Code, "--backup", "X", "--from", "2030-02-01", "--until", "2030-01-01"}, 2, "--until 2030-01-02 00:00 is not after --from 2030-02-01 00:00"},
		{[]string{"workers", "leave", f.worker.Code, "--backup", "X", "--until", "next week"}, 2, `--until "next week": want 2006-01-02`},
		{[]string{"workers", "leave", f.worker.Code, "--until", "2030-01-01"}, 2, "--backup CODE is required"},
		{[]string{"workers", "leave", f.worker.Code, "--backup", "NOBODY", "--until", "2030-01-01"}, 1, "--backup NOBODY: no worker has that code"},
		{[]string{"workers", "back", f.worker.Code}, 1, "is not on leave now"},
		{[]string{"workers", "handover", "--grid", "NOPE", "--to", f.worker.Code}, 1, "--grid NOPE: no such grid"},
		{[]string{"sandbox", "say", "--openid", "o1", "--phone", "13800000000", "hi"}, 2, "exactly one of"},
		{[]string{"sandbox", "say", "--phone", "12345", "hi"}, 2, "--phone"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := gridcast(t, f.dir, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("code %d (want %d), stderr %q (want %q)", code, tt.code, errOut, tt.want)
			}
			// A refusal is said, not the chain of packages it came through.
			if strings.Contains(errOut, "store:") || strings.Contains(errOut, "desk:") {
				t.Errorf("stderr %q shows the internal chain", errOut)
			}
		})
	}
}

func TestCLITicketsAnswersXLSX(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	now := time.Now()
	c := campaigns.Campaign{Name: "电工招聘", Kind: campaigns.KindJobPosting, Segment: "age:0..", ChannelPolicy: campaigns.SMSOnly,
		Owner: "王芳", ScheduleAt: now, ExpiresAt: now.Add(24 * time.Hour), ReplyOptions: map[string]string{"1": "报名", "2": "咨询"}}
	if err := f.st.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	if err := f.st.RecordAnswer(ctx, tickets.Answer{CampaignID: c.ID, ResidentID: f.resident.ID, Option: "1", Meaning: "报名", InboundID: 0, AnsweredAt: at}); err != nil {
		t.Fatal(err)
	}
	cid := strconv.FormatInt(c.ID, 10)
	row := func(phone string) []string {
		r := f.resident
		return []string{strconv.FormatInt(r.ID, 10), r.Name.Masked(), phone, r.GridCode, "1", "报名", "2026-03-02 09:30:00"}
	}
	readRows := func(path string) [][]string {
		t.Helper()
		x, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("报名名单")
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	out, errOut, code := gridcast(t, f.dir, "tickets", "answers", cid)
	if code != 0 || !strings.Contains(out, "1 answers (1 报名 ×1)") {
		t.Errorf("answers: %d %s %s", code, out, errOut)
	}
	f.noClearData(t, "answers", out+errOut)

	masked := filepath.Join(t.TempDir(), "signups.xlsx")
	if out, errOut, code = gridcast(t, f.dir, "tickets", "answers", cid, "--xlsx", masked); code != 0 || !strings.Contains(out, "phones masked") {
		t.Fatalf("answers --xlsx: %d %s %s", code, out, errOut)
	}
	if diff := cmp.Diff([][]string{answerHeaders, row(f.resident.Phone.Masked())}, readRows(masked)); diff != "" {
		t.Errorf("masked sheet (-want +got):\n%s", diff)
	}

	clear := filepath.Join(t.TempDir(), "signups-clear.xlsx")
	out, errOut, code = gridcast(t, f.dir, "tickets", "answers", cid, "--xlsx", clear, "--unmask", "--reason", "招聘单位电话回访", "--by", "李强")
	if code != 0 {
		t.Fatalf("answers --unmask: %d %s %s", code, out, errOut)
	}
	if diff := cmp.Diff([][]string{answerHeaders, row(string(f.resident.Phone))}, readRows(clear)); diff != "" {
		t.Errorf("unmasked sheet (-want +got):\n%s", diff)
	}
	for _, want := range []string{"answers_unmasked", "by=李强", "招聘单位电话回访"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("audit line lacks %q: %s", want, errOut)
		}
	}
	f.noClearData(t, "answers --unmask output", out+errOut)
}

func TestCLIWorkers(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	ws, err := f.st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var backup population.Worker
	for _, w := range ws {
		if w.ID != f.worker.ID {
			backup = w
			break
		}
	}
	out, errOut, code := gridcast(t, f.dir, "workers", "leave", f.worker.Code, "--backup", backup.Code, "--until", "2099-01-01", "--note", "产假", "--keep-open")
	if code != 0 || !strings.Contains(out, "backup "+backup.Code) || strings.Contains(out, "handed") {
		t.Fatalf("leave --keep-open: %d %s %s", code, out, errOut)
	}
	out, _, _ = gridcast(t, f.dir, "workers", "list")
	if !strings.Contains(out, "ON LEAVE until 2099-01-02 00:00, backup "+backup.Code) {
		t.Errorf("list does not show the leave:\n%s", out)
	}
	f.noClearData(t, "workers list", out)
	if out, errOut, code = gridcast(t, f.dir, "workers", "back", f.worker.Code); code != 0 || !strings.Contains(out, "is back") {
		t.Errorf("back: %d %s %s", code, out, errOut)
	}

	// The grid changes hands: the open ticket follows.
	out, errOut, code = gridcast(t, f.dir, "workers", "handover", "--grid", f.resident.GridCode, "--to", backup.Code, "--by", "李强")
	if code != 0 || !strings.Contains(out, "1 open tickets moved by 李强") {
		t.Fatalf("handover: %d %s %s", code, out, errOut)
	}
	tk, err := f.st.Ticket(ctx, f.ticket)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := f.st.WorkerByCode(ctx, backup.Code)
	if err != nil {
		t.Fatal(err)
	}
	if tk.AssigneeWorkerID != nw.ID || nw.GridCode != f.resident.GridCode || nw.Role != population.RoleGridWorker {
		t.Errorf("after handover: ticket assignee %d, worker %+v", tk.AssigneeWorkerID, nw)
	}

	// The new holder goes on leave from now: their open ticket goes to the backup.
	out, errOut, code = gridcast(t, f.dir, "workers", "leave", nw.Code, "--backup", f.worker.Code, "--until", "2099-01-01", "--by", "李强")
	if code != 0 || !strings.Contains(out, "1 open tickets handed to the backup") {
		t.Fatalf("leave: %d %s %s", code, out, errOut)
	}
	if tk, err = f.st.Ticket(ctx, f.ticket); err != nil || tk.AssigneeWorkerID != f.worker.ID {
		t.Errorf("after leave: assignee %d, %v; want the backup %d", tk.AssigneeWorkerID, err, f.worker.ID)
	}
}

// TestCLISandboxSay checks the requests `sandbox say` and `sandbox follow`
// push: they pass GridCast's own signature checks (WeChat in safe mode,
// as the embedded default is) and carry what was said.
func TestCLISandboxSay(t *testing.T) {
	t.Chdir(t.TempDir())
	def := defaultConfig()
	var mu sync.Mutex
	var wx []wechat.Inbound
	var ups []aliyunsms.Uplink
	mux := http.NewServeMux()
	mux.Handle("/wechat/callback", wechat.NewCallbackHandler(
		wechat.Config{AppID: def.WeChat.AppID, Token: def.WeChat.Token, EncodingAESKey: def.WeChat.EncodingAESKey},
		func(_ context.Context, in wechat.Inbound) error {
			mu.Lock()
			defer mu.Unlock()
			wx = append(wx, in)
			return nil
		}, wechat.CallbackOptions{Log: testlog.New(t)}))
	mux.Handle("/aliyun/sms/up", aliyunsms.NewUplinkHandler(func(_ context.Context, us []aliyunsms.Uplink) error {
		mu.Lock()
		defer mu.Unlock()
		ups = append(ups, us...)
		return nil
	}, aliyunsms.PushOptions{Log: testlog.New(t)}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	for _, args := range [][]string{
		{"sandbox", "say", "--callback", srv.URL, "--openid", "oTEST0000000000000001", "楼道灯坏了"},
		{"sandbox", "say", "--callback", srv.URL, "--openid", "oTEST0000000000000001", "还没修"},
		{"sandbox", "say", "--callback", srv.URL, "--phone", "+86 138-1234-5678", "--extend-code", "017", "1"},
		{"sandbox", "follow", "--callback", srv.URL, "--openid", "oTEST0000000000000002"},
	} {
		out, errOut, code := gridcast(t, dir, args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
		if strings.Contains(out+errOut, "oTEST0000000000000001") || strings.Contains(out+errOut, "13812345678") {
			t.Errorf("%v prints the sender in clear: %s%s", args, out, errOut)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(wx) != 3 || len(ups) != 1 {
		t.Fatalf("got %d WeChat pushes and %d uplinks, want 3 and 1", len(wx), len(ups))
	}
	gotWX := [][]string{}
	for _, in := range wx {
		gotWX = append(gotWX, []string{string(in.Kind), string(in.FromOpenID), in.Content})
	}
	wantWX := [][]string{
		{string(wechat.KindText), "oTEST0000000000000001", "楼道灯坏了"},
		{string(wechat.KindText), "oTEST0000000000000001", "还没修"},
		{string(wechat.KindSubscribe), "oTEST0000000000000002", ""},
	}
	if diff := cmp.Diff(wantWX, gotWX); diff != "" {
		t.Errorf("WeChat pushes (-want +got):\n%s", diff)
	}
	if wx[0].MsgID == wx[1].MsgID {
		t.Errorf("two says share MsgId %d: the desk would drop the second as a duplicate", wx[0].MsgID)
	}
	u := ups[0]
	if diff := cmp.Diff([]string{"13812345678", "1", "017"}, []string{string(u.Phone), u.Content, u.DestCode}); diff != "" {
		t.Errorf("uplink (-want +got):\n%s", diff)
	}
}
