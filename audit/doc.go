// Package audit is GridCast's audit log: who did what to what, and why —
// logins, unmasking personal data, campaign approvals and sends, record
// changes, scope and role changes, exports and imports — one Entry per
// act, appended to one table and never edited.
//
// Every Entry is chained to the one before it: its Hash is SHA-256 over a
// canonical encoding of the previous entry's Hash and each of its own
// fields (Entry.Sum), and the first entry chains to Genesis. Verify (or a
// Verifier fed one entry at a time, for a table too large to load) walks
// the entries in Seq order and reports the first Break: an entry edited
// after it was written, entries deleted, entries out of order.
//
// # What the chain proves, and what it does not
//
// The chain proves that the entries are consistent with one another: no
// entry was changed, removed or moved without every entry after it being
// rewritten too. The store's triggers refuse UPDATE and DELETE on the
// table, so the application cannot edit it by accident; someone with
// direct database access can drop the triggers, and the chain is what
// shows that they then changed something.
//
// It does not prove that nothing happened at the end of the log. The hash
// has no secret in it, so someone who can write to the database and reads
// this package can
//
//   - delete the newest entries (the rest still verify: truncation is
//     invisible to the chain alone),
//   - append entries of their own with correct hashes, or
//   - rewrite an entry and recompute the hash of every entry after it.
//
// What catches those is a head recorded outside the database: `gridcast
// audit verify` prints the head (Head: the newest Seq and its Hash) so an
// operator can keep it somewhere the database's users cannot write (a
// ticket, a notebook, a mail to the auditor) and later run `gridcast audit
// verify --expect-head SEQ:HASH`. The expected head proves that every
// entry up to SEQ is exactly as it was when the head was taken (SHA-256
// being collision resistant) and that the log still reaches SEQ; entries
// after SEQ are only proven consistent with one another.
//
// Nor does the log prove that an act it records was done by the person it
// names: Actor is who the application believed (the API's authenticated
// user, the CLI's --by), and OSUser, for the command line, the account
// that ran the command. Nothing here records acts the application never
// saw (a query typed straight into the database).
//
// Entries hold no personal data in clear: Subject names a record by its
// id (resident:34), and Sanitize masks anything shaped like an ID number
// or a mobile number in Subject, Reason and Detail before an entry is
// hashed.
//
// The package is pure Go: it imports no SQL, HTTP or Redis library. The
// store (AppendAudit, AuditEntries, VerifyAudit) keeps the table and
// serialises appends; cmd/gridcast records the command line's acts and
// runs `gridcast audit verify` and `gridcast audit list`; the API serves
// GET /api/v1/audit.
package audit
