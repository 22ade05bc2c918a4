-- Population store: grids, workers, households, residents and their
-- categories, skills, desired jobs and opt-outs; saved segments; sync state.
-- ID numbers are never stored in clear: id_hash (keyed HMAC) matches,
-- id_sealed (AES-GCM) allows an authorized unmask, id_masked is for screens.

CREATE TABLE grids (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('district','street','community','grid','unit')),
    parent_code TEXT REFERENCES grids(code)
);
CREATE INDEX grids_parent ON grids(parent_code);

CREATE TABLE workers (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    phone          TEXT NOT NULL DEFAULT '',
    openid         TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL CHECK (role IN ('grid_worker','grid_leader','community_staff','street_staff')),
    grid_code      TEXT REFERENCES grids(code), -- NULL once another worker took over this role here
    visiting_hours TEXT NOT NULL DEFAULT ''
);
-- One grid worker per grid, one grid leader per community.
CREATE UNIQUE INDEX workers_one_per_grid ON workers(grid_code, role) WHERE role IN ('grid_worker','grid_leader');

CREATE TABLE households (
    id        INTEGER PRIMARY KEY,
    grid_code TEXT NOT NULL REFERENCES grids(code),
    community TEXT NOT NULL DEFAULT '',
    building  TEXT NOT NULL DEFAULT '',
    unit      TEXT NOT NULL DEFAULT '',
    room      TEXT NOT NULL DEFAULT '',
    UNIQUE (grid_code, community, building, unit, room)
);

CREATE TABLE residents (
    id                INTEGER PRIMARY KEY,
    id_hash           TEXT NOT NULL UNIQUE,
    id_sealed         BLOB NOT NULL,
    id_masked         TEXT NOT NULL,
    name              TEXT NOT NULL,
    gender            TEXT NOT NULL CHECK (gender IN ('M','F')),
    birth_date        TEXT NOT NULL,            -- YYYY-MM-DD
    phone             TEXT NOT NULL DEFAULT '',
    household_id      INTEGER REFERENCES households(id),
    grid_code         TEXT NOT NULL REFERENCES grids(code),
    training_course   TEXT NOT NULL DEFAULT '',
    training_cohort   TEXT NOT NULL DEFAULT '',
    openid            TEXT NOT NULL DEFAULT '',
    preferred_channel TEXT NOT NULL DEFAULT '' CHECK (preferred_channel IN ('','wechat','sms')),
    content_hash      TEXT NOT NULL,            -- hash of the imported fields: unchanged rows are not rewritten
    created_at        TEXT NOT NULL,            -- RFC 3339 UTC
    updated_at        TEXT NOT NULL
);
CREATE INDEX residents_grid ON residents(grid_code, id);
CREATE INDEX residents_birth ON residents(birth_date);
CREATE INDEX residents_phone ON residents(phone) WHERE phone <> '';
CREATE UNIQUE INDEX residents_openid ON residents(openid) WHERE openid <> '';
CREATE INDEX residents_updated ON residents(updated_at);

CREATE TABLE resident_categories (
    category    TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    PRIMARY KEY (category, resident_id)
) WITHOUT ROWID;
CREATE INDEX resident_categories_resident ON resident_categories(resident_id);

CREATE TABLE resident_skills (
    skill       TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    PRIMARY KEY (skill, resident_id)
) WITHOUT ROWID;
CREATE INDEX resident_skills_resident ON resident_skills(resident_id);

CREATE TABLE resident_jobs (
    job         TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    PRIMARY KEY (job, resident_id)
) WITHOUT ROWID;
CREATE INDEX resident_jobs_resident ON resident_jobs(resident_id);

CREATE TABLE resident_optouts (
    topic       TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (topic, resident_id)
) WITHOUT ROWID;
CREATE INDEX resident_optouts_resident ON resident_optouts(resident_id);

CREATE TABLE saved_segments (
    name        TEXT PRIMARY KEY,
    expr        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE sync_state (
    source     TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
