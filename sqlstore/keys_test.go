package sqlstore_test

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
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jaga-health/jaga/sqlstore"
)

// serverKeyDSNs returns a new SQLite path and, when JAGA_TEST_POSTGRES
// holds a DSN, a PostgreSQL DSN whose search_path is a new schema.
func serverKeyDSNs(t *testing.T) map[string]func(t *testing.T) string {
	dsns := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "jaga.db") },
	}
	pg := os.Getenv("JAGA_TEST_POSTGRES")
	if pg == "" {
		return dsns
	}
	dsns["postgres"] = func(t *testing.T) string {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "server_key_test_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			admin.Close()
		})
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(pg)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsns
}

func openServerKeyDB(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestServerKey(t *testing.T) {
	ctx := context.Background()
	fixed := func(v string, calls *atomic.Int32) func() (string, error) {
		return func() (string, error) {
			calls.Add(1)
			return v, nil
		}
	}

	tests := []struct {
		name string
		run  func(t *testing.T, db *sqlstore.DB)
	}{
		{name: "lost race re-reads", run: func(t *testing.T, db *sqlstore.DB) {
			if db.Dialect() == sqlstore.SQLite {
				t.Skip("SQLite's immediate transactions serialize creators: there is no race to lose")
			}
			// While this caller generates, another creates the key first.
			v, err := db.ServerKey(ctx, "k", func() (string, error) {
				var calls atomic.Int32
				if w, err := db.ServerKey(ctx, "k", fixed("winner", &calls)); err != nil || w != "winner" {
					t.Errorf("inner ServerKey = %q, %v", w, err)
				}
				return "loser", nil
			})
			if err != nil || v != "winner" {
				t.Fatalf("ServerKey = %q, %v; want winner", v, err)
			}
		}},
		{name: "generates once", run: func(t *testing.T, db *sqlstore.DB) {
			var calls atomic.Int32
			for i := range 3 {
				v, err := db.ServerKey(ctx, "k", fixed(fmt.Sprintf("value-%d", i), &calls))
				if err != nil || v != "value-0" {
					t.Fatalf("call %d: ServerKey = %q, %v; want value-0", i, v, err)
				}
			}
			if calls.Load() != 1 {
				t.Fatalf("generate called %d times, want 1", calls.Load())
			}
		}},
		{name: "names are separate", run: func(t *testing.T, db *sqlstore.DB) {
			var calls atomic.Int32
			a, err1 := db.ServerKey(ctx, "a", fixed("A", &calls))
			b, err2 := db.ServerKey(ctx, "b", fixed("B", &calls))
			if err1 != nil || err2 != nil || a != "A" || b != "B" {
				t.Fatalf("ServerKey = %q, %q, %v, %v", a, b, err1, err2)
			}
		}},
		{name: "generate error stores nothing", run: func(t *testing.T, db *sqlstore.DB) {
			boom := errors.New("boom")
			if _, err := db.ServerKey(ctx, "k", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
				t.Fatalf("ServerKey err = %v, want boom", err)
			}
			var calls atomic.Int32
			if v, err := db.ServerKey(ctx, "k", fixed("later", &calls)); err != nil || v != "later" {
				t.Fatalf("ServerKey = %q, %v; want later", v, err)
			}
		}},
		{name: "empty value refused", run: func(t *testing.T, db *sqlstore.DB) {
			var calls atomic.Int32
			if _, err := db.ServerKey(ctx, "k", fixed("", &calls)); err == nil {
				t.Fatal("ServerKey stored an empty value")
			}
		}},
		{name: "empty name refused", run: func(t *testing.T, db *sqlstore.DB) {
			var calls atomic.Int32
			if _, err := db.ServerKey(ctx, "", fixed("v", &calls)); err == nil || calls.Load() != 0 {
				t.Fatalf("ServerKey with empty name: %v, %d calls", err, calls.Load())
			}
		}},
		{name: "concurrent callers agree", run: func(t *testing.T, db *sqlstore.DB) {
			const n = 16
			got := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					got[i], errs[i] = db.ServerKey(ctx, "race", func() (string, error) {
						return fmt.Sprintf("value-%d", i), nil
					})
				})
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil || got[i] != got[0] {
					t.Fatalf("caller %d: %q, %v; caller 0: %q", i, got[i], errs[i], got[0])
				}
			}
		}},
	}
	for engine, dsn := range serverKeyDSNs(t) {
		t.Run(engine, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.run(t, openServerKeyDB(t, dsn(t)))
				})
			}
		})
	}
}
