-- Outreach ledger: campaigns and their event log, campaign runs with the
-- fan-out checkpoint, one message row per resident, run and channel with its
-- history, provider templates and booked visit slots. The PostgreSQL
-- migration of the same number must stay equivalent.
-- Timestamps are RFC 3339 UTC text (NULL for "not yet"); booleans 0/1.

CREATE TABLE campaigns (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    segment            TEXT NOT NULL DEFAULT '',
    channel_policy     TEXT NOT NULL DEFAULT '',
    sms_sign_name      TEXT NOT NULL DEFAULT '',
    sms_template_code  TEXT NOT NULL DEFAULT '',
    sms_params         TEXT NOT NULL DEFAULT '{}',   -- JSON object: parameter → value template
    wechat_template_id TEXT NOT NULL DEFAULT '',
    wechat_url         TEXT NOT NULL DEFAULT '',
    wechat_fields      TEXT NOT NULL DEFAULT '{}',   -- JSON object: template key → value template
    text               TEXT NOT NULL DEFAULT '',
    schedule_at        TEXT,
    expires_at         TEXT,
    recurrence         TEXT NOT NULL DEFAULT '',
    owner              TEXT NOT NULL DEFAULT '',
    approved_by        TEXT NOT NULL DEFAULT '',
    approved_at        TEXT,
    approved_digest    TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL CHECK (state IN ('draft','scheduled','running','paused','completed','cancelled')),
    reply_options      TEXT NOT NULL DEFAULT '{}',   -- JSON object: keyword → meaning
    extend_code        TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX campaigns_state ON campaigns(state, id);

-- Every transition and approval, appended in the transaction that makes it.
CREATE TABLE campaign_events (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    from_state  TEXT NOT NULL,                    -- '' for the creation event
    to_state    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX campaign_events_campaign ON campaign_events(campaign_id, id);

-- One row per run (1 for a one-off campaign). The primary key is what makes
-- starting a run idempotent across schedulers; expanded_through is the
-- fan-out's checkpoint: every resident with a lower or equal id has its
-- messages written.
CREATE TABLE campaign_runs (
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id),
    run              INTEGER NOT NULL CHECK (run > 0),
    started_at       TEXT NOT NULL,
    expanded_through INTEGER NOT NULL DEFAULT 0,
    expansion_done   INTEGER NOT NULL DEFAULT 0 CHECK (expansion_done IN (0,1)),
    finished_at      TEXT,
    PRIMARY KEY (campaign_id, run)
);

-- The ledger: who was told what, when, through which channel, what came
-- back. channel is '' only for a resident skipped before a channel was
-- chosen (no_channel). template_code is what the send used (frequency caps
-- count it).
CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id),
    run              INTEGER NOT NULL,
    resident_id      INTEGER NOT NULL REFERENCES residents(id),
    channel          TEXT NOT NULL CHECK (channel IN ('','wechat','sms')),
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
    UNIQUE (campaign_id, run, resident_id, channel)
);
CREATE INDEX messages_campaign_status ON messages(campaign_id, status, id);
CREATE INDEX messages_status_updated ON messages(status, updated_at);
CREATE INDEX messages_resident_sent ON messages(resident_id, sent_at);
CREATE INDEX messages_provider ON messages(channel, provider_id) WHERE provider_id <> '';

CREATE TABLE message_events (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    at          TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events(message_id, id);

-- The provider's templates as last synced (SaveTemplates replaces a
-- channel's whole set).
CREATE TABLE templates (
    channel   TEXT NOT NULL CHECK (channel IN ('wechat','sms')),
    code      TEXT NOT NULL,
    content   TEXT NOT NULL,
    approved  INTEGER NOT NULL CHECK (approved IN (0,1)),
    synced_at TEXT NOT NULL,
    PRIMARY KEY (channel, code)
);

-- Visits booked for visit_schedule campaigns. A slot is live while
-- proposed or confirmed; moved (the resident asked for another time) and
-- cancelled release it. A worker has one live visit per start time, a
-- resident one live visit per campaign.
CREATE TABLE visit_slots (
    id          INTEGER PRIMARY KEY,
    worker_id   INTEGER NOT NULL REFERENCES workers(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('proposed','confirmed','moved','cancelled')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX visit_slots_worker_start ON visit_slots(worker_id, starts_at) WHERE state IN ('proposed','confirmed');
CREATE UNIQUE INDEX visit_slots_resident ON visit_slots(campaign_id, resident_id) WHERE state IN ('proposed','confirmed');
