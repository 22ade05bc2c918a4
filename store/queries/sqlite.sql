-- Named queries for the SQLite driver. Each block starts with "-- name: X"
-- and runs until the next one; queries.go loads them at Open and checks that
-- every name the store uses is here. Values are always bound (?); the only
-- text ever substituted is a compiled segment's WHERE fragment at /*where*/.
-- Lists travel as one JSON array argument read with json_each; child rows
-- as one array of [resident_id, value] pairs.

-- name: MigrateLock
SELECT 1;

-- name: ForeignKeysOff
-- Around migrations only (see Store.migrate); a no-op inside a transaction.
PRAGMA foreign_keys = OFF;

-- name: ForeignKeysOn
PRAGMA foreign_keys = ON;

-- name: ForeignKeyCheck
-- Columns: table, rowid, parent table, constraint index.
PRAGMA foreign_key_check;

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
-- Columns: id, ID hash, content hash, erased on request (0|1).
SELECT r.id, r.id_hash, r.content_hash, EXISTS (SELECT 1 FROM resident_erasures e WHERE e.resident_id = r.id)
FROM residents r WHERE r.id_hash IN (SELECT value FROM json_each(?));

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

-- The child rows of the residents ? (a JSON array of ids), a query per
-- table: in process, four statements cost less than one compound one.
-- Each row is (kind, resident id, value): kind 0 categories, 1 skills,
-- 2 desired jobs, 3 opt-outs.

-- name: CategoriesOf
SELECT 0, resident_id, category FROM resident_categories
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, category;

-- name: SkillsOf
SELECT 1, resident_id, skill FROM resident_skills
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, skill;

-- name: JobsOf
SELECT 2, resident_id, job FROM resident_jobs
WHERE resident_id IN (SELECT value FROM json_each(?)) ORDER BY resident_id, job;

-- name: OptOutsOf
SELECT 3, resident_id, topic FROM resident_optouts
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
SELECT count(*) FROM residents r WHERE r.id NOT IN (SELECT resident_id FROM resident_erasures) AND (/*where*/);

-- name: Analyze
-- Refreshes the planner's statistics after a bulk load.
ANALYZE;

-- name: SegmentStream
-- One cursor over the whole segment, for StreamSegment on a pooled store.
-- Arguments: after id, the fragment's own arguments.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id > ? AND r.id NOT IN (SELECT resident_id FROM resident_erasures) AND (/*where*/)
ORDER BY r.id;

-- name: SegmentPage
-- Arguments: after id, the fragment's own arguments, limit.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id > ? AND r.id NOT IN (SELECT resident_id FROM resident_erasures) AND (/*where*/)
ORDER BY r.id LIMIT ?;

-- name: SegmentSample
-- Arguments: the fragment's own, then the limit. The order scatters ids
-- (a multiplicative hash) so a preview spans grids, yet is stable.
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id NOT IN (SELECT resident_id FROM resident_erasures) AND (/*where*/)
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

-- ledger ----------------------------------------------------------------------
-- Campaigns, runs, messages and their history, templates and visit slots
-- (migrations/sqlite/0002_outreach.sql). Message rows travel into and out
-- of WriteMessages as one JSON array argument read with json_each.

-- name: InsertCampaign
INSERT INTO campaigns (name, kind, segment, channel_policy, sms_sign_name, sms_template_code, sms_params,
    wechat_template_id, wechat_url, wechat_fields, text, schedule_at, expires_at, recurrence, owner,
    approved_by, approved_at, approved_digest, state, reply_options, extend_code, created_at, updated_at, scope)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: UpdateCampaign
-- Content only, and only while a draft; state, owner and approval stay.
UPDATE campaigns SET name = ?, kind = ?, segment = ?, channel_policy = ?, sms_sign_name = ?, sms_template_code = ?,
    sms_params = ?, wechat_template_id = ?, wechat_url = ?, wechat_fields = ?, text = ?, schedule_at = ?,
    expires_at = ?, recurrence = ?, reply_options = ?, extend_code = ?, updated_at = ?, scope = ?
WHERE id = ? AND state = 'draft';

-- name: CampaignState
SELECT state FROM campaigns WHERE id = ?;

-- name: CampaignByID
SELECT id, name, kind, segment, channel_policy, sms_sign_name, sms_template_code, sms_params,
       wechat_template_id, wechat_url, wechat_fields, text, schedule_at, expires_at, recurrence, owner,
       approved_by, approved_at, approved_digest, state, reply_options, extend_code, created_at, updated_at, scope
FROM campaigns WHERE id = ?;

-- name: Campaigns
-- Arguments: state ('' = all) twice, limit.
SELECT id, name, kind, segment, channel_policy, sms_sign_name, sms_template_code, sms_params,
       wechat_template_id, wechat_url, wechat_fields, text, schedule_at, expires_at, recurrence, owner,
       approved_by, approved_at, approved_digest, state, reply_options, extend_code, created_at, updated_at, scope
FROM campaigns WHERE (? = '' OR state = ?)
ORDER BY id DESC LIMIT ?;

-- name: ApplyCampaignState
-- Optimistic: only if the stored state is still the event's From.
UPDATE campaigns SET state = ?, approved_by = ?, approved_at = ?, approved_digest = ?, updated_at = ?
WHERE id = ? AND state = ?;

-- name: InsertCampaignEvent
INSERT INTO campaign_events (campaign_id, at, actor, from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?);

-- name: CampaignEvents
SELECT campaign_id, at, actor, from_state, to_state, note FROM campaign_events
WHERE campaign_id = ? ORDER BY id;

-- name: InsertRun
INSERT INTO campaign_runs (campaign_id, run, started_at) VALUES (?, ?, ?)
ON CONFLICT (campaign_id, run) DO NOTHING;

-- name: RunCheckpoint
SELECT expanded_through, expansion_done FROM campaign_runs WHERE campaign_id = ? AND run = ?;

-- name: AdvanceRun
-- The checkpoint never moves backwards and a finished expansion stays finished.
UPDATE campaign_runs SET expanded_through = MAX(expanded_through, ?), expansion_done = (expansion_done OR ?)
WHERE campaign_id = ? AND run = ?;

-- name: FinishRun
UPDATE campaign_runs SET finished_at = COALESCE(finished_at, ?) WHERE campaign_id = ? AND run = ?;

-- name: InsertMessages
-- A campaign run's fan-out chunk; returns the rows it wrote (not those the
-- ledger already held). Arguments: campaign id, run, now
-- (created_at, updated_at, finished_at of skipped rows), then a JSON array
-- of {r resident, c channel, s status, k skip reason, f fallback_of|null,
-- nb not_before|null, dl deadline|null}.
INSERT INTO messages (purpose, campaign_id, run, resident_id, channel, route, status, skip_reason, fallback_of,
    not_before, deadline, created_at, finished_at, updated_at)
SELECT 'campaign', ?1, ?2, value ->> 'r', value ->> 'c',
    CASE value ->> 'c' WHEN 'wechat' THEN 'wechat_template' WHEN 'sms' THEN 'sms' ELSE '' END,
    value ->> 's', value ->> 'k', value ->> 'f',
    value ->> 'nb', value ->> 'dl', ?3, CASE WHEN value ->> 's' = 'skipped' THEN ?3 END, ?3
FROM json_each(?4) WHERE true
ON CONFLICT (campaign_id, run, resident_id, channel) WHERE purpose = 'campaign' DO NOTHING
RETURNING id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason;

-- name: ChunkMessages
-- Reads back a chunk's rows, new or already there. Arguments: campaign id,
-- run, the same JSON array InsertMessages took.
SELECT m.id, m.purpose, COALESCE(m.campaign_id, 0), COALESCE(m.run, 0), COALESCE(m.ticket_id, 0),
       COALESCE(m.slot_id, 0), COALESCE(m.resident_id, 0), COALESCE(m.worker_id, 0), m.channel, m.route,
       m.route_reason, m.to_key, m.text, m.template_code, m.params, m.url, m.actor, m.status, m.skip_reason,
       COALESCE(m.fallback_of, 0), m.attempts, m.provider_id, m.provider_code, m.provider_message,
       m.not_before, m.deadline, m.created_at, m.sent_at, m.finished_at, m.updated_at, m.out_id, m.attempted_at, m.wait_reason
-- The pairs are materialized first and CROSS JOIN keeps them the outer
-- loop, so each is one probe of the unique (campaign, run, resident,
-- channel) index; otherwise SQLite may scan the campaign's messages once per
-- pair, which made a fan-out quadratic.
FROM (SELECT value ->> 'r' AS r, value ->> 'c' AS c FROM json_each(?3)) j
CROSS JOIN messages m
WHERE m.purpose = 'campaign' AND m.campaign_id = ?1 AND m.run = ?2 AND m.resident_id = j.r AND m.channel = j.c;

