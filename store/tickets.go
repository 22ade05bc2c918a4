package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// DefaultTicketsLimit is how many rows Tickets, DueTickets and
// UnknownSenders return when asked for a limit of zero or less.
const DefaultTicketsLimit = 100

// RecordInbound stores one inbound message and returns its id. The
// provider's message id is the dedupe key: when (in.Channel,
// in.ProviderMsgID) was recorded already — the provider delivered the same
// message twice — it stores nothing and returns the existing id with
// first=false, so the caller handles each message once. Channel (wechat or
// sms), ProviderMsgID and FromKey are required; a ResidentID or CampaignID
// of 0 is stored as none (an unknown sender is kept, not dropped); a zero
// ReceivedAt means the store's clock.
func (s *Store) RecordInbound(ctx context.Context, in tickets.InboundRecord) (id int64, first bool, err error) {
	what := fmt.Sprintf("record inbound %s message %q", in.Channel, in.ProviderMsgID)
	switch {
	case in.Channel != population.ChannelWeChat && in.Channel != population.ChannelSMS:
		return 0, false, fmt.Errorf("store: %s: channel %q: want wechat or sms", what, in.Channel)
	case in.ProviderMsgID == "":
		return 0, false, fmt.Errorf("store: %s: provider message id required (it is the dedupe key)", what)
	case in.FromKey == "":
		return 0, false, fmt.Errorf("store: %s: sender (openid or phone) required", what)
	}
	at := in.ReceivedAt
	if at.IsZero() {
		at = s.now()
	}
	s.prepareWrites(ctx)
	err = s.inTx(ctx, what, func(tx *sql.Tx) error {
		err := s.txRow(ctx, tx, "InsertInbound", string(in.Channel), in.ProviderMsgID, in.FromKey,
			idOrNull(in.ResidentID), in.Content, s.ts(at), idOrNull(in.CampaignID), string(in.Intent)).Scan(&id)
		if err == nil {
			first = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.QueryRowContext(ctx, s.q.get("InboundByProvider"), string(in.Channel), in.ProviderMsgID).Scan(&id)
	})
	if err != nil {
		return 0, false, err
	}
	return id, first, nil
}

// InboundByID returns inbound message id as stored.
// fault.ErrNotFound when there is none.
func (s *Store) InboundByID(ctx context.Context, id int64) (tickets.Inbound, error) {
	var in tickets.Inbound
	var channel, intent string
	err := s.readRow(ctx, "InboundByID", id).Scan(&in.ID, &in.TicketID, &channel, &in.ProviderMsgID,
		&in.FromKey, &in.ResidentID, &in.Content, timeCol{&in.ReceivedAt}, &in.CampaignID, &intent, timeCol{&in.HandledAt})
	if err != nil {
		return tickets.Inbound{}, missing(err, fault.Inbound, id)
	}
	in.Channel, in.Intent = population.Channel(channel), tickets.Intent(intent)
	return in, nil
}

// MarkInboundHandled records that acting on inbound message id finished at
// at; a second mark changes nothing. fault.ErrNotFound when there is no
// such message.
func (s *Store) MarkInboundHandled(ctx context.Context, id int64, at time.Time) error {
	what := fmt.Sprintf("mark inbound %d handled", id)
	s.prepareWrites(ctx)
	res, err := s.writeExec(ctx, "MarkInboundHandled", s.ts(at), id)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("store: %s: %w", what, fault.ErrNotFound)
	}
	return nil
}

// LinkInbound records that inbound message inboundID went into ticket
// ticketID (replacing any earlier link). fault.ErrNotFound when either
// does not exist.
func (s *Store) LinkInbound(ctx context.Context, inboundID, ticketID int64) error {
	what := fmt.Sprintf("link inbound %d to ticket %d", inboundID, ticketID)
	s.prepareWrites(ctx)
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, "LinkInbound", ticketID, inboundID, ticketID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return fault.ErrNotFound
	})
}

