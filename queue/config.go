package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/retention"
)

// The queues, by priority.
const (
	QueueCritical = "critical" // receipts, replies, tickets, the scheduler tick
	QueueDefault  = "default"  // campaign expansion
	QueueBulk     = "bulk"     // campaign sends
)

// Config tunes the queue. The zero value is usable: every field has a
// default, applied by NewServer and NewEnqueuer (see Validate for what is
// refused). A Config is a plain value; do not change it after handing it
// over.
type Config struct {
	// Concurrency is how many tasks one server runs at once. Zero means 10.
	Concurrency int
	// Queues maps queue names to priorities. Nil means critical:6,
	// default:3, bulk:1.
	Queues map[string]int
	// SMSRate and WeChatRate are provider calls per second, shared by every
	// worker of every process through Redis (GCRA). A batch SMS call counts
	// once. Zero means 50; negative means no limit.
	SMSRate, WeChatRate int
	// QuietHours holds sends back out of the nightly window. The zero value
	// means campaigns.DefaultQuietHours (21:00–08:00 Beijing time); set
	// Start and End equal ("00:00") for none.
	QuietHours campaigns.QuietHours
	// Caps are the per-resident frequency caps. The zero value uses the
	// campaigns defaults (2 a day, 5 a week, 50 per SMS template a day).
	Caps campaigns.Caps
	// Policy is the campaign policy the scheduler's transitions check. The
	// zero value uses the campaigns defaults.
	Policy campaigns.Policy
	// MaxRetry is how often a send that failed with a retryable error is
	// tried again before the message is failed. Deferrals never count.
	// Zero means 8.
	MaxRetry int
	// SMSBatch groups SMS send tasks per campaign run so that one
	// SendBatchSms call carries up to GroupMaxSize numbers. Nil means true.
	SMSBatch *bool
	// GroupMaxSize, GroupMaxDelay and GroupGracePeriod steer the
	// aggregation of SMS batches. Zero means 100 (aliyunsms.MaxNumbersPerBatch;
	// more is refused), 2s and 1s. Asynq panics on a grace period under one
	// second, so 1s is also the least accepted.
	GroupMaxSize     int
	GroupMaxDelay    time.Duration
	GroupGracePeriod time.Duration
	// ReceiptTimeout is how long a sent message waits for its receipt before
	// the reconciler asks the provider. Zero means 30 minutes.
	ReceiptTimeout time.Duration
	// PausedRecheck is how long a send of a paused (or not yet running)
	// campaign waits before it looks again. Zero means 1 minute.
	PausedRecheck time.Duration
	// ChannelPause is how long a Config failure (bad credentials, template
	// not approved) pauses a channel when the provider names no time. Zero
	// means 10 minutes.
	ChannelPause time.Duration
	// SendTimeout bounds one send task. Zero means 1 minute.
	SendTimeout time.Duration
	// SettleDelay is how long after a provider call without an answer the
	// provider is asked whether it took the message (its send record can
	// lag the call). Zero means 20 seconds.
	SettleDelay time.Duration
	// RecoverEvery is how often the tick re-enqueues every pending message
	// of the ledger, for tasks a Redis lost (a failover loses the writes
	// not yet replicated). A Redis found flushed or empty is recovered at
	// the next tick regardless. Zero means 5 minutes.
	RecoverEvery time.Duration
	// ShutdownTimeout is how long a stopping server lets running tasks
	// finish — a provider call in flight gets its answer recorded — before
	// it cancels them and Asynq hands them back. Zero means 15 seconds.
	ShutdownTimeout time.Duration
	// DelayedTaskCheckInterval is how often scheduled and retrying tasks are
	// moved to pending. Zero means 1s (Asynq's own default is 5s).
	DelayedTaskCheckInterval time.Duration
	// TickSpec is the scheduler tick's cron spec. Empty means every minute
	// ("* * * * *"); "-" disables the scheduler.
	TickSpec string
	// Retention is the retention policy the daily purge applies
	// (TypeRetentionPurge). The zero value purges nothing and schedules
	// no purge.
	Retention retention.Config
	// Now is the clock of every decision (quiet hours, caps, deadlines).
	// Nil means time.Now. Asynq itself keeps wall-clock time.
	Now func() time.Time
}

