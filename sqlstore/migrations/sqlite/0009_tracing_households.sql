-- Households by a normalized address, and hotspots.
--
-- address_key is jaga.AddressKey(address): lower case, punctuation and
-- common abbreviations folded, so that "12, Jln. Mawar" and "12 JALAN
-- MAWAR" are one household. Writers of people.address keep it; rows from
-- before this migration are keyed by the tracing service at start.
ALTER TABLE people ADD COLUMN address_key TEXT NOT NULL DEFAULT '';
CREATE INDEX people_address_key ON people (address_key) WHERE address_key <> '';

-- Hotspots as last computed: a premises with at least N cases in a window,
-- or an area (a radius around a premises) with at least M active cases.
-- No personal data: counts, places and an officer's decision. key is the
-- premises id for both kinds; one row a kind and key, kept across
-- recomputations so that an officer's decision stays with it.
CREATE TABLE hotspots (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	premises_id    TEXT NOT NULL,
	premises_name  TEXT NOT NULL,
	latitude       REAL NOT NULL,
	longitude      REAL NOT NULL,
	radius_m       INTEGER NOT NULL,
	cases          INTEGER NOT NULL,
	window_from    TIMESTAMP NOT NULL,
	window_to      TIMESTAMP NOT NULL,
	active         INTEGER NOT NULL,
	state          TEXT NOT NULL,
	decided_by     TEXT NOT NULL DEFAULT '',
	decided_cases  INTEGER NOT NULL DEFAULT 0,
	decided_at     TIMESTAMP,
	first_seen_at  TIMESTAMP NOT NULL,
	computed_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX hotspots_kind_premises ON hotspots (kind, premises_id);
CREATE INDEX hotspots_active ON hotspots (kind, active);

-- When hotspots were last computed, found or not: the "as of" citizens see.
CREATE TABLE hotspot_runs (
	computed_at TIMESTAMP PRIMARY KEY,
	premises    INTEGER NOT NULL,
	areas       INTEGER NOT NULL
);
