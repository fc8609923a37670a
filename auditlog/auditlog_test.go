package auditlog_test

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
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/auditlog"
	"github.com/jaga-health/jaga/sqlstore"
)

var (
	_ auditlog.Store    = (*sqlstore.AccessLog)(nil)
	_ auditlog.KeyStore = (*sqlstore.DB)(nil)
)

// allowAll is a gate that allows everything.
type allowAll struct{}

func (allowAll) Decide(ctx context.Context, req jaga.AccessRequest) (jaga.Decision, error) {
	return jaga.Decision{Allow: true, Policy: "test-allow-all", Reason: "test"}, nil
}

// backend is a database engine to run the tests on: SQLite always,
// PostgreSQL when JAGA_TEST_POSTGRES holds a DSN.
type backend struct {
	name string
	open func(t testing.TB) (dsn, rawDriver, rawDSN string)
}

func backends() []backend {
	bs := []backend{{name: "sqlite", open: func(t testing.TB) (string, string, string) {
		path := filepath.Join(t.TempDir(), "jaga.db")
		return path, "sqlite", "file:" + path + "?_pragma=busy_timeout(5000)&_time_format=sqlite"
	}}}
	if pg := os.Getenv("JAGA_TEST_POSTGRES"); pg != "" {
		bs = append(bs, backend{name: "postgres", open: func(t testing.TB) (string, string, string) {
			return postgresSchema(t, pg)
		}})
	}
	return bs
}

// postgresSchema creates a schema of its own for one test and returns a
// DSN whose search_path selects it.
func postgresSchema(t testing.TB, dsn string) (string, string, string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "auditlog_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), "pgx", u.String()
}

// env is a migrated database with people to read.
type env struct {
	db      *sqlstore.DB
	raw     *sql.DB // a second connection, to tamper
	log     *sqlstore.AccessLog
	people  *sqlstore.PersonService
	persons []string
	signer  note.Signer
	verify  note.Verifier
	cp      *auditlog.Checkpointer
}

var staff = &jaga.Actor{Kind: jaga.ActorStaff, ID: "s1", OrgID: "", Role: "health_officer"}

func newEnv(t testing.TB, b backend) *env {
	t.Helper()
	ctx := context.Background()
	dsn, driver, rawDSN := b.open(t)
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.Gate = allowAll{}
	raw, err := sql.Open(driver, rawDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := &env{db: db, raw: raw, log: sqlstore.NewAccessLog(db), people: sqlstore.NewPersonService(db)}
	for i := range 3 {
		id := fmt.Sprintf("person-%d", i)
		if _, err := raw.Exec(`INSERT INTO people (id, pseudonym, created_at, updated_at) VALUES ($1, $2, $3, $4)`,
			id, "pseudo-"+id, now, now); err != nil {
			t.Fatal(err)
		}
		e.persons = append(e.persons, id)
	}
	skey, vkey, err := auditlog.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	if e.signer, err = auditlog.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if e.verify, err = auditlog.NewVerifier(vkey); err != nil {
		t.Fatal(err)
	}
	e.cp = auditlog.NewCheckpointer(e.log, e.signer)
	return e
}

// read makes n accesses, each appending one entry to the access log.
func (e *env) read(t testing.TB, n int) {
	t.Helper()
	ctx := jaga.NewContextWithActor(context.Background(), staff)
	for i := range n {
		why := jaga.AccessReason{Purpose: jaga.PurposeContactTracing, Relationship: jaga.RelationshipCase,
			Reference: fmt.Sprintf("CASE-%d", i)}
		if _, err := e.people.ReadPerson(ctx, e.persons[i%len(e.persons)], why); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) checkpoint(t testing.TB, wantSize int64) *jaga.Checkpoint {
	t.Helper()
	c, err := e.cp.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if c.Size != wantSize {
		t.Fatalf("checkpoint size = %d, want %d", c.Size, wantSize)
	}
	return c
}

func (e *env) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := e.raw.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (e *env) entries(t testing.TB) []*jaga.AccessEntry {
	t.Helper()
	es, err := e.log.AccessEntries(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// storeHashes replaces the stored hashes by those of the entries now in
// the log, as an attacker who rewrites history would.
func (e *env) storeHashes(t testing.TB) {
	t.Helper()
	e.exec(t, `DELETE FROM access_log_hashes`)
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = all[x]
		}
		return out, nil
	})
	for i, en := range e.entries(t) {
		hs, err := tlog.StoredHashes(int64(i), en.Record(), r)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
	}
	for i, h := range all {
		e.exec(t, `INSERT INTO access_log_hashes (idx, hash) VALUES ($1, $2)`, i, h[:])
	}
}

func wantLogError(t *testing.T, err error, seq, size int64, msg string) {
	t.Helper()
	var le *auditlog.LogError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LogError %q", err, msg)
	}
	if le.Seq != seq || le.Size != size || !strings.Contains(le.Error(), msg) {
		t.Fatalf("err = %q (seq %d, size %d), want %q (seq %d, size %d)", le, le.Seq, le.Size, msg, seq, size)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			testVerifyFindsTampering(t, b)
		})
	}
}

