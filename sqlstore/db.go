// Package sqlstore implements jaga's services on database/sql, for SQLite
// (modernc.org/sqlite, the default) and PostgreSQL (jackc/pgx). One SQL text
// serves both engines wherever it can; the schema is kept per dialect as
// embedded, numbered migrations.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/jaga-health/jaga"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

//go:embed migrations
var migrations embed.FS

// DB is a connection to jaga's database and the dependencies its services
// share. Set the exported fields before use.
type DB struct {
	db      *sql.DB
	dialect string
	path    string // the SQLite file

	Now       func() time.Time       // if nil, time.Now
	Gate      jaga.Gate              // decides every access to someone else's data; required
	Signer    jaga.CertificateSigner // issues a certificate on each dose or correction; if nil, none is issued
	Passwords jaga.PasswordHasher    // required for staff sign-in
	TOTP      jaga.TOTP              // required for staff sign-in
	Logger    *slog.Logger           // if nil, slog.Default

	TokenKey  []byte        // authenticates premises QR codes; required for check-in
	Retention time.Duration // check-ins older than this are purged; if 0, jaga.DefaultRetention
	// AttachmentKey (32 bytes) seals desk attachments with AES-256-GCM; it
	// is kept outside the database. If nil, attachments answer EUNAVAILABLE.
	AttachmentKey []byte

	dummyOnce sync.Once // guards dummyHash
	dummyHash string

	batchOnce sync.Once // guards batch
	batch     *batcher

	premises   premisesCache
	stmts      sync.Map      // query text → *sql.Stmt, for the hot paths
	recent     *recentVisits // SQLite only: each person's latest visit; set when the writer starts
	cards      *visitorCards // what check-ins need of people; see sharedCards
	cardsLive  atomic.Bool   // PostgreSQL: this server hears of changes to people, sessions and premises
	sessions   sessionCache
	pending    atomic.Pointer[pendingTraces] // set by NewTracingService
	partitions sync.Map                      // PostgreSQL: days (YYYYMMDD) whose checkins partition exists

	prepMu  sync.Mutex // guards closing and prepWG.Add
	closing bool
	prepWG  sync.WaitGroup // background prepares
}

// stmt returns a prepared statement for query, preparing it on first use.
// database/sql prepares it again on each connection as needed.
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if prev, loaded := db.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// prepareLater prepares query in the background, unless the database is
// closing; Close waits for it.
func (db *DB) prepareLater(query string) {
	db.prepMu.Lock()
	defer db.prepMu.Unlock()
	if db.closing {
		return
	}
	db.prepWG.Add(1)
	go func() {
		defer db.prepWG.Done()
		_, _ = db.stmt(context.Background(), query) // a failure shows on first use
	}()
}

// queryRowHot runs a single-row query through a prepared statement.
func (db *DB) queryRowHot(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	s, err := db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryRowContext(ctx, args...), nil
}

// txStmt returns the prepared statement of query on tx's connection, or
// nil when it is not prepared yet. It never prepares through the pool while
// tx holds a connection (that could wait on a connection held by a writer
// that waits on tx); it prepares in the background for next time instead.
func (tx *Tx) txStmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := tx.stmts[query]; ok {
		return s
	}
	if s, ok := tx.db.stmts.Load(query); ok {
		if tx.begin(ctx) != nil {
			return nil // the caller's unprepared statement reports why
		}
		if tx.stmts == nil {
			tx.stmts = make(map[string]*sql.Stmt)
		}
		ts := tx.StmtContext(ctx, s.(*sql.Stmt))
		tx.stmts[query] = ts
		return ts
	}
	tx.db.prepareLater(query)
	return nil
}

// queryRowHot runs a single-row query in tx, prepared where it can be.
func (tx *Tx) queryRowHot(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	tx.notePeopleWrite(query, false)
	if s := tx.txStmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...), nil
	}
	return tx.QueryRowContext(ctx, query, args...), nil
}

