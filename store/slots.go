package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
)

// BookedSlots returns worker's live slots that overlap [from, to), by
// start: what campaigns.SlotConfig.Booked wants.
func (s *Store) BookedSlots(ctx context.Context, workerID int64, from, to time.Time) ([]campaigns.Slot, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("BookedSlots"), workerID, s.ts(to), s.ts(from))
	if err != nil {
		return nil, fmt.Errorf("store: worker %d booked slots: %w", workerID, err)
	}
	defer rows.Close()
	var out []campaigns.Slot
	for rows.Next() {
		var sl campaigns.Slot
		if err := rows.Scan(&sl.ResidentID, timeCol{&sl.Start}, timeCol{&sl.End}); err != nil {
			return nil, fmt.Errorf("store: worker %d booked slots: %w", workerID, err)
		}
		out = append(out, sl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: worker %d booked slots: %w", workerID, err)
	}
	return out, nil
}

// BookSlot books v, a proposed visit by v.WorkerID to v.ResidentID for
// v.CampaignID from v.Start to v.End (v.ID and v.State are ignored). A
// worker has one live visit per start time and a resident
// one live visit per campaign: booking a start the worker has given to
// someone else, or a second slot for the resident in the campaign, returns
// an error wrapping fault.ErrConflict. Booking exactly the live slot the resident
// already holds succeeds and changes nothing, so a re-run fan-out may book
// again.
func (s *Store) BookSlot(ctx context.Context, v campaigns.Visit) error {
	workerID, residentID, campaignID, start, end := v.WorkerID, v.ResidentID, v.CampaignID, v.Start, v.End
	what := fmt.Sprintf("book worker %d slot at %s", workerID, start.UTC().Format(time.RFC3339))
	if !end.After(start) {
		return fmt.Errorf("store: %s: end %s is not after the start", what, end.UTC().Format(time.RFC3339))
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		now := s.ts(s.now())
		res, err := tx.ExecContext(ctx, s.q.get("InsertSlot"), workerID, residentID, campaignID, s.ts(start), s.ts(end), now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q.get("SlotHolders"), workerID, s.ts(start), campaignID, residentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w, r, c int64
			var st, en time.Time
			if err := rows.Scan(&w, &r, &c, timeCol{&st}, timeCol{&en}); err != nil {
				return err
			}
			if w == workerID && r == residentID && c == campaignID && st.Equal(start.UTC().Truncate(time.Microsecond)) && en.Equal(end.UTC().Truncate(time.Microsecond)) {
				return rows.Err() // already booked, as asked
			}
			if r == residentID && c == campaignID {
				return fmt.Errorf("resident %d already has a visit in campaign %d at %s: %w", residentID, campaignID, st.Format(time.RFC3339), fault.ErrConflict)
			}
			return fmt.Errorf("worker %d already visits resident %d then: %w", workerID, r, fault.ErrConflict)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("slot refused but no holder found: %w", fault.ErrConflict)
	})
}

// SetSlotState moves resident's live slot in campaign to state: confirmed
// (the resident said yes; confirming again is a no-op), moved or cancelled
// (which release the time). fault.ErrNotFound when the resident has no
// live slot in the campaign.
func (s *Store) SetSlotState(ctx context.Context, residentID, campaignID int64, state string) error {
	what := fmt.Sprintf("set resident %d campaign %d slot %s", residentID, campaignID, state)
	switch state {
	case campaigns.VisitConfirmed, campaigns.VisitMoved, campaigns.VisitCancelled:
	default:
		return fmt.Errorf("store: %s: want confirmed, moved or cancelled", what)
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("SetSlotState"), state, s.ts(s.now()), residentID, campaignID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return fmt.Errorf("no live slot: %w", fault.ErrNotFound)
	})
}
