package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// Visit schedules (走访预约)
//
// The fan-out books each resident's slot before it writes their message:
// the slot must be on the ledger before the message that proposes it goes
// out, and a re-run of the fan-out must propose the same slot. A send
// reads the booking back (SlotFor) and renders {{slot}} from it, so a slot
// moved in the meantime is what the message says. The day before a
// confirmed visit (from 18:00, campaigns.ReminderAt) the reminder scan
// sends the campaign's own content again, with the slot, once.

// VisitStore books visit slots and finds the reminders that are due.
// *store.Store satisfies it. The queue uses Deps.Ledger as its VisitStore
// when it implements it; without one, visit campaigns skip every resident
// with no_slot and no reminders go out.
type VisitStore interface {
	// WorkerVisits returns a worker's live visits overlapping [from, to).
	WorkerVisits(ctx context.Context, workerID int64, from, to time.Time) ([]campaigns.Visit, error)
	// BookSlot books a proposed visit; booking the live slot the resident
	// already holds is a no-op, any other collision wraps a conflict.
	BookSlot(ctx context.Context, v campaigns.Visit) error
	// SlotFor returns the resident's live visit in a campaign, or
	// fault.ErrNotFound.
	SlotFor(ctx context.Context, residentID, campaignID int64) (campaigns.Visit, error)
	// DueReminders lists confirmed visits starting in [from, to) that have
	// no reminder on the ledger yet.
	DueReminders(ctx context.Context, from, to time.Time, limit int) ([]campaigns.Visit, error)
}

// TypeRemindVisits is the reminder scan: no payload; queue critical, every
// five minutes (RemindSpec) from the scheduler, task id per period.
const TypeRemindVisits = "visits:remind"

// RemindSpec is the reminder scan's cron spec. It runs whenever the
// scheduler runs (Config.TickSpec other than "-").
const RemindSpec = "*/5 * * * *"

// remindLimit is how many due visits one scan looks at; the next scan
// takes the rest.
const remindLimit = 500

// bookTries is how often a booking is retried after another process took
// the slot the allocator offered.
const bookTries = 3

func (h *handlers) visits() VisitStore {
	vs, _ := h.deps.Ledger.(VisitStore)
	return vs
}

// remindPeriod is how often RemindSpec fires.
const remindPeriod = 5 * time.Minute

// RemindVisits enqueues a reminder scan now (the Server's scheduler does
// so every five minutes).
func (e *Enqueuer) RemindVisits(ctx context.Context) error {
	return e.enqueue(ctx, TypeRemindVisits, struct{}{}, asynq.Queue(QueueCritical), asynq.MaxRetry(0), asynq.Retention(0))
}

// slotBooker books the slots of one fan-out: one allocator per worker for
// the whole run, built from the worker's visiting hours and the bookings
// the store holds, so a chunk does not re-read bookings per resident. It
// is not safe for concurrent use.
type slotBooker struct {
	h    *handlers
	vs   VisitStore
	c    campaigns.Campaign
	from time.Time
	// allocs holds one allocator per worker id; nil for a worker whose
	// visiting hours do not parse (logged once).
	allocs map[int64]*campaigns.SlotAllocator
}

// newSlotBooker returns the booker of a visit campaign's run that started
// at runAt, or nil for other kinds. Slots start the day after the run (a
// day's notice, and the reminder the evening before), or the day after now
// when the fan-out runs late.
func (h *handlers) newSlotBooker(c campaigns.Campaign, runAt, now time.Time) *slotBooker {
	if c.Kind != campaigns.KindVisitSchedule {
		return nil
	}
	return &slotBooker{h: h, vs: h.visits(), c: c, from: nextMidnight(later(runAt, now)),
		allocs: map[int64]*campaigns.SlotAllocator{}}
}

func nextMidnight(t time.Time) time.Time {
	y, m, d := t.In(campaigns.Shanghai()).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, campaigns.Shanghai())
}

