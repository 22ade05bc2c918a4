package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// TicketStore is what the ticket desk's endpoints read: tickets, their
// timelines and conversations, unknown senders, campaigns' sign-up lists,
// and the residents and workers a ticket names (to mask them wherever a
// message mentions them). *store.Store satisfies it but for
// ListTickets, which takes the API's own filter so that this package
// imports no driver: store.TicketFilter(f) converts it.
type TicketStore interface {
	ListTickets(ctx context.Context, f TicketFilter) ([]tickets.Ticket, error)
	Ticket(ctx context.Context, id int64) (tickets.Ticket, error)
	TicketEvents(ctx context.Context, id int64) ([]tickets.Event, error)
	Conversation(ctx context.Context, ticketID int64) ([]tickets.Entry, error)
	UnknownSenders(ctx context.Context, limit int) ([]tickets.Inbound, error)
	Campaign(ctx context.Context, id int64) (campaigns.Campaign, error)
	CampaignAnswers(ctx context.Context, campaignID int64) ([]tickets.Answer, error)
	Resident(ctx context.Context, id int64) (population.Resident, error)
	WorkerByID(ctx context.Context, id int64) (population.Worker, error)
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
	WorkerByCode(ctx context.Context, code string) (population.Worker, error)
}

// TicketFilter selects tickets for ListTickets. Its fields are
// store.TicketFilter's, in the same order, so that one converts to the
// other. The zero value selects every ticket, the store's first page by id.
type TicketFilter struct {
	GridCode   string         // "" = any grid
	Status     tickets.Status // "" = any status
	AssigneeID int64          // 0 = any assignee
	ResidentID int64          // 0 = any resident
	Scope      []string       // grid codes with their subtrees; nil = anywhere
	Limit      int            // 0 = the store's default (100)
	AfterID    int64          // only tickets with a greater id (ByDue: after this ticket in that order)
	Query      string         // in the text or resident's name, or a phone's tail; "" = any
	Unassigned bool           // only the tickets no one holds
	ByDue      bool           // overdue first, then by deadline (none last), then by id
	Now        time.Time      // what ByDue counts as overdue against; zero = the store's clock
}

// maxTicketsPage is the largest page GET /api/v1/tickets returns.
const maxTicketsPage = 500

func (s *server) mountTickets(v1 mountFunc) {
	v1("GET /api/v1/tickets", s.listTickets)
	v1("GET /api/v1/tickets/unknown-senders", s.unknownSenders)
	v1("GET /api/v1/tickets/{id}", s.ticketScoped(s.getTicket))
	v1("GET /api/v1/campaigns/{id}/answers", s.campaignRead(s.campaignAnswers))
	v1("POST /api/v1/residents/{id}/unmask", s.unmaskResident, access.RoleWorker, access.RoleOfficer, access.RoleAdmin)
	if s.cfg.Eraser != nil {
		v1("POST /api/v1/residents/{id}/erase", s.eraseResident, access.RoleOfficer, access.RoleAdmin)
	}
	if s.cfg.Desk == nil {
		return
	}
	worker := access.RoleWorker
	v1("GET /api/v1/tickets/{id}/quick-replies", s.ticketScoped(s.quickReplies))
	v1("POST /api/v1/tickets/{id}/reply", s.ticketScoped(s.replyTicket), worker)
	desk := s.cfg.Desk
	v1("POST /api/v1/tickets/{id}/start", s.ticketScoped(s.noteAction(func(ctx context.Context, id int64, by, _ string) (tickets.Ticket, error) {
		return desk.Start(ctx, id, by)
	}, false)), worker)
	v1("POST /api/v1/tickets/{id}/resolve", s.ticketScoped(s.noteAction(desk.Resolve, true)), worker)
	v1("POST /api/v1/tickets/{id}/close", s.ticketScoped(s.noteAction(desk.Close, true)), worker)
	v1("POST /api/v1/tickets/{id}/reopen", s.ticketScoped(s.noteAction(desk.Reopen, true)), worker)
	v1("POST /api/v1/tickets/{id}/reassign", s.ticketScoped(s.reassignTicket), worker)
	v1("POST /api/v1/tickets/{id}/merge", s.ticketScoped(s.mergeTicket), worker)
	v1("POST /api/v1/tickets/{id}/recategorise", s.ticketScoped(s.recategoriseTicket), worker)
	v1("POST /api/v1/tickets/{id}/urgency", s.ticketScoped(s.setUrgency), worker)
	s.mountNotes(v1)
}

