package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

func scanVisit(sc interface{ Scan(...any) error }) (campaigns.Visit, error) {
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
	return s.visits(ctx, fmt.Sprintf("worker %d visits", workerID), s.q.get("WorkerVisits"), workerID, s.ts(to), s.ts(from))
}

// DueReminders returns up to limit confirmed visits starting in [from, to)
// whose reminder has not been claimed, earliest first.
func (s *Store) DueReminders(ctx context.Context, from, to time.Time, limit int) ([]campaigns.Visit, error) {
	return s.visits(ctx, "due reminders", s.q.get("DueReminders"), s.ts(from), s.ts(to), limit)
}

func (s *Store) visits(ctx context.Context, what, query string, args ...any) ([]campaigns.Visit, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []campaigns.Visit
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// ClaimReminder marks the reminder of a confirmed visit as being sent on
// channel at at, if nobody has: it returns true for exactly one caller.
// A visit no longer confirmed is not claimed.
func (s *Store) ClaimReminder(ctx context.Context, slotID int64, ch population.Channel, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.q.get("ClaimReminder"), s.ts(at), string(ch), s.ts(s.now()), slotID)
	if err != nil {
		return false, fmt.Errorf("store: claim slot %d reminder: %w", slotID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim slot %d reminder: %w", slotID, err)
	}
	return n == 1, nil
}

// SettleReminder records what became of a claimed reminder: the
// provider's id once it accepted the message, or a code (the provider's
// error code, or a skip reason) when it was not sent. Settled, the claim
// is final. fault.ErrNotFound when the reminder was not claimed.
func (s *Store) SettleReminder(ctx context.Context, slotID int64, providerID, code string) error {
	return s.execOne(ctx, fmt.Sprintf("settle slot %d reminder", slotID), s.q.get("SettleReminder"),
		providerID, code, s.ts(s.now()), slotID)
}

// ReleaseReminder undoes an unsettled claim (the send failed for now) so
// that a later scan tries again; a settled reminder is left as it is and
// releasing one that is not claimed changes nothing.
func (s *Store) ReleaseReminder(ctx context.Context, slotID int64) error {
	if _, err := s.w.ExecContext(ctx, s.q.get("ReleaseReminder"), s.ts(s.now()), slotID); err != nil {
		return fmt.Errorf("store: release slot %d reminder: %w", slotID, err)
	}
	return nil
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
