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
// checkpoint as it commits, so without the checkpointer the log grows.
func TestWriterCheckpoints(t *testing.T) {
	tests := []struct {
		name       string
		every      time.Duration
		tailFrames int
		check      func(walBytes int64) bool
		want       string
	}{
		{"checkpointer bounds the log", 5 * time.Millisecond, 32, func(n int64) bool { return n < 4<<20 }, "under 4 MiB"},
		{"no checkpointer, the log grows", time.Hour, 32, func(n int64) bool { return n > 12<<20 }, "over 12 MiB"},
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
			db.batchOnce.Do(func() { db.batch = startBatcher(db, tt.every, tt.tailFrames) })
			// 16 MiB of rows from 8 writers, so that batches follow each
			// other without a pause.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 512; i++ {
						err := db.writer().do(ctx, time.Now(), func(ctx context.Context, tx *Tx) error {
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
			wg.Wait()
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
