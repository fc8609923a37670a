package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
)

// BenchmarkReissue times the job that follows a key rotation: every valid
// certificate re-issued under the new key, 1,000 to a transaction, on a
// SQLite file seeded with JAGA_BENCH_REISSUE people (default 2,000), each
// with a dose and a certificate. Each iteration rotates the key and
// re-issues them all; it reports certificates re-issued a second.
func BenchmarkReissue(b *testing.B) {
	n := 2000
	if v := os.Getenv("JAGA_BENCH_REISSUE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("JAGA_BENCH_REISSUE=%q: want a positive number", v)
		}
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "reissue.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	g, err := gate.New()
	if err != nil {
		b.Fatal(err)
	}
	db.Gate = g
	seedStart := time.Now()
	if err := seedCertificates(ctx, path, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d people, doses and certificates in %v", n, time.Since(seedStart).Round(time.Millisecond))

	master := make([]byte, cert.MasterKeySize)
	rand.Read(master)
	kr := &cert.Keyring{Store: db, Master: master}
	if _, err := kr.Init(ctx); err != nil {
		b.Fatal(err)
	}
	signer := cert.NewSigner(nil)
	db.Signer = signer
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k, err := kr.Rotate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		is, err := kr.Issuer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		signer.Use(is)
		b.StartTimer()
		start := time.Now()
		res, err := db.ReissueCertificates(ctx, k.KID, 1000, nil)
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Reissued != n {
			b.Fatalf("re-issued %d, want %d", res.Reissued, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "reissued_per_s")
	b.ReportMetric(total.Seconds()/float64(b.N), "s_per_run")
	b.ReportMetric(float64(n), "certificates")
}

// seedCertificates writes n people, each with one dose and one valid
// certificate under a key that is no longer active, straight into the
// SQLite file, in multi-row inserts.
func seedCertificates(ctx context.Context, path string, n int) error {
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)")
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var orgID string = "bench-centre"
	if _, err := raw.ExecContext(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Bench centre', $2, $3)`,
		orgID, jaga.OrgVaccinationCentre, now); err != nil {
		return fmt.Errorf("seed organisation: %w", err)
	}
	const rows = 200
	for lo := 0; lo < n; lo += 50000 {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := lo; i < min(n, lo+50000); i += rows {
			hi := min(n, i+rows, lo+50000)
			var people, doses, certs strings.Builder
			var pa, da, ca []any
			for j := i; j < hi; j++ {
				sep := ","
				if j == i {
					sep = ""
				}
				id, dose := fmt.Sprintf("p%09d", j), fmt.Sprintf("d%09d", j)
				k := len(pa)
				fmt.Fprintf(&people, "%s($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", sep, k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8)
				pa = append(pa, id, fmt.Sprintf("Bench Person %d", j), jaga.IDTypeNRIC, fmt.Sprintf("9001%08d", j), "1990-01-01", "MY", "ps"+id, now)
				k = len(da)
				fmt.Fprintf(&doses, "%s($%d,$%d,$%d)", sep, k+1, k+2, k+3)
				da = append(da, dose, id, fmt.Sprintf("FE%06d", j%1000000))
				k = len(ca)
				fmt.Fprintf(&certs, "%s($%d,$%d,$%d)", sep, k+1, k+2, k+3)
				ca = append(ca, fmt.Sprintf("URN:UVCI:01:MY:BENCH%09d", j), id, dose)
			}
			stmts := []struct {
				q    string
				args []any
			}{
				{`INSERT INTO people (id, full_name, id_type, id_number, date_of_birth, nationality, pseudonym, created_at, updated_at) SELECT column1, column2, column3, column4, column5, column6, column7, column8, column8 FROM (VALUES ` + people.String() + `)`, pa},
				{`INSERT INTO doses (id, person_id, product, manufacturer, batch, dose_number, total_doses, booster, given_on, centre_id, country, created_at) SELECT column1, column2, 'EU/1/20/1528', 'ORG-100030215', column3, 2, 2, 0, '2021-07-22', 'bench-centre', 'MY', '2026-03-01 00:00:00+00:00' FROM (VALUES ` + doses.String() + `)`, da},
				{`INSERT INTO certificates (id, person_id, dose_id, payload, kid, country, status, issue_reason, content_hash, issued_at, expires_at) SELECT column1, column2, column3, 'HC1:', 'OLDKEY', 'MY', 'valid', 'new_dose', '', '2026-03-01 00:00:00+00:00', '2027-03-01 00:00:00+00:00' FROM (VALUES ` + certs.String() + `)`, ca},
			}
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
					tx.Rollback()
					return fmt.Errorf("seed: %w", err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
