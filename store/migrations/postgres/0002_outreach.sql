-- Outreach ledger: see the SQLite migration of the same number for the
-- meaning of each table and column; the two must stay equivalent.

CREATE TABLE campaigns (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    segment            TEXT NOT NULL DEFAULT '',
    channel_policy     TEXT NOT NULL DEFAULT '',
    sms_sign_name      TEXT NOT NULL DEFAULT '',
    sms_template_code  TEXT NOT NULL DEFAULT '',
    sms_params         TEXT NOT NULL DEFAULT '{}',
    wechat_template_id TEXT NOT NULL DEFAULT '',
    wechat_url         TEXT NOT NULL DEFAULT '',
    wechat_fields      TEXT NOT NULL DEFAULT '{}',
    text               TEXT NOT NULL DEFAULT '',
    schedule_at        TIMESTAMPTZ,
    expires_at         TIMESTAMPTZ,
    recurrence         TEXT NOT NULL DEFAULT '',
    owner              TEXT NOT NULL DEFAULT '',
    approved_by        TEXT NOT NULL DEFAULT '',
    approved_at        TIMESTAMPTZ,
    approved_digest    TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL CHECK (state IN ('draft','scheduled','running','paused','completed','cancelled')),
    reply_options      TEXT NOT NULL DEFAULT '{}',
    extend_code        TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_state ON campaigns(state, id);

CREATE TABLE campaign_events (
    id          BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX campaign_events_campaign ON campaign_events(campaign_id, id);

CREATE TABLE campaign_runs (
    campaign_id      BIGINT NOT NULL REFERENCES campaigns(id),
    run              INTEGER NOT NULL CHECK (run > 0),
    started_at       TIMESTAMPTZ NOT NULL,
    expanded_through BIGINT NOT NULL DEFAULT 0,
    expansion_done   BOOLEAN NOT NULL DEFAULT false,
    finished_at      TIMESTAMPTZ,
    PRIMARY KEY (campaign_id, run)
);

CREATE TABLE messages (
    id               BIGSERIAL PRIMARY KEY,
    campaign_id      BIGINT NOT NULL REFERENCES campaigns(id),
    run              INTEGER NOT NULL,
    resident_id      BIGINT NOT NULL REFERENCES residents(id),
    channel          TEXT NOT NULL CHECK (channel IN ('','wechat','sms')),
    status           TEXT NOT NULL CHECK (status IN ('pending','sending','sent','delivered','failed','skipped')),
    skip_reason      TEXT NOT NULL DEFAULT '',
    fallback_of      BIGINT REFERENCES messages(id),
    attempts         INTEGER NOT NULL DEFAULT 0,
    provider_id      TEXT NOT NULL DEFAULT '',
    provider_code    TEXT NOT NULL DEFAULT '',
    provider_message TEXT NOT NULL DEFAULT '',
    template_code    TEXT NOT NULL DEFAULT '',
    not_before       TIMESTAMPTZ,
    deadline         TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, run, resident_id, channel)
);
CREATE INDEX messages_campaign_status ON messages(campaign_id, status, id);
CREATE INDEX messages_status_updated ON messages(status, updated_at);
CREATE INDEX messages_resident_sent ON messages(resident_id, sent_at);
CREATE INDEX messages_provider ON messages(channel, provider_id) WHERE provider_id <> '';

CREATE TABLE message_events (
    id          BIGSERIAL PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES messages(id),
    at          TIMESTAMPTZ NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events(message_id, id);

CREATE TABLE templates (
    channel   TEXT NOT NULL CHECK (channel IN ('wechat','sms')),
    code      TEXT NOT NULL,
    content   TEXT NOT NULL,
    approved  BOOLEAN NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, code)
);

CREATE TABLE visit_slots (
    id          BIGSERIAL PRIMARY KEY,
    worker_id   BIGINT NOT NULL REFERENCES workers(id),
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('proposed','confirmed','moved','cancelled')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX visit_slots_worker_start ON visit_slots(worker_id, starts_at) WHERE state IN ('proposed','confirmed');
CREATE UNIQUE INDEX visit_slots_resident ON visit_slots(campaign_id, resident_id) WHERE state IN ('proposed','confirmed');
