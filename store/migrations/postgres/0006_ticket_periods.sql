-- The evaluation reads tickets by the period they were created in; the
-- archiving sweep finds closed tickets by when they closed. The other
-- dialect's migration of the same number must stay equivalent.
CREATE INDEX tickets_created ON tickets(created_at, id);
CREATE INDEX tickets_closed ON tickets(closed_at) WHERE status = 'closed';
