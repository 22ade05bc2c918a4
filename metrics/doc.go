// Package metrics is what GridCast tells Prometheus: the ledger moves the
// queue makes (by channel, status, provider code and wait reason), the
// queues' depth and latency read from Asynq at scrape, the providers'
// call latency, the open and overdue tickets per escalation level read
// from the store at scrape, and the webhooks' refusals and duplicates.
//
// cmd/gridcast builds one registry per process (NewRegistry), records
// into it through a Set (New), and serves it on /metrics of the API
// server or of a worker's worker.addr. The collectors that read shared
// state — QueueCollector and TicketCollector — belong to `gridcast serve`
// only: every process would report the same figures.
//
// Every label takes values from a bounded set: provider codes and reasons
// beyond a cap of distinct values are reported as "other", so a provider
// that invents codes cannot grow the series without bound.
package metrics
