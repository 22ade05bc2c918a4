// Package outbound is the ledger of everything GridCast sends: one Message
// per text that goes, or was meant to go, to one person over one route —
// a campaign's message to a resident of its segment, the reminder of a
// confirmed visit, and every message of the ticket desk (an
// acknowledgement, a keyword's answer, a binding code, a worker's reply, a
// rating request, a notification to a worker). What differs between them
// is data on the row: its Purpose, what it belongs to (a campaign run, a
// ticket, a visit slot) and, for the desk's messages, the content composed
// when it was written.
//
// Every message has one life cycle (Status): pending → sending → sent →
// delivered | failed, or skipped, forward only — the one way back is a
// reschedule, sending → pending, for a retry or a deferral. The row's id is
// the identity of everything downstream: the queue's task id, Aliyun's
// OutId and WeChat's client_msg_id, so a message is sent at most once
// however often its task runs. The store persists the rows and their
// history (Event); the queue claims, sends, settles and reconciles them;
// campaigns and the desk decide what to write.
//
// The package is pure Go: types and the rules of the status machine, no
// SQL, HTTP or Redis.
package outbound
