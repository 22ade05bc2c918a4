-- Named queries for the PostgreSQL driver; the same names as sqlite.sql.
-- Values are always bound ($N); the only text ever substituted is a compiled
-- segment's WHERE fragment at /*where*/. Lists travel as arrays; child rows
-- as two parallel arrays (resident ids, values).

-- name: MigrateLock
-- Serializes migrations of this schema across processes until commit.
SELECT pg_advisory_xact_lock(20240611, hashtext(current_schema()));

-- name: MigrateInit
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);

-- name: MigrateApplied
SELECT version FROM schema_migrations ORDER BY version;

-- name: MigrateRecord
INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3);

-- name: UpsertGrid
INSERT INTO grids (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code;

-- name: Grids
SELECT code, name, level, COALESCE(parent_code, '') FROM grids ORDER BY code;

-- name: Grid
SELECT code, name, level, COALESCE(parent_code, '') FROM grids WHERE code = $1;

-- name: ReleaseWorkerRole
UPDATE workers SET grid_code = NULL WHERE grid_code = $1 AND role = $2 AND code <> $3;

-- name: UpsertWorker
INSERT INTO workers (code, name, phone, openid, role, grid_code, visiting_hours) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, phone = excluded.phone, openid = excluded.openid,
    role = excluded.role, grid_code = excluded.grid_code, visiting_hours = excluded.visiting_hours;

-- name: Workers
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers ORDER BY code;

-- name: WorkerForGrid
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers
WHERE grid_code = $1 AND role = $2 ORDER BY id LIMIT 1;

-- name: GridParent
SELECT COALESCE(parent_code, '') FROM grids WHERE code = $1;

-- name: ResidentByID
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id = $1;

-- name: ResidentByHash
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id_hash = $1;

-- name: ResidentByPhone
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.phone = $1 AND r.phone <> '' ORDER BY r.id LIMIT 1;

-- name: ResidentByOpenID
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.openid = $1 AND r.openid <> '';

-- name: ResidentSealedID
SELECT id_sealed FROM residents WHERE id = $1;

-- name: CountResidents
SELECT count(*) FROM residents;

-- name: MatchResidents
SELECT id, id_hash, content_hash FROM residents WHERE id_hash = ANY($1);

-- name: HouseholdID
SELECT id FROM households WHERE grid_code = $1 AND community = $2 AND building = $3 AND unit = $4 AND room = $5;

-- name: InsertHousehold
INSERT INTO households (grid_code, community, building, unit, room) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (grid_code, community, building, unit, room) DO NOTHING RETURNING id;

-- name: InsertResident
INSERT INTO residents (id_hash, id_sealed, id_masked, name, gender, birth_date, phone, household_id, grid_code,
    training_course, training_cohort, openid, preferred_channel, content_hash, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id;

-- name: UpdateResident
UPDATE residents SET name = $1, gender = $2, birth_date = $3, phone = $4, household_id = $5, grid_code = $6,
    training_course = $7, training_cohort = $8, openid = COALESCE(NULLIF($9, ''), openid),
    preferred_channel = $10, content_hash = $11, updated_at = $12
WHERE id = $13;

-- name: DeleteCategories
DELETE FROM resident_categories WHERE resident_id = ANY($1);

-- name: DeleteSkills
DELETE FROM resident_skills WHERE resident_id = ANY($1);

-- name: DeleteJobs
DELETE FROM resident_jobs WHERE resident_id = ANY($1);

-- name: InsertCategories
INSERT INTO resident_categories (resident_id, category)
SELECT * FROM unnest($1::bigint[], $2::text[])
ON CONFLICT DO NOTHING;

-- name: InsertSkills
INSERT INTO resident_skills (resident_id, skill)
SELECT * FROM unnest($1::bigint[], $2::text[])
ON CONFLICT DO NOTHING;

-- name: InsertJobs
INSERT INTO resident_jobs (resident_id, job)
SELECT * FROM unnest($1::bigint[], $2::text[])
ON CONFLICT DO NOTHING;

-- name: InsertOptOuts
INSERT INTO resident_optouts (resident_id, topic, created_at)
SELECT i, v, $1::timestamptz FROM unnest($2::bigint[], $3::text[]) AS u(i, v)
ON CONFLICT DO NOTHING;

-- name: CategoriesOf
SELECT resident_id, category FROM resident_categories
WHERE resident_id = ANY($1) ORDER BY resident_id, category;

-- name: SkillsOf
SELECT resident_id, skill FROM resident_skills
WHERE resident_id = ANY($1) ORDER BY resident_id, skill;

-- name: JobsOf
SELECT resident_id, job FROM resident_jobs
WHERE resident_id = ANY($1) ORDER BY resident_id, job;

-- name: OptOutsOf
SELECT resident_id, topic FROM resident_optouts
WHERE resident_id = ANY($1) ORDER BY resident_id, topic;

-- name: ResidentExists
SELECT id FROM residents WHERE id = $1;

-- name: InsertOptOut
INSERT INTO resident_optouts (topic, resident_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING;

-- name: DeleteOptOut
DELETE FROM resident_optouts WHERE topic = $1 AND resident_id = $2;

-- name: TouchResident
UPDATE residents SET updated_at = $1 WHERE id = $2;

-- name: OpenIDOwner
SELECT id FROM residents WHERE openid = $1 AND openid <> '';

-- name: BindOpenID
UPDATE residents SET openid = $1, updated_at = $2 WHERE id = $3;

-- name: SegmentCount
SELECT count(*) FROM residents r WHERE (/*where*/);

-- name: SegmentPage
-- Arguments: after id, limit, then the fragment's own from $3.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id > $1 AND (/*where*/)
ORDER BY r.id LIMIT $2;

-- name: SegmentSample
-- Arguments: the limit, then the fragment's own from $2. The order scatters
-- ids (a multiplicative hash) so a preview spans grids, yet is stable.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE (/*where*/)
ORDER BY (r.id * 2654435761) % 4294967296, r.id LIMIT $1;

-- name: UpsertSegment
INSERT INTO saved_segments (name, expr, description, owner, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO UPDATE SET expr = excluded.expr, description = excluded.description,
    owner = excluded.owner, updated_at = excluded.updated_at;

-- name: Segment
SELECT name, expr, description, owner, created_at, updated_at FROM saved_segments WHERE name = $1;

-- name: Segments
SELECT name, expr, description, owner, created_at, updated_at FROM saved_segments ORDER BY name;

-- name: DeleteSegment
DELETE FROM saved_segments WHERE name = $1;

-- name: SyncCursor
SELECT cursor FROM sync_state WHERE source = $1;

-- name: SetSyncCursor
INSERT INTO sync_state (source, cursor, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at;

-- name: BulkReserveIDs
-- Reserves $1 resident ids for a COPY that names its ids (so child rows can
-- be copied with them); other writers keep drawing from the same sequence.
SELECT array_agg(nextval(pg_get_serial_sequence('residents', 'id'))) FROM generate_series(1, $1);

-- name: BulkHouseholdStage
CREATE TEMP TABLE IF NOT EXISTS bulk_households (
    grid_code TEXT NOT NULL,
    community TEXT NOT NULL,
    building  TEXT NOT NULL,
    unit      TEXT NOT NULL,
    room      TEXT NOT NULL
) ON COMMIT DELETE ROWS;

-- name: BulkHouseholdInsert
INSERT INTO households (grid_code, community, building, unit, room)
SELECT DISTINCT grid_code, community, building, unit, room FROM bulk_households
ON CONFLICT (grid_code, community, building, unit, room) DO NOTHING;

-- name: BulkHouseholdIDs
SELECT h.id, h.grid_code, h.community, h.building, h.unit, h.room
FROM households h JOIN bulk_households b USING (grid_code, community, building, unit, room);

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
CREATE INDEX IF NOT EXISTS residents_grid ON residents(grid_code text_pattern_ops, id);
CREATE INDEX IF NOT EXISTS residents_birth ON residents(birth_date);
CREATE INDEX IF NOT EXISTS residents_phone ON residents(phone) WHERE phone <> '';
CREATE INDEX IF NOT EXISTS residents_updated ON residents(updated_at);
CREATE INDEX IF NOT EXISTS resident_categories_resident ON resident_categories(resident_id);
CREATE INDEX IF NOT EXISTS resident_skills_resident ON resident_skills(resident_id);
CREATE INDEX IF NOT EXISTS resident_jobs_resident ON resident_jobs(resident_id);
CREATE INDEX IF NOT EXISTS resident_optouts_resident ON resident_optouts(resident_id);
