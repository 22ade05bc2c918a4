package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
	"github.com/gridcast/gridcast/tickets"
)

// ticketStore is the one line of glue cmd/gridcast needs too: the API
// takes its own filter so that it imports no driver.
type ticketStore struct{ *store.Store }

var _ api.TicketStore = ticketStore{}

func (s ticketStore) ListTickets(ctx context.Context, f api.TicketFilter) ([]tickets.Ticket, error) {
	return s.Tickets(ctx, store.TicketFilter(f))
}

// recorder is the desk's Dispatcher: it records what would be queued.
type recorder struct {
	mu          sync.Mutex
	sent        []int64
	escalations []int64
}

func (r *recorder) EnqueueSend(_ context.Context, m outbound.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.ID)
	return nil
}

func (r *recorder) ScheduleEscalation(_ context.Context, ticketID int64, _ tickets.Level, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.escalations = append(r.escalations, ticketID)
	return nil
}

func (r *recorder) dispatched() ([]int64, []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent), slices.Clone(r.escalations)
}

// deskFixture is a store seeded with a synthetic population, the desk
// over it and the API in front of both.
type deskFixture struct {
	st   *store.Store
	desk *desk.Service
	rec  *recorder
	srv  *httptest.Server
	// residents with a phone of their own and no WeChat (answers go by SMS),
	// as generated (clear) and with their store ids.
	residents []population.Resident
	workers   []population.Worker
	seq       int
}

func newDeskFixture(t *testing.T) *deskFixture {
	t.Helper()
	return newDeskFixtureOn(t, "sqlite")
}

// newDeskFixtureOn is newDeskFixture on a store of driver: "sqlite", or
// "postgres" in a fresh schema of GRIDCAST_TEST_POSTGRES (the test is
// skipped without it).
func newDeskFixtureOn(t *testing.T, driver string) *deskFixture {
	t.Helper()
	ctx := t.Context()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	log := testlog.New(t)
	cfg := store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "desk.db")}
	if driver == "postgres" {
		cfg = store.Config{Driver: "postgres", DSN: storetest.PostgresSchema(t)}
	}
	st, err := store.Open(ctx, cfg, sealer, log)
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
	f := &deskFixture{st: st, rec: &recorder{}, workers: gen.Workers()}
	phones := map[pii.Phone]int{}
	for r := range gen.Residents() {
		phones[r.Phone]++
	}
	for r := range gen.Residents() {
		if r.Phone.Validate() != nil || phones[r.Phone] != 1 || r.OpenID != "" || len([]rune(string(r.Name))) < 2 {
			continue
		}
		stored, err := st.ResidentByPhone(ctx, r.Phone)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = stored.ID
		f.residents = append(f.residents, r)
		if len(f.residents) == 3 {
			break
		}
	}
	if len(f.residents) < 3 {
		t.Fatalf("the synthetic population has %d residents reachable by SMS alone, want 3", len(f.residents))
	}
	f.desk, err = desk.New(desk.Config{}, desk.Deps{Store: st, Dispatcher: f.rec, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: st, Tickets: ticketStore{st}, Desk: f.desk,
		Ready: func(context.Context) error { return nil }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// sms hands the desk an SMS uplink from phone.
func (f *deskFixture) sms(t *testing.T, phone pii.Phone, text, extendCode string) desk.Outcome {
	t.Helper()
	f.seq++
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: fmt.Sprintf("up-%d", f.seq),
		From: string(phone), Kind: desk.KindText, Text: text, ExtendCode: extendCode})
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	return out
}

// call does a request and decodes a 2xx answer into v (if not nil).
func call(t *testing.T, method, u, body string, v any) (int, string) {
	t.Helper()
	code, out := do(t, method, u, body)
	if v != nil && code/100 == 2 {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, u, err, out)
		}
	}
	return code, out
}