// queryHot runs a query in tx, prepared where it can be.
func (tx *Tx) queryHot(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.notePeopleWrite(query, false)
	if s := tx.txStmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// execHot runs a statement in tx, prepared where it can be.
func (tx *Tx) execHot(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.notePeopleWrite(query, true)
	if s := tx.txStmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// writer returns the group-commit writer, starting it on first use.
func (db *DB) writer() *batcher {
	db.batchOnce.Do(func() {
		if db.dialect == SQLite {
			// This process is the file's only writer from now on.
			db.recent = newRecentVisits(db.now())
		}
		db.batch = newBatcher(db)
	})
	return db.batch
}

// Open connects to a database: a postgres:// or postgresql:// URL selects
// PostgreSQL, anything else is a SQLite file path (created if missing, in
// WAL mode). Open does not migrate; see Migrate and CheckSchema.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := &DB{cards: &visitorCards{}}
	var err error
	if IsPostgres(dsn) {
		d.dialect = Postgres
		d.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		d.db.SetMaxOpenConns(32)
		d.db.SetMaxIdleConns(32)
	} else {
		d.dialect, d.path = SQLite, dsn
		if dsn == "" {
			return nil, fmt.Errorf("open sqlite: empty path")
		}
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
		}
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(ON)")
		// A large page cache per connection, so that hot pages are read
		// once. No memory map: the file grows with every checkpoint, and
		// SQLite remaps it at the next read transaction, a system call each.
		q.Add("_pragma", "cache_size(-65536)")
		// Connections other than the group-commit writer checkpoint once
		// the log passes 64 MiB; the writer leaves it to its checkpointer
		// (batch.go), and CheckpointWAL bounds the log whatever happens.
		q.Add("_pragma", "wal_autocheckpoint(16384)")
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		d.db, err = sql.Open("sqlite", "file:"+dsn+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is what SQLite allows; a small pool lets
		// readers run beside it in WAL mode.
		d.db.SetMaxOpenConns(16)
		d.db.SetMaxIdleConns(16)
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("connect %s: %w", d.dialect, err)
	}
	return d, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Close commits the writes still queued for group commit and closes the
// connection pool.
func (db *DB) Close() error {
	db.batchOnce.Do(func() {}) // no writer may start after this
	if db.batch != nil {
		db.batch.close()
	}
	db.prepMu.Lock()
	db.closing = true
	db.prepMu.Unlock()
	db.prepWG.Wait()
	db.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return db.db.Close()
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

func (db *DB) now() time.Time {
	t := time.Now()
	if db.Now != nil {
		t = db.Now()
	}
	// PostgreSQL keeps microseconds; both engines must hold the same value.
	return t.UTC().Truncate(time.Microsecond)
}

func (db *DB) logger() *slog.Logger {
	if db.Logger != nil {
		return db.Logger
	}
	return slog.Default()
}

// Tx is a transaction with one clock reading for everything it writes.
type Tx struct {
	*sql.Tx
	db *DB
	// conn, while Tx is nil, is the connection on which the transaction
	// begins at its first statement: PostgreSQL's group-commit writer,
	// whose batch of check-ins alone is then one statement and one round
	// trip (Commit). beginErr is why it could not begin.
	conn     *sql.Conn
	beginErr error
	now      time.Time
	pending  map[string]*recentVisit // visits written, for db.recent after commit

	peopleChanged bool                 // people may have changed: forget all visitor cards at commit
	changedPeople []string             // people changed: forget their visitor cards at commit
	pgVisits      []pgVisit            // PostgreSQL: visits to write at commit
	pgChallenges  []*pgChallenge       // PostgreSQL: sign-in codes to check and write at commit
	stmts         map[string]*sql.Stmt // prepared statements bound to this transaction
}

// begin starts tx's transaction on conn unless it has begun.
func (tx *Tx) begin(ctx context.Context) error {
	switch {
	case tx.Tx != nil:
		return nil
	case tx.beginErr != nil:
		return tx.beginErr
	case tx.conn == nil:
		tx.beginErr = errors.New("begin: no connection")
		return tx.beginErr
	}
	stx, err := tx.conn.BeginTx(ctx, nil)
	if err != nil {
		tx.beginErr = fmt.Errorf("begin: %w", err)
		return tx.beginErr
	}
	tx.Tx = stx
	return nil
}

// BeginTx starts a transaction. On SQLite it takes the write lock at once,
// so writers queue instead of failing on upgrade.
func (db *DB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	tx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, now: db.now()}, nil
}

// forUpdate returns the row-lock clause where the engine has one. SQLite's
// immediate transactions already hold the database's write lock.
func (tx *Tx) forUpdate() string {
	if tx.db.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Migrations returns the numbered migrations of the dialect in order.
func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + db.dialect
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// LatestVersion is the schema version this program expects.
func (db *DB) LatestVersion() int {
	ms, err := db.migrations()
	if err != nil {
		panic(err) // the embedded files are part of the binary; tests cover them
	}
	return len(ms)
}

// SchemaVersion returns the version of the database's schema, 0 when empty.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if err != nil {
		// No table yet: an empty database.
		var n int
		if cerr := db.db.QueryRowContext(ctx, db.tableExistsQuery(), "schema_version").Scan(&n); cerr == nil && n == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

func (db *DB) tableExistsQuery() string {
	if db.dialect == Postgres {
		return `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	return `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
}

// ErrStaleSchema is returned by CheckSchema when the database's schema is not
// the one this program expects.
var ErrStaleSchema = errors.New("stale schema")

// CheckSchema returns an error wrapping ErrStaleSchema unless the schema is
// at LatestVersion. The message names both versions.
func (db *DB) CheckSchema(ctx context.Context) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if want := db.LatestVersion(); v != want {
		hint := "run 'jaga migrate'"
		if v > want {
			hint = "this program is older than the database; upgrade jaga"
		}
		return fmt.Errorf("%w: current=v%d expected=v%d: %s", ErrStaleSchema, v, want, hint)
	}
	return nil
}

// Migrate brings the schema to LatestVersion, one transaction per
// migration, and returns the versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_version: %w", err)
	}
	var applied []int
	for _, m := range ms {
		ok, err := db.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if ok {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func (db *DB) applyMigration(ctx context.Context, m migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if db.dialect == Postgres {
		// Serialize concurrent migrators.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE schema_version IN EXCLUSIVE MODE`); err != nil {
			return false, err
		}
	}
	var current int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	}
	if current >= m.version {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = $1`, m.version); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// newID returns a random identifier of 16 bytes in hex.
func newID() string {
	return randomHex(16)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func joinList(l []string) string { return strings.Join(l, ",") }

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// nullString returns nil for "", so that UNIQUE columns allow many blanks.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

// Retention of short-lived rows.
const (
	challengeRetention = 24 * time.Hour // kept a day for the send limits and for review
	outboxRetention    = 7 * 24 * time.Hour
)

// PurgeExpired deletes old one-time-code challenges, ended sessions and
// outbox messages older than a week (sent or not: a code in an undelivered
// message expired long ago), and returns how many rows it removed.
func (db *DB) PurgeExpired(ctx context.Context) (int64, error) {
	now := db.now()
	var total int64
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM challenges WHERE created_at < $1`, now.Add(-challengeRetention)},
		{`DELETE FROM sessions WHERE expires_at < $1`, now},
		{`DELETE FROM outbox WHERE created_at < $1`, now.Add(-outboxRetention)},
		{`DELETE FROM ticket_attachments WHERE expires_at < $1`, now},
		{`DELETE FROM boarding_consents WHERE expires_at < $1`, now.Add(-24 * time.Hour)},
		{`DELETE FROM desk_fix_attempts WHERE ticket_id IS NULL AND created_at < $1`, now.Add(-jaga.FixAttemptWindow)},
	} {
		res, err := db.db.ExecContext(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("purge: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// walRestartSize is the size of SQLite's write-ahead log past which
// CheckpointWAL restarts it. At 9,000 check-ins a second the log takes
// about 80 MB a second, and the checkpointer starts it again about every
// second; a reader can make one round miss that, rarely several.
const walRestartSize = 1 << 30

// CheckpointWAL bounds SQLite's write-ahead log; serve runs it every
// second. The group-commit writer's checkpointer keeps the log short (see
// batcher.checkpointer); a checkpoint from here at other times would only
// get in its way (SQLite starts the log again only if no checkpoint is
// copying). Should the log pass walRestartSize all the same (a long read
// can keep the log from starting again), the checkpoint waits for the
// writer's current transaction, completes, and truncates the log. It does
// nothing on PostgreSQL.
func (db *DB) CheckpointWAL(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	if st, err := os.Stat(db.path + "-wal"); err != nil || st.Size() <= walRestartSize {
		return nil
	}
	if _, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("wal checkpoint: %w", err)
	}
	return nil
}
