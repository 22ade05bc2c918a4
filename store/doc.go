// Package store is GridCast's system of record for every domain, over
// database/sql in two dialects: SQLite through modernc.org/sqlite — pure
// Go, one file, the embedded default — and PostgreSQL through pgx, for
// production. It keeps
//
//   - the population (package population): grids, workers and their
//     leaves, households, residents with their categories, skills, desired
//     jobs and opt-outs, sync cursors;
//   - saved segments (package segments), counted, sampled and streamed by
//     compiling the segment language into the query;
//   - campaigns (package campaigns) with their events, runs and fan-out
//     checkpoints, provider templates and booked visit slots;
//   - the outbound ledger (package outbound): one row per message of every
//     purpose — campaign messages, visit reminders, the ticket desk's
//     messages — with its history;
//   - tickets (package tickets) with their timeline, inbound messages
//     deduplicated by provider message id, campaign answers and pending
//     WeChat bindings;
//   - the retention sweeps, which clear old personal content a batch at a
//     time, and the erasure register (package retention).
//
// Its methods are written against the small interfaces its callers
// declare (queue.Ledger, queue.Audience, queue.VisitStore, desk.Store,
// api.Segments, api.Campaigns, importer.Store, extsync.Store,
// retention.Store); the
// conformance suite store/storetest runs against exactly those interfaces,
// and both dialects must pass it.
//
// The SQL lives in named queries per dialect (queries/sqlite.sql,
// queries/postgres.sql, "-- name: X" blocks loaded and checked at Open);
// values are always bound, and the only text ever substituted into a query
// is the WHERE fragment package segments compiles, whose values are bound
// too. Versioned migrations (migrations/<dialect>/NNNN_name.sql) are
// embedded and applied at Open in one transaction, recorded in
// schema_migrations and serialized across processes; SQLite runs them with
// foreign keys off and checks every reference before it commits, as its
// table-rebuild procedure requires.
//
// ID numbers are never stored in clear: a keyed hash (pii.Sealer.Hash)
// matches them, an AES-GCM copy allows an authorized unmask, and a masked
// form is kept for screens. Residents read back carry IDMasked, never
// IDNumber.
//
// Timestamps are RFC 3339 UTC text in SQLite and TIMESTAMPTZ in PostgreSQL;
// birth dates are 'YYYY-MM-DD' text and DATE. A lookup that finds nothing
// returns an error wrapping fault.ErrNotFound (a fault.NotFoundError naming
// the record for those users ask for by id or name); a change the data's
// state refuses wraps fault.ErrConflict; bad input fault.ErrInvalid. A
// Store is safe for concurrent use; with SQLite it writes through a single
// connection (the database has one writer) and reads through a pool beside
// it (WAL).
//
// The ledger is the system of record; Redis only carries work. Message
// statuses move forward only (outbound.Status.CanMove) — the one way back
// is RescheduleMessage, sending → pending — and every move is appended to
// message_events in the transaction that makes it. Campaign transitions are
// optimistic (ApplyCampaignEvent applies only from the state the event
// starts in); starting a run, writing a fan-out chunk, writing a fallback
// or a reminder, and claiming a message are idempotent, so a re-delivered
// task or a second scheduler does nothing.
package store
