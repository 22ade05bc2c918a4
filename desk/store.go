package desk

import (
	"context"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Store is the system of record the desk works on. *store.Store
// satisfies it. Lookups that find nothing return an error wrapping
// fault.ErrNotFound; optimistic updates that lost a race wrap the
// store's conflict error (Deps.Conflict).
type Store interface {
	// Residents and workers.
	Resident(ctx context.Context, id int64) (population.Resident, error)
	ResidentByPhone(ctx context.Context, p pii.Phone) (population.Resident, error)
	ResidentByOpenID(ctx context.Context, o pii.OpenID) (population.Resident, error)
	SetOptOut(ctx context.Context, residentID int64, t population.Topic, out bool) error
	BindOpenID(ctx context.Context, residentID int64, o pii.OpenID) error
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
	WorkerByID(ctx context.Context, id int64) (population.Worker, error)
	WorkerByCode(ctx context.Context, code string) (population.Worker, error)
	// LeaveAt returns the leave of workerID covering at.
	LeaveAt(ctx context.Context, workerID int64, at time.Time) (tickets.Leave, error)

	// Campaigns and visits, for threading and the keyword flows.
	Campaign(ctx context.Context, id int64) (campaigns.Campaign, error)
	// LatestOutreach is the campaign of the latest campaign message sent
	// to the resident at or after since.
	LatestOutreach(ctx context.Context, residentID int64, since time.Time) (campaignID int64, err error)
	// CampaignByExtendCode is the campaign an SMS extension code belongs
	// to: the latest one with that code that messaged the resident, else
	// the latest one with that code.
	CampaignByExtendCode(ctx context.Context, code string, residentID int64) (campaignID int64, err error)
	// ProposedVisit is the resident's latest visit slot still proposed
	// (not confirmed, moved or cancelled) that starts after now.
	ProposedVisit(ctx context.Context, residentID int64, now time.Time) (campaigns.Visit, error)
	SetSlotState(ctx context.Context, residentID, campaignID int64, state string) error
	RecordAnswer(ctx context.Context, campaignID, residentID int64, option, meaning string, inboundID int64, at time.Time) error

	// Inbound messages and tickets.
	RecordInbound(ctx context.Context, in tickets.InboundRecord) (id int64, first bool, err error)
	LinkInbound(ctx context.Context, inboundID, ticketID int64) error
	// InboundByID returns a recorded message; MarkInboundHandled records
	// that acting on it finished.
	InboundByID(ctx context.Context, id int64) (tickets.Inbound, error)
	MarkInboundHandled(ctx context.Context, id int64, at time.Time) error
	CreateTicket(ctx context.Context, t *tickets.Ticket, ev tickets.Event) error
	Ticket(ctx context.Context, id int64) (tickets.Ticket, error)
	ApplyTicketEvent(ctx context.Context, t tickets.Ticket, ev tickets.Event) error
	TicketEvents(ctx context.Context, id int64) ([]tickets.Event, error)
	OpenTicketFor(ctx context.Context, residentID int64) (tickets.Ticket, error)
	// RatableTicket is the resident's latest resolved, unrated ticket
	// resolved at or after since.
	RatableTicket(ctx context.Context, residentID int64, since time.Time) (tickets.Ticket, error)
	DueTickets(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error)
	// OpenTicketsByAssignee pages the open tickets a worker holds by id.
	OpenTicketsByAssignee(ctx context.Context, workerID, afterID int64, limit int) ([]tickets.Ticket, error)
	// TicketsCreatedBetween pages the tickets created in [from, to) by id.
	TicketsCreatedBetween(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error)
	// ClosedBefore lists closed tickets that closed before before.
	ClosedBefore(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error)
	// OpenTicketsByGrid pages the open tickets of a grid by id.
	OpenTicketsByGrid(ctx context.Context, gridCode string, afterID int64, limit int) ([]tickets.Ticket, error)
	// Conversation is a ticket's messages both ways, in time order.
	Conversation(ctx context.Context, ticketID int64) ([]tickets.Entry, error)
	// ReplyWindow is the resident's last WeChat message's time (zero if
	// none) and how many customer-service messages went to them since.
	ReplyWindow(ctx context.Context, residentID int64) (lastInbound time.Time, sentSince int, err error)

	// Outbound messages of the desk.
	CreateOutbound(ctx context.Context, o *tickets.Outbound) error
	Outbound(ctx context.Context, id int64) (tickets.Outbound, error)
	// ClaimOutbound moves a pending message to sending (one more attempt)
	// and returns it; false when it was not pending.
	ClaimOutbound(ctx context.Context, id int64, now time.Time) (tickets.Outbound, bool, error)
	// ReleaseOutbound puts a sending message back to pending after a
	// failed attempt that will be retried.
	ReleaseOutbound(ctx context.Context, id int64, code, msg string) error
	// FinishOutbound moves a message forward to sent, delivered or failed
	// (never back); false when it was already there or further.
	FinishOutbound(ctx context.Context, id int64, to tickets.OutStatus, providerID, code, msg string, at time.Time) (bool, error)
	OutboundByProvider(ctx context.Context, channel population.Channel, providerID string) (tickets.Outbound, error)
	// PendingOutbound lists messages still pending or sending, by id.
	PendingOutbound(ctx context.Context, limit int) ([]tickets.Outbound, error)

	// Bindings.
	StartBinding(ctx context.Context, b tickets.Binding) (int64, error)
	PendingBinding(ctx context.Context, openID pii.OpenID, now time.Time) (tickets.Binding, error)
	BindingAttempt(ctx context.Context, id int64) (attempts int, err error)
	UseBinding(ctx context.Context, id int64, now time.Time) (bool, error)
}
