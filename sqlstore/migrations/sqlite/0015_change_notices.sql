-- On PostgreSQL this version tells other servers of ended sessions and
-- changed premises. A SQLite file has one server, which forgets what it
-- keeps in memory itself.
SELECT 1;
