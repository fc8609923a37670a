package sqlstore_test

// The conformance suite of the store. Every test runs on SQLite, and on
// PostgreSQL when JAGA_TEST_POSTGRES holds a DSN, each on a freshly migrated
// database of its own (a temporary file, or a schema of its own) with a clock
// the test controls.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/argon2id"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// postgresEnv names the environment variable that holds the DSN of a
// PostgreSQL database for the PostgreSQL half of the suite.
const postgresEnv = "JAGA_TEST_POSTGRES"

// start is where every test's clock begins: whole seconds, so that both
// engines store exactly the same instants.
var start = time.Date(2026, time.March, 2, 8, 0, 0, 0, time.UTC)

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// engine opens a new, empty, unmigrated database of one dialect.
type engine struct {
	name string
	// open returns the store, configured but not migrated, and a second,
	// raw connection to the same database for assertions on the tables.
	// Both are closed, and the database removed, when the test ends.
	open func(t *testing.T) (*sqlstore.DB, *sql.DB)
}

// engines lists SQLite and PostgreSQL. PostgreSQL's open skips the test
// unless JAGA_TEST_POSTGRES is set.
func engines(t *testing.T) []engine {
	t.Helper()
	return []engine{
		{name: "sqlite", open: openSQLite},
		{name: "postgres", open: openPostgres},
	}
}

func openSQLite(t *testing.T) (*sqlstore.DB, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jaga.db")
	db, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("open raw sqlite: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	if db.Dialect() != sqlstore.SQLite {
		t.Fatalf("Dialect() = %q, want %q", db.Dialect(), sqlstore.SQLite)
	}
	return db, raw
}

func openPostgres(t *testing.T) (*sqlstore.DB, *sql.DB) {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL half skipped: set %s to a PostgreSQL DSN, e.g. %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'",
			postgresEnv, postgresEnv)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres (%s): %v", postgresEnv, err)
	}
	schema := "jaga_test_" + randomHex(t, 8)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema in the database of %s: %v", postgresEnv, err)
	}
	// Registered first, so it runs last: after the store and the raw
	// connection are closed.
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx passes unknown parameters as runtime parameters
	u.RawQuery = q.Encode()
	scoped := u.String()

	db, err := sqlstore.Open(ctx, scoped)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("pgx", scoped)
	if err != nil {
		t.Fatalf("open raw postgres: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	if db.Dialect() != sqlstore.Postgres {
		t.Fatalf("Dialect() = %q, want %q", db.Dialect(), sqlstore.Postgres)
	}
	return db, raw
}

// env is one test's migrated database and its services.
type env struct {
	DB        *sqlstore.DB
	Raw       *sql.DB // a second connection, for assertions on the tables
	Clock     *clock
	Accounts  *sqlstore.AccountService
	People    *sqlstore.PersonService
	Orgs      *sqlstore.OrganisationService
	Contracts *sqlstore.ContractService
	Log       *sqlstore.AccessLog

	seq int // numbers the unique names and contacts of the test
}

// forEachEngine runs f as the subtests "sqlite" and "postgres", each on a
// freshly migrated database with the real gate, fast Argon2id parameters,
// TOTP and a clock set to start.
func forEachEngine(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range engines(t) {
		t.Run(eng.name, func(t *testing.T) {
			db, raw := eng.open(t)
			f(t, newEnv(t, db, raw))
		})
	}
}

func newEnv(t *testing.T, db *sqlstore.DB, raw *sql.DB) *env {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatalf("check schema: %v", err)
	}
	g, err := gate.New()
	if err != nil {
		t.Fatalf("gate: %v", err)
	}
	c := &clock{now: start}
	db.Now = c.Now
	db.Gate = g
	db.Passwords = argon2id.Hasher{MemoryKiB: 1024, Time: 1}
	db.TOTP = totp.Authenticator{}
	db.TokenKey = []byte("a test key for premises tokens, 32+ bytes")
	return &env{
		DB:        db,
		Raw:       raw,
		Clock:     c,
		Accounts:  sqlstore.NewAccountService(db),
		People:    sqlstore.NewPersonService(db),
		Orgs:      sqlstore.NewOrganisationService(db),
		Contracts: sqlstore.NewContractService(db),
		Log:       sqlstore.NewAccessLog(db),
	}
}

// ---------------------------------------------------------------- contexts

