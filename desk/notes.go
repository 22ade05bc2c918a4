package desk

import (
	"context"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Notes keeps the internal notes of tickets (tickets.Note), in their own
// table: nothing of them reaches the ledger of messages.
type Notes interface {
	// AddTicketNote stores a note and returns it with its id and time;
	// an empty or too long text is fault.ErrInvalid, a missing ticket a
	// fault.NotFoundError.
	AddTicketNote(ctx context.Context, n tickets.Note) (tickets.Note, error)
	// TicketNotes is ticket id's every note, oldest first.
	TicketNotes(ctx context.Context, id int64) ([]tickets.Note, error)
	// WorkersNear is the workers a ticket of a grid may be handed to: the
	// grid's own, its neighbours' (the grids sharing its parent) and the
	// parent's.
	WorkersNear(ctx context.Context, gridCode string) ([]population.Worker, error)
}

// AddNote writes an internal note on ticket id on behalf of by: staff
// only, never sent to the resident and never notified to anyone, so
// nothing is queued. A note may be left on a ticket in any state — a
// closed case is still talked about. The text is checked first
// (tickets.CheckNote: empty or longer than tickets.MaxNoteLen is
// fault.ErrInvalid), then the ticket (fault.NotFoundError).
func (s *Service) AddNote(ctx context.Context, id int64, by, text string) (tickets.Note, error) {
	by, text, err := tickets.CheckNote(by, text)
	if err != nil {
		return tickets.Note{}, err
	}
	n, err := s.st.AddTicketNote(ctx, tickets.Note{TicketID: id, Author: by, Text: text})
	if err != nil {
		return n, err
	}
	s.log.InfoContext(ctx, "ticket_note_added", "ticket_id", id, "note_id", n.ID)
	return n, nil
}

// Notes is ticket id's internal notes, oldest first.
func (s *Service) Notes(ctx context.Context, id int64) ([]tickets.Note, error) {
	return s.st.TicketNotes(ctx, id)
}

// HandoverCandidates is the workers ticket id may be handed to
// (Reassign): those of its grid first, then of the grids around it and
// of the grid above; the caller filters them by who may see them.
func (s *Service) HandoverCandidates(ctx context.Context, id int64) ([]population.Worker, error) {
	t, err := s.st.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.st.WorkersNear(ctx, t.GridCode)
}
