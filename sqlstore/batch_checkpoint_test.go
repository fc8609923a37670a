package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestWriterCheckpoints checks that SQLite's write-ahead log stays short
// while the group-commit writer never stops writing: the writer does not
// checkpoint as it commits, so without checkpoint rounds the log grows.
func TestWriterCheckpoints(t *testing.T) {
	tests := []struct {
		name   string
		rounds bool // run checkpoint rounds, one after another, while the writers write
		check  func(walBytes int64) bool
		want   string
	}{
		{"checkpoint rounds bound the log", true, func(n int64) bool { return n < 16<<20 }, "under 16 MiB"},
		{"no rounds, the log grows", false, func(n int64) bool { return n > 28<<20 }, "over 28 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "wal.db")
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.db.ExecContext(ctx, `CREATE TABLE scratch (b BLOB)`); err != nil {
				t.Fatal(err)
			}
			// The timed checkpointer stays out of the way; the test runs
			// the rounds itself.
			b := startBatcher(db, time.Hour, 32)
			db.batchOnce.Do(func() { db.batch = b })
			// 32 MiB of rows from 8 writers, so that batches follow each
			// other without a pause.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 1024; i++ {
						err := b.do(ctx, time.Now(), func(ctx context.Context, tx *Tx) error {
							_, err := tx.ExecContext(ctx, `INSERT INTO scratch (b) VALUES (zeroblob(4000))`)
							return err
						})
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			writing := make(chan struct{})
			go func() { wg.Wait(); close(writing) }()
			for done := false; !done; {
				select {
				case <-writing:
					done = true
				default:
					if tt.rounds {
						b.checkpointRound(32)
					} else {
						time.Sleep(time.Millisecond)
					}
				}
			}
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			st, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(st.Size()) {
				t.Fatalf("write-ahead log of %d bytes, want %s", st.Size(), tt.want)
			}
		})
	}
}

func TestWriterCacheKiB(t *testing.T) {
	for _, tc := range []struct {
		name            string
		pages, pageSize int64
		want            int64
	}{
		{"empty database", 0, 4096, 16 << 10},
		{"last size below the page at 1 GiB", 262144, 4096, 16 << 10},
		{"the page at 1 GiB is inside the database", 262145, 4096, 256 << 10},
		{"large pages", 16385, 65536, 256 << 10},
		{"large pages, small database", 16384, 65536, 16 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := writerCacheKiB(tc.pages, tc.pageSize); got != tc.want {
				t.Fatalf("writerCacheKiB(%d, %d) = %d, want %d", tc.pages, tc.pageSize, got, tc.want)
			}
		})
	}
}
