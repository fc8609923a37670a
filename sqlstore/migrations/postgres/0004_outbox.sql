-- Outbox delivery: when a message may be tried next (after a failure, or
-- when the claim of a server that died mid-send lapses) and why the last
-- try failed, never naming the destination.

ALTER TABLE outbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
