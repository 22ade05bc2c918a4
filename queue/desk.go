package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk's task types, all on the critical queue: a resident is
// waiting.
const (
	TypeInbound  = "inbox:inbound"    // payload desk.Message
	TypeOutbound = "inbox:send"       // payload outboundPayload
	TypeEscalate = "tickets:escalate" // payload escalatePayload, processed at the deadline
)

type outboundPayload struct {
	OutboundID int64 `json:"outbound_id"`
}

type escalatePayload struct {
	TicketID int64 `json:"ticket_id"`
}

// EnqueueInbound puts one resident message on the critical queue for the
// desk. Its task id is the channel and provider message id, so a provider
// retry that arrives while the first delivery is queued is dropped here;
// the store's dedupe catches later ones.
func (e *Enqueuer) EnqueueInbound(ctx context.Context, m desk.Message) error {
	return e.enqueue(ctx, TypeInbound, m, asynq.Queue(QueueCritical),
		asynq.TaskID("in:"+string(m.Channel)+":"+m.ProviderMsgID), asynq.Retention(10*time.Minute),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(time.Minute))
}

// EnqueueWeChat is the /wechat/callback handler's hand-off: template
// receipts go to the receipt task, residents' messages and follow events
// to the desk, anything else (menu clicks) is dropped.
func (e *Enqueuer) EnqueueWeChat(ctx context.Context, in wechat.Inbound) error {
	if in.Kind == wechat.KindTemplateFinish {
		return e.EnqueueWeChatReceipt(ctx, in)
	}
	m, ok := desk.FromWeChat(in)
	if !ok {
		return nil
	}
	return e.EnqueueInbound(ctx, m)
}

// EnqueueUplinks is the /aliyun/sms/up handler's hand-off.
func (e *Enqueuer) EnqueueUplinks(ctx context.Context, us []aliyunsms.Uplink) error {
	var errs []error
	for _, u := range us {
		errs = append(errs, e.EnqueueInbound(ctx, desk.FromUplink(u)))
	}
	return errors.Join(errs...)
}

// SendOutbound enqueues the send of one desk message (desk.Dispatcher),
// task id "out:<id>".
func (e *Enqueuer) SendOutbound(ctx context.Context, id int64) error {
	return e.enqueue(ctx, TypeOutbound, outboundPayload{OutboundID: id}, asynq.Queue(QueueCritical),
		asynq.TaskID("out:"+strconv.FormatInt(id, 10)), asynq.Retention(0),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(2*time.Minute))
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

func (h *handlers) inbound(ctx context.Context, t *asynq.Task) error {
	var m desk.Message
	if err := decode(t, &m); err != nil {
		return err
	}
	// One sender's messages are handled one at a time: residents write in
	// bursts ("你好" "楼道灯坏了" "能来修吗"), and handled side by side each
	// would find no open ticket and open its own. A message that finds the
	// lock taken waits a moment without burning a retry.
	key := "gridcast:desk:sender:" + string(m.Channel) + ":" + m.From
	token := t.ResultWriter().TaskID()
	ok, err := h.lim.rdb.SetNX(ctx, key, token, senderLockTTL).Result()
	if err != nil {
		return fmt.Errorf("queue: inbound sender lock: %w", err)
	}
	if !ok {
		h.log.DebugContext(ctx, "inbound_sender_busy", "task_id", token)
		return &Deferred{Until: h.cfg.Now().Add(time.Second), Reason: "sender_busy"}
	}
	defer func() {
		// Release only our own lock (it may have expired and been taken).
		if err := releaseLock.Run(context.WithoutCancel(ctx), h.lim.rdb, []string{key}, token).Err(); err != nil {
			h.log.WarnContext(ctx, "sender_lock_release_failed", "err", err)
		}
	}()
	_, err = h.deps.Inbox.Handle(ctx, m)
	return err
}

func (h *handlers) outbound(ctx context.Context, t *asynq.Task) error {
	var p outboundPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	err := h.deps.Inbox.Send(ctx, p.OutboundID)
	var se *gateway.SendError
	if errors.As(err, &se) && se.Class != gateway.Retryable {
		// Throttled, quota, configuration: wait without burning retries.
		wait := se.RetryAfter
		if wait <= 0 {
			wait = time.Minute
		}
		return &Deferred{Until: h.cfg.Now().Add(wait), Reason: "desk_" + se.Class.String()}
	}
	return err
}

func (h *handlers) escalate(ctx context.Context, t *asynq.Task) error {
	var p escalatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	err := h.deps.Inbox.Escalate(ctx, p.TicketID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	return err
}

// deskReceipt hands a receipt no campaign message claimed to the desk.
func (h *handlers) deskReceipt(ctx context.Context, ch population.Channel, providerID string, delivered bool, code string, at time.Time) (bool, error) {
	if h.deps.Inbox == nil || providerID == "" {
		return false, nil
	}
	return h.deps.Inbox.Receipt(ctx, ch, providerID, delivered, code, at)
}
