package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/tickets"
)

// 吹哨报到 from the command line: a ticket goes to two departments, each
// lists and takes its steps, a supervisor flags and lifts 督办, and when
// both are done the ticket is resolved; the figures count it all.
func TestCLIDispatchAndSupervise(t *testing.T) {
	f := newDeskFixture(t)
	id := strconv.FormatInt(f.ticket, 10)
	run := func(want string, args ...string) string {
		t.Helper()
		out, errOut, code := gridcast(t, f.dir, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%v: code %d, want %q in:\n%s%s", args, code, want, out, errOut)
		}
		f.noClearData(t, strings.Join(args, " "), out+errOut)
		return out
	}
	run("督办 by 街道王芳", "tickets", "supervise", id, "--note", "三日内办结", "--by", "街道王芳")
	run("to 民政", "tickets", "dispatch", id, "--dept", "civil_affairs,hrss", "--due", "48h", "--note", "核实低保条件", "--by", "街道王芳")
	if out, errOut, code := gridcast(t, f.dir, "tickets", "dispatch", id, "--dept", "nasa"); code == 0 || !strings.Contains(out+errOut, "unknown department") {
		t.Errorf("an unknown department: code %d:\n%s%s", code, out, errOut)
	}
	out := run("民政", "tasks", "list", "--dept", "civil_affairs")
	fields := strings.Fields(strings.Split(out, "\n")[1])
	civil := fields[0]
	out = run("人社", "tasks", "list", "--ticket", id)
	var hrss string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "人社") {
			hrss = strings.Fields(line)[0]
		}
	}
	run("已分拨 → 已受理", "tasks", "act", civil, "accept", "--by", "民政科")
	run("已受理 → 已办结", "tasks", "act", civil, "resolve", "--note", "已受理低保申请", "--by", "民政科")
	if tk, _ := f.st.Ticket(t.Context(), f.ticket); !tk.Status.Open() {
		t.Fatalf("ticket %s with 人社's task still open", tk.Status)
	}
	run("已分拨 → 已受理", "tasks", "act", hrss, "accept", "--by", "人社局")
	run("every task is done", "tasks", "act", hrss, "resolve", "--note", "已推荐公益岗位", "--by", "人社局")
	if tk, _ := f.st.Ticket(t.Context(), f.ticket); tk.Status != tickets.StatusResolved {
		t.Errorf("ticket %s after both departments, want resolved", tk.Status)
	}
	run("lifted", "tickets", "supervise", id, "--lift", "--note", "已办结", "--by", "街道王芳")
	out = run("dispatch", "tickets", "show", id)
	for _, want := range []string{"supervised", "unsupervised", "task " + civil + " civil_affairs: 已受理 → 已办结", "已推荐公益岗位"} {
		if !strings.Contains(out, want) {
			t.Errorf("tickets show: no %q in:\n%s", want, out)
		}
	}
	out = run("dispatched", "tickets", "stats", "--dispatch", "--json")
	var sum dispatch.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Dispatched != 1 || sum.Supervised != 1 || len(sum.Departments) != 2 ||
		sum.Departments[0].Resolved != 1 {
		t.Errorf("figures %+v, %v from:\n%s", sum, err, out)
	}
	run("DEPARTMENT", "tickets", "stats")

	// Bad input is refused with a reason and changes nothing.
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"tickets", "dispatch", id}, "--dept"},
		{[]string{"tickets", "dispatch", id, "--dept", "fire"}, "reopen it before dispatching"},
		{[]string{"tickets", "dispatch", id, "--dept", "fire", "--due", "soon"}, "--due"},
		{[]string{"tasks", "act", civil, "resolve"}, "not allowed"},
		{[]string{"tasks", "list"}, "--dept"},
		{[]string{"tasks", "list", "--dept", "nasa"}, "not a known department"},
	} {
		out, errOut, code := gridcast(t, f.dir, bad.args...)
		if code == 0 || !strings.Contains(out+errOut, bad.want) {
			t.Errorf("%v: code %d, want a refusal naming %q:\n%s%s", bad.args, code, bad.want, out, errOut)
		}
	}
	if ts, _ := f.st.TasksOfTicket(t.Context(), f.ticket); len(ts) != 2 {
		t.Errorf("tasks after the refusals: %d, want 2", len(ts))
	}
}
