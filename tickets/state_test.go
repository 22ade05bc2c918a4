package tickets_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

var t0 = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)

func openTicket() tickets.Ticket {
	tk, _ := tickets.SLA{}.Open(tickets.Ticket{ID: 12, ResidentID: 7, GridCode: "NY-03-02", Channel: population.ChannelWeChat,
		Text: "楼下垃圾没人清理", Category: tickets.CategoryEnvironment}, []string{"垃圾"}, t0)
	return tk
}

func TestOpen(t *testing.T) {
	t.Parallel()
	tk, ev := tickets.SLA{}.Open(tickets.Ticket{ID: 12, ResidentID: 7, Category: tickets.CategoryEnvironment, Rating: 3}, []string{"垃圾", "异味"}, t0)
	want := tickets.Ticket{ID: 12, ResidentID: 7, Category: tickets.CategoryEnvironment, Level: tickets.LevelGridWorker,
		Status: tickets.StatusNew, DueAt: t0.Add(48 * time.Hour), CreatedAt: t0, UpdatedAt: t0}
	if diff := cmp.Diff(want, tk); diff != "" {
		t.Errorf("ticket (-want +got):\n%s", diff)
	}
	wantEv := tickets.Event{TicketID: 12, At: t0, Actor: "system", Kind: tickets.EventCreated, To: "environment", Note: "keywords: 垃圾, 异味"}
	if diff := cmp.Diff(wantEv, ev); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}

// TestTransitionMatrix tries every pair of statuses on an assigned ticket,
// so that only the workflow's edges decide.
func TestTransitionMatrix(t *testing.T) {
	t.Parallel()
	allowed := map[[2]tickets.Status]bool{
		{tickets.StatusNew, tickets.StatusAssigned}:        true,
		{tickets.StatusNew, tickets.StatusClosed}:          true,
		{tickets.StatusAssigned, tickets.StatusInProgress}: true,
		{tickets.StatusAssigned, tickets.StatusReplied}:    true,
		{tickets.StatusAssigned, tickets.StatusResolved}:   true,
		{tickets.StatusAssigned, tickets.StatusClosed}:     true,
		{tickets.StatusInProgress, tickets.StatusReplied}:  true,
		{tickets.StatusInProgress, tickets.StatusResolved}: true,
		{tickets.StatusInProgress, tickets.StatusClosed}:   true,
		{tickets.StatusReplied, tickets.StatusInProgress}:  true,
		{tickets.StatusReplied, tickets.StatusResolved}:    true,
		{tickets.StatusReplied, tickets.StatusClosed}:      true,
		{tickets.StatusResolved, tickets.StatusClosed}:     true,
		{tickets.StatusResolved, tickets.StatusAssigned}:   true,
		{tickets.StatusClosed, tickets.StatusArchived}:     true,
		{tickets.StatusClosed, tickets.StatusAssigned}:     true,
	}
	for _, from := range tickets.Statuses {
		for _, to := range tickets.Statuses {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
				t.Parallel()
				tk := openTicket()
				tk.AssigneeWorkerID, tk.Status, tk.Rating = 3, from, 4
				before := tk
				now := t0.Add(time.Hour)
				ev, err := tk.Transition(to, "worker.li", now)
				if !allowed[[2]tickets.Status{from, to}] {
					var te *tickets.TransitionError
					if !errors.Is(err, tickets.ErrBadTransition) || !errors.As(err, &te) || te.From != from || te.To != to {
						t.Fatalf("Transition() = %v, want a *TransitionError %s→%s", err, from, to)
					}
					if diff := cmp.Diff(before, tk); diff != "" {
						t.Errorf("a refused transition changed the ticket (-before +after):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatalf("Transition() = %v", err)
				}
				kind := tickets.EventStatus
				if to == tickets.StatusAssigned && from != tickets.StatusNew {
					kind = tickets.EventReopened
				}
				want := tickets.Event{TicketID: 12, At: now, Actor: "worker.li", Kind: kind, From: string(from), To: string(to)}
				if diff := cmp.Diff(want, ev); diff != "" {
					t.Errorf("event (-want +got):\n%s", diff)
				}
				if tk.Status != to || !tk.UpdatedAt.Equal(now) {
					t.Errorf("after: %s updated %v", tk.Status, tk.UpdatedAt)
				}
				if kind == tickets.EventReopened && tk.Rating != 0 {
					t.Errorf("reopening kept rating %d", tk.Rating)
				}
			})
		}
	}
}

