-- Every session ended or shortened tells the servers sharing this database
-- which one, so that a session cached in memory ends everywhere at once
-- (sqlstore/people_changes.go). Sign-ins need no notice: unknown sessions
-- are never cached. The channel is named after the schema like people's.
CREATE FUNCTION notify_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(left('jaga_sessions_' || current_schema(), 63), OLD.token_hash);
	RETURN NULL;
END;
$$;

CREATE TRIGGER session_ended AFTER DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION notify_session_ended();
CREATE TRIGGER session_shortened AFTER UPDATE OF expires_at, actor_kind, actor_id ON sessions
	FOR EACH ROW EXECUTE FUNCTION notify_session_ended();

-- A TRUNCATE has no rows: it tells the servers to forget every session.
CREATE FUNCTION notify_sessions_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(left('jaga_sessions_' || current_schema(), 63), '');
	RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
	FOR EACH STATEMENT EXECUTE FUNCTION notify_sessions_truncated();
