package main

import (
	"context"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// storeOnly is the CLI's desk.Dispatcher when no shared Redis is
// configured (redis.addr empty: the workers' Redis lives inside their own
// process). What the desk writes is already on the ledger; a running
// worker's per-minute tick sends pending messages (the requeue of singles) and
// escalates overdue tickets (Sweep), so there is nothing to hand over.
type storeOnly struct{}

var _ desk.Dispatcher = storeOnly{}

func (storeOnly) EnqueueSend(context.Context, outbound.Message) error { return nil }

func (storeOnly) ScheduleEscalation(context.Context, int64, tickets.Level, time.Time) error {
	return nil
}

// cliDesk is the ticket desk as a CLI command uses it: no provider
// senders (sending is the workers' job) and a dispatcher that reaches the
// workers through the configured Redis, or the store alone.
type cliDesk struct {
	*desk.Service
	// queued says what happens to the messages a command queued, for its
	// output.
	queued string
	close  func()
}

// openDesk builds the desk over st for a command that changes tickets.
// Call close when done.
func (a *app) openDesk(ctx context.Context, st *store.Store) (*cliDesk, error) {
	return a.openDeskWith(ctx, st, nil)
}

// openDeskWith is openDesk with media as the desk's blob store (nil: none,
// for the commands that keep no photos).
func (a *app) openDeskWith(ctx context.Context, st *store.Store, media desk.Media) (*cliDesk, error) {
	cfg, err := a.cfg.deskConfig(a.log)
	if err != nil {
		return nil, err
	}
	d := &cliDesk{queued: "queued; a running worker sends it within a minute", close: func() {}}
	var disp desk.Dispatcher = storeOnly{}
	if a.cfg.Redis.Addr != "" {
		rt := &runtime{}
		if err := a.openRedis(ctx, rt); err != nil {
			rt.close()
			return nil, err
		}
		enq := queue.NewEnqueuer(rt.rdb, a.cfg.queueConfig())
		disp, d.queued = enq, "queued for the workers"
		d.close = func() {
			_ = enq.Close()
			rt.close()
		}
	}
	d.Service, err = desk.New(cfg, desk.Deps{Store: st, Dispatcher: disp, Log: a.log, Media: media})
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// withDesk opens the store and the desk, runs fn and closes both.
func (a *app) withDesk(ctx context.Context, fn func(*store.Store, *cliDesk) error) error {
	return a.withStore(ctx, func(st *store.Store) error {
		d, err := a.openDesk(ctx, st)
		if err != nil {
			return err
		}
		defer d.close()
		return fn(st, d)
	})
}

// defaultActor is who a change is recorded as when --by is not given: the
// login name, else "cli".
func (a *app) defaultActor() string {
	if u, ok := a.env.lookup("USER"); ok && u != "" {
		return u
	}
	return "cli"
}
