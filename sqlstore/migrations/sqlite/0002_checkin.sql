-- Premises and check-ins; the risk statuses and doses the door screen reads.

CREATE TABLE premises (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	name          TEXT NOT NULL,
	type          TEXT NOT NULL,
	address       TEXT NOT NULL,
	state         TEXT NOT NULL,
	latitude      REAL NOT NULL,
	longitude     REAL NOT NULL,
	capacity      INTEGER NOT NULL,
	short_code    TEXT NOT NULL UNIQUE,
	token_version INTEGER NOT NULL,
	created_at    TIMESTAMP NOT NULL,
	updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX premises_org_id ON premises (org_id);

-- One row a visit, keyed by a time-ordered id so that inserts append and
-- retention deletes a range of the key. No foreign keys on the hottest
-- table: the writer checks the person and the premises before it inserts.
-- A visit ends at the earliest of its check-out, its automatic check-out
-- (leaves_at) and the person's next check-in elsewhere.
CREATE TABLE checkins (
	id             TEXT NOT NULL,
	person_id      TEXT NOT NULL,
	premises_id    TEXT NOT NULL,
	checked_in_at  TIMESTAMP NOT NULL,
	leaves_at      TIMESTAMP NOT NULL,
	checked_out_at TIMESTAMP,
	source         TEXT NOT NULL,
	client_id      TEXT,
	actor_id       TEXT NOT NULL,
	created_at     TIMESTAMP NOT NULL,
	PRIMARY KEY (id)
) WITHOUT ROWID;
CREATE INDEX checkins_person ON checkins (person_id, checked_in_at);
CREATE INDEX checkins_premises ON checkins (premises_id, checked_in_at);
CREATE UNIQUE INDEX checkins_client ON checkins (person_id, client_id, checked_in_at) WHERE client_id IS NOT NULL;

-- A person's risk status over time; no row in force means low risk.
CREATE TABLE risk_statuses (
	id         TEXT PRIMARY KEY,
	person_id  TEXT NOT NULL REFERENCES people (id),
	status     TEXT NOT NULL,
	rule       TEXT NOT NULL,
	reason     TEXT NOT NULL,
	starts_at  TIMESTAMP NOT NULL,
	ends_at    TIMESTAMP NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX risk_statuses_person ON risk_statuses (person_id, starts_at);

-- Vaccine doses as the registry records them.
CREATE TABLE doses (
	id           TEXT PRIMARY KEY,
	person_id    TEXT NOT NULL REFERENCES people (id),
	product      TEXT NOT NULL,
	manufacturer TEXT NOT NULL,
	batch        TEXT NOT NULL,
	dose_number  INTEGER NOT NULL,
	total_doses  INTEGER NOT NULL,
	booster      INTEGER NOT NULL DEFAULT 0,
	given_on     TEXT NOT NULL,
	centre_id    TEXT NOT NULL,
	country      TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL
);
CREATE INDEX doses_person ON doses (person_id, given_on);

INSERT INTO purposes (code, description_ms, description_en) VALUES
	('ASSISTED_CHECKIN', 'Daftar masuk dibantu di premis', 'Assisted check-in at a premises');

CREATE INDEX people_id_number ON people (id_number);

-- What the door, the app and the desk show: one current value per person,
-- kept by whoever writes risk_statuses or doses (RefreshDoorStatus), so
-- that a check-in reads one row.
ALTER TABLE people ADD COLUMN risk_status TEXT NOT NULL DEFAULT 'low_risk';
ALTER TABLE people ADD COLUMN risk_until TIMESTAMP;
ALTER TABLE people ADD COLUMN vaccination_status TEXT NOT NULL DEFAULT 'not_recorded';
