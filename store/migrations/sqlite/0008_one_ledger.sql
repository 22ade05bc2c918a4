-- One ledger for everything GridCast sends. Campaign messages, visit
-- reminders (until now four columns of visit_slots) and the ticket desk's
-- messages (until now the table ticket_outbound) become rows of messages,
-- told apart by purpose, with one status machine, one claim and one
-- receipt lookup. Campaign messages keep their ids (they are the OutId and
-- client_msg_id the providers know); desk messages and reminders get new
-- ones. A desk message left sending is handed back to pending, as the desk
-- did after ten minutes. An SMS's provider id becomes "<BizId>/<phone>"
-- for every purpose. The PostgreSQL migration of the same number must stay
-- equivalent.
--
-- SQLite cannot drop NOT NULL or a table constraint in place, so messages
-- is rebuilt; the store runs migrations with foreign keys off and checks
-- every reference before it commits.

CREATE TABLE messages_new (
    id               INTEGER PRIMARY KEY,
    purpose          TEXT NOT NULL CHECK (purpose IN ('campaign','reminder','ack','confirm','bind_code','reply','rating_request','notify')),
    campaign_id      INTEGER REFERENCES campaigns(id),
    run              INTEGER,
    ticket_id        INTEGER REFERENCES tickets(id),
    slot_id          INTEGER REFERENCES visit_slots(id),
    resident_id      INTEGER REFERENCES residents(id),
    worker_id        INTEGER REFERENCES workers(id),
    channel          TEXT NOT NULL CHECK (channel IN ('','wechat','sms')),
    route            TEXT NOT NULL CHECK (route IN ('','wechat_customer_service','wechat_template','sms')),
    route_reason     TEXT NOT NULL DEFAULT '',
    to_key           TEXT NOT NULL DEFAULT '',      -- openid or phone of a desk message
    text             TEXT NOT NULL DEFAULT '',
    params           TEXT NOT NULL DEFAULT '{}',    -- JSON object: template parameters of a desk message
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
    CHECK (purpose <> 'campaign' OR (campaign_id IS NOT NULL AND run > 0 AND resident_id IS NOT NULL)),
    CHECK (purpose <> 'reminder' OR (campaign_id IS NOT NULL AND slot_id IS NOT NULL AND resident_id IS NOT NULL))
);

INSERT INTO messages_new (id, purpose, campaign_id, run, resident_id, channel, route, status, skip_reason,
    fallback_of, attempts, provider_id, provider_code, provider_message, template_code, not_before, deadline,
    created_at, sent_at, finished_at, updated_at)
SELECT id, 'campaign', campaign_id, run, resident_id, channel,
    CASE channel WHEN 'wechat' THEN 'wechat_template' WHEN 'sms' THEN 'sms' ELSE '' END,
    status, skip_reason, fallback_of, attempts, provider_id, provider_code, provider_message, template_code,
    not_before, deadline, created_at, sent_at, finished_at, updated_at
FROM messages ORDER BY id;

INSERT INTO messages_new (purpose, ticket_id, resident_id, worker_id, channel, route, route_reason, to_key,
    text, template_code, params, actor, status, attempts, provider_id, provider_code, provider_message,
    created_at, sent_at, finished_at, updated_at)
SELECT kind, ticket_id, resident_id, worker_id,
    CASE route WHEN 'sms' THEN 'sms' WHEN '' THEN '' ELSE 'wechat' END, route, route_reason, to_key,
    text, template_code, params, actor, CASE status WHEN 'sending' THEN 'pending' ELSE status END, attempts,
    CASE WHEN route = 'sms' AND provider_id <> '' THEN provider_id || '/' || to_key ELSE provider_id END,
    provider_code, provider_message, created_at, sent_at, finished_at, updated_at
FROM ticket_outbound ORDER BY id;

-- A reminder claimed but never settled (a crash between the claim and the
-- send) was lost by the old design; it is recorded as failed, UNSETTLED.
INSERT INTO messages_new (purpose, campaign_id, slot_id, resident_id, channel, route, status, skip_reason,
    provider_id, provider_code, created_at, sent_at, finished_at, updated_at)
SELECT 'reminder', campaign_id, id, resident_id, reminder_channel,
    CASE reminder_channel WHEN 'wechat' THEN 'wechat_template' WHEN 'sms' THEN 'sms' ELSE '' END,
    CASE WHEN reminder_provider_id <> '' THEN 'sent' WHEN reminder_code LIKE 'skipped:%' THEN 'skipped' ELSE 'failed' END,
    CASE WHEN reminder_code LIKE 'skipped:%' THEN substr(reminder_code, 9) ELSE '' END,
    reminder_provider_id,
    CASE WHEN reminder_code LIKE 'skipped:%' THEN '' WHEN reminder_provider_id = '' AND reminder_code = '' THEN 'UNSETTLED' ELSE reminder_code END,
    reminder_sent_at, CASE WHEN reminder_provider_id <> '' THEN reminder_sent_at END,
    CASE WHEN reminder_provider_id = '' THEN reminder_sent_at END, updated_at
FROM visit_slots WHERE reminder_sent_at IS NOT NULL ORDER BY id;

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
DROP TABLE ticket_outbound;
DROP INDEX visit_slots_reminder_due;
ALTER TABLE visit_slots DROP COLUMN reminder_sent_at;
ALTER TABLE visit_slots DROP COLUMN reminder_channel;
ALTER TABLE visit_slots DROP COLUMN reminder_provider_id;
ALTER TABLE visit_slots DROP COLUMN reminder_code;

-- One message per resident, run and channel of a campaign (the fan-out's
-- idempotence), one reminder per slot and channel.
CREATE UNIQUE INDEX messages_campaign_resident ON messages(campaign_id, run, resident_id, channel) WHERE purpose = 'campaign';
CREATE UNIQUE INDEX messages_reminder ON messages(slot_id, channel) WHERE purpose = 'reminder';
CREATE INDEX messages_campaign_status ON messages(campaign_id, status, id);
-- Recovery of stuck sends and reconciliation of stale ones.
CREATE INDEX messages_status_updated ON messages(status, updated_at);
-- Frequency caps, a resident's message history, the reply window.
CREATE INDEX messages_resident_sent ON messages(resident_id, sent_at);
CREATE INDEX messages_resident_created ON messages(resident_id, created_at);
CREATE INDEX messages_worker_created ON messages(worker_id, created_at) WHERE worker_id IS NOT NULL;
-- Receipts find their message by the provider's id.
CREATE INDEX messages_provider ON messages(channel, provider_id) WHERE provider_id <> '';
-- A ticket's conversation.
CREATE INDEX messages_ticket ON messages(ticket_id, id) WHERE ticket_id IS NOT NULL;
-- What the per-minute tick hands to the queue again: pending messages that
-- belong to no campaign fan-out.
CREATE INDEX messages_pending_single ON messages(id) WHERE status = 'pending' AND purpose <> 'campaign';
