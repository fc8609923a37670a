-- The support desk: which organisation works each queue, tickets, their
-- threads, the history of their states and the events of their clocks.

-- Each queue is worked by one organisation, named by the ministry.
CREATE TABLE desk_queues (
	code       TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organisations (id),
	updated_at TIMESTAMP NOT NULL
);

-- A ticket concerns a person (the citizen or a dependant) and was opened
-- by its requester (the citizen). form is the type's answers as JSON.
CREATE TABLE tickets (
	id             TEXT PRIMARY KEY,
	reference      TEXT NOT NULL UNIQUE,
	type           TEXT NOT NULL,
	person_id      TEXT NOT NULL REFERENCES people (id),
	requester_id   TEXT NOT NULL REFERENCES people (id),
	state          TEXT NOT NULL,
	priority       TEXT NOT NULL,
	queue          TEXT NOT NULL,
	calendar       TEXT NOT NULL,
	assignee_id    TEXT REFERENCES staff (id),
	merged_into    TEXT REFERENCES tickets (id),
	form           TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	tried          TEXT NOT NULL DEFAULT '',
	language       TEXT NOT NULL,
	rating         INTEGER,
	rating_comment TEXT NOT NULL DEFAULT '',
	due_at         TIMESTAMP,
	created_at     TIMESTAMP NOT NULL,
	updated_at     TIMESTAMP NOT NULL,
	resolved_at    TIMESTAMP,
	closed_at      TIMESTAMP
);
CREATE INDEX tickets_queue ON tickets (queue, state, due_at);
CREATE INDEX tickets_requester ON tickets (requester_id, created_at);
CREATE INDEX tickets_person ON tickets (person_id);
CREATE INDEX tickets_assignee ON tickets (assignee_id);

-- The thread: public replies and staff's internal notes.
CREATE TABLE ticket_posts (
	id          TEXT PRIMARY KEY,
	ticket_id   TEXT NOT NULL REFERENCES tickets (id),
	author_kind TEXT NOT NULL,
	author_id   TEXT NOT NULL,
	author_name TEXT NOT NULL DEFAULT '',
	internal    INTEGER NOT NULL DEFAULT 0,
	body        TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL
);
CREATE INDEX ticket_posts_ticket ON ticket_posts (ticket_id, created_at);

-- Every change of state, queue or assignee, for reports and review.
CREATE TABLE ticket_history (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id   TEXT NOT NULL REFERENCES tickets (id),
	at          TIMESTAMP NOT NULL,
	actor_kind  TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	from_state  TEXT NOT NULL,
	to_state    TEXT NOT NULL,
	from_queue  TEXT NOT NULL,
	to_queue    TEXT NOT NULL,
	assignee_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

-- The clocks' events, in order, from which every clock is recomputed.
CREATE TABLE ticket_sla_events (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id      TEXT NOT NULL REFERENCES tickets (id),
	metric         TEXT NOT NULL,
	kind           TEXT NOT NULL,
	at             TIMESTAMP NOT NULL,
	target_seconds INTEGER NOT NULL DEFAULT 0,
	calendar       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_sla_events_ticket ON ticket_sla_events (ticket_id, id);