// Config defaults.
const (
	DefaultConcurrency      = 10
	DefaultRate             = 50
	DefaultMaxRetry         = 8
	DefaultGroupMaxSize     = 100
	DefaultGroupMaxDelay    = 2 * time.Second
	DefaultGroupGracePeriod = time.Second
	DefaultReceiptTimeout   = 30 * time.Minute
	DefaultPausedRecheck    = time.Minute
	DefaultChannelPause     = 10 * time.Minute
	DefaultSendTimeout      = time.Minute
	DefaultSettleDelay      = 20 * time.Second
	DefaultRecoverEvery     = 5 * time.Minute
	DefaultShutdownTimeout  = 15 * time.Second
	DefaultTickSpec         = "* * * * *"
)

// DefaultQueues are the queue priorities when Config.Queues is nil.
func DefaultQueues() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Concurrency, DefaultConcurrency)
	def(&c.SMSRate, DefaultRate)
	def(&c.WeChatRate, DefaultRate)
	def(&c.MaxRetry, DefaultMaxRetry)
	def(&c.GroupMaxSize, DefaultGroupMaxSize)
	defD(&c.GroupMaxDelay, DefaultGroupMaxDelay)
	defD(&c.GroupGracePeriod, DefaultGroupGracePeriod)
	defD(&c.ReceiptTimeout, DefaultReceiptTimeout)
	defD(&c.PausedRecheck, DefaultPausedRecheck)
	defD(&c.ChannelPause, DefaultChannelPause)
	defD(&c.SendTimeout, DefaultSendTimeout)
	defD(&c.SettleDelay, DefaultSettleDelay)
	defD(&c.RecoverEvery, DefaultRecoverEvery)
	defD(&c.ShutdownTimeout, DefaultShutdownTimeout)
	defD(&c.DelayedTaskCheckInterval, time.Second)
	if c.Queues == nil {
		c.Queues = DefaultQueues()
	}
	if c.QuietHours == (campaigns.QuietHours{}) {
		c.QuietHours = campaigns.DefaultQuietHours
	}
	if c.SMSBatch == nil {
		t := true
		c.SMSBatch = &t
	}
	if c.TickSpec == "" {
		c.TickSpec = DefaultTickSpec
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports every problem with c (after defaults), joined, in words
// an operator can act on.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("queue.concurrency: %d: must be positive", c.Concurrency))
	}
	for _, q := range []string{QueueCritical, QueueDefault, QueueBulk} {
		if c.Queues[q] <= 0 {
			errs = append(errs, fmt.Errorf("queue.queues: %s needs a positive priority (sends, expansion and receipts go there)", q))
		}
	}
	if c.MaxRetry < 0 {
		errs = append(errs, fmt.Errorf("queue.max_retry: %d: must not be negative", c.MaxRetry))
	}
	if c.GroupMaxSize < 0 || c.GroupMaxSize > 100 {
		errs = append(errs, fmt.Errorf("queue.group_max_size: %d: want 1–100 (SendBatchSms takes at most 100 numbers)", c.GroupMaxSize))
	}
	if c.GroupGracePeriod < time.Second {
		errs = append(errs, fmt.Errorf("queue.group_grace_period: %s: Asynq needs at least 1s", c.GroupGracePeriod))
	}
	if c.GroupMaxDelay < 0 {
		errs = append(errs, fmt.Errorf("queue.group_max_delay: %s: must not be negative", c.GroupMaxDelay))
	}
	if err := c.Retention.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.QuietHours.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("queue.%w", err))
	}
	for name, d := range map[string]time.Duration{
		"receipt_timeout": c.ReceiptTimeout, "paused_recheck": c.PausedRecheck,
		"channel_pause": c.ChannelPause, "send_timeout": c.SendTimeout,
		"settle_delay": c.SettleDelay, "recover_every": c.RecoverEvery, "shutdown_timeout": c.ShutdownTimeout,
		"delayed_task_check_interval": c.DelayedTaskCheckInterval,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("queue.%s: %s: must not be negative", name, d))
		}
	}
	return errors.Join(errs...)
}
