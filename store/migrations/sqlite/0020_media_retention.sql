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
-- sweep and an erasure now clear them with the address. The PostgreSQL
-- migration of the same number must stay equivalent.
ALTER TABLE ticket_attachments ADD COLUMN purged_at TEXT;
CREATE INDEX ticket_attachments_blob ON ticket_attachments(blob_key) WHERE blob_key <> '';
CREATE INDEX ticket_attachments_thumbnail ON ticket_attachments(thumbnail_key) WHERE thumbnail_key <> '';

CREATE TABLE blob_deletions (
    key       TEXT PRIMARY KEY,
    queued_at TEXT NOT NULL
);

-- SQLite cannot change a CHECK in place: the table is rebuilt.
CREATE TABLE retention_marks_0020 (
    kind       TEXT PRIMARY KEY CHECK (kind IN ('messages','inbound','tickets','bindings','attachments','tasks','supervisions')),
    through_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO retention_marks_0020 (kind, through_id, updated_at) SELECT kind, through_id, updated_at FROM retention_marks;
DROP TABLE retention_marks;
ALTER TABLE retention_marks_0020 RENAME TO retention_marks;

UPDATE tickets SET latitude = NULL, longitude = NULL, place = '' WHERE purged_at IS NOT NULL;
