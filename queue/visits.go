package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
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

// VisitStore books visit slots and keeps their reminders. *store.Store
// satisfies it. The queue uses Deps.Ledger as its VisitStore when it
// implements it; without one, visit campaigns skip every resident with
// no_slot and no reminders go out.
type VisitStore interface {
	// WorkerVisits returns a worker's live visits overlapping [from, to).
	WorkerVisits(ctx context.Context, workerID int64, from, to time.Time) ([]campaigns.Visit, error)
	// BookSlot books a proposed visit; booking the live slot the resident
	// already holds is a no-op, any other collision wraps a conflict.
	BookSlot(ctx context.Context, workerID, residentID, campaignID int64, start, end time.Time) error
	// SlotFor returns the resident's live visit in a campaign, or
	// fault.ErrNotFound.
	SlotFor(ctx context.Context, residentID, campaignID int64) (campaigns.Visit, error)
	// DueReminders lists confirmed visits starting in [from, to) whose
	// reminder is unclaimed.
	DueReminders(ctx context.Context, from, to time.Time, limit int) ([]campaigns.Visit, error)
	// ClaimReminder is a compare and set: true for exactly one caller.
	ClaimReminder(ctx context.Context, slotID int64, ch population.Channel, at time.Time) (bool, error)
	// SettleReminder records the provider id, or the code of a reminder
	// not sent; ReleaseReminder undoes an unsettled claim.
	SettleReminder(ctx context.Context, slotID int64, providerID, code string) error
	ReleaseReminder(ctx context.Context, slotID int64) error
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

// remindTaskID is the id of the reminder scan enqueued for the period
// around now, so that several schedulers enqueue one.
func remindTaskID(now time.Time) string {
	return "remind:" + now.Round(time.Minute).UTC().Format("200601021504")
}

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
// (campaigns.SkipNoSlot). An error is the store's: the chunk is retried.
func (b *slotBooker) book(ctx context.Context, r population.Resident) (campaigns.SkipReason, error) {
	if b.vs == nil {
		return campaigns.SkipNoSlot, nil
	}
	w, _, err := b.h.wrk.get(ctx, r.GridCode)
	if err != nil {
		return "", err
	}
	if w.ID == 0 {
		b.h.log.WarnContext(ctx, "visit_no_worker", "campaign_id", b.c.ID, "resident_id", r.ID, "grid", r.GridCode)
		return campaigns.SkipNoSlot, nil
	}
	for try := 1; ; try++ {
		a, err := b.allocator(ctx, w)
		if err != nil || a == nil {
			return campaigns.SkipNoSlot, err
		}
		s, err := a.Next(r.ID)
		if errors.Is(err, campaigns.ErrNoSlot) {
			b.h.log.InfoContext(ctx, "visit_no_slot", "campaign_id", b.c.ID, "resident_id", r.ID, "worker_id", w.ID, "err", err)
			return campaigns.SkipNoSlot, nil
		}
		if err != nil {
			return "", fmt.Errorf("queue: visit slot: %w", err)
		}
		err = b.vs.BookSlot(ctx, w.ID, r.ID, b.c.ID, s.Start, s.End)
		if err == nil {
			return campaigns.SkipNone, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return "", fmt.Errorf("queue: book visit: %w", err)
		}
		// The resident already holds a slot in this campaign that the
		// allocator did not see (booked before a late resume moved From):
		// that booking stands.
		if _, e := b.vs.SlotFor(ctx, r.ID, b.c.ID); e == nil {
			return campaigns.SkipNone, nil
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

// remindVisits sends the reminders that are due: confirmed visits starting
// before the end of tomorrow (Beijing time) whose reminder time
// (campaigns.ReminderAt, 18:00 the day before) has come, outside the quiet
// hours. Each reminder is claimed with a compare and set before it is
// sent, so several processes, or a repeated scan, send it once; a send
// that failed for now is released for the next scan. A crash between the
// claim and the send loses that reminder (at most once, by design: a
// second reminder is worse than none).
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
		if err := h.remind(ctx, vs, v, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.log.WarnContext(ctx, "remind_errors", "err", err)
		return err
	}
	return nil
}

// remind sends one visit's reminder with the campaign's own content, on
// the channel the campaign's policy picks for the resident now. Frequency
// caps do not hold it back: the resident asked for the visit. Opt-outs,
// a cancelled campaign and an unreachable resident settle it unsent.
func (h *handlers) remind(ctx context.Context, vs VisitStore, v campaigns.Visit, now time.Time) error {
	c, err := h.deps.Ledger.Campaign(ctx, v.CampaignID)
	if err != nil {
		return fmt.Errorf("queue: remind: campaign %d: %w", v.CampaignID, err)
	}
	rs, err := h.deps.Audience.Residents(ctx, []int64{v.ResidentID})
	if err != nil {
		return fmt.Errorf("queue: remind: resident %d: %w", v.ResidentID, err)
	}
	r := rs[v.ResidentID]
	skip := campaigns.SkipNone
	ch := population.Channel("")
	switch {
	case c.State == campaigns.StateCancelled:
		skip = campaigns.SkipCancelled
	case r.ID == 0:
		skip = campaigns.SkipNoChannel
	case r.OptedOut(c.Kind.Topic()):
		skip = campaigns.SkipOptedOut
	default:
		ch, skip = campaigns.ChooseChannel(c.ChannelPolicy, r, false)
	}
	if skip != campaigns.SkipNone {
		return h.settleReminder(ctx, vs, v, ch, now, "", "skipped:"+string(skip))
	}
	w, gridName, err := h.wrk.get(ctx, r.GridCode)
	if err != nil {
		return err
	}
	vars := campaigns.Vars{Resident: r, Worker: w, GridName: gridName, Campaign: c, Slot: v.Start}
	var params map[string]string
	if ch == population.ChannelSMS {
		params, err = campaigns.RenderParams(c.SMS.Params, vars)
	} else {
		params, err = campaigns.RenderFields(c.WeChat.Fields, vars)
	}
	if err != nil {
		h.log.WarnContext(ctx, "remind_render_failed", "slot_id", v.ID, "campaign_id", c.ID, "err", err)
		return h.settleReminder(ctx, vs, v, ch, now, "", CodeRender)
	}
	if g, err := h.gate(ctx, ch, now); err != nil || g.kind != proceed {
		return err // rate limited or paused: the next scan tries again
	}
	ok, err := vs.ClaimReminder(ctx, v.ID, ch, now)
	if err != nil || !ok {
		return err // another process has it
	}
	providerID, err := h.sendReminder(ctx, c, r, ch, v, params)
	if err != nil {
		var se *gateway.SendError
		if errors.As(err, &se) && se.Class == gateway.Permanent {
			h.log.WarnContext(ctx, "remind_failed", "slot_id", v.ID, "channel", ch, "code", se.Code)
			return vs.SettleReminder(ctx, v.ID, "", se.Code)
		}
		h.log.WarnContext(ctx, "remind_retry", "slot_id", v.ID, "channel", ch, "err", err)
		return errors.Join(err, vs.ReleaseReminder(ctx, v.ID))
	}
	h.log.InfoContext(ctx, "visit_reminded", "slot_id", v.ID, "campaign_id", c.ID, "resident_id", r.ID, "channel", ch)
	return vs.SettleReminder(ctx, v.ID, providerID, "")
}

// settleReminder claims and settles a reminder that will not be sent.
func (h *handlers) settleReminder(ctx context.Context, vs VisitStore, v campaigns.Visit, ch population.Channel, now time.Time, providerID, code string) error {
	ok, err := vs.ClaimReminder(ctx, v.ID, ch, now)
	if err != nil || !ok {
		return err
	}
	h.log.InfoContext(ctx, "remind_skipped", "slot_id", v.ID, "code", code)
	return vs.SettleReminder(ctx, v.ID, providerID, code)
}

// reminderOutID is the OutId / client_msg_id of a visit's reminder:
// "visit-<slot id>", never a message id.
func reminderOutID(slotID int64) string { return "visit-" + strconv.FormatInt(slotID, 10) }

func (h *handlers) sendReminder(ctx context.Context, c campaigns.Campaign, r population.Resident, ch population.Channel, v campaigns.Visit, params map[string]string) (string, error) {
	switch ch {
	case population.ChannelSMS:
		if h.deps.SMS == nil {
			return "", &gateway.SendError{Channel: string(ch), Class: gateway.Permanent, Code: CodeNoSender}
		}
		rec, err := h.deps.SMS.Send(ctx, aliyunsms.Message{Phone: r.Phone, TemplateCode: c.SMS.TemplateCode, Params: params,
			OutID: reminderOutID(v.ID), ExtendCode: c.ExtendCode, SignName: c.SMS.SignName})
		if err != nil {
			return "", err
		}
		return smsKey(rec.BizID, r), nil
	default:
		if h.deps.WeChat == nil {
			return "", &gateway.SendError{Channel: string(ch), Class: gateway.Permanent, Code: CodeNoSender}
		}
		id, err := h.deps.WeChat.SendTemplate(ctx, wechat.TemplateMessage{ToUser: r.OpenID, TemplateID: c.WeChat.TemplateID,
			URL: c.WeChat.URL, Data: params, ClientMsgID: reminderOutID(v.ID)})
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(id, 10), nil
	}
}
