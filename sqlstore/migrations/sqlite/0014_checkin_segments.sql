-- An hour of check-ins as tracing reads them, grouped by premises, built
-- once the hour has passed (sqlstore/segment.go). Times are Unix
-- microseconds.
CREATE TABLE checkin_segments (
	starts_at INTEGER PRIMARY KEY,
	ends_at   INTEGER NOT NULL,
	visits    INTEGER NOT NULL,
	data      BLOB NOT NULL
);

-- Check-ins written or changed after their hour may have been built into
-- a segment (an offline upload, a check-out): tracing reads them from
-- checkins. The segment builder removes those it has read.
CREATE TABLE checkin_changes (
	checkin_id INTEGER PRIMARY KEY
);