// UnknownSenders returns up to limit inbound messages whose sender matched
// no resident, newest first, for staff to bind or answer. A limit of zero
// or less means DefaultTicketsLimit.
func (s *Store) UnknownSenders(ctx context.Context, limit int) ([]tickets.Inbound, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return queryAll(ctx, s, "unknown senders", "UnknownSenders", func(sc scanner) (tickets.Inbound, error) {
		var in tickets.Inbound
		var channel, intent string
		err := sc.Scan(&in.ID, &in.TicketID, &channel, &in.ProviderMsgID, &in.FromKey, &in.Content,
			timeCol{&in.ReceivedAt}, &in.CampaignID, &intent)
		in.Channel, in.Intent = population.Channel(channel), tickets.Intent(intent)
		return in, err
	}, limit)
}

// CreateTicket stores t as a new ticket and ev (its creation event, as
// SLA.Open returns it) as the first entry of its timeline, in one
// transaction, and sets t.ID. An empty Status, Level or Source is stored,
// and set on t, as new, grid_worker and resident; a zero CreatedAt or UpdatedAt as the
// store's clock, as is a zero ev.At. ev.TicketID is filled in.
func (s *Store) CreateTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event) error {
	return s.createTicket(ctx, t, ev, nil)
}

// createTicket is CreateTicket, running also (when not nil) inside its
// transaction once the ticket has its id.
func (s *Store) createTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event, also func(tx *sql.Tx, id int64) error) error {
	tt := *t
	now := s.now()
	if tt.Status == "" {
		tt.Status = tickets.StatusNew
	}
	if tt.Level == "" {
		tt.Level = tickets.LevelGridWorker
	}
	tt.Source = tt.Source.OrDefault()
	if tt.CreatedAt.IsZero() {
		tt.CreatedAt = now
	}
	if tt.UpdatedAt.IsZero() {
		tt.UpdatedAt = tt.CreatedAt
	}
	if ev.Kind == "" {
		ev.Kind = tickets.EventCreated
	}
	if ev.At.IsZero() {
		ev.At = tt.CreatedAt
	}
	s.prepareWrites(ctx)
	err := s.inTx(ctx, "create ticket", func(tx *sql.Tx) error {
		err := s.txRow(ctx, tx, "InsertTicket", idOrNull(tt.ResidentID), tt.GridCode,
			string(tt.Channel), tt.Text, string(tt.Category), idOrNull(tt.AssigneeWorkerID), string(tt.Level),
			string(tt.Status), s.tsOrNull(tt.DueAt), tt.Rating, idOrNull(tt.CampaignID), s.tsOrNull(tt.Slot),
			idOrNull(tt.MergedInto), s.ts(tt.CreatedAt), s.ts(tt.UpdatedAt), s.tsOrNull(tt.ResolvedAt),
			s.tsOrNull(tt.ClosedAt), string(tt.Source), tt.Reporter, tt.Location.Address,
			pointOrNull(tt.Location, tt.Location.Lat), pointOrNull(tt.Location, tt.Location.Lng), tt.Place,
			idOrNull(tt.HouseholdID)).Scan(&tt.ID)
		if err != nil {
			return err
		}
		ev.TicketID = tt.ID
		if err := s.insertTicketEvent(ctx, tx, ev); err != nil || also == nil {
			return err
		}
		return also(tx, tt.ID)
	})
	if err != nil {
		return err
	}
	*t = tt
	return nil
}

// OpenTicket stores t as a new ticket, as CreateTicket does, with its
// creation event ev followed by then — the events of what a Ticket method
// did to t since it was opened (its assignment), t being the state after
// them — and links inbound message inboundID to it (0: none), all in one
// transaction: a reply that opens a ticket costs one commit, not three.
// Each event of then must be one ApplyTicketEvent accepts; their
// TicketIDs are filled in. fault.ErrNotFound, and nothing stored, when
// there is no inbound message inboundID.
func (s *Store) OpenTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event, then []tickets.Event, inboundID int64) error {
	for _, e := range then {
		switch e.Kind {
		case tickets.EventStatus, tickets.EventAssigned, tickets.EventEscalated:
		default:
			return fmt.Errorf("store: open ticket: kind %q cannot follow its creation", e.Kind)
		}
	}
	return s.createTicket(ctx, t, ev, func(tx *sql.Tx, id int64) error {
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
		if inboundID == 0 {
			return nil
		}
		res, err := s.txExec(ctx, tx, "LinkInbound", id, inboundID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return fault.NotFound(fault.Inbound, inboundID)
	})
}

func (s *Store) insertTicketEvent(ctx context.Context, tx *sql.Tx, ev tickets.Event) error {
	_, err := s.txExec(ctx, tx, "InsertTicketEvent", ev.TicketID, s.ts(ev.At), ev.Actor,
		string(ev.Kind), ev.From, ev.To, ev.Note)
	return err
}

// Ticket returns the ticket with the given id, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, id int64) (tickets.Ticket, error) {
	t, err := scanTicket(s.readRow(ctx, "TicketByID", id))
	if err != nil {
		return tickets.Ticket{}, missing(err, fault.Ticket, id)
	}
	return t, nil
}

