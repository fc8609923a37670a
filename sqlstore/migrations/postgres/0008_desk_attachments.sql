-- The support desk, continued: citizens' attachments, kept encrypted for a
-- short while; passengers' consent codes for airlines; and when the breach
-- job next needs to look at a ticket.

-- content is the nonce and the AES-256-GCM sealed file, under the server
-- key "desk-attachments"; the purge job deletes a row past expires_at.
CREATE TABLE ticket_attachments (
	id         TEXT PRIMARY KEY,
	ticket_id  TEXT NOT NULL REFERENCES tickets (id),
	media_type TEXT NOT NULL,
	size       INTEGER NOT NULL,
	name       TEXT NOT NULL,
	content    BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, created_at);
CREATE INDEX ticket_attachments_expires ON ticket_attachments (expires_at);

-- A consent code is kept only as its SHA-256; it is used at most once.
CREATE TABLE boarding_consents (
	code_hash         TEXT PRIMARY KEY,
	person_id         TEXT NOT NULL REFERENCES people (id),
	requester_id      TEXT NOT NULL REFERENCES people (id),
	share_certificate BOOLEAN NOT NULL,
	share_name        BOOLEAN NOT NULL,
	created_at        TIMESTAMPTZ NOT NULL,
	expires_at        TIMESTAMPTZ NOT NULL,
	used_at           TIMESTAMPTZ
);
CREATE INDEX boarding_consents_expires ON boarding_consents (expires_at);

-- When the breach job next has a warning or a breach to record.
ALTER TABLE tickets ADD COLUMN sla_check_at TIMESTAMPTZ;
CREATE INDEX tickets_sla_check ON tickets (sla_check_at);
-- Tickets opened before: the job looks at each running one once, then
-- keeps the column itself.
UPDATE tickets SET sla_check_at = updated_at WHERE due_at IS NOT NULL;
