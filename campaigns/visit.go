package campaigns

import "time"

// Visit is one booked visit as the store keeps it: the slot a
// visit_schedule campaign proposed to a resident, with the grid worker who
// visits and where it stands (the store Slot* states: proposed,
// confirmed, moved, cancelled).
type Visit struct {
	ID         int64
	WorkerID   int64
	ResidentID int64
	CampaignID int64
	Start, End time.Time
	State      string
}
