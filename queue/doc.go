// Package queue runs GridCast's work on Asynq (Redis): the fan-out of a
// campaign run into one ledger row per resident, the one send path every
// message of the ledger takes — campaign messages, visit reminders and the
// ticket desk's messages alike — over WeChat and Aliyun SMS, the delivery
// receipts, the residents' replies handed to the desk, the ticket
// escalation timers, the per-minute scheduler tick that starts
// scheduled and recurring campaigns, writes due visit reminders and
// reconciles, and the daily retention purge (retention.go).
//
// # The ledger is the truth, Redis carries work
//
// Every decision is recorded in the SQL ledger (package outbound, kept by
// the store) before or as it happens, and every handler is idempotent
// against it, because Asynq delivers at least once:
//
//   - Expansion ("campaign:expand") pages the segment by resident id and
//     writes each chunk of messages with WriteMessages (ON CONFLICT DO
//     NOTHING), then enqueues one "message:chunk" task with the chunk's
//     pending ids. The checkpoint written with chunk k is the last id of
//     chunk k-1: it trails the enqueues by one chunk, so a crash between
//     the write and the enqueue re-reads the chunk on resume and enqueues
//     it again (its task id "chunk:<campaign>:<first id>" makes a second
//     enqueue a no-op, and its claim makes a second run a no-op).
//   - A chunk (chunk.go) claims its messages in one statement, reads their
//     residents and cap counts once, prepares each message as below, sends
//     SMS in SendBatchSms calls and WeChat messages several at once, and
//     records what was accepted in one transaction per channel. What must
//     wait goes back to pending and into a later chunk; what fails
//     retryably is sent alone, where Asynq counts its retries.
//   - The reminder scan writes one reminder row per confirmed visit (one per
//     slot and channel); the desk writes its messages itself. Both are then
//     sent like campaign messages.
//   - A send ("message:wechat", "message:sms") first claims its message
//     (pending → sending, compare and set); a duplicate task finds it
//     claimed and does nothing. It prepares the message by purpose — a
//     campaign message is screened (state, deadline, opt-out, quiet hours,
//     caps) and rendered, a reminder checked against its visit, a desk
//     message carries its content — passes the channel's pause and rate
//     limit, and calls the provider by route with the message id as OutId
//     / client_msg_id. A campaign run's SMS are grouped for SendBatchSms.
//   - Receipts only move statuses forward, so duplicates and out-of-order
//     receipts change nothing; one matcher serves every purpose.
//
// Work lost from Redis is rebuilt from the ledger (Enqueuer.Recover): at
// a server's start, at the first tick after Redis was emptied (a flush, a
// restart without persistence — the key gridcast:queue:recovered is gone)
// and every Config.RecoverEvery (a failover can lose writes not yet
// replicated). A campaign completes within seconds of its last outcome:
// every send asks for a completion check of its campaign, one per campaign
// per two-second span.
//
// # Errors are retry instructions
//
// Handlers turn the gateway's *gateway.SendError classes into Asynq
// behaviour: Permanent fails the message, writes what replaces it (for a
// WeChat message: the SMS the campaign's policy allows, or what the desk
// composes on its next route) and returns asynq.SkipRetry; a WeChat
// "failed:user block" receipt does the same. Retryable reschedules and
// returns the error, burning one of Config.MaxRetry retries; Throttled,
// quiet hours, caps, a paused campaign, the shared rate limit and a paused
// channel return a *Deferred, which the server's IsFailure does not count
// as a failure and whose Until its RetryDelayFunc honours. Quota and
// Config failures pause the whole channel (a Redis key with a TTL) and log
// an alert.
//
// # Exactly once: settle before resending
//
// A provider call that got no answer (a timeout, a dropped connection, a
// 5xx on a send, a worker killed between the call and its record) may have
// gone out. The ledger, not Redis, records it on each message of the call
// (Message.AttemptedAt and OutID; a batch records its OutId before the
// call), and the next attempt settles it before anything is sent again
// (settle.go): an SMS is looked up in Aliyun's send record number by
// number, a WeChat template message is resent under the same client_msg_id
// only within WeChat's ten-minute window, and otherwise — and always for a
// customer-service text — the message fails as OUTCOME_UNKNOWN and is
// never resent blind. A message left sending longer than twice SendTimeout
// was claimed by a worker that died: the reconciler (every tick) hands it
// back with its outcome unknown as of the claim, and the same settlement
// follows.
//
// # Task ids and retention
//
// Tasks are enqueued with Retention 0, so a completed task's id is free at
// once. A task that exhausted its retries or returned SkipRetry is archived
// and keeps its id: the rebuilds delete an archived "send:<id>" task before
// they re-enqueue a message the ledger still holds as pending.
//
// # Dependencies
//
// The package imports no provider package and no SQL driver: it declares
// the interfaces it needs (Ledger, Audience, VisitStore, SMSSender,
// WeChatSender, Desk) over the types of outbound, campaigns, desk and the
// gateway's neutral contract.
//
// # Personal data
//
// Logs carry ids, codes and masked values only (pii types mask themselves).
// Payloads in Redis carry message ids; SMS receipt tasks carry the phone
// number because Aliyun matches reports by BizId and phone, and inbound
// tasks the resident's message for the desk.
package queue