func testVerifyFindsTampering(t *testing.T, b backend) {
	// Each case starts with 20 entries, checkpoints at 10 and 20 and three
	// entries past the last checkpoint (23 in all, hashes for 20).
	type tc struct {
		name   string
		tamper func(t *testing.T, e *env)
		seq    int64 // the LogError's, 0 for none
		size   int64
		msg    string // "" for a log that must verify
	}
	tests := []tc{
		{name: "untouched", tamper: func(*testing.T, *env) {}},
		{name: "deleted middle row", seq: 5, msg: "access log entry 5 is missing",
			tamper: func(t *testing.T, e *env) { e.exec(t, `DELETE FROM access_log WHERE seq = 5`) }},
		{name: "deleted first row", seq: 1, msg: "access log entry 1 is missing",
			tamper: func(t *testing.T, e *env) { e.exec(t, `DELETE FROM access_log WHERE seq = 1`) }},
		{name: "deleted checkpointed tail", seq: 18, msg: "access log entry 18 is missing: checkpoint at size 20 covers it",
			tamper: func(t *testing.T, e *env) { e.exec(t, `DELETE FROM access_log WHERE seq >= 18`) }},
		{name: "deleted last checkpointed row", seq: 20, msg: "access log entry 20 is missing",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `DELETE FROM access_log WHERE seq > 20`)
				e.exec(t, `DELETE FROM access_log WHERE seq = 20`)
			}},
		{name: "deleted hashed tail and its checkpoint", seq: 19, msg: "access log entry 19 is missing: the Merkle tree holds its hashes",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `DELETE FROM access_log WHERE seq >= 19`)
				e.exec(t, `DELETE FROM access_checkpoints WHERE size = 20`)
			}},
		{name: "swapped seq", seq: 3, msg: "access log entry 3: previous hash does not link to entry 2",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET seq = -3 WHERE seq = 3`)
				e.exec(t, `UPDATE access_log SET seq = 3 WHERE seq = 5`)
				e.exec(t, `UPDATE access_log SET seq = 5 WHERE seq = -3`)
			}},
		{name: "edited hash", seq: 7, msg: "access log entry 7: hash does not match its contents",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET hash = $1 WHERE seq = 7`, strings.Repeat("ab", 32))
			}},
		{name: "edited prev_hash", seq: 7, msg: "access log entry 7: previous hash does not link to entry 6",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET prev_hash = $1 WHERE seq = 7`, strings.Repeat("ab", 32))
			}},
		{name: "edited first prev_hash", seq: 1, msg: "access log entry 1: previous hash is not the zero hash",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET prev_hash = $1 WHERE seq = 1`, strings.Repeat("ab", 32))
			}},
		{name: "edited time", seq: 9, msg: "access log entry 9: hash does not match its contents",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET at = $1 WHERE seq = 9`, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
			}},
		{name: "edited entry past the last checkpoint", seq: 22, msg: "access log entry 22: hash does not match its contents",
			tamper: func(t *testing.T, e *env) { e.exec(t, `UPDATE access_log SET subject = 'x' WHERE seq = 22`) }},
		{name: "edited and rehashed entry", seq: 7, msg: "access log entry 7: stored Merkle hash",
			tamper: func(t *testing.T, e *env) {
				en := e.entries(t)[6]
				en.Reason = "nothing to see here"
				e.exec(t, `UPDATE access_log SET reason = $1, hash = $2 WHERE seq = 7`, en.Reason, en.ChainHash(en.PrevHash))
			}},
		{name: "rewritten history", seq: 0, size: 10, msg: "checkpoint at size 10: root hash differs",
			tamper: func(t *testing.T, e *env) {
				// Edit entry 7, relink every later entry, recompute the tree.
				es := e.entries(t)
				es[6].Decision = jaga.DecisionDeny
				prev := es[5].Hash
				for _, en := range es[6:] {
					en.PrevHash, en.Hash = prev, en.ChainHash(prev)
					e.exec(t, `UPDATE access_log SET decision = $1, prev_hash = $2, hash = $3 WHERE seq = $4`,
						en.Decision, en.PrevHash, en.Hash, en.Seq)
					prev = en.Hash
				}
				e.storeHashes(t)
			}},
		{name: "edited stored hash", seq: 7, msg: "access log entry 7: stored Merkle hash",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log_hashes SET hash = $1 WHERE idx = $2`, make([]byte, 32), tlog.StoredHashIndex(0, 6))
			}},
		{name: "deleted stored hashes", seq: 15, msg: "access log entry 15: its stored Merkle hashes are missing",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `DELETE FROM access_log_hashes WHERE idx >= $1`, tlog.StoredHashIndex(0, 14))
			}},
		{name: "edited checkpoint note", size: 10, msg: "checkpoint at size 10: signature not valid",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_checkpoints SET note = replace(note, $1, $2) WHERE size = 10`, "\n10\n", "\n9\n")
			}},
		{name: "edited checkpoint root", size: 20, msg: "checkpoint at size 20: signature not valid",
			tamper: func(t *testing.T, e *env) {
				var root string
				if err := e.raw.QueryRow(`SELECT root_hash FROM access_checkpoints WHERE size = 20`).Scan(&root); err != nil {
					t.Fatal(err)
				}
				other := tlog.RecordHash([]byte("other")).String()
				e.exec(t, `UPDATE access_checkpoints SET note = replace(note, $1, $2), root_hash = $2 WHERE size = 20`, root, other)
			}},
		{name: "edited checkpoint root_hash column", size: 20, msg: "checkpoint at size 20: the stored root hash is not the signed one",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_checkpoints SET root_hash = $1 WHERE size = 20`, tlog.RecordHash(nil).String())
			}},
		{name: "checkpoint signed by another key", size: 20, msg: "checkpoint at size 20: signature not valid",
			tamper: func(t *testing.T, e *env) {
				// Replace the checkpoint by one of the same tree, signed
				// with another key of the same name.
				var root string
				if err := e.raw.QueryRow(`SELECT root_hash FROM access_checkpoints WHERE size = 20`).Scan(&root); err != nil {
					t.Fatal(err)
				}
				h, err := tlog.ParseHash(root)
				if err != nil {
					t.Fatal(err)
				}
				skey, _, err := auditlog.NewKeys()
				if err != nil {
					t.Fatal(err)
				}
				other, err := auditlog.NewSigner(skey)
				if err != nil {
					t.Fatal(err)
				}
				signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: 20, Hash: h}))}, other)
				if err != nil {
					t.Fatal(err)
				}
				e.exec(t, `UPDATE access_checkpoints SET note = $1 WHERE size = 20`, string(signed))
			}},
	}
	// An edit to any one field of the record.
	for _, col := range []string{"actor_kind", "actor_id", "actor_role", "org_id", "contract_id", "purpose",
		"relationship", "reference", "reason", "subject", "action", "categories", "fields", "decision", "policy"} {
		tests = append(tests, tc{name: "edited " + col, seq: 13, msg: "access log entry 13: hash does not match its contents",
			tamper: func(t *testing.T, e *env) {
				e.exec(t, `UPDATE access_log SET `+col+` = `+col+` || 'x' WHERE seq = 13`)
			}})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, b)
			e.read(t, 10)
			e.checkpoint(t, 10)
			e.read(t, 10)
			e.checkpoint(t, 20)
			e.read(t, 3)

			tt.tamper(t, e)
			rep, err := auditlog.Verify(ctx, e.log, e.verify)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if rep.Entries != 23 || rep.HashedEntries != 20 || rep.Checkpoints != 2 || rep.LastCheckpoint.Size != 20 {
					t.Fatalf("report = %+v", rep)
				}
				return
			}
			wantLogError(t, err, tt.seq, tt.size, tt.msg)
		})
	}
}

