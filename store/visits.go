package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
)

func scanVisit(sc scanner) (campaigns.Visit, error) {
	var v campaigns.Visit
	err := sc.Scan(&v.ID, &v.WorkerID, &v.ResidentID, &v.CampaignID, timeCol{&v.Start}, timeCol{&v.End}, &v.State)
	return v, err
}

// SlotFor returns the resident's live (proposed or confirmed) visit in
// campaign, or an error wrapping fault.ErrNotFound when there is none.
func (s *Store) SlotFor(ctx context.Context, residentID, campaignID int64) (campaigns.Visit, error) {
	v, err := scanVisit(s.r.QueryRowContext(ctx, s.q.get("SlotFor"), residentID, campaignID))
	if err != nil {
		return campaigns.Visit{}, notFound(err, fmt.Sprintf("resident %d campaign %d slot", residentID, campaignID))
	}
	return v, nil
}

// WorkerVisits returns worker's live visits that overlap [from, to), by
// start, each with its campaign: a fan-out gives the allocator its own
// campaign's bookings by resident and the others' as busy time.
func (s *Store) WorkerVisits(ctx context.Context, workerID int64, from, to time.Time) ([]campaigns.Visit, error) {
	return s.visits(ctx, fmt.Sprintf("worker %d visits", workerID), "WorkerVisits", workerID, s.ts(to), s.ts(from))
}

// DueReminders returns up to limit confirmed visits starting in [from, to)
// that have no reminder on the ledger yet (sent, pending or settled
// otherwise), earliest first.
func (s *Store) DueReminders(ctx context.Context, from, to time.Time, limit int) ([]campaigns.Visit, error) {
	return s.visits(ctx, "due reminders", "DueReminders", s.ts(from), s.ts(to), limit)
}

func (s *Store) visits(ctx context.Context, what, query string, args ...any) ([]campaigns.Visit, error) {
	return queryAll(ctx, s, what, query, scanVisit, args...)
}

func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = sql.ErrNoRows
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, fault.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}