-- name: InsertMessage
-- One message of any purpose. A campaign message or a reminder that the
-- ledger already holds (same campaign, run, resident and channel; same
-- slot and channel) inserts nothing and returns no row.
INSERT INTO messages (purpose, campaign_id, run, ticket_id, slot_id, resident_id, worker_id, channel, route,
    route_reason, to_key, text, template_code, params, url, actor, status, skip_reason, fallback_of,
    not_before, deadline, created_at, finished_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING RETURNING id;

-- name: CampaignMessageByKey
-- Arguments: campaign, run, resident, channel.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE purpose = 'campaign' AND campaign_id = ? AND run = ? AND resident_id = ? AND channel = ?;

-- name: ReminderByKey
-- Arguments: slot, channel.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE purpose = 'reminder' AND slot_id = ? AND channel = ?;

-- name: PendingSingles
-- Pending messages outside a campaign fan-out (reminders, the desk's), by
-- id. Arguments: after id, limit.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE status = 'pending' AND purpose <> 'campaign' AND id > ?
ORDER BY id LIMIT ?;

-- name: StuckSending
-- Messages claimed before a cutoff and still sending, by id. Arguments:
-- cutoff, after id, limit.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE status = 'sending' AND updated_at < ? AND id > ?
ORDER BY id LIMIT ?;

-- name: TestSends
-- An officer's test sends (purpose test) of one campaign (their route
-- reason) created since a time, newest first. Arguments: actor, route
-- reason, since, limit.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE purpose = 'test' AND actor = ? AND route_reason = ? AND created_at >= ?
ORDER BY id DESC LIMIT ?;

-- name: ResidentMessages
-- A resident's messages, newest first, below an id. Arguments: resident,
-- before id, limit.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE resident_id = ? AND id < ?
ORDER BY id DESC LIMIT ?;

-- name: MessageByID
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE id = ?;

-- name: MessagesByStatus
-- One campaign's messages in a status, by id. Arguments: campaign, status,
-- after id, limit.
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE campaign_id = ? AND purpose = 'campaign' AND status = ? AND id > ?
ORDER BY id LIMIT ?;

-- name: ClaimMessage
UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = ?, wait_reason = ''
WHERE id = ? AND status = 'pending'
RETURNING id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason;

-- name: MessageForMove
-- The writer holds the database lock (BEGIN IMMEDIATE) until commit.
SELECT status, provider_id, template_code, sent_at IS NULL FROM messages WHERE id = ?;

-- name: AdvanceMessage
-- Empty texts keep what is stored; sent_at and finished_at are set once; a
-- binding code's parameters are blanked once it is out of our hands.
-- Arguments: to, provider id, code, message, skip reason, template code,
-- sent_at|null, finished_at|null, now, id, from.
UPDATE messages SET status = ?, provider_id = COALESCE(NULLIF(?, ''), provider_id),
    provider_code = COALESCE(NULLIF(?, ''), provider_code),
    provider_message = COALESCE(NULLIF(?, ''), provider_message),
    skip_reason = COALESCE(NULLIF(?, ''), skip_reason),
    template_code = COALESCE(NULLIF(?, ''), template_code),
    sent_at = COALESCE(sent_at, ?), finished_at = COALESCE(finished_at, ?), updated_at = ?,
    params = CASE WHEN purpose = 'bind_code' THEN '{}' ELSE params END,
    attempted_at = NULL, wait_reason = ''
WHERE id = ? AND status = ?;

-- name: FillMessage
-- A move refused as not forward still fills what the ledger lacks (a send
-- whose receipt overtook it). Arguments: provider id, template code,
-- sent_at|null, now, id.
UPDATE messages SET provider_id = COALESCE(NULLIF(provider_id, ''), ?),
    template_code = COALESCE(NULLIF(template_code, ''), ?),
    sent_at = COALESCE(sent_at, ?), updated_at = ?
WHERE id = ?;

-- name: RescheduleMessage
-- An unknown outcome (mode 'unknown') records the call's OutId and time; a
-- recovery (mode 'recover') dates the unknown outcome at the claim, the
-- only time known of a crashed worker's call. Right-hand sides read the
-- row as it was. Arguments: not_before, now, id, attempts (negative:
-- any), reason, mode ('', 'unknown', 'recover'), out id, attempted at.
UPDATE messages SET status = 'pending', not_before = ?1, updated_at = ?2, wait_reason = ?5,
    out_id = CASE WHEN ?6 = 'unknown' THEN ?7 ELSE out_id END,
    attempted_at = CASE ?6 WHEN 'unknown' THEN ?8 WHEN 'recover' THEN updated_at ELSE attempted_at END
WHERE id = ?3 AND status = 'sending' AND (?4 < 0 OR attempts = ?4);

-- name: MarkAttempt
-- The OutId one provider call is about to carry, on each of its claimed
-- messages. Arguments: out id, ids (JSON array).
UPDATE messages SET out_id = ?1 WHERE status = 'sending' AND id IN (SELECT value FROM json_each(?2));

-- name: ClaimMessages
-- ClaimMessage for a batch: each pending message of the ids (JSON array)
-- moves to sending. Arguments: now, ids, the OutId the batch's calls
-- carry (kept off a message whose earlier call's outcome is still
-- unknown). The unary + keeps the status
-- index out of the plan: with it SQLite would walk every pending message
-- of the ledger — a whole campaign's — for each chunk.
UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = ?1, wait_reason = '',
    out_id = CASE WHEN attempted_at IS NULL THEN ?3 ELSE out_id END
WHERE id IN (SELECT value FROM json_each(?2)) AND +status = 'pending'
RETURNING id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason;

-- name: MarkSentMany
-- AdvanceMessage to sent for a batch of messages still sending, each with
-- its provider id. Arguments: [id, provider id] pairs (JSON), template
-- code, sent at, now. Returns the ids moved; the others are left to
-- AdvanceMessage.
WITH u AS MATERIALIZED (SELECT value ->> 0 AS id, value ->> 1 AS pid FROM json_each(?1))
UPDATE messages SET status = 'sent', provider_id = COALESCE(NULLIF(u.pid, ''), messages.provider_id),
    provider_code = 'OK', template_code = COALESCE(NULLIF(?2, ''), messages.template_code),
    sent_at = COALESCE(messages.sent_at, ?3), updated_at = ?4,
    params = CASE WHEN messages.purpose = 'bind_code' THEN '{}' ELSE messages.params END,
    attempted_at = NULL, wait_reason = ''
FROM u
WHERE messages.id = u.id AND messages.status = 'sending'
RETURNING messages.id;

-- name: InsertMessageEvents
-- One history entry per id, all of one move. Arguments: at, from, to,
-- code, [id, note] pairs (JSON).
INSERT INTO message_events (message_id, at, from_status, to_status, code, note)
SELECT value ->> 0, ?1, ?2, ?3, ?4, value ->> 1 FROM json_each(?5);

-- name: SentCountsMany
-- SentCounts for many residents at once. Arguments: day start, week
-- start, template code, resident ids (JSON array), the earlier of the two
-- starts.
SELECT resident_id, COALESCE(SUM(CASE WHEN sent_at >= ?1 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN sent_at >= ?2 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN sent_at >= ?1 AND ?3 <> '' AND template_code = ?3 THEN 1 ELSE 0 END), 0)
FROM messages WHERE resident_id IN (SELECT value FROM json_each(?4)) AND sent_at >= ?5 AND purpose = 'campaign'
GROUP BY resident_id;

-- name: InsertMessageEvent
INSERT INTO message_events (message_id, at, from_status, to_status, code, note) VALUES (?, ?, ?, ?, ?, ?);

-- name: MessageEvents
SELECT message_id, at, from_status, to_status, code, note FROM message_events WHERE message_id = ? ORDER BY id;

-- name: MessageByProvider
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE channel = ? AND provider_id = ? AND provider_id <> ''
ORDER BY id DESC LIMIT 1;

-- name: Funnel
-- Columns: purpose, channel, status, skip reason, failure code, fallback
-- (0|1), count. Argument: campaign.
SELECT purpose, channel, status, skip_reason, CASE WHEN status = 'failed' THEN provider_code ELSE '' END,
       CASE WHEN fallback_of IS NULL THEN 0 ELSE 1 END, count(*)
FROM messages WHERE campaign_id = ?
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: FunnelWithin
-- Funnel's columns over the campaign's messages to residents whose grid
-- lies in a scope. Arguments: campaign, scope (a JSON array of grid codes,
-- each with its subtree).
SELECT m.purpose, m.channel, m.status, m.skip_reason, CASE WHEN m.status = 'failed' THEN m.provider_code ELSE '' END,
       CASE WHEN m.fallback_of IS NULL THEN 0 ELSE 1 END, count(*)
FROM messages m JOIN residents r ON r.id = m.resident_id
WHERE m.campaign_id = ?1 AND EXISTS (SELECT 1 FROM json_each(?2) g
    WHERE r.grid_code = g.value OR substr(r.grid_code, 1, length(g.value) + 1) = g.value || '-')
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: CampaignWaiting
-- A campaign's own pending messages by why they wait, most first.
-- Columns: wait reason ('' for those not tried yet), count, the earliest
-- not_before. Argument: campaign.
SELECT wait_reason, count(*), MIN(not_before)
FROM messages WHERE campaign_id = ? AND status = 'pending' AND purpose = 'campaign'
GROUP BY wait_reason ORDER BY 2 DESC, 1;

-- name: SentCounts
-- Campaign messages only: reminders and the desk's answers do not count
-- against the caps. Arguments: day start, week start, template code,
-- resident id, the earlier of the two starts.
SELECT COALESCE(SUM(CASE WHEN sent_at >= ?1 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN sent_at >= ?2 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN sent_at >= ?1 AND ?3 <> '' AND template_code = ?3 THEN 1 ELSE 0 END), 0)
FROM messages WHERE resident_id = ?4 AND sent_at >= ?5 AND purpose = 'campaign';

-- name: StaleSent
SELECT id, purpose, COALESCE(campaign_id, 0), COALESCE(run, 0), COALESCE(ticket_id, 0), COALESCE(slot_id, 0),
       COALESCE(resident_id, 0), COALESCE(worker_id, 0), channel, route, route_reason, to_key, text,
       template_code, params, url, actor, status, skip_reason, COALESCE(fallback_of, 0), attempts,
       provider_id, provider_code, provider_message, not_before, deadline, created_at, sent_at,
       finished_at, updated_at, out_id, attempted_at, wait_reason
FROM messages WHERE status = 'sent' AND updated_at < ?
ORDER BY updated_at, id LIMIT ?;

-- name: DeleteTemplates
DELETE FROM templates WHERE channel = ?;

-- name: InsertTemplates
-- Arguments: channel, synced_at, a JSON array of {code, content, approved}.
INSERT INTO templates (channel, code, content, approved, synced_at)
SELECT ?1, value ->> 'code', value ->> 'content', value ->> 'approved', ?2 FROM json_each(?3);

-- name: Templates
SELECT code, content, approved FROM templates WHERE channel = ? ORDER BY code;

-- name: BookedSlots
-- Live slots overlapping [from, to). Arguments: worker, to, from.
SELECT resident_id, starts_at, ends_at FROM visit_slots
WHERE worker_id = ? AND state IN ('proposed', 'confirmed') AND starts_at < ? AND ends_at > ?
ORDER BY starts_at;

-- name: InsertSlot
INSERT INTO visit_slots (worker_id, resident_id, campaign_id, starts_at, ends_at, state, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, 'proposed', ?6, ?6)
ON CONFLICT DO NOTHING;

-- name: SlotHolders
-- The live slots a booking collides with. Arguments: worker, start,
-- campaign, resident.
SELECT worker_id, resident_id, campaign_id, starts_at, ends_at FROM visit_slots
WHERE state IN ('proposed', 'confirmed')
  AND ((worker_id = ?1 AND starts_at = ?2) OR (campaign_id = ?3 AND resident_id = ?4));

-- name: SetSlotState
UPDATE visit_slots SET state = ?, updated_at = ?
WHERE resident_id = ? AND campaign_id = ? AND state IN ('proposed', 'confirmed');

-- name: ResidentsByIDs
SELECT r.id, r.id_masked, r.name, r.gender, r.birth_date, r.phone, r.grid_code,
       COALESCE(rh.community, ''), COALESCE(rh.building, ''), COALESCE(rh.unit, ''), COALESCE(rh.room, ''),
       r.training_course, r.training_cohort, r.openid, r.preferred_channel, r.updated_at
FROM residents r LEFT JOIN households rh ON rh.id = r.household_id
WHERE r.id IN (SELECT value FROM json_each(?));

-- Visits and their reminders (migrations/sqlite/0003_visits.sql).

-- name: SlotFor
-- The resident's live slot in a campaign. Arguments: resident, campaign.
SELECT id, worker_id, resident_id, campaign_id, starts_at, ends_at, state FROM visit_slots
WHERE resident_id = ? AND campaign_id = ? AND state IN ('proposed', 'confirmed');

-- name: WorkerVisits
-- A worker's live slots overlapping [from, to), with their campaign.
-- Arguments: worker, to, from.
SELECT id, worker_id, resident_id, campaign_id, starts_at, ends_at, state FROM visit_slots
WHERE worker_id = ? AND state IN ('proposed', 'confirmed') AND starts_at < ? AND ends_at > ?
ORDER BY starts_at;

-- name: DueReminders
-- Confirmed slots starting in [from, to) that have no reminder on the
-- ledger yet. Arguments: from, to, limit.
SELECT s.id, s.worker_id, s.resident_id, s.campaign_id, s.starts_at, s.ends_at, s.state FROM visit_slots s
WHERE s.state = 'confirmed' AND s.starts_at >= ? AND s.starts_at < ?
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.purpose = 'reminder' AND m.slot_id = s.id)
ORDER BY s.starts_at, s.id LIMIT ?;

