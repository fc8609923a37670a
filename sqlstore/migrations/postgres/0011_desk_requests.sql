-- The support desk's requests to change a person's record: a refresh of
-- their certificate from the registry or a correction, asked for on a
-- ticket. An agent whose role or contract allows it acts at once (a
-- correction still waits for a second officer); anyone else's request
-- waits for a ministry supervisor or health officer. A correction's values
-- are kept with the correction, never here.
CREATE TABLE desk_changes (
	id             TEXT PRIMARY KEY,
	ticket_id      TEXT NOT NULL REFERENCES tickets (id),
	kind           TEXT NOT NULL,
	field          TEXT NOT NULL DEFAULT '',
	correction_id  TEXT REFERENCES corrections (id),
	status         TEXT NOT NULL,
	reason         TEXT NOT NULL,
	outcome        TEXT NOT NULL DEFAULT '',
	requested_by   TEXT NOT NULL REFERENCES staff (id),
	requester_name TEXT NOT NULL,
	decided_by     TEXT REFERENCES staff (id),
	created_at     TIMESTAMPTZ NOT NULL,
	decided_at     TIMESTAMPTZ
);
CREATE INDEX desk_changes_ticket ON desk_changes (ticket_id, created_at);
CREATE INDEX desk_changes_status ON desk_changes (status, created_at);
CREATE UNIQUE INDEX desk_changes_correction ON desk_changes (correction_id);
