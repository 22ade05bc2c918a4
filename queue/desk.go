package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk's task types, all on the critical queue: a resident is
// waiting. The desk's messages go out through the one send path
// (message:wechat, message:sms).
const (
	TypeInbound  = "desk:inbound"     // payload gateway.Inbound
	TypeEscalate = "tickets:escalate" // payload escalatePayload, processed at the deadline

	// Task types of earlier versions, still handled so that an upgrade
	// loses nothing queued before it: a reply is handled as TypeInbound; a
	// desk send carried an id the ledger migration renumbered, so it is
	// dropped — the tick's requeue enqueues the pending message
	// under its new id.
	legacyTypeInbound  = "inbox:inbound"
	legacyTypeOutbound = "inbox:send"
)

type escalatePayload struct {
	TicketID int64 `json:"ticket_id"`
}

// Inbound puts one resident's message on the critical queue for the desk:
// the gateway.Sink's message side. Its task id is the channel and provider
// message id, so a provider retry that arrives while the first delivery is
// queued is dropped here; the store's dedupe catches later ones.
func (e *Enqueuer) Inbound(ctx context.Context, in gateway.Inbound) error {
	return e.enqueue(ctx, TypeInbound, in, asynq.Queue(QueueCritical),
		asynq.TaskID("in:"+string(in.Channel)+":"+in.ProviderMsgID), asynq.Retention(10*time.Minute),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(time.Minute))
}

// ScheduleEscalation enqueues the escalation check of a ticket at due
// (desk.Dispatcher). The task id names the ticket, level and deadline:
// one check per deadline however often it is scheduled.
func (e *Enqueuer) ScheduleEscalation(ctx context.Context, ticketID int64, level tickets.Level, due time.Time) error {
	if due.IsZero() {
		return nil
	}
	id := fmt.Sprintf("esc:%d:%s:%d", ticketID, level, due.Unix())
	return e.enqueue(ctx, TypeEscalate, escalatePayload{TicketID: ticketID}, asynq.Queue(QueueCritical),
		asynq.TaskID(id), asynq.ProcessAt(due), asynq.Retention(time.Hour), asynq.MaxRetry(e.cfg.MaxRetry))
}

// releaseLock deletes a lock only while it holds the caller's token.
var releaseLock = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// senderLockTTL bounds how long one sender's message may hold the
// sender's lock (a crashed worker's lock expires).
const senderLockTTL = 30 * time.Second

// deskMessage is a webhook's message as the desk reads it.
func deskMessage(in gateway.Inbound) desk.Message {
	return desk.Message{Channel: in.Channel, ProviderMsgID: in.ProviderMsgID, From: in.From, Kind: desk.Kind(in.Kind),
		Text: in.Text, At: in.At, ExtendCode: in.ExtendCode, MediaID: in.MediaID}
}

func (h *handlers) inbound(ctx context.Context, t *asynq.Task) error {
	var in gateway.Inbound
	if err := decode(t, &in); err != nil {
		return err
	}
	// One sender's messages are handled one at a time: residents write in
	// bursts ("你好" "楼道灯坏了" "能来修吗"), and handled side by side each
	// would find no open ticket and open its own. A message that finds the
	// lock taken waits a moment without burning a retry.
	key := "gridcast:desk:sender:" + string(in.Channel) + ":" + in.From
	token := t.ResultWriter().TaskID()
	ok, err := h.lim.rdb.SetNX(ctx, key, token, senderLockTTL).Result()
	if err != nil {
		return fmt.Errorf("queue: inbound sender lock: %w", err)
	}
	if !ok {
		h.log.DebugContext(ctx, "inbound_sender_busy", "task_id", token)
		return &Deferred{Until: h.cfg.Now().Add(time.Second), Reason: outbound.WaitSenderBusy}
	}
	defer func() {
		// Release only our own lock (it may have expired and been taken).
		if err := releaseLock.Run(context.WithoutCancel(ctx), h.lim.rdb, []string{key}, token).Err(); err != nil {
			h.log.WarnContext(ctx, "sender_lock_release_failed", "err", err)
		}
	}()
	_, err = h.deps.Desk.Handle(ctx, deskMessage(in))
	return err
}

// legacyOutbound drops a desk send task of an earlier version (see
// legacyTypeOutbound).
func (h *handlers) legacyOutbound(ctx context.Context, t *asynq.Task) error {
	h.log.InfoContext(ctx, "legacy_task_dropped", "type", t.Type())
	return nil
}

func (h *handlers) escalate(ctx context.Context, t *asynq.Task) error {
	var p escalatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	err := h.deps.Desk.Escalate(ctx, p.TicketID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	return err
}
