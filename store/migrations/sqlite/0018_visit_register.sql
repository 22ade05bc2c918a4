-- The visit register (走访台账): one row per visit a worker recorded, in
-- person, by phone or an attempt that found nobody home. household_key
-- ('h' and the household's id, or 'r' and the resident's id) and
-- grid_code are the resident's when the visit was recorded, so the
-- register keeps its history when people move. A record may close a
-- campaign's booked visit (visit_slot_id; a slot is closed once, hence
-- unique) and name the ticket or reported event it opened (ticket_id).
-- visit_slots.visit_record_id marks a slot closed by its record; the
-- slot's state stays as it was, so booking and reminders are unchanged.
-- Photos are keys into the blob store. The PostgreSQL migration of the
-- same number must stay equivalent.
CREATE TABLE visit_records (
    id            INTEGER PRIMARY KEY,
    worker_id     INTEGER NOT NULL REFERENCES workers(id),
    resident_id   INTEGER NOT NULL REFERENCES residents(id),
    household_key TEXT NOT NULL,
    grid_code     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('in_person','phone','not_home')),
    notes         TEXT NOT NULL DEFAULT '',
    visited_at    TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    visit_slot_id INTEGER UNIQUE REFERENCES visit_slots(id),
    ticket_id     INTEGER REFERENCES tickets(id)
);
CREATE INDEX visit_records_grid ON visit_records(grid_code, visited_at);
CREATE INDEX visit_records_worker ON visit_records(worker_id, visited_at);
CREATE INDEX visit_records_resident ON visit_records(resident_id, visited_at);

CREATE TABLE visit_photos (
    record_id INTEGER NOT NULL REFERENCES visit_records(id),
    position  INTEGER NOT NULL,
    blob_key  TEXT NOT NULL,
    PRIMARY KEY (record_id, position)
);

ALTER TABLE visit_slots ADD COLUMN visit_record_id INTEGER REFERENCES visit_records(id);
