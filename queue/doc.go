// Package queue runs GridCast's campaign outreach on Asynq (Redis): the
// fan-out of a campaign run into one ledger row per resident, the sends over
// WeChat and Aliyun SMS, the delivery receipts, and the per-minute scheduler
// tick that starts scheduled and recurring campaigns.
//
// # The ledger is the truth, Redis carries work
//
// Every decision is recorded in the SQL ledger before or as it happens, and
// every handler is idempotent against it, because Asynq delivers at least
// once:
//
//   - Expansion ("campaign:expand") pages the segment by resident id and
//     writes each chunk of messages with WriteMessages (ON CONFLICT DO
//     NOTHING). The checkpoint written with chunk k is the last id of chunk
//     k-1: it trails the enqueues by one chunk, so a crash between the write
//     and the enqueues re-reads the chunk on resume and enqueues its pending
//     rows again (their task ids "send:<id>" make a second enqueue a no-op).
//   - A send first claims its message (pending → sending, compare and set);
//     a duplicate task finds it claimed and does nothing. The provider gets
//     the message id as OutId / client_msg_id.
//   - Receipts only move statuses forward, so duplicates and out-of-order
//     receipts change nothing.
//
// Work lost from Redis is rebuilt from the ledger with Enqueuer.Rebuild.
//
// # Errors are retry instructions
//
// Handlers turn the gateway's *gateway.SendError classes into Asynq
// behaviour: Permanent fails the message (and, for WeChat under the
// wechat_first policy, writes an SMS fallback) and returns asynq.SkipRetry;
// Retryable reschedules and returns the error, burning one of
// Config.MaxRetry retries; Throttled, quiet hours, caps, a paused campaign,
// the shared rate limit and a paused channel return a *Deferred, which the
// server's IsFailure does not count as a failure and whose Until its
// RetryDelayFunc honours. Quota and Config failures pause the whole channel
// (a Redis key with a TTL) and log an alert.
//
// # Task ids and retention
//
// Tasks are enqueued with Retention 0, so a completed task's id is free at
// once. A task that exhausted its retries or returned SkipRetry is archived
// and keeps its id: Rebuild deletes an archived "send:<id>" task before it
// re-enqueues a message the ledger still holds as pending.
//
// # Personal data
//
// Logs carry ids, codes and masked values only (pii types mask themselves).
// Payloads in Redis carry message ids; SMS receipt tasks carry the phone
// number because Aliyun matches reports by BizId and phone.
package queue