-- Tickets, their timeline, inbound messages and campaign answers
-- (migrations/sqlite/0004_tickets.sql). A NULL id column reads back as 0.

-- name: InsertInbound
-- The dedupe key decides: a second delivery inserts nothing and returns no
-- row. Arguments: channel, provider msg id, from key, resident, content,
-- received at, campaign, intent.
INSERT INTO inbound_messages (channel, provider_msg_id, from_key, resident_id, content, received_at, campaign_id, intent)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel, provider_msg_id) DO NOTHING RETURNING id;

-- name: InboundByProvider
SELECT id FROM inbound_messages WHERE channel = ? AND provider_msg_id = ?;

-- name: LinkInbound
-- Arguments: ticket, inbound id, ticket again (it must exist).
UPDATE inbound_messages SET ticket_id = ?
WHERE id = ? AND EXISTS (SELECT 1 FROM tickets WHERE id = ?);

-- name: UnknownSenders
-- Messages from senders matching no resident, newest first. Argument: limit.
SELECT id, COALESCE(ticket_id, 0), channel, provider_msg_id, from_key, content, received_at,
    COALESCE(campaign_id, 0), intent
FROM inbound_messages WHERE resident_id IS NULL
ORDER BY received_at DESC, id DESC LIMIT ?;

-- name: InsertTicket
INSERT INTO tickets (resident_id, grid_code, channel, text, category, assignee_worker_id, level, status,
    due_at, rating, campaign_id, slot, merged_into, created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, household_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: TicketByID
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets WHERE id = ?;

-- name: TicketForUpdate
-- What ApplyTicketEvent checks the event against, read in its transaction
-- (SQLite's write lock is already held: BEGIN IMMEDIATE).
SELECT status, level, COALESCE(assignee_worker_id, 0), rating, COALESCE(merged_into, 0), category
FROM tickets WHERE id = ?;

-- name: UpdateTicket
-- Everything but the id, resident, channel, first text and creation time.
UPDATE tickets SET grid_code = ?, category = ?, assignee_worker_id = ?, level = ?, status = ?, due_at = ?,
    rating = ?, campaign_id = ?, slot = ?, merged_into = ?, updated_at = ?, resolved_at = ?, closed_at = ?
WHERE id = ?;

-- name: InsertTicketEvent
INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: TicketEvents
SELECT ticket_id, at, actor, kind, from_status, to_status, note FROM ticket_events
WHERE ticket_id = ? ORDER BY id;

-- name: Tickets
-- Pages by id. Arguments: after id, grid ('' = any) twice, status ('' =
-- any) twice, assignee (0 = any) twice, resident (0 = any) twice, scope
-- (a JSON array of grid codes, each with its subtree; '' = anywhere) twice,
-- query ('' = any: in the text or the resident's name) three times, phone
-- tail ('' = none) three times, unassigned only (a bool), limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE id > ? AND (? = '' OR grid_code = ?) AND (? = '' OR status = ?)
    AND (? = 0 OR assignee_worker_id = ?) AND (? = 0 OR resident_id = ?)
    AND (? = '' OR EXISTS (SELECT 1 FROM json_each(?) g
        WHERE tickets.grid_code = g.value OR substr(tickets.grid_code, 1, length(g.value) + 1) = g.value || '-'))
    AND (? = '' OR instr(tickets.text, ?) > 0 OR EXISTS (SELECT 1 FROM residents r WHERE r.id = tickets.resident_id
        AND (instr(r.name, ?) > 0 OR (? <> '' AND substr(r.phone, -length(?)) = ?))))
    AND (? = 0 OR assignee_worker_id IS NULL)
ORDER BY id LIMIT ?;

-- name: TicketsByDue
-- Tickets as Tickets selects them, the open ones past their deadline
-- first, then by deadline (none last), then by id; paged after the
-- ticket whose id is the cursor (0 = the first page) by comparing the
-- same keys. Arguments: cursor id, grid, status, assignee, resident,
-- scope, query, phone tail, unassigned only, now, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE (?2 = '' OR grid_code = ?2) AND (?3 = '' OR status = ?3)
    AND (?4 = 0 OR assignee_worker_id = ?4) AND (?5 = 0 OR resident_id = ?5)
    AND (?6 = '' OR EXISTS (SELECT 1 FROM json_each(?6) g
        WHERE tickets.grid_code = g.value OR substr(tickets.grid_code, 1, length(g.value) + 1) = g.value || '-'))
    AND (?7 = '' OR instr(tickets.text, ?7) > 0 OR EXISTS (SELECT 1 FROM residents r WHERE r.id = tickets.resident_id
        AND (instr(r.name, ?7) > 0 OR (?8 <> '' AND substr(r.phone, -length(?8)) = ?8))))
    AND (?9 = 0 OR assignee_worker_id IS NULL)
    AND (?1 = 0 OR (CASE WHEN status IN ('new', 'assigned', 'in_progress', 'replied') AND due_at <= ?10 THEN 0 ELSE 1 END,
            due_at IS NULL, COALESCE(due_at, ''), id)
        > (SELECT CASE WHEN c.status IN ('new', 'assigned', 'in_progress', 'replied') AND c.due_at <= ?10 THEN 0 ELSE 1 END,
            c.due_at IS NULL, COALESCE(c.due_at, ''), c.id FROM tickets c WHERE c.id = ?1))
ORDER BY CASE WHEN status IN ('new', 'assigned', 'in_progress', 'replied') AND due_at <= ?10 THEN 0 ELSE 1 END,
    due_at IS NULL, due_at, id
LIMIT ?11;

-- name: OpenTicketFor
-- The resident's latest open ticket; failing that, the latest resolved or
-- closed one that was not merged away (the caller applies the reopen
-- window). Argument: resident.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE resident_id = ? AND merged_into IS NULL
    AND status IN ('new', 'assigned', 'in_progress', 'replied', 'resolved', 'closed')
ORDER BY CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END, created_at DESC, id DESC
LIMIT 1;

-- name: DueTickets
-- Open tickets past their deadline, most overdue first. Arguments:
-- before, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE status IN ('new', 'assigned', 'in_progress', 'replied') AND due_at IS NOT NULL AND due_at < ?
ORDER BY due_at, id LIMIT ?;

-- name: TicketBacklog
-- Open tickets by level, and how many are past their deadline. Argument:
-- now.
SELECT level, count(*), COALESCE(SUM(CASE WHEN due_at IS NOT NULL AND due_at < ? THEN 1 ELSE 0 END), 0)
FROM tickets WHERE status IN ('new', 'assigned', 'in_progress', 'replied')
GROUP BY level ORDER BY level;

-- name: UpsertAnswer
-- The latest answer wins: an answer older than the stored one (a late
-- delivery) changes nothing. Arguments: campaign, resident, option,
-- meaning, answered at, inbound id.
INSERT INTO campaign_answers (campaign_id, resident_id, option, meaning, answered_at, inbound_id)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (campaign_id, resident_id) DO UPDATE SET option = excluded.option, meaning = excluded.meaning,
    answered_at = excluded.answered_at, inbound_id = excluded.inbound_id
WHERE excluded.answered_at >= campaign_answers.answered_at;

-- name: CampaignAnswers
SELECT resident_id, option, meaning, COALESCE(inbound_id, 0), answered_at FROM campaign_answers
WHERE campaign_id = ? ORDER BY answered_at, resident_id;

-- The ticket desk: conversations, bindings, leaves
-- and the lookups its keyword flows make (migrations/sqlite/0005_desk.sql).

-- name: WorkerByID
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers WHERE id = ?;

-- name: WorkerByCode
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers WHERE code = ?;

-- name: InsertLeave
INSERT INTO worker_leaves (worker_id, backup_id, starts_at, ends_at, note, created_at) VALUES (?, ?, ?, ?, ?, ?);

-- name: EndLeave
-- Cuts the worker's leaves covering at short at at. Arguments: at, worker.
UPDATE worker_leaves SET ends_at = ?1 WHERE worker_id = ?2 AND starts_at < ?1 AND ends_at > ?1;

-- name: DropLeave
-- A leave that starts exactly when it is ended would be empty: it goes.
-- Arguments: worker, at.
DELETE FROM worker_leaves WHERE worker_id = ? AND starts_at = ?;

-- name: LeaveAt
-- The latest created leave of the worker covering at. Arguments: worker, at.
SELECT worker_id, backup_id, starts_at, ends_at, note FROM worker_leaves
WHERE worker_id = ?1 AND starts_at <= ?2 AND ends_at > ?2
ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: Leaves
-- Leaves covering at or starting later. Argument: at.
SELECT worker_id, backup_id, starts_at, ends_at, note FROM worker_leaves
WHERE ends_at > ? ORDER BY starts_at, id;

-- name: Conversation
-- The resident's messages linked to the ticket and the ledger's messages
-- to them about it (not the notifications to workers), in time order,
-- inbound first on a tie. Columns: at, outbound (0|1), id, channel, route,
-- purpose, status, actor, text. Argument: ticket.
SELECT received_at, 0, id, channel, '', '', '', '', content FROM inbound_messages WHERE ticket_id = ?1
UNION ALL
SELECT created_at, 1, id, channel, route, purpose, status, actor, text FROM messages
WHERE ticket_id = ?1 AND worker_id IS NULL
ORDER BY 1, 2, 3;

-- name: ReplyWindow
-- The resident's last WeChat message and how many customer-service
-- messages went (or are going) to them since. Argument: resident.
SELECT last.at, (SELECT count(*) FROM messages o
        WHERE o.resident_id = ?1 AND o.route = 'wechat_customer_service'
          AND o.status IN ('pending', 'sending', 'sent', 'delivered') AND o.created_at >= last.at)
FROM (SELECT max(received_at) AS at FROM inbound_messages WHERE resident_id = ?1 AND channel = 'wechat') last;

-- name: LatestOutreach
-- The campaign of the latest campaign message or reminder the resident
-- was sent. Arguments: resident, since.
SELECT campaign_id FROM messages
WHERE resident_id = ? AND sent_at >= ? AND status IN ('sent', 'delivered') AND purpose IN ('campaign', 'reminder')
ORDER BY sent_at DESC, id DESC LIMIT 1;

-- name: CampaignByExtendCode
-- The latest campaign with the code that messaged the resident, else the
-- latest with the code. Arguments: code, resident.
SELECT c.id FROM campaigns c
WHERE c.extend_code = ?1 AND c.extend_code <> ''
ORDER BY EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = c.id AND m.resident_id = ?2) DESC, c.id DESC
LIMIT 1;

-- name: ProposedVisit
-- Arguments: resident, now.
SELECT id, worker_id, resident_id, campaign_id, starts_at, ends_at, state FROM visit_slots
WHERE resident_id = ? AND state = 'proposed' AND starts_at > ?
ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: RatableTicket
-- Arguments: resident, since.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE resident_id = ? AND status = 'resolved' AND rating = 0 AND merged_into IS NULL AND resolved_at >= ?
ORDER BY resolved_at DESC, id DESC LIMIT 1;

-- name: OpenTicketsByGrid
-- Pages by id. Arguments: grid, after id, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE grid_code = ? AND status IN ('new', 'assigned', 'in_progress', 'replied') AND id > ?
ORDER BY id LIMIT ?;

-- name: SupersedeBindings
-- Arguments: now, openid.
UPDATE wechat_bindings SET used_at = ? WHERE openid = ? AND used_at IS NULL;

-- name: InsertBinding
INSERT INTO wechat_bindings (openid, phone, resident_id, code_hash, attempts, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: PendingBinding
-- Arguments: openid, now.
SELECT id, openid, phone, resident_id, code_hash, attempts, created_at, expires_at, used_at FROM wechat_bindings
WHERE openid = ? AND used_at IS NULL AND expires_at > ?
ORDER BY id DESC LIMIT 1;

-- name: BindingAttempt
UPDATE wechat_bindings SET attempts = attempts + 1 WHERE id = ? RETURNING attempts;

-- name: UseBinding
-- Compare and set: a binding is used once. Arguments: now, id.
UPDATE wechat_bindings SET used_at = ? WHERE id = ? AND used_at IS NULL;

-- name: BindingExists
SELECT 1 FROM wechat_bindings WHERE id = ?;

-- name: OpenTicketsByAssignee
-- Pages by id. Arguments: worker id, after id, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE assignee_worker_id = ? AND status IN ('new', 'assigned', 'in_progress', 'replied') AND id > ?
ORDER BY id LIMIT ?;

-- name: TicketsCreatedBetween
-- Tickets created in [from, to), paged by id. Arguments: from, to, after
-- id, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE created_at >= ? AND created_at < ? AND id > ?
ORDER BY id LIMIT ?;

-- name: ClosedBefore
-- Closed tickets that closed before a time, oldest first: the archiving
-- sweep. Arguments: before, limit.
SELECT id, COALESCE(resident_id, 0), grid_code, channel, text, category, COALESCE(assignee_worker_id, 0),
    level, status, due_at, rating, COALESCE(campaign_id, 0), slot, COALESCE(merged_into, 0),
    created_at, updated_at, resolved_at, closed_at,
    source, reporter, address, latitude, longitude, place, COALESCE(household_id, 0)
FROM tickets
WHERE status = 'closed' AND closed_at < ?
ORDER BY closed_at, id LIMIT ?;

-- name: InboundByID
SELECT id, COALESCE(ticket_id, 0), channel, provider_msg_id, from_key, COALESCE(resident_id, 0), content,
    received_at, COALESCE(campaign_id, 0), intent, handled_at
FROM inbound_messages WHERE id = ?;

-- name: MarkInboundHandled
-- Arguments: at, id. Only the first mark counts.
UPDATE inbound_messages SET handled_at = COALESCE(handled_at, ?) WHERE id = ?;

-- users ------------------------------------------------------------------------
-- The users of the API and the console (migrations/sqlite/0010_access.sql).

-- name: InsertUser
INSERT INTO users (name, name_key, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: UpdateUser
-- Arguments: roles, grids, department, token hash, disabled, updated at, worker code, id.
UPDATE users SET roles = ?, grids = ?, department = ?, token_sha256 = ?, disabled = ?, updated_at = ?, worker_code = ?
WHERE id = ?;

-- name: UserByToken
-- Enabled users only: a disabled user's token is refused as unknown.
SELECT id, name, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code
FROM users WHERE token_sha256 = ? AND disabled = 0;

-- name: UserByName
-- Argument: the name folded to lower case (name_key).
SELECT id, name, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code
FROM users WHERE name_key = ?;

-- name: UserByTokenAny
-- Whoever holds a token hash, enabled or not: for the uniqueness check.
SELECT name FROM users WHERE token_sha256 = ?;

-- name: Users
SELECT id, name, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code
FROM users ORDER BY name_key;

-- name: CountUsers
-- Enabled users; none means the trial mode (see api.Config.Users).
SELECT count(*) FROM users WHERE disabled = 0;
-- sessions ----------------------------------------------------------------------
-- Sign-in by password and the console's sessions (migrations 0024,
-- package access: Credentials, Session; store/sessions.go).

-- name: LoginCredentials
-- Argument: the name folded to lower case. Enabled users only.
SELECT id, name, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code,
       password_hash, login_failures, locked_until
FROM users WHERE name_key = ? AND disabled = 0;

-- name: LoginCredentialsByID
SELECT id, name, roles, grids, department, token_sha256, disabled, created_at, updated_at, worker_code,
       password_hash, login_failures, locked_until
FROM users WHERE id = ?;

-- name: SetLoginFailures
-- Arguments: failures, locked until (or NULL), id.
UPDATE users SET login_failures = ?, locked_until = ? WHERE id = ?;

-- name: SetPassword
-- Arguments: hash, updated at, id. A new password ends a lockout.
UPDATE users SET password_hash = ?, login_failures = 0, locked_until = NULL, updated_at = ? WHERE id = ?;

-- name: InsertSession
INSERT INTO sessions (id_sha256, user_id, csrf, method, remote, agent, created_at, seen_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: SessionByID
-- The session and its user, while the user is enabled.
SELECT s.user_id, s.csrf, s.method, s.remote, s.agent, s.created_at, s.seen_at, s.expires_at,
       u.id, u.name, u.roles, u.grids, u.department, u.token_sha256, u.disabled, u.created_at, u.updated_at, u.worker_code
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_sha256 = ? AND u.disabled = 0;

-- name: TouchSession
-- Arguments: seen at, id hash.
UPDATE sessions SET seen_at = ? WHERE id_sha256 = ?;

-- name: DeleteSession
DELETE FROM sessions WHERE id_sha256 = ?;

-- name: DeleteUserSessions
DELETE FROM sessions WHERE user_id = ?;

-- name: PurgeSessions
-- Arguments: now (past their life), idle since (unused since).
DELETE FROM sessions WHERE expires_at <= ? OR seen_at <= ?;

-- name: UserSessions
SELECT id_sha256, user_id, csrf, method, remote, agent, created_at, seen_at, expires_at
FROM sessions WHERE user_id = ? ORDER BY seen_at DESC;

-- name: UserByIdentity
-- Arguments: provider, subject. Enabled users only.
SELECT u.id, u.name, u.roles, u.grids, u.department, u.token_sha256, u.disabled, u.created_at, u.updated_at, u.worker_code
FROM user_identities i JOIN users u ON u.id = i.user_id
WHERE i.provider = ? AND i.subject = ? AND u.disabled = 0;

-- name: InsertIdentity
-- Arguments: provider, subject, user id, created at.
INSERT INTO user_identities (provider, subject, user_id, created_at) VALUES (?, ?, ?, ?);

-- audit -----------------------------------------------------------------------
-- The audit log (migrations/sqlite/0011_audit.sql, package audit): rows are
-- only ever inserted, each chained to the one before. AppendAudit reads the
-- head and inserts in one write transaction: BEGIN IMMEDIATE holds the
-- database's write lock, so appends from several processes make one chain.

-- name: AuditHead
-- The newest entry; no row when the log is empty.
SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;

-- name: InsertAudit
-- Arguments: seq, at, actor, os_user, source, action, subject, reason,
-- detail, prev_hash, hash.
INSERT INTO audit_log (seq, at, actor, os_user, source, action, subject, reason, detail, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: AuditEntries
-- The oldest matching entries. Arguments: actor ('' = any) twice, action
-- ('' = any) twice, the LIKE pattern of the actions under it, subject ('' =
-- any) twice, since, until, after seq, before seq, limit.
SELECT seq, at, actor, os_user, source, action, subject, reason, detail, prev_hash, hash
FROM audit_log
WHERE (? = '' OR actor = ?) AND (? = '' OR action = ? OR action LIKE ? ESCAPE '\')
    AND (? = '' OR subject = ?) AND at >= ? AND at < ? AND seq > ? AND seq < ?
ORDER BY seq LIMIT ?;

-- name: AuditEntriesNewest
-- AuditEntries, the newest first.
SELECT seq, at, actor, os_user, source, action, subject, reason, detail, prev_hash, hash
FROM audit_log
WHERE (? = '' OR actor = ?) AND (? = '' OR action = ? OR action LIKE ? ESCAPE '\')
    AND (? = '' OR subject = ?) AND at >= ? AND at < ? AND seq > ? AND seq < ?
ORDER BY seq DESC LIMIT ?;

-- name: AuditPage
-- Every entry after a seq, in seq order: VerifyAudit's pages. Arguments:
-- after seq, limit.
SELECT seq, at, actor, os_user, source, action, subject, reason, detail, prev_hash, hash
FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?;
-- retention and erasure -------------------------------------------------------
-- The retention sweep and erasure on request (package retention;
-- migrations/sqlite/0012_retention.sql). A sweep reads a batch of a table
-- by id with each row's state — 0 young (at or after the cutoff), 1 held
-- (old, but still needed: pending or sending, or about a ticket not closed
-- before the cutoff), 2 done (nothing left to clear), 3 due — and clears the
-- due ones by id, re-checking what made them due.

-- name: RetentionMark
SELECT through_id FROM retention_marks WHERE kind = ?;

-- name: SetRetentionMark
-- The mark never moves back. Arguments: kind, through id, now.
INSERT INTO retention_marks (kind, through_id, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (kind) DO UPDATE SET through_id = MAX(retention_marks.through_id, excluded.through_id),
    updated_at = excluded.updated_at;

-- name: RetentionMessages
-- Arguments: cutoff, after id, limit.
SELECT m.id, CASE
    WHEN m.created_at >= ?1 THEN 0
    WHEN m.status IN ('pending', 'sending') THEN 1
    WHEN m.purged_at IS NOT NULL OR (m.text = '' AND m.params = '{}' AND m.url = '' AND m.to_key = ''
        AND instr(m.provider_id, '/') = 0) THEN 2
    WHEN m.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1) THEN 1
    ELSE 3 END
FROM messages m WHERE m.id > ?2 ORDER BY m.id LIMIT ?3;

-- name: PurgeMessages
-- A message's text, parameters, link and recipient go, and the phone
-- number of an SMS's provider id ("<BizId>/<phone>"); status, route,
-- codes, campaign, resident and times stay. Arguments: cutoff, ids (JSON
-- array), now.
UPDATE messages SET text = '', params = '{}', url = '', to_key = '',
    provider_id = CASE WHEN instr(provider_id, '/') > 0 THEN substr(provider_id, 1, instr(provider_id, '/') - 1)
        ELSE provider_id END,
    purged_at = ?3
WHERE id IN (SELECT value FROM json_each(?2)) AND created_at < ?1 AND status NOT IN ('pending', 'sending')
    AND purged_at IS NULL
    AND (ticket_id IS NULL OR EXISTS (SELECT 1 FROM tickets t WHERE t.id = messages.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1));

-- name: RetentionInbound
-- Arguments: cutoff, after id, limit.
SELECT i.id, CASE
    WHEN i.received_at >= ?1 THEN 0
    WHEN i.purged_at IS NOT NULL OR (i.content = '' AND i.from_key = '') THEN 2
    WHEN i.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = i.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1) THEN 1
    ELSE 3 END
FROM inbound_messages i WHERE i.id > ?2 ORDER BY i.id LIMIT ?3;

-- name: PurgeInbound
-- The content (text, transcript, media id, location) and the sender's
-- address go; channel, provider id (the dedupe key), resident, ticket,
-- campaign, intent and times stay. Arguments: cutoff, ids (JSON array),
-- now.
UPDATE inbound_messages SET content = '', from_key = '', purged_at = ?3
WHERE id IN (SELECT value FROM json_each(?2)) AND received_at < ?1 AND purged_at IS NULL
    AND (ticket_id IS NULL OR EXISTS (SELECT 1 FROM tickets t WHERE t.id = inbound_messages.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1));

-- name: RetentionTickets
-- Arguments: cutoff, after id, limit.
SELECT id, CASE
    WHEN created_at >= ?1 THEN 0
    WHEN purged_at IS NOT NULL OR (text = '' AND address = '' AND latitude IS NULL AND longitude IS NULL AND place = '') THEN 2
    WHEN status IN ('closed', 'archived') AND closed_at < ?1 THEN 3
    ELSE 1 END
FROM tickets WHERE id > ?2 ORDER BY id LIMIT ?3;

-- name: PurgeTicketNotes
-- The internal notes on the tickets PurgeTickets clears (run before it).
-- Arguments: cutoff, ids (JSON array), now.
UPDATE ticket_notes SET text = ''
WHERE text <> '' AND ?3 IS NOT NULL AND ticket_id IN (SELECT t.id FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?2))
    AND t.status IN ('closed', 'archived') AND t.closed_at < ?1 AND t.purged_at IS NULL);

-- name: PurgeTickets
-- The text and a reported event's location (address, point, place) go;
-- category, status, level, assignee, rating, resident, grid and times stay. Arguments: cutoff,
-- ids (JSON array), now.
UPDATE tickets SET text = '', address = '', latitude = NULL, longitude = NULL, place = '', purged_at = ?3
WHERE id IN (SELECT value FROM json_each(?2)) AND status IN ('closed', 'archived') AND closed_at < ?1
    AND purged_at IS NULL;

-- name: RetentionBindings
-- Arguments: cutoff, after id, limit.
SELECT id, CASE WHEN created_at >= ?1 THEN 0 WHEN expires_at >= ?1 THEN 1 ELSE 3 END
FROM wechat_bindings WHERE id > ?2 ORDER BY id LIMIT ?3;

-- name: PurgeBindings
-- Arguments: cutoff, ids (JSON array).
DELETE FROM wechat_bindings
WHERE id IN (SELECT value FROM json_each(?2)) AND created_at < ?1 AND expires_at < ?1;

-- name: ErasureTarget
-- What an erasure reads of the resident first. Argument: resident.
SELECT r.id_hash, r.phone, r.openid, r.birth_date, EXISTS (SELECT 1 FROM resident_erasures e WHERE e.resident_id = r.id)
FROM residents r WHERE r.id = ?;

-- name: ErasureOf
SELECT resident_id, pseudonym, erased_at, erased_by, reason FROM resident_erasures WHERE resident_id = ?;

-- name: EraseResident
-- The record stays, under a pseudonym, with its grid, gender, birth year
-- and the keyed hash of the ID number (the register's match key).
-- Arguments: pseudonym, birth date, now, resident.
UPDATE residents SET name = ?1, phone = '', id_sealed = X'', id_masked = '', birth_date = ?2, household_id = NULL,
    training_course = '', training_cohort = '', openid = '', preferred_channel = '', content_hash = 'erased',
    updated_at = ?3
WHERE id = ?4 AND NOT EXISTS (SELECT 1 FROM resident_erasures e WHERE e.resident_id = ?4);

-- name: EraseOptOuts
DELETE FROM resident_optouts WHERE resident_id = ?;

-- name: InsertErasure
INSERT INTO resident_erasures (resident_id, pseudonym, erased_at, erased_by, reason) VALUES (?, ?, ?, ?, ?);

-- name: EraseBindings
-- Arguments: resident, phone, openid.
DELETE FROM wechat_bindings WHERE resident_id = ?1 OR (?2 <> '' AND phone = ?2) OR (?3 <> '' AND openid = ?3);

-- name: EraseSkipPending
-- Arguments: now, resident. Returns the ids it moved.
UPDATE messages SET status = 'skipped', skip_reason = 'erased', finished_at = ?1, updated_at = ?1, wait_reason = ''
WHERE resident_id = ?2 AND status = 'pending'
RETURNING id;

-- name: EraseMessagesTo
-- Arguments: now, resident.
UPDATE messages SET text = '', params = '{}', url = '', to_key = '',
    provider_id = CASE WHEN instr(provider_id, '/') > 0 THEN substr(provider_id, 1, instr(provider_id, '/') - 1)
        ELSE provider_id END,
    purged_at = COALESCE(purged_at, ?1)
WHERE resident_id = ?2;

-- name: EraseMessagesAbout
-- The messages to others about the resident's tickets (their workers'
-- notifications quote them): the content goes, the worker's address
-- stays. Arguments: now, resident.
UPDATE messages SET text = '', params = '{}', url = '', purged_at = COALESCE(purged_at, ?1)
WHERE ticket_id IN (SELECT id FROM tickets WHERE resident_id = ?2) AND ticket_id IS NOT NULL AND resident_id IS NULL;

-- name: EraseMessagesToKeys
-- Answers to the resident's phone or openid while the sender was unknown.
-- Arguments: now, phone, openid.
UPDATE messages SET text = '', params = '{}', url = '', to_key = '',
    provider_id = CASE WHEN instr(provider_id, '/') > 0 THEN substr(provider_id, 1, instr(provider_id, '/') - 1)
        ELSE provider_id END,
    purged_at = COALESCE(purged_at, ?1)
WHERE resident_id IS NULL AND worker_id IS NULL AND to_key <> '' AND to_key IN (?2, ?3);

-- name: EraseTicketsFromKeys
-- Tickets opened by the resident's phone or openid while the sender was
-- unknown. Arguments: now, phone, openid.
UPDATE tickets SET text = '', address = '', latitude = NULL, longitude = NULL, place = '', purged_at = COALESCE(purged_at, ?1)
WHERE resident_id IS NULL AND id IN (SELECT ticket_id FROM inbound_messages
    WHERE resident_id IS NULL AND from_key IN (?2, ?3) AND from_key <> '' AND ticket_id IS NOT NULL);

-- name: EraseInboundFrom
-- Arguments: now, resident.
UPDATE inbound_messages SET content = '', from_key = '', purged_at = COALESCE(purged_at, ?1)
WHERE resident_id = ?2;

-- name: EraseInboundAbout
-- Arguments: now, resident.
UPDATE inbound_messages SET content = '', from_key = '', purged_at = COALESCE(purged_at, ?1)
WHERE ticket_id IN (SELECT id FROM tickets WHERE resident_id = ?2) AND ticket_id IS NOT NULL AND resident_id IS NULL;

-- name: EraseInboundFromKeys
-- Arguments: now, phone, openid.
UPDATE inbound_messages SET content = '', from_key = '', purged_at = COALESCE(purged_at, ?1)
WHERE resident_id IS NULL AND from_key IN (?2, ?3) AND from_key <> '';

-- name: EraseTickets
-- Arguments: now, resident.
UPDATE tickets SET text = '', address = '', latitude = NULL, longitude = NULL, place = '', purged_at = COALESCE(purged_at, ?1) WHERE resident_id = ?2;

-- name: OpenTicketsOf
SELECT count(*) FROM tickets WHERE resident_id = ? AND status IN ('new', 'assigned', 'in_progress', 'replied');

-- name: CancelVisitsOf
-- Live visits still ahead. Arguments: now, resident.
UPDATE visit_slots SET state = 'cancelled', updated_at = ?1
WHERE resident_id = ?2 AND state IN ('proposed', 'confirmed') AND starts_at > ?1;

-- dispatch ---------------------------------------------------------------------
-- Tickets dispatched to departments (migrations/*/0015_dispatch.sql).

-- name: InsertTask
INSERT INTO dispatch_tasks (ticket_id, department, state, due_at, note, dispatched_by, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: UpdateTask
-- Optimistic: only while the stored state is still the move's From.
-- Arguments: state, due at, extend to, feedback, reason, updated at, id, from.
UPDATE dispatch_tasks SET state = ?, due_at = ?, extend_to = ?, feedback = ?, reason = ?, updated_at = ?
WHERE id = ? AND state = ?;

-- name: TaskByID
SELECT id, ticket_id, department, state, due_at, extend_to, note, feedback, reason, dispatched_by, created_at, updated_at FROM dispatch_tasks WHERE id = ?;

-- name: TasksOfTicket
SELECT id, ticket_id, department, state, due_at, extend_to, note, feedback, reason, dispatched_by, created_at, updated_at FROM dispatch_tasks WHERE ticket_id = ? ORDER BY id;

-- name: TasksOfTickets
-- The tasks of several tickets, by ticket then order made. Argument: a JSON
-- array of ticket ids.
SELECT id, ticket_id, department, state, due_at, extend_to, note, feedback, reason, dispatched_by, created_at, updated_at FROM dispatch_tasks
WHERE ticket_id IN (SELECT value FROM json_each(?)) ORDER BY ticket_id, id;

-- name: DepartmentTasks
-- A department's open tasks, soonest deadline first. Arguments: department, limit.
SELECT id, ticket_id, department, state, due_at, extend_to, note, feedback, reason, dispatched_by, created_at, updated_at FROM dispatch_tasks
WHERE department = ? AND state IN ('dispatched','accepted','extension_requested')
ORDER BY due_at, id LIMIT ?;

-- name: InsertTaskEvent
INSERT INTO dispatch_events (task_id, at, actor, action, from_state, to_state, note)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: TaskEvents
SELECT task_id, at, actor, action, from_state, to_state, note FROM dispatch_events WHERE task_id = ? ORDER BY id;

-- name: InsertSupervision
-- A 督办 flag. Arguments: ticket, level, by, note, at.
INSERT INTO ticket_supervisions (ticket_id, level, by_actor, note, at) VALUES (?, ?, ?, ?, ?) RETURNING id;

-- name: ClearSupervisions
-- Lifts a ticket's standing flags, all of them or (by '' = any) only
-- those set by one actor. Arguments: cleared at, cleared by, note, ticket,
-- by.
UPDATE ticket_supervisions SET cleared_at = ?1, cleared_by = ?2, cleared_note = ?3
WHERE ticket_id = ?4 AND cleared_at IS NULL AND (?5 = '' OR by_actor = ?5);

-- name: SupervisionsOfTicket
SELECT id, ticket_id, level, by_actor, note, at, cleared_at, cleared_by, cleared_note FROM ticket_supervisions
WHERE ticket_id = ? ORDER BY id;

-- name: ActiveSupervisions
-- The standing flags of the tickets given (a JSON array of ids), the
-- latest of each ticket last.
SELECT id, ticket_id, level, by_actor, note, at, cleared_at, cleared_by, cleared_note FROM ticket_supervisions
WHERE ticket_id IN (SELECT value FROM json_each(?)) AND cleared_at IS NULL ORDER BY ticket_id, id;

-- name: DispatchFigures
-- Tasks dispatched in [from, to) per department. Arguments: now, from, to.
SELECT department, COUNT(*), COUNT(DISTINCT ticket_id),
    SUM(CASE WHEN state IN ('dispatched','accepted','extension_requested') THEN 1 ELSE 0 END),
    SUM(CASE WHEN state IN ('dispatched','accepted','extension_requested') AND due_at < ? THEN 1 ELSE 0 END),
    SUM(CASE WHEN state = 'returned' THEN 1 ELSE 0 END),
    SUM(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END),
    SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END)
FROM dispatch_tasks WHERE created_at >= ? AND created_at < ?
GROUP BY department ORDER BY department;

-- name: DispatchedTickets
-- How many tickets had a task dispatched in [from, to). Arguments: from, to.
SELECT COUNT(DISTINCT ticket_id) FROM dispatch_tasks WHERE created_at >= ? AND created_at < ?;

-- name: SupervisedTickets
-- How many tickets were flagged 督办 in [from, to), and how many of them
-- by the system. Arguments: from, to.
SELECT COUNT(DISTINCT ticket_id), COUNT(DISTINCT CASE WHEN by_actor = 'system' THEN ticket_id END)
FROM ticket_supervisions WHERE at >= ? AND at < ?;

-- Reported events' and residents' photos and voice
-- (migrations/sqlite/0016_events.sql).

-- name: InsertAttachment
-- A second attachment of the same resident message inserts nothing and
-- returns no row. Arguments: ticket, inbound (NULL: an upload), kind,
-- blob key, thumbnail key, content type, size, media id, missing,
-- added by, created at.
INSERT INTO ticket_attachments (ticket_id, inbound_id, kind, blob_key, thumbnail_key, content_type, size,
    media_id, missing, added_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (inbound_id) WHERE inbound_id IS NOT NULL DO NOTHING RETURNING id;

-- name: AttachmentsOf
-- A ticket's attachments in the order they were added. Argument: ticket.
SELECT id, ticket_id, COALESCE(inbound_id, 0), kind, blob_key, thumbnail_key, content_type, size,
    media_id, missing, added_by, created_at
FROM ticket_attachments WHERE ticket_id = ? ORDER BY id;

-- name: AttachmentByID
SELECT id, ticket_id, COALESCE(inbound_id, 0), kind, blob_key, thumbnail_key, content_type, size,
    media_id, missing, added_by, created_at
FROM ticket_attachments WHERE id = ?;

-- name: AttachmentOfInbound
SELECT id, ticket_id, COALESCE(inbound_id, 0), kind, blob_key, thumbnail_key, content_type, size,
    media_id, missing, added_by, created_at
FROM ticket_attachments WHERE inbound_id = ?;

-- name: HouseholdGrid
SELECT grid_code FROM households WHERE id = ?;

-- The visit register, 走访台账 (migrations/sqlite/0018_visit_register.sql).

-- name: RegisterHouseholds
-- The residents of a grid and the grids below it, with their household
-- and categories (one row per category, NULL for none), by household.
-- Erased residents, and those who moved out or died, are left out. Arguments: grid, grid || '-%'.
SELECT r.id, r.name, r.phone, r.grid_code, COALESCE(r.household_id, 0),
       COALESCE(h.community, ''), COALESCE(h.building, ''), COALESCE(h.unit, ''), COALESCE(h.room, ''), c.category
FROM residents r
LEFT JOIN households h ON h.id = r.household_id
LEFT JOIN resident_categories c ON c.resident_id = r.id
WHERE (r.grid_code = ?1 OR r.grid_code LIKE ?2) AND r.content_hash <> 'erased' AND r.status = 'active'
ORDER BY COALESCE(r.household_id, 0), r.id, c.category;

-- name: RegisterRecords
-- Visit records of a grid's households (and those below it) or by a
-- worker, visited in [from, to). Arguments: grid, grid || '-%', worker
-- (0 = none), from, to.
SELECT id, worker_id, resident_id, household_key, grid_code, kind, notes, visited_at, recorded_by, created_at,
       COALESCE(visit_slot_id, 0), COALESCE(ticket_id, 0)
FROM visit_records
WHERE (grid_code = ?1 OR grid_code LIKE ?2 OR worker_id = ?3) AND visited_at >= ?4 AND visited_at < ?5
ORDER BY visited_at, id;

-- name: VisitRecordByID
SELECT id, worker_id, resident_id, household_key, grid_code, kind, notes, visited_at, recorded_by, created_at,
       COALESCE(visit_slot_id, 0), COALESCE(ticket_id, 0)
FROM visit_records WHERE id = ?;

-- name: RegisterRecordPhotos
-- The photos of RegisterRecords' records, by record and in the order
-- given. Arguments: as RegisterRecords.
SELECT p.record_id, p.blob_key, p.thumbnail_key, p.content_type, p.size
FROM visit_photos p JOIN visit_records r ON r.id = p.record_id
WHERE (r.grid_code = ?1 OR r.grid_code LIKE ?2 OR r.worker_id = ?3) AND r.visited_at >= ?4 AND r.visited_at < ?5
ORDER BY p.record_id, p.position;

-- name: VisitPhotos
-- A record's photos (original's key, thumbnail's key, content type, size),
-- in the order given. Arguments: record.
SELECT blob_key, thumbnail_key, content_type, size FROM visit_photos WHERE record_id = ? ORDER BY position;

-- name: RegisterWorkerSlots
-- A worker's confirmed slots starting in [from, to), with the record that
-- closed each (0 while open). Arguments: worker, from, to.
SELECT id, worker_id, resident_id, campaign_id, starts_at, ends_at, COALESCE(visit_record_id, 0) FROM visit_slots
WHERE worker_id = ? AND state = 'confirmed' AND starts_at >= ? AND starts_at < ?
ORDER BY starts_at, id;

-- name: RegisterGridSlots
-- The confirmed slots of a grid's residents (and below it) starting in
-- [from, to). Arguments: grid, grid || '-%', from, to.
SELECT s.id, s.worker_id, s.resident_id, s.campaign_id, s.starts_at, s.ends_at, COALESCE(s.visit_record_id, 0)
FROM visit_slots s JOIN residents r ON r.id = s.resident_id
WHERE (r.grid_code = ?1 OR r.grid_code LIKE ?2) AND s.state = 'confirmed' AND s.starts_at >= ?3 AND s.starts_at < ?4
ORDER BY s.starts_at, s.id;

-- name: ResidentHousehold
-- Where a resident lives, for a visit record. Arguments: resident.
SELECT grid_code, COALESCE(household_id, 0) FROM residents WHERE id = ?;

-- name: SlotToClose
-- A slot a visit record names. Arguments: slot.
SELECT resident_id, state, COALESCE(visit_record_id, 0) FROM visit_slots WHERE id = ?;

-- name: TicketExists
SELECT 1 FROM tickets WHERE id = ?;

-- name: InsertVisitRecord
-- Arguments: worker, resident, household key, grid, kind, notes, visited
-- at, recorded by, created at, slot (NULL), ticket (NULL).
INSERT INTO visit_records (worker_id, resident_id, household_key, grid_code, kind, notes, visited_at, recorded_by, created_at, visit_slot_id, ticket_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: InsertVisitPhoto
INSERT INTO visit_photos (record_id, position, blob_key, thumbnail_key, content_type, size) VALUES (?, ?, ?, ?, ?, ?);

-- name: CloseVisitSlot
-- Marks a slot visited by a record, once. Arguments: record, now, slot.
UPDATE visit_slots SET visit_record_id = ?, updated_at = ? WHERE id = ? AND visit_record_id IS NULL;

-- name: EraseVisitNotes
-- An erased resident's visits keep that they happened, not what was
-- noted. Arguments: resident.
UPDATE visit_records SET notes = '' WHERE resident_id = ?;

-- name: EraseQueueVisitPhotos
-- Queues the blob store keys of a resident's visit photos and their
-- thumbnails for deletion (retention.DeleteQueuedBlobs), before
-- EraseVisitPhotos drops their rows. Arguments: resident, now.
INSERT INTO blob_deletions (key, queued_at)
SELECT q.k, ?2 FROM (
    SELECT blob_key AS k FROM visit_photos WHERE record_id IN (SELECT id FROM visit_records WHERE resident_id = ?1)
    UNION
    SELECT thumbnail_key FROM visit_photos WHERE record_id IN (SELECT id FROM visit_records WHERE resident_id = ?1)
) AS q WHERE q.k <> ''
ON CONFLICT (key) DO NOTHING;

-- name: EraseVisitPhotos
-- And their photos' keys. Arguments: resident.
DELETE FROM visit_photos WHERE record_id IN (SELECT id FROM visit_records WHERE resident_id = ?);

-- retention of tickets' media and staff notes ----------------------------------
-- Attachments' blobs, department tasks' and 督办 notes under the retention
-- sweep and an erasure (migrations/sqlite/0020_media_retention.sql).

-- name: RetentionAttachments
-- Arguments: cutoff, after id, limit.
SELECT a.id, CASE
    WHEN a.created_at >= ?1 THEN 0
    WHEN a.purged_at IS NOT NULL OR (a.blob_key = '' AND a.thumbnail_key = '' AND a.media_id = '') THEN 2
    WHEN EXISTS (SELECT 1 FROM tickets t WHERE t.id = a.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1) THEN 3
    ELSE 1 END
FROM ticket_attachments a WHERE a.id > ?2 ORDER BY a.id LIMIT ?3;

-- name: QueueAttachmentBlobs
-- The blob keys of the attachments PurgeAttachments clears, queued for
-- deletion. Arguments: cutoff, ids (JSON array), now.
INSERT INTO blob_deletions (key, queued_at)
SELECT k.key, ?3 FROM (
    SELECT a.blob_key AS key FROM ticket_attachments a
    WHERE a.id IN (SELECT value FROM json_each(?2)) AND a.created_at < ?1 AND a.purged_at IS NULL AND a.blob_key <> ''
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = a.ticket_id AND t.status IN ('closed', 'archived') AND t.closed_at < ?1)
    UNION
    SELECT a.thumbnail_key FROM ticket_attachments a
    WHERE a.id IN (SELECT value FROM json_each(?2)) AND a.created_at < ?1 AND a.purged_at IS NULL AND a.thumbnail_key <> ''
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = a.ticket_id AND t.status IN ('closed', 'archived') AND t.closed_at < ?1)
) k WHERE true
ON CONFLICT (key) DO NOTHING;

-- name: PurgeAttachments
-- The row keeps its id, ticket, message, kind, who added it and when;
-- the keys, type, size and provider media id go, and missing says
-- 'purged' (retention.AttachmentPurged) unless it said why before. Arguments: cutoff, ids
-- (JSON array), now.
UPDATE ticket_attachments SET blob_key = '', thumbnail_key = '', content_type = '', size = 0, media_id = '',
    missing = CASE WHEN missing = '' THEN 'purged' ELSE missing END, purged_at = ?3
WHERE id IN (SELECT value FROM json_each(?2)) AND created_at < ?1 AND purged_at IS NULL
    AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_attachments.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1);

-- name: RetentionTasks
-- A task is done when its note, feedback, reason and its steps' notes
-- are empty or read the placeholder. Arguments: cutoff, after id, limit,
-- placeholder.
SELECT d.id, CASE
    WHEN d.created_at >= ?1 THEN 0
    WHEN d.note IN ('', ?4) AND d.feedback IN ('', ?4) AND d.reason IN ('', ?4)
        AND NOT EXISTS (SELECT 1 FROM dispatch_events e WHERE e.task_id = d.id AND e.note NOT IN ('', ?4)) THEN 2
    WHEN EXISTS (SELECT 1 FROM tickets t WHERE t.id = d.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1) THEN 3
    ELSE 1 END
FROM dispatch_tasks d WHERE d.id > ?2 ORDER BY d.id LIMIT ?3;

-- name: PurgeTaskEventNotes
-- The notes of the steps of the tasks PurgeTasks clears. Arguments:
-- cutoff, ids (JSON array), placeholder.
UPDATE dispatch_events SET note = ?3
WHERE note NOT IN ('', ?3) AND task_id IN (SELECT d.id FROM dispatch_tasks d
    WHERE d.id IN (SELECT value FROM json_each(?2)) AND d.created_at < ?1
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = d.ticket_id AND t.status IN ('closed', 'archived') AND t.closed_at < ?1));

-- name: PurgeTasks
-- What staff wrote becomes the placeholder; department, state, deadlines,
-- who dispatched and times stay. Arguments: cutoff, ids (JSON array),
-- placeholder.
UPDATE dispatch_tasks SET note = CASE WHEN note = '' THEN '' ELSE ?3 END,
    feedback = CASE WHEN feedback = '' THEN '' ELSE ?3 END, reason = CASE WHEN reason = '' THEN '' ELSE ?3 END
WHERE id IN (SELECT value FROM json_each(?2)) AND created_at < ?1
    AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = dispatch_tasks.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1);

-- name: RetentionSupervisions
-- Arguments: cutoff, after id, limit, placeholder.
SELECT s.id, CASE
    WHEN s.at >= ?1 THEN 0
    WHEN s.note IN ('', ?4) AND s.cleared_note IN ('', ?4) THEN 2
    WHEN EXISTS (SELECT 1 FROM tickets t WHERE t.id = s.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1) THEN 3
    ELSE 1 END
FROM ticket_supervisions s WHERE s.id > ?2 ORDER BY s.id LIMIT ?3;

-- name: PurgeSupervisions
-- Level, who flagged and lifted, and when stay. Arguments: cutoff, ids
-- (JSON array), placeholder.
UPDATE ticket_supervisions SET note = CASE WHEN note = '' THEN '' ELSE ?3 END,
    cleared_note = CASE WHEN cleared_note = '' THEN '' ELSE ?3 END
WHERE id IN (SELECT value FROM json_each(?2)) AND at < ?1
    AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_supervisions.ticket_id
        AND t.status IN ('closed', 'archived') AND t.closed_at < ?1);

-- name: ErasureTickets
-- The resident's tickets and those opened from their phone or openid
-- while the sender was unknown (as EraseTickets and EraseTicketsFromKeys
-- find them). Arguments: resident, phone, openid.
SELECT id FROM tickets WHERE resident_id = ?1
UNION
SELECT id FROM tickets WHERE resident_id IS NULL AND id IN (SELECT ticket_id FROM inbound_messages
    WHERE resident_id IS NULL AND from_key IN (?2, ?3) AND from_key <> '' AND ticket_id IS NOT NULL);

-- name: ErasureAttachments
-- The attachments not yet purged of those tickets, and of the resident's
-- messages (or their phone's or openid's while unknown) wherever they
-- went. Arguments: tickets (JSON array), resident, phone, openid.
SELECT a.id FROM ticket_attachments a
WHERE a.purged_at IS NULL AND (a.ticket_id IN (SELECT value FROM json_each(?1))
    OR a.inbound_id IN (SELECT i.id FROM inbound_messages i WHERE i.resident_id = ?2
        OR (i.resident_id IS NULL AND i.from_key <> '' AND i.from_key IN (?3, ?4))))
ORDER BY a.id;

-- name: EraseQueueBlobs
-- Arguments: attachments (JSON array), now.
INSERT INTO blob_deletions (key, queued_at)
SELECT k.key, ?2 FROM (
    SELECT blob_key AS key FROM ticket_attachments
    WHERE id IN (SELECT value FROM json_each(?1)) AND purged_at IS NULL AND blob_key <> ''
    UNION
    SELECT thumbnail_key FROM ticket_attachments
    WHERE id IN (SELECT value FROM json_each(?1)) AND purged_at IS NULL AND thumbnail_key <> ''
) k WHERE true
ON CONFLICT (key) DO NOTHING;

-- name: EraseAttachments
-- Arguments: attachments (JSON array), now.
UPDATE ticket_attachments SET blob_key = '', thumbnail_key = '', content_type = '', size = 0, media_id = '',
    missing = CASE WHEN missing = '' THEN 'purged' ELSE missing END, purged_at = ?2
WHERE id IN (SELECT value FROM json_each(?1)) AND purged_at IS NULL;

-- name: EraseTaskEventNotes
-- Arguments: tickets (JSON array), placeholder.
UPDATE dispatch_events SET note = ?2
WHERE note NOT IN ('', ?2) AND task_id IN (SELECT id FROM dispatch_tasks WHERE ticket_id IN (SELECT value FROM json_each(?1)));

-- name: EraseTaskNotes
-- Arguments: tickets (JSON array), placeholder.
UPDATE dispatch_tasks SET note = CASE WHEN note = '' THEN '' ELSE ?2 END,
    feedback = CASE WHEN feedback = '' THEN '' ELSE ?2 END, reason = CASE WHEN reason = '' THEN '' ELSE ?2 END
WHERE ticket_id IN (SELECT value FROM json_each(?1))
    AND (note NOT IN ('', ?2) OR feedback NOT IN ('', ?2) OR reason NOT IN ('', ?2));

-- name: EraseSupervisionNotes
-- Arguments: tickets (JSON array), placeholder.
UPDATE ticket_supervisions SET note = CASE WHEN note = '' THEN '' ELSE ?2 END,
    cleared_note = CASE WHEN cleared_note = '' THEN '' ELSE ?2 END
WHERE ticket_id IN (SELECT value FROM json_each(?1)) AND (note NOT IN ('', ?2) OR cleared_note NOT IN ('', ?2));

-- name: QueuedBlobs
-- Keys queued for deletion from the blob store, with whether an
-- attachment not purged or a visit photo (original or thumbnail) still
-- refers to them. Arguments: after key, limit.
SELECT d.key, EXISTS (SELECT 1 FROM ticket_attachments a WHERE a.blob_key = d.key)
    OR EXISTS (SELECT 1 FROM ticket_attachments a WHERE a.thumbnail_key = d.key)
    OR EXISTS (SELECT 1 FROM visit_photos v WHERE v.blob_key = d.key)
    OR EXISTS (SELECT 1 FROM visit_photos v WHERE v.thumbnail_key = d.key)
FROM blob_deletions d WHERE d.key > ?1 ORDER BY d.key LIMIT ?2;

-- name: DequeueBlobs
-- Arguments: keys (JSON array).
DELETE FROM blob_deletions WHERE key IN (SELECT value FROM json_each(?));

-- name: CountQueuedBlobs
SELECT count(*) FROM blob_deletions;

-- 考核: the figures of a worker's month besides the visit register's
-- (store/assessment.go; migrations/sqlite/0023_ticket_reporters.sql).

-- name: InsertTicketReporter
-- The worker who reported an event. Arguments: ticket, worker, at.
INSERT INTO ticket_reporters (ticket_id, worker_id, created_at) VALUES (?, ?, ?);

-- name: EventsReported
-- Events reported per worker in [from, to). Arguments: from, to.
SELECT worker_id, COUNT(*) FROM ticket_reporters WHERE created_at >= ? AND created_at < ? GROUP BY worker_id;

-- living records (活户籍) ---------------------------------------------------
-- A resident's status and living record, their changes, the change file
-- and the evaluation's count (migrations/*/0019_living_records.sql).

-- name: RecordsOf
-- The living-record values of the residents given (a JSON array of ids)
-- that are not at their default, as child rows: kind 4 status, 5 living
-- arrangement, 6 self-care level, 7 health note, 8 relation. The filter
-- is residents_records' own, so a page probes that small index only.
WITH x AS MATERIALIZED (
    SELECT id, status, living, self_care, health_note, relation FROM residents
    WHERE id IN (SELECT value FROM json_each(?1))
      AND (status <> 'active' OR living <> '' OR self_care <> '' OR health_note <> '' OR relation <> ''))
SELECT 4, id, status FROM x WHERE status <> 'active'
UNION ALL SELECT 5, id, living FROM x WHERE living <> ''
UNION ALL SELECT 6, id, self_care FROM x WHERE self_care <> ''
UNION ALL SELECT 7, id, health_note FROM x WHERE health_note <> ''
UNION ALL SELECT 8, id, relation FROM x WHERE relation <> '';

-- name: RecordForChange
-- What a change reads of the resident first: grid, the fields a change
-- sets, and whether they were erased on request. Argument: resident.
SELECT r.grid_code, r.status, r.phone, r.living, r.self_care, r.health_note, r.relation,
       EXISTS (SELECT 1 FROM resident_erasures e WHERE e.resident_id = r.id)
FROM residents r WHERE r.id = ?;

-- name: UpdateRecord
-- Arguments: status, phone, living, self-care, health note, relation, now, resident.
UPDATE residents SET status = ?, phone = ?, living = ?, self_care = ?, health_note = ?, relation = ?, updated_at = ?
WHERE id = ?;

-- name: ChangeWorker
-- The worker a change by someone counts for: a grid worker whose code, or
-- else whose name, is theirs. Argument: who.
SELECT id FROM workers WHERE (code = ?1 OR name = ?1) AND grid_code IS NOT NULL AND role = 'grid_worker'
ORDER BY code = ?1 DESC, id LIMIT 1;

-- name: InsertChange
-- Arguments: resident, grid, field, before, after, by, worker (or NULL),
-- source, note, at.
INSERT INTO resident_changes (resident_id, grid_code, field, before_value, after_value, recorded_by, worker_id, source, note, changed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id;

-- name: InactiveSkipPending
-- A resident's campaign messages and reminders still waiting, skipped
-- because they moved out or died. Arguments: now, resident, skip reason.
-- Returns the ids it moved.
UPDATE messages SET status = 'skipped', skip_reason = ?3, finished_at = ?1, updated_at = ?1, wait_reason = ''
WHERE resident_id = ?2 AND status = 'pending' AND purpose IN ('campaign', 'reminder')
RETURNING id;

-- name: ResidentChanges
-- Argument: resident. Oldest first.
SELECT id, resident_id, grid_code, field, before_value, after_value, recorded_by, COALESCE(worker_id, 0), source, note, changed_at
FROM resident_changes WHERE resident_id = ? ORDER BY id;

-- name: ChangesSince
-- The change file: changes made at or after since, of residents not
-- erased, by id. Arguments: since, after id, limit.
SELECT c.id, c.resident_id, c.grid_code, c.field, c.before_value, c.after_value, c.recorded_by, COALESCE(c.worker_id, 0),
       c.source, c.note, c.changed_at, r.name, r.id_masked, r.id_sealed
FROM resident_changes c JOIN residents r ON r.id = c.resident_id
WHERE c.changed_at >= ? AND c.id > ? AND c.resident_id NOT IN (SELECT resident_id FROM resident_erasures)
ORDER BY c.id LIMIT ?;

-- name: FieldChangesOf
-- When each of the residents given (a JSON array of ids) last had a field
-- an import also writes changed from the field, with its value now: a
-- sync's older row leaves it alone. Rows: resident, field, latest change,
-- phone now.
SELECT c.resident_id, c.field, MAX(c.changed_at), r.phone
FROM resident_changes c JOIN residents r ON r.id = c.resident_id
WHERE c.resident_id IN (SELECT value FROM json_each(?)) AND c.source = 'field' AND c.field = 'phone'
GROUP BY c.resident_id, c.field, r.phone;

-- name: RecordsUpdated
-- The residents whose records each grid worker updated from the field in
-- [from, to). Arguments: from, to.
SELECT worker_id, COUNT(DISTINCT resident_id) FROM resident_changes
WHERE worker_id IS NOT NULL AND source = 'field' AND changed_at >= ? AND changed_at < ?
GROUP BY worker_id ORDER BY worker_id;

-- name: EraseChanges
-- An erasure clears the personal values of the resident's changes (phone,
-- health note) and every change's note. Argument: resident.
UPDATE resident_changes SET note = '',
    before_value = CASE WHEN field IN ('phone', 'health') THEN '' ELSE before_value END,
    after_value = CASE WHEN field IN ('phone', 'health') THEN '' ELSE after_value END
WHERE resident_id = ?1;

-- name: EraseRecord
-- An erasure clears the resident's living record but their status.
-- Argument: resident.
UPDATE residents SET living = '', self_care = '', health_note = '', relation = '' WHERE id = ?1;

-- name: MissingMedia
-- Residents' media recorded missing for a reason worth another try (the
-- provider or the blob store failed), still within the provider's keeping
-- and not purged, oldest first. Arguments: since, limit.
SELECT id, ticket_id, COALESCE(inbound_id, 0), kind, blob_key, thumbnail_key, content_type, size,
    media_id, missing, added_by, created_at
FROM ticket_attachments
WHERE missing IN ('fetch failed', 'blob store error') AND media_id <> '' AND purged_at IS NULL AND created_at >= ?
ORDER BY id LIMIT ?;

-- name: FillAttachment
-- A missing attachment fetched at last, or refused for good (missing set
-- to why). Arguments: id, blob key, thumbnail key, content type, size,
-- missing, the missing reason it had.
UPDATE ticket_attachments SET blob_key = ?2, thumbnail_key = ?3, content_type = ?4, size = ?5, missing = ?6
WHERE id = ?1 AND missing = ?7 AND purged_at IS NULL;

-- name: Deliveries
-- Messages to residents, newest first, with the resident's phone and grid.
-- Arguments: before id, phone tail ('' = any), status ('' = any), created
-- from, created before, scope (a JSON array of grid codes, each with its
-- subtree; '' = anywhere), limit.
SELECT m.id, m.purpose, COALESCE(m.campaign_id, 0), COALESCE(m.run, 0), COALESCE(m.ticket_id, 0), COALESCE(m.slot_id, 0),
       COALESCE(m.resident_id, 0), COALESCE(m.worker_id, 0), m.channel, m.route, m.route_reason, m.to_key, m.text,
       m.template_code, m.params, m.url, m.actor, m.status, m.skip_reason, COALESCE(m.fallback_of, 0), m.attempts,
       m.provider_id, m.provider_code, m.provider_message, m.not_before, m.deadline, m.created_at, m.sent_at,
       m.finished_at, m.updated_at, m.out_id, m.attempted_at, m.wait_reason,
       r.phone, r.grid_code
FROM messages m JOIN residents r ON r.id = m.resident_id
WHERE m.id < ?1 AND (?2 = '' OR substr(r.phone, -length(?2)) = ?2) AND (?3 = '' OR m.status = ?3)
    AND m.created_at >= ?4 AND m.created_at < ?5
    AND (?6 = '' OR EXISTS (SELECT 1 FROM json_each(?6) g
        WHERE r.grid_code = g.value OR substr(r.grid_code, 1, length(g.value) + 1) = g.value || '-'))
ORDER BY m.id DESC LIMIT ?7;

-- name: TemplateStatus
-- Saved templates per channel and approval, with the latest sync time.
SELECT channel, approved, COUNT(*), MAX(synced_at) FROM templates
GROUP BY channel, approved ORDER BY channel, approved;

-- name: InsertTicketNote
-- An internal note on a ticket. Arguments: ticket, author, text, at.
INSERT INTO ticket_notes (ticket_id, author, text, created_at) VALUES (?, ?, ?, ?) RETURNING id;

-- name: TicketNotes
-- A ticket's internal notes, oldest first. Argument: ticket.
SELECT id, ticket_id, author, text, created_at FROM ticket_notes WHERE ticket_id = ? ORDER BY id;

-- name: WorkersNear
-- The workers of a grid, of the grids that share its parent, and of the
-- parent itself: those a ticket of the grid may be handed to. The grid's
-- own first, then by code. Argument: grid.
SELECT id, code, name, phone, openid, role, COALESCE(grid_code, ''), visiting_hours FROM workers
WHERE grid_code = ?1
    OR grid_code IN (SELECT g.code FROM grids g WHERE g.parent_code IS NOT NULL
        AND g.parent_code = (SELECT p.parent_code FROM grids p WHERE p.code = ?1))
    OR grid_code = (SELECT p.parent_code FROM grids p WHERE p.code = ?1)
ORDER BY CASE WHEN grid_code = ?1 THEN 0 ELSE 1 END, code;

-- name: EraseTicketNotes
-- A resident's erasure clears the internal notes on their tickets. Who
-- wrote them and when stay. Arguments: tickets (JSON array), placeholder.
UPDATE ticket_notes SET text = ?2 WHERE ticket_id IN (SELECT value FROM json_each(?1)) AND text <> ?2;
