-- An inbound message is recorded before it is acted on; handled_at marks
-- that the action finished, so that a retry after a failure in between
-- acts again instead of taking the message for a duplicate. The SQLite
-- migration of the same number must stay equivalent.
ALTER TABLE inbound_messages ADD COLUMN handled_at TIMESTAMPTZ;
