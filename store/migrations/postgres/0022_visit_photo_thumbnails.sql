-- A visit's photos are uploaded with the record and kept as the blob
-- store keeps an attachment: the original's key, its thumbnail's key
-- ('' when the blob store made none), its sniffed content type and size,
-- which the photo's route serves. An erased resident's thumbnails are
-- queued for deletion with the originals, and a queued key a thumbnail
-- still refers to is kept, which the queue's reader checks by key. The
-- SQLite migration of the same number must stay equivalent.
ALTER TABLE visit_photos ADD COLUMN thumbnail_key TEXT NOT NULL DEFAULT '';
ALTER TABLE visit_photos ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE visit_photos ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
CREATE INDEX visit_photos_thumbnail ON visit_photos (thumbnail_key);
