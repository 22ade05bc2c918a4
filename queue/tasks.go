package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// The task types.
const (
	TypeExpand        = "campaign:expand"    // payload expandPayload; queue default
	TypeSendWeChat    = "message:wechat"     // payload sendPayload; queue bulk, critical for the desk's
	TypeSendSMS       = "message:sms"        // payload sendPayload; queue bulk (a campaign's grouped when batching), critical for the desk's
	TypeSendSMSBatch  = "message:sms:batch"  // payload batchPayload; made by the group aggregator
	TypeReceiptSMS    = "receipts:sms"       // payload smsReceipt; queue critical
	TypeReceiptsSMS   = "receipts:sms:batch" // payload smsReceipts; queue critical
	TypeReceiptWeChat = "receipts:wechat"    // payload wechatReceipt; queue critical
	TypeReconcile     = "receipts:reconcile" // no payload; queue critical, every tick
	TypeTick          = "campaigns:tick"     // no payload; queue critical, every minute
	TypeComplete      = "campaign:complete"  // payload completePayload; queue default, after sends
	// TypeRemindVisits (visits.go): no payload; queue critical, every RemindSpec.
)

type expandPayload struct {
	CampaignID int64     `json:"campaign_id"`
	Run        int       `json:"run"`
	RunAt      time.Time `json:"run_at"`
}

type completePayload struct {
	CampaignID int64 `json:"campaign_id"`
}

type sendPayload struct {
	MessageID int64 `json:"message_id"`
}

type batchPayload struct {
	MessageIDs []int64 `json:"message_ids"`
}

type smsReceipt struct {
	Phone   string    `json:"phone"`
	BizID   string    `json:"biz_id"`
	OutID   string    `json:"out_id"`
	Success bool      `json:"success"`
	ErrCode string    `json:"err_code"`
	ErrMsg  string    `json:"err_msg"`
	At      time.Time `json:"at"`
}

// smsReceipts are the reports of one push, matched and recorded together.
type smsReceipts struct {
	Receipts []smsReceipt `json:"receipts"`
}

type wechatReceipt struct {
	MsgID     int64     `json:"msg_id"`
	Status    string    `json:"status"`
	Delivered bool      `json:"delivered"`
	Blocked   bool      `json:"blocked"`
	At        time.Time `json:"at"`
}

func sendTaskID(id int64) string { return "send:" + strconv.FormatInt(id, 10) }

func expandTaskID(campaignID int64, run int) string {
	return fmt.Sprintf("expand:%d:%d", campaignID, run)
}

func smsGroup(campaignID int64, run int) string { return fmt.Sprintf("sms:%d:%d", campaignID, run) }

func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		// A payload that does not parse never will: do not retry it.
		return fmt.Errorf("queue: %s: bad payload: %w: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// Deferred is returned by a handler whose message must wait — quiet hours,
// a frequency cap, a paused campaign or channel, the shared rate limit, a
// provider throttle — and is not a failure: the server's IsFailure does
// not count it against MaxRetry and its RetryDelayFunc runs the task again
// at Until.
type Deferred struct {
	Until  time.Time // when to try again
	Reason string    // quiet_hours, capped_daily, paused, rate_limited, throttled, channel_paused …
}

// Error says why and until when.
func (d *Deferred) Error() string {
	return fmt.Sprintf("queue: deferred (%s) until %s", d.Reason, d.Until.UTC().Format(time.RFC3339))
}

// IsFailure is the server's asynq.Config.IsFailure: a *Deferred is not a
// failure, everything else is.
func IsFailure(err error) bool {
	var d *Deferred
	return !errors.As(err, &d)
}

// RetryDelay returns the server's asynq.Config.RetryDelayFunc: for a
// *Deferred the time until its Until on now (at least one second), for
// anything else exponential back-off from 2s doubling per retry, capped at
// 10 minutes.
func RetryDelay(now func() time.Time) asynq.RetryDelayFunc {
	return func(n int, err error, _ *asynq.Task) time.Duration {
		var d *Deferred
		if errors.As(err, &d) {
			return max(d.Until.Sub(now()), time.Second)
		}
		return backoff(n)
	}
}

func backoff(n int) time.Duration {
	d := 2 * time.Second * time.Duration(math.Pow(2, float64(min(n, 10))))
	return min(d, 10*time.Minute)
}
