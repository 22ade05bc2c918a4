-- Users of the API and the console, kept in the database so that they are
-- managed with `gridcast users` and take effect without a restart. Roles
-- and grids (the user's scope: grid codes, each covering its subtree, or
-- '*' for the whole city) are comma-separated lists; names are unique
-- without regard to case, as the self-approval rule compares them. The
-- PostgreSQL migration of the same number must stay equivalent.
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL UNIQUE,
    roles        TEXT NOT NULL,
    grids        TEXT NOT NULL DEFAULT '',
    department   TEXT NOT NULL DEFAULT '',
    token_sha256 BLOB NOT NULL UNIQUE,
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- A campaign reaches only the residents of its scope: the owner's grids
-- when it was made (or fewer). Campaigns made before scopes existed were
-- made by operators of the whole city.
ALTER TABLE campaigns ADD COLUMN scope TEXT NOT NULL DEFAULT '*';
