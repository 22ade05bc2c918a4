package campaigns

import "time"

// The states of a booked visit. A visit is live while proposed or
// confirmed; moved (the resident asked for another time, a new slot is
// booked) and cancelled release its time.
const (
	VisitProposed  = "proposed"
	VisitConfirmed = "confirmed"
	VisitMoved     = "moved"
	VisitCancelled = "cancelled"
)

// Visit is one booked visit as the store keeps it: the slot a
// visit_schedule campaign proposed to a resident, with the grid worker who
// visits and where it stands (State: VisitProposed, VisitConfirmed,
// VisitMoved, VisitCancelled).
type Visit struct {
	ID         int64
	WorkerID   int64
	ResidentID int64
	CampaignID int64
	Start, End time.Time
	State      string
}
