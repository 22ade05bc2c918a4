package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// ReportEvent stores an event staff reported (desk Report) as a new
// ticket, as OpenTicket does — t with its creation event ev, followed by
// then (its assignment, its start) — and its attachments atts, all in one
// transaction: a report is stored whole or not at all. The attachments'
// TicketIDs are filled in, as are their IDs and t.ID on success; a zero
// CreatedAt is the ticket's.
func (s *Store) ReportEvent(ctx context.Context, t *tickets.Ticket, ev tickets.Event, then []tickets.Event, atts []tickets.Attachment) error {
	for _, e := range then {
		switch e.Kind {
		case tickets.EventStatus, tickets.EventAssigned, tickets.EventEscalated:
		default:
			return fmt.Errorf("store: report event: kind %q cannot follow its creation", e.Kind)
		}
	}
	for _, a := range atts {
		if err := checkAttachment(a); err != nil {
			return fmt.Errorf("store: report event: %w", err)
		}
	}
	ids := make([]int64, len(atts))
	err := s.createTicket(ctx, t, ev, func(tx *sql.Tx, id int64) error {
		if t.ReporterWorkerID != 0 {
			if _, err := tx.ExecContext(ctx, s.q.get("InsertTicketReporter"), id, t.ReporterWorkerID, s.ts(t.CreatedAt)); err != nil {
				return err
			}
		}
		for _, e := range then {
			e.TicketID = id
			if e.At.IsZero() {
				e.At = t.UpdatedAt
			}
			if e.At.IsZero() {
				e.At = s.now()
			}
			if err := s.insertTicketEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		for i, a := range atts {
			a.TicketID = id
			if a.CreatedAt.IsZero() {
				a.CreatedAt = t.CreatedAt
			}
			if a.CreatedAt.IsZero() {
				a.CreatedAt = s.now()
			}
			if err := s.insertAttachment(ctx, tx, &a); err != nil {
				return err
			}
			ids[i] = a.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range atts {
		atts[i].ID, atts[i].TicketID = ids[i], t.ID
		if atts[i].CreatedAt.IsZero() {
			atts[i].CreatedAt = t.CreatedAt
		}
	}
	return nil
}

// AddAttachment keeps a photo or voice recording with ticket a.TicketID
// and returns it as stored. An attachment of a resident's message
// (a.InboundID) is kept once: when that message has one already it
// stores nothing and returns the existing one with first=false, so a
// retried handling adds none. A zero CreatedAt is the store's clock.
// fault.ErrNotFound when the ticket or the message does not exist.
func (s *Store) AddAttachment(ctx context.Context, a tickets.Attachment) (tickets.Attachment, bool, error) {
	what := fmt.Sprintf("add attachment to ticket %d", a.TicketID)
	if err := checkAttachment(a); err != nil {
		return tickets.Attachment{}, false, fmt.Errorf("store: %s: %w", what, err)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	first := true
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q.get("TicketForUpdate"), a.TicketID).Scan(new(string), new(string), &n, &n, &n, new(string)); err != nil {
			return missing(err, fault.Ticket, a.TicketID)
		}
		err := s.insertAttachment(ctx, tx, &a)
		if !errors.Is(err, sql.ErrNoRows) || a.InboundID == 0 {
			return err
		}
		first = false
		a, err = scanAttachment(tx.QueryRowContext(ctx, s.q.get("AttachmentOfInbound"), a.InboundID))
		return err
	})
	if err != nil {
		return tickets.Attachment{}, false, err
	}
	return a, first, nil
}

// Attachments returns ticket ticketID's attachments in the order they
// were added (none for a ticket without any, or no such ticket).
func (s *Store) Attachments(ctx context.Context, ticketID int64) ([]tickets.Attachment, error) {
	return queryAll(ctx, s, fmt.Sprintf("attachments of ticket %d", ticketID), "AttachmentsOf", scanAttachment, ticketID)
}

// Attachment returns attachment id, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Attachment(ctx context.Context, id int64) (tickets.Attachment, error) {
	a, err := scanAttachment(s.readRow(ctx, "AttachmentByID", id))
	if err != nil {
		return tickets.Attachment{}, missing(err, fault.Attachment, id)
	}
	return a, nil
}

// HouseholdGrid returns the grid household id lives in, or an error
// wrapping fault.ErrNotFound.
func (s *Store) HouseholdGrid(ctx context.Context, id int64) (string, error) {
	var grid string
	if err := s.readRow(ctx, "HouseholdGrid", id).Scan(&grid); err != nil {
		return "", missing(err, fault.Household, id)
	}
	return grid, nil
}

func (s *Store) insertAttachment(ctx context.Context, tx *sql.Tx, a *tickets.Attachment) error {
	return tx.QueryRowContext(ctx, s.q.get("InsertAttachment"), a.TicketID, idOrNull(a.InboundID), string(a.Kind),
		a.Key, a.ThumbnailKey, a.ContentType, a.Size, a.MediaID, a.Missing, a.AddedBy, s.ts(a.CreatedAt)).Scan(&a.ID)
}

// checkAttachment refuses what the table's constraints would, in words.
func checkAttachment(a tickets.Attachment) error {
	switch {
	case a.Kind != tickets.AttachmentImage && a.Kind != tickets.AttachmentVoice:
		return fmt.Errorf("attachment kind %q: want image or voice", a.Kind)
	case a.AddedBy == "":
		return errors.New("attachment needs who added it")
	case a.Key == "" && a.Missing == "":
		return errors.New("attachment needs a blob key, or why it is missing")
	}
	return nil
}

func scanAttachment(sc scanner) (tickets.Attachment, error) {
	var a tickets.Attachment
	var kind string
	err := sc.Scan(&a.ID, &a.TicketID, &a.InboundID, &kind, &a.Key, &a.ThumbnailKey, &a.ContentType, &a.Size,
		&a.MediaID, &a.Missing, &a.AddedBy, timeCol{&a.CreatedAt})
	a.Kind = tickets.AttachmentKind(kind)
	return a, err
}

// pointOrNull is a coordinate column's value: NULL when l has no point.
func pointOrNull(l tickets.Location, v float64) any {
	if !l.HasPoint() {
		return nil
	}
	return v
}

// MissingMedia returns up to limit attachments of residents' media
// recorded missing for a reason worth another try (the provider or the
// blob store failed) since since, not purged, oldest first: the desk
// fetches them again while the provider still keeps them.
func (s *Store) MissingMedia(ctx context.Context, since time.Time, limit int) ([]tickets.Attachment, error) {
	return queryAll(ctx, s, "missing media", "MissingMedia", scanAttachment, s.ts(since), limit)
}

// FillAttachment completes missing attachment a (as read, with its
// Missing reason) with what a later fetch gave: its blob keys, content
// type and size, and missing "" — or a new reason when the content is
// refused for good. An attachment changed or purged meanwhile is left as
// it is (false).
func (s *Store) FillAttachment(ctx context.Context, a tickets.Attachment, got tickets.Attachment) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.q.get("FillAttachment"), a.ID, got.Key, got.ThumbnailKey, got.ContentType, got.Size, got.Missing, a.Missing)
	if err != nil {
		return false, fmt.Errorf("store: fill attachment %d: %w", a.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