func as(a *jaga.Actor) context.Context {
	return jaga.NewContextWithActor(context.Background(), a)
}

func system() context.Context { return jaga.SystemContext(context.Background()) }

func anonymous() context.Context { return context.Background() }

// ---------------------------------------------------------------- assertions

// wantCode fails the test unless err has the code; "" means no error.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := jaga.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err: %v), want %q", got, err, code)
	}
}

// wantField fails the test unless err is EINVALID naming the field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, jaga.EINVALID)
	if _, ok := jaga.ErrorFields(err)[field]; !ok {
		t.Fatalf("fields = %v, want a problem with %q", jaga.ErrorFields(err), field)
	}
}

// wantNotLeaked fails the test if any text of err holds secret.
func wantNotLeaked(t *testing.T, err error, secret string) {
	t.Helper()
	texts := []string{err.Error(), jaga.ErrorMessage(err)}
	for k, v := range jaga.ErrorFields(err) {
		texts = append(texts, k, v)
	}
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Fatalf("error text %q holds the input %q", s, secret)
		}
	}
}

// ---------------------------------------------------------------- fixtures

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// next returns a number unique within the test.
func (e *env) next() int {
	e.seq++
	return e.seq
}

// phone returns a new Malaysian mobile number in E.164 form.
func (e *env) phone() string { return fmt.Sprintf("+60129%06d", e.next()) }

// email returns a new email address.
func (e *env) email(who string) string { return fmt.Sprintf("%s%d@example.com", who, e.next()) }

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

// code returns the code of the newest message to destination in the outbox.
func (e *env) code(t *testing.T, destination string) string {
	t.Helper()
	msgs, err := e.Accounts.RecentMessages(context.Background(), 200)
	if err != nil {
		t.Fatalf("recent messages: %v", err)
	}
	for _, m := range msgs { // newest first
		if m.Destination == destination {
			match := codePattern.FindStringSubmatch(m.Body)
			if match == nil {
				t.Fatalf("message to %s has no 6-digit code: %q", destination, m.Body)
			}
			return match[1]
		}
	}
	t.Fatalf("no message to %s in the outbox", destination)
	return ""
}

// wrongCode returns a well-formed code other than code.
func wrongCode(code string) string {
	b := []byte(code)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

// signIn signs a citizen in with a contact, as they would, and returns them.
func (e *env) signIn(t *testing.T, contact string) *jaga.Actor {
	t.Helper()
	ch, err := e.Accounts.StartSignIn(anonymous(), contact)
	if err != nil {
		t.Fatalf("start sign-in: %v", err)
	}
	a, err := e.Accounts.VerifySignIn(anonymous(), ch.ID, e.code(t, ch.Contact.Value))
	if err != nil {
		t.Fatalf("verify sign-in: %v", err)
	}
	if a.Kind != jaga.ActorCitizen || a.ID == "" {
		t.Fatalf("signed-in actor = %+v, want a citizen", a)
	}
	return a
}

// profile returns a valid profile; n makes its name and number unique.
func profile(n int) jaga.Profile {
	return jaga.Profile{
		FullName:    fmt.Sprintf("Nurul Aisyah binti Ahmad %d", n),
		IDType:      jaga.IDTypeNRIC,
		IDNumber:    fmt.Sprintf("900101-14-%04d", 5000+n),
		DateOfBirth: "1990-01-01",
		Nationality: "MY",
		Address:     fmt.Sprintf("%d Jalan Ampang, 50450 Kuala Lumpur", n),
		Language:    "en",
	}
}

// citizen signs a new citizen in by phone and fills in their profile.
func (e *env) citizen(t *testing.T) (*jaga.Actor, *jaga.Person) {
	t.Helper()
	a := e.signIn(t, e.phone())
	p, err := e.People.UpdateProfile(as(a), a.ID, profile(e.next()))
	if err != nil {
		t.Fatalf("update profile: %v", err)
	}
	return a, p
}

// org creates an organisation as the system.
func (e *env) org(t *testing.T, kind string) *jaga.Organisation {
	t.Helper()
	o := &jaga.Organisation{Name: fmt.Sprintf("%s organisation %d", kind, e.next()), Kind: kind}
	if err := e.Orgs.CreateOrganisation(system(), o); err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	return o
}

const staffPassword = "correct horse battery staple"

// staff creates a staff member as the system, signs them in with password
// and TOTP code, and returns the actor and the enrolment.
func (e *env) staff(t *testing.T, org *jaga.Organisation, role string) (*jaga.Actor, *jaga.StaffEnrolment) {
	t.Helper()
	n := e.next()
	enr, err := e.Orgs.CreateStaff(system(), jaga.NewStaff{
		OrgID:       org.ID,
		Email:       fmt.Sprintf("%s%d@staff.example.org", strings.ReplaceAll(role, "_", "."), n),
		DisplayName: fmt.Sprintf("Staff %s %d", role, n),
		Role:        role,
		Password:    staffPassword,
	})
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	a, err := e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, staffPassword, e.totp(t, enr.TOTPSecret))
	if err != nil {
		t.Fatalf("staff sign-in: %v", err)
	}
	return a, enr
}

