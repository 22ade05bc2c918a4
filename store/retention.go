package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
)

var _ retention.Store = (*Store)(nil)

// The states a sweep's batch query gives each row (queries Retention*).
const (
	rowYoung = 0 // at or after the cutoff
	rowHeld  = 1 // old, but still needed
	rowDone  = 2 // nothing left to clear
	rowDue   = 3 // to clear
)

// sweepKind is one table the retention sweep walks: the query that reads
// a batch with each row's state, the statements that clear the due rows
// (run in order in one transaction; the last one's rows are the count),
// and what their third argument is.
type sweepKind struct {
	name  string // the retention_marks kind
	batch string
	clear []string
	arg   sweepArg
}

// sweepArg is the third argument of a sweep's clearing statements, after
// the cutoff and the ids.
type sweepArg int

const (
	argNone    sweepArg = iota
	argNow              // the time of the clearing
	argRemoved          // retention.Removed, which the batch query also takes (fourth)
)

var (
	sweepMessages     = sweepKind{"messages", "RetentionMessages", []string{"PurgeMessages"}, argNow}
	sweepInbound      = sweepKind{"inbound", "RetentionInbound", []string{"PurgeInbound"}, argNow}
	sweepTickets      = sweepKind{"tickets", "RetentionTickets", []string{"PurgeTicketNotes", "PurgeTickets"}, argNow}
	sweepBindings     = sweepKind{"bindings", "RetentionBindings", []string{"PurgeBindings"}, argNone}
	sweepAttachments  = sweepKind{"attachments", "RetentionAttachments", []string{"QueueAttachmentBlobs", "PurgeAttachments"}, argNow}
	sweepTasks        = sweepKind{"tasks", "RetentionTasks", []string{"PurgeTaskEventNotes", "PurgeTasks"}, argRemoved}
	sweepSupervisions = sweepKind{"supervisions", "RetentionSupervisions", []string{"PurgeSupervisions"}, argRemoved}
)

// PurgeMessages clears the content of outbound messages created before
// sw.Before — text, template parameters, link, recipient address, and the
// phone number an SMS's provider id carries — once they are no longer
// pending or sending and their ticket, if any, was closed before the
// cutoff. Status, route, codes, campaign, run, resident, worker and every
// time stay, so funnels, caps and the message history count as before. It
// returns how many messages it cleared (would clear, for a dry run).
func (s *Store) PurgeMessages(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepMessages, sw)
}

// PurgeInbound clears the content and the sender's address of residents'
// messages received before sw.Before whose ticket, if any, was closed
// before the cutoff. Channel, provider id (the dedupe key), resident,
// ticket, campaign, intent and times stay.
func (s *Store) PurgeInbound(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepInbound, sw)
}

// PurgeTickets clears the text, the internal notes and a reported
// event's location (address, point, place) of tickets closed (or
// archived) before sw.Before. Category, status, level, assignee, rating, resident, grid,
// campaign and times stay, so the evaluations count as before.
func (s *Store) PurgeTickets(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepTickets, sw)
}

// PurgeAttachments purges the photos and voice recordings added before
// sw.Before to tickets closed (or archived) before it: in the
// transaction that clears a batch, their blob keys (original and
// thumbnail) are queued for deletion from the blob store (QueuedBlobs),
// and the rows keep their id, ticket, message, kind, who added them and
// when, with purged_at set. Deleting the objects is the caller's, with
// retention.DeleteQueuedBlobs.
func (s *Store) PurgeAttachments(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepAttachments, sw)
}

// PurgeTasks replaces with retention.Removed what staff wrote on
// department tasks made before sw.Before on tickets closed before it —
// the note, feedback and reason, and the notes of the task's steps. Text
// that was empty stays empty; department, state, deadlines and times
// stay, so the department figures count as before.
func (s *Store) PurgeTasks(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepTasks, sw)
}

// PurgeSupervisions replaces with retention.Removed the notes of 督办
// flags raised before sw.Before on tickets closed before it (the note and
// the note it was lifted with). Level, who and when stay.
func (s *Store) PurgeSupervisions(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepSupervisions, sw)
}

