package desk

import (
	"context"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The system of record as the desk uses it, one small interface per role.
// *store.Store satisfies them all. Lookups that find nothing return an
// error wrapping fault.ErrNotFound; optimistic updates that lost a race
// wrap fault.ErrConflict.

// People finds the residents and workers a message is about and records
// what a keyword changes about a resident.
type People interface {
	Resident(ctx context.Context, id int64) (population.Resident, error)
	ResidentByPhone(ctx context.Context, p pii.Phone) (population.Resident, error)
	ResidentByOpenID(ctx context.Context, o pii.OpenID) (population.Resident, error)
	// Sender is the resident a message on channel came from (by openid or
	// phone), without their lists (categories, skills, jobs, opt-outs).
	Sender(ctx context.Context, channel population.Channel, from string) (population.Resident, error)
	SetOptOut(ctx context.Context, residentID int64, t population.Topic, out bool) error
	BindOpenID(ctx context.Context, residentID int64, o pii.OpenID) error
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
	WorkerByID(ctx context.Context, id int64) (population.Worker, error)
	WorkerByCode(ctx context.Context, code string) (population.Worker, error)
	// LeaveAt returns the leave of workerID covering at.
	LeaveAt(ctx context.Context, workerID int64, at time.Time) (tickets.Leave, error)
}

// Threads answers what a reply is about — the campaign that prompted it,
// the visit it confirms — and records the keyword flows' outcomes there.
type Threads interface {
	Campaign(ctx context.Context, id int64) (campaigns.Campaign, error)
	// LatestOutreach is the campaign of the latest campaign message or
	// reminder sent to the resident at or after since.
	LatestOutreach(ctx context.Context, residentID int64, since time.Time) (campaignID int64, err error)
	// CampaignByExtendCode is the campaign an SMS extension code belongs
	// to: the latest one with that code that messaged the resident, else
	// the latest one with that code.
	CampaignByExtendCode(ctx context.Context, code string, residentID int64) (campaignID int64, err error)
	// ProposedVisit is the resident's latest visit slot still proposed
	// (not confirmed, moved or cancelled) that starts after now.
	ProposedVisit(ctx context.Context, residentID int64, now time.Time) (campaigns.Visit, error)
	SetSlotState(ctx context.Context, residentID, campaignID int64, state string) error
	RecordAnswer(ctx context.Context, a tickets.Answer) error
}

// InboundLog records every inbound message once.
type InboundLog interface {
	RecordInbound(ctx context.Context, in tickets.InboundRecord) (id int64, first bool, err error)
	LinkInbound(ctx context.Context, inboundID, ticketID int64) error
	// InboundByID returns a recorded message; MarkInboundHandled records
	// that acting on it finished.
	InboundByID(ctx context.Context, id int64) (tickets.Inbound, error)
	MarkInboundHandled(ctx context.Context, id int64, at time.Time) error
}

// TicketStore keeps tickets and their timeline.
type TicketStore interface {
	CreateTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event) error
	// OpenTicket is CreateTicket followed, in the same transaction, by the
	// events then (t being the ticket after them) and by linking inbound
	// message inboundID (0: none) to the new ticket.
	OpenTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event, then []tickets.Event, inboundID int64) error
	Ticket(ctx context.Context, id int64) (tickets.Ticket, error)
	// ApplyTicketEvent stores t and ev if t is still as it was read, else
	// returns an error wrapping fault.ErrConflict.
	ApplyTicketEvent(ctx context.Context, t tickets.Ticket, ev tickets.Event) error
	TicketEvents(ctx context.Context, id int64) ([]tickets.Event, error)
	OpenTicketFor(ctx context.Context, residentID int64) (tickets.Ticket, error)
	// RatableTicket is the resident's latest resolved, unrated ticket
	// resolved at or after since.
	RatableTicket(ctx context.Context, residentID int64, since time.Time) (tickets.Ticket, error)
	// Conversation is a ticket's messages both ways, in time order.
	Conversation(ctx context.Context, ticketID int64) ([]tickets.Entry, error)
}

// TicketScans pages through tickets for the sweeps, hand-overs and the
// evaluation.
type TicketScans interface {
	DueTickets(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error)
	// OpenTicketsByAssignee pages the open tickets a worker holds by id.
	OpenTicketsByAssignee(ctx context.Context, workerID, afterID int64, limit int) ([]tickets.Ticket, error)
	// OpenTicketsByGrid pages the open tickets of a grid by id.
	OpenTicketsByGrid(ctx context.Context, gridCode string, afterID int64, limit int) ([]tickets.Ticket, error)
	// TicketsCreatedBetween pages the tickets created in [from, to) by id.
	TicketsCreatedBetween(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error)
	// ClosedBefore lists closed tickets that closed before before.
	ClosedBefore(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error)
}

// Outbox writes the desk's messages on the ledger.
type Outbox interface {
	// CreateMessage writes m before any provider call and returns it as
	// stored.
	CreateMessage(ctx context.Context, m outbound.Message) (outbound.Message, bool, error)
	// ReplyWindow is the resident's last WeChat message's time (zero if
	// none) and how many customer-service messages went to them since.
	ReplyWindow(ctx context.Context, residentID int64) (lastInbound time.Time, sentSince int, err error)
}

// Bindings keeps pending WeChat bindings.
type Bindings interface {
	StartBinding(ctx context.Context, b tickets.Binding) (int64, error)
	PendingBinding(ctx context.Context, openID pii.OpenID, now time.Time) (tickets.Binding, error)
	BindingAttempt(ctx context.Context, id int64) (attempts int, err error)
	UseBinding(ctx context.Context, id int64, now time.Time) (bool, error)
}

// Store is every role the Service plays on the system of record.
type Store interface {
	People
	Threads
	InboundLog
	TicketStore
	TicketScans
	Outbox
	Bindings
	Dispatches
	Supervisions
	Events
	Notes
}
