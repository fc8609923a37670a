package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jaga-health/jaga/sqlstore"
)

// TestWriterBatches checks group commit on both engines: writes queued
// together commit together, a failing write fails alone, and a write that
// runs no statement is answered (on PostgreSQL its transaction never
// begins).
func TestWriterBatches(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		mustExec(t, e, `CREATE TABLE scratch (n INTEGER PRIMARY KEY)`)
		errBad := errors.New("a bad write")
		tests := []struct {
			name    string
			writes  int
			bad     int // the write that fails, or -1
			noop    bool
			wantRow int
		}{
			{"writes commit", 32, -1, false, 32},
			{"a failing write fails alone", 32, 7, false, 31},
			{"writes that run nothing", 8, -1, true, 0},
		}
		base := 0
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var wg sync.WaitGroup
				errs := make([]error, tt.writes)
				for i := 0; i < tt.writes; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = sqlstore.WriterDo(e.DB, func(ctx context.Context, tx *sqlstore.Tx) error {
							if tt.noop {
								return nil
							}
							if _, err := tx.ExecContext(ctx, `INSERT INTO scratch (n) VALUES ($1)`, base+i); err != nil {
								return err
							}
							if i == tt.bad {
								return errBad
							}
							return nil
						})
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if want := i == tt.bad; errors.Is(err, errBad) != want || (!want && err != nil) {
						t.Errorf("write %d: error %v", i, err)
					}
				}
				var n int
				if err := e.Raw.QueryRow(fmt.Sprintf(`SELECT count(*) FROM scratch WHERE n >= %d`, base)).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != tt.wantRow {
					t.Errorf("%d rows stored, want %d", n, tt.wantRow)
				}
				base += 1000
			})
		}
	})
}
