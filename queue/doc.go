// Package queue holds GridCast's Asynq task types and their handlers:
// campaign fan-out over a segment (streamed from segments/sqlstore page by
// page, checkpointed by resident id), sends, delivery receipts, reminders
// and ticket SLA timers. The SQL store is the record of every message; Redis
// only carries the work, so anything lost from Redis is rebuilt from the
// store.
package queue
