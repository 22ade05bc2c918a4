-- An erased resident's visit photos go to the blob deletion queue
-- (blob_deletions, 0020); a queued key a visit photo still refers to (the
-- blob store keeps one object for the same bytes) is not deleted, which
-- the queue's reader checks by key. The PostgreSQL migration of
-- the same number must stay equivalent.
CREATE INDEX visit_photos_key ON visit_photos (blob_key);
