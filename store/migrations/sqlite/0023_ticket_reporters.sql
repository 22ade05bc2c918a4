-- The worker who reported an event (a patrol finding, a hotline call
-- taken), when the report named one: 考核 counts a worker's events
-- reported from it. One row per reported ticket; a resident's message has
-- none. The PostgreSQL migration of the same number must stay equivalent.
CREATE TABLE ticket_reporters (
    ticket_id  INTEGER PRIMARY KEY REFERENCES tickets(id),
    worker_id  INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_reporters_worker ON ticket_reporters (worker_id, created_at);