// ApplyTicketEvent records a change a Ticket method made on t: it stores
// t's fields (all but the resident, channel, first text and creation time)
// and appends ev to the timeline, in one transaction — only if the stored
// ticket still matches what ev changed from. For a status or reopened
// event the stored status must equal ev.From; for assigned the stored
// assignee (ev.From, a worker id, "0" for none); for escalated the stored
// level; for recategorised the stored category; for rated the stored
// rating must be none; for merged (on the kept
// ticket) the stored status must equal t.Status and the ticket must not
// be merged away. Otherwise it returns an error wrapping fault.ErrConflict and
// changes nothing: of two workers who move the same ticket at once,
// exactly one succeeds, and the other should re-read and decide again.
// fault.ErrNotFound when there is no ticket t.ID. ev must be for t
// (ev.TicketID t.ID or zero); a created event is refused (CreateTicket
// writes it). A zero ev.At means t.UpdatedAt, or the store's clock.
func (s *Store) ApplyTicketEvent(ctx context.Context, t tickets.Ticket, ev tickets.Event) error {
	what := fmt.Sprintf("apply ticket %d %s event", t.ID, ev.Kind)
	if ev.TicketID != 0 && ev.TicketID != t.ID {
		return fmt.Errorf("store: %s: event is for ticket %d", what, ev.TicketID)
	}
	ev.TicketID = t.ID
	switch ev.Kind {
	case tickets.EventStatus, tickets.EventReopened, tickets.EventAssigned, tickets.EventEscalated,
		tickets.EventRated, tickets.EventMerged, tickets.EventRecategorised, tickets.EventUrgency:
	default:
		return fmt.Errorf("store: %s: kind %q cannot be applied", what, ev.Kind)
	}
	if t.Status == "" {
		t.Status = tickets.StatusNew
	}
	if t.Level == "" {
		t.Level = tickets.LevelGridWorker
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = s.now()
	}
	if ev.At.IsZero() {
		ev.At = t.UpdatedAt
	}
	s.prepareWrites(ctx)
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		var status, level, category string
		var assignee, mergedInto int64
		var rating int
		err := s.txRow(ctx, tx, "TicketForUpdate", t.ID).Scan(&status, &level, &assignee, &rating, &mergedInto, &category)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := ticketGuard(ev, t, tickets.Status(status), tickets.Level(level), assignee, rating, mergedInto); err != nil {
			return err
		}
		if ev.Kind == tickets.EventRecategorised && category != ev.From {
			return fmt.Errorf("ticket is filed under %s, not %s: %w", category, ev.From, fault.ErrConflict)
		}
		res, err := s.txExec(ctx, tx, "UpdateTicket", t.GridCode, string(t.Category),
			idOrNull(t.AssigneeWorkerID), string(t.Level), string(t.Status), s.tsOrNull(t.DueAt), t.Rating,
			idOrNull(t.CampaignID), s.tsOrNull(t.Slot), idOrNull(t.MergedInto), s.ts(t.UpdatedAt),
			s.tsOrNull(t.ResolvedAt), s.tsOrNull(t.ClosedAt), t.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fault.ErrNotFound
		}
		return s.insertTicketEvent(ctx, tx, ev)
	})
}

