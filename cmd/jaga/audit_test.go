package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// runJaga runs the program in-process with JAGA_DB set to dsn.
func runJaga(t *testing.T, dsn string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb syncBuffer
	getenv := func(k string) string {
		switch k {
		case "JAGA_DB":
			return dsn
		case "JAGA_MASTER_KEY":
			return testMasterKey(dsn)
		}
		return ""
	}
	err = run(context.Background(), append([]string{"jaga"}, args...), getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func exitCode(err error) int {
	var ex exitError
	if err == nil {
		return 0
	} else if errors.As(err, &ex) {
		return ex.code
	}
	return 1
}

// rawDB opens the database directly, as an attacker with database access
// would, to tamper with the access log.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, source := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if sqlstore.IsPostgres(dsn) {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditVerify(t *testing.T) {
	tamper := []struct {
		name     string
		sql      string
		wantText string
	}{
		{"edited purpose", `UPDATE access_log SET purpose = 'AUDIT' WHERE seq = 2`, "entry 2"},
		{"edited decision", `UPDATE access_log SET decision = CASE decision WHEN 'allow' THEN 'deny' ELSE 'allow' END WHERE seq = 3`, "entry 3"},
		{"deleted entry", `DELETE FROM access_log WHERE seq = 2`, "entry 2"},
		{"reordered entries", `UPDATE access_log SET seq = -2 WHERE seq = 2; UPDATE access_log SET seq = 2 WHERE seq = 3; UPDATE access_log SET seq = 3 WHERE seq = -2`, "entry 2"},
		{"deleted last entry", `DELETE FROM access_log WHERE seq = (SELECT MAX(seq) FROM access_log)`, "missing"},
		{"edited checkpoint", `UPDATE access_checkpoints SET note = replace(note, 'jaga-access-log', 'jaga-access-lug')`, "checkpoint"},
	}
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			for _, tt := range tamper {
				t.Run(tt.name, func(t *testing.T) {
					dsn := d.dsn(t)
					if _, _, err := runJaga(t, dsn, "demo"); err != nil {
						t.Fatalf("demo: %v", err)
					}
					addAccesses(t, dsn, 3)
					if out, _, err := runJaga(t, dsn, "audit", "checkpoint"); err != nil || !strings.Contains(out, "checkpoint size=") {
						t.Fatalf("checkpoint: %v %s", err, out)
					}
					key, _, err := runJaga(t, dsn, "audit", "key")
					if err != nil {
						t.Fatal(err)
					}
					keyFile := filepath.Join(t.TempDir(), "verifier.key")
					os.WriteFile(keyFile, []byte(key), 0o600)
					out, _, err := runJaga(t, dsn, "audit", "verify", "--verifier-key", "@"+keyFile)
					if err != nil || !strings.HasPrefix(out, "OK:") {
						t.Fatalf("untouched log: %v %s", err, out)
					}
					if _, err := rawDB(t, dsn).Exec(tt.sql); err != nil {
						t.Fatalf("tamper: %v", err)
					}
					out, _, err = runJaga(t, dsn, "audit", "verify", "--verifier-key", "@"+keyFile)
					if exitCode(err) == 0 {
						t.Fatalf("verify passed a tampered log: %s", out)
					}
					if !strings.Contains(out, "FAIL") || !strings.Contains(out, tt.wantText) {
						t.Fatalf("verify output %q does not name %q", out, tt.wantText)
					}
				})
			}
			t.Run("another signer's key", func(t *testing.T) {
				dsn := d.dsn(t)
				runJaga(t, dsn, "demo")
				runJaga(t, dsn, "audit", "checkpoint")
				other := d.dsn(t)
				runJaga(t, other, "migrate")
				otherKey, _, _ := runJaga(t, other, "audit", "key")
				out, _, err := runJaga(t, dsn, "audit", "verify", "--verifier-key", strings.TrimSpace(otherKey))
				if exitCode(err) == 0 || !strings.Contains(out, "checkpoint") {
					t.Fatalf("verify with a foreign key: %v %s", err, out)
				}
			})
		})
	}
}

