package tickets_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/workdays"
)

func TestDueAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cat  tickets.Category
		sla  tickets.SLA
		want time.Duration
	}{
		{tickets.CategoryComplaints, tickets.SLA{}, 24 * time.Hour},
		{tickets.CategoryElderlyCare, tickets.SLA{}, 24 * time.Hour},
		{tickets.CategoryEnvironment, tickets.SLA{}, 48 * time.Hour},
		{tickets.CategorySchooling, tickets.SLA{}, 72 * time.Hour},
		{"parking", tickets.SLA{}, 72 * time.Hour},
		{"parking", tickets.SLA{Deadlines: map[tickets.Category]time.Duration{tickets.CategoryOther: 12 * time.Hour}}, 12 * time.Hour},
		{tickets.CategoryComplaints, tickets.SLA{Deadlines: map[tickets.Category]time.Duration{}}, 72 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(string(tt.cat), func(t *testing.T) {
			t.Parallel()
			if got := tt.sla.DueAt(tt.cat, t0); !got.Equal(t0.Add(tt.want)) {
				t.Errorf("DueAt = %v, want +%s", got, tt.want)
			}
		})
	}
	if got := tickets.DueAt(tickets.CategoryDisputes, t0, nil); !got.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("package DueAt = %v", got)
	}
}

func TestNextEscalation(t *testing.T) {
	t.Parallel()
	due := t0.Add(24 * time.Hour)
	sla := tickets.SLA{Steps: map[tickets.Level]time.Duration{tickets.LevelGridLeader: 12 * time.Hour}}
	tests := []struct {
		name   string
		level  tickets.Level
		status tickets.Status
		due    time.Time
		now    time.Time
		want   tickets.Level
		wantAt time.Time
		ok     bool
	}{
		{"before due", tickets.LevelGridWorker, tickets.StatusAssigned, due, due.Add(-time.Nanosecond), "", time.Time{}, false},
		{"at due", tickets.LevelGridWorker, tickets.StatusAssigned, due, due, tickets.LevelGridLeader, due.Add(12 * time.Hour), true},
		{"new ticket, zero level", "", tickets.StatusNew, due, due.Add(time.Hour), tickets.LevelGridLeader, due.Add(12 * time.Hour), true},
		{"late check counts from the missed deadline", tickets.LevelGridLeader, tickets.StatusReplied, due, due.Add(30 * time.Hour), tickets.LevelCommunity, due.Add(24 * time.Hour), true},
		{"community to street", tickets.LevelCommunity, tickets.StatusInProgress, due, due, tickets.LevelStreet, due.Add(24 * time.Hour), true},
		{"street is the top", tickets.LevelStreet, tickets.StatusInProgress, due, due.Add(time.Hour), "", time.Time{}, false},
		{"resolved", tickets.LevelGridWorker, tickets.StatusResolved, due, due.Add(time.Hour), "", time.Time{}, false},
		{"no deadline", tickets.LevelGridWorker, tickets.StatusAssigned, time.Time{}, due, "", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk := tickets.Ticket{Level: tt.level, Status: tt.status, DueAt: tt.due}
			lvl, at, ok := sla.NextEscalation(tk, tt.now)
			if lvl != tt.want || !at.Equal(tt.wantAt) || ok != tt.ok {
				t.Errorf("NextEscalation = %s %v %v, want %s %v %v", lvl, at, ok, tt.want, tt.wantAt, tt.ok)
			}
		})
	}
}

// TestEscalationCatchUp: a ticket found days overdue climbs one step per
// call, each step on the timeline, and stops at the street.
func TestEscalationCatchUp(t *testing.T) {
	t.Parallel()
	tk := openTicket() // environment: due t0+48h
	now := t0.Add(10 * 24 * time.Hour)
	var path []tickets.Level
	for {
		lvl, due, ok := tickets.NextEscalation(tk, now)
		if !ok {
			break
		}
		if _, err := tk.Escalate(lvl, 0, due, "system", now); err != nil {
			t.Fatal(err)
		}
		path = append(path, lvl)
	}
	if len(path) != 3 || tk.Level != tickets.LevelStreet || !tk.DueAt.Equal(t0.Add(48*time.Hour+72*time.Hour)) {
		t.Errorf("path %v, level %s, due %v", path, tk.Level, tk.DueAt)
	}
}

