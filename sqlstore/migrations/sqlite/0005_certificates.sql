-- Vaccination certificates jaga issued, the keys that sign them, and the
-- corrections that re-issue them.

-- Every certificate ever issued. A person has at most one valid one (the
-- current); the rest are superseded (still true of their dose) or revoked
-- (published, as hashes, on the revocation list).
CREATE TABLE certificates (
	id            TEXT PRIMARY KEY,
	person_id     TEXT NOT NULL REFERENCES people (id),
	dose_id       TEXT NOT NULL REFERENCES doses (id),
	payload       TEXT NOT NULL,
	kid           TEXT NOT NULL,
	country       TEXT NOT NULL,
	status        TEXT NOT NULL,
	issue_reason  TEXT NOT NULL,
	content_hash  TEXT NOT NULL,
	replaces      TEXT,
	issued_at     TIMESTAMP NOT NULL,
	expires_at    TIMESTAMP NOT NULL,
	revoked_at    TIMESTAMP,
	revoke_reason TEXT
);
CREATE INDEX certificates_person ON certificates (person_id, issued_at);
CREATE UNIQUE INDEX certificates_current ON certificates (person_id) WHERE status = 'valid';
CREATE INDEX certificates_revoked ON certificates (expires_at) WHERE status = 'revoked';
CREATE INDEX certificates_kid ON certificates (kid) WHERE status = 'valid';

-- Keys that sign certificates (document signers) and the country signing
-- CA that certifies them and signs the trust and revocation lists. The
-- private key is sealed (AES-256-GCM) under a master key kept outside the
-- database.
CREATE TABLE signing_keys (
	kid         TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	country     TEXT NOT NULL,
	certificate BLOB NOT NULL,
	sealed_key  BLOB NOT NULL,
	status      TEXT NOT NULL,
	not_before  TIMESTAMP NOT NULL,
	not_after   TIMESTAMP NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	retired_at  TIMESTAMP
);
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (kind) WHERE status = 'active';

-- An officer's correction of a person's record, applied once a second
-- officer approves it.
CREATE TABLE corrections (
	id             TEXT PRIMARY KEY,
	person_id      TEXT NOT NULL REFERENCES people (id),
	field          TEXT NOT NULL,
	dose_id        TEXT REFERENCES doses (id),
	old_value      TEXT NOT NULL,
	new_value      TEXT NOT NULL,
	reason         TEXT NOT NULL,
	reference      TEXT NOT NULL,
	status         TEXT NOT NULL,
	created_by     TEXT NOT NULL,
	created_at     TIMESTAMP NOT NULL,
	decided_by     TEXT,
	decided_at     TIMESTAMP,
	certificate_id TEXT,
	revoked_ids    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX corrections_status ON corrections (status, created_at);
