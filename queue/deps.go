package queue

import (
	"context"
	"errors"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
)

// CampaignStore reads campaigns and records their transitions.
// *store.Store satisfies it.
type CampaignStore interface {
	Campaign(ctx context.Context, id int64) (campaigns.Campaign, error)
	// Campaigns lists up to limit campaigns in state.
	Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error)
	// ApplyCampaignEvent stores c and ev if c is still in ev.From, else
	// returns an error wrapping fault.ErrConflict.
	ApplyCampaignEvent(ctx context.Context, c campaigns.Campaign, ev campaigns.Event) error
}

// RunStore records campaign runs and the messages their fan-out writes.
// *store.Store satisfies it.
type RunStore interface {
	StartRun(ctx context.Context, campaignID int64, run int, at time.Time) (created bool, err error)
	RunCheckpoint(ctx context.Context, campaignID int64, run int) (afterResidentID int64, done bool, err error)
	WriteMessages(ctx context.Context, campaignID int64, run int, msgs []outbound.Message, checkpoint int64, done bool) ([]outbound.Message, error)
	FinishRun(ctx context.Context, campaignID int64, run int, at time.Time) error
}

// MessageStore writes single messages of any purpose and moves them
// through their statuses, forward only. *store.Store satisfies it.
type MessageStore interface {
	// CreateMessage writes m (a fallback, a reminder); a campaign message
	// or reminder already on the ledger comes back with created false.
	CreateMessage(ctx context.Context, m outbound.Message) (stored outbound.Message, created bool, err error)
	Message(ctx context.Context, id int64) (outbound.Message, error)
	ClaimMessage(ctx context.Context, id int64, now time.Time) (outbound.Message, bool, error)
	AdvanceMessage(ctx context.Context, id int64, to outbound.Status, u outbound.Update) (bool, error)
	// AdvanceMessages is AdvanceMessage for many moves in one transaction.
	AdvanceMessages(ctx context.Context, moves []outbound.Advance) ([]bool, error)
	RescheduleMessage(ctx context.Context, id int64, notBefore time.Time, reason string) error
	// RecoverMessage is RescheduleMessage only while the message's attempt
	// count is still attempts (a stuck message found by the reconciler);
	// the message's outcome becomes unknown as of its claim.
	RecoverMessage(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error
	// UnknownOutcome is RescheduleMessage for a message whose call under
	// outID at at got no answer: AttemptedAt and OutID record it.
	UnknownOutcome(ctx context.Context, id int64, outID string, at, notBefore time.Time) error
	// MarkAttempt records the OutId a call is about to carry on each of
	// its messages still sending.
	MarkAttempt(ctx context.Context, ids []int64, outID string) error
	// ClaimMessages is ClaimMessage for a batch: the messages of ids it
	// claimed, by id, each marked with outID as MarkAttempt would unless
	// an earlier call's outcome is still unknown.
	ClaimMessages(ctx context.Context, ids []int64, now time.Time, outID string) ([]outbound.Message, error)
	// MarkSent is AdvanceMessage to sent for messages one or more calls
	// had accepted, each with its provider id, in one transaction; it
	// returns the ids it moved.
	MarkSent(ctx context.Context, acc []outbound.Accepted, templateCode string, at time.Time) ([]int64, error)
}

// MessageFinder looks messages up for receipts, rebuilds and
// reconciliation. *store.Store satisfies it.
type MessageFinder interface {
	MessageByProviderID(ctx context.Context, channel population.Channel, providerID string) (outbound.Message, error)
	// MessagesByStatus pages one campaign's own messages in a status by id.
	MessagesByStatus(ctx context.Context, campaignID int64, st outbound.Status, afterID int64, limit int) ([]outbound.Message, error)
	// PendingSingles pages the pending messages outside campaign fan-outs
	// (reminders, the desk's) by id.
	PendingSingles(ctx context.Context, afterID int64, limit int) ([]outbound.Message, error)
	// StuckSending pages the messages claimed before cutoff and still
	// sending, by id.
	StuckSending(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]outbound.Message, error)
	StaleSent(ctx context.Context, olderThan time.Time, limit int) ([]outbound.Message, error)
}

