package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The action bodies, one type each so that a field of another action is
// refused as unknown.
type (
	replyRequest struct {
		By    string `json:"by"`
		Text  string `json:"text"`
		Quick int    `json:"quick"` // a ready answer's number instead of a text
	}
	byRequest struct {
		By string `json:"by"`
	}
	noteRequest struct {
		By   string `json:"by"`
		Note string `json:"note"`
	}
	reassignRequest struct {
		By         string `json:"by"`
		WorkerCode string `json:"worker_code"`
	}
	// labelRequest changes a ticket's category or urgency.
	labelRequest struct {
		By       string `json:"by"`
		Category string `json:"category,omitempty"`
		Urgency  string `json:"urgency,omitempty"`
		Note     string `json:"note"`
	}
	mergeRequest struct {
		By   string `json:"by"`
		Into int64  `json:"into"`
	}
)

// actionInput decodes the body of an action on ticket {id} into req and
// sets by to the actor: the authenticated user, else the body's by, which
// is then required.
func actionInput(w http.ResponseWriter, r *http.Request, req any, by *string) (int64, error) {
	id, err := ticketID(r)
	if err != nil {
		return 0, err
	}
	if err := decode(w, r, req); err != nil {
		return 0, err
	}
	if *by, err = actor(r, "by", *by); err != nil {
		return 0, err
	}
	if *by == "" {
		return 0, badRequest("by is required: every change is on the ticket's timeline", "请注明操作人（by）：每项变更都记入工单时间线")
	}
	return id, nil
}

// answerTicket writes t after an action.
func (s *server) answerTicket(w http.ResponseWriter, r *http.Request, code int, t tickets.Ticket) {
	v, err := s.people().ticket(r.Context(), t, s.cfg.Now(), 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	one := []Ticket{v}
	if err := s.supervise(r.Context(), one); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, one[0])
}

