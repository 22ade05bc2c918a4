package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
)

// UnmaskRequest asks to see a resident's personal data in clear.
type UnmaskRequest struct {
	// Reason is why, recorded in the audit log: at least 4 characters.
	Reason string `json:"reason"`
}

// Unmasked is a resident's personal data in clear.
type Unmasked struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Grid  string `json:"grid"`
}

// unmaskResident serves POST /api/v1/residents/{id}/unmask: a resident of
// the caller's scope in clear, for a reason the audit log records first —
// if it cannot, nothing is shown.
func (s *server) unmaskResident(w http.ResponseWriter, r *http.Request) {
	res, ok := s.scopedResident(w, r)
	if !ok {
		return
	}
	id := res.ID
	var req UnmaskRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Reason = strings.TrimSpace(req.Reason); len([]rune(req.Reason)) < 4 {
		s.writeError(w, r, badRequest("reason is required (at least 4 characters): it is recorded in the audit log",
			"请填写查看原因（至少4个字），将记入审计日志"))
		return
	}
	if s.cfg.Audit == nil {
		s.writeError(w, r, fault.Refuse(fault.ErrConflict, "unmasking needs the audit log, which this server does not keep",
			"本服务未启用审计日志，无法查看明文", nil))
		return
	}
	if err := s.record(r, "", audit.ActionUnmask, fmt.Sprintf("resident:%d", id), req.Reason, `{"fields":"name,phone"}`); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Problem{Error: "the audit log could not record the unmasking, so nothing is shown; try again"})
		return
	}
	writeJSON(w, 200, Unmasked{ID: res.ID, Name: string(res.Name), Phone: string(res.Phone), Grid: res.GridCode})
}

// ResidentEraser erases a resident on request (package retention).
// retention.Eraser satisfies it, deleting their photos and voice from the
// blob store once the store's erasure commits (what cmd/gridcast hands
// it); *store.Store does too, leaving those files queued for the next
// retention sweep.
type ResidentEraser interface {
	EraseResident(ctx context.Context, residentID int64, by, reason string) (retention.Erased, error)
}

// EraseRequest asks to erase a resident on their request.
type EraseRequest struct {
	// Reason is the request and its reference, kept in the erasure
	// register and the audit log.
	Reason string `json:"reason"`
	// By is who carries it out: the caller when authenticated; required
	// in the trial mode.
	By string `json:"by"`
}

// eraseResident serves POST /api/v1/residents/{id}/erase.
func (s *server) eraseResident(w http.ResponseWriter, r *http.Request) {
	res, ok := s.scopedResident(w, r)
	if !ok {
		return
	}
	id := res.ID
	var req EraseRequest
	err := decode(w, r, &req)
	if err == nil {
		if req.By, err = actor(r, "by", req.By); err == nil {
			err = retention.CheckRequest(req.By, req.Reason)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.cfg.Eraser.EraseResident(r.Context(), id, req.By, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !e.Already {
		_ = s.record(r, req.By, audit.ActionResidentErase, fmt.Sprintf("resident:%d", id), req.Reason,
			fmt.Sprintf(`{"messages_cleared":%d,"inbound_cleared":%d,"tickets_cleared":%d,"attachments_purged":%d,"notes_cleared":%d}`,
				e.MessagesCleared, e.InboundCleared, e.TicketsCleared, e.AttachmentsPurged, e.NotesCleared))
	}
	writeJSON(w, 200, e)
}

// scopedResident reads resident {id}, or answers 400, 404, or 403 when
// the resident lies outside the caller's scope.
func (s *server) scopedResident(w http.ResponseWriter, r *http.Request) (population.Resident, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("resident id %q: want a number", "居民编号 %q 无效", r.PathValue("id")))
		return population.Resident{}, false
	}
	res, err := s.cfg.Tickets.Resident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return population.Resident{}, false
	}
	if !scopeOf(r).Covers(res.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("resident %d", id))
		return population.Resident{}, false
	}
	return res, true
}