// book gives r a slot with their grid worker, or says why not
// (outbound.SkipNoSlot). An error is the store's: the chunk is retried.
func (b *slotBooker) book(ctx context.Context, r population.Resident) (outbound.SkipReason, error) {
	if b.vs == nil {
		return outbound.SkipNoSlot, nil
	}
	w, _, err := b.h.wrk.get(ctx, r.GridCode)
	if err != nil {
		return "", err
	}
	if w.ID == 0 {
		b.h.log.WarnContext(ctx, "visit_no_worker", "campaign_id", b.c.ID, "resident_id", r.ID, "grid", r.GridCode)
		return outbound.SkipNoSlot, nil
	}
	for try := 1; ; try++ {
		a, err := b.allocator(ctx, w)
		if err != nil || a == nil {
			return outbound.SkipNoSlot, err
		}
		s, err := a.Next(r.ID)
		if errors.Is(err, campaigns.ErrNoSlot) {
			b.h.log.InfoContext(ctx, "visit_no_slot", "campaign_id", b.c.ID, "resident_id", r.ID, "worker_id", w.ID, "err", err)
			return outbound.SkipNoSlot, nil
		}
		if err != nil {
			return "", fmt.Errorf("queue: visit slot: %w", err)
		}
		err = b.vs.BookSlot(ctx, campaigns.Visit{WorkerID: w.ID, ResidentID: r.ID, CampaignID: b.c.ID, Start: s.Start, End: s.End})
		if err == nil {
			return outbound.SkipNone, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return "", fmt.Errorf("queue: book visit: %w", err)
		}
		// The resident already holds a slot in this campaign that the
		// allocator did not see (booked before a late resume moved From):
		// that booking stands.
		if _, e := b.vs.SlotFor(ctx, r.ID, b.c.ID); e == nil {
			return outbound.SkipNone, nil
		}
		if try == bookTries {
			return "", fmt.Errorf("queue: book visit with worker %d: %w", w.ID, err)
		}
		delete(b.allocs, w.ID) // another process booked that time: re-read the worker's bookings
	}
}

// allocator returns the worker's allocator for this run, built on first
// use; nil when the worker's visiting hours do not parse.
func (b *slotBooker) allocator(ctx context.Context, w population.Worker) (*campaigns.SlotAllocator, error) {
	if a, ok := b.allocs[w.ID]; ok {
		return a, nil
	}
	windows, err := campaigns.ParseVisitingHours(w.VisitingHours)
	if err != nil {
		b.h.log.ErrorContext(ctx, "visit_hours_invalid", "alert", true, "worker_id", w.ID, "err", err)
		b.allocs[w.ID] = nil
		return nil, nil
	}
	to := b.from.AddDate(0, 0, campaigns.DefaultHorizonDays+1)
	vs, err := b.vs.WorkerVisits(ctx, w.ID, b.from, to)
	if err != nil {
		return nil, fmt.Errorf("queue: worker %d visits: %w", w.ID, err)
	}
	booked := make([]campaigns.Slot, len(vs))
	for i, v := range vs {
		booked[i] = campaigns.Slot{Start: v.Start, End: v.End}
		if v.CampaignID == b.c.ID {
			booked[i].ResidentID = v.ResidentID // so a re-run hands it back
		}
	}
	a, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{Windows: windows, From: b.from, Booked: booked,
		Location: campaigns.Shanghai(), HorizonDays: campaigns.DefaultHorizonDays})
	if err != nil {
		b.h.log.ErrorContext(ctx, "visit_hours_invalid", "alert", true, "worker_id", w.ID, "err", err)
		b.allocs[w.ID] = nil
		return nil, nil
	}
	b.allocs[w.ID] = a
	return a, nil
}

// visitSlot is the start of the resident's live slot in a visit campaign,
// for {{slot}}; ok is false when there is none (moved without a new
// booking, or cancelled).
func (h *handlers) visitSlot(ctx context.Context, c campaigns.Campaign, residentID int64) (time.Time, bool, error) {
	if c.Kind != campaigns.KindVisitSchedule {
		return time.Time{}, true, nil
	}
	vs := h.visits()
	if vs == nil {
		return time.Time{}, false, nil
	}
	v, err := vs.SlotFor(ctx, residentID, c.ID)
	if errors.Is(err, fault.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("queue: visit slot of resident %d: %w", residentID, err)
	}
	return v.Start, true, nil
}

