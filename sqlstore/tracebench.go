package sqlstore

// What the tracing benchmark (jaga tracebench, bench/trace.sh) needs of
// the store besides the services: loading synthetic rows straight into
// the tables, and the plain SQL that traces as jaga does, to check jaga's
// contacts against and to time.

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/jaga-health/jaga"
)

// loadTables are the tables LoadRows may fill.
var loadTables = map[string]bool{"people": true, "premises": true, "checkins": true, "cases": true, "risk_statuses": true}

// LoadRows inserts rows straight into a table: COPY on PostgreSQL,
// multi-row INSERTs in large transactions on SQLite, where the table's
// secondary indexes are dropped before and built again after, which is
// several times faster than keeping them. next returns each row's values
// in the order of columns, and false after the last. It is for synthetic
// data only: nothing is checked, logged or traced, and nothing else
// should write the table meanwhile. People and premises may be given
// their numbers (seq), after which the numbers handed out go on from the
// highest. Check-ins name people and premises by number and keep times
// as Unix microseconds; on PostgreSQL they need their days' partitions
// (CheckinDays).
func (db *DB) LoadRows(ctx context.Context, table string, columns []string, next func() ([]any, bool)) (int, error) {
	if !loadTables[table] {
		return 0, fmt.Errorf("load rows: table %q is not loadable", table)
	}
	n, err := db.loadRows(ctx, table, columns, next)
	if err == nil && (table == "people" || table == "premises") && slices.Contains(columns, "seq") {
		err = db.advanceSeq(ctx, table)
	}
	return n, err
}

// advanceSeq makes the numbers that table's rows are given from now on
// follow the highest it holds.
func (db *DB) advanceSeq(ctx context.Context, table string) error {
	q := `UPDATE key_sequences SET last = (SELECT MAX(seq) FROM ` + table + `)
		WHERE name = '` + table + `' AND (SELECT MAX(seq) FROM ` + table + `) > last`
	if db.dialect == Postgres {
		q = `SELECT setval(pg_get_serial_sequence('` + table + `', 'seq'), MAX(seq)) FROM ` + table + `
			HAVING MAX(seq) > COALESCE(pg_sequence_last_value(pg_get_serial_sequence('` + table + `', 'seq')::regclass), 0)`
	}
	if _, err := db.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	return nil
}

// loadRows is LoadRows on each engine.
func (db *DB) loadRows(ctx context.Context, table string, columns []string, next func() ([]any, bool)) (int, error) {
	if db.dialect == Postgres {
		return db.copyRows(ctx, table, columns, next)
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	defer conn.Close()
	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`, table)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	var names []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return 0, fmt.Errorf("load %s: %w", table, err)
		}
		names, indexes = append(names, name), append(indexes, def)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	for _, n := range names {
		if _, err := conn.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return 0, fmt.Errorf("load %s: %w", table, err)
		}
	}
	// The index builds sort on a thread a core (28 % faster on two).
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA threads = %d`, min(runtime.GOMAXPROCS(0), 8))); err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	defer conn.ExecContext(context.Background(), `PRAGMA threads = 0`)
	t := time.Now()
	n, err := loadSQLite(ctx, conn, table, columns, next)
	inserted := time.Since(t)
	t = time.Now()
	for _, def := range indexes {
		if _, ierr := conn.ExecContext(ctx, def); ierr != nil && err == nil {
			err = fmt.Errorf("load %s: %w", table, ierr)
		}
		// Each index is one transaction, written whole to the log (12 GB
		// for an index of the national peak's 14 days): copied into the
		// file and the log emptied before the next, so that the disk
		// holds one index's log at a time.
		if _, ierr := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); ierr != nil && err == nil {
			err = fmt.Errorf("load %s: %w", table, ierr)
		}
	}
	db.logger().Info("load", "table", table, "rows", n, "insert_s", inserted.Seconds(), "indexes", len(indexes), "index_s", time.Since(t).Seconds())
	return n, err
}

