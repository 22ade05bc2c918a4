// Package desk is the ticket desk: what happens to a resident's reply
// and to the ticket it becomes, from the callback to the rating.
//
// Handle takes one inbound message (a WeChat message or event, an SMS
// uplink), links it to what prompted it (the SMS extension code, else the
// latest campaign message or reminder within Config.ThreadWindow), reads
// it with tickets.Keywords and acts: an opt-out, a visit confirmation or
// move, a campaign answer (the sign-up list), a rating, a WeChat binding
// step, or a question that opens, joins or reopens the resident's ticket.
// Every message is recorded once (the provider's message id is the dedupe
// key), unknown senders included, and every answer goes back on the
// channel the message came from.
//
// The workers' actions (Reply, Resolve, Reopen, Reassign, Merge, Close,
// Handover, CoverLeave) keep the ticket's timeline; Escalate moves an
// overdue ticket up the ladder grid worker → grid leader → community →
// street, notifying each owner; Stats evaluates grids and workers.
//
// The desk sends nothing itself. It composes its messages — choosing with
// tickets.ChooseReply between a customer-service message, a template
// message and an SMS split to Aliyun's parameter limit — writes them on the
// outbound ledger and hands them to a Dispatcher (the queue's Enqueuer),
// whose one send path delivers them like every other message and asks
// Fallback what replaces one that WeChat refused. The store is used
// through small interfaces by role (People, Threads, InboundLog, TicketStore,
// TicketScans, Outbox, Bindings). Nothing here blocks on a provider while
// a callback waits.
package desk
