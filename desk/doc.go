// Package desk is the ticket desk: what happens to a resident's reply
// and to the ticket it becomes, from the callback to the rating.
//
// Handle takes one inbound message (a WeChat message or event, an SMS
// uplink), links it to what prompted it (the SMS extension code, else the
// latest campaign message within Config.ThreadWindow), reads it with
// tickets.Keywords and acts: an opt-out, a visit confirmation or move, a
// campaign answer (the sign-up list), a rating, a WeChat binding step, or
// a question that opens, joins or reopens the resident's ticket. Every
// message is recorded once (the provider's message id is the dedupe key),
// unknown senders included, and every answer goes back on the channel the
// message came from.
//
// The desk's worker actions (Reply, Resolve, Reassign, Merge, Close,
// Handover) keep the ticket's timeline; Escalate moves an overdue ticket up
// the ladder grid worker → grid leader → community → street, notifying
// each owner; Send delivers the desk's outbound messages through the
// WeChat and SMS adapters, choosing between a customer-service message, a
// template message and an SMS with tickets.ChooseReply and falling back
// when WeChat refuses.
//
// The package holds no queue: a Dispatcher (the queue package's Enqueuer)
// runs Send and Escalate later and retries them; the queue's handlers call
// back into the Service. Nothing here blocks on a provider while a
// callback waits.
package desk
