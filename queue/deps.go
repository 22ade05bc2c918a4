package queue

import (
	"context"
	"errors"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// CampaignStore reads campaigns and records their transitions.
// *store.Store satisfies it.
type CampaignStore interface {
	Campaign(ctx context.Context, id int64) (campaigns.Campaign, error)
	// Campaigns lists up to limit campaigns in state.
	Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error)
	// ApplyCampaignEvent stores c and ev if c is still in ev.From, else
	// returns an error wrapping a conflict.
	ApplyCampaignEvent(ctx context.Context, c campaigns.Campaign, ev campaigns.Event) error
}

// RunStore records campaign runs and the messages their expansion writes.
// *store.Store satisfies it.
type RunStore interface {
	StartRun(ctx context.Context, campaignID int64, run int, at time.Time) (created bool, err error)
	RunCheckpoint(ctx context.Context, campaignID int64, run int) (afterResidentID int64, done bool, err error)
	WriteMessages(ctx context.Context, campaignID int64, run int, msgs []campaigns.Message, checkpoint int64, done bool) ([]campaigns.Message, error)
	FinishRun(ctx context.Context, campaignID int64, run int, at time.Time) error
}

// MessageStore moves single messages through their statuses, forward only.
// *store.Store satisfies it.
type MessageStore interface {
	Message(ctx context.Context, id int64) (campaigns.Message, error)
	ClaimMessage(ctx context.Context, id int64, now time.Time) (campaigns.Message, bool, error)
	AdvanceMessage(ctx context.Context, id int64, to campaigns.Status, u campaigns.MessageUpdate) (bool, error)
	RescheduleMessage(ctx context.Context, id int64, notBefore time.Time, reason string) error
	// RecoverMessage is RescheduleMessage only while the message's attempt
	// count is still attempts (a stuck message found by the reconciler).
	RecoverMessage(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error
}

// MessageFinder looks messages up for receipts, rebuilds and reconciliation.
// *store.Store satisfies it.
type MessageFinder interface {
	MessageByProviderID(ctx context.Context, channel population.Channel, providerID string) (campaigns.Message, error)
	MessagesByStatus(ctx context.Context, campaignID int64, st campaigns.Status, afterID int64, limit int) ([]campaigns.Message, error)
	StaleSent(ctx context.Context, olderThan time.Time, limit int) ([]campaigns.Message, error)
}

// Counter answers the caps and completion questions. *store.Store
// satisfies it.
type Counter interface {
	SentCounts(ctx context.Context, residentID int64, dayStart, weekStart time.Time, templateCode string) (today, week, sameTpl int, err error)
	Funnel(ctx context.Context, campaignID int64) (campaigns.Funnel, error)
}

// Ledger is the outreach ledger the handlers need, the union of the small
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
	Send(ctx context.Context, m aliyunsms.Message) (aliyunsms.Receipt, error)
	SendBatch(ctx context.Context, ms []aliyunsms.Message) (aliyunsms.Receipt, error)
	QueryDetails(ctx context.Context, phone pii.Phone, bizID string, date time.Time) ([]aliyunsms.Detail, error)
}

// WeChatSender is the WeChat channel. *wechat.Client satisfies it.
// Failures must be *gateway.SendError.
type WeChatSender interface {
	SendTemplate(ctx context.Context, m wechat.TemplateMessage) (int64, error)
}

// Deps are what the handlers work with. Ledger and Audience are required;
// a nil SMS or WeChat sender fails that channel's messages permanently
// (code NO_SENDER), which is what a deployment without that account wants.
type Deps struct {
	Ledger   Ledger
	Audience Audience
	SMS      SMSSender
	WeChat   WeChatSender
	// Inbox is the ticket desk. Nil leaves residents' replies, desk sends
	// and escalations unhandled (a campaign-only worker).
	Inbox *desk.Service
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
