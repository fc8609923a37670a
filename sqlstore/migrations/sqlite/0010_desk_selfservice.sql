-- The support desk's self-service fixes: each attempt a citizen ran for
-- themselves or a dependant, and the ticket that carried it, if one was
-- opened afterwards. detail says what the fix found, for the agent.
CREATE TABLE desk_fix_attempts (
	id           TEXT PRIMARY KEY,
	requester_id TEXT NOT NULL REFERENCES people (id),
	person_id    TEXT NOT NULL REFERENCES people (id),
	fix          TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	detail       TEXT NOT NULL DEFAULT '',
	ticket_id    TEXT REFERENCES tickets (id),
	created_at   TIMESTAMP NOT NULL
);
CREATE INDEX desk_fix_attempts_requester ON desk_fix_attempts (requester_id, person_id, created_at);
CREATE INDEX desk_fix_attempts_ticket ON desk_fix_attempts (ticket_id);

-- Attachments are sealed under a key derived from the master key, which
-- is kept outside the database; the key once kept here sealed nothing in
-- production and is dropped.
DELETE FROM server_keys WHERE name = 'desk-attachments';
