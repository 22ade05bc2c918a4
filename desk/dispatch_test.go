package desk_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// openTicket opens a resident's ticket by SMS and returns it as stored.
func (f *fixture) openTicket(t *testing.T, id, text string) tickets.Ticket {
	t.Helper()
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: id, From: string(r.Phone), Text: text})
	if err != nil || !out.NewTicket {
		t.Fatalf("Handle = %+v, %v; want a new ticket", out, err)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil || tk.AssigneeWorkerID == 0 {
		t.Fatalf("ticket %+v, %v; want it assigned", tk, err)
	}
	return tk
}

// notices returns the notifications queued to worker about ticket id
// after the first skip messages.
func (f *fixture) notices(t *testing.T, skip int, ticket, worker int64) []outbound.Message {
	t.Helper()
	var out []outbound.Message
	for _, m := range f.queued(t)[skip:] {
		if m.Purpose == outbound.PurposeNotify && m.TicketID == ticket && m.WorkerID == worker {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) move(t *testing.T, id int64, m dispatch.Move) dispatch.Task {
	t.Helper()
	got, err := f.desk.MoveTask(t.Context(), id, m)
	if err != nil {
		t.Fatalf("MoveTask(%d, %s): %v", id, m.Action, err)
	}
	return got
}

// 吹哨报到: a resident's ticket goes to 消防 and 城管 at once. Each
// department's resolution reaches the grid worker with its feedback; the
// ticket stays open until both are done, then resolves with both answers
// as its note, and the resident is answered on the reply path (the
// departments' feedback, then the rating request).
func TestDispatchWhistleRelaysOutcome(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tk := f.openTicket(t, "d1", "楼下消防通道被车堵死了，还有人占道摆摊")
	due := f.clock().Add(48 * time.Hour)
	if _, err := f.desk.Dispatch(ctx, tk.ID, []dispatch.Task{{Department: "nasa", DueAt: due}}, "街道王芳"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("an unknown department: %v, want ErrInvalid", err)
	}
	ts, err := f.desk.Dispatch(ctx, tk.ID, []dispatch.Task{{Department: "fire", DueAt: due, Note: "消防通道被占"},
		{Department: "chengguan", DueAt: due, Note: "清理占道摊点"}}, "街道王芳")
	if err != nil || len(ts) != 2 || ts[0].DispatchedBy != "街道王芳" || ts[0].TicketID != tk.ID {
		t.Fatalf("Dispatch = %+v, %v", ts, err)
	}
	if got, _ := f.st.Ticket(ctx, tk.ID); got.Status != tickets.StatusInProgress || got.AssigneeWorkerID != tk.AssigneeWorkerID {
		t.Errorf("after dispatch: %s, assignee %d; want in progress with its handler %d", got.Status, got.AssigneeWorkerID, tk.AssigneeWorkerID)
	}
	before := len(f.queued(t))
	f.move(t, ts[0].ID, dispatch.Move{Action: dispatch.ActionAccept, By: "消防赵队"})
	f.move(t, ts[0].ID, dispatch.Move{Action: dispatch.ActionResolve, By: "消防赵队", Note: "消防通道已疏通，车主已教育"})
	ns := f.notices(t, before, tk.ID, tk.AssigneeWorkerID)
	if len(ns) != 1 || !strings.Contains(ns[0].Text, "消防通道已疏通") || !strings.Contains(ns[0].Text, "部门办结") {
		t.Fatalf("the grid worker's notices after 消防 resolved: %+v; want one with the feedback", ns)
	}
	if got, _ := f.st.Ticket(ctx, tk.ID); !got.Status.Open() {
		t.Fatalf("ticket %s after one of two departments, want still open", got.Status)
	}
	for _, m := range f.queued(t)[before:] {
		if m.ResidentID != 0 {
			t.Errorf("the resident was answered before 城管 was done: %+v", m)
		}
	}
	f.move(t, ts[1].ID, dispatch.Move{Action: dispatch.ActionAccept, By: "城管李强"})
	f.move(t, ts[1].ID, dispatch.Move{Action: dispatch.ActionResolve, By: "城管李强", Note: "摊点已取缔"})
	got, err := f.st.Ticket(ctx, tk.ID)
	if err != nil || got.Status != tickets.StatusResolved {
		t.Fatalf("ticket %s, %v after both departments; want resolved", got.Status, err)
	}
	evs, _ := f.st.TicketEvents(ctx, tk.ID)
	last := evs[len(evs)-1]
	if last.To != string(tickets.StatusResolved) || !strings.Contains(last.Note, "消防：消防通道已疏通") || !strings.Contains(last.Note, "城管：摊点已取缔") {
		t.Errorf("the resolution's event %+v; want both departments' feedback", last)
	}
	var reply, rating bool
	for _, m := range f.queued(t)[before:] {
		if m.ResidentID != tk.ResidentID {
			continue
		}
		switch m.Purpose {
		case outbound.PurposeReply:
			reply = reply || strings.Contains(m.Text, "消防通道已疏通") || strings.Contains(m.Params["reply"], "消防")
		case outbound.PurposeRatingRequest:
			rating = true
		}
	}
	if !reply || !rating {
		t.Errorf("the resident's messages: reply with the feedback %v, rating request %v; want both", reply, rating)
	}
	// A resolved ticket takes no new dispatch.
	if _, err := f.desk.Dispatch(ctx, tk.ID, []dispatch.Task{{Department: "fire", DueAt: due}}, "街道王芳"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("dispatching a resolved ticket: %v, want ErrConflict", err)
	}
}

// A department returns its task (退回): the grid worker, whose case it is
// again, and the grid leader above are told with the reason; an extension
// request goes to the grid leader. The ticket stays open.
func TestDispatchReturnAndExtensionTellTheDispatcher(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tk := f.openTicket(t, "d2", "小区路灯坏了一个月了")
	leader, err := f.st.WorkerForGrid(ctx, tk.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	due := f.clock().Add(48 * time.Hour)
	ts, err := f.desk.Dispatch(ctx, tk.ID, []dispatch.Task{{Department: "utilities", DueAt: due}, {Department: "housing", DueAt: due}}, "社区李梅")
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.queued(t))
	f.move(t, ts[0].ID, dispatch.Move{Action: dispatch.ActionReturn, By: "水电张工", Note: "路灯归物业管理"})
	for _, w := range []int64{tk.AssigneeWorkerID, leader.ID} {
		if ns := f.notices(t, before, tk.ID, w); len(ns) != 1 || !strings.Contains(ns[0].Text, "路灯归物业管理") {
			t.Errorf("worker %d's notices after the return: %+v; want one with the reason", w, ns)
		}
	}
	before = len(f.queued(t))
	f.move(t, ts[1].ID, dispatch.Move{Action: dispatch.ActionAccept, By: "物业"})
	f.move(t, ts[1].ID, dispatch.Move{Action: dispatch.ActionRequestExtension, By: "物业", Note: "需采购灯具", ExtendTo: due.Add(72 * time.Hour)})
	if ns := f.notices(t, before, tk.ID, leader.ID); len(ns) != 1 || !strings.Contains(ns[0].Text, "需采购灯具") {
		t.Errorf("the grid leader's notices after the extension request: %+v", ns)
	}
	if got, _ := f.st.Ticket(ctx, tk.ID); !got.Status.Open() {
		t.Errorf("ticket %s after a return, want open", got.Status)
	}
}

// A supervisor flags a ticket 督办: the handler is told with the note, the
// flag stands until lifted, a second person's flag is refused, and a
// ticket not open is not flagged.
func TestSuperviseFlag(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tk := f.openTicket(t, "s1", "楼道堆放杂物很久没人管")
	before := len(f.queued(t))
	sv, err := f.desk.Supervise(ctx, tk.ID, "街道王芳", "三日内办结")
	if err != nil || sv.ID == 0 || sv.By != "街道王芳" || !sv.Active() {
		t.Fatalf("Supervise = %+v, %v", sv, err)
	}
	if ns := f.notices(t, before, tk.ID, tk.AssigneeWorkerID); len(ns) != 1 || !strings.Contains(ns[0].Text, "督办") || !strings.Contains(ns[0].Text, "三日内办结") {
		t.Errorf("the handler's notices: %+v; want the 督办 with its note", ns)
	}
	if _, err := f.desk.Supervise(ctx, tk.ID, "社区李梅", "again"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a second flag: %v, want ErrConflict", err)
	}
	if _, err := f.desk.Supervise(ctx, tk.ID, "", "x"); err == nil {
		t.Error("a flag without its actor was accepted")
	}
	if n, err := f.desk.Unsupervise(ctx, tk.ID, "街道王芳", "已办结"); err != nil || n != 1 {
		t.Errorf("Unsupervise = %d, %v", n, err)
	}
	if _, err := f.desk.Unsupervise(ctx, tk.ID, "街道王芳", ""); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("lifting a flag twice: %v, want ErrConflict", err)
	}
	all, err := f.st.Supervisions(ctx, tk.ID)
	if err != nil || len(all) != 1 || all[0].Active() || all[0].ClearedBy != "街道王芳" {
		t.Errorf("history %+v, %v", all, err)
	}
	if _, err := f.desk.Close(ctx, tk.ID, "网格员", "撤回"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Supervise(ctx, tk.ID, "街道王芳", ""); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("flagging a closed ticket: %v, want ErrConflict", err)
	}
}

// Under the default policy an overdue ticket stays with its handler and
// overdue: the system flags it 督办 and tells the grid leader; a check
// again at the same time does nothing more; one step later the flag
// rises to the community, whose owner is told; the next check is
// scheduled at each step.
func TestEscalationSupervisesByDefault(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tk := f.openTicket(t, "e1", "小区垃圾堆了好几天没人清运")
	leader, err := f.st.WorkerForGrid(ctx, tk.GridCode, population.RoleGridLeader)
	if err != nil {
		t.Fatal(err)
	}
	f.now.Store(tk.DueAt.Add(time.Minute).UnixNano())
	before := len(f.queued(t))
	for range 2 {
		if err := f.desk.Escalate(ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := f.st.Ticket(ctx, tk.ID)
	if got.Level != tickets.LevelGridWorker || got.AssigneeWorkerID != tk.AssigneeWorkerID || !got.DueAt.Equal(tk.DueAt) {
		t.Errorf("after the deadline: level %s, assignee %d, due %s; want the handler keeping it, still due %s", got.Level, got.AssigneeWorkerID, got.DueAt, tk.DueAt)
	}
	flags, err := f.st.Supervisions(ctx, tk.ID)
	if err != nil || len(flags) != 1 || flags[0].By != tickets.ActorSystem || flags[0].Level != tickets.LevelGridLeader {
		t.Fatalf("flags %+v, %v; want one by the system at grid_leader", flags, err)
	}
	if ns := f.notices(t, before, tk.ID, leader.ID); len(ns) != 1 || !strings.Contains(ns[0].Text, "超期督办") {
		t.Errorf("the grid leader's notices: %+v; want one 超期督办", ns)
	}
	if ns := f.notices(t, before, tk.ID, tk.AssigneeWorkerID); len(ns) != 1 {
		t.Errorf("the handler's notices: %+v; want one", ns)
	}
	step := tk.DueAt.Add(tickets.DefaultStep)
	if c := f.rec.checks[len(f.rec.checks)-1]; !c.Equal(step) {
		t.Errorf("next check at %s, want %s", c, step)
	}
	f.now.Store(step.UnixNano())
	before = len(f.queued(t))
	if err := f.desk.Escalate(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	flags, _ = f.st.Supervisions(ctx, tk.ID)
	if len(flags) != 2 || !flags[0].Raised() || flags[1].Level != tickets.LevelCommunity || !flags[1].Active() {
		t.Fatalf("flags %+v; want the grid leader's raised to the community", flags)
	}
	cw, err := f.st.WorkerForGrid(ctx, tk.GridCode, population.RoleCommunity)
	if err == nil {
		if ns := f.notices(t, before, tk.ID, cw.ID); len(ns) != 1 {
			t.Errorf("the community's notices: %+v; want one", ns)
		}
	}
	if got, _ := f.st.Ticket(ctx, tk.ID); got.Level != tickets.LevelGridWorker {
		t.Errorf("level %s after two steps, want grid_worker", got.Level)
	}
}

// An unknown escalation policy is refused with the key and the choices.
func TestEscalationPolicyValidated(t *testing.T) {
	err := desk.Config{Escalation: "sideways"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "escalation") || !strings.Contains(err.Error(), "reassign") {
		t.Errorf("Validate = %v, want the escalation key named with its choices", err)
	}
	for _, ok := range []string{"", tickets.EscalateSupervise, tickets.EscalateReassign} {
		if err := (desk.Config{Escalation: ok}).Validate(); err != nil {
			t.Errorf("escalation %q: %v", ok, err)
		}
	}
}
