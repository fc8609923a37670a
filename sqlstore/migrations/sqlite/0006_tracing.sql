-- Contact tracing: confirmed cases, the files they came in, and the
-- statuses they give. A status names its case only by the case's opaque
-- trace_ref, never by the case's id or person.

CREATE TABLE case_imports (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	actor_id      TEXT NOT NULL,
	source        TEXT NOT NULL,
	file_hash     TEXT NOT NULL,
	row_count     INTEGER NOT NULL,
	created_count INTEGER NOT NULL,
	created_at    TIMESTAMP NOT NULL
);

CREATE TABLE cases (
	id              TEXT PRIMARY KEY,
	person_id       TEXT NOT NULL REFERENCES people (id),
	reference       TEXT NOT NULL UNIQUE,
	trace_ref       TEXT NOT NULL UNIQUE,
	source          TEXT NOT NULL,
	tested_on       TEXT NOT NULL,
	onset_on        TEXT NOT NULL DEFAULT '',
	infectious_from TIMESTAMP NOT NULL,
	infectious_to   TIMESTAMP NOT NULL,
	org_id          TEXT NOT NULL,
	confirmed_by    TEXT NOT NULL,
	import_id       TEXT REFERENCES case_imports (id),
	confirmed_at    TIMESTAMP NOT NULL,
	traced_at       TIMESTAMP,
	contacts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_person ON cases (person_id, infectious_to);
CREATE INDEX cases_confirmed_at ON cases (confirmed_at);

-- What a status change stores besides its status, rule and reason: the
-- precedence of its status when given (the door shows the highest in
-- force), the case's opaque reference, and the details of the reason:
-- premises and time shared, household link, or the declaring officer's
-- organisation. One status per case, person, rule and premises, so that
-- tracing a case again gives no one a second.
ALTER TABLE risk_statuses ADD COLUMN precedence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE risk_statuses ADD COLUMN case_ref TEXT;
ALTER TABLE risk_statuses ADD COLUMN premises_id TEXT NOT NULL DEFAULT '';
ALTER TABLE risk_statuses ADD COLUMN premises_name TEXT NOT NULL DEFAULT '';
ALTER TABLE risk_statuses ADD COLUMN exposed_from TIMESTAMP;
ALTER TABLE risk_statuses ADD COLUMN exposed_to TIMESTAMP;
ALTER TABLE risk_statuses ADD COLUMN link TEXT NOT NULL DEFAULT '';
ALTER TABLE risk_statuses ADD COLUMN declared_by TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX risk_statuses_case ON risk_statuses (case_ref, person_id, rule, premises_id);

-- The expiry job finds the people whose shown status has ended.
CREATE INDEX people_risk_until ON people (risk_until) WHERE risk_until IS NOT NULL;
-- Household members: the same registered address, any case.
CREATE INDEX people_address ON people (lower(address)) WHERE address <> '';
