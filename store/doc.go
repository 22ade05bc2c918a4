// Package store is the population store (segments: grids, workers,
// households, residents, saved segments, sync cursors) and the outreach
// ledger (campaigns and their events, runs with the fan-out checkpoint,
// messages and their history, provider templates, visit slots) and grid
// tickets (tickets and their timeline, inbound replies deduplicated by
// provider message id, campaign answers) over database/sql, in two dialects: SQLite through modernc.org/sqlite — pure Go, one file,
// the embedded default — and PostgreSQL through pgx, for production.
//
// One package serves both. The SQL lives in named queries per dialect
// (queries/sqlite.sql, queries/postgres.sql, "-- name: X" blocks loaded at
// Open); values are always bound, and the only text ever substituted into a
// query is the WHERE fragment segql compiles from a segment expression,
// whose values are bound too. Versioned migrations (migrations/<dialect>/
// NNNN_name.sql) are embedded and applied at Open in one transaction,
// recorded in schema_migrations and serialized across processes.
//
// ID numbers are never stored in clear: a keyed hash (pii.Sealer.Hash)
// matches them, an AES-GCM copy allows an authorized unmask, and a masked
// form is kept for screens. Residents read back carry IDMasked, never
// IDNumber.
//
// Timestamps are RFC 3339 UTC text in SQLite and TIMESTAMPTZ in PostgreSQL;
// birth dates are 'YYYY-MM-DD' text and DATE. Lookups that find nothing
// return errors wrapping segments.ErrNotFound. A Store is safe for
// concurrent use; with SQLite it writes through a single connection (the
// database has one writer) and reads through a pool beside it (WAL).
//
// The ledger is the system of record; Redis only carries work. Message
// statuses move forward only (outbound.Status.CanMove) — the one way back
// is RescheduleMessage, sending → pending — and every move is appended to
// message_events in the transaction that makes it. Campaign transitions are
// optimistic (ApplyCampaignEvent applies only from the state the event
// starts in); starting a run, writing a fan-out chunk and claiming a message
// are idempotent, so a re-delivered task or a second scheduler does nothing.
//
// The conformance suite both dialects pass is store/storetest.
package store
