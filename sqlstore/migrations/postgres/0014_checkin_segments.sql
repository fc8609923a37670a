-- An hour of check-ins as tracing reads them, grouped by premises, built
-- once the hour has passed (sqlstore/segment.go). Times are Unix
-- microseconds. The data are already compact: stored without compression.
CREATE TABLE checkin_segments (
	starts_at BIGINT PRIMARY KEY,
	ends_at   BIGINT NOT NULL,
	visits    BIGINT NOT NULL,
	data      BYTEA NOT NULL
);
ALTER TABLE checkin_segments ALTER COLUMN data SET STORAGE EXTERNAL;

-- Check-ins written or changed after their hour may have been built into
-- a segment (an offline upload, a check-out): tracing reads them from
-- checkins. The segment builder removes those it has read.
CREATE TABLE checkin_changes (
	checkin_id BIGINT PRIMARY KEY
);