func TestTicketsAPI(t *testing.T) {
	t.Parallel()
	f := newDeskFixture(t)
	ctx := t.Context()
	a, b, c := f.residents[0], f.residents[1], f.residents[2]
	base := f.srv.URL + "/api/v1/tickets"
	var bodies []string // every answer, for the personal-data check at the end
	req := func(method, u, body string, v any) (int, string) {
		t.Helper()
		code, out := call(t, method, u, body, v)
		bodies = append(bodies, out)
		return code, out
	}

	// A question by SMS from a known resident opens a ticket, acknowledged
	// by SMS, with the grid worker notified and an escalation scheduled.
	oa := f.sms(t, a.Phone, "请问小区门口的路灯坏了，什么时候能修好？", "")
	if !oa.NewTicket || oa.TicketID == 0 || oa.ResidentID != a.ID {
		t.Fatalf("Handle = %+v, want a new ticket of resident %d", oa, a.ID)
	}
	ob := f.sms(t, b.Phone, "我想咨询一下低保怎么申请", "")
	if !ob.NewTicket {
		t.Fatalf("Handle = %+v, want a new ticket", ob)
	}
	sent, esc := f.rec.dispatched()
	if len(sent) < 2 || !slices.Contains(esc, oa.TicketID) {
		t.Fatalf("dispatched sends %v, escalations %v: want the acknowledgements and ticket %d's escalation", sent, esc, oa.TicketID)
	}

	t.Run("list and filter", func(t *testing.T) {
		var all []api.Ticket
		if code, out := req("GET", base, "", &all); code != 200 || len(all) != 2 {
			t.Fatalf("list: %d %s", code, out)
		}
		ta := all[0]
		if ta.ID != oa.TicketID || ta.ResidentID != a.ID || ta.Status != "assigned" || ta.Level != "grid_worker" ||
			ta.Category != "city_management" || ta.CategoryLabel != "城市管理" || ta.Grid != a.GridCode ||
			ta.AssigneeWorkerID == 0 || ta.DueAt.IsZero() || ta.Overdue || ta.CreatedAt.IsZero() ||
			ta.Resident != a.Name.Masked() || ta.Phone != a.Phone.Masked() {
			t.Errorf("ticket as listed: %+v", ta)
		}
		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"?resident=" + fmt.Sprint(b.ID), []int64{ob.TicketID}},
			{"?grid=" + a.GridCode + "&resident=" + fmt.Sprint(a.ID), []int64{oa.TicketID}},
			{"?status=assigned", []int64{oa.TicketID, ob.TicketID}},
			{"?status=resolved", nil},
			{"?assignee=" + fmt.Sprint(ta.AssigneeWorkerID) + "&resident=" + fmt.Sprint(a.ID), []int64{oa.TicketID}},
			{"?limit=1", []int64{oa.TicketID}},
			{"?after=" + fmt.Sprint(oa.TicketID), []int64{ob.TicketID}},
		} {
			var got []api.Ticket
			if code, out := req("GET", base+tc.query, "", &got); code != 200 {
				t.Errorf("list%s: %d %s", tc.query, code, out)
				continue
			}
			var ids []int64
			for _, x := range got {
				ids = append(ids, x.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("list%s = %v, want %v", tc.query, ids, tc.want)
			}
		}
		for _, bad := range []string{"?status=pending", "?limit=abc", "?limit=5000", "?assignee=-1", "?after=x"} {
			if code, out := req("GET", base+bad, "", nil); code != 400 || !strings.Contains(out, `"error"`) {
				t.Errorf("list%s: %d %s, want 400", bad, code, out)
			}
		}
	})

	t.Run("long text is cut in the list", func(t *testing.T) {
		long := strings.Repeat("楼道里堆满了杂物", 12)
		oc := f.sms(t, c.Phone, long, "")
		var got []api.Ticket
		req("GET", base+"?resident="+fmt.Sprint(c.ID), "", &got)
		if len(got) != 1 || got[0].ID != oc.TicketID || len([]rune(got[0].Text)) != 61 || !strings.HasSuffix(got[0].Text, "…") {
			t.Errorf("listed text: %+v", got)
		}
		var d api.TicketDetail
		req("GET", fmt.Sprintf("%s/%d", base, oc.TicketID), "", &d)
		if d.Ticket.Text != long {
			t.Errorf("shown text = %q, want it whole", d.Ticket.Text)
		}
	})

	t.Run("show", func(t *testing.T) {
		var d api.TicketDetail
		if code, out := req("GET", fmt.Sprintf("%s/%d", base, oa.TicketID), "", &d); code != 200 {
			t.Fatalf("show: %d %s", code, out)
		}
		if d.Ticket.ID != oa.TicketID || !strings.Contains(d.Ticket.Text, "路灯坏了") {
			t.Errorf("ticket: %+v", d.Ticket)
		}
		var kinds []string
		for _, ev := range d.Timeline {
			kinds = append(kinds, ev.Kind)
		}
		if !slices.Equal(kinds, []string{"created", "assigned"}) || d.Timeline[0].To != "city_management" {
			t.Errorf("timeline: %+v", d.Timeline)
		}
		if len(d.Conversation) < 2 { // the acknowledgement may take two SMS
			t.Fatalf("conversation: %+v", d.Conversation)
		}
		in, ack := d.Conversation[0], d.Conversation[1]
		if in.Direction != "in" || in.Channel != "sms" || !strings.Contains(in.Text, "路灯") {
			t.Errorf("first entry: %+v", in)
		}
		if ack.Direction != "out" || ack.Route != "sms" || ack.Purpose != "ack" || ack.Status != "pending" || ack.Actor != "system" ||
			!strings.Contains(ack.Text, "网格员") {
			t.Errorf("acknowledgement: %+v", ack)
		}
	})

	t.Run("reply then resolve", func(t *testing.T) {
		before, _ := f.rec.dispatched()
		var rr api.ReplyResult
		u := fmt.Sprintf("%s/%d", base, oa.TicketID)
		code, out := req("POST", u+"/reply", `{"by":"wang.fang","text":"您好，已联系物业，明天上午维修。"}`, &rr)
		if code != 202 {
			t.Fatalf("reply: %d %s", code, out)
		}
		if rr.Ticket.Status != "replied" || len(rr.Outbound) != 1 {
			t.Fatalf("reply answer: %s", out)
		}
		o := rr.Outbound[0]
		if o.ID == 0 || o.Route != "sms" || o.Purpose != "reply" || o.Status != "pending" || o.To != a.Phone.Masked() ||
			!strings.Contains(o.RouteReason, "phone on record") {
			t.Errorf("queued: %+v", o)
		}
		after, _ := f.rec.dispatched()
		if len(after) != len(before)+1 || after[len(after)-1] != o.ID {
			t.Errorf("dispatched %v after %v, want outbound %d added", after, before, o.ID)
		}

		var res api.Ticket
		if code, out := req("POST", u+"/resolve", `{"by":"wang.fang","note":"路灯已修好"}`, &res); code != 200 || res.Status != "resolved" || res.ResolvedAt.IsZero() {
			t.Fatalf("resolve: %d %s", code, out)
		}
		var d api.TicketDetail
		req("GET", u, "", &d)
		last := d.Conversation[len(d.Conversation)-1]
		if last.Purpose != "rating_request" || last.Route != "sms" {
			t.Errorf("after resolve the conversation ends with %+v, want the rating request", last)
		}
		if ev := d.Timeline[len(d.Timeline)-1]; ev.Kind != "status" || ev.To != "resolved" || ev.Actor != "wang.fang" || ev.Note != "路灯已修好" {
			t.Errorf("last event: %+v", ev)
		}
		if sent, _ := f.rec.dispatched(); len(sent) != len(after)+1 {
			t.Errorf("resolve dispatched %d messages, want the rating request", len(sent)-len(after))
		}

		if code, out := req("POST", u+"/reply", `{"by":"wang.fang","text":"还有问题吗？"}`, nil); code != 409 {
			t.Errorf("reply on a resolved ticket: %d %s, want 409", code, out)
		}
		if code, out := req("POST", u+"/start", `{"by":"wang.fang"}`, nil); code != 409 {
			t.Errorf("start a resolved ticket: %d %s, want 409", code, out)
		}
	})

	t.Run("quick replies", func(t *testing.T) {
		u := fmt.Sprintf("%s/%d", base, ob.TicketID)
		var qs []api.QuickReply
		if code, out := req("GET", u+"/quick-replies", "", &qs); code != 200 || len(qs) < 2 || qs[0].N != 1 {
			t.Fatalf("quick replies: %d %s", code, out)
		}
		var rr api.ReplyResult
		if code, out := req("POST", u+"/reply", `{"by":"li.qiang","quick":1}`, &rr); code != 202 || len(rr.Outbound) == 0 {
			t.Errorf("reply quick 1: %d %s", code, out)
		}
		for body, want := range map[string]int{
			`{"by":"li.qiang","quick":99}`:            400,
			`{"by":"li.qiang","quick":1,"text":"好的"}`: 400,
			`{"by":"li.qiang"}`:                       400,
		} {
			if code, out := req("POST", u+"/reply", body, nil); code != want {
				t.Errorf("reply %s: %d %s, want %d", body, code, out, want)
			}
		}
		if code, _ := req("GET", base+"/999999/quick-replies", "", nil); code != 404 {
			t.Errorf("quick replies of an unknown ticket: %d", code)
		}
	})

	t.Run("start, reassign, merge, close", func(t *testing.T) {
		u := fmt.Sprintf("%s/%d", base, ob.TicketID)
		var tk api.Ticket
		if code, out := req("POST", u+"/start", `{"by":"li.qiang"}`, &tk); code != 200 || tk.Status != "in_progress" {
			t.Fatalf("start: %d %s", code, out)
		}
		var other population.Worker
		for _, w := range f.workers {
			if w.Code != tk.AssigneeCode {
				other = w
				break
			}
		}
		if code, out := req("POST", u+"/reassign", `{"by":"li.qiang","worker_code":"`+other.Code+`"}`, &tk); code != 200 || tk.AssigneeCode != other.Code {
			t.Errorf("reassign: %d %s", code, out)
		}
		if code, out := req("POST", u+"/reassign", `{"by":"li.qiang","worker_code":"NOBODY"}`, nil); code != 400 {
			t.Errorf("reassign to an unknown worker: %d %s, want 400", code, out)
		}

		// A duplicate of b's ticket, as a second channel might open it.
		dup := tickets.Ticket{ResidentID: b.ID, GridCode: b.GridCode, Channel: population.ChannelWeChat, Text: "低保申请要什么材料",
			Category: tickets.CategorySocialAssistance}
		dup, ev := tickets.SLA{}.Open(dup, nil, time.Now())
		if err := f.st.CreateTicket(ctx, &dup, ev); err != nil {
			t.Fatal(err)
		}
		if code, out := req("POST", fmt.Sprintf("%s/%d/merge", base, oa.TicketID), fmt.Sprintf(`{"by":"li.qiang","into":%d}`, dup.ID), nil); code != 400 {
			t.Errorf("merging another resident's ticket: %d %s, want 400", code, out)
		}
		if code, out := req("POST", fmt.Sprintf("%s/%d/merge", base, dup.ID), `{"by":"li.qiang","into":999999}`, nil); code != 400 {
			t.Errorf("merging into a missing ticket: %d %s, want 400", code, out)
		}
		var kept api.Ticket
		code, out := req("POST", fmt.Sprintf("%s/%d/merge", base, dup.ID), fmt.Sprintf(`{"by":"li.qiang","into":%d}`, ob.TicketID), &kept)
		if code != 200 || kept.ID != ob.TicketID {
			t.Fatalf("merge: %d %s", code, out)
		}
		var d api.TicketDetail
		req("GET", fmt.Sprintf("%s/%d", base, dup.ID), "", &d)
		if d.Ticket.Status != "closed" || d.Ticket.MergedInto != ob.TicketID {
			t.Errorf("the duplicate after merging: %+v", d.Ticket)
		}

		if code, out := req("POST", u+"/close", `{"by":"li.qiang","note":"居民已自行办理"}`, &tk); code != 200 || tk.Status != "closed" || tk.ClosedAt.IsZero() {
			t.Errorf("close: %d %s", code, out)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", "/999999", "", 404},
			{"GET", "/abc", "", 400},
			{"POST", "/999999/reply", `{"by":"x","text":"y"}`, 404},
			{"POST", "/999999/resolve", `{"by":"x"}`, 404},
			{"POST", "/999999/reassign", `{"by":"x","worker_code":"W"}`, 404},
			{"POST", "/999999/merge", `{"by":"x","into":1}`, 404},
			{"POST", "/1/reply", `not json`, 400},
			{"POST", "/1/reply", `{"by":"x","text":"y","note":"z"}`, 400},
			{"POST", "/1/start", `{"by":"x","into":2}`, 400},
			{"POST", "/1/reply", `{"by":"x","text":"  "}`, 400},
			{"POST", "/1/reply", `{"text":"y"}`, 400},
			{"POST", "/1/resolve", `{"by":" "}`, 400},
			{"POST", "/1/merge", `{"by":"x"}`, 400},
			{"POST", "/1/reassign", `{"by":"x"}`, 400},
			{"POST", "/1/reply", `{"by":"x","text":"` + strings.Repeat("长", 70_000) + `"}`, 400},
		} {
			code, out := req(tc.method, base+tc.path, tc.body, nil)
			if code != tc.want || !strings.Contains(out, `"error"`) {
				t.Errorf("%s %s %.40s: %d %.200s, want %d", tc.method, tc.path, tc.body, code, out, tc.want)
			}
		}
	})

	t.Run("refusals are said to the user, in their language, without internals", func(t *testing.T) {
		say := func(method, path, body, lang string) (int, api.Problem) {
			t.Helper()
			r, err := http.NewRequest(method, base+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			if lang != "" {
				r.Header.Set("Accept-Language", lang)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p api.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, p
		}
		for _, tc := range []struct {
			method, path, body, lang string
			status                   int
			code, error              string
		}{
			{"GET", "/999999", "", "", 404, "not_found", "工单 999999 不存在"},
			{"GET", "/999999", "", "en-US,en;q=0.9", 404, "not_found", "ticket 999999 not found"},
			{"GET", "/999999", "", "zh-CN,zh;q=0.9,en;q=0.8", 404, "not_found", "工单 999999 不存在"},
			{"POST", "/999999/reply", `{"by":"x","text":"y"}`, "", 404, "not_found", "工单 999999 不存在"},
			{"POST", "/1/reassign", `{"by":"x","worker_code":"W-NOPE"}`, "", 400, "invalid", "没有工号为 \"W-NOPE\" 的工作人员"},
			{"GET", "?status=pending", "", "en", 400, "invalid", `status "pending": want one of new, assigned, in_progress, replied, resolved, closed, archived`},
		} {
			status, p := say(tc.method, tc.path, tc.body, tc.lang)
			if status != tc.status || p.Code != tc.code || p.Error != tc.error {
				t.Errorf("%s %s (%s): %d %+v; want %d %s %q", tc.method, tc.path, tc.lang, status, p, tc.status, tc.code, tc.error)
			}
			if strings.Contains(p.Error, "store:") || strings.Contains(p.Error, "desk:") {
				t.Errorf("%s %s: the error %q leaks the internal chain", tc.method, tc.path, p.Error)
			}
		}
		// A resolved ticket: the reply is refused, saying how to go on.
		o := f.sms(t, c.Phone, "小区里的路灯坏了", "")
		id := fmt.Sprint(o.TicketID)
		if code, out := req("POST", base+"/"+id+"/resolve", `{"by":"王芳"}`, nil); code != 200 {
			t.Fatalf("resolve: %d %s", code, out)
		}
		status, p := say("POST", "/"+id+"/reply", `{"by":"王芳","text":"补充说明"}`, "")
		if status != 409 || p.Code != "conflict" || p.Error != "工单 #"+id+" 已解决，请先重新打开再回复" {
			t.Errorf("reply to a resolved ticket: %d %+v", status, p)
		}
		if code, out := req("POST", base+"/"+id+"/reopen", `{"by":"王芳","note":"居民说还没修好"}`, nil); code != 200 || !strings.Contains(out, `"status":"assigned"`) {
			t.Errorf("reopen: %d %s", code, out)
		}
		if code, out := req("POST", base+"/"+id+"/reply", `{"by":"王芳","text":"补充说明"}`, nil); code != 202 {
			t.Errorf("reply after reopening: %d %s", code, out)
		}
		status, p = say("POST", "/"+id+"/reopen", `{"by":"王芳"}`, "")
		if status != 409 || p.Error != "工单已回复，不能改为已分派" {
			t.Errorf("reopening an open ticket: %d %+v", status, p)
		}
	})

	stranger := pii.Phone("13900001234")
	t.Run("unknown senders", func(t *testing.T) {
		if _, err := f.st.ResidentByPhone(ctx, stranger); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("%s is a resident's number (%v); pick another", stranger.Masked(), err)
		}
		f.sms(t, stranger, "我是新搬来的，电话13900001234，怎么登记？", "")
		var us []api.UnknownSender
		if code, out := req("GET", base+"/unknown-senders", "", &us); code != 200 || len(us) != 1 {
			t.Fatalf("unknown senders: %d %s", code, out)
		}
		if u := us[0]; u.Sender != "139****1234" || u.Channel != "sms" || !strings.Contains(u.Text, "电话139****1234") || u.ReceivedAt.IsZero() {
			t.Errorf("unknown sender: %+v", u)
		}
		if code, _ := req("GET", base+"/unknown-senders?limit=-1", "", nil); code != 400 {
			t.Errorf("limit=-1: %d, want 400", code)
		}
	})

	t.Run("campaign answers", func(t *testing.T) {
		camp := campaigns.Campaign{Name: "保安招聘", Kind: campaigns.KindJobPosting, Segment: "age:18..60",
			ChannelPolicy: campaigns.SMSOnly, Owner: "wang.fang", ExpiresAt: time.Now().Add(72 * time.Hour),
			SMS:          campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_T", Params: map[string]string{"x": "回T退订"}},
			ReplyOptions: map[string]string{"1": "报名", "2": "不感兴趣"}, ExtendCode: "77"}
		if err := f.st.CreateCampaign(ctx, &camp); err != nil {
			t.Fatal(err)
		}
		if out := f.sms(t, c.Phone, "1", "77"); out.Intent != tickets.IntentCampaignAnswer || out.CampaignID != camp.ID {
			t.Fatalf("Handle(1) = %+v, want an answer to campaign %d", out, camp.ID)
		}
		var as []api.CampaignAnswer
		code, out := req("GET", fmt.Sprintf("%s/api/v1/campaigns/%d/answers", f.srv.URL, camp.ID), "", &as)
		if code != 200 || len(as) != 1 || as[0].ResidentID != c.ID || as[0].Option != "1" || as[0].Meaning != "报名" || as[0].AnsweredAt.IsZero() {
			t.Errorf("answers: %d %s", code, out)
		}
		if code, _ := req("GET", f.srv.URL+"/api/v1/campaigns/999999/answers", "", nil); code != 404 {
			t.Errorf("answers of a missing campaign: %d, want 404", code)
		}
	})

	// No answer shows a resident's or a grid worker's clear name or number.
	clear := []string{string(stranger)}
	for _, r := range f.residents {
		clear = append(clear, string(r.Name), string(r.Phone))
	}
	for _, w := range f.workers {
		if w.GridCode == a.GridCode || w.GridCode == b.GridCode || w.GridCode == c.GridCode {
			clear = append(clear, string(w.Name), string(w.Phone))
		}
	}
	for _, b := range bodies {
		for _, s := range clear {
			if s != "" && strings.Contains(b, s) {
				t.Errorf("an answer shows %s in clear: %.300s", pii.Name(s).Masked(), b)
			}
		}
	}
}

