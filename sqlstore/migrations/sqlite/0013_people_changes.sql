-- On PostgreSQL this version tells other servers of changes to people. A
-- SQLite file has one server, which forgets its visitor cards itself.
SELECT 1;