// remindVisits writes the reminders that are due on the ledger and hands
// them to the send path: confirmed visits starting before the end of
// tomorrow (Beijing time) whose reminder time (campaigns.ReminderAt, 18:00
// the day before) has come, outside the quiet hours. A reminder is one
// ledger row per slot and channel, so several processes, or a repeated
// scan, write and send it once; it then lives like every other message —
// claimed once, retried, reconciled after a crash, matched to its receipt,
// replaced by an SMS when WeChat refuses it.
func (h *handlers) remindVisits(ctx context.Context, _ *asynq.Task) error {
	vs := h.visits()
	if vs == nil {
		return nil
	}
	now := h.cfg.Now()
	if next := h.cfg.QuietHours.NextAllowed(now); next.After(now) {
		return nil
	}
	due, err := vs.DueReminders(ctx, now, nextMidnight(nextMidnight(now)), remindLimit)
	if err != nil {
		return fmt.Errorf("queue: remind: %w", err)
	}
	var errs []error
	for _, v := range due {
		if campaigns.ReminderAt(v.Start, campaigns.Shanghai()).After(now) {
			continue
		}
		if err := h.remind(ctx, v, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.log.WarnContext(ctx, "remind_errors", "err", err)
		return err
	}
	return nil
}

// remind writes one visit's reminder, on the channel the campaign's policy
// picks for the resident now, and enqueues it; a resident who opted out or
// cannot be reached, or a cancelled campaign, gets a skipped reminder on
// the ledger, so the visit is not looked at again and the reason is kept.
// Frequency caps do not apply: the resident asked for the visit.
func (h *handlers) remind(ctx context.Context, v campaigns.Visit, now time.Time) error {
	c, err := h.deps.Ledger.Campaign(ctx, v.CampaignID)
	if err != nil {
		return fmt.Errorf("queue: remind: campaign %d: %w", v.CampaignID, err)
	}
	rs, err := h.deps.Audience.Residents(ctx, []int64{v.ResidentID})
	if err != nil {
		return fmt.Errorf("queue: remind: resident %d: %w", v.ResidentID, err)
	}
	r := rs[v.ResidentID]
	m := outbound.Message{Purpose: outbound.PurposeReminder, CampaignID: c.ID, SlotID: v.ID, ResidentID: v.ResidentID,
		NotBefore: now, Deadline: v.Start, CreatedAt: now}
	switch {
	case c.State == campaigns.StateCancelled:
		m.SkipReason = outbound.SkipCancelled
	case r.ID == 0:
		m.SkipReason = outbound.SkipNoChannel
	case r.OptedOut(c.Kind.Topic()):
		m.SkipReason = outbound.SkipOptedOut
	default:
		m.Channel, m.SkipReason = campaigns.ChooseChannel(c.ChannelPolicy, r, false)
	}
	m.Route = outbound.RouteFor(m.Channel)
	if m.SkipReason != outbound.SkipNone {
		m.Status = outbound.StatusSkipped
	}
	stored, created, err := h.deps.Ledger.CreateMessage(ctx, m)
	if err != nil {
		return fmt.Errorf("queue: remind: slot %d: %w", v.ID, err)
	}
	if !created || stored.Status != outbound.StatusPending {
		if created {
			h.log.InfoContext(ctx, "remind_skipped", "slot_id", v.ID, "reason", stored.SkipReason)
		}
		return nil
	}
	h.log.InfoContext(ctx, "visit_reminder", "slot_id", v.ID, "campaign_id", c.ID, "message_id", stored.ID, "channel", stored.Channel)
	return h.enq.EnqueueSend(ctx, stored)
}

// screenReminder checks a claimed reminder at send time, as screen does a
// campaign message but without caps: the campaign not cancelled, the
// resident reachable on the reminder's channel, the quiet hours over, and
// the visit still confirmed and ahead; then renders the campaign's content
// with the visit's time.
func (h *handlers) screenReminder(ctx context.Context, j *job, now time.Time) (verdict, error) {
	if j.c.State == campaigns.StateCancelled {
		return verdict{kind: skipIt, skip: outbound.SkipCancelled}, nil
	}
	if v, ok := h.reachable(j); !ok {
		return v, nil
	}
	if next := h.cfg.QuietHours.NextAllowed(now); next.After(now) {
		return verdict{kind: deferIt, until: next, reason: string(outbound.SkipQuietHours)}, nil
	}
	vs := h.visits()
	if vs == nil {
		return verdict{kind: skipIt, skip: outbound.SkipNoSlot}, nil
	}
	v, err := vs.SlotFor(ctx, j.r.ID, j.c.ID)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && (v.ID != j.m.SlotID || v.State != campaigns.VisitConfirmed)) {
		return verdict{kind: skipIt, skip: outbound.SkipNoSlot}, nil
	}
	if err != nil {
		return verdict{}, fmt.Errorf("queue: visit slot of resident %d: %w", j.r.ID, err)
	}
	if !v.Start.After(now) {
		return verdict{kind: skipIt, skip: outbound.SkipExpired}, nil
	}
	return h.render(ctx, j, v.Start)
}