func TestTransitionGuards(t *testing.T) {
	t.Parallel()
	tk := openTicket()
	if _, err := tk.Transition(tickets.StatusAssigned, "leader.wang", t0); !errors.Is(err, tickets.ErrBadTransition) ||
		err.Error() != "tickets: cannot move a ticket from new to assigned: no assignee; use Assign" {
		t.Errorf("assigned without assignee: %v", err)
	}
	if _, err := tk.Transition(tickets.StatusClosed, " ", t0); !errors.Is(err, tickets.ErrNoActor) {
		t.Errorf("no actor: %v", err)
	}
	dup := openTicket()
	dup.ID, dup.AssigneeWorkerID, dup.Status, dup.MergedInto = 13, 3, tickets.StatusClosed, 12
	if _, err := dup.Transition(tickets.StatusAssigned, "leader.wang", t0); !errors.Is(err, tickets.ErrBadTransition) {
		t.Errorf("reopening a merged duplicate: %v", err)
	}
}

func TestAssignAndEscalate(t *testing.T) {
	t.Parallel()
	tk := openTicket()
	ev, err := tk.Assign(3, tickets.LevelGridWorker, "system", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := tickets.Event{TicketID: 12, At: t0, Actor: "system", Kind: tickets.EventAssigned, From: "0", To: "3"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("assign (-want +got):\n%s", diff)
	}
	if tk.Status != tickets.StatusAssigned {
		t.Errorf("status %s, want assigned", tk.Status)
	}

	lvl, due, ok := tickets.NextEscalation(tk, tk.DueAt.Add(-time.Second))
	if ok {
		t.Fatalf("NextEscalation before due = %s %v true", lvl, due)
	}
	late := tk.DueAt.Add(30 * time.Minute)
	lvl, due, ok = tickets.NextEscalation(tk, late)
	if !ok || lvl != tickets.LevelGridLeader || !due.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("NextEscalation = %s %v %v, want grid_leader at +72h", lvl, due, ok)
	}
	ev, err = tk.Escalate(lvl, 0, due, "system", late)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Level != tickets.LevelGridLeader || tk.AssigneeWorkerID != 3 || !tk.DueAt.Equal(due) || ev.Kind != tickets.EventEscalated {
		t.Errorf("after escalation: %+v %+v", tk, ev)
	}
	if _, err := tk.Escalate(tickets.LevelGridWorker, 9, due, "system", late); !errors.Is(err, tickets.ErrBadAssignment) {
		t.Errorf("escalating downwards: %v", err)
	}
	ev, err = tk.Assign(21, tickets.LevelGridLeader, "system", late)
	if err != nil || ev.Kind != tickets.EventAssigned || tk.AssigneeWorkerID != 21 {
		t.Errorf("leader assignment: %+v %v", ev, err)
	}
	ev, err = tk.Assign(31, tickets.LevelCommunity, "leader.wang", late)
	want = tickets.Event{TicketID: 12, At: late, Actor: "leader.wang", Kind: tickets.EventEscalated, From: "grid_leader", To: "community", Note: "worker 31"}
	if diff := cmp.Diff(want, ev); err != nil || diff != "" {
		t.Errorf("manual escalation (-want +got) %v:\n%s", err, diff)
	}
	for _, bad := range []struct {
		worker int64
		level  tickets.Level
	}{{0, tickets.LevelStreet}, {5, "district"}} {
		if _, err := tk.Assign(bad.worker, bad.level, "x", late); !errors.Is(err, tickets.ErrBadAssignment) {
			t.Errorf("Assign(%d, %s) = %v, want ErrBadAssignment", bad.worker, bad.level, err)
		}
	}
	tk.Status = tickets.StatusResolved
	if _, err := tk.Assign(3, tickets.LevelGridWorker, "x", late); !errors.Is(err, tickets.ErrBadTransition) {
		t.Errorf("assigning a resolved ticket: %v", err)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  tickets.Status
		resolve bool
		rating  int
		merged  int64
		n       int
		wantErr error
	}{
		{name: "resolved", status: tickets.StatusResolved, resolve: true, n: 5},
		{name: "closed after resolution", status: tickets.StatusClosed, resolve: true, n: 1},
		{name: "closed unresolved", status: tickets.StatusClosed, n: 4, wantErr: tickets.ErrNotRateable},
		{name: "merged duplicate", status: tickets.StatusClosed, resolve: true, merged: 9, n: 4, wantErr: tickets.ErrNotRateable},
		{name: "in progress", status: tickets.StatusInProgress, n: 4, wantErr: tickets.ErrNotRateable},
		{name: "twice", status: tickets.StatusResolved, resolve: true, rating: 3, n: 4, wantErr: tickets.ErrAlreadyRated},
		{name: "zero", status: tickets.StatusResolved, resolve: true, n: 0, wantErr: tickets.ErrBadRating},
		{name: "six", status: tickets.StatusResolved, resolve: true, n: 6, wantErr: tickets.ErrBadRating},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk := openTicket()
			tk.Status, tk.Rating, tk.MergedInto = tt.status, tt.rating, tt.merged
			if tt.resolve {
				tk.ResolvedAt = t0.Add(time.Hour)
			}
			now := t0.Add(2 * time.Hour)
			ev, err := tk.Rate(tt.n, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Rate(%d) = %v, want %v", tt.n, err, tt.wantErr)
				}
				return
			}
			want := tickets.Event{TicketID: 12, At: now, Actor: "resident", Kind: tickets.EventRated, To: fmt.Sprint(tt.n)}
			if diff := cmp.Diff(want, ev); err != nil || diff != "" {
				t.Errorf("Rate (-want +got) %v:\n%s", err, diff)
			}
			if tk.Rating != tt.n || tk.Status != tt.status {
				t.Errorf("after: rating %d status %s", tk.Rating, tk.Status)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	week := 7 * 24 * time.Hour
	resolved := t0.Add(time.Hour)
	tests := []struct {
		name    string
		status  tickets.Status
		closed  time.Time
		merged  int64
		after   time.Duration
		wantErr error
	}{
		{name: "resolved, inside", status: tickets.StatusResolved, after: week},
		{name: "resolved, outside", status: tickets.StatusResolved, after: week + time.Minute, wantErr: tickets.ErrReopenWindow},
		{name: "closed after resolution counts from resolution", status: tickets.StatusClosed, closed: resolved.Add(48 * time.Hour),
			after: week + time.Minute, wantErr: tickets.ErrReopenWindow},
		{name: "merged", status: tickets.StatusClosed, closed: resolved, merged: 3, after: time.Hour, wantErr: tickets.ErrBadTransition},
		{name: "archived", status: tickets.StatusArchived, after: time.Hour, wantErr: tickets.ErrBadTransition},
		{name: "open", status: tickets.StatusReplied, after: time.Hour, wantErr: tickets.ErrBadTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk := openTicket()
			tk.AssigneeWorkerID, tk.Status, tk.ResolvedAt, tk.ClosedAt, tk.MergedInto, tk.Rating = 3, tt.status, resolved, tt.closed, tt.merged, 2
			now := resolved.Add(tt.after)
			ev, err := tk.Reopen(tickets.SLA{}.Window(), now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Reopen = %v, want %v", err, tt.wantErr)
				}
				return
			}
			want := tickets.Event{TicketID: 12, At: now, Actor: "resident", Kind: tickets.EventReopened,
				From: string(tt.status), To: "assigned", Note: "the resident wrote again"}
			if diff := cmp.Diff(want, ev); err != nil || diff != "" {
				t.Errorf("Reopen (-want +got) %v:\n%s", err, diff)
			}
			if tk.Rating != 0 || tk.AssigneeWorkerID != 3 {
				t.Errorf("after: rating %d worker %d", tk.Rating, tk.AssigneeWorkerID)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	kept, dup := openTicket(), openTicket()
	dup.ID, dup.DueAt = 13, t0.Add(24*time.Hour)
	now := t0.Add(time.Hour)
	kev, dev, err := kept.Merge(&dup, "worker.li", now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tickets.Event{TicketID: 12, At: now, Actor: "worker.li", Kind: tickets.EventMerged, From: "13", To: "12", Note: "duplicate #13 merged here"}, kev); diff != "" {
		t.Errorf("kept event (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tickets.Event{TicketID: 13, At: now, Actor: "worker.li", Kind: tickets.EventStatus, From: "new", To: "closed", Note: "duplicate of #12"}, dev); diff != "" {
		t.Errorf("dup event (-want +got):\n%s", diff)
	}
	if dup.Status != tickets.StatusClosed || dup.MergedInto != 12 || !kept.DueAt.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("after: dup %s into %d, kept due %v", dup.Status, dup.MergedInto, kept.DueAt)
	}

	other := openTicket()
	other.ID, other.ResidentID = 14, 8
	closed := openTicket()
	closed.ID, closed.Status = 15, tickets.StatusClosed
	fresh := openTicket()
	for name, d := range map[string]*tickets.Ticket{"other resident": &other, "closed": &closed, "itself": &fresh} {
		k := openTicket()
		if name == "itself" {
			d = &k
		}
		before := *d
		if _, _, err := k.Merge(d, "worker.li", now); !errors.Is(err, tickets.ErrBadMerge) {
			t.Errorf("%s: Merge = %v, want ErrBadMerge", name, err)
		}
		if diff := cmp.Diff(before, *d); diff != "" {
			t.Errorf("%s: refused merge changed the duplicate:\n%s", name, diff)
		}
	}
}