// loadSQLite inserts rows on conn, many a statement and transaction.
func loadSQLite(ctx context.Context, conn *sql.Conn, table string, columns []string, next func() ([]any, bool)) (int, error) {
	perStmt := min(500, 30000/len(columns))
	const perTx = 200000
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	head := `INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `) VALUES `
	full := head + strings.TrimSuffix(strings.Repeat(row+", ", perStmt), ", ")
	total, done := 0, false
	for !done {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return total, fmt.Errorf("load %s: %w", table, err)
		}
		stmt, err := tx.PrepareContext(ctx, full)
		if err != nil {
			tx.Rollback()
			return total, fmt.Errorf("load %s: %w", table, err)
		}
		args := make([]any, 0, perStmt*len(columns))
		inTx := 0
		for inTx < perTx {
			args = args[:0]
			n := 0
			for n < perStmt {
				r, ok := next()
				if !ok {
					done = true
					break
				}
				args = append(args, r...)
				n++
			}
			if n == 0 {
				break
			}
			if n == perStmt {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, head+strings.TrimSuffix(strings.Repeat(row+", ", n), ", "), args...)
			}
			if err != nil {
				stmt.Close()
				tx.Rollback()
				return total, fmt.Errorf("load %s: %w", table, err)
			}
			inTx += n
			if done {
				break
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return total, fmt.Errorf("load %s: %w", table, err)
		}
		total += inTx
	}
	return total, nil
}

// copyRows loads rows with COPY on one connection.
func (db *DB) copyRows(ctx context.Context, table string, columns []string, next func() ([]any, bool)) (int, error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		src := &rowSource{next: next}
		n, err = pc.CopyFrom(ctx, pgx.Identifier{table}, columns, src)
		return err
	})
	if err != nil {
		return int(n), fmt.Errorf("load %s: %w", table, err)
	}
	return int(n), nil
}

// rowSource adapts next to pgx.CopyFromSource.
type rowSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *rowSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}
func (s *rowSource) Values() ([]any, error) { return s.row, nil }
func (s *rowSource) Err() error             { return nil }

// CheckinDays makes sure check-ins can be stored for the days (UTC) from
// from through to: on PostgreSQL each day's partition exists.
func (db *DB) CheckinDays(ctx context.Context, from, to time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for d := from.UTC().Truncate(24 * time.Hour); !d.After(to); d = d.Add(24 * time.Hour) {
		if err := tx.ensureCheckinPartition(ctx, d); err != nil {
			return fmt.Errorf("check-in days: %w", err)
		}
	}
	return tx.Commit()
}

// Analyze refreshes the planner's statistics after a load.
// On SQLite it samples about a thousand rows an index (analysis_limit),
// as SQLite advises for large databases: reading every index of the
// national peak's 14 days would take minutes.
func (db *DB) Analyze(ctx context.Context) error {
	t := time.Now()
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer conn.Close()
	if db.dialect == SQLite {
		if _, err := conn.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		defer conn.ExecContext(context.Background(), `PRAGMA analysis_limit = 0`)
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	db.logger().Info("analyze", "s", time.Since(t).Seconds())
	return nil
}

// BenchCases returns the ids of the cases confirmed on day (YYYY-MM-DD,
// Malaysia time), in the order the benchmark loaded them.
func (db *DB) BenchCases(ctx context.Context, day string) ([]string, error) {
	from, to, err := dayBounds(day)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM cases WHERE confirmed_at >= $1 AND confirmed_at < $2 ORDER BY id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("bench cases: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("bench cases: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ResetTracing undoes what tracing wrote in a benchmark database, so that
// its loaded data can be traced again: every status but the cases' own
// confirmed ones, the outbox, the door statuses and the cases' tracing
// stamps. It is for synthetic data only.
func (db *DB) ResetTracing(ctx context.Context) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM risk_statuses WHERE rule <> '` + jaga.RuleConfirmed + `'`,
		`DELETE FROM outbox`,
		`DELETE FROM trace_pending`,
		`UPDATE people SET risk_status = '` + jaga.RiskLow + `', risk_until = NULL WHERE risk_until IS NOT NULL OR risk_status <> '` + jaga.RiskLow + `'`,
		`UPDATE cases SET traced_at = NULL, contacts = 0`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset tracing: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if db.dialect == Postgres {
		// The deleted and updated rows' old versions out of the tables and
		// their indexes, as on the day the data were loaded.
		if _, err := db.db.ExecContext(ctx, `VACUUM ANALYZE people, risk_statuses, outbox, cases`); err != nil {
			return fmt.Errorf("reset tracing: %w", err)
		}
	}
	return nil
}

// ContactPair is a person and a case that made them a contact.
type ContactPair struct{ PersonID, CaseID string }

// TracedContacts returns the check-in contacts that jaga's tracing gave
// the cases confirmed on day (YYYY-MM-DD, Malaysia time).
func (db *DB) TracedContacts(ctx context.Context, day string) (map[ContactPair]bool, error) {
	from, to, err := dayBounds(day)
	if err != nil {
		return nil, err
	}
	return pairs(ctx, db.db, `
		SELECT DISTINCT r.person_id, k.id FROM risk_statuses r JOIN cases k ON k.trace_ref = r.case_ref
		WHERE r.rule = $1 AND k.confirmed_at >= $2 AND k.confirmed_at < $3`, jaga.RuleCheckIn, from, to)
}