func TestOnTime(t *testing.T) {
	t.Parallel()
	tk := openTicket()
	if (tickets.SLA{}).OnTime(tk) {
		t.Error("unresolved ticket on time")
	}
	tk.ResolvedAt = t0.Add(48 * time.Hour)
	if !(tickets.SLA{}).OnTime(tk) {
		t.Error("resolved at the deadline: not on time")
	}
	tk.ResolvedAt = tk.ResolvedAt.Add(time.Second)
	tk.DueAt = t0.Add(100 * time.Hour) // escalated: does not count
	if (tickets.SLA{}).OnTime(tk) {
		t.Error("resolved after the category deadline: on time")
	}
}

func TestSLAValidate(t *testing.T) {
	t.Parallel()
	err := tickets.SLA{
		Deadlines:    map[tickets.Category]time.Duration{tickets.CategoryOther: 0},
		Steps:        map[tickets.Level]time.Duration{tickets.LevelGridWorker: time.Hour, tickets.LevelStreet: -1},
		ReopenWindow: -time.Hour,
	}.Validate()
	want := "sla.deadlines[other]: 0s: want a positive duration\n" +
		"sla.steps[street]: -1ns: want a positive duration\n" +
		"sla.steps[grid_worker]: want grid_leader, community or street\n" +
		"sla.reopen_window: -1h0m0s: want zero (the default) or more"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
}

var _ tickets.WorkCalendar = (*workdays.Calendar)(nil)

func TestWorkingDayDeadlines(t *testing.T) {
	t.Parallel()
	cal, err := workdays.New(workdays.Config{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, workdays.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC() // the store's instants; the calendar reads them in Beijing
	}
	sla := tickets.SLA{Workdays: cal, Warning: 4 * time.Hour, Terms: map[tickets.Category]tickets.Term{
		tickets.CategoryEmployment:  {Workdays: 3, EndOfDay: true},
		tickets.CategoryEnvironment: {WorkingHours: 8 * time.Hour},
		tickets.CategoryComplaints:  {EndOfDay: true}, // 24 plain hours, then the close of that working day
	}}
	for _, tc := range []struct {
		name, created string
		cat           tickets.Category
		due, text     string
	}{
		{"3 working days across 春节, counting the 调休 Saturday", "2026-02-13 10:00", tickets.CategoryEmployment, "2026-02-25 17:30", "2月25日（周三）"},
		{"3 working days across 国庆", "2026-09-29 10:00", tickets.CategoryEmployment, "2026-10-09 17:30", "10月9日（周五）"},
		{"3 working days onto the 调休 Saturday after 国庆", "2026-09-30 10:00", tickets.CategoryEmployment, "2026-10-10 17:30", "10月10日（周六）"},
		{"working hours over a weekend", "2026-12-04 16:00", tickets.CategoryEnvironment, "2026-12-07 17:00", "12月7日（周一）17:00"},
		{"24 hours to the end of a working day", "2026-12-04 10:00", tickets.CategoryComplaints, "2026-12-07 17:30", "12月7日（周一）"},
		{"a category without a term keeps plain hours", "2026-12-04 10:00", tickets.CategoryElderlyCare, "2026-12-05 10:00", "12月5日（周六）10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := sla.DueAt(tc.cat, at(tc.created))
			if !due.Equal(at(tc.due)) {
				t.Errorf("DueAt = %s, want %s", due.In(workdays.Shanghai).Format(time.DateTime), tc.due)
			}
			if got := sla.DueText(tc.cat, due); got != tc.text {
				t.Errorf("DueText = %q, want %q", got, tc.text)
			}
		})
	}
	if got, want := sla.WarnAt(at("2026-10-08 11:00")), at("2026-09-30 15:30"); !got.Equal(want) {
		t.Errorf("WarnAt(2026-10-08 11:00) = %s, want 4 working hours before, across 国庆: %s", got, want)
	}
	if got, want := (tickets.SLA{Warning: 4 * time.Hour}).WarnAt(at("2026-10-08 11:00")), at("2026-10-08 07:00"); !got.Equal(want) {
		t.Errorf("WarnAt without a working calendar = %s, want %s", got, want)
	}
	if got := (tickets.SLA{}).WarnAt(at("2026-10-08 11:00")); !got.IsZero() {
		t.Errorf("WarnAt without a warning = %s, want zero", got)
	}
}

func TestTermsValidate(t *testing.T) {
	t.Parallel()
	err := tickets.SLA{Warning: -time.Hour, Terms: map[tickets.Category]tickets.Term{tickets.CategoryEmployment: {Workdays: -1}}}.Validate()
	for _, want := range []string{"sla.terms[employment]: -1 working days", "sla.terms: deadlines in working days need a working calendar", "sla.warning: -1h0m0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to contain %q", err, want)
		}
	}
}
