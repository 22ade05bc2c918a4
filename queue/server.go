package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Server runs the queue's handlers (and, unless Config.TickSpec is "-",
// the per-minute scheduler tick, the visit reminder scan every RemindSpec
// and, when Config.Retention is active, the daily retention purge at
// RetentionSpec) on one process. Build it with NewServer,
// run it with Run; it is safe to call Shutdown from another goroutine.
type Server struct {
	cfg   Config
	srv   *asynq.Server
	sched *asynq.Scheduler
	mux   *asynq.ServeMux
	h     *handlers
	log   *slog.Logger
	once  sync.Once
}

// NewServer wires an Asynq server over rdb (shared, not closed): the
// queues and priorities, every handler, the SMS group aggregator, and the
// retry rules (IsFailure, RetryDelay). log may be nil (discard). It
// returns every configuration problem joined.
func NewServer(rdb redis.UniversalClient, cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	if err := errors.Join(cfg.Validate(), deps.validate()); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "queue")
	cfg = cfg.withDefaults()
	deps.Ledger = observed(deps.Ledger, deps.Observe)
	enq := NewEnqueuer(rdb, cfg)
	h := &handlers{cfg: cfg, deps: deps, enq: enq, lim: newLimits(rdb, cfg), log: log,
		wrk: &workerCache{aud: deps.Audience}}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeExpand, h.expand)
	mux.HandleFunc(TypeSendWeChat, h.sendOne)
	mux.HandleFunc(TypeSendSMS, h.sendOne)
	mux.HandleFunc(TypeSendSMSBatch, h.sendBatch)
	mux.HandleFunc(TypeSendChunk, h.sendChunk)
	mux.HandleFunc(TypeReceiptsSMS, h.receiptsSMS)
	mux.HandleFunc(TypeReceiptSMS, h.receiptSMS)
	mux.HandleFunc(TypeReceiptWeChat, h.receiptWeChat)
	mux.HandleFunc(TypeReconcile, h.reconcile)
	mux.HandleFunc(TypeTick, h.tick)
	mux.HandleFunc(TypeComplete, h.complete)
	mux.HandleFunc(TypeRemindVisits, h.remindVisits)
	mux.HandleFunc(TypeRetentionPurge, h.purgeRetention)
	mux.HandleFunc(legacyTypeOutbound, h.legacyOutbound)
	if deps.Desk != nil {
		mux.HandleFunc(TypeInbound, h.inbound)
		mux.HandleFunc(legacyTypeInbound, h.inbound)
		mux.HandleFunc(TypeEscalate, h.escalate)
	}
	acfg := asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   cfg.Queues,
		IsFailure:                IsFailure,
		RetryDelayFunc:           RetryDelay(cfg.Now),
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.DelayedTaskCheckInterval,
		TaskCheckInterval:        100 * time.Millisecond,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if IsFailure(err) {
				log.WarnContext(ctx, "task_failed", "type", t.Type(), "err", err)
			}
		}),
	}
	if *cfg.SMSBatch {
		acfg.GroupAggregator = h.aggregator()
		acfg.GroupMaxSize = cfg.GroupMaxSize
		acfg.GroupMaxDelay = cfg.GroupMaxDelay
		acfg.GroupGracePeriod = cfg.GroupGracePeriod
	}
	s := &Server{cfg: cfg, srv: asynq.NewServerFromRedisClient(rdb, acfg), mux: mux, h: h, log: log}
	if cfg.TickSpec != "-" {
		s.sched = asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{
			Logger: asynqLogger{log}, LogLevel: asynq.WarnLevel, Location: time.UTC,
		})
		// Several processes' schedulers fire each period: the uniqueness
		// lock (held until the task is done, or for the period) makes the
		// others' enqueues no-ops. The scheduler's options are read by its
		// heartbeat while it runs, so they are fixed at registration.
		period := tickPeriod(cfg.TickSpec)
		if _, err := s.sched.Register(cfg.TickSpec, asynq.NewTask(TypeTick, nil),
			asynq.Queue(QueueCritical), asynq.Unique(period), asynq.MaxRetry(0), asynq.Retention(0)); err != nil {
			return nil, fmt.Errorf("queue: tick_spec %q: %w", cfg.TickSpec, err)
		}
		if _, err := s.sched.Register(RemindSpec, asynq.NewTask(TypeRemindVisits, nil),
			asynq.Queue(QueueCritical), asynq.Unique(remindPeriod), asynq.MaxRetry(0), asynq.Retention(0)); err != nil {
			return nil, fmt.Errorf("queue: remind spec %q: %w", RemindSpec, err)
		}
		if cfg.Retention.Active() && deps.Retention != nil {
			if _, err := s.sched.Register(RetentionSpec, asynq.NewTask(TypeRetentionPurge, nil), retentionOpts()...); err != nil {
				return nil, fmt.Errorf("queue: retention spec %q: %w", RetentionSpec, err)
			}
		}
	}
	return s, nil
}

// Enqueuer returns the server's own Enqueuer (same Redis, same Config).
func (s *Server) Enqueuer() *Enqueuer { return s.h.enq }

// Run starts the workers and the scheduler and blocks until ctx is done,
// then shuts down (running tasks get Config.ShutdownTimeout to finish;
// Asynq requeues the rest). It returns an error if the server could not start.
func (s *Server) Run(ctx context.Context) error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	if s.sched != nil {
		if err := s.sched.Start(); err != nil {
			s.srv.Shutdown()
			return fmt.Errorf("queue: start scheduler: %w", err)
		}
	}
	s.log.InfoContext(ctx, "queue_started", "concurrency", s.cfg.Concurrency)
	// What a previous process left pending is queued again; an error is
	// logged, and the tick tries again.
	if err := s.h.recover(ctx, true); err != nil {
		s.log.ErrorContext(ctx, "recover_work_failed", "err", err)
	}
	<-ctx.Done()
	s.Shutdown()
	return nil
}

// Shutdown stops the scheduler and the workers and releases the
// Enqueuer. It is idempotent.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		if s.sched != nil {
			s.sched.Shutdown()
		}
		s.srv.Shutdown()
		_ = s.h.enq.Close()
	})
}

// asynqLogger sends Asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) {
	msg := fmt.Sprint(args...)
	// Asynq's Scheduler.Shutdown closes its client even when the Redis
	// connection is shared (ours always is) and logs the refusal as an
	// error; nothing is wrong, so it is recorded at debug level.
	if strings.Contains(msg, "connection is shared") {
		a.l.Debug(msg)
		return
	}
	a.l.Error(msg)
}
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
