package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// Enqueuer puts GridCast's tasks on the queue: campaign runs, the sends of
// ledger messages, residents' replies and provider receipts (it is the
// webhooks' gateway.Sink). It is safe for concurrent use. Close releases
// it (the shared Redis client stays open).
type Enqueuer struct {
	cfg    Config
	client *asynq.Client
	insp   *asynq.Inspector
}

var _ gateway.Sink = (*Enqueuer)(nil)

// NewEnqueuer returns an Enqueuer over rdb, which it shares and does not
// close. cfg's defaults are applied; it is not validated here.
func NewEnqueuer(rdb redis.UniversalClient, cfg Config) *Enqueuer {
	return &Enqueuer{
		cfg:    cfg.withDefaults(),
		client: asynq.NewClientFromRedisClient(rdb),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
	}
}

// Close releases nothing and returns nil: the Enqueuer's Asynq client and
// inspector ride on the Redis client it was given, which its owner closes
// (asynq refuses to close a shared connection, with an error that only
// said so). It is kept so that callers need not know.
func (e *Enqueuer) Close() error { return nil }

// enqueue treats a task id conflict as success: the task is already
// queued (or running).
func (e *Enqueuer) enqueue(ctx context.Context, typ string, payload any, opts ...asynq.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("queue: %s: %w", typ, err)
	}
	_, err = e.client.EnqueueContext(ctx, asynq.NewTask(typ, b), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue: enqueue %s: %w", typ, err)
	}
	return nil
}

// StartCampaign enqueues the expansion of run of a campaign that started
// at runAt (ScheduleAt for a one-off campaign, the cron fire time of a
// recurring run; the messages' deadline derives from it). Its task id is
// "expand:<id>:<run>": an expansion already queued or running makes this a
// no-op, and one that completed may run again harmlessly — it resumes from
// the run's checkpoint. The campaign must be running for anything to be
// written.
func (e *Enqueuer) StartCampaign(ctx context.Context, campaignID int64, run int, runAt time.Time) error {
	return e.enqueue(ctx, TypeExpand, expandPayload{CampaignID: campaignID, Run: run, RunAt: runAt},
		asynq.Queue(QueueDefault), asynq.TaskID(expandTaskID(campaignID, run)),
		asynq.Retention(0), asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(time.Hour))
}

// completionBucket is the span of the completion checks: one check per
// campaign per span, run after the span ends.
const completionBucket = 2 * time.Second

// checkCompletion enqueues a check whether campaignID is complete, run
// just after the current completionBucket ends: a send recorded during
// the span is seen by the span's check, so a campaign completes within
// seconds of its last outcome, and a campaign sending thousands of
// messages a second is checked once per span (the task id "complete:<id>:
// <span>" makes the other enqueues no-ops).
func (e *Enqueuer) checkCompletion(ctx context.Context, campaignID int64) error {
	span := time.Now().UnixNano() / int64(completionBucket)
	at := time.Unix(0, (span+1)*int64(completionBucket)).Add(500 * time.Millisecond)
	return e.enqueue(ctx, TypeComplete, completePayload{CampaignID: campaignID}, asynq.Queue(QueueDefault),
		asynq.TaskID(fmt.Sprintf("complete:%d:%d", campaignID, span)), asynq.ProcessAt(at), asynq.Retention(0),
		asynq.MaxRetry(3))
}

// Tick enqueues a scheduler tick now (the Server's scheduler does so every
// minute): scheduled campaigns whose time came start, finished runs
// complete, stale receipts are reconciled.
func (e *Enqueuer) Tick(ctx context.Context) error {
	return e.enqueue(ctx, TypeTick, struct{}{}, asynq.Queue(QueueCritical), asynq.MaxRetry(0), asynq.Retention(0))
}

// sendQueue is the queue a message's send goes on: the desk's messages
// and a test send answer someone who is waiting (critical); campaign
// messages and reminders are bulk.
func sendQueue(m outbound.Message) string {
	if m.Purpose.Composed() {
		return QueueCritical
	}
	return QueueBulk
}

