package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

var ticketNoteTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"TicketNotes", testTicketNotes},
	{"WorkersNear", testWorkersNear},
	{"TicketsUnassignedByDuePaging", testTicketsUnassignedByDuePaging},
	{"TicketNotesErased", testTicketNotesErased},
}

// A resident's erasure clears the internal notes on their tickets (they
// may name them); who wrote them and when stay, and another resident's
// ticket keeps its notes.
func testTicketNotesErased(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	mine := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	other := newTicket(t, st, rs[1].ID, "NY-01-01-01", time.Minute, t0.Add(72*time.Hour))
	n, err := st.AddTicketNote(ctx, tickets.Note{TicketID: mine.ID, Author: "王芳", Text: "居民电话 " + string(rs[0].Phone)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTicketNote(ctx, tickets.Note{TicketID: other.ID, Author: "王芳", Text: "另一位居民"}); err != nil {
		t.Fatal(err)
	}
	e, err := st.EraseResident(ctx, rs[0].ID, "街道李强", "依申请删除 2026-041")
	if err != nil {
		t.Fatal(err)
	}
	if e.NotesCleared < 1 {
		t.Errorf("EraseResident cleared %d notes, want the internal note counted", e.NotesCleared)
	}
	got, err := st.TicketNotes(ctx, mine.ID)
	if err != nil || len(got) != 1 || got[0].Text != retention.Removed || got[0].Author != n.Author || !got[0].At.Equal(n.At) {
		t.Errorf("after the erasure the note is %+v (%v); want its text %q, author and time kept", got, err, retention.Removed)
	}
	if kept, err := st.TicketNotes(ctx, other.ID); err != nil || len(kept) != 1 || kept[0].Text != "另一位居民" {
		t.Errorf("another resident's ticket's note: %+v (%v), want it kept", kept, err)
	}
}

// Internal notes: stored trimmed with their author and time, read back
// oldest first per ticket; an empty, too long or authorless note, or one
// on a ticket that does not exist, stores nothing. A note is no message:
// the resident's history and the ticket's conversation stay empty.
func testTicketNotes(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 1)
	a := newTicket(t, st, rs[0].ID, "NY-01-01-01", 0, t0.Add(72*time.Hour))
	b := newTicket(t, st, rs[0].ID, "NY-01-01-01", time.Minute, t0.Add(72*time.Hour))
	n1, err := st.AddTicketNote(ctx, tickets.Note{TicketID: a.ID, Author: " 王芳 ", Text: "  已电话联系物业，明早派人  "})
	if err != nil || n1.ID == 0 || n1.Author != "王芳" || n1.Text != "已电话联系物业，明早派人" || n1.At.IsZero() {
		t.Fatalf("AddTicketNote = %+v, %v", n1, err)
	}
	n2, err := st.AddTicketNote(ctx, tickets.Note{TicketID: a.ID, Author: "李娜", Text: "物业说周三才有人"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTicketNote(ctx, tickets.Note{TicketID: b.ID, Author: "李娜", Text: "另一件"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.TicketNotes(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]tickets.Note{n1, n2}, got); diff != "" {
		t.Errorf("TicketNotes (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		n    tickets.Note
		want error
	}{
		{"empty", tickets.Note{TicketID: a.ID, Author: "王芳", Text: " \n "}, fault.ErrInvalid},
		{"too long", tickets.Note{TicketID: a.ID, Author: "王芳", Text: strings.Repeat("字", tickets.MaxNoteLen+1)}, fault.ErrInvalid},
		{"no author", tickets.Note{TicketID: a.ID, Text: "有字"}, fault.ErrInvalid},
		{"no ticket", tickets.Note{TicketID: 999999, Author: "王芳", Text: "有字"}, fault.ErrNotFound},
	} {
		if _, err := st.AddTicketNote(ctx, tc.n); !errors.Is(err, tc.want) {
			t.Errorf("%s: AddTicketNote = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, err := st.TicketNotes(ctx, a.ID); err != nil || len(got) != 2 {
		t.Errorf("after the refusals ticket %d has %d notes (%v), want 2", a.ID, len(got), err)
	}
	if none, err := st.TicketNotes(ctx, 999999); err != nil || len(none) != 0 {
		t.Errorf("TicketNotes(missing) = %v, %v; want none", none, err)
	}
	if ms, err := st.ResidentMessages(ctx, rs[0].ID, 0, 100); err != nil || len(ms) != 0 {
		t.Errorf("the resident's history holds %d messages (%v) after notes, want none", len(ms), err)
	}
	if conv, err := st.Conversation(ctx, a.ID); err != nil || len(conv) != 0 {
		t.Errorf("ticket %d's conversation holds %d entries (%v) after notes, want none", a.ID, len(conv), err)
	}
}

// The workers a ticket may be handed to: the grid's own first, then its
// neighbours' and the community's by code; never another community's.
func testWorkersNear(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	ws := []population.Worker{
		{Code: "W-B", Name: "赵强", Role: population.RoleGridWorker, GridCode: "NY-01-01-02"},
		{Code: "W-Z", Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"},
		{Code: "W-L", Name: "孙丽", Role: population.RoleGridLeader, GridCode: "NY-01-01"},
		{Code: "W-X", Name: "钱多", Role: population.RoleGridWorker, GridCode: "NY-02-01-01"},
		{Code: "W-S", Name: "周立", Role: population.RoleStreet, GridCode: "NY-01"},
	}
	if err := st.UpsertWorkers(ctx, ws); err != nil {
		t.Fatal(err)
	}
	got, err := st.WorkersNear(ctx, "NY-01-01-01")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, w := range got {
		codes = append(codes, w.Code)
	}
	if diff := cmp.Diff([]string{"W-Z", "W-B", "W-L"}, codes); diff != "" {
		t.Errorf("WorkersNear(NY-01-01-01) (-want +got):\n%s", diff)
	}
	if got[0].Name != "王芳" || got[0].Role != population.RoleGridWorker || got[0].GridCode != "NY-01-01-01" {
		t.Errorf("WorkersNear's first = %+v", got[0])
	}
	if none, err := st.WorkersNear(ctx, "NOWHERE"); err != nil || len(none) != 0 {
		t.Errorf("WorkersNear(NOWHERE) = %v, %v; want none", none, err)
	}
}

// 待认领 sorted by deadline, a page at a time: the store filters and
// sorts, so that pages of two hold every unassigned ticket once, in
// order — the overdue first, then by deadline, those without one last —
// and none of the assigned ones; by id the same.
func testTicketsUnassignedByDuePaging(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 1)
	wid := seedWorker(t, st, "W-PAGE")
	now := t0.Add(100 * time.Hour)
	due := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	mk := func(after time.Duration, d time.Time, assigned bool) int64 {
		tk := newTicket(t, st, rs[0].ID, "NY-01-01-01", after, d)
		if assigned {
			ev, err := tk.Assign(wid, tk.Level, "王芳", t0.Add(after))
			apply(t, st, tk, ev, err)
		}
		return tk.ID
	}
	// In id order; the wanted order by deadline is noted on each.
	laterFar := mk(0, due(300), false)     // 5th
	held := mk(time.Minute, due(10), true) // assigned: never listed
	noDue := mk(2*time.Minute, time.Time{}, false)
	overdueOld := mk(3*time.Minute, due(20), false) // 1st: overdue
	soon := mk(4*time.Minute, due(120), false)      // 3rd
	overdueNew := mk(5*time.Minute, due(50), false) // 2nd: overdue
	sameDue := mk(6*time.Minute, due(120), false)   // 4th: same deadline, later id
	held2 := mk(7*time.Minute, due(200), true)

	pages := func(f store.TicketFilter) []int64 {
		t.Helper()
		var ids []int64
		f.Limit = 2
		for range 10 {
			page, err := st.Tickets(ctx, f)
			if err != nil {
				t.Fatalf("Tickets(%+v): %v", f, err)
			}
			for _, tk := range page {
				ids = append(ids, tk.ID)
			}
			if len(page) < f.Limit {
				return ids
			}
			f.AfterID = page[len(page)-1].ID
		}
		t.Fatalf("Tickets(%+v): more than 10 pages", f)
		return nil
	}
	byDue := pages(store.TicketFilter{Unassigned: true, ByDue: true, Now: now})
	if diff := cmp.Diff([]int64{overdueOld, overdueNew, soon, sameDue, laterFar, noDue}, byDue); diff != "" {
		t.Errorf("unassigned by deadline, pages of 2 (-want +got):\n%s", diff)
	}
	byID := pages(store.TicketFilter{Unassigned: true})
	if diff := cmp.Diff([]int64{laterFar, noDue, overdueOld, soon, overdueNew, sameDue}, byID); diff != "" {
		t.Errorf("unassigned by id, pages of 2 (-want +got):\n%s", diff)
	}
	// With the other filters: the worker's own by deadline.
	mine := pages(store.TicketFilter{AssigneeID: wid, ByDue: true, Now: now})
	if diff := cmp.Diff([]int64{held, held2}, mine); diff != "" {
		t.Errorf("the worker's by deadline (-want +got):\n%s", diff)
	}
	all := pages(store.TicketFilter{ByDue: true, Now: now})
	if diff := cmp.Diff([]int64{held, overdueOld, overdueNew, soon, sameDue, held2, laterFar, noDue}, all); diff != "" {
		t.Errorf("every ticket by deadline, pages of 2 (-want +got):\n%s", diff)
	}
}
