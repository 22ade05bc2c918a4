package store

import (
	"context"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// AddTicketNote stores n, an internal note on ticket n.TicketID, and
// returns it with its id and time (the store's clock). Author and text
// are checked and trimmed (tickets.CheckNote: fault.ErrInvalid); a ticket
// that does not exist is a fault.NotFoundError and nothing is stored.
func (s *Store) AddTicketNote(ctx context.Context, n tickets.Note) (tickets.Note, error) {
	author, text, err := tickets.CheckNote(n.Author, n.Text)
	if err != nil {
		return n, err
	}
	if _, err := s.Ticket(ctx, n.TicketID); err != nil {
		return n, err
	}
	n.Author, n.Text, n.At = author, text, s.now().UTC().Truncate(time.Microsecond)
	err = s.w.QueryRowContext(ctx, s.q.get("InsertTicketNote"), n.TicketID, n.Author, n.Text, s.ts(n.At)).Scan(&n.ID)
	if err != nil {
		return n, fmt.Errorf("store: note on ticket %d: %w", n.TicketID, err)
	}
	return n, nil
}

// TicketNotes returns ticket id's internal notes, oldest first; none (and
// no error) for a ticket without notes or that does not exist.
func (s *Store) TicketNotes(ctx context.Context, id int64) ([]tickets.Note, error) {
	return queryAll(ctx, s, fmt.Sprintf("ticket %d notes", id), "TicketNotes", func(sc scanner) (tickets.Note, error) {
		var n tickets.Note
		err := sc.Scan(&n.ID, &n.TicketID, &n.Author, &n.Text, timeCol{&n.At})
		return n, err
	}, id)
}

// WorkersNear returns the workers a ticket of gridCode may be handed to:
// those of the grid itself (first), of the grids sharing its parent and
// of the parent, then by code. None for a grid that does not exist.
func (s *Store) WorkersNear(ctx context.Context, gridCode string) ([]population.Worker, error) {
	return queryAll(ctx, s, "workers near grid "+gridCode, "WorkersNear", func(sc scanner) (population.Worker, error) {
		return scanWorker(sc)
	}, gridCode)
}
