package tickets_test

import (
	"testing"
	"time"

	"github.com/gridcast/gridcast/tickets"
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
