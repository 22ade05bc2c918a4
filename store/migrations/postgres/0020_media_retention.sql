-- Retention and erasure of tickets' photos, voice and staff notes
-- (package retention). An attachment purged — by the retention sweep or
-- an erasure — keeps its id, ticket, resident message, kind, who added it
-- and when (purged_at says when it was let go); its blob keys, content
-- type, size and provider media id are cleared. The store cannot reach
-- the blob store: in the same transaction it queues the keys in
-- blob_deletions, and the process that holds the blob store deletes the
-- objects and takes them off; what a crash leaves queued, the next sweep
-- or erasure deletes. A queued key an attachment not purged still refers
-- to (the blob store keeps one object for the same bytes) is taken off
-- without deleting, hence the indexes by key. Department tasks and 督办
-- flags are walked by the sweep too, so retention_marks takes their
-- kinds. Tickets purged before this lose their point and place, as the
-- sweep and an erasure now clear them with the address. The SQLite
-- migration of the same number must stay equivalent.
ALTER TABLE ticket_attachments ADD COLUMN purged_at TIMESTAMPTZ;
CREATE INDEX ticket_attachments_blob ON ticket_attachments(blob_key) WHERE blob_key <> '';
CREATE INDEX ticket_attachments_thumbnail ON ticket_attachments(thumbnail_key) WHERE thumbnail_key <> '';

CREATE TABLE blob_deletions (
    key       TEXT PRIMARY KEY,
    queued_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE retention_marks DROP CONSTRAINT retention_marks_kind_check,
    ADD CONSTRAINT retention_marks_kind_check
        CHECK (kind IN ('messages','inbound','tickets','bindings','attachments','tasks','supervisions'));

UPDATE tickets SET latitude = NULL, longitude = NULL, place = '' WHERE purged_at IS NOT NULL;