// PurgeBindings deletes WeChat binding requests (an openid, a phone and a
// code's hash) made and expired before sw.Before.
func (s *Store) PurgeBindings(ctx context.Context, sw retention.Sweep) (int64, error) {
	return s.sweep(ctx, sweepBindings, sw)
}

// sweep walks kind's table by id from its mark in batches of sw.Batch
// rows and clears the due ones, one transaction per batch. The mark moves
// with the batch's transaction over the leading rows that are done or
// were just cleared, and stops for good this pass at the first young or
// held row, so that the next pass starts there: a held row is cleared
// once it is let go. The walk goes on past held rows and ends with the
// first batch that holds nothing older than the cutoff (ids follow
// creation, so what comes after is young), or the end of the table. A dry
// run reads the same batches and writes nothing.
func (s *Store) sweep(ctx context.Context, kind sweepKind, sw retention.Sweep) (int64, error) {
	what := "purge " + kind.name
	if sw.Before.IsZero() {
		return 0, fmt.Errorf("store: %s: a cutoff is required", what)
	}
	limit := sw.Batch
	if limit <= 0 {
		limit = retention.DefaultBatch
	}
	var mark int64
	err := s.r.QueryRowContext(ctx, s.q.get("RetentionMark"), kind.name).Scan(&mark)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: %s: read mark: %w", what, err)
	}
	before := s.ts(sw.Before)
	var total int64
	after, advancing := mark, true
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("store: %s: %w", what, err)
		}
		rows, err := s.sweepBatch(ctx, kind, before, after, limit)
		if err != nil {
			return total, fmt.Errorf("store: %s: %w", what, err)
		}
		if len(rows) == 0 {
			break
		}
		var due []int64
		old := false
		newMark := mark
		for _, r := range rows {
			old = old || r.state != rowYoung
			if r.state == rowDue {
				due = append(due, r.id)
			}
			if advancing && (r.state == rowDone || r.state == rowDue) {
				newMark = r.id
			} else {
				advancing = false
			}
		}
		if sw.DryRun {
			total += int64(len(due))
		} else if len(due) > 0 || newMark > mark {
			n, err := s.sweepClear(ctx, kind, before, due, newMark)
			total += n
			if err != nil {
				return total, fmt.Errorf("store: %s: %w", what, err)
			}
			if n != int64(len(due)) {
				// Some row changed between the read and the clearing (its
				// ticket reopened, another sweep cleared it first): the mark
				// stays where it was, and the next pass looks again.
				advancing = false
			} else {
				mark = newMark
			}
		}
		after = rows[len(rows)-1].id
		if !old || len(rows) < limit {
			break
		}
	}
	return total, nil
}

type sweepRow struct {
	id    int64
	state int
}

