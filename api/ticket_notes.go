package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// mountNotes mounts a ticket's internal notes and the workers it may be
// handed to. Anyone who may read the ticket may note on it: the notes
// are the staff's, whatever their role.
func (s *server) mountNotes(v1 mountFunc) {
	v1("POST /api/v1/tickets/{id}/notes", s.ticketScoped(s.addNote))
	v1("GET /api/v1/tickets/{id}/workers", s.ticketScoped(s.handoverWorkers))
}

// TicketNote is an internal note as the API shows it: names and numbers
// in the text masked.
type TicketNote struct {
	ID     int64     `json:"id"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// TicketNoteRequest writes an internal note: text, at most tickets.MaxNoteLen
// characters; by only in the trial mode (else the signed-in user).
type TicketNoteRequest struct {
	By   string `json:"by"`
	Text string `json:"text"`
}

// addNote serves POST /api/v1/tickets/{id}/notes: 201 with the note.
// Nothing is sent to anyone.
func (s *server) addNote(w http.ResponseWriter, r *http.Request) {
	var req TicketNoteRequest
	id, err := actionInput(w, r, &req, &req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.cfg.Desk.AddNote(r.Context(), id, req.By, req.Text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, req.By, audit.ActionTicketNote, fmt.Sprintf("ticket:%d", id), "",
		fmt.Sprintf(`{"note":%d,"chars":%d}`, n.ID, utf8.RuneCountInString(n.Text)))
	names, err := s.ticketNames(r.Context(), scopedTicket(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, noteOf(n, names))
}

// notes is ticket id's internal notes, masked of names; nil when the
// server has no desk.
func (s *server) notes(ctx context.Context, id int64, names []pii.Name) ([]TicketNote, error) {
	if s.cfg.Desk == nil {
		return nil, nil
	}
	ns, err := s.cfg.Desk.Notes(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]TicketNote, 0, len(ns))
	for _, n := range ns {
		out = append(out, noteOf(n, names))
	}
	return out, nil
}

func noteOf(n tickets.Note, names []pii.Name) TicketNote {
	return TicketNote{ID: n.ID, Author: n.Author, Text: pii.MaskText(n.Text, names...), At: n.At}
}

// ticketNames is the people ticket t names: its resident, its assignee
// and its grid's worker, to mask them in free text.
func (s *server) ticketNames(ctx context.Context, t tickets.Ticket) ([]pii.Name, error) {
	p := s.people()
	res, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		return nil, err
	}
	as, err := p.Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		return nil, err
	}
	names := []pii.Name{res.Name, as.Name}
	if gw, err := s.cfg.Tickets.WorkerForGrid(ctx, t.GridCode, population.RoleGridWorker); err == nil {
		names = append(names, gw.Name)
	}
	return names, nil
}

// HandoverWorker is a worker a ticket may be handed to (转派), as the
// picker shows them: the name masked.
type HandoverWorker struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Role string `json:"role"`
	Grid string `json:"grid"`
	// OwnGrid says the worker is of the ticket's own grid.
	OwnGrid bool `json:"own_grid,omitempty"`
	// Assignee says the worker holds the ticket now.
	Assignee bool `json:"assignee,omitempty"`
}

// handoverWorkers serves GET /api/v1/tickets/{id}/workers: the workers of
// the ticket's grid, of its neighbours and of the grid above, within the
// caller's scope (reassign refuses anyone else), own grid first.
func (s *server) handoverWorkers(w http.ResponseWriter, r *http.Request) {
	t := scopedTicket(r)
	ws, err := s.cfg.Desk.HandoverCandidates(r.Context(), t.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	scope := scopeOf(r)
	out := make([]HandoverWorker, 0, len(ws))
	for _, wk := range ws {
		if !scope.Covers(wk.GridCode) {
			continue
		}
		out = append(out, HandoverWorker{Code: wk.Code, Name: wk.Name.Masked(), Role: string(wk.Role), Grid: wk.GridCode,
			OwnGrid: wk.GridCode == t.GridCode, Assignee: wk.ID == t.AssigneeWorkerID})
	}
	writeJSON(w, http.StatusOK, out)
}
