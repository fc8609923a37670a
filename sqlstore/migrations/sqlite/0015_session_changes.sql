-- On PostgreSQL this version tells other servers of ended sessions. A
-- SQLite file has one server, which forgets its cached sessions itself.
SELECT 1;