// addAccesses makes n gate decisions on the first demo citizen's data, by
// the demo contractor's agent.
func addAccesses(t *testing.T, dsn string, n int) {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := jaga.SystemContext(context.Background())
	orgs := sqlstore.NewOrganisationService(db)
	var contractor *jaga.Organisation
	all, _ := orgs.Organisations(ctx)
	for _, o := range all {
		if o.Name == demoOrgs[1].name {
			contractor = o
		}
	}
	staff, err := orgs.StaffMembers(ctx, contractor.ID)
	if err != nil || len(staff) == 0 {
		t.Fatalf("demo staff: %v", err)
	}
	var personID string
	if err := rawDB(t, dsn).QueryRow(`SELECT id FROM people WHERE phone = '+60123456789'`).Scan(&personID); err != nil {
		t.Fatal(err)
	}
	agent := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staff[0].ID, OrgID: contractor.ID, OrgKind: jaga.OrgContractor, Role: jaga.RoleSupportAgent})
	for i := 0; i < n; i++ {
		sqlstore.NewPersonService(db).ReadPerson(agent, personID, jaga.AccessReason{Purpose: jaga.PurposeSupportTicket, Reference: "T-1"})
	}
}

func TestStaleSchemaRefused(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	latest := fmt.Sprintf("v%d", openTestStoreLatest(t))
	if out, _, err := runJaga(t, dsn, "migrate"); err != nil || !strings.Contains(out, "v0 -> "+latest) {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if _, err := rawDB(t, dsn).Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	_, _, err := runJaga(t, dsn, "serve", "--addr", "127.0.0.1:0")
	if exitCode(err) == 0 || !strings.Contains(err.Error(), "current=v99 expected="+latest) {
		t.Fatalf("serve on a newer schema: %v", err)
	}
	_, _, err = runJaga(t, dsn, "migrate")
	if exitCode(err) == 0 || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("migrate on a newer schema: %v", err)
	}
}

// openTestStoreLatest returns the schema version this program expects.
func openTestStoreLatest(t *testing.T) int {
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.LatestVersion()
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantOut  []string
		notOut   []string
		wantCode int
		wantErr  string
	}{
		{"defaults", nil, []string{"--print-config"}, []string{"db=jaga.db", "addr=127.0.0.1:8080", "secure-cookies=auto (resolved false)"}, nil, 0, ""},
		{"env then flags", map[string]string{"JAGA_ADDR": "0.0.0.0:9000", "JAGA_DB": "/tmp/x.db"}, []string{"--print-config", "--db", "/tmp/y.db"},
			[]string{"db=/tmp/y.db", "addr=0.0.0.0:9000", "resolved true"}, nil, 0, ""},
		{"postgres password redacted", map[string]string{"JAGA_DB": "postgres://jaga:s3cret-pw@db.internal:5432/jaga"}, []string{"--print-config"},
			[]string{"db=postgres://jaga:xxxxx@db.internal:5432/jaga"}, []string{"s3cret-pw"}, 0, ""},
		{"bad addr", nil, []string{"--addr", "nonsense"}, nil, nil, 2, "addr"},
		{"bad log level", map[string]string{"JAGA_LOG_LEVEL": "loud"}, nil, nil, nil, 2, "log-level"},
		{"bad demo flag", map[string]string{"JAGA_DEMO": "maybe"}, nil, nil, nil, 2, "JAGA_DEMO"},
		{"unknown flag", nil, []string{"--frobnicate"}, nil, nil, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb syncBuffer
			getenv := func(k string) string { return tt.env[k] }
			err := run(context.Background(), append([]string{"jaga", "serve"}, tt.args...), getenv, strings.NewReader(""), &out, &errb)
			if exitCode(err) != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", exitCode(err), err, tt.wantCode)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want it to name %q", err, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tt.notOut {
				if strings.Contains(out.String()+errb.String(), n) {
					t.Errorf("output holds %q", n)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no command", nil, 2, ""},
		{"unknown command", []string{"frob"}, 2, ""},
		{"version", []string{"version"}, 0, "jaga dev"},
		{"help", []string{"help"}, 0, "jaga serve"},
		{"audit without subcommand", []string{"audit"}, 2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runJaga(t, "", tt.args...)
			if exitCode(err) != tt.code || !strings.Contains(out, tt.out) {
				t.Fatalf("exit %d out %q", exitCode(err), out)
			}
		})
	}
}
