package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestWriterGathersWhenBusy checks the commit delay: a writer whose last
// batch held several writes waits for the next ones and commits them
// together; a quiet writer commits a lone write at once.
func TestWriterGathersWhenBusy(t *testing.T) {
	tests := []struct {
		name     string
		busy     bool
		sameTx   bool
		maxFirst time.Duration // the first write is committed within this
	}{
		{"busy writer waits for the next write", true, true, time.Minute},
		{"quiet writer commits at once", false, false, 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(t.TempDir(), "gather.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			b := startBatcher(db, time.Hour, 1<<20)
			defer b.close()
			b.delay, b.busy = 300*time.Millisecond, tt.busy

			txs := make(chan *Tx, 2)
			write := func() error {
				return b.do(ctx, time.Now(), func(ctx context.Context, tx *Tx) error {
					txs <- tx
					return nil
				})
			}
			start := time.Now()
			first := make(chan error, 1)
			go func() { first <- write() }()
			if !tt.busy {
				if err := <-first; err != nil {
					t.Fatal(err)
				}
				if d := time.Since(start); d > tt.maxFirst {
					t.Fatalf("a lone write on a quiet writer took %v", d)
				}
			} else {
				time.Sleep(20 * time.Millisecond)
			}
			if err := write(); err != nil {
				t.Fatal(err)
			}
			if tt.busy {
				if err := <-first; err != nil {
					t.Fatal(err)
				}
			}
			if same := <-txs == <-txs; same != tt.sameTx {
				t.Errorf("both writes in one transaction: %v, want %v", same, tt.sameTx)
			}
		})
	}
}