func TestCheckpoint(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, b)

			t.Run("empty log", func(t *testing.T) {
				if c, err := e.cp.Checkpoint(ctx); !errors.Is(err, auditlog.ErrEmptyLog) {
					t.Fatalf("Checkpoint = %v, %v; want ErrEmptyLog", c, err)
				}
				rep, err := auditlog.Verify(ctx, e.log, e.verify)
				if err != nil || rep.Entries != 0 || rep.Checkpoints != 0 || rep.LastCheckpoint != nil {
					t.Fatalf("Verify = %+v, %v", rep, err)
				}
			})

			var first *jaga.Checkpoint
			t.Run("first", func(t *testing.T) {
				e.read(t, 5)
				first = e.checkpoint(t, 5)
				tree, err := auditlog.OpenCheckpoint(first.Note, e.verify)
				if err != nil {
					t.Fatal(err)
				}
				if tree.N != 5 || tree.Hash.String() != first.RootHash || first.CreatedAt.IsZero() {
					t.Fatalf("tree %+v, checkpoint %+v", tree, first)
				}
				if !strings.Contains(first.Note, "\n— "+auditlog.SignerName+" ") {
					t.Fatalf("note not signed by %s:\n%s", auditlog.SignerName, first.Note)
				}
				// The root over the stored hashes is the root of the records.
				var recs [][]byte
				for _, en := range e.entries(t) {
					recs = append(recs, en.Record())
				}
				if want := treeOf(t, recs); want != tree.Hash {
					t.Fatalf("root %s, want %s", tree.Hash, want)
				}
			})

			t.Run("no new entries", func(t *testing.T) {
				if first == nil {
					t.Skip("no first checkpoint")
				}
				c, err := e.cp.Checkpoint(ctx)
				if err != nil || c.Size != 5 || c.Note != first.Note {
					t.Fatalf("Checkpoint = %+v, %v; want the last", c, err)
				}
				cps, err := e.log.Checkpoints(ctx)
				if err != nil || len(cps) != 1 {
					t.Fatalf("Checkpoints = %d, %v", len(cps), err)
				}
			})

			t.Run("after more appends", func(t *testing.T) {
				for _, n := range []int{1, 1, 2, 7, 1000, 33} {
					e.read(t, n)
				}
				e.checkpoint(t, 5+1+1+2+7+1000+33)
				e.read(t, 1)
				e.checkpoint(t, 1050)
				rep, err := auditlog.Verify(ctx, e.log, e.verify)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if rep.Entries != 1050 || rep.HashedEntries != 1050 || rep.Checkpoints != 3 ||
					rep.RootHash.String() != rep.LastCheckpoint.RootHash {
					t.Fatalf("report = %+v", rep)
				}
			})
		})
	}
}

