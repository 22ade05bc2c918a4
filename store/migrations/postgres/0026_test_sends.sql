-- A test send (试发): an officer sends a campaign's SMS, rendered for a
-- made-up resident, to their own phone. It is a row of the ledger like
-- every message, of purpose 'test', and belongs to no campaign run,
-- resident or worker (the officer is its actor), so that no funnel, cap,
-- sign-up or history counts it; it goes by SMS only. The SQLite migration
-- of the same number must stay equivalent (there the table is rebuilt).
-- messages_purpose_check is the name PostgreSQL gave the column CHECK of
-- 0008.

ALTER TABLE messages DROP CONSTRAINT messages_purpose_check,
    ADD CONSTRAINT messages_purpose_check
        CHECK (purpose IN ('campaign','reminder','ack','confirm','bind_code','reply','rating_request','notify','test')),
    ADD CONSTRAINT messages_test_refs CHECK (purpose <> 'test' OR (campaign_id IS NULL AND run IS NULL AND ticket_id IS NULL
        AND slot_id IS NULL AND resident_id IS NULL AND worker_id IS NULL AND route = 'sms'));

-- An officer's test sends of a campaign in the last hour (the limit).
CREATE INDEX messages_test_actor ON messages(actor, created_at) WHERE purpose = 'test';
