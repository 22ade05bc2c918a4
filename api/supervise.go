package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/tickets"
)

// SupervisionStore reads the 督办 flags of tickets; flagging and lifting
// go through the desk (Config.Desk). *store.Store satisfies it.
type SupervisionStore interface {
	// ActiveSupervisions is the latest standing flag of each ticket of ids
	// that has one, in one read.
	ActiveSupervisions(ctx context.Context, ids []int64) (map[int64]tickets.Supervision, error)
	// Supervisions is ticket id's every flag, oldest first.
	Supervisions(ctx context.Context, id int64) ([]tickets.Supervision, error)
}

// Supervised is a ticket's standing 督办 flag as the API shows it: who
// flagged it (a supervisor, or "system" when it missed its deadline),
// when, and why. Level is the rung whose owner the system told.
type Supervised struct {
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
	Level string    `json:"level,omitempty"`
}

// SuperviseRequest flags a ticket 督办 or lifts its flags, with a note.
type SuperviseRequest struct {
	Note string `json:"note"`
	By   string `json:"by"`
}

func (s *server) mountSupervision(v1 mountFunc) {
	if s.cfg.Desk == nil || s.cfg.Supervision == nil {
		return
	}
	v1("POST /api/v1/tickets/{id}/supervise", s.ticketScoped(s.superviseTicket(true)), staff...)
	v1("POST /api/v1/tickets/{id}/unsupervise", s.ticketScoped(s.superviseTicket(false)), staff...)
}

// superviseTicket serves POST /api/v1/tickets/{id}/supervise (on true)
// and .../unsupervise: a supervisor — a user whose scope lies above the
// ticket's grid — flags the ticket 督办 (its handler is told) or lifts its
// flags. It answers with the ticket as it now is.
func (s *server) superviseTicket(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := scopedTicket(r)
		if !dispatcher(r, t.GridCode) {
			s.auth.refuse(w, r, http.StatusForbidden, "scope", "supervision (督办) is for staff whose scope lies above the ticket's grid · 督办须由上级（网格长、社区或街道）操作")
			return
		}
		var req SuperviseRequest
		if !s.actedBody(w, r, &req, &req.By) {
			return
		}
		action, err := audit.ActionTicketSupervise, error(nil)
		if on {
			_, err = s.cfg.Desk.Supervise(r.Context(), t.ID, req.By, req.Note)
		} else {
			action = audit.ActionTicketUnsupervise
			_, err = s.cfg.Desk.Unsupervise(r.Context(), t.ID, req.By, req.Note)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		_ = s.record(r, req.By, action, fmt.Sprintf("ticket:%d", t.ID), req.Note, "")
		now, err := s.cfg.Tickets.Ticket(r.Context(), t.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.answerTicket(w, r, 200, now)
	}
}

// supervise sets the Supervised of each of ts from one read of their
// standing flags; nothing without a SupervisionStore.
func (s *server) supervise(ctx context.Context, ts []Ticket) error {
	if s.cfg.Supervision == nil || len(ts) == 0 {
		return nil
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	flags, err := s.cfg.Supervision.ActiveSupervisions(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ts {
		if f, ok := flags[ts[i].ID]; ok {
			ts[i].Supervised = &Supervised{By: f.By, At: f.At, Note: pii.MaskText(f.Note), Level: string(f.Level)}
		}
	}
	return nil
}

// dispatchTimeline is ticket id's steps kept outside its own events — each
// department task's steps (kind "dispatch" for the first, "task" after;
// From and To the task's states) and the 督办 flags ("supervised", To the
// level the system told; "unsupervised") — as timeline entries, their
// notes masked of names.
func (s *server) dispatchTimeline(ctx context.Context, id int64, names []pii.Name) ([]TicketEvent, error) {
	var out []TicketEvent
	if s.cfg.Dispatch != nil {
		ts, err := s.cfg.Dispatch.TasksOfTicket(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			evs, err := s.cfg.Dispatch.TaskEvents(ctx, t.ID)
			if err != nil {
				return nil, err
			}
			label := s.taskToAPI(t).DepartmentLabel
			for _, ev := range evs {
				kind := "task"
				if ev.Action == "dispatch" {
					kind = "dispatch"
				}
				out = append(out, TicketEvent{At: ev.At, Actor: ev.Actor, Kind: kind, From: string(ev.From), To: string(ev.To),
					Note: pii.MaskText(ev.Note, names...), TaskID: t.ID, Department: t.Department, DepartmentLabel: label, Action: string(ev.Action)})
			}
		}
	}
	if s.cfg.Supervision != nil {
		flags, err := s.cfg.Supervision.Supervisions(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, f := range flags {
			out = append(out, TicketEvent{At: f.At, Actor: f.By, Kind: "supervised", To: string(f.Level), Note: pii.MaskText(f.Note, names...)})
			if !f.Active() && !f.Raised() {
				out = append(out, TicketEvent{At: f.ClearedAt, Actor: f.ClearedBy, Kind: "unsupervised", Note: pii.MaskText(f.ClearedNote, names...)})
			}
		}
	}
	return out, nil
}

// mergeTimeline puts extra among evs by time, each after the events of
// the same time already there.
func mergeTimeline(evs, extra []TicketEvent) []TicketEvent {
	out := append(evs, extra...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