// treeOf returns the Merkle root of records, computed from scratch.
func treeOf(t *testing.T, recs [][]byte) tlog.Hash {
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = all[x]
		}
		return out, nil
	})
	for i, rec := range recs {
		hs, err := tlog.StoredHashes(int64(i), rec, r)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
	}
	h, err := tlog.TreeHash(int64(len(recs)), r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// crashingStore fails AddCheckpoint, as if the process died after storing
// the hashes and before storing the checkpoint.
type crashingStore struct{ auditlog.Store }

func (crashingStore) AddCheckpoint(context.Context, *jaga.Checkpoint) error {
	return errors.New("crash")
}

func TestCheckpointAfterCrash(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			tests := []struct {
				name       string
				before     int // entries checkpointed before the crash; 0 for none
				crashed    int // entries hashed by the run that crashed
				after      int // entries appended after the crash
				checkpoint int64
			}{
				{name: "first run crashed", crashed: 4, checkpoint: 4},
				{name: "crashed, nothing new", before: 3, crashed: 5, checkpoint: 8},
				{name: "crashed, then more entries", before: 3, crashed: 1500, after: 7, checkpoint: 1510},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					e := newEnv(t, b)
					if tt.before > 0 {
						e.read(t, tt.before)
						e.checkpoint(t, int64(tt.before))
					}
					e.read(t, tt.crashed)
					if _, err := auditlog.NewCheckpointer(crashingStore{e.log}, e.signer).Checkpoint(ctx); err == nil {
						t.Fatal("Checkpoint did not fail")
					}
					e.read(t, tt.after)
					e.checkpoint(t, tt.checkpoint)
					rep, err := auditlog.Verify(ctx, e.log, e.verify)
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if rep.Entries != tt.checkpoint || rep.LastCheckpoint.Size != tt.checkpoint {
						t.Fatalf("report = %+v", rep)
					}
				})
			}
		})
	}
}

