-- A user of the worker role may be linked to the grid worker they are
-- (their 工号 in workers.code): their tickets and visit register follow
-- without their typing it. Empty: no link. The other dialect's migration
-- of the same number must stay equivalent.
ALTER TABLE users ADD COLUMN worker_code TEXT NOT NULL DEFAULT '';