// Counter answers the caps and completion questions. *store.Store
// satisfies it.
type Counter interface {
	SentCounts(ctx context.Context, residentID int64, dayStart, weekStart time.Time, templateCode string) (today, week, sameTpl int, err error)
	// SentCountsFor is SentCounts for many residents at once.
	SentCountsFor(ctx context.Context, residentIDs []int64, dayStart, weekStart time.Time, templateCode string) (map[int64]outbound.Counts, error)
	Funnel(ctx context.Context, campaignID int64) (outbound.Funnel, error)
}

// Ledger is the outbound ledger the handlers need, the union of the small
// interfaces above; *store.Store satisfies it. It is wide because one
// store implements it all; fakes may embed the pieces they need.
type Ledger interface {
	CampaignStore
	RunStore
	MessageStore
	MessageFinder
	Counter
}

// Audience streams a segment and looks up residents, their grid and its
// worker. *store.Store satisfies it.
type Audience interface {
	StreamSegment(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error
	Residents(ctx context.Context, ids []int64) (map[int64]population.Resident, error)
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
	Grid(ctx context.Context, code string) (population.Grid, error)
}

// SMSSender is the SMS channel. *aliyunsms.Client satisfies it. Failures
// must be *gateway.SendError.
type SMSSender interface {
	Send(ctx context.Context, m gateway.SMS) (gateway.SMSAccepted, error)
	SendBatch(ctx context.Context, ms []gateway.SMS) (gateway.SMSAccepted, error)
	QueryDetails(ctx context.Context, phone pii.Phone, bizID string, date time.Time) ([]gateway.SMSDetail, error)
}

// WeChatSender is the WeChat channel. *wechat.Client satisfies it.
// Failures must be *gateway.SendError.
type WeChatSender interface {
	SendTemplate(ctx context.Context, m gateway.TemplateMessage) (int64, error)
	SendText(ctx context.Context, to pii.OpenID, text string) error
}

// Desk is the ticket desk as the queue drives it. *desk.Service
// satisfies it.
type Desk interface {
	// Handle records and acts on one resident's message.
	Handle(ctx context.Context, m desk.Message) (desk.Outcome, error)
	// Escalate moves an overdue ticket up a level.
	Escalate(ctx context.Context, ticketID int64) error
	// Sweep escalates what the timers missed and files closed tickets.
	Sweep(ctx context.Context) (int, error)
	// Fallback composes what replaces one of the desk's messages that the
	// provider refused for good.
	Fallback(ctx context.Context, m outbound.Message, code string) ([]outbound.Message, error)
}

// Deps are what the handlers work with. Ledger and Audience are required;
// a nil SMS or WeChat sender fails that channel's messages permanently
// (code NO_SENDER), which is what a deployment without that account wants.
type Deps struct {
	Ledger   Ledger
	Audience Audience
	SMS      SMSSender
	WeChat   WeChatSender
	// Desk is the ticket desk. Nil leaves residents' replies and
	// escalations unhandled (a campaign-only worker); the desk's messages
	// already on the ledger are still sent, without fallback.
	Desk Desk
	// Retention is where the daily retention purge clears what
	// Config.Retention lets go of. Nil schedules no purge (and a purge task
	// found on the queue does nothing).
	Retention retention.Store
	// Blobs is the blob store the purge deletes purged attachments'
	// photos and voice from (*blob.Media satisfies it). Nil leaves their
	// keys queued in the store for a process that has it (`gridcast
	// retention run`, an erasure).
	Blobs retention.Blobs
	// Observe, when set, learns of every move the queue makes on the
	// ledger — sent, delivered, failed, skipped, or handed back to pending
	// with its wait reason — once the store has taken it (metrics). It is
	// called from the handlers' goroutines: it must be quick and safe for
	// concurrent use. Nil observes nothing.
	Observe func(Move)
}

func (d Deps) validate() error {
	var errs []error
	if d.Ledger == nil {
		errs = append(errs, errors.New("queue: deps: Ledger required"))
	}
	if d.Audience == nil {
		errs = append(errs, errors.New("queue: deps: Audience required"))
	}
	return errors.Join(errs...)
}
