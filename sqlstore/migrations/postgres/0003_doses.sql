-- Dose records: the purpose they are written for, the files they come
-- from, and the key that makes a dose recorded twice the same dose.

INSERT INTO purposes (code, description_ms, description_en) VALUES
	('VACCINATION_RECORD', 'Merekodkan dos vaksin anda di pusat pemberian vaksin', 'Recording your vaccine dose at a vaccination centre');

-- One row a file of doses that a centre imported: every file accepted,
-- also one imported again (it then created nothing).
CREATE TABLE dose_imports (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES organisations (id),
	actor_id        TEXT NOT NULL,
	format          TEXT NOT NULL,
	file_hash       TEXT NOT NULL,
	row_count       INTEGER NOT NULL,
	created_count   INTEGER NOT NULL,
	unchanged_count INTEGER NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX dose_imports_file ON dose_imports (org_id, file_hash, created_at);

-- Who recorded a dose, and from which file (none when through the API).
ALTER TABLE doses ADD COLUMN import_id TEXT REFERENCES dose_imports (id);
ALTER TABLE doses ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';

-- A person has one dose of each number of a product. Recording it again
-- with the same details changes nothing; with other details (another date,
-- another batch) it is refused: a correction changes the row.
CREATE UNIQUE INDEX doses_person_product_number ON doses (person_id, product, dose_number);
