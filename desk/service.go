package desk

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/tickets"
)

// Dispatcher runs the desk's later work. The queue package's Enqueuer
// satisfies it: EnqueueSend enqueues the send of a message the desk wrote
// on the ledger (its id is the task id), ScheduleEscalation an escalation
// check at due (Escalate; also at a deadline's warning time).
type Dispatcher interface {
	EnqueueSend(ctx context.Context, m outbound.Message) error
	ScheduleEscalation(ctx context.Context, ticketID int64, level tickets.Level, due time.Time) error
}

// Deps are what the Service works with; Store and Dispatcher are
// required. The desk sends nothing itself: it writes its messages on the
// ledger and the Dispatcher hands them to the queue's send path.
type Deps struct {
	Store      Store
	Dispatcher Dispatcher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives the desk's events without personal data; nil discards.
	Log *slog.Logger
	// ObserveTask, when set, counts each step on a department's task
	// (the dispatch included) by department code and action: the metrics'
	// gridcast_dispatch_task_actions_total. Nil counts nothing.
	ObserveTask func(department string, action dispatch.Action)
	// Media keeps photos and voice (a *blob.Media); nil refuses reports
	// with photos (text reports still work) and keeps no resident media.
	Media Media
	// Fetcher downloads the media of residents' WeChat image and voice
	// messages (the gateway/wechat Client); nil keeps none. It needs Media.
	Fetcher MediaFetcher
}

// Service is the ticket desk. It is safe for concurrent use; every state
// it keeps is in the Store.
type Service struct {
	cfg  Config
	st   Store
	disp Dispatcher
	now  func() time.Time
	log  *slog.Logger
	// observe counts task actions (Deps.ObserveTask; never nil).
	observe func(department string, action dispatch.Action)

	media   Media
	fetcher MediaFetcher
	// mediaMissing counts residents' media that could not be kept.
	mediaMissing atomic.Int64
}

// New returns the desk for cfg and deps, or every configuration problem
// joined.
func New(cfg Config, deps Deps) (*Service, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if deps.Store == nil {
		errs = append(errs, errors.New("desk: Store required"))
	}
	if deps.Dispatcher == nil {
		errs = append(errs, errors.New("desk: Dispatcher required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg.withDefaults(), st: deps.Store, disp: deps.Dispatcher,
		now: deps.Now, log: deps.Log, observe: deps.ObserveTask, media: deps.Media, fetcher: deps.Fetcher}
	if s.observe == nil {
		s.observe = func(string, dispatch.Action) {}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "desk")
	return s, nil
}

// SLA is the desk's deadlines and escalation steps.
func (s *Service) SLA() tickets.SLA { return s.cfg.Tickets.SLA }

// Canned is the desk's canned replies.
func (s *Service) Canned() tickets.Canned { return s.cfg.Tickets.Canned }

func notFound(err error) bool { return errors.Is(err, fault.ErrNotFound) }
