-- Sessions ended or shortened and premises changed or removed tell the
-- servers sharing this database which one, so that what they keep in
-- memory (sqlstore/people_changes.go) ends or changes everywhere at once.
-- New sessions and premises need no notice: unknown ones are never
-- cached. A TRUNCATE, which has no rows, sends an empty payload: forget
-- them all. The channels are named after the schema like people's.
CREATE FUNCTION notify_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_LEVEL = 'STATEMENT' THEN
		PERFORM pg_notify(left(TG_ARGV[0] || current_schema(), 63), '');
	ELSIF TG_TABLE_NAME = 'sessions' THEN
		PERFORM pg_notify(left(TG_ARGV[0] || current_schema(), 63), OLD.token_hash);
	ELSE
		PERFORM pg_notify(left(TG_ARGV[0] || current_schema(), 63), OLD.id);
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER session_ended AFTER DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION notify_row_changed('jaga_sessions_');
CREATE TRIGGER session_shortened AFTER UPDATE OF expires_at, actor_kind, actor_id ON sessions
	FOR EACH ROW EXECUTE FUNCTION notify_row_changed('jaga_sessions_');
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
	FOR EACH STATEMENT EXECUTE FUNCTION notify_row_changed('jaga_sessions_');

CREATE TRIGGER premises_changed AFTER UPDATE OR DELETE ON premises
	FOR EACH ROW EXECUTE FUNCTION notify_row_changed('jaga_premises_');
CREATE TRIGGER premises_truncated AFTER TRUNCATE ON premises
	FOR EACH STATEMENT EXECUTE FUNCTION notify_row_changed('jaga_premises_');
