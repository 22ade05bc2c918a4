-- One ledger for everything GridCast sends. Campaign messages, visit
-- reminders (until now four columns of visit_slots) and the ticket desk's
-- messages (until now the table ticket_outbound) become rows of messages,
-- told apart by purpose, with one status machine, one claim and one
-- receipt lookup. Campaign messages keep their ids (they are the OutId and
-- client_msg_id the providers know); desk messages and reminders get new
-- ones. A desk message left sending is handed back to pending, as the desk
-- did after ten minutes. An SMS's provider id becomes "<BizId>/<phone>"
-- for every purpose. The SQLite migration of the same number must stay
-- equivalent.

ALTER TABLE messages
    ADD COLUMN purpose      TEXT NOT NULL DEFAULT 'campaign'
        CHECK (purpose IN ('campaign','reminder','ack','confirm','bind_code','reply','rating_request','notify')),
    ADD COLUMN ticket_id    BIGINT REFERENCES tickets(id),
    ADD COLUMN slot_id      BIGINT REFERENCES visit_slots(id),
    ADD COLUMN worker_id    BIGINT REFERENCES workers(id),
    ADD COLUMN route        TEXT NOT NULL DEFAULT ''
        CHECK (route IN ('','wechat_customer_service','wechat_template','sms')),
    ADD COLUMN route_reason TEXT NOT NULL DEFAULT '',
    ADD COLUMN to_key       TEXT NOT NULL DEFAULT '',
    ADD COLUMN text         TEXT NOT NULL DEFAULT '',
    ADD COLUMN params       TEXT NOT NULL DEFAULT '{}',
    ADD COLUMN url          TEXT NOT NULL DEFAULT '',
    ADD COLUMN actor        TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ALTER COLUMN purpose DROP DEFAULT;
ALTER TABLE messages ALTER COLUMN campaign_id DROP NOT NULL,
    ALTER COLUMN run DROP NOT NULL,
    ALTER COLUMN resident_id DROP NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_campaign_id_run_resident_id_channel_key;
UPDATE messages SET route = CASE channel WHEN 'wechat' THEN 'wechat_template' WHEN 'sms' THEN 'sms' ELSE '' END;
ALTER TABLE messages
    ADD CONSTRAINT messages_campaign_refs CHECK (purpose <> 'campaign' OR (campaign_id IS NOT NULL AND run > 0 AND resident_id IS NOT NULL)),
    ADD CONSTRAINT messages_reminder_refs CHECK (purpose <> 'reminder' OR (campaign_id IS NOT NULL AND slot_id IS NOT NULL AND resident_id IS NOT NULL));

INSERT INTO messages (purpose, ticket_id, resident_id, worker_id, channel, route, route_reason, to_key,
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
INSERT INTO messages (purpose, campaign_id, slot_id, resident_id, channel, route, status, skip_reason,
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

DROP TABLE ticket_outbound;
DROP INDEX IF EXISTS visit_slots_reminder_due;
ALTER TABLE visit_slots DROP COLUMN reminder_sent_at, DROP COLUMN reminder_channel,
    DROP COLUMN reminder_provider_id, DROP COLUMN reminder_code;

-- One message per resident, run and channel of a campaign (the fan-out's
-- idempotence), one reminder per slot and channel.
CREATE UNIQUE INDEX messages_campaign_resident ON messages(campaign_id, run, resident_id, channel) WHERE purpose = 'campaign';
CREATE UNIQUE INDEX messages_reminder ON messages(slot_id, channel) WHERE purpose = 'reminder';
-- A resident's message history and the reply window; a worker's notifications.
CREATE INDEX messages_resident_created ON messages(resident_id, created_at);
CREATE INDEX messages_worker_created ON messages(worker_id, created_at) WHERE worker_id IS NOT NULL;
-- A ticket's conversation.
CREATE INDEX messages_ticket ON messages(ticket_id, id) WHERE ticket_id IS NOT NULL;
-- What the per-minute tick hands to the queue again: pending messages that
-- belong to no campaign fan-out.
CREATE INDEX messages_pending_single ON messages(id) WHERE status = 'pending' AND purpose <> 'campaign';
