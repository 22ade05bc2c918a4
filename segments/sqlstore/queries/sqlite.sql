-- Named queries for the SQLite driver. Each block starts with "-- name: X"
-- and runs until the next one; queries.go loads them at Open and checks that
-- every name the store uses is here. Values are always bound (?); the only
-- text ever substituted is a compiled segment's WHERE fragment at /*where*/.
-- Lists travel as one JSON array argument read with json_each; child rows
-- as one array of [resident_id, value] pairs.

-- name: MigrateLock
SELECT 1;

-- name: MigrateInit
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- name: MigrateApplied
SELECT version FROM schema_migrations ORDER BY version;

-- name: MigrateRecord
INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?);

-- name: UpsertGrid
INSERT INTO grids (code, name, level, parent_code) VALUES (?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code;

-- name: Grids
SELECT code, name, level, COALESCE(parent_code, '') FROM grids ORDER BY code;

-- name: Grid
SELECT code, name, level, COALESCE(parent_code, '') FROM grids WHERE code = ?;

-- name: ReleaseWorkerRole
UPDATE workers SET grid_code = NULL WHERE grid_code = ? AND role = ? AND code <> ?;

-- name: UpsertWorker
INSERT INTO workers (code, name, phone, openid, role, grid_code, visiting_hours) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, phone = excluded.phone, openid = excluded.openid,
    role = excluded.role, grid_code = excluded.grid_code, visiting_hours = excluded.visiting_hours;

-- name: Workers
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers ORDER BY code;

-- name: WorkerForGrid
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers
WHERE grid_code = ? AND role = ? ORDER BY id LIMIT 1;

-- name: GridParent
SELECT COALESCE(parent_code, '') FROM grids WHERE code = ?;

-- name: ResidentByID
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id = ?;

-- name: ResidentByHash
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id_hash = ?;

-- name: ResidentByPhone
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.phone = ? AND r.phone <> '' ORDER BY r.id LIMIT 1;

-- name: ResidentByOpenID
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.openid = ? AND r.openid <> '';

-- name: ResidentSealedID
SELECT id_sealed FROM residents WHERE id = ?;

-- name: CountResidents
SELECT count(*) FROM residents;

-- name: MatchResidents
SELECT id, id_hash, content_hash FROM residents WHERE id_hash IN (SELECT value FROM json_each(?));

-- name: HouseholdID
SELECT id FROM households WHERE grid_code = ? AND community = ? AND building = ? AND unit = ? AND room = ?;

-- name: InsertHousehold
INSERT INTO households (grid_code, community, building, unit, room) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (grid_code, community, building, unit, room) DO NOTHING RETURNING id;

-- name: InsertResident
INSERT INTO residents (id_hash, id_sealed, id_masked, name, gender, birth_date, phone, household_id, grid_code,
    training_course, training_cohort, openid, preferred_channel, content_hash, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: UpdateResident
UPDATE residents SET name = ?, gender = ?, birth_date = ?, phone = ?, household_id = ?, grid_code = ?,
    training_course = ?, training_cohort = ?, openid = COALESCE(NULLIF(?, ''), openid),
    preferred_channel = ?, content_hash = ?, updated_at = ?
WHERE id = ?;

-- name: DeleteCategories
DELETE FROM resident_categories WHERE resident_id IN (SELECT value FROM json_each(?));

-- name: DeleteSkills
DELETE FROM resident_skills WHERE resident_id IN (SELECT value FROM json_each(?));

-- name: DeleteJobs
DELETE FROM resident_jobs WHERE resident_id IN (SELECT value FROM json_each(?));

-- name: InsertCategories
INSERT INTO resident_categories (resident_id, category)
SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
ON CONFLICT DO NOTHING;

-- name: InsertSkills
INSERT INTO resident_skills (resident_id, skill)
SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
ON CONFLICT DO NOTHING;

-- name: InsertJobs
INSERT INTO resident_jobs (resident_id, job)
SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
ON CONFLICT DO NOTHING;

-- name: InsertOptOuts
INSERT INTO resident_optouts (resident_id, topic, created_at)
SELECT value ->> 0, value ->> 1, ? FROM json_each(?) WHERE true
ON CONFLICT DO NOTHING;

-- name: CategoriesOf
SELECT resident_id, category FROM resident_categories
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, category;

-- name: SkillsOf
SELECT resident_id, skill FROM resident_skills
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, skill;

-- name: JobsOf
SELECT resident_id, job FROM resident_jobs
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, job;

-- name: OptOutsOf
SELECT resident_id, topic FROM resident_optouts
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, topic;

-- name: ResidentExists
SELECT id FROM residents WHERE id = ?;

-- name: InsertOptOut
INSERT INTO resident_optouts (topic, resident_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING;

-- name: DeleteOptOut
DELETE FROM resident_optouts WHERE topic = ? AND resident_id = ?;

-- name: TouchResident
UPDATE residents SET updated_at = ? WHERE id = ?;

-- name: OpenIDOwner
SELECT id FROM residents WHERE openid = ? AND openid <> '';

-- name: BindOpenID
UPDATE residents SET openid = ?, updated_at = ? WHERE id = ?;

-- name: SegmentCount
SELECT count(*) FROM residents r WHERE (/*where*/);

-- name: SegmentPage
-- Arguments: after id, the fragment's own arguments, limit.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id > ? AND (/*where*/)
ORDER BY r.id LIMIT ?;

-- name: SegmentSample
-- Arguments: the fragment's own, then the limit. The order scatters ids
-- (a multiplicative hash) so a preview spans grids, yet is stable.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE (/*where*/)
ORDER BY (r.id * 2654435761) % 4294967296, r.id LIMIT ?;

-- name: UpsertSegment
INSERT INTO saved_segments (name, expr, description, owner, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET expr = excluded.expr, description = excluded.description,
    owner = excluded.owner, updated_at = excluded.updated_at;

-- name: Segment
SELECT name, expr, description, owner, created_at, updated_at FROM saved_segments WHERE name = ?;

-- name: Segments
SELECT name, expr, description, owner, created_at, updated_at FROM saved_segments ORDER BY name;

-- name: DeleteSegment
DELETE FROM saved_segments WHERE name = ?;

-- name: SyncCursor
SELECT cursor FROM sync_state WHERE source = ?;

-- name: SetSyncCursor
INSERT INTO sync_state (source, cursor, updated_at) VALUES (?, ?, ?)
ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at;

-- name: MaxResidentID
-- Bulk insert assigns ids itself inside its write transaction (SQLite has one writer).
SELECT COALESCE(MAX(id), 0) FROM residents;

-- name: BulkResident
-- One row; bulk.go repeats the VALUES group for multi-row statements.
INSERT INTO residents (id, id_hash, id_sealed, id_masked, name, gender, birth_date, phone, household_id, grid_code,
    training_course, training_cohort, openid, preferred_channel, content_hash, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: BulkDropIndexes
-- Seeding an empty store drops the non-unique secondary indexes and builds
-- them once at the end (a sort beats a million random inserts). The unique
-- ones stay: they are what makes a duplicate ID number or openid an error.
DROP INDEX IF EXISTS residents_grid;
DROP INDEX IF EXISTS residents_birth;
DROP INDEX IF EXISTS residents_phone;
DROP INDEX IF EXISTS residents_updated;
DROP INDEX IF EXISTS resident_categories_resident;
DROP INDEX IF EXISTS resident_skills_resident;
DROP INDEX IF EXISTS resident_jobs_resident;
DROP INDEX IF EXISTS resident_optouts_resident;

-- name: EnsureIndexes
-- Rebuilds what BulkDropIndexes dropped; run after a seed and at every Open
-- (so a seed that crashed midway is repaired). Must match migrations/.
CREATE INDEX IF NOT EXISTS residents_grid ON residents(grid_code, id);
CREATE INDEX IF NOT EXISTS residents_birth ON residents(birth_date);
CREATE INDEX IF NOT EXISTS residents_phone ON residents(phone) WHERE phone <> '';
CREATE INDEX IF NOT EXISTS residents_updated ON residents(updated_at);
CREATE INDEX IF NOT EXISTS resident_categories_resident ON resident_categories(resident_id);
CREATE INDEX IF NOT EXISTS resident_skills_resident ON resident_skills(resident_id);
CREATE INDEX IF NOT EXISTS resident_jobs_resident ON resident_jobs(resident_id);
CREATE INDEX IF NOT EXISTS resident_optouts_resident ON resident_optouts(resident_id);

-- name: BulkWALRelax
-- During a seed, checkpoint every ~256 MB of WAL instead of every commit, so
-- index pages dirtied by every chunk are copied back once, not per chunk.
PRAGMA wal_autocheckpoint = 65536;

-- name: BulkWALRestore
PRAGMA wal_autocheckpoint = 1000;
