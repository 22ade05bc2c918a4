package desk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/workdays"
)

// A ticket opened the day before 国庆 is due three working days later, on
// the 调休 Saturday after it, and the acknowledgement says so.
func TestDeadlineAcrossNationalDay(t *testing.T) {
	cal, err := workdays.New(workdays.Config{})
	if err != nil {
		t.Fatal(err)
	}
	terms := map[tickets.Category]tickets.Term{}
	for _, c := range tickets.Categories {
		terms[c] = tickets.Term{Workdays: 3, EndOfDay: true}
	}
	f := newFixtureConfig(t, desk.Config{Tickets: tickets.Config{SLA: tickets.SLA{Workdays: cal, Terms: terms}}})
	f.now.Store(time.Date(2026, 9, 30, 10, 0, 0, 0, workdays.Shanghai).UnixNano())
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "gq1", From: string(r.Phone), Text: "小区垃圾堆了好几天没人清运，臭味很大"})
	if err != nil || !out.NewTicket {
		t.Fatalf("Handle = %+v, %v; want a new ticket", out, err)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 10, 17, 30, 0, 0, workdays.Shanghai); !tk.DueAt.Equal(want) {
		t.Errorf("due at %s, want %s (the close of the third working day: 10月8日, 9日 and the 调休 Saturday)", tk.DueAt.In(workdays.Shanghai), want)
	}
	if tk.Category != tickets.CategoryEnvironment {
		t.Fatalf("category %s, want environment (its acknowledgement names the deadline)", tk.Category)
	}
	var ack string
	for _, m := range f.queued(t) {
		if m.Purpose == outbound.PurposeAck {
			ack += m.Text // a long SMS goes in parts
		}
	}
	if !strings.Contains(ack, "将于10月10日（周六）前到现场查看处理") {
		t.Errorf("acknowledgement %q, want it to quote the deadline 10月10日（周六）", ack)
	}
}

// Four working hours before a deadline on the 调休 Saturday before 春节,
// the handler and their grid leader are warned (预警); at the deadline the
// ticket escalates (the reassign policy: it moves up).
func TestDeadlineWarning(t *testing.T) {
	cal, err := workdays.New(workdays.Config{})
	if err != nil {
		t.Fatal(err)
	}
	terms := map[tickets.Category]tickets.Term{}
	for _, c := range tickets.Categories {
		terms[c] = tickets.Term{Workdays: 1, EndOfDay: true}
	}
	f := newFixtureConfig(t, desk.Config{Escalation: tickets.EscalateReassign,
		Tickets: tickets.Config{SLA: tickets.SLA{Workdays: cal, Terms: terms, Warning: 4 * time.Hour}}})
	set := func(y int, m time.Month, d, h, min int) time.Time {
		at := time.Date(y, m, d, h, min, 0, 0, workdays.Shanghai)
		f.now.Store(at.UnixNano())
		return at
	}
	set(2026, 2, 13, 10, 0) // Friday
	r := f.smsOnly(t, 0)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "w1", From: string(r.Phone), Text: "小区垃圾堆了好几天没人清运，臭味很大"})
	if err != nil || !out.NewTicket {
		t.Fatalf("Handle = %+v, %v; want a new ticket", out, err)
	}
	due := time.Date(2026, 2, 14, 17, 30, 0, 0, workdays.Shanghai) // the 调休 Saturday
	warnAt := time.Date(2026, 2, 14, 13, 30, 0, 0, workdays.Shanghai)
	if got := f.rec.checks; len(got) != 2 || !got[0].Equal(due) || !got[1].Equal(warnAt) {
		t.Fatalf("checks scheduled at %v, want the deadline %s and the warning %s", got, due, warnAt)
	}
	warnings := func() map[int64]int {
		n := map[int64]int{}
		for _, m := range f.queued(t) {
			if m.Purpose == outbound.PurposeNotify && strings.HasPrefix(m.Text, "即将超期") {
				n[m.WorkerID]++
			}
		}
		return n
	}

	set(2026, 2, 14, 13, 0) // a check before the warning time warns nobody
	if err := f.desk.Escalate(t.Context(), out.TicketID); err != nil {
		t.Fatal(err)
	}
	if n := warnings(); len(n) != 0 {
		t.Errorf("warnings before the warning time: %v", n)
	}

	set(2026, 2, 14, 13, 30)
	if err := f.desk.Escalate(t.Context(), out.TicketID); err != nil {
		t.Fatal(err)
	}
	tk, err := f.st.Ticket(t.Context(), out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	leader, err := f.st.WorkerForGrid(t.Context(), tk.GridCode, tickets.LevelGridLeader.Role())
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{tk.AssigneeWorkerID: 1, leader.ID: 1}
	if got := warnings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings per worker = %v, want one each to the handler and the grid leader %v", got, want)
	}
	if tk.Level != tickets.LevelGridWorker {
		t.Errorf("level %s after the warning, want grid_worker", tk.Level)
	}

	set(2026, 2, 14, 17, 30)
	if err := f.desk.Escalate(t.Context(), out.TicketID); err != nil {
		t.Fatal(err)
	}
	if tk, _ = f.st.Ticket(t.Context(), out.TicketID); tk.Level != tickets.LevelGridLeader {
		t.Errorf("level %s at the deadline, want grid_leader", tk.Level)
	}
}
