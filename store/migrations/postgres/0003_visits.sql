-- Visit reminders: the day before a confirmed visit the resident is
-- reminded once. reminder_sent_at is the claim, set by compare and set
-- before the send (several workers may scan at once); channel, provider id
-- and code record what went out. The SQLite migration of the same
-- number must stay equivalent.

ALTER TABLE visit_slots ADD COLUMN reminder_sent_at TIMESTAMPTZ;
ALTER TABLE visit_slots ADD COLUMN reminder_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE visit_slots ADD COLUMN reminder_provider_id TEXT NOT NULL DEFAULT '';
ALTER TABLE visit_slots ADD COLUMN reminder_code TEXT NOT NULL DEFAULT '';
CREATE INDEX visit_slots_reminder_due ON visit_slots(starts_at) WHERE state = 'confirmed' AND reminder_sent_at IS NULL;