// ticketGuard checks that the stored ticket is still what ev moved from.
func ticketGuard(ev tickets.Event, t tickets.Ticket, status tickets.Status, level tickets.Level, assignee int64, rating int, mergedInto int64) error {
	switch ev.Kind {
	case tickets.EventStatus, tickets.EventReopened:
		if string(status) != ev.From {
			return fmt.Errorf("ticket is %s, not %s: %w", status, ev.From, fault.ErrConflict)
		}
	case tickets.EventAssigned:
		from, err := strconv.ParseInt(ev.From, 10, 64)
		if err != nil {
			return fmt.Errorf("assigned event from %q: want a worker id", ev.From)
		}
		if assignee != from {
			return fmt.Errorf("ticket is assigned to worker %d, not %d: %w", assignee, from, fault.ErrConflict)
		}
	case tickets.EventEscalated:
		if string(level) != ev.From {
			return fmt.Errorf("ticket is at %s, not %s: %w", level, ev.From, fault.ErrConflict)
		}
	case tickets.EventRated:
		if rating != 0 {
			return fmt.Errorf("ticket is rated %d already: %w", rating, fault.ErrConflict)
		}
	case tickets.EventMerged:
		if status != t.Status || mergedInto != 0 {
			return fmt.Errorf("ticket is %s (merged into %d), not %s: %w", status, mergedInto, t.Status, fault.ErrConflict)
		}
	}
	return nil
}

// TicketEvents returns the timeline of ticket id, oldest first. An unknown
// ticket has none.
func (s *Store) TicketEvents(ctx context.Context, id int64) ([]tickets.Event, error) {
	return queryAll(ctx, s, fmt.Sprintf("ticket %d events", id), "TicketEvents", func(sc scanner) (tickets.Event, error) {
		var ev tickets.Event
		var kind string
		err := sc.Scan(&ev.TicketID, timeCol{&ev.At}, &ev.Actor, &kind, &ev.From, &ev.To, &ev.Note)
		ev.Kind = tickets.EventKind(kind)
		return ev, err
	}, id)
}

// TicketFilter selects tickets for Tickets. The zero value selects every
// ticket, the first DefaultTicketsLimit by id.
type TicketFilter struct {
	GridCode   string         // "" = any grid
	Status     tickets.Status // "" = any status
	AssigneeID int64          // 0 = any assignee (unassigned included)
	ResidentID int64          // 0 = any resident
	// Scope limits the tickets to these grids, each with its subtree (a
	// user's access.Scope); nil = anywhere. A caller whose scope is empty
	// must not ask at all: an empty list means anywhere too.
	Scope []string
	// Limit is the page size; zero or less means DefaultTicketsLimit.
	Limit int
	// AfterID pages: only tickets with a greater id. Pass the last id of
	// a page to get the next. With ByDue it is the last ticket of the
	// page before, the next page holding those after it in that order.
	AfterID int64
	// Query keeps the tickets whose text or resident's name holds it, or
	// whose resident's phone ends with it (digits, four or more); "" =
	// every ticket.
	Query string
	// Unassigned keeps only the tickets no one holds (待认领).
	Unassigned bool
	// ByDue orders the tickets by deadline instead of id: the open ones
	// past their deadline at Now first, then by deadline, those without
	// one last, then by id.
	ByDue bool
	// Now is when ByDue tells what is overdue; zero = the store's clock.
	Now time.Time
}

// Tickets returns the tickets f selects, in id order (f.ByDue: by
// deadline), one page of f.Limit.
func (s *Store) Tickets(ctx context.Context, f TicketFilter) ([]tickets.Ticket, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultTicketsLimit
	}
	st := string(f.Status)
	scope := ""
	if len(f.Scope) > 0 {
		b, err := json.Marshal(f.Scope)
		if err != nil {
			return nil, fmt.Errorf("store: tickets: %w", err)
		}
		scope = string(b)
	}
	q := strings.TrimSpace(f.Query)
	tail := ""
	if len(q) >= 4 && strings.Trim(q, "0123456789") == "" {
		tail = q
	}
	if f.ByDue {
		now := f.Now
		if now.IsZero() {
			now = s.now()
		}
		return s.collectTickets(ctx, "tickets by deadline", "TicketsByDue", f.AfterID, f.GridCode, st,
			f.AssigneeID, f.ResidentID, scope, q, tail, f.Unassigned, s.ts(now), f.Limit)
	}
	return s.collectTickets(ctx, "tickets", "Tickets", f.AfterID, f.GridCode, f.GridCode, st, st,
		f.AssigneeID, f.AssigneeID, f.ResidentID, f.ResidentID, scope, scope, q, q, q, tail, tail, tail, f.Unassigned, f.Limit)
}

