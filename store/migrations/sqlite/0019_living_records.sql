-- Living records (活户籍): what grid workers and community staff keep
-- current from the field. A resident's status (active, moved_out,
-- deceased; every existing row is active) decides whether segments select
-- them and campaigns message them; living arrangement, self-care level,
-- health note (sensitive personal data: never logged, masked in lists) and
-- relation to the head of the household are kept beside the imported
-- fields and never written by an import or sync. resident_changes keeps
-- every change — who, when, which field, before and after in clear for
-- the change file sent back to the source population system — and, in
-- worker_id, the grid worker it counts for in their evaluation (考核).
-- The PostgreSQL migration of the same number must stay equivalent.

ALTER TABLE residents ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','moved_out','deceased'));
ALTER TABLE residents ADD COLUMN living TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN self_care TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN health_note TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN relation TEXT NOT NULL DEFAULT '';
-- Few residents are not active, and few have a record beyond the
-- defaults: partial indexes over those few let a segment leave out the
-- inactive ones (an anti-join over residents_inactive) and a page of
-- residents find its records (residents_records) without touching the
-- active, unrecorded majority.
CREATE INDEX residents_inactive ON residents(id) WHERE status <> 'active';
CREATE INDEX residents_records ON residents(id)
    WHERE status <> 'active' OR living <> '' OR self_care <> '' OR health_note <> '' OR relation <> '';

CREATE TABLE resident_changes (
    id           INTEGER PRIMARY KEY,
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    grid_code    TEXT NOT NULL,
    field        TEXT NOT NULL CHECK (field IN ('status','phone','living','selfcare','health','relation')),
    before_value TEXT NOT NULL,
    after_value  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    worker_id    INTEGER REFERENCES workers(id),
    source       TEXT NOT NULL CHECK (source IN ('field','import','sync')),
    note         TEXT NOT NULL DEFAULT '',
    changed_at   TEXT NOT NULL -- RFC 3339 UTC
);
CREATE INDEX resident_changes_resident ON resident_changes(resident_id, id);
CREATE INDEX resident_changes_at ON resident_changes(changed_at, id);
CREATE INDEX resident_changes_worker ON resident_changes(worker_id, changed_at) WHERE worker_id IS NOT NULL;
