-- Grid tickets and what feeds them: the tickets with their timeline, every
-- inbound message (deduplicated by the provider's message id, unknown
-- senders kept) and campaign answers (the sign-up list). The SQLite
-- migration of the same number must stay equivalent.
-- Timestamps are TIMESTAMPTZ (NULL for "not yet"); a NULL id means
-- "none".

CREATE TABLE tickets (
    id                 BIGSERIAL PRIMARY KEY,
    resident_id        BIGINT REFERENCES residents(id),    -- NULL: the sender matched no resident
    grid_code          TEXT NOT NULL DEFAULT '',
    channel            TEXT NOT NULL CHECK (channel IN ('','wechat','sms')),
    category           TEXT NOT NULL,
    assignee_worker_id BIGINT REFERENCES workers(id),      -- NULL while unassigned
    level              TEXT NOT NULL CHECK (level IN ('grid_worker','grid_leader','community','street')),
    status             TEXT NOT NULL CHECK (status IN ('new','assigned','in_progress','replied','resolved','closed','archived')),
    due_at             TIMESTAMPTZ,
    rating             INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    campaign_id        BIGINT REFERENCES campaigns(id),
    slot               TIMESTAMPTZ,                         -- the visit time asked for, for a reschedule
    text               TEXT NOT NULL,
    merged_into        BIGINT REFERENCES tickets(id),
    resolved_at        TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX tickets_grid_status ON tickets(grid_code, status);
CREATE INDEX tickets_assignee_status ON tickets(assignee_worker_id, status);
CREATE INDEX tickets_status_due ON tickets(status, due_at);
CREATE INDEX tickets_resident_created ON tickets(resident_id, created_at);

-- The timeline (台账), appended in the transaction that changes the ticket.
-- from_status and to_status hold statuses for status and reopened events;
-- for the other kinds they hold what tickets.Event.From and To hold
-- (levels, worker ids, the rating, ticket ids, the category).
CREATE TABLE ticket_events (
    id          BIGSERIAL PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('created','status','assigned','escalated','reopened','rated','merged')),
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- Every inbound message. (channel, provider_msg_id) is the dedupe key: a
-- WeChat MsgId or SMS sequence id delivered twice is one row. from_key is
-- the openid or phone number; resident_id is NULL for an unknown sender,
-- whose messages are kept, not dropped.
CREATE TABLE inbound_messages (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('wechat','sms')),
    provider_msg_id TEXT NOT NULL,
    from_key        TEXT NOT NULL,
    resident_id     BIGINT REFERENCES residents(id),
    content         TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    ticket_id       BIGINT REFERENCES tickets(id),
    campaign_id     BIGINT REFERENCES campaigns(id),
    intent          TEXT NOT NULL DEFAULT '',
    UNIQUE (channel, provider_msg_id)
);
CREATE INDEX inbound_messages_unknown ON inbound_messages(received_at, id) WHERE resident_id IS NULL;
CREATE INDEX inbound_messages_ticket ON inbound_messages(ticket_id) WHERE ticket_id IS NOT NULL;

-- The sign-up list: one answer per resident and campaign, the latest.
CREATE TABLE campaign_answers (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    option      TEXT NOT NULL,
    meaning     TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMPTZ NOT NULL,
    inbound_id  BIGINT REFERENCES inbound_messages(id),
    UNIQUE (campaign_id, resident_id)
);