// EnqueueSend enqueues the send task of one pending message of any
// purpose, task id "send:<id>", at the later of its NotBefore and — for a
// campaign message or reminder — the end of the quiet hours. It is what
// the fan-out, the desk (desk.Dispatcher) and the rebuilds call; a
// conflict means the task exists and is fine. A campaign run's SMS are
// grouped for SendBatchSms when Config.SMSBatch is on.
func (e *Enqueuer) EnqueueSend(ctx context.Context, m outbound.Message) error {
	return e.enqueueSend(ctx, m, sendTaskID(m.ID))
}

// enqueueSend is EnqueueSend under task id id.
func (e *Enqueuer) enqueueSend(ctx context.Context, m outbound.Message, id string) error {
	now := e.cfg.Now()
	at := later(m.NotBefore, now)
	if !m.Purpose.Composed() {
		at = e.cfg.QuietHours.NextAllowed(at)
	}
	opts := []asynq.Option{
		asynq.Queue(sendQueue(m)), asynq.TaskID(id), asynq.Retention(0),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(e.cfg.SendTimeout),
	}
	if at.After(now) {
		opts = append(opts, asynq.ProcessAt(wall(at, now)))
	}
	typ := TypeSendWeChat
	if m.Route.Channel() == population.ChannelSMS || m.Channel == population.ChannelSMS {
		typ = TypeSendSMS
		if *e.cfg.SMSBatch && m.Purpose == outbound.PurposeCampaign {
			opts = append(opts, asynq.Group(smsGroup(m.CampaignID, m.Run)))
		}
	}
	return e.enqueue(ctx, typ, sendPayload{MessageID: m.ID}, opts...)
}

// wall maps an instant on the injected clock to wall-clock time, which is
// what Asynq schedules by: the same distance from now.
func wall(at, now time.Time) time.Time { return time.Now().Add(at.Sub(now)) }

// rebuildPage is how many pending messages a rebuild reads at a time.
const rebuildPage = 1000

// RecoverStore is what Recover reads: the running campaigns and the
// pending messages. *store.Store satisfies it.
type RecoverStore interface {
	Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error)
	MessageFinder
}

// Recover re-enqueues the ledger's pending work, for what a Redis lost (a
// flush, a restart without persistence, a failover that lost writes not
// yet replicated): the expansion of every running one-off campaign (a
// no-op when it is queued; a finished one resumes from its checkpoint and
// writes nothing), every pending message of every running campaign, and
// every pending reminder and desk message. With dropArchived a message's
// archived task is deleted first (see Rebuild). The server runs it at
// start and every Config.RecoverEvery, and at once when it finds Redis
// emptied. It returns how many pending messages it saw.
func (e *Enqueuer) Recover(ctx context.Context, st RecoverStore, dropArchived bool) (int, error) {
	cs, err := st.Campaigns(ctx, campaigns.StateRunning, 1000)
	if err != nil {
		return 0, fmt.Errorf("queue: recover: %w", err)
	}
	total := 0
	for _, c := range cs {
		if c.Recurrence == "" { // a recurring campaign's run is resumed by the tick
			if err := e.StartCampaign(ctx, c.ID, 1, c.ScheduleAt); err != nil {
				return total, err
			}
		}
		n, err := e.rebuild(ctx, campaignPending(ctx, st, c.ID), dropArchived)
		total += n
		if err != nil {
			return total, err
		}
	}
	n, err := e.rebuild(ctx, e.singles(ctx, st), dropArchived)
	return total + n, err
}

// Rebuild re-enqueues every pending message of a campaign from the ledger,
// for work lost from Redis (a flushed or failed-over Redis without AOF). A
// message whose task still exists is left alone (task id conflict). An
// archived "send:<id>" task — retries exhausted or SkipRetry while the
// ledger still says pending, e.g. a crash between the two — would block
// the enqueue forever, so Rebuild deletes it first. It returns how many
// pending messages it saw.
func (e *Enqueuer) Rebuild(ctx context.Context, store MessageFinder, campaignID int64) (int, error) {
	return e.rebuild(ctx, campaignPending(ctx, store, campaignID), true)
}

// campaignPending pages a campaign's pending messages for rebuild.
func campaignPending(ctx context.Context, store MessageFinder, campaignID int64) func(after int64) ([]outbound.Message, error) {
	return func(after int64) ([]outbound.Message, error) {
		ms, err := store.MessagesByStatus(ctx, campaignID, outbound.StatusPending, after, rebuildPage)
		if err != nil {
			return nil, fmt.Errorf("queue: rebuild campaign %d: %w", campaignID, err)
		}
		return ms, nil
	}
}

