-- Sign-in by user name and password, and the console's sessions
-- (package access: Credentials, Session). A user may have a password
-- (an argon2id hash in the PHC format), a token, or both; the wrong
-- passwords since the last right one lock the user for a while. The
-- PostgreSQL migration of the same number must stay equivalent.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN login_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;

-- A browser's session: the cookie's secret is known by its SHA-256 only.
CREATE TABLE sessions (
    id_sha256  BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    method     TEXT NOT NULL,
    remote     TEXT NOT NULL DEFAULT '',
    agent      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Who a user is at an identity provider (企业微信, 政务微信 …): the
-- provider's name and its stable id for the person.
CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
