-- Every statement that changes or removes people tells the servers sharing
-- this database, so that they forget the visitor cards they keep in memory
-- (sqlstore/visitorcache.go). New people need no notice: unknown people are
-- never cached. The channel is named after the schema, so that two jaga
-- databases in one PostgreSQL cluster do not disturb each other (cut to the
-- 63 bytes a channel name may have).
CREATE FUNCTION notify_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(left('jaga_people_' || current_schema(), 63), '');
	RETURN NULL;
END;
$$;

CREATE TRIGGER people_changed AFTER UPDATE OR DELETE OR TRUNCATE ON people
	FOR EACH STATEMENT EXECUTE FUNCTION notify_people_changed();
