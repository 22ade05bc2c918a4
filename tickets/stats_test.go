package tickets_test

import (
	"testing"
	"time"

	"github.com/gridcast/gridcast/tickets"
)

func TestTally(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	sla := tickets.SLA{}
	ts := []tickets.Ticket{
		// resolved on time (environment: 48 h), rated 5
		{ID: 1, GridCode: "G1", Category: tickets.CategoryEnvironment, Status: tickets.StatusClosed, CreatedAt: t0,
			ResolvedAt: t0.Add(10 * time.Hour), Rating: 5},
		// resolved late, escalated, rated 2
		{ID: 2, GridCode: "G1", Category: tickets.CategoryComplaints, Status: tickets.StatusResolved, CreatedAt: t0,
			ResolvedAt: t0.Add(30 * time.Hour), Level: tickets.LevelGridLeader, Rating: 2},
		// open and overdue
		{ID: 3, GridCode: "G1", Category: tickets.CategoryOther, Status: tickets.StatusAssigned, CreatedAt: t0, DueAt: t0.Add(72 * time.Hour)},
		// open, not yet due
		{ID: 4, GridCode: "G2", Category: tickets.CategoryOther, Status: tickets.StatusNew, CreatedAt: t0, DueAt: t0.Add(200 * time.Hour)},
		// a merged duplicate: not counted
		{ID: 5, GridCode: "G2", Status: tickets.StatusClosed, MergedInto: 4, CreatedAt: t0},
	}
	got := sla.Tally(ts, t0.Add(100*time.Hour), func(t tickets.Ticket) string { return t.GridCode })
	if len(got) != 2 || got[0].Key != "G1" || got[1].Key != "G2" {
		t.Fatalf("keys: %+v", got)
	}
	g1 := got[0]
	if g1.Opened != 3 || g1.Resolved != 2 || g1.ResolvedOnTime != 1 || g1.Open != 1 || g1.Overdue != 1 || g1.Escalated != 1 || g1.Rated != 2 {
		t.Errorf("G1: %+v", g1)
	}
	if g1.OnTimeRate() != 0.5 || g1.MeanRating() != 3.5 || g1.MeanResolve() != 20*time.Hour {
		t.Errorf("G1 rates: on time %v, rating %v, resolve %v", g1.OnTimeRate(), g1.MeanRating(), g1.MeanResolve())
	}
	if g2 := got[1]; g2.Opened != 1 || g2.Open != 1 || g2.Overdue != 0 || g2.OnTimeRate() != 0 || g2.MeanRating() != 0 {
		t.Errorf("G2: %+v", g2)
	}
}
