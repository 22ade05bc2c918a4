-- Tickets dispatched to departments (分拨; several at once for 吹哨报到):
-- one task per department and ticket dispatch, with its own deadline,
-- and every step of it in dispatch_events (see package dispatch). The
-- SQLite migration of the same number must stay equivalent.
CREATE TABLE dispatch_tasks (
    id            BIGSERIAL PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES tickets(id),
    department    TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('dispatched','accepted','extension_requested','returned','resolved','cancelled')),
    due_at        TIMESTAMPTZ NOT NULL,
    extend_to     TIMESTAMPTZ,
    note          TEXT NOT NULL DEFAULT '',
    feedback      TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    dispatched_by TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX dispatch_tasks_ticket ON dispatch_tasks (ticket_id, id);
-- A department's open tasks, soonest deadline first.
CREATE INDEX dispatch_tasks_open ON dispatch_tasks (department, due_at)
    WHERE state IN ('dispatched','accepted','extension_requested');

CREATE TABLE dispatch_events (
    id         BIGSERIAL PRIMARY KEY,
    task_id    BIGINT NOT NULL REFERENCES dispatch_tasks(id),
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dispatch_events_task ON dispatch_events (task_id, id);
