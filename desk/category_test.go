package desk_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// sms has resident r send text over SMS and returns the ticket it opened.
func (f *fixture) sms(t *testing.T, r population.Resident, id, text string) tickets.Ticket {
	t.Helper()
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: id, From: string(r.Phone), Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if out.TicketID == 0 {
		t.Fatalf("%q opened no ticket: %+v", text, out)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// worker is the worker of r's grid at role.
func (f *fixture) worker(t *testing.T, r population.Resident, role population.Role) population.Worker {
	t.Helper()
	w, err := f.st.WorkerForGrid(t.Context(), r.GridCode, role)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A complaint about a worker goes to the community, never to the worker.
func TestStaffComplaintSkipsTheWorker(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	gw, cw := f.worker(t, r, population.RoleGridWorker), f.worker(t, r, population.RoleCommunity)
	tk := f.sms(t, r, "c1", "我要投诉我们网格员，打电话从来不接")
	if tk.Category != tickets.CategoryStaffComplaint || tk.Level != tickets.LevelCommunity || tk.AssigneeWorkerID != cw.ID {
		t.Errorf("ticket %+v; want a staff complaint with the community worker %d", tk, cw.ID)
	}
	if tk.AssigneeWorkerID == gw.ID {
		t.Error("the complaint went to the grid worker complained about")
	}
	if want := f.clock().Add(tickets.DefaultDeadlines[tickets.CategoryStaffComplaint]); !tk.DueAt.Equal(want) {
		t.Errorf("due %s, want %s", tk.DueAt, want)
	}
}

// A worker files a ticket under the right category; the timeline says so,
// and a complaint found to be about staff leaves the worker.
func TestRecategorise(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	gw, cw := f.worker(t, r, population.RoleGridWorker), f.worker(t, r, population.RoleCommunity)
	tk := f.sms(t, r, "r1", "上次说的事到现在也没人管")
	if tk.Category != tickets.CategoryOther || tk.AssigneeWorkerID != gw.ID {
		t.Fatalf("ticket %+v; want other with the grid worker", tk)
	}
	due := tk.DueAt

	got, err := f.desk.Recategorise(ctx, tk.ID, "物业/房屋", "王芳", "电梯的事")
	if err != nil {
		t.Fatal(err)
	}
	if got.Category != tickets.CategoryProperty || got.AssigneeWorkerID != gw.ID || !got.DueAt.Before(due) {
		t.Errorf("after 物业/房屋: %+v; want property, same worker, the 48h deadline", got)
	}
	stored, _ := f.st.Ticket(ctx, tk.ID)
	if stored.Category != tickets.CategoryProperty || !stored.DueAt.Equal(got.DueAt) {
		t.Errorf("stored %+v", stored)
	}
	evs, err := f.st.TicketEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != tickets.EventRecategorised || last.From != "other" || last.To != "property" || last.Actor != "王芳" || last.Note != "电梯的事" {
		t.Errorf("timeline ends with %+v", last)
	}

	got, err = f.desk.Recategorise(ctx, tk.ID, "staff_complaint", "王芳", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Level != tickets.LevelCommunity || got.AssigneeWorkerID != cw.ID {
		t.Errorf("after staff_complaint: %+v; want the community worker %d", got, cw.ID)
	}

	for _, tc := range []struct {
		name, cat, by string
		want          error
	}{
		{"unknown category", "parking", "王芳", fault.ErrInvalid},
		{"same category", "staff_complaint", "王芳", fault.ErrInvalid},
		{"nobody", "other", " ", fault.ErrInvalid},
	} {
		if _, err := f.desk.Recategorise(ctx, tk.ID, tc.cat, tc.by, ""); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if after, _ := f.st.Ticket(ctx, tk.ID); after.Category != tickets.CategoryStaffComplaint {
		t.Errorf("a refused change changed the ticket: %+v", after)
	}
}

// A category a city configures files a message, and its label, not its
// identifier, names the ticket in the worker's notification.
func TestConfiguredCategory(t *testing.T) {
	rules := append(slices.Clone(tickets.DefaultRules), tickets.Rule{Category: "dog_licence", Label: "养犬登记",
		Words: []string{"狗证"}, Weights: map[string]int{"狗证": 3}})
	f := newFixtureConfig(t, desk.Config{Tickets: tickets.Config{Classifier: tickets.Classifier{Rules: rules}}})
	r := f.smsOnly(t, 0)
	tk := f.sms(t, r, "d1", "想给家里的狗办个狗证，去哪办")
	if tk.Category != "dog_licence" {
		t.Fatalf("filed under %s, want dog_licence", tk.Category)
	}
	var notes []string
	for _, m := range f.queued(t) {
		if m.Purpose == outbound.PurposeNotify {
			notes = append(notes, m.Text)
		}
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "养犬登记") || strings.Contains(notes[0], "dog_licence") {
		t.Errorf("notifications %q: want the ticket named 养犬登记", notes)
	}
}
