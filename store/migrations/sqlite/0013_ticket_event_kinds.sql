-- A worker may file a ticket under another category (desk Recategorise)
-- and change its urgency (desk SetUrgency): the timeline gains the kinds
-- 'recategorised' (from_status and to_status hold the categories) and
-- 'urgency' (they hold the urgencies). SQLite cannot change a CHECK in place, so the
-- table is rebuilt; the store runs migrations with foreign keys off and
-- checks them afterwards.
CREATE TABLE ticket_events_new (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('created','status','assigned','escalated','reopened','rated','merged','recategorised','urgency')),
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
INSERT INTO ticket_events_new (id, ticket_id, at, actor, kind, from_status, to_status, note)
SELECT id, ticket_id, at, actor, kind, from_status, to_status, note FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_new RENAME TO ticket_events;
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);