// totp returns the current TOTP code of a secret by the test clock.
func (e *env) totp(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.Code(secret, e.Clock.Now())
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return code
}

// wrongTOTP returns a code that is valid for none of the periods the
// authenticator accepts now.
func (e *env) wrongTOTP(t *testing.T, secret string) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.Code(secret, e.Clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		valid[c] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", i)
		if !valid[c] {
			return c
		}
	}
}

// contract registers a contract as dpo and, when approver is not nil,
// approves it as approver.
func (e *env) contract(t *testing.T, dpo, approver *jaga.Actor, c *jaga.Contract) *jaga.Contract {
	t.Helper()
	if c.Reference == "" {
		c.Reference = fmt.Sprintf("KKM/DPA/2026/%03d", e.next())
	}
	if err := e.Contracts.RegisterContract(as(dpo), c); err != nil {
		t.Fatalf("register contract: %v", err)
	}
	if approver == nil {
		return c
	}
	approved, err := e.Contracts.ApproveContract(as(approver), c.ID)
	if err != nil {
		t.Fatalf("approve contract: %v", err)
	}
	return approved
}

// tableText returns every row of a table as text, one line a row, read
// through the raw connection.
func (e *env) tableText(t *testing.T, table string) string {
	t.Helper()
	rows, err := e.Raw.QueryContext(context.Background(), `SELECT * FROM `+table)
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// ---------------------------------------------------------------- migrations

func TestMigrations(t *testing.T) {
	for _, eng := range engines(t) {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, raw := eng.open(t)
			latest := db.LatestVersion()
			if latest < 1 {
				t.Fatalf("LatestVersion() = %d, want at least 1", latest)
			}

			v, err := db.SchemaVersion(ctx)
			if err != nil || v != 0 {
				t.Fatalf("fresh SchemaVersion() = %d, %v; want 0, nil", v, err)
			}
			err = db.CheckSchema(ctx)
			if !errors.Is(err, sqlstore.ErrStaleSchema) {
				t.Fatalf("fresh CheckSchema() = %v, want ErrStaleSchema", err)
			}

			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if len(applied) != latest {
				t.Fatalf("first Migrate applied %v, want versions 1..%d", applied, latest)
			}
			for i, v := range applied {
				if v != i+1 {
					t.Fatalf("first Migrate applied %v, want versions 1..%d in order", applied, latest)
				}
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate: %v", err)
			}
			applied, err = db.Migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
			}
			if v, err := db.SchemaVersion(ctx); err != nil || v != latest {
				t.Fatalf("SchemaVersion() = %d, %v; want %d", v, err, latest)
			}

			for _, tc := range []struct {
				name    string
				version int
			}{
				{"fresh", 0},
				{"lower", latest - 1},
				{"higher", latest + 1},
				{"much higher", latest + 40},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if _, err := raw.ExecContext(ctx, `UPDATE schema_version SET version = $1`, tc.version); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() {
						if _, err := raw.ExecContext(ctx, `UPDATE schema_version SET version = $1`, latest); err != nil {
							t.Fatal(err)
						}
					})
					err := db.CheckSchema(ctx)
					if !errors.Is(err, sqlstore.ErrStaleSchema) {
						t.Fatalf("CheckSchema() = %v, want an error wrapping ErrStaleSchema", err)
					}
					for _, want := range []string{fmt.Sprintf("current=v%d", tc.version), fmt.Sprintf("expected=v%d", latest)} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("CheckSchema() = %q, want it to contain %q", err, want)
						}
					}
				})
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after restoring the version: %v", err)
			}
		})
	}
}
