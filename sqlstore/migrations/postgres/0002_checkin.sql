-- Premises and check-ins; the risk statuses and doses the door screen reads.

CREATE TABLE premises (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	name          TEXT NOT NULL,
	type          TEXT NOT NULL,
	address       TEXT NOT NULL,
	state         TEXT NOT NULL,
	latitude      DOUBLE PRECISION NOT NULL,
	longitude     DOUBLE PRECISION NOT NULL,
	capacity      INTEGER NOT NULL,
	short_code    TEXT NOT NULL UNIQUE,
	token_version INTEGER NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX premises_org_id ON premises (org_id);

-- One row a visit, partitioned by day of check-in (UTC) so that retention
-- drops whole partitions; jaga creates the partitions ahead of time. The
-- distribution key for a distributed engine is premises_id. No foreign keys
-- on the hottest table: the writer checks the person and the premises. A
-- visit ends at the earliest of its check-out, its automatic check-out
-- (leaves_at) and the person's next check-in elsewhere.
CREATE TABLE checkins (
	id             TEXT NOT NULL,
	person_id      TEXT NOT NULL,
	premises_id    TEXT NOT NULL,
	checked_in_at  TIMESTAMPTZ NOT NULL,
	leaves_at      TIMESTAMPTZ NOT NULL,
	checked_out_at TIMESTAMPTZ,
	source         TEXT NOT NULL,
	client_id      TEXT,
	actor_id       TEXT NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (id, checked_in_at)
) PARTITION BY RANGE (checked_in_at);
CREATE INDEX checkins_person ON checkins (person_id, checked_in_at);
CREATE INDEX checkins_premises ON checkins (premises_id, checked_in_at);
CREATE UNIQUE INDEX checkins_client ON checkins (person_id, client_id, checked_in_at) WHERE client_id IS NOT NULL;

CREATE TABLE risk_statuses (
	id         TEXT PRIMARY KEY,
	person_id  TEXT NOT NULL REFERENCES people (id),
	status     TEXT NOT NULL,
	rule       TEXT NOT NULL,
	reason     TEXT NOT NULL,
	starts_at  TIMESTAMPTZ NOT NULL,
	ends_at    TIMESTAMPTZ NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_statuses_person ON risk_statuses (person_id, starts_at);

CREATE TABLE doses (
	id           TEXT PRIMARY KEY,
	person_id    TEXT NOT NULL REFERENCES people (id),
	product      TEXT NOT NULL,
	manufacturer TEXT NOT NULL,
	batch        TEXT NOT NULL,
	dose_number  INTEGER NOT NULL,
	total_doses  INTEGER NOT NULL,
	booster      BOOLEAN NOT NULL DEFAULT FALSE,
	given_on     TEXT NOT NULL,
	centre_id    TEXT NOT NULL,
	country      TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX doses_person ON doses (person_id, given_on);

INSERT INTO purposes (code, description_ms, description_en) VALUES
	('ASSISTED_CHECKIN', 'Daftar masuk dibantu di premis', 'Assisted check-in at a premises');

CREATE INDEX people_id_number ON people (id_number);

-- What the door, the app and the desk show: one current value per person,
-- kept by whoever writes risk_statuses or doses (RefreshDoorStatus), so
-- that a check-in reads one row.
ALTER TABLE people ADD COLUMN risk_status TEXT NOT NULL DEFAULT 'low_risk';
ALTER TABLE people ADD COLUMN risk_until TIMESTAMPTZ;
ALTER TABLE people ADD COLUMN vaccination_status TEXT NOT NULL DEFAULT 'not_recorded';