func TestCheckpointRefusesBrokenChain(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			tests := []struct {
				name   string
				tamper string
				seq    int64
				msg    string
			}{
				{name: "edited new entry", tamper: `UPDATE access_log SET reason = 'x' WHERE seq = 9`,
					seq: 9, msg: "access log entry 9: hash does not match its contents"},
				{name: "deleted new entry", tamper: `DELETE FROM access_log WHERE seq = 7`,
					seq: 7, msg: "access log entry 7 is missing"},
				{name: "edited last hashed entry", tamper: `UPDATE access_log SET reason = 'x' WHERE seq = 5`,
					seq: 5, msg: "access log entry 5: hash does not match its contents"},
				{name: "deleted last hashed entry", tamper: `DELETE FROM access_log WHERE seq = 5`,
					seq: 5, msg: "access log entry 5 is missing"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e := newEnv(t, b)
					e.read(t, 5)
					e.checkpoint(t, 5)
					e.read(t, 5)
					e.exec(t, tt.tamper)
					_, err := e.cp.Checkpoint(context.Background())
					wantLogError(t, err, tt.seq, 0, tt.msg)
				})
			}
		})
	}
}

func TestProof(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, b)
			e.read(t, 13)
			old := e.checkpoint(t, 13)
			e.read(t, 24)
			cur := e.checkpoint(t, 37)
			es := e.entries(t)

			tests := []struct {
				name    string
				cp      *jaga.Checkpoint
				seq     int64
				alter   func(en *jaga.AccessEntry)
				wantErr bool
			}{
				{name: "first entry", cp: cur, seq: 1},
				{name: "middle entry", cp: cur, seq: 16},
				{name: "last entry", cp: cur, seq: 37},
				{name: "entry in an older checkpoint", cp: old, seq: 13},
				{name: "altered reason", cp: cur, seq: 16, alter: func(en *jaga.AccessEntry) { en.Reason = "x" }, wantErr: true},
				{name: "altered time", cp: cur, seq: 16, alter: func(en *jaga.AccessEntry) { en.At = en.At.Add(time.Nanosecond) }, wantErr: true},
				{name: "another entry's proof", cp: cur, seq: 16, alter: func(en *jaga.AccessEntry) { *en = *es[16] }, wantErr: true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// The citizen holds the signed note and the verifier key.
					tree, err := auditlog.OpenCheckpoint(tt.cp.Note, e.verify)
					if err != nil {
						t.Fatal(err)
					}
					proof, err := auditlog.ProveEntry(ctx, e.log, tt.seq, tree.N)
					if err != nil {
						t.Fatal(err)
					}
					en := *es[tt.seq-1]
					if tt.alter != nil {
						tt.alter(&en)
					}
					err = auditlog.VerifyEntryProof(proof, tree.N, tree.Hash, &en)
					if tt.wantErr != (err != nil) {
						t.Fatalf("VerifyEntryProof = %v, want error %v", err, tt.wantErr)
					}
				})
			}

			t.Run("entry past the tree", func(t *testing.T) {
				if _, err := auditlog.ProveEntry(ctx, e.log, 14, 13); err == nil {
					t.Fatal("ProveEntry past the tree did not fail")
				}
			})
			t.Run("note signed by another key", func(t *testing.T) {
				_, vkey, err := auditlog.NewKeys()
				if err != nil {
					t.Fatal(err)
				}
				v, err := auditlog.NewVerifier(vkey)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := auditlog.OpenCheckpoint(cur.Note, v); err == nil {
					t.Fatal("OpenCheckpoint with another key did not fail")
				}
			})
		})
	}
}

