package sqlstore

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// checkInLayouts are the check-in rows weighed in decision 0007: the first
// schema's (32-character ids, text times) and the compact one (numbers for
// people and premises, Unix microseconds, an integer key), with the same
// two indexes.
var checkInLayouts = []struct {
	name, ddl, insert string
	args              func(at time.Time, person, premises, n int) []any
}{
	{
		name: "text",
		ddl: `CREATE TABLE c (id TEXT NOT NULL PRIMARY KEY, person_id TEXT NOT NULL, premises_id TEXT NOT NULL,
			checked_in_at TIMESTAMP NOT NULL, leaves_at TIMESTAMP NOT NULL, checked_out_at TIMESTAMP, source TEXT NOT NULL,
			client_id TEXT, actor_id TEXT NOT NULL, created_at TIMESTAMP NOT NULL) WITHOUT ROWID;
			CREATE INDEX c_person ON c (person_id, checked_in_at);
			CREATE INDEX c_premises ON c (premises_id, checked_in_at);`,
		insert: `INSERT INTO c (id, person_id, premises_id, checked_in_at, leaves_at, source, actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		args: func(at time.Time, person, premises, n int) []any {
			p := fmt.Sprintf("%032x", person)
			return []any{newTimeID(at), p, fmt.Sprintf("%032x", premises), at, at.Add(time.Hour), "scan", p, at}
		},
	},
	{
		name: "compact",
		ddl: `CREATE TABLE c (id INTEGER PRIMARY KEY, person INTEGER NOT NULL, premises INTEGER NOT NULL,
			checked_in_at INTEGER NOT NULL, leaves_at INTEGER NOT NULL, checked_out_at INTEGER, source TEXT NOT NULL,
			client_id TEXT, actor_id TEXT, created_at INTEGER);
			CREATE INDEX c_person ON c (person, checked_in_at);
			CREATE INDEX c_premises ON c (premises, checked_in_at);`,
		insert: `INSERT INTO c (id, person, premises, checked_in_at, leaves_at, source) VALUES ($1, $2, $3, $4, $5, $6)`,
		args: func(at time.Time, person, premises, n int) []any {
			return []any{newVisitID(at), person, premises, micros(at), micros(at.Add(time.Hour)), "scan"}
		},
	},
}

// BenchmarkCheckInRowLayouts inserts check-ins in transactions of seven,
// the writer's typical batch under load, into each layout on the SQLite
// settings of Open, alternating layouts round by round on the same
// machine, and reports rows a second, bytes a row and compact over text.
//
//	go test ./sqlstore -run '^$' -bench CheckInRowLayouts -benchtime 200000x
func BenchmarkCheckInRowLayouts(b *testing.B) {
	const people, premises, batch, rounds = 20000, 2000, 7, 4
	dbs := make([]*sql.DB, len(checkInLayouts))
	stmts := make([]*sql.Stmt, len(checkInLayouts))
	for i, l := range checkInLayouts {
		path := filepath.Join(b.TempDir(), l.name+".db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_time_format=sqlite")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		defer db.Close()
		if _, err := db.Exec(l.ddl); err != nil {
			b.Fatal(err)
		}
		if stmts[i], err = db.Prepare(l.insert); err != nil {
			b.Fatal(err)
		}
		dbs[i] = db
	}
	elapsed := make([]time.Duration, len(checkInLayouts))
	rows := make([]int, len(checkInLayouts))
	t0 := time.Date(2021, 8, 1, 0, 0, 0, 0, time.UTC)
	per := b.N / rounds / batch * batch
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		for i, l := range checkInLayouts {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			start := time.Now()
			for n := 0; n < per; n += batch {
				tx, err := dbs[i].Begin()
				if err != nil {
					b.Fatal(err)
				}
				st := tx.Stmt(stmts[i])
				for j := 0; j < batch; j++ {
					k := rows[i] + n + j
					at := t0.Add(time.Duration(k) * 110 * time.Microsecond)
					if _, err := st.Exec(l.args(at, 1+rng.IntN(people), 1+rng.IntN(premises), k)...); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			elapsed[i] += time.Since(start)
			rows[i] += per
		}
	}
	b.StopTimer()
	perSecond := make([]float64, len(checkInLayouts))
	for i, l := range checkInLayouts {
		var pages, size int
		if err := dbs[i].QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
			b.Fatal(err)
		}
		if err := dbs[i].QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
			b.Fatal(err)
		}
		perSecond[i] = float64(rows[i]) / elapsed[i].Seconds()
		b.ReportMetric(perSecond[i], l.name+"_rows/s")
		if rows[i] > 0 {
			b.ReportMetric(float64(pages*size)/float64(rows[i]), l.name+"_bytes/row")
		}
	}
	b.ReportMetric(perSecond[1]/perSecond[0], "compact/text")
}
