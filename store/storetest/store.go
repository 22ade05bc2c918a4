package storetest

import (
	"context"
	"database/sql"
	"time"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/metrics"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/extsync"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// Store is what the suite tests: the interfaces GridCast's callers
// declare — the queue's ledger, audience and visits, the desk's roles, the
// API's segments and campaigns, the importer's and sync's upserts, the
// metrics' ticket figures, the audit log, the retention sweep — so a driver that passes satisfies exactly the
// contracts they depend on, plus Admin, the population's setup and the
// CLI's reads.
type Store interface {
	queue.Ledger
	queue.Audience
	queue.VisitStore
	desk.Store
	api.Segments
	api.Campaigns
	extsync.Store
	metrics.TicketBacklog
	Users
	api.DispatchStore
	api.SupervisionStore
	AuditStore
	retention.Store
	RegisterStore
	AssessmentStore
	RecordStore
	api.DeliveryStore
	api.DashboardStore
	Admin
}

// Admin is what the CLI and the setup of the suite's fixtures use beyond
// the callers' interfaces.
type Admin interface {
	UpsertGrids(ctx context.Context, gs []population.Grid) error
	UpsertWorkers(ctx context.Context, ws []population.Worker) error
	Workers(ctx context.Context) ([]population.Worker, error)
	BulkInsertResidents(ctx context.Context, next func() (population.Resident, bool), progress func(done int)) (int, error)
	ResidentByIDNumber(ctx context.Context, id pii.IDNumber) (population.Resident, error)
	UnmaskIDNumber(ctx context.Context, residentID int64) (pii.IDNumber, error)
	CountResidents(ctx context.Context) (int64, error)
	SaveTemplates(ctx context.Context, channel population.Channel, ts []campaigns.Template, at time.Time) error
	UpdateCampaign(ctx context.Context, c campaigns.Campaign) error
	BookedSlots(ctx context.Context, workerID int64, from, to time.Time) ([]campaigns.Slot, error)
	MessageEvents(ctx context.Context, id int64) ([]outbound.Event, error)
	ResidentMessages(ctx context.Context, residentID, beforeID int64, limit int) ([]outbound.Message, error)
	TestSends(ctx context.Context, actor string, campaignID int64, since time.Time, limit int) ([]outbound.Message, error)
	SetLeave(ctx context.Context, l tickets.Leave) error
	EndLeave(ctx context.Context, workerID int64, at time.Time) error
	Leaves(ctx context.Context, at time.Time) ([]tickets.Leave, error)
	Tickets(ctx context.Context, f store.TicketFilter) ([]tickets.Ticket, error)
	UnknownSenders(ctx context.Context, limit int) ([]tickets.Inbound, error)
	CampaignAnswers(ctx context.Context, campaignID int64) ([]tickets.Answer, error)
	// EraseResident and Erasure are erasure on request (the CLI's
	// `residents erase`, and the API's to come).
	EraseResident(ctx context.Context, residentID int64, by, reason string) (retention.Erased, error)
	Erasure(ctx context.Context, residentID int64) (retention.Erasure, error)
	// DB is the raw database, for checks that tables survive hostile
	// input.
	DB() *sql.DB
}

var _ Store = (*store.Store)(nil)
