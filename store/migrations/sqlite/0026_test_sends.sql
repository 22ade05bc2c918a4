-- A test send (试发): an officer sends a campaign's SMS, rendered for a
-- made-up resident, to their own phone. It is a row of the ledger like
-- every message, of purpose 'test', and belongs to no campaign run,
-- resident or worker (the officer is its actor), so that no funnel, cap,
-- sign-up or history counts it; it goes by SMS only. The PostgreSQL
-- migration of the same number must stay equivalent.
--
-- SQLite cannot change a CHECK in place, so messages is rebuilt with every
-- column and index it has after 0025, each row keeping its id (the OutId
-- and client_msg_id the providers know); the store runs migrations with
-- foreign keys off and checks every reference before it commits.

CREATE TABLE messages_0026 (
    id               INTEGER PRIMARY KEY,
    purpose          TEXT NOT NULL CHECK (purpose IN ('campaign','reminder','ack','confirm','bind_code','reply','rating_request','notify','test')),
    campaign_id      INTEGER REFERENCES campaigns(id),
    run              INTEGER,
    ticket_id        INTEGER REFERENCES tickets(id),
    slot_id          INTEGER REFERENCES visit_slots(id),
    resident_id      INTEGER REFERENCES residents(id),
    worker_id        INTEGER REFERENCES workers(id),
    channel          TEXT NOT NULL CHECK (channel IN ('','wechat','sms')),
    route            TEXT NOT NULL CHECK (route IN ('','wechat_customer_service','wechat_template','sms')),
    route_reason     TEXT NOT NULL DEFAULT '',
    to_key           TEXT NOT NULL DEFAULT '',      -- openid or phone of a composed message
    text             TEXT NOT NULL DEFAULT '',
    params           TEXT NOT NULL DEFAULT '{}',    -- JSON object: template parameters of a composed message
    url              TEXT NOT NULL DEFAULT '',
    actor            TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('pending','sending','sent','delivered','failed','skipped')),
    skip_reason      TEXT NOT NULL DEFAULT '',
    fallback_of      INTEGER REFERENCES messages(id),
    attempts         INTEGER NOT NULL DEFAULT 0,
    provider_id      TEXT NOT NULL DEFAULT '',
    provider_code    TEXT NOT NULL DEFAULT '',
    provider_message TEXT NOT NULL DEFAULT '',
    template_code    TEXT NOT NULL DEFAULT '',
    not_before       TEXT,
    deadline         TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    finished_at      TEXT,
    updated_at       TEXT NOT NULL,
    out_id           TEXT NOT NULL DEFAULT '',
    attempted_at     TEXT,
    wait_reason      TEXT NOT NULL DEFAULT '',
    purged_at        TEXT,
    CHECK (purpose <> 'campaign' OR (campaign_id IS NOT NULL AND run > 0 AND resident_id IS NOT NULL)),
    CHECK (purpose <> 'reminder' OR (campaign_id IS NOT NULL AND slot_id IS NOT NULL AND resident_id IS NOT NULL)),
    CHECK (purpose <> 'test' OR (campaign_id IS NULL AND run IS NULL AND ticket_id IS NULL AND slot_id IS NULL
        AND resident_id IS NULL AND worker_id IS NULL AND route = 'sms'))
);

INSERT INTO messages_0026 (id, purpose, campaign_id, run, ticket_id, slot_id, resident_id, worker_id, channel, route,
    route_reason, to_key, text, params, url, actor, status, skip_reason, fallback_of, attempts, provider_id,
    provider_code, provider_message, template_code, not_before, deadline, created_at, sent_at, finished_at,
    updated_at, out_id, attempted_at, wait_reason, purged_at)
SELECT id, purpose, campaign_id, run, ticket_id, slot_id, resident_id, worker_id, channel, route,
    route_reason, to_key, text, params, url, actor, status, skip_reason, fallback_of, attempts, provider_id,
    provider_code, provider_message, template_code, not_before, deadline, created_at, sent_at, finished_at,
    updated_at, out_id, attempted_at, wait_reason, purged_at
FROM messages ORDER BY id;

DROP TABLE messages;
ALTER TABLE messages_0026 RENAME TO messages;

-- The indexes of 0008, 0009 and 0012, as they were.
CREATE UNIQUE INDEX messages_campaign_resident ON messages(campaign_id, run, resident_id, channel) WHERE purpose = 'campaign';
CREATE UNIQUE INDEX messages_reminder ON messages(slot_id, channel) WHERE purpose = 'reminder';
CREATE INDEX messages_campaign_status ON messages(campaign_id, status, id);
CREATE INDEX messages_status_updated ON messages(status, updated_at);
CREATE INDEX messages_resident_sent ON messages(resident_id, sent_at);
CREATE INDEX messages_resident_created ON messages(resident_id, created_at);
CREATE INDEX messages_worker_created ON messages(worker_id, created_at) WHERE worker_id IS NOT NULL;
CREATE INDEX messages_provider ON messages(channel, provider_id) WHERE provider_id <> '';
CREATE INDEX messages_ticket ON messages(ticket_id, id) WHERE ticket_id IS NOT NULL;
CREATE INDEX messages_pending_single ON messages(id) WHERE status = 'pending' AND purpose <> 'campaign';
CREATE INDEX messages_out_id ON messages (out_id) WHERE out_id <> '';
CREATE INDEX messages_unknown_to ON messages(to_key) WHERE resident_id IS NULL AND worker_id IS NULL AND to_key <> '';
-- An officer's test sends of a campaign in the last hour (the limit).
CREATE INDEX messages_test_actor ON messages(actor, created_at) WHERE purpose = 'test';
