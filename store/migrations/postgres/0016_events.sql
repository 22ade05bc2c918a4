-- Events staff report (上报): a worker finds a blocked fire lane on patrol,
-- or takes a call from a resident, and files it as a ticket. A ticket now
-- says where it came from (source: 'resident' for every earlier ticket,
-- 'patrol', 'hotline'), who reported it, where it is (an address within
-- the grid and an optional point) and what it concerns (a place, a
-- household; the resident is resident_id as before). Photos and voice —
-- a worker's uploads and the media of residents' WeChat messages — are
-- kept in the blob store and listed in ticket_attachments. The SQLite
-- migration of the same number must stay equivalent.
ALTER TABLE tickets
    ADD COLUMN source TEXT NOT NULL DEFAULT 'resident' CHECK (source IN ('resident','patrol','hotline')),
    ADD COLUMN reporter TEXT NOT NULL DEFAULT '',
    ADD COLUMN address TEXT NOT NULL DEFAULT '',
    ADD COLUMN latitude DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN place TEXT NOT NULL DEFAULT '',
    ADD COLUMN household_id BIGINT REFERENCES households(id);
CREATE INDEX tickets_source_created ON tickets(source, created_at) WHERE source <> 'resident';

CREATE TABLE ticket_attachments (
    id            BIGSERIAL PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES tickets(id),
    inbound_id    BIGINT REFERENCES inbound_messages(id), -- NULL: a staff upload
    kind          TEXT NOT NULL CHECK (kind IN ('image','voice')),
    blob_key      TEXT NOT NULL DEFAULT '',               -- '': the media is missing (see missing)
    thumbnail_key TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL DEFAULT 0,
    media_id      TEXT NOT NULL DEFAULT '',               -- the provider's media id it was fetched by
    missing       TEXT NOT NULL DEFAULT '',               -- why the media could not be kept
    added_by      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments(ticket_id, id);
-- One attachment per resident message: a retried handling adds none.
CREATE UNIQUE INDEX ticket_attachments_inbound ON ticket_attachments(inbound_id) WHERE inbound_id IS NOT NULL;