func TestKeys(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()

			t.Run("generated pair", func(t *testing.T) {
				skey, vkey, err := auditlog.NewKeys()
				if err != nil {
					t.Fatal(err)
				}
				if got, err := auditlog.VerifierKey(skey); err != nil || got != vkey {
					t.Fatalf("VerifierKey = %q, %v; want %q", got, err, vkey)
				}
				s, err := auditlog.NewSigner(skey)
				if err != nil {
					t.Fatal(err)
				}
				if s.Name() != auditlog.SignerName {
					t.Fatalf("signer name %q", s.Name())
				}
				if _, err := auditlog.NewSigner(vkey); err == nil {
					t.Fatal("NewSigner accepted a verifier key")
				}
				if _, err := auditlog.NewVerifier(skey); err == nil {
					t.Fatal("NewVerifier accepted a signer key")
				}
			})

			t.Run("stored once", func(t *testing.T) {
				e := newEnv(t, b)
				k1, err := auditlog.LoadKeys(ctx, e.db)
				if err != nil {
					t.Fatal(err)
				}
				k2, err := auditlog.LoadKeys(ctx, e.db)
				if err != nil {
					t.Fatal(err)
				}
				if k1.VerifierKey != k2.VerifierKey {
					t.Fatal("LoadKeys made a second key")
				}
				var stored string
				if err := e.raw.QueryRow(`SELECT value FROM server_keys WHERE name = $1`, auditlog.VerifierKeyName).Scan(&stored); err != nil || stored != k1.VerifierKey {
					t.Fatalf("stored verifier key %q, %v", stored, err)
				}
				// The loaded keys sign checkpoints that verify.
				e.read(t, 3)
				if _, err := auditlog.NewCheckpointer(e.log, k1.Signer).Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := auditlog.Verify(ctx, e.log, k2.Verifier); err != nil {
					t.Fatal(err)
				}
			})

			t.Run("mismatched verifier key", func(t *testing.T) {
				e := newEnv(t, b)
				_, vkey, err := auditlog.NewKeys()
				if err != nil {
					t.Fatal(err)
				}
				e.exec(t, `INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3)`,
					auditlog.VerifierKeyName, vkey, time.Now().UTC())
				if _, err := auditlog.LoadKeys(ctx, e.db); err == nil {
					t.Fatal("LoadKeys accepted a verifier key of another signer")
				}
			})
		})
	}
}

// BenchmarkCheckpoint measures a checkpoint of 10,000 new entries.
func BenchmarkCheckpoint(b *testing.B) {
	const entries = 10000
	ctx := context.Background()
	e := newEnv(b, backends()[0])
	e.read(b, entries)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e.exec(b, `DELETE FROM access_log_hashes`)
		e.exec(b, `DELETE FROM access_checkpoints`)
		b.StartTimer()
		c, err := e.cp.Checkpoint(ctx)
		if err != nil || c.Size != entries {
			b.Fatalf("Checkpoint = %v, %v", c, err)
		}
	}
	b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
