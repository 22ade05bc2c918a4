package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/outbound"
)

// The batch forms of the ledger's hot moves: a campaign's messages are
// claimed, sent and counted a chunk at a time, in one transaction and a
// constant number of statements per chunk, with the same rules as the
// single forms (ClaimMessage, AdvanceMessage, SentCounts).

// ClaimMessages is ClaimMessage for many messages at once: each of ids
// still pending moves to sending, counts an attempt and gets its history
// entry, in one transaction, and records outID as the OutId its provider
// call will carry (as MarkAttempt does) — except on a message whose earlier
// call's outcome is still unknown, which keeps the OutId that call
// carried until it is settled. It returns the messages it claimed, by id;
// an id not pending (sent, being sent by another worker, final) or not on
// the ledger is left out. Of concurrent claims of one message exactly one
// wins.
func (s *Store) ClaimMessages(ctx context.Context, ids []int64, now time.Time, outID string) ([]outbound.Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids) // concurrent claimers lock rows in one order
	var out []outbound.Message
	err := s.inTx(ctx, fmt.Sprintf("claim %d messages", len(ids)), func(tx *sql.Tx) error {
		var err error
		if out, err = collectMessages(tx.QueryContext(ctx, s.q.get("ClaimMessages"), s.ts(now), s.int64s(ids), outID)); err != nil {
			return err
		}
		claimed := make([]int64, len(out))
		notes := make([]string, len(out))
		for i, m := range out {
			claimed[i], notes[i] = m.ID, "attempt "+strconv.Itoa(m.Attempts)
		}
		return s.insertEvents(ctx, tx, claimed, now, outbound.StatusPending, outbound.StatusSending, "", notes)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b outbound.Message) int { return int(a.ID - b.ID) })
	return out, nil
}

// MarkSent is AdvanceMessage to sent, code OK, for messages a provider
// accepted in one batch of calls: one transaction, every message dated at
// and given its provider id and templateCode. A message no longer sending
// (a receipt overtook the answer) is moved, or filled, by AdvanceMessage's
// rules one by one in the same transaction. It returns the ids it moved to
// sent.
func (s *Store) MarkSent(ctx context.Context, acc []outbound.Accepted, templateCode string, at time.Time) ([]int64, error) {
	if len(acc) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(acc))
	pids := make([]string, len(acc))
	for i, a := range acc {
		ids[i], pids[i] = a.ID, a.ProviderID
	}
	moved := map[int64]bool{}
	var done []int64
	err := s.inTx(ctx, fmt.Sprintf("mark %d messages sent", len(acc)), func(tx *sql.Tx) error {
		args := append(s.pairs(ids, pids), templateCode, s.ts(at), s.ts(s.now()))
		rows, err := tx.QueryContext(ctx, s.q.get("MarkSentMany"), args...)
		if err != nil {
			return err
		}
		done = done[:0]
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			moved[id] = true
			done = append(done, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		notes := make([]string, len(done))
		if err := s.insertEvents(ctx, tx, done, at, outbound.StatusSending, outbound.StatusSent, "OK", notes); err != nil {
			return err
		}
		for _, a := range acc {
			if moved[a.ID] {
				continue
			}
			ok, err := s.advanceTx(ctx, tx, a.ID, outbound.StatusSent, outbound.Update{ProviderID: a.ProviderID,
				ProviderCode: "OK", TemplateCode: templateCode, At: at}, at)
			if err != nil {
				return fmt.Errorf("message %d: %w", a.ID, err)
			}
			if ok {
				done = append(done, a.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// insertEvents appends one history entry per id, all of one move, notes[i]
// the note of ids[i].
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, ids []int64, at time.Time, from, to outbound.Status, code string, notes []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{s.ts(at), string(from), string(to), code}, s.pairs(ids, notes)...)
	_, err := tx.ExecContext(ctx, s.q.get("InsertMessageEvents"), args...)
	return err
}

// SentCountsFor is SentCounts for many residents at once: a resident with
// nothing sent in the week is left out (zero counts).
func (s *Store) SentCountsFor(ctx context.Context, residentIDs []int64, dayStart, weekStart time.Time, templateCode string) (map[int64]outbound.Counts, error) {
	out := make(map[int64]outbound.Counts, len(residentIDs))
	if len(residentIDs) == 0 {
		return out, nil
	}
	earliest := dayStart
	if weekStart.Before(earliest) {
		earliest = weekStart
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("SentCountsMany"), s.ts(dayStart), s.ts(weekStart), templateCode,
		s.int64s(residentIDs), s.ts(earliest))
	if err != nil {
		return nil, fmt.Errorf("store: sent counts of %d residents: %w", len(residentIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c outbound.Counts
		if err := rows.Scan(&id, &c.Today, &c.Week, &c.SameTemplate); err != nil {
			return nil, fmt.Errorf("store: sent counts: %w", err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sent counts: %w", err)
	}
	return out, nil
}
