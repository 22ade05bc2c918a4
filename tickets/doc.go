// Package tickets is the grid-ticket domain: how a resident's inbound reply
// (a WeChat message or an SMS uplink, 上行短信) is read, and how the ones
// that need a person become grid tickets (网格工单) handled to the end.
//
// It follows the seeds' seven steps: collect (Parse reads the reply),
// classify (Classify), record (SLA.Open), handle by a deadline (SLA,
// NextEscalation, Ticket.Assign and Escalate), reply to the resident
// (ChooseReply, Canned), evaluate (Ticket.Rate, SLA.OnTime), close and
// archive (Ticket.Transition). What the grid cannot solve escalates grid
// worker → grid leader → community → street, each step with its own
// deadline and an Event on the ticket's timeline.
//
// The package is pure Go: it imports no SQL, HTTP or Redis library, keeps
// no package-level state that changes, and takes the time as an argument
// wherever it matters. The store persists tickets and their Events; the
// desk (package desk) calls Parse on every inbound text, ChooseReply
// before answering and NextEscalation at each DueAt the queue's timers
// bring it to. The messages the desk sends are rows of the outbound
// ledger (package outbound); a ticket's Conversation interleaves them with
// the resident's.
//
// # Reading a reply
//
// Parse decides one Intent per reply from the text and the Context (what
// the resident was last asked). Opt-out words always win; then a pending
// binding code, the campaign's reply options, a proposed visit, an awaited
// rating, a phone number from an unbound follower; bare acknowledgements
// (收到, 谢谢) open no ticket; everything else is a question and becomes a
// ticket. Keywords.Parse documents the order.
//
// # Time
//
// Deadlines count plain hours (PlainHours) unless SLA.Terms count a
// category in working days or hours on a working calendar (workdays). Times are compared as instants, so the caller's
// location does not matter except in Event notes, which print the times
// as given.
//
// # Personal data
//
// Ticket.Text and Result.Text are the resident's words and Result.Phone
// their number (pii.Phone, printed masked). A rendered canned reply carries
// the worker's clear name and phone, which the resident needs to verify
// it; log these only at debug level, truncated.
package tickets
