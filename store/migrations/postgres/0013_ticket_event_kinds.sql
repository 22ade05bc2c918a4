-- A worker may file a ticket under another category (desk Recategorise)
-- and change its urgency (desk SetUrgency): the timeline gains the kinds
-- 'recategorised' (from_status and to_status hold the categories) and
-- 'urgency' (they hold the urgencies).
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_check;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_check
    CHECK (kind IN ('created','status','assigned','escalated','reopened','rated','merged','recategorised','urgency'));
