-- 督办: flags on tickets, kept apart from the tickets table. A supervisor
-- flags a ticket with a note and may lift it; under the escalation policy
-- "supervise" the system flags an overdue ticket and raises its flag one
-- level at each missed step (level names the rung whose owner was told;
-- '' for a person's flag). A row lifted has cleared_at; the rows are the
-- ticket's 督办 history, shown on its timeline. The PostgreSQL migration
-- of the same number must stay equivalent.
CREATE TABLE ticket_supervisions (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    level        TEXT NOT NULL DEFAULT '' CHECK (level IN ('','grid_worker','grid_leader','community','street')),
    by_actor     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    cleared_at   TEXT,
    cleared_by   TEXT NOT NULL DEFAULT '',
    cleared_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_supervisions_ticket ON ticket_supervisions (ticket_id, id);
-- The flags that stand, for the ticket lists and the figures.
CREATE INDEX ticket_supervisions_active ON ticket_supervisions (ticket_id) WHERE cleared_at IS NULL;
