-- A worker may file a ticket under another category (desk Recategorise):
-- the timeline gains the kind 'recategorised' (from_status and to_status
-- hold the categories).
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_check;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_check
    CHECK (kind IN ('created','status','assigned','escalated','reopened','rated','merged','recategorised'));
