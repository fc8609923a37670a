-- What a day's tracing found, recorded before it is written out: one row
-- a batch of cases, its statuses in a compact body (sqlstore/
-- tracing_pending.go). The statuses are in force from the row's commit:
-- the door, the app and the desk read them from here until the row is
-- applied (each status into risk_statuses, each door status, one message
-- a person whose shown status changed) and deleted in the last of those
-- transactions. No one's name or contact is in a body: people by id,
-- cases by id and opaque reference.
CREATE TABLE trace_pending (
	id         TEXT PRIMARY KEY,
	cases      INTEGER NOT NULL,
	statuses   INTEGER NOT NULL,
	body       BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

-- Every server keeps the recorded statuses in memory and hears of new
-- and applied rows on the schema's channel, as of changes to people.
CREATE FUNCTION notify_traces_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(left('jaga_traces_' || current_schema(), 63), '');
	RETURN NULL;
END;
$$;

CREATE TRIGGER traces_changed AFTER INSERT OR DELETE OR TRUNCATE ON trace_pending
	FOR EACH STATEMENT EXECUTE FUNCTION notify_traces_changed();
