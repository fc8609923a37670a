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
	body       BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL
);