// OpenTicketFor returns the ticket a resident's new message belongs to:
// their latest open ticket; failing that, their latest resolved or closed
// one that was not merged away, which the caller reopens (Ticket.Reopen)
// if it is within the reopen window or else opens a new ticket beside.
// fault.ErrNotFound when the resident has neither.
func (s *Store) OpenTicketFor(ctx context.Context, residentID int64) (tickets.Ticket, error) {
	t, err := scanTicket(s.readRow(ctx, "OpenTicketFor", residentID))
	if err != nil {
		return tickets.Ticket{}, notFound(err, fmt.Sprintf("open ticket for resident %d", residentID))
	}
	return t, nil
}

// DueTickets returns up to limit open tickets whose deadline is before
// before, most overdue first: the escalation scan. A limit of zero or less
// means DefaultTicketsLimit.
func (s *Store) DueTickets(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.collectTickets(ctx, "due tickets", "DueTickets", s.ts(before), limit)
}

// TicketBacklog counts the open tickets (new, assigned, in progress,
// replied) at each level of the escalation ladder, and those of them whose
// deadline is before now, in level order. Levels with no open ticket are
// left out.
func (s *Store) TicketBacklog(ctx context.Context, now time.Time) ([]tickets.Backlog, error) {
	return queryAll(ctx, s, "ticket backlog", "TicketBacklog", func(sc scanner) (tickets.Backlog, error) {
		var b tickets.Backlog
		var level string
		err := sc.Scan(&level, &b.Open, &b.Overdue)
		b.Level = tickets.Level(level)
		return b, err
	}, s.ts(now))
}

func (s *Store) collectTickets(ctx context.Context, what, query string, args ...any) ([]tickets.Ticket, error) {
	return queryAll(ctx, s, what, query, scanTicket, args...)
}

// scanTicket reads the columns every ticket query selects, in order.
func scanTicket(sc scanner) (tickets.Ticket, error) {
	var t tickets.Ticket
	var channel, category, level, status, source string
	var lat, lng sql.NullFloat64
	err := sc.Scan(&t.ID, &t.ResidentID, &t.GridCode, &channel, &t.Text, &category, &t.AssigneeWorkerID,
		&level, &status, timeCol{&t.DueAt}, &t.Rating, &t.CampaignID, timeCol{&t.Slot}, &t.MergedInto,
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, timeCol{&t.ResolvedAt}, timeCol{&t.ClosedAt},
		&source, &t.Reporter, &t.Location.Address, &lat, &lng, &t.Place, &t.HouseholdID)
	t.Channel, t.Category = population.Channel(channel), tickets.Category(category)
	t.Source, t.Location.Lat, t.Location.Lng = tickets.Source(source), lat.Float64, lng.Float64
	t.Level, t.Status = tickets.Level(level), tickets.Status(status)
	return t, err
}

// RecordAnswer records a resident's answer to a campaign's reply options
// (option "1", meaning "报名"), from inbound message a.InboundID (0 if
// none). A resident has one answer per campaign, the latest by
// a.AnsweredAt (zero: the store's clock): a later answer replaces theirs,
// an earlier one (a late delivery) changes nothing.
func (s *Store) RecordAnswer(ctx context.Context, a tickets.Answer) error {
	campaignID, residentID, option, meaning, inboundID, at := a.CampaignID, a.ResidentID, a.Option, a.Meaning, a.InboundID, a.AnsweredAt
	what := fmt.Sprintf("record campaign %d answer of resident %d", campaignID, residentID)
	if at.IsZero() {
		at = s.now()
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q.get("UpsertAnswer"), campaignID, residentID, option, meaning,
			s.ts(at), idOrNull(inboundID))
		return err
	})
}

// CampaignAnswers returns a campaign's answers, one per resident, in the
// order they were (last) answered.
func (s *Store) CampaignAnswers(ctx context.Context, campaignID int64) ([]tickets.Answer, error) {
	return queryAll(ctx, s, fmt.Sprintf("campaign %d answers", campaignID), "CampaignAnswers", func(sc scanner) (tickets.Answer, error) {
		a := tickets.Answer{CampaignID: campaignID}
		err := sc.Scan(&a.ResidentID, &a.Option, &a.Meaning, &a.InboundID, timeCol{&a.AnsweredAt})
		return a, err
	}, campaignID)
}

// idOrNull is an id column's value: NULL for 0 ("none").
func idOrNull(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
