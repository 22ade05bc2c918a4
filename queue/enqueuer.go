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
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/population"
)

// Enqueuer puts GridCast's tasks on the queue: campaign runs, rebuilt
// sends, provider receipts. It is safe for concurrent use. Close releases
// it (the shared Redis client stays open).
type Enqueuer struct {
	cfg    Config
	client *asynq.Client
	insp   *asynq.Inspector
}

// NewEnqueuer returns an Enqueuer over rdb, which it shares and does not
// close. cfg's defaults are applied; it is not validated here.
func NewEnqueuer(rdb redis.UniversalClient, cfg Config) *Enqueuer {
	return &Enqueuer{
		cfg:    cfg.withDefaults(),
		client: asynq.NewClientFromRedisClient(rdb),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
	}
}

// Close releases the Enqueuer's Asynq client and inspector.
func (e *Enqueuer) Close() error {
	return errors.Join(e.client.Close(), e.insp.Close())
}

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

// Tick enqueues a scheduler tick now (the Server's scheduler does so every
// minute): scheduled campaigns whose time came start, finished runs
// complete, stale receipts are reconciled.
func (e *Enqueuer) Tick(ctx context.Context) error {
	return e.enqueue(ctx, TypeTick, struct{}{}, asynq.Queue(QueueCritical), asynq.MaxRetry(0), asynq.Retention(0))
}

// EnqueueSend enqueues the send task of one pending message, task id
// "send:<id>", at the later of its NotBefore and the end of the quiet
// hours. It is what expansion and Rebuild call; a conflict means the task
// exists and is fine.
func (e *Enqueuer) EnqueueSend(ctx context.Context, m campaigns.Message) error {
	now := e.cfg.Now()
	at := later(m.NotBefore, now)
	at = e.cfg.QuietHours.NextAllowed(at)
	opts := []asynq.Option{
		asynq.Queue(QueueBulk), asynq.TaskID(sendTaskID(m.ID)), asynq.Retention(0),
		asynq.MaxRetry(e.cfg.MaxRetry), asynq.Timeout(e.cfg.SendTimeout),
	}
	if at.After(now) {
		opts = append(opts, asynq.ProcessAt(wall(at, now)))
	}
	typ := TypeSendWeChat
	if m.Channel == population.ChannelSMS {
		typ = TypeSendSMS
		if *e.cfg.SMSBatch {
			opts = append(opts, asynq.Group(smsGroup(m.CampaignID, m.Run)))
		}
	}
	return e.enqueue(ctx, typ, sendPayload{MessageID: m.ID}, opts...)
}

// wall maps an instant on the injected clock to wall-clock time, which is
// what Asynq schedules by: the same distance from now.
func wall(at, now time.Time) time.Time { return time.Now().Add(at.Sub(now)) }

// Rebuild re-enqueues every pending message of a campaign from the ledger,
// for work lost from Redis (a flushed or failed-over Redis without AOF). A
// message whose task still exists is left alone (task id conflict). An
// archived "send:<id>" task — retries exhausted or SkipRetry while the
// ledger still says pending, e.g. a crash between the two — would block
// the enqueue forever, so Rebuild deletes it first. It returns how many
// pending messages it saw.
func (e *Enqueuer) Rebuild(ctx context.Context, store MessageFinder, campaignID int64) (int, error) {
	const page = 1000
	var after int64
	n := 0
	for {
		ms, err := store.MessagesByStatus(ctx, campaignID, campaigns.StatusPending, after, page)
		if err != nil {
			return n, fmt.Errorf("queue: rebuild campaign %d: %w", campaignID, err)
		}
		for _, m := range ms {
			if err := e.dropArchived(sendTaskID(m.ID)); err != nil {
				return n, err
			}
			if err := e.EnqueueSend(ctx, m); err != nil {
				return n, err
			}
			n++
			after = m.ID
		}
		if len(ms) < page {
			return n, nil
		}
	}
}

func (e *Enqueuer) dropArchived(id string) error {
	info, err := e.insp.GetTaskInfo(QueueBulk, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("queue: inspect %s: %w", id, err)
	case info.State != asynq.TaskStateArchived:
		return nil
	}
	if err := e.insp.DeleteTask(QueueBulk, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("queue: delete archived %s: %w", id, err)
	}
	return nil
}

// EnqueueSMSReports enqueues Aliyun delivery reports (from the
// /aliyun/sms/report push) on the critical queue, one task each so that a
// report that arrives before its send was recorded is retried alone.
func (e *Enqueuer) EnqueueSMSReports(ctx context.Context, reports []aliyunsms.Report) error {
	var errs []error
	for _, r := range reports {
		at := r.ReportTime
		if at.IsZero() {
			at = e.cfg.Now()
		}
		p := smsReceipt{Phone: string(r.Phone), BizID: r.BizID, OutID: r.OutID, Success: r.Success,
			ErrCode: r.ErrCode, ErrMsg: r.ErrMsg, At: at}
		errs = append(errs, e.enqueue(ctx, TypeReceiptSMS, p, asynq.Queue(QueueCritical),
			asynq.MaxRetry(e.cfg.MaxRetry), asynq.Retention(0)))
	}
	return errors.Join(errs...)
}

// EnqueueWeChatReceipt enqueues a TEMPLATESENDJOBFINISH event from the
// /wechat/callback handler on the critical queue; other kinds of inbound
// are ignored (they are replies, for the ticket queue).
func (e *Enqueuer) EnqueueWeChatReceipt(ctx context.Context, in wechat.Inbound) error {
	if in.Kind != wechat.KindTemplateFinish {
		return nil
	}
	at := in.CreateTime
	if at.IsZero() {
		at = e.cfg.Now()
	}
	return e.enqueue(ctx, TypeReceiptWeChat, wechatReceipt{MsgID: in.TemplateMsgID, Status: in.Status, At: at},
		asynq.Queue(QueueCritical), asynq.MaxRetry(e.cfg.MaxRetry), asynq.Retention(0))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
