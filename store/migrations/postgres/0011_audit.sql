-- The audit log (package audit): one row per act — logins, unmasking,
-- approvals, sends, record changes, scope and role changes, exports and
-- imports — each chained to the one before by prev_hash and hash, so that
-- `gridcast audit verify` finds a row edited or deleted in the database.
-- seq is assigned by Store.AppendAudit (the head's seq plus one, under an
-- advisory lock in the inserting transaction), never by the database: a
-- gap is a deleted row. The triggers refuse UPDATE, DELETE and TRUNCATE so
-- that the application cannot edit the log by accident; someone with
-- database access can drop them, and the chain is what shows it. The
-- SQLite migration of the same number must stay equivalent.

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    os_user   TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    reason    TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- Who did what, and everything done to one record, page by seq.
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- TRUNCATE fires no row trigger.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
