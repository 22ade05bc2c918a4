-- Retention and erasure of personal data (package retention). purged_at
-- marks a row whose personal content was cleared — a message's text,
-- parameters, link and recipient; a resident's message's content and
-- sender; a ticket's text — by the retention sweep or an erasure; what the
-- funnels, caps and evaluations count (status, timestamps, campaign,
-- channel, resident, category) stays. retention_marks keeps each sweep's
-- progress: every row up to through_id is done, so a daily sweep starts
-- there rather than at the first row of a city's ledger.
-- resident_erasures is the erasure register: an erased resident keeps
-- their row (the ledger and the tickets refer to it) under a pseudonym, and
-- the keyed hash of their ID number, so that an import or sync of the same
-- person is refused instead of bringing them back; segments leave out the
-- residents it lists. The SQLite
-- migration of the same number must stay equivalent.

ALTER TABLE messages ADD COLUMN purged_at TIMESTAMPTZ;
ALTER TABLE inbound_messages ADD COLUMN purged_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN purged_at TIMESTAMPTZ;

CREATE TABLE resident_erasures (
    resident_id BIGINT PRIMARY KEY REFERENCES residents(id),
    pseudonym   TEXT NOT NULL,
    erased_at   TIMESTAMPTZ NOT NULL,
    erased_by   TEXT NOT NULL,
    reason      TEXT NOT NULL
);

CREATE TABLE retention_marks (
    kind       TEXT PRIMARY KEY CHECK (kind IN ('messages','inbound','tickets','bindings')),
    through_id BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- An erasure finds what went to, or came from, the resident's phone or
-- openid while the sender was unknown.
CREATE INDEX messages_unknown_to ON messages(to_key) WHERE resident_id IS NULL AND worker_id IS NULL AND to_key <> '';
CREATE INDEX inbound_messages_unknown_from ON inbound_messages(from_key) WHERE resident_id IS NULL;
