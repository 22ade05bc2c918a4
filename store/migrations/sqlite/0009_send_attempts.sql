-- What a message waits for, and the provider call whose outcome is not
-- known yet. A send that got no answer (a timeout, a dropped connection, a
-- worker killed between the call and its record) may or may not have
-- reached the provider: out_id is the OutId / client_msg_id that call
-- carried and attempted_at when it was made, so the next attempt asks the
-- provider before it sends again. They live on the ledger, not in Redis,
-- so a lost Redis cannot turn an unknown outcome into a blind resend.
-- wait_reason says why a pending message waits (quiet_hours, cap_day,
-- throttled, channel_paused, retry:CODE, outcome_unknown …) until it is
-- claimed again. The PostgreSQL migration of the same number must stay
-- equivalent.

ALTER TABLE messages ADD COLUMN out_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN attempted_at TEXT;
ALTER TABLE messages ADD COLUMN wait_reason TEXT NOT NULL DEFAULT '';

-- A message being settled or waiting on an unknown outcome is found by its
-- OutId: the rows of one SendBatchSms share it.
CREATE INDEX messages_out_id ON messages (out_id) WHERE out_id <> '';