// sweepBatch reads the rows of kind's table after id after, up to limit,
// with their states.
func (s *Store) sweepBatch(ctx context.Context, kind sweepKind, before any, after int64, limit int) ([]sweepRow, error) {
	args := []any{before, after, limit}
	if kind.arg == argRemoved {
		args = append(args, retention.Removed)
	}
	rows, err := s.r.QueryContext(ctx, s.q.get(kind.batch), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]sweepRow, 0, limit)
	for rows.Next() {
		var r sweepRow
		if err := rows.Scan(&r.id, &r.state); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sweepClear clears the due rows of kind's table and moves its mark to
// mark (if the clearing cleared them all), in one transaction, and
// returns how many rows it cleared.
func (s *Store) sweepClear(ctx context.Context, kind sweepKind, before any, due []int64, mark int64) (int64, error) {
	var n int64
	err := s.inTx(ctx, "clear", func(tx *sql.Tx) error {
		now := s.ts(s.now())
		if len(due) > 0 {
			args := []any{before, s.int64s(due)}
			switch kind.arg {
			case argNow:
				args = append(args, now)
			case argRemoved:
				args = append(args, retention.Removed)
			}
			for _, q := range kind.clear {
				res, err := tx.ExecContext(ctx, s.q.get(q), args...)
				if err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
				if n, err = res.RowsAffected(); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
		}
		if n != int64(len(due)) {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q.get("SetRetentionMark"), kind.name, mark, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// EraseResident erases resident residentID on request (PIPL), in one
// transaction, and records it in the erasure register with by (who
// carries it out) and reason (why: the request's reference), which
// retention.CheckRequest must accept (else a refusal wrapping
// fault.ErrInvalid).
//
// The record stays — the ledger, the tickets, visits and sign-up answers
// refer to it, and counts by grid must add up — under a pseudonym
// (retention.PseudonymPrefix and a short keyed hash), with its grid,
// gender and birth year (the birth date becomes 1 January), and the
// keyed hash of the ID number, which is what an import or sync of the same
// person matches and refuses (population.UpsertStats.Erased). Gone are the
// name, phone, the sealed and masked ID number, the household (the
// address, which stays for the others living there), the WeChat binding
// and binding requests, the training course, the preferred channel, the
// categories, skills and desired jobs; the opt-outs become one opt-out of
// everything. Messages still pending to them are skipped
// (outbound.SkipErased), live visits still ahead cancelled. The content
// and recipient of every message to them, the content of their workers'
// notifications about their tickets, the content and sender of every
// message from them, and their tickets' texts are cleared, as are those
// of messages from and to their phone or openid while they were an
// unknown sender; status, campaign, channel, route, category and times
// stay, so funnels, caps, ticket counts and evaluations count as before.
// Their tickets lose their location too (address, point, place), and the
// photos and voice of their tickets and of their messages are purged as
// PurgeAttachments purges them: the blob keys are queued for deletion in
// this transaction (retention.Eraser deletes the objects once it
// commits). What staff wrote on their tickets' department tasks, the
// tasks' steps and 督办 flags reads retention.Removed.
//
// Erasing a resident erased before changes nothing and returns the
// earlier record with Already set. A resident that does not exist is a
// fault.NotFoundError.
func (s *Store) EraseResident(ctx context.Context, residentID int64, by, reason string) (retention.Erased, error) {
	if err := retention.CheckRequest(by, reason); err != nil {
		return retention.Erased{}, fmt.Errorf("store: erase resident %d: %w", residentID, err)
	}
	var out retention.Erased
	err := s.inTx(ctx, fmt.Sprintf("erase resident %d", residentID), func(tx *sql.Tx) error {
		var idHash, phone, openid string
		var birth time.Time
		var erased bool
		err := tx.QueryRowContext(ctx, s.q.get("ErasureTarget"), residentID).Scan(&idHash, &phone, &openid,
			timeCol{&birth}, &erased)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFound(fault.Resident, residentID)
		}
		if err != nil {
			return err
		}
		if erased {
			e, err := s.erasureOf(ctx, tx, residentID)
			out = retention.Erased{Erasure: e, Already: true}
			return err
		}
		at := s.now()
		now := s.ts(at)
		e := retention.Erasure{ResidentID: residentID, Pseudonym: s.pseudonym(idHash), At: at.UTC().Truncate(time.Microsecond),
			By: by, Reason: reason}
		out.Erasure = e
		exec := func(counter *int64, name string, args ...any) error {
			res, err := tx.ExecContext(ctx, s.q.get(name), args...)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if counter != nil {
				n, err := res.RowsAffected()
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				*counter += n
			}
			return nil
		}
		// The record first: a concurrent erasure of the same resident that
		// got here first (PostgreSQL's lock makes this one wait for it)
		// leaves nothing to do.
		var erasedNow int64
		if err := exec(&erasedNow, "EraseResident", e.Pseudonym, s.date(time.Date(birth.Year(), 1, 1, 0, 0, 0, 0, time.UTC)), now, residentID); err != nil {
			return err
		}
		if erasedNow == 0 {
			e, err := s.erasureOf(ctx, tx, residentID)
			out = retention.Erased{Erasure: e, Already: true}
			return err
		}
		// Their photos and voice and their tickets' staff notes first: the
		// tickets they opened from their phone or openid while unknown are
		// found by the senders' addresses the steps below clear. The
		// attachments' blob keys are queued in this transaction; an Eraser
		// deletes the objects once it commits.
		ticketIDs, err := s.queryIDs(ctx, tx, "ErasureTickets", residentID, phone, openid)
		if err != nil {
			return err
		}
		attIDs, err := s.queryIDs(ctx, tx, "ErasureAttachments", s.int64s(ticketIDs), residentID, phone, openid)
		if err != nil {
			return err
		}
		if len(attIDs) > 0 {
			if err := exec(nil, "EraseQueueBlobs", s.int64s(attIDs), now); err != nil {
				return err
			}
			if err := exec(&out.AttachmentsPurged, "EraseAttachments", s.int64s(attIDs), now); err != nil {
				return err
			}
		}
		if len(ticketIDs) > 0 {
			for _, q := range []string{"EraseTaskEventNotes", "EraseTaskNotes", "EraseSupervisionNotes", "EraseTicketNotes"} {
				if err := exec(&out.NotesCleared, q, s.int64s(ticketIDs), retention.Removed); err != nil {
					return err
				}
			}
		}
		// What went to or came from their phone or openid while they were
		// an unknown sender is found by the addresses read above.
		steps := []struct {
			counter *int64
			name    string
			args    []any
		}{
			{&out.TicketsCleared, "EraseTicketsFromKeys", []any{now, phone, openid}},
			{&out.MessagesCleared, "EraseMessagesToKeys", []any{now, phone, openid}},
			{&out.InboundCleared, "EraseInboundFromKeys", []any{now, phone, openid}},
			{&out.BindingsDeleted, "EraseBindings", []any{residentID, phone, openid}},
			{nil, "DeleteCategories", []any{s.int64s([]int64{residentID})}},
			{nil, "DeleteSkills", []any{s.int64s([]int64{residentID})}},
			{nil, "DeleteJobs", []any{s.int64s([]int64{residentID})}},
			{nil, "EraseOptOuts", []any{residentID}},
			{nil, "InsertOptOut", []any{string(population.TopicAll), residentID, now}},
			{&out.VisitsCancelled, "CancelVisitsOf", []any{now, residentID}},
			// The visit register keeps that a visit happened (the
			// worker's figures), not what its notes and photos said.
			{nil, "EraseVisitNotes", []any{residentID}},
			{nil, "EraseQueueVisitPhotos", []any{residentID, now}},
			{nil, "EraseVisitPhotos", []any{residentID}},
			{nil, "EraseChanges", []any{residentID}},
			{nil, "EraseRecord", []any{residentID}},
		}
		for _, st := range steps {
			if err := exec(st.counter, st.name, st.args...); err != nil {
				return err
			}
		}
		if out.MessagesSkipped, err = s.skipErased(ctx, tx, residentID, at); err != nil {
			return err
		}
		for _, st := range []struct {
			counter *int64
			name    string
		}{
			{&out.MessagesCleared, "EraseMessagesTo"},
			{&out.MessagesCleared, "EraseMessagesAbout"},
			{&out.InboundCleared, "EraseInboundFrom"},
			{&out.InboundCleared, "EraseInboundAbout"},
			{&out.TicketsCleared, "EraseTickets"},
		} {
			if err := exec(st.counter, st.name, now, residentID); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, s.q.get("OpenTicketsOf"), residentID).Scan(&out.TicketsOpen); err != nil {
			return fmt.Errorf("OpenTicketsOf: %w", err)
		}
		return exec(nil, "InsertErasure", residentID, e.Pseudonym, now, e.By, e.Reason)
	})
	if err != nil {
		return retention.Erased{}, err
	}
	if !out.Already {
		// The reason stays in the register: an officer may have written a
		// name into it.
		s.log.InfoContext(ctx, "resident_erased", "resident_id", residentID, "by", by,
			"messages_cleared", out.MessagesCleared, "messages_skipped", out.MessagesSkipped,
			"inbound_cleared", out.InboundCleared, "tickets_cleared", out.TicketsCleared,
			"tickets_open", out.TicketsOpen, "visits_cancelled", out.VisitsCancelled,
			"attachments_purged", out.AttachmentsPurged, "notes_cleared", out.NotesCleared)
	}
	return out, nil
}

// queryIDs runs query name in tx and returns the ids it reads.
func (s *Store) queryIDs(ctx context.Context, tx *sql.Tx, name string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, s.q.get(name), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ids, nil
}

// QueuedBlobs returns up to limit of the blob store keys queued for
// deletion (by PurgeAttachments or an erasure) after key after, in key
// order, each with whether an attachment not purged still refers to it.
func (s *Store) QueuedBlobs(ctx context.Context, after string, limit int) ([]retention.QueuedBlob, error) {
	if limit <= 0 {
		limit = retention.BlobBatch
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("QueuedBlobs"), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: queued blobs: %w", err)
	}
	defer rows.Close()
	var out []retention.QueuedBlob
	for rows.Next() {
		var b retention.QueuedBlob
		if err := rows.Scan(&b.Key, &b.InUse); err != nil {
			return nil, fmt.Errorf("store: queued blobs: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queued blobs: %w", err)
	}
	return out, nil
}

// DequeueBlobs takes keys off the queue of blob store keys to delete;
// keys not on it are ignored.
func (s *Store) DequeueBlobs(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, s.q.get("DequeueBlobs"), s.strs(keys)); err != nil {
		return fmt.Errorf("store: dequeue %d blobs: %w", len(keys), err)
	}
	return nil
}

// CountQueuedBlobs says how many blob store keys are queued for deletion.
func (s *Store) CountQueuedBlobs(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, s.q.get("CountQueuedBlobs")).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count queued blobs: %w", err)
	}
	return n, nil
}

// skipErased moves the resident's pending messages to skipped
// (outbound.SkipErased) with their history, and returns how many.
func (s *Store) skipErased(ctx context.Context, tx *sql.Tx, residentID int64, at time.Time) (int64, error) {
	return s.skipPending(ctx, tx, at, outbound.SkipErased, "the resident was erased on request", "EraseSkipPending", s.ts(at), residentID)
}

// skipPending runs query (args), an UPDATE … RETURNING id that moves
// pending messages to skipped for reason, appends the move with note to
// each one's history, and returns how many it moved.
func (s *Store) skipPending(ctx context.Context, tx *sql.Tx, at time.Time, reason outbound.SkipReason, note, query string, args ...any) (int64, error) {
	ids, err := s.queryIDs(ctx, tx, query, args...)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	notes := make([]string, len(ids))
	for i := range notes {
		notes[i] = note
	}
	evArgs := append([]any{s.ts(at), string(outbound.StatusPending), string(outbound.StatusSkipped), string(reason)},
		s.pairs(ids, notes)...)
	if _, err := tx.ExecContext(ctx, s.q.get("InsertMessageEvents"), evArgs...); err != nil {
		return 0, fmt.Errorf("InsertMessageEvents: %w", err)
	}
	return int64(len(ids)), nil
}

// Erasure returns the register's record of resident residentID's
// erasure; an error wrapping fault.ErrNotFound when they were not erased.
func (s *Store) Erasure(ctx context.Context, residentID int64) (retention.Erasure, error) {
	e, err := s.erasureOf(ctx, s.r, residentID)
	if err != nil {
		return retention.Erasure{}, notFound(err, "erasure of resident "+strconv.FormatInt(residentID, 10))
	}
	return e, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) erasureOf(ctx context.Context, q queryRower, residentID int64) (retention.Erasure, error) {
	var e retention.Erasure
	err := q.QueryRowContext(ctx, s.q.get("ErasureOf"), residentID).Scan(&e.ResidentID, &e.Pseudonym,
		timeCol{&e.At}, &e.By, &e.Reason)
	return e, err
}

// pseudonym is the name an erased resident's record carries: the prefix
// and the first 8 hex digits of a keyed hash of their ID number's keyed
// hash. The same person gets the same pseudonym under one key (so a
// register entry can be confirmed by someone holding the key and the ID
// number); without the key it says nothing about them.
func (s *Store) pseudonym(idHash string) string {
	return retention.PseudonymPrefix + s.sealer.Hash(pii.IDNumber("erased:" + idHash))[:8]
}