// requeueSingles enqueues the pending messages outside campaign fan-outs
// whose task is missing: one enqueue each, a no-op for those still queued.
func (e *Enqueuer) requeueSingles(ctx context.Context, store MessageFinder) (int, error) {
	return e.rebuild(ctx, e.singles(ctx, store), false)
}

func (e *Enqueuer) singles(ctx context.Context, store MessageFinder) func(after int64) ([]outbound.Message, error) {
	return func(after int64) ([]outbound.Message, error) {
		ms, err := store.PendingSingles(ctx, after, rebuildPage)
		if err != nil {
			return nil, fmt.Errorf("queue: rebuild pending messages: %w", err)
		}
		return ms, nil
	}
}

// rebuild enqueues every message page returns, page after page; with
// dropArchived it first deletes a message's archived task, which would
// otherwise turn the enqueue into a no-op forever.
func (e *Enqueuer) rebuild(ctx context.Context, page func(after int64) ([]outbound.Message, error), dropArchived bool) (int, error) {
	var after int64
	n := 0
	for {
		ms, err := page(after)
		if err != nil {
			return n, err
		}
		for _, m := range ms {
			if dropArchived {
				if err := e.dropArchived(m); err != nil {
					return n, err
				}
			}
			if err := e.EnqueueSend(ctx, m); err != nil {
				return n, err
			}
			n++
			after = m.ID
		}
		if len(ms) < rebuildPage {
			return n, nil
		}
	}
}

// dropArchived deletes m's send task if it sits archived.
func (e *Enqueuer) dropArchived(m outbound.Message) error {
	q, id := sendQueue(m), sendTaskID(m.ID)
	info, err := e.insp.GetTaskInfo(q, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("queue: inspect %s: %w", id, err)
	case info.State != asynq.TaskStateArchived:
		return nil
	}
	if err := e.insp.DeleteTask(q, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("queue: delete archived %s: %w", id, err)
	}
	return nil
}

// receiptsPerTask is how many SMS reports of one push one task records.
const receiptsPerTask = 200

// Receipts enqueues delivery reports on the critical queue: the SMS
// reports of one /aliyun/sms/report push as tasks of up to receiptsPerTask,
// each recorded in one transaction (a report that arrives before its send
// was recorded is queued again alone, and retried); a WeChat template
// receipt as a task of its own. It is the gateway.Sink's receipt side.
func (e *Enqueuer) Receipts(ctx context.Context, rs []gateway.Receipt) error {
	var errs []error
	var sms []smsReceipt
	flush := func() {
		if len(sms) > 0 {
			errs = append(errs, e.enqueue(ctx, TypeReceiptsSMS, smsReceipts{Receipts: sms}, asynq.Queue(QueueCritical),
				asynq.MaxRetry(e.cfg.MaxRetry), asynq.Retention(0)))
			sms = nil
		}
	}
	for _, r := range rs {
		at := r.At
		if at.IsZero() {
			at = e.cfg.Now()
		}
		switch r.Channel {
		case population.ChannelSMS:
			sms = append(sms, smsReceipt{Phone: string(r.Phone), BizID: r.ProviderID, OutID: r.OutID,
				Success: r.Delivered, ErrCode: r.Code, ErrMsg: r.Message, At: at})
			if len(sms) == receiptsPerTask {
				flush()
			}
		case population.ChannelWeChat:
			var id int64
			if _, err := fmt.Sscan(r.ProviderID, &id); err != nil {
				errs = append(errs, fmt.Errorf("queue: wechat receipt: msgid %q: %w", r.ProviderID, err))
				continue
			}
			errs = append(errs, e.enqueue(ctx, TypeReceiptWeChat, wechatReceipt{MsgID: id, Status: r.Code,
				Delivered: r.Delivered, Blocked: r.Blocked, At: at}, asynq.Queue(QueueCritical),
				asynq.MaxRetry(e.cfg.MaxRetry), asynq.Retention(0)))
		default:
			errs = append(errs, fmt.Errorf("queue: receipt on channel %q", r.Channel))
		}
	}
	flush()
	return errors.Join(errs...)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