func TestTicketsAPIWiring(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	if code, _ := do(t, "GET", srv.URL+"/api/v1/tickets", ""); code != 404 {
		t.Errorf("tickets without a TicketStore: %d, want 404", code)
	}
	f := newDeskFixture(t)
	_, err := api.New(api.Config{Segments: f.st, Desk: f.desk, Ready: func(context.Context) error { return nil }})
	if err == nil {
		t.Error("New accepted a Desk without Tickets")
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Ready: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ro := httptest.NewServer(h)
	defer ro.Close()
	if code, _ := do(t, "GET", ro.URL+"/api/v1/tickets", ""); code != 200 {
		t.Errorf("read-only list: %d", code)
	}
	if code, _ := do(t, "POST", ro.URL+"/api/v1/tickets/1/reply", `{"by":"x","text":"y"}`); code != 404 && code != 405 {
		t.Errorf("reply without a Desk: %d, want it unrouted", code)
	}
}

// TestTicketsOpenAPI keeps openapi.yaml in step with the ticket desk's
// types: every JSON field is documented and nothing else, and every route
// has its path.
func TestTicketsOpenAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths      map[string]map[string]any
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any
			}
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"Ticket": api.Ticket{}, "TicketEvent": api.TicketEvent{}, "ConversationEntry": api.ConversationEntry{},
		"TicketDetail": api.TicketDetail{}, "Outbound": api.Outbound{}, "ReplyResult": api.ReplyResult{}, "QuickReply": api.QuickReply{},
		"UnknownSender": api.UnknownSender{}, "CampaignAnswer": api.CampaignAnswer{}, "Task": api.Task{},
		"Location": api.Location{}, "Attachment": api.Attachment{}, "EventResult": api.EventResult{},
	} {
		var fields []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			fields = append(fields, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		var documented []string
		for p := range spec.Components.Schemas[name].Properties {
			documented = append(documented, p)
		}
		slices.Sort(fields)
		slices.Sort(documented)
		if !slices.Equal(fields, documented) {
			t.Errorf("schema %s documents %v, the type has %v", name, documented, fields)
		}
	}
	for path, method := range map[string]string{
		"/api/v1/tickets": "get", "/api/v1/tickets/unknown-senders": "get", "/api/v1/tickets/{id}": "get",
		"/api/v1/tickets/{id}/reply": "post", "/api/v1/tickets/{id}/start": "post", "/api/v1/tickets/{id}/resolve": "post",
		"/api/v1/tickets/{id}/close": "post", "/api/v1/tickets/{id}/reassign": "post", "/api/v1/tickets/{id}/merge": "post",
		"/api/v1/campaigns/{id}/answers": "get", "/api/v1/tickets/{id}/dispatch": "post", "/api/v1/tickets/{id}/tasks": "get",
		"/api/v1/tasks": "get", "/api/v1/tasks/{id}/actions": "post", "/api/v1/residents/{id}/unmask": "post",
		"/api/v1/residents/{id}/erase": "post", "/api/v1/events": "post", "/api/v1/tickets/{id}/attachments": "get",
		"/api/v1/attachments/{id}": "get",
	} {
		if _, ok := spec.Paths[path][method]; !ok {
			t.Errorf("openapi.yaml lacks %s %s", strings.ToUpper(method), path)
		}
	}
}