// baselineQuery traces the cases confirmed in [$1, $2) in one query, by
// the rules of jaga.TracingConfig: each case's visits in its window (from
// $5 before), each ended by the next check-in elsewhere (two at one moment
// taken in premises id order), widened by the buffer ($3), clipped to the
// window and merged per premises; then every other visit at the premises
// that overlaps a stay, summed per case, person and premises: a contact
// shares at least $4, and the last shared moment plus the casual status's
// duration ($7) is after now ($6). Times and durations are Unix
// microseconds, as check-in rows keep them; the cases' windows are
// turned into microseconds (sqlMicros).
func (db *DB) baselineQuery() string {
	greatest, least := "max", "min"
	if db.dialect == Postgres {
		greatest, least = "GREATEST", "LEAST"
	}
	visitEnd := func(v string) string {
		return "CASE WHEN " + v + ".checked_out_at IS NOT NULL AND " + v + ".checked_out_at > " + v + ".checked_in_at AND " +
			v + ".checked_out_at < " + v + ".leaves_at THEN " + v + ".checked_out_at ELSE " + v + ".leaves_at END"
	}
	return `
WITH k AS (
	SELECT k.id, pe.seq AS person, ` + db.sqlMicros("k.infectious_from") + ` AS wf, ` + db.sqlMicros("k.infectious_to") + ` AS wt
	FROM cases k JOIN people pe ON pe.id = k.person_id
	WHERE k.confirmed_at >= $1 AND k.confirmed_at < $2
),
cv AS (
	SELECT k.id AS case_id, k.person AS case_person, v.premises, k.wf, k.wt,
		v.checked_in_at AS f, ` + visitEnd("v") + ` AS t,
		LEAD(v.checked_in_at) OVER w AS next_in,
		LEAD(v.premises) OVER w AS next_premises
	FROM k JOIN checkins v ON v.person = k.person
		AND v.checked_in_at >= k.wf - $5 AND v.checked_in_at < k.wt
	JOIN premises pr ON pr.seq = v.premises
	WINDOW w AS (PARTITION BY k.id ORDER BY v.checked_in_at, pr.id)
),
cs AS (
	SELECT case_id, case_person, premises, ` + greatest + `(f, wf) AS f,
		` + least + `(CASE WHEN next_in IS NOT NULL AND next_premises <> premises AND next_in < t THEN next_in ELSE t END + $3, wt) AS t
	FROM cv
),
m AS (
	SELECT case_id, case_person, premises, f, t,
		MAX(t) OVER (PARTITION BY case_id, premises ORDER BY f, t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
	FROM cs WHERE t > f
),
i AS (
	SELECT case_id, case_person, premises, f, t,
		SUM(CASE WHEN prev_end IS NULL OR f > prev_end THEN 1 ELSE 0 END)
			OVER (PARTITION BY case_id, premises ORDER BY f, t ROWS UNBOUNDED PRECEDING) AS island
	FROM m
),
stays AS (
	SELECT case_id, MIN(case_person) AS case_person, premises, MIN(f) AS f, MAX(t) AS t
	FROM i GROUP BY case_id, premises, island
),
ov AS (
	SELECT s.case_id, c.person, s.premises, ` + greatest + `(s.f, c.checked_in_at) AS f,
		` + least + `(s.t, ` + visitEnd("c") + `) AS t
	FROM stays s JOIN checkins c ON c.premises = s.premises
		AND c.checked_in_at >= s.f - $5 AND c.checked_in_at < s.t
	WHERE c.person <> s.case_person
),
contacts AS (
	SELECT DISTINCT person, case_id FROM ov WHERE t > f
	GROUP BY case_id, person, premises
	HAVING SUM(t - f) >= $4 AND MAX(t) + $7 > $6
)
SELECT pe.id, contacts.case_id FROM contacts JOIN people pe ON pe.seq = contacts.person`
}

// BaselineContacts traces the cases confirmed on day with one plain SQL
// query (see baselineQuery) at now, and returns the contacts it finds.
func (db *DB) BaselineContacts(ctx context.Context, day string, cfg jaga.TracingConfig, now time.Time) (map[ContactPair]bool, error) {
	from, to, err := dayBounds(day)
	if err != nil {
		return nil, err
	}
	if cfg.Rules == nil {
		cfg = jaga.DefaultTracing()
	}
	us := func(d time.Duration) int64 { return d.Microseconds() }
	return pairs(ctx, db.db, db.baselineQuery(), from, to, us(cfg.Buffer), us(cfg.MinOverlap), us(jaga.MaxStayBeforeAuto),
		micros(now), us(cfg.Rules[jaga.RiskCasual].Duration))
}

// dayBounds returns a Malaysian day's start and end in UTC.
func dayBounds(day string) (time.Time, time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, day, jaga.MalaysiaTime)
	if err != nil {
		return time.Time{}, time.Time{}, jaga.Invalid(map[string]string{"day": "The day must be a date as YYYY-MM-DD."})
	}
	return d.UTC(), d.AddDate(0, 0, 1).UTC(), nil
}

// pairs runs a query of person id and case id.
func pairs(ctx context.Context, db *sql.DB, query string, args ...any) (map[ContactPair]bool, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	out := map[ContactPair]bool{}
	for rows.Next() {
		var p ContactPair
		if err := rows.Scan(&p.PersonID, &p.CaseID); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
		out[p] = true
	}
	return out, rows.Err()
}
