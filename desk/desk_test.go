package desk_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// The desk on a real SQLite store, with a Dispatcher that only records
// what it is asked to run (the queue's part is tested in package queue).

type recorder struct {
	mu        sync.Mutex
	sends     []int64
	escalates []int64
	checks    []time.Time // when each escalation check is to run
	fail      int         // fail this many EnqueueSend calls (Redis down)
}

func (r *recorder) EnqueueSend(_ context.Context, m outbound.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("redis: connection refused")
	}
	r.sends = append(r.sends, m.ID)
	return nil
}

func (r *recorder) ScheduleEscalation(_ context.Context, id int64, _ tickets.Level, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.escalates = append(r.escalates, id)
	r.checks = append(r.checks, at)
	return nil
}

type fixture struct {
	st   *store.Store
	desk *desk.Service
	rec  *recorder
	now  atomic.Int64 // unix nanoseconds
	res  []population.Resident
}

func (f *fixture) clock() time.Time { return time.Unix(0, f.now.Load()) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureConfig(t, desk.Config{})
}

// newFixtureConfig is newFixture with the desk configured by cfg.
func newFixtureConfig(t *testing.T, cfg desk.Config) *fixture {
	t.Helper()
	ctx := t.Context()
	log := testlog.New(t)
	sealer, err := pii.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{rec: &recorder{}}
	f.now.Store(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC).UnixNano())
	f.st, err = store.Open(ctx, store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "desk.db"), Now: f.clock}, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.st.Close() })
	gen, err := synth.New(synth.Config{Residents: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpsertGrids(ctx, gen.Grids()); err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpsertWorkers(ctx, gen.Workers()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.BulkInsertResidents(ctx, gen.Next, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.st.StreamSegment(ctx, "grid:NY*", 0, 500, func(rs []population.Resident) error {
		f.res = append(f.res, rs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.desk, err = desk.New(cfg, desk.Deps{Store: f.st, Dispatcher: f.rec, Now: f.clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// smsOnly returns a resident with a phone of their own and no WeChat.
func (f *fixture) smsOnly(t *testing.T, skip int64) population.Resident {
	t.Helper()
	seen := map[pii.Phone]int{}
	for _, r := range f.res {
		seen[r.Phone]++
	}
	for _, r := range f.res {
		if r.OpenID == "" && r.Phone.Validate() == nil && seen[r.Phone] == 1 && r.ID != skip {
			return r
		}
	}
	t.Fatal("no SMS-only resident")
	return population.Resident{}
}

// queued returns the messages the desk queued, in order.
func (f *fixture) queued(t *testing.T) []outbound.Message {
	t.Helper()
	ps, err := f.st.PendingSingles(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func (f *fixture) wechat(t *testing.T, openid, id, text string) desk.Outcome {
	t.Helper()
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: id, From: openid, Kind: desk.KindText, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Bad input is refused and records nothing.
func TestHandleRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	for _, m := range []desk.Message{
		{Channel: "fax", ProviderMsgID: "1", From: "x", Text: "hi"},
		{Channel: population.ChannelSMS, From: "13800000000", Text: "hi"},
		{Channel: population.ChannelSMS, ProviderMsgID: "1", Text: "hi"},
	} {
		if _, err := f.desk.Handle(t.Context(), m); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
	if us, _ := f.st.UnknownSenders(t.Context(), 10); len(us) != 0 {
		t.Errorf("refused messages recorded: %+v", us)
	}
}

// A long answer to an SMS resident is split into parts that each fit
// Aliyun's 35-character parameter, and none of the text is lost.
func TestLongSMSReplySplits(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "9", From: string(r.Phone), Text: "楼道灯坏了一个星期了"})
	if err != nil || !out.NewTicket {
		t.Fatalf("%+v, %v", out, err)
	}
	long := "您好，已联系物业维修楼道灯，师傅明天上午九点到十一点之间上门更换，届时请留意敲门。如果明天还不亮，请再回复我们，网格员会跟进到底。"
	sent, err := f.desk.Reply(t.Context(), out.TicketID, "网格员", long)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) < 2 {
		t.Fatalf("%d parts for %d characters", len(sent), utf8.RuneCountInString(long))
	}
	var joined strings.Builder
	for _, o := range sent {
		if o.Route != outbound.RouteSMS || utf8.RuneCountInString(o.Params["reply"]) > 35 {
			t.Errorf("part %+v: want SMS with a reply of at most 35 characters", o)
		}
		joined.WriteString(o.Text)
	}
	if joined.String() != long {
		t.Errorf("parts join to %q, want %q", joined.String(), long)
	}
	for _, o := range sent[1:] {
		if strings.ContainsAny(string([]rune(o.Text)[:1]), "，。；！？") {
			t.Errorf("a part starts with punctuation: %q", o.Text)
		}
	}
}

// A voice message without recognition still becomes a ticket, marked as
// voice; an image joins the open ticket.
func TestVoiceAndImage(t *testing.T) {
	f := newFixture(t)
	var r population.Resident
	for _, x := range f.res {
		if x.OpenID != "" {
			r = x
			break
		}
	}
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: "v1", From: string(r.OpenID), Kind: desk.KindVoice})
	if err != nil || !out.NewTicket {
		t.Fatalf("%+v, %v", out, err)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil || tk.Text != "[语音]" {
		t.Errorf("ticket %q, %v", tk.Text, err)
	}
	img, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: "i1", From: string(r.OpenID), Kind: desk.KindImage, Text: "[图片] m1"})
	if err != nil || img.TicketID != out.TicketID || img.NewTicket {
		t.Errorf("image: %+v, %v; want it on ticket %d", img, err, out.TicketID)
	}
}

// Binding guards: a second number within a minute waits, five wrong codes
// void the binding, and the right code after that binds nothing.
func TestBindingGuards(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	other := f.smsOnly(t, r.ID)
	openid := "oStranger0000000000000000001"
	if out := f.wechat(t, openid, "b1", string(r.Phone)); out.Intent != tickets.IntentBindPhone {
		t.Fatalf("phone read as %s", out.Intent)
	}
	var code string
	for _, o := range f.queued(t) {
		if o.Purpose == outbound.PurposeBindCode {
			code = o.Params["code"]
			if o.To != string(r.Phone) || strings.Contains(o.Text, code) {
				t.Errorf("code message %+v: want it to the number on record, the code only in the template parameter", o)
			}
		}
	}
	if len(code) != 6 {
		t.Fatal("no code queued")
	}
	// Once its SMS went out (here: failed, no SMS sender), the code is
	// gone from the store.
	for _, o := range f.queued(t) {
		if o.Purpose != outbound.PurposeBindCode {
			continue
		}
		if _, ok, err := f.st.ClaimMessage(t.Context(), o.ID, f.clock()); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if _, err := f.st.AdvanceMessage(t.Context(), o.ID, outbound.StatusFailed, outbound.Update{ProviderCode: "NO_SENDER"}); err != nil {
			t.Fatal(err)
		}
		if got, err := f.st.Message(t.Context(), o.ID); err != nil || got.Status != outbound.StatusFailed || got.Params["code"] != "" {
			t.Errorf("code message after its send: %s %v, %v; want failed without the code", got.Status, got.Params, err)
		}
	}
	f.wechat(t, openid, "b2", string(other.Phone)) // within the minute: refused
	codes := 0
	for _, o := range f.queued(t) {
		if o.Purpose == outbound.PurposeBindCode {
			codes++
		}
	}
	if codes != 0 {
		t.Errorf("%d codes sent; a second number within a minute must wait", codes)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 5 {
		f.wechat(t, openid, "w"+string(rune('0'+i)), wrong)
	}
	f.wechat(t, openid, "right", code)
	if _, err := f.st.ResidentByOpenID(t.Context(), pii.OpenID(openid)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("bound after five wrong codes: %v", err)
	}
	last := f.queued(t)
	if txt := last[len(last)-1].Text; !strings.Contains(txt, "请先发送") {
		t.Errorf("the code after the binding was voided got %q", txt)
	}
}

// A grid without a grid worker leaves its ticket new and unowned; the
// first escalation finds the grid leader — under the default supervise
// policy too, since nobody would keep the case.
func TestUnownedTicketEscalates(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	w, err := f.st.WorkerForGrid(t.Context(), r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	// The grid's worker moves up to community staff: none is left.
	g, err := f.st.Grid(t.Context(), r.GridCode)
	if err != nil {
		t.Fatal(err)
	}
	w.GridCode, w.Role = g.ParentCode, population.RoleCommunity
	if err := f.st.UpsertWorkers(t.Context(), []population.Worker{w}); err != nil {
		t.Fatal(err)
	}
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "u1", From: string(r.Phone), Text: "小区垃圾没人收"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil || tk.Status != tickets.StatusNew || tk.AssigneeWorkerID != 0 {
		t.Fatalf("ticket %+v, %v; want new and unowned", tk, err)
	}
	f.now.Add(int64(49 * time.Hour))
	if err := f.desk.Escalate(t.Context(), tk.ID); err != nil {
		t.Fatal(err)
	}
	leader, err := f.st.WorkerForGrid(t.Context(), r.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ = f.st.Ticket(t.Context(), tk.ID)
	if tk.Level != tickets.LevelGridLeader || tk.AssigneeWorkerID != leader.ID || tk.Status != tickets.StatusAssigned {
		t.Errorf("after escalation %+v; want the grid leader %d", tk, leader.ID)
	}
}

// Every message the desk writes is handed to the Dispatcher under its
// ledger id, and is on the ledger before it is.
func TestMessagesDispatched(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	if _, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "r1", From: string(r.Phone), Text: "楼道灯坏了"}); err != nil {
		t.Fatal(err)
	}
	var queued []int64
	for _, m := range f.queued(t) {
		queued = append(queued, m.ID)
	}
	if len(queued) < 2 || fmt.Sprint(queued) != fmt.Sprint(f.rec.sends) {
		t.Errorf("dispatched %v, on the ledger %v; want the acknowledgement and the notification, each once", f.rec.sends, queued)
	}
}

// Fallback composes the next route of a refused desk message and writes
// nothing.
func TestFallback(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var wx population.Resident
	for _, r := range f.res {
		if r.OpenID != "" && r.Phone.Validate() == nil {
			wx = r
			break
		}
	}
	if wx.ID == 0 {
		t.Fatal("no resident with WeChat and a phone")
	}
	out := f.wechat(t, string(wx.OpenID), "fb1", "路灯不亮了")
	if !out.NewTicket {
		t.Fatalf("%+v", out)
	}
	var ack, notify outbound.Message
	for _, m := range f.queued(t) {
		switch m.Purpose {
		case outbound.PurposeAck:
			ack = m
		case outbound.PurposeNotify:
			notify = m
		}
	}
	if ack.Route != outbound.RouteCustomerService {
		t.Fatalf("acknowledgement %+v, want a customer-service message", ack)
	}
	before := len(f.queued(t))
	for _, tc := range []struct {
		code string
		want outbound.Route
	}{
		{"45015", outbound.RouteWeChatTemplate}, // the window closed: a template message
		{"43004", outbound.RouteSMS},            // not following: only SMS reaches them
	} {
		ms, err := f.desk.Fallback(ctx, ack, tc.code)
		if err != nil || len(ms) == 0 || ms[0].Route != tc.want || ms[0].ID != 0 || ms[0].TicketID != out.TicketID ||
			ms[0].Purpose != outbound.PurposeAck || ms[0].Text == "" {
			t.Errorf("Fallback(%s) = %+v, %v; want an unsaved %s of the same text", tc.code, ms, err, tc.want)
		}
	}
	sms := ack
	sms.Route = outbound.RouteSMS
	if ms, err := f.desk.Fallback(ctx, sms, "isv.MOBILE_NUMBER_ILLEGAL"); err != nil || len(ms) != 0 {
		t.Errorf("Fallback of an SMS = %+v, %v; want nothing", ms, err)
	}
	if notify.ID != 0 && notify.Route == outbound.RouteWeChatTemplate {
		ms, err := f.desk.Fallback(ctx, notify, "43004")
		if err != nil || len(ms) != 1 || ms[0].Route != outbound.RouteSMS || ms[0].WorkerID != notify.WorkerID || ms[0].Params["ticket"] == "" {
			t.Errorf("Fallback of the worker's notification = %+v, %v; want an SMS to the worker", ms, err)
		}
	}
	if len(f.queued(t)) != before {
		t.Error("Fallback wrote messages")
	}
}

// A worker picks a ready answer by number; it goes out with their name.
func TestQuickReply(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "q1", From: string(r.Phone), Text: "楼下垃圾堆了好几天"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.desk.QuickReplies(t.Context(), out.TicketID)
	if err != nil || len(list) < 3 {
		t.Fatalf("quick replies %q, %v", list, err)
	}
	sent, err := f.desk.ReplyQuick(t.Context(), out.TicketID, "网格员", 1)
	if err != nil || len(sent) == 0 || !strings.HasPrefix(list[0], sent[0].Text) {
		t.Errorf("sent %+v, %v; want the first ready answer %q", sent, err, list[0])
	}
	if _, err := f.desk.ReplyQuick(t.Context(), out.TicketID, "网格员", len(list)+1); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("an answer past the list: %v", err)
	}
}

// A worker going on leave hands their open tickets to the backup; closed
// ones stay, and nothing moves for a worker who is not away.
func TestCoverLeave(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	open, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "l1", From: string(r.Phone), Text: "小区垃圾没人收"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := f.st.Ticket(ctx, open.TicketID)
	if err != nil || tk.AssigneeWorkerID == 0 {
		t.Fatalf("%+v, %v", tk, err)
	}
	if n, err := f.desk.CoverLeave(ctx, tk.AssigneeWorkerID, "admin"); n != 0 || err != nil {
		t.Errorf("not on leave: moved %d, %v", n, err)
	}
	leader, err := f.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLeave(ctx, tickets.Leave{WorkerID: tk.AssigneeWorkerID, BackupID: leader.ID, From: f.clock().Add(-time.Hour), Until: f.clock().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.desk.CoverLeave(ctx, tk.AssigneeWorkerID, "admin"); n != 1 || err != nil {
		t.Fatalf("moved %d, %v; want 1", n, err)
	}
	if got, _ := f.st.Ticket(ctx, tk.ID); got.AssigneeWorkerID != leader.ID {
		t.Errorf("assignee %d, want the backup %d", got.AssigneeWorkerID, leader.ID)
	}
	evs, _ := f.st.TicketEvents(ctx, tk.ID)
	if last := evs[len(evs)-1]; last.Actor != "admin" || !strings.Contains(last.Note, "on leave until") {
		t.Errorf("last event %+v", last)
	}
}

// The evaluation counts the period's tickets per grid and per worker; the
// sweep files tickets closed longer than the archive delay.
func TestStatsAndArchive(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	start := f.clock()
	r := f.smsOnly(t, 0)
	first, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "s1", From: string(r.Phone), Text: "小区垃圾没人收"})
	if err != nil {
		t.Fatal(err)
	}
	f.now.Add(int64(2 * time.Hour))
	if _, err := f.desk.Resolve(ctx, first.TicketID, "网格员", "已清运"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Close(ctx, first.TicketID, "网格员", ""); err != nil {
		t.Fatal(err)
	}
	other := f.smsOnly(t, r.ID)
	if _, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "s2", From: string(other.Phone), Text: "邻居吵架打起来了"}); err != nil {
		t.Fatal(err)
	}
	f.now.Add(int64(30 * time.Hour)) // the dispute (24 h) is overdue now
	byGrid, err := f.desk.Stats(ctx, start, f.clock(), desk.ByGrid)
	if err != nil {
		t.Fatal(err)
	}
	var opened, resolved, onTime, overdue int
	for _, st := range byGrid {
		opened, resolved, onTime, overdue = opened+st.Opened, resolved+st.Resolved, onTime+st.ResolvedOnTime, overdue+st.Overdue
	}
	if opened != 2 || resolved != 1 || onTime != 1 || overdue != 1 {
		t.Errorf("by grid %+v: want 2 opened, 1 resolved on time, 1 overdue", byGrid)
	}
	byWorker, err := f.desk.Stats(ctx, start, f.clock(), desk.ByWorker)
	if err != nil || len(byWorker) == 0 || byWorker[0].Key == "" {
		t.Errorf("by worker %+v, %v", byWorker, err)
	}
	if _, err := f.desk.Stats(ctx, start, f.clock(), "street"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("stats by street: %v", err)
	}
	// Filing: not before the delay, then once.
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if tk, _ := f.st.Ticket(ctx, first.TicketID); tk.Status != tickets.StatusClosed {
		t.Errorf("filed after a day: %s", tk.Status)
	}
	f.now.Add(int64(desk.DefaultArchiveAfter))
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if tk, _ := f.st.Ticket(ctx, first.TicketID); tk.Status != tickets.StatusArchived {
		t.Errorf("after the archive delay: %s, want archived", tk.Status)
	}
}

// A failure after the message was recorded loses nothing: the retry acts
// on it (one ticket, the worker notified), and only a handled message is a
// duplicate.
func TestHandleResumesAfterFailure(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	m := desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "f1", From: string(r.Phone), Text: "楼道灯坏了"}
	f.rec.fail = 1 // the worker's notification cannot be queued
	if _, err := f.desk.Handle(ctx, m); err == nil {
		t.Fatal("the failure was swallowed")
	}
	out, err := f.desk.Handle(ctx, m) // the queue's retry
	if err != nil || out.Duplicate || out.TicketID == 0 {
		t.Fatalf("retry: %+v, %v; want it handled on the ticket", out, err)
	}
	ts, err := f.st.Tickets(ctx, store.TicketFilter{ResidentID: r.ID})
	if err != nil || len(ts) != 1 {
		t.Fatalf("%d tickets, %v; want 1", len(ts), err)
	}
	notified := 0
	for _, id := range f.rec.sends {
		if o, err := f.st.Message(ctx, id); err == nil && o.Purpose == outbound.PurposeNotify {
			notified++
		}
	}
	if notified == 0 {
		t.Error("the worker was never notified")
	}
	if again, err := f.desk.Handle(ctx, m); err != nil || !again.Duplicate {
		t.Errorf("after handling: %+v, %v; want a duplicate", again, err)
	}
}

// Staff reopen a resolved or closed ticket: back to its worker (the grid's
// owner when it never had one) with a new deadline, the rating cleared, and
// the worker told; a merged duplicate stays closed.
func TestReopen(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "ro1", From: string(r.Phone), Text: "楼道灯坏了"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Resolve(ctx, out.TicketID, "王芳", "已修好"); err != nil {
		t.Fatal(err)
	}
	f.now.Add(int64(30 * 24 * time.Hour)) // staff may reopen after the residents' window
	sends := len(f.rec.sends)
	tk, err := f.desk.Reopen(ctx, out.TicketID, "李强", "居民来电说还是不亮")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != tickets.StatusAssigned || tk.Rating != 0 || !tk.DueAt.After(f.clock()) {
		t.Errorf("reopened %+v; want assigned, unrated, due after now", tk)
	}
	if !slices.ContainsFunc(f.events(t, tk.ID), func(ev tickets.Event) bool {
		return ev.Kind == tickets.EventReopened && ev.Actor == "李强" && ev.Note == "居民来电说还是不亮"
	}) {
		t.Errorf("timeline %+v lacks the reopening by 李强 with its note", f.events(t, tk.ID))
	}
	if len(f.rec.sends) == sends || len(f.rec.escalates) == 0 {
		t.Errorf("reopening notified nobody (%d sends) or scheduled no escalation", len(f.rec.sends)-sends)
	}
	if _, err := f.desk.Reopen(ctx, out.TicketID, "李强", ""); !errors.Is(err, tickets.ErrBadTransition) {
		t.Errorf("reopening an open ticket = %v, want ErrBadTransition", err)
	}
	if _, err := f.desk.Reopen(ctx, out.TicketID+1000, "李强", ""); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("reopening a missing ticket = %v, want ErrNotFound", err)
	}
}

func (f *fixture) events(t *testing.T, id int64) []tickets.Event {
	t.Helper()
	evs, err := f.st.TicketEvents(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A resident rates a resolved ticket on the city's scale: on the default
// three levels "2" is 基本满意 (stored 3); on the five-point option "4" is
// 4, which reads as 满意; the rating request asks on the scale in use.
func TestRatingScales(t *testing.T) {
	for _, tc := range []struct {
		scale    tickets.RatingScale
		reply    string
		rating   int
		level    string
		question string
	}{
		{"", "2", 3, "基本满意", "1满意2基本满意3不满意"},
		{tickets.ThreeLevel, "不满意", 1, "不满意", "1满意2基本满意3不满意"},
		{tickets.FivePoint, "4", 4, "满意", "1-5评分"},
	} {
		t.Run(string(tc.scale)+"/"+tc.reply, func(t *testing.T) {
			f := newFixtureConfig(t, desk.Config{Tickets: tickets.Config{Keywords: tickets.Keywords{Scale: tc.scale}}})
			ctx := t.Context()
			r := f.smsOnly(t, 0)
			out, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "rs1", From: string(r.Phone), Text: "楼道灯坏了"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.desk.Resolve(ctx, out.TicketID, "王芳", "已修好"); err != nil {
				t.Fatal(err)
			}
			asked := false
			for _, m := range f.queued(t) {
				asked = asked || (m.Purpose == outbound.PurposeRatingRequest && strings.Contains(m.Text, tc.question))
			}
			if !asked {
				t.Errorf("no rating request asking %q", tc.question)
			}
			if _, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "rs2", From: string(r.Phone), Text: tc.reply}); err != nil {
				t.Fatal(err)
			}
			tk, err := f.st.Ticket(ctx, out.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Rating != tc.rating || tickets.RatingLabel(tk.Rating) != tc.level {
				t.Errorf("after %q: rating %d (%s), want %d (%s)", tc.reply, tk.Rating, tickets.RatingLabel(tk.Rating), tc.rating, tc.level)
			}
		})
	}
}