func (s *server) replyTicket(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	id, err := actionInput(w, r, &req, &req.By)
	empty := strings.TrimSpace(req.Text) == ""
	switch {
	case err != nil:
	case empty && req.Quick == 0:
		err = badRequest("text (or quick, a ready answer's number) is required", "请填写回复内容，或选择常用回复（quick）")
	case !empty && req.Quick != 0:
		err = badRequest("give text or quick, not both", "回复内容和常用回复只能选一个")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	var outs []outbound.Message
	if req.Quick != 0 {
		outs, err = s.cfg.Desk.ReplyQuick(ctx, id, req.By, req.Quick)
	} else {
		outs, err = s.cfg.Desk.Reply(ctx, id, req.By, req.Text)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Tickets.Ticket(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.people().ticket(ctx, t, s.cfg.Now(), 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ReplyResult{Ticket: v, Outbound: make([]Outbound, 0, len(outs))}
	for _, o := range outs {
		to := pii.Phone(o.To).Masked()
		if o.Route.Channel() == population.ChannelWeChat {
			to = pii.OpenID(o.To).Masked()
		}
		st := o.Status
		if st == "" {
			st = outbound.StatusPending
		}
		out.Outbound = append(out.Outbound, Outbound{ID: o.ID, Purpose: string(o.Purpose), Route: string(o.Route),
			RouteReason: o.RouteReason, To: to, Status: string(st)})
	}
	writeJSON(w, http.StatusAccepted, out)
}

// noteAction serves an action whose body is by and an optional note:
// start, resolve, close and reopen.
func (s *server) noteAction(do func(ctx context.Context, id int64, by, note string) (tickets.Ticket, error), withNote bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var id int64
		var err error
		var by, note string
		if withNote {
			var req noteRequest
			id, err = actionInput(w, r, &req, &req.By)
			by, note = req.By, req.Note
		} else {
			var req byRequest
			id, err = actionInput(w, r, &req, &req.By)
			by = req.By
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		t, err := do(r.Context(), id, by, note)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.answerTicket(w, r, 200, t)
	}
}

func (s *server) reassignTicket(w http.ResponseWriter, r *http.Request) {
	var req reassignRequest
	id, err := actionInput(w, r, &req, &req.By)
	if err == nil && strings.TrimSpace(req.WorkerCode) == "" {
		err = badRequest("worker_code is required", "请填写转派对象的工号（worker_code）")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The ticket exists (ticketScoped read it), so "not found" below can
	// only be the worker: a bad code in the body is the request's fault.
	// A ticket is handed only to a worker within the caller's scope.
	if to, err := s.cfg.Tickets.WorkerByCode(r.Context(), strings.TrimSpace(req.WorkerCode)); err == nil && !scopeOf(r).Covers(to.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("worker %s", to.Code))
		return
	}
	t, err := s.cfg.Desk.Reassign(r.Context(), id, strings.TrimSpace(req.WorkerCode), req.By)
	if errors.Is(err, fault.ErrNotFound) {
		err = badRequest("worker_code %q: no such worker", "没有工号为 %q 的工作人员", req.WorkerCode)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerTicket(w, r, 200, t)
}

// mergeTicket folds ticket {id}, a duplicate, into ticket into and answers
// with the kept ticket.
func (s *server) mergeTicket(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	id, err := actionInput(w, r, &req, &req.By)
	if err == nil && req.Into <= 0 {
		err = badRequest("into is required: the id of the ticket to keep", "请填写要保留的工单编号（into）")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Both tickets must be the caller's (ticketScoped checked {id}): merging moves the conversation.
	if into, err := s.cfg.Tickets.Ticket(r.Context(), req.Into); err == nil && !scopeOf(r).Covers(into.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("ticket %d", req.Into))
		return
	}
	keep, err := s.cfg.Desk.Merge(r.Context(), id, req.Into, req.By)
	if errors.Is(err, fault.ErrNotFound) {
		err = badRequest("into: no ticket %d", "没有编号为 %d 的工单", req.Into)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerTicket(w, r, 200, keep)
}

// QuickReply is one of a ticket's ready answers, numbered for a reply's
// "quick"; the worker's name and numbers in it are masked here and filled
// in clear when it is sent.
type QuickReply struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

func (s *server) quickReplies(w http.ResponseWriter, r *http.Request) {
	ctx, t := r.Context(), scopedTicket(r)
	id := t.ID
	list, err := s.cfg.Desk.QuickReplies(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wk, err := s.people().Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]QuickReply, len(list))
	for i, text := range list {
		out[i] = QuickReply{N: i + 1, Text: pii.MaskText(text, wk.Name)}
	}
	writeJSON(w, http.StatusOK, out)
}

// recategoriseTicket files ticket {id} under another category (a
// timeline event; a category that starts higher moves it up, and the
// deadline may come forward, never back).
func (s *server) recategoriseTicket(w http.ResponseWriter, r *http.Request) {
	var req labelRequest
	id, err := actionInput(w, r, &req, &req.By)
	if err == nil && strings.TrimSpace(req.Category) == "" {
		err = badRequest("category is required", "请填写新的类别（category）")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Desk.Recategorise(r.Context(), id, strings.TrimSpace(req.Category), req.By, req.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerTicket(w, r, 200, t)
}

// setUrgency marks ticket {id} 紧急, 一般 or 复杂 (urgent, normal,
// complex), moving its deadline and, for 紧急, its level.
func (s *server) setUrgency(w http.ResponseWriter, r *http.Request) {
	var req labelRequest
	id, err := actionInput(w, r, &req, &req.By)
	if err == nil && strings.TrimSpace(req.Urgency) == "" {
		err = badRequest("urgency is required: 紧急, 一般 or 复杂", "请填写紧急程度（urgency）：紧急、一般或复杂")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.cfg.Desk.SetUrgency(r.Context(), id, strings.TrimSpace(req.Urgency), req.By, req.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerTicket(w, r, 200, t)
}