// Ticket is a ticket as the API shows it: the resident's name and phone
// masked, names and numbers in the text masked too. In a list the text is
// cut to 60 characters.
type Ticket struct {
	ID               int64     `json:"id"`
	Status           string    `json:"status"`
	Level            string    `json:"level"`
	Category         string    `json:"category"`
	CategoryLabel    string    `json:"category_label"`
	Grid             string    `json:"grid"`
	Channel          string    `json:"channel"`
	AssigneeWorkerID int64     `json:"assignee_worker_id"`
	AssigneeCode     string    `json:"assignee_code,omitempty"`
	DueAt            time.Time `json:"due_at,omitzero"`
	Overdue          bool      `json:"overdue"`
	ResidentID       int64     `json:"resident_id"`
	Resident         string    `json:"resident,omitempty"`
	Phone            string    `json:"phone,omitempty"`
	// Clear says Resident and Phone are in clear: a ticket's page shown to
	// the grid worker of the resident's own grid (recorded as pii.view).
	Clear      bool   `json:"clear,omitempty"`
	Text       string `json:"text"`
	CampaignID int64  `json:"campaign_id"`
	Rating     int    `json:"rating"`
	// Satisfaction is the rating as a level: 满意, 基本满意 or 不满意;
	// absent when not rated.
	Satisfaction string    `json:"satisfaction,omitempty"`
	MergedInto   int64     `json:"merged_into,omitempty"`
	Slot         time.Time `json:"slot,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	// Supervised is the ticket's standing 督办 flag; absent when none.
	Supervised *Supervised `json:"supervised,omitempty"`
	// Source is where the ticket came from: resident, patrol or hotline;
	// SourceLabel says it in Chinese.
	Source      string `json:"source"`
	SourceLabel string `json:"source_label"`
	// Reporter is the user who reported an event; "" for a resident's
	// reply.
	Reporter string `json:"reporter,omitempty"`
	// Location is where a reported event is; absent for a resident's
	// reply.
	Location *Location `json:"location,omitempty"`
	// Place and HouseholdID name what a reported event concerns.
	Place       string `json:"place,omitempty"`
	HouseholdID int64  `json:"household_id,omitempty"`
}

// Location is where a reported event is: an address within the grid and,
// when given, a point (WGS-84 degrees).
type Location struct {
	Address string   `json:"address,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
}

// TicketEvent is one entry of a ticket's timeline. From and To hold
// statuses, levels, worker ids, the rating or ticket ids by Kind; for the
// kinds "dispatch" and "task" (a department task's steps) the task's
// states, with the task, its department and the Action; for
// "supervised" To is the level the system told ("" for a person's flag).
type TicketEvent struct {
	At              time.Time `json:"at"`
	Actor           string    `json:"actor"`
	Kind            string    `json:"kind"`
	From            string    `json:"from,omitempty"`
	To              string    `json:"to,omitempty"`
	Note            string    `json:"note,omitempty"`
	TaskID          int64     `json:"task_id,omitempty"`
	Department      string    `json:"department,omitempty"`
	DepartmentLabel string    `json:"department_label,omitempty"`
	Action          string    `json:"action,omitempty"`
}

// ConversationEntry is one message of a ticket's conversation: from the
// resident (direction "in") or from the desk to them ("out").
type ConversationEntry struct {
	At        time.Time `json:"at"`
	Direction string    `json:"direction"`
	ID        int64     `json:"id"`
	Channel   string    `json:"channel"`
	Route     string    `json:"route,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	Status    string    `json:"status,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	Text      string    `json:"text"`
}

// TicketDetail is a ticket with its timeline and conversation, and the
// staff's internal notes (never sent to the resident; absent when the
// server has no desk).
type TicketDetail struct {
	Ticket       Ticket              `json:"ticket"`
	Timeline     []TicketEvent       `json:"timeline"`
	Conversation []ConversationEntry `json:"conversation"`
	Notes        []TicketNote        `json:"notes,omitempty"`
}

// Outbound is a message the desk queued, as a reply's answer shows it.
type Outbound struct {
	ID          int64  `json:"id"`
	Purpose     string `json:"purpose"`
	Route       string `json:"route"`
	RouteReason string `json:"route_reason"`
	To          string `json:"to"` // masked
	Status      string `json:"status"`
}

// ReplyResult is the answer to a reply: the ticket after it and the
// messages queued to the resident (an SMS may take several).
type ReplyResult struct {
	Ticket   Ticket     `json:"ticket"`
	Outbound []Outbound `json:"outbound"`
}

