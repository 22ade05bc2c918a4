-- Users of the API and the console, kept in the database so that they are
-- managed with `gridcast users` and take effect without a restart. Roles
-- and grids (the user's scope: grid codes, each covering its subtree, or
-- '*' for the whole city) are comma-separated lists; names are unique
-- without regard to case, as the self-approval rule compares them. The
-- SQLite migration of the same number must stay equivalent.
CREATE TABLE users (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL UNIQUE,
    roles        TEXT NOT NULL,
    grids        TEXT NOT NULL DEFAULT '',
    department   TEXT NOT NULL DEFAULT '',
    token_sha256 BYTEA NOT NULL UNIQUE,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- A campaign reaches only the residents of its scope: the owner's grids
-- when it was made (or fewer). Campaigns made before scopes existed were
-- made by operators of the whole city.
ALTER TABLE campaigns ADD COLUMN scope TEXT NOT NULL DEFAULT '*';
