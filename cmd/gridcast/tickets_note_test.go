package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/audit"
)

// TestCLITicketsNote: a note is shown by tickets show with its author,
// the resident's phone masked; the audit log records who noted where;
// nothing is queued for the resident. An empty note or a missing ticket
// is refused and stores nothing.
func TestCLITicketsNote(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	id := strconv.FormatInt(f.ticket, 10)
	before, err := f.st.ResidentMessages(ctx, f.resident.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := gridcast(t, f.dir, "tickets", "note", id, "已联系物业，居民电话", string(f.resident.Phone), "--by", "王芳")
	if code != 0 || !strings.Contains(out, "ticket "+id+": note") || !strings.Contains(out, "by 王芳") {
		t.Fatalf("note: code %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = gridcast(t, f.dir, "tickets", "show", id)
	if code != 0 || !strings.Contains(out, "internal notes") || !strings.Contains(out, "王芳") || !strings.Contains(out, "已联系物业") {
		t.Errorf("show: code %d, want the note with its author:\n%s%s", code, out, errOut)
	}
	f.noClearData(t, "tickets show", out+errOut)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tickets", "note", id}, 2, "the text is empty"},
		{[]string{"tickets", "note", id, "  "}, 2, "the text is empty"},
		{[]string{"tickets", "note", id, strings.Repeat("字", 1001)}, 2, "at most 1000"},
		{[]string{"tickets", "note", "999", "看看"}, 1, "ticket 999 not found"},
	} {
		if _, errOut, code := gridcast(t, f.dir, tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%.60v: code %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errOut, tc.want)
		}
	}
	ns, err := f.st.TicketNotes(ctx, f.ticket)
	if err != nil || len(ns) != 1 {
		t.Errorf("notes stored: %d (%v), want the one", len(ns), err)
	}
	after, err := f.st.ResidentMessages(ctx, f.resident.ID, 0, 100)
	if err != nil || len(after) != len(before) {
		t.Errorf("the resident's history went from %d to %d messages (%v)", len(before), len(after), err)
	}
	es, err := f.st.AuditEntries(ctx, audit.Filter{Action: "ticket.note"})
	if err != nil || len(es) != 1 || es[0].Actor != "王芳" || es[0].Source != audit.SourceCLI || es[0].Subject != "ticket:"+id {
		t.Errorf("audit: %+v, %v; want one ticket.note by 王芳 on ticket:%s", es, err, id)
	}
}