// UnknownSender is an inbound message whose sender matched no resident.
type UnknownSender struct {
	ID         int64     `json:"id"`
	Channel    string    `json:"channel"`
	Sender     string    `json:"sender"` // masked phone or openid
	Text       string    `json:"text"`
	Intent     string    `json:"intent,omitempty"`
	CampaignID int64     `json:"campaign_id,omitempty"`
	TicketID   int64     `json:"ticket_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// people looks up, once per request, the residents and workers a response
// names, to mask them.
type people struct {
	*population.Directory
	// label names a category in Chinese, a configured one included.
	label func(tickets.Category) string
}

func (s *server) people() people {
	label := tickets.Category.Label
	if s.cfg.Desk != nil {
		label = s.cfg.Desk.CategoryLabel
	}
	return people{population.NewDirectory(s.cfg.Tickets), label}
}

// ticket converts t, its text scrubbed of the names given and of the
// resident's and assignee's, and cut to maxText runes (0: whole).
func (p people) ticket(ctx context.Context, t tickets.Ticket, now time.Time, maxText int, names ...pii.Name) (Ticket, error) {
	r, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		return Ticket{}, err
	}
	w, err := p.Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		return Ticket{}, err
	}
	status, level := t.Status, t.Level
	if status == "" {
		status = tickets.StatusNew
	}
	if level == "" {
		level = tickets.LevelGridWorker
	}
	text := pii.MaskText(t.Text, append(names, r.Name, w.Name)...)
	if maxText > 0 {
		text = cut(text, maxText)
	}
	return Ticket{
		ID: t.ID, Status: string(status), Level: string(level), Category: string(t.Category),
		CategoryLabel: p.label(t.Category), Grid: t.GridCode, Channel: string(t.Channel),
		AssigneeWorkerID: t.AssigneeWorkerID, AssigneeCode: w.Code, DueAt: t.DueAt,
		Overdue:    status.Open() && !t.DueAt.IsZero() && !now.Before(t.DueAt),
		ResidentID: t.ResidentID, Resident: r.Name.Masked(), Phone: maskedPhone(r.Phone), Text: text,
		CampaignID: t.CampaignID, Rating: t.Rating, Satisfaction: tickets.RatingLabel(t.Rating), MergedInto: t.MergedInto, Slot: t.Slot,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		Source: string(t.Source.OrDefault()), SourceLabel: t.Source.Label(), Reporter: t.Reporter,
		Location: locationOf(t.Location, append(names, r.Name, w.Name)), Place: t.Place, HouseholdID: t.HouseholdID,
	}, nil
}

// locationOf is l as the API shows it, names in the address masked; nil
// when l is empty.
func locationOf(l tickets.Location, names []pii.Name) *Location {
	if l.Address == "" && !l.HasPoint() {
		return nil
	}
	out := &Location{Address: pii.MaskText(l.Address, names...)}
	if l.HasPoint() {
		out.Lat, out.Lng = &l.Lat, &l.Lng
	}
	return out
}

func maskedPhone(p pii.Phone) string {
	if p == "" {
		return ""
	}
	return p.Masked()
}

// cut keeps at most n runes of s, marking a cut with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// queryInt64 reads a non-negative integer query parameter; 0 when absent.
func queryInt64(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s %q: want a non-negative integer", "%s %q 须为非负整数", name, v)
	}
	return n, nil
}

// queryLimit reads the limit parameter: 0 (the store's default) to most.
func queryLimit(r *http.Request, most int) (int, error) {
	n, err := queryInt64(r, "limit")
	if err == nil && n > int64(most) {
		err = badRequest("limit %d: at most %d", "limit %d 超过上限 %d", n, most)
	}
	return int(n), err
}

func (s *server) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := TicketFilter{GridCode: q.Get("grid"), Status: tickets.Status(q.Get("status"))}
	if f.Status != "" && !validStatus(f.Status) {
		s.writeError(w, r, badRequest("status %q: want one of %s", "状态 %q 无效，可选 %s", f.Status, statusNames()))
		return
	}
	var errs []error
	var err error
	f.AssigneeID, err = s.assigneeParam(r)
	errs = append(errs, err)
	f.Unassigned, f.ByDue, err = readMine(r)
	errs = append(errs, err)
	f.Query, err = searchParam(r)
	errs = append(errs, err)
	f.ResidentID, err = queryInt64(r, "resident")
	errs = append(errs, err)
	f.AfterID, err = queryInt64(r, "after")
	errs = append(errs, err)
	f.Limit, err = queryLimit(r, maxTicketsPage)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		s.writeError(w, r, err)
		return
	}
	scope := scopeOf(r)
	switch {
	case scope.Everything():
	case len(scope) == 0: // a department's user: no grid's tickets
		writeJSON(w, 200, []Ticket{})
		return
	default:
		f.Scope = scope
	}
	f.Now = s.cfg.Now()
	ts, err := s.cfg.Tickets.ListTickets(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, now := s.people(), s.cfg.Now()
	out := make([]Ticket, 0, len(ts))
	for _, t := range ts {
		v, err := p.ticket(r.Context(), t, now, 60)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, v)
	}
	if err := s.supervise(r.Context(), out); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, out)
}

func validStatus(st tickets.Status) bool {
	for _, x := range tickets.Statuses {
		if x == st {
			return true
		}
	}
	return false
}

func statusNames() string {
	names := make([]string, len(tickets.Statuses))
	for i, st := range tickets.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

func ticketID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("ticket id %q: want a number", "工单编号 %q 无效", r.PathValue("id"))
	}
	return id, nil
}

func (s *server) getTicket(w http.ResponseWriter, r *http.Request) {
	ctx, t := r.Context(), scopedTicket(r)
	id := t.ID
	evs, err := s.cfg.Tickets.TicketEvents(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	conv, err := s.cfg.Tickets.Conversation(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The canned acknowledgement names the grid's worker, who may not be
	// the assignee.
	gw, err := s.cfg.Tickets.WorkerForGrid(ctx, t.GridCode, population.RoleGridWorker)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	p := s.people()
	res, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := p.Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	names := []pii.Name{res.Name, as.Name, gw.Name}
	v, err := p.ticket(ctx, t, s.cfg.Now(), 0, gw.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The grid worker of the resident's own grid sees them in clear, and
	// the access is on the record; no record, no clear data.
	if u, ok := userFrom(ctx); ok && u.Has(access.RoleWorker) && slices.Contains(u.Grids, t.GridCode) && t.ResidentID != 0 {
		if s.record(r, "", audit.ActionView, fmt.Sprintf("resident:%d", t.ResidentID), "own grid",
			fmt.Sprintf(`{"ticket":%d}`, t.ID)) == nil {
			v.Resident, v.Phone, v.Clear = string(res.Name), string(res.Phone), true
		}
	}
	one := []Ticket{v}
	if err := s.supervise(ctx, one); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := TicketDetail{Ticket: one[0], Timeline: make([]TicketEvent, 0, len(evs)), Conversation: make([]ConversationEntry, 0, len(conv))}
	for _, ev := range evs {
		out.Timeline = append(out.Timeline, TicketEvent{At: ev.At, Actor: ev.Actor, Kind: string(ev.Kind),
			From: ev.From, To: ev.To, Note: pii.MaskText(ev.Note, names...)})
	}
	extra, err := s.dispatchTimeline(ctx, id, names)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out.Timeline = mergeTimeline(out.Timeline, extra)
	for _, e := range conv {
		ce := ConversationEntry{At: e.At, Direction: "out", ID: e.ID, Channel: string(e.Channel), Route: string(e.Route),
			Purpose: string(e.Purpose), Status: string(e.Status), Actor: e.Actor, Text: pii.MaskText(e.Text, names...)}
		if e.Inbound {
			ce.Direction = "in"
		}
		out.Conversation = append(out.Conversation, ce)
	}
	if out.Notes, err = s.notes(ctx, id, names); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, out)
}

func (s *server) unknownSenders(w http.ResponseWriter, r *http.Request) {
	// No resident matched these senders, so they belong to no grid: only
	// the whole city's desk reads them.
	if !scopeOf(r).Everything() {
		s.outOfScope(w, r, "messages from unknown senders (no grid)")
		return
	}
	limit, err := queryLimit(r, maxTicketsPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ins, err := s.cfg.Tickets.UnknownSenders(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]UnknownSender, 0, len(ins))
	for _, in := range ins {
		sender := pii.Phone(in.FromKey).Masked()
		if in.Channel == population.ChannelWeChat {
			sender = pii.OpenID(in.FromKey).Masked()
		}
		out = append(out, UnknownSender{ID: in.ID, Channel: string(in.Channel), Sender: sender, Text: pii.MaskText(in.Content),
			Intent: string(in.Intent), CampaignID: in.CampaignID, TicketID: in.TicketID, ReceivedAt: in.ReceivedAt})
	}
	writeJSON(w, 200, out)
}
