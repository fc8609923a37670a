-- The platform: organisations, people, sign-in, staff, contracts, the access log, the outbox.

CREATE TABLE organisations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE people (
	id            TEXT PRIMARY KEY,
	guardian_id   TEXT REFERENCES people (id),
	phone         TEXT UNIQUE,
	email         TEXT UNIQUE,
	full_name     TEXT NOT NULL DEFAULT '',
	id_type       TEXT NOT NULL DEFAULT '',
	id_number     TEXT NOT NULL DEFAULT '',
	date_of_birth TEXT NOT NULL DEFAULT '',
	nationality   TEXT NOT NULL DEFAULT '',
	address       TEXT NOT NULL DEFAULT '',
	language      TEXT NOT NULL DEFAULT 'ms',
	pseudonym     TEXT NOT NULL UNIQUE,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_guardian_id ON people (guardian_id);

CREATE TABLE challenges (
	id           TEXT PRIMARY KEY,
	purpose      TEXT NOT NULL,
	contact_kind TEXT NOT NULL,
	destination  TEXT NOT NULL,
	person_id    TEXT REFERENCES people (id),
	code_hash    TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	expires_at   TIMESTAMPTZ NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	consumed_at  TIMESTAMPTZ
);
CREATE INDEX challenges_destination ON challenges (destination, created_at);

CREATE TABLE staff (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES organisations (id),
	email           TEXT NOT NULL UNIQUE,
	display_name    TEXT NOT NULL,
	role            TEXT NOT NULL,
	password_hash   TEXT NOT NULL,
	totp_secret     TEXT NOT NULL,
	failed_attempts INTEGER NOT NULL DEFAULT 0,
	locked_until    TIMESTAMPTZ,
	disabled        BOOLEAN NOT NULL DEFAULT FALSE,
	created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_org_id ON staff (org_id);

CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	actor_kind   TEXT NOT NULL,
	actor_id     TEXT NOT NULL,
	csrf_token   TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_actor ON sessions (actor_kind, actor_id);

CREATE TABLE api_clients (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organisations (id),
	name       TEXT NOT NULL,
	key_hash   TEXT NOT NULL UNIQUE,
	scopes     TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	revoked_at TIMESTAMPTZ
);

CREATE TABLE purposes (
	code           TEXT PRIMARY KEY,
	description_ms TEXT NOT NULL,
	description_en TEXT NOT NULL
);
INSERT INTO purposes (code, description_ms, description_en) VALUES
	('SUPPORT_TICKET', 'Menyelesaikan tiket sokongan anda', 'Resolving your support ticket'),
	('RECORD_CORRECTION', 'Membetulkan rekod anda', 'Correcting your record'),
	('CONTACT_TRACING', 'Pengesanan kontak', 'Contact tracing'),
	('TRAVEL_VERIFICATION', 'Pengesahan perjalanan', 'Travel verification'),
	('AIRLINE_QUERY', 'Pertanyaan syarikat penerbangan semasa menaiki pesawat', 'An airline''s boarding query'),
	('AUDIT', 'Audit perlindungan data', 'Data protection audit'),
	('BREAK_GLASS', 'Akses kecemasan yang disemak kemudian', 'Emergency access, reviewed afterwards');

CREATE TABLE contracts (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	reference     TEXT NOT NULL UNIQUE,
	categories    TEXT NOT NULL,
	purposes      TEXT NOT NULL,
	personnel     TEXT NOT NULL DEFAULT '',
	valid_from    TIMESTAMPTZ NOT NULL,
	valid_to      TIMESTAMPTZ NOT NULL,
	state         TEXT NOT NULL,
	registered_by TEXT NOT NULL,
	approved_by   TEXT NOT NULL DEFAULT '',
	approved_at   TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX contracts_org_id ON contracts (org_id);

CREATE TABLE access_log (
	seq          BIGINT PRIMARY KEY,
	at           TIMESTAMPTZ NOT NULL,
	actor_kind   TEXT NOT NULL,
	actor_id     TEXT NOT NULL,
	actor_role   TEXT NOT NULL,
	org_id       TEXT NOT NULL,
	contract_id  TEXT NOT NULL,
	purpose      TEXT NOT NULL,
	relationship TEXT NOT NULL,
	reference    TEXT NOT NULL,
	reason       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	action       TEXT NOT NULL,
	categories   TEXT NOT NULL,
	fields       TEXT NOT NULL,
	decision     TEXT NOT NULL,
	policy       TEXT NOT NULL,
	prev_hash    TEXT NOT NULL,
	hash         TEXT NOT NULL
);
CREATE INDEX access_log_subject ON access_log (subject, seq);

CREATE TABLE access_log_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO access_log_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE access_log_hashes (
	idx  BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

CREATE TABLE access_checkpoints (
	size       BIGINT PRIMARY KEY,
	root_hash  TEXT NOT NULL,
	note       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE outbox (
	id          BIGSERIAL PRIMARY KEY,
	channel     TEXT NOT NULL,
	destination TEXT NOT NULL,
	subject     TEXT NOT NULL,
	body        TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	sent_at     TIMESTAMPTZ,
	attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (sent_at, id);

CREATE TABLE server_keys (
	name       TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
