-- The worker who reported an event (a patrol finding, a hotline call
-- taken), when the report named one: 考核 counts a worker's events
-- reported from it. One row per reported ticket; a resident's message has
-- none. The SQLite migration of the same number must stay equivalent.
CREATE TABLE ticket_reporters (
    ticket_id  BIGINT PRIMARY KEY REFERENCES tickets(id),
    worker_id  BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_reporters_worker ON ticket_reporters (worker_id, created_at);
