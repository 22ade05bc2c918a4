-- Internal notes on tickets (内部备注): staff write them for each other;
-- they are never sent to the resident and never part of the
-- conversation or the ledger, so they live apart from both. A note is
-- written once, not edited. The PostgreSQL migration of the same number
-- must stay equivalent.
CREATE TABLE ticket_notes (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);
-- 待认领 (store Tickets with Unassigned) reads the tickets no one holds,
-- a small share of all, by deadline.
CREATE INDEX tickets_unassigned_due ON tickets (due_at, id) WHERE assignee_worker_id IS NULL;
