// Package faults is GridCast's fault suite: it runs real GridCast
// processes — one `gridcast serve`, two `gridcast worker` and one shared
// `gridcast sandbox` — against a real PostgreSQL and a real Redis of its
// own, sends a campaign to a seeded population, injects one fault per
// scenario from outside the processes, and reads what reached residents
// from the sandbox's record (its admin endpoint), not from GridCast's own
// ledger.
//
// Each scenario prints one row:
//
//	scenario                 residents  accepted  duplicates  lost
//	kill9-worker                   300       300           0     0
//
// residents is how many residents the campaign must reach (from the
// population and the campaign's rules), accepted how many of them the
// providers accepted a message for, duplicates the messages beyond one per
// resident, lost the residents nothing reached. A scenario passes with 0
// duplicates and 0 lost.
//
// The faults: kill -9 of a worker in the middle of the sends; Redis
// FLUSHALL, and a Redis restart that loses everything; a PostgreSQL
// restart; answers lost after the provider accepted a send (a
// SendBatchSms, a WeChat template send); hung calls; 5xx answers and
// throttling from each provider; duplicated and reordered delivery
// receipts.
//
// The suite needs redis-server and the PostgreSQL server binaries (initdb,
// postgres) on this host; it starts them on free loopback ports under its
// work directory and removes them at the end. `gridcast faults` runs it;
// the package's test runs the quick set (CI).
package faults
