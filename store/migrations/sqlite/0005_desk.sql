-- The ticket desk: every message it sends (acknowledgements, keyword
-- confirmations, binding codes, replies, rating requests, notifications to
-- workers), pending WeChat bindings and workers' leaves, plus the indexes
-- its lookups need on earlier tables. The PostgreSQL migration of the same
-- number must stay equivalent.
-- Timestamps are RFC 3339 UTC text (NULL for "not yet"); a NULL id means
-- "none".

-- One row per desk message, written before any provider call; its status
-- moves forward only (pending → sending → sent → delivered | failed;
-- sending may go back to pending for a retry). A message to a resident has
-- resident_id (or only to_key for an unknown sender), one to a worker has
-- worker_id. to_key is the openid or phone number; params the template
-- parameters as a JSON object.
CREATE TABLE ticket_outbound (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('ack','confirm','bind_code','reply','rating_request','notify')),
    ticket_id        INTEGER REFERENCES tickets(id),
    resident_id      INTEGER REFERENCES residents(id),
    worker_id        INTEGER REFERENCES workers(id),
    route            TEXT NOT NULL CHECK (route IN ('','wechat_customer_service','wechat_template','sms')),
    route_reason     TEXT NOT NULL DEFAULT '',
    to_key           TEXT NOT NULL DEFAULT '',
    text             TEXT NOT NULL DEFAULT '',
    template_code    TEXT NOT NULL DEFAULT '',
    params           TEXT NOT NULL DEFAULT '{}',
    actor            TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('pending','sending','sent','delivered','failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    provider_id      TEXT NOT NULL DEFAULT '',
    provider_code    TEXT NOT NULL DEFAULT '',
    provider_message TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    finished_at      TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX ticket_outbound_ticket ON ticket_outbound(ticket_id, id);
-- Receipts find their message by the provider's id on the route's channel.
CREATE INDEX ticket_outbound_provider ON ticket_outbound(route, provider_id) WHERE provider_id <> '';
-- The customer-service window counts what went to a resident lately.
CREATE INDEX ticket_outbound_resident ON ticket_outbound(resident_id, created_at);
-- Recovery at start scans what is pending or sending.
CREATE INDEX ticket_outbound_status ON ticket_outbound(status, id);

-- A follower asked to bind their openid to the resident whose phone they
-- gave; a code went to that phone. code_hash is a keyed hash (the code is
-- never stored); attempts counts wrong codes. used_at is set once: when the
-- code was accepted, or when a newer binding for the openid superseded it.
CREATE TABLE wechat_bindings (
    id          INTEGER PRIMARY KEY,
    openid      TEXT NOT NULL,
    phone       TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    code_hash   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX wechat_bindings_openid ON wechat_bindings(openid, id);

-- A worker's absence: from starts_at until ends_at (exclusive) their new
-- tickets go to backup_id. Overlapping leaves are allowed; the latest
-- created one covering an instant wins.
CREATE TABLE worker_leaves (
    id         INTEGER PRIMARY KEY,
    worker_id  INTEGER NOT NULL REFERENCES workers(id),
    backup_id  INTEGER NOT NULL REFERENCES workers(id),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (backup_id <> worker_id)
);
CREATE INDEX worker_leaves_worker ON worker_leaves(worker_id, ends_at);
CREATE INDEX worker_leaves_ends ON worker_leaves(ends_at);

-- Lookups of the desk on earlier tables: a resident's last WeChat message
-- (the reply window), their latest proposed visit, a campaign by its SMS
-- extension code.
CREATE INDEX inbound_messages_resident ON inbound_messages(resident_id, channel, received_at);
CREATE INDEX visit_slots_resident_created ON visit_slots(resident_id, created_at);
CREATE INDEX campaigns_extend_code ON campaigns(extend_code, id) WHERE extend_code <> '';
