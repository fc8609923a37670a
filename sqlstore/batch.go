package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// batcher is group commit: writes queued by many requests run in one
// transaction, and each request is answered only after that transaction
// has committed. On SQLite in WAL mode a committed transaction is in the
// log file before COMMIT returns, so a killed process loses nothing that
// was acknowledged.
type batcher struct {
	db       *DB
	queue    chan *batchItem
	maxBatch int

	// delay is how long the writer waits for more writes before it
	// commits, while writes arrive together (busy); see gather.
	delay time.Duration
	busy  bool

	// conn is the writer's own connection, used by run alone. On SQLite a
	// connection loses its page cache whenever another one has written;
	// the writer's cache stays warm only if it always writes through the
	// same connection.
	conn *sql.Conn
	// cacheKiB is the page cache the writer's connection was given
	// (writerCacheKiB); batches counts the batches since it was chosen.
	cacheKiB, batches int64

	// tail asks the writer to finish a checkpoint between two batches; see
	// checkpointer.
	tail chan chan struct{}

	once sync.Once
	quit chan struct{}
	done chan struct{}
	ckpt chan struct{} // closed when the checkpointer has stopped
}

type batchItem struct {
	now  time.Time
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

// Batch limits.
const (
	maxBatchItems = 1024
	batchQueueLen = 16384
)

func newBatcher(db *DB) *batcher {
	return startBatcher(db, walCheckpointEvery, walTailFrames)
}

// startBatcher starts a batcher whose checkpointer runs every interval and
// has the writer finish a checkpoint once the log holds tailFrames.
func startBatcher(db *DB, every time.Duration, tailFrames int) *batcher {
	b := &batcher{db: db, queue: make(chan *batchItem, batchQueueLen), maxBatch: maxBatchItems,
		tail: make(chan chan struct{}), quit: make(chan struct{}), done: make(chan struct{}), ckpt: make(chan struct{})}
	if db.dialect == SQLite {
		b.delay = commitDelay
	}
	go b.run()
	if db.dialect == SQLite {
		go b.checkpointer(every, tailFrames)
	} else {
		close(b.ckpt)
	}
	return b
}

// commitDelay is how long the SQLite writer waits for more writes once
// its previous batch held more than one. Each SQLite commit costs CPU of
// its own whatever it holds (the log's header and the pages every batch
// touches, the page cache's bookkeeping): under a load of many clients the
// queue held five or six writes at each commit, and waiting 2 ms made
// batches of about 33, cut the writer's share of the server's CPU from
// 41 % to 37 % and lowered p99 (docs/performance.md). A writer that sees
// one write at a time, as on a quiet server, does not wait. PostgreSQL's
// writer does not wait: its commits are round trips, during which the next
// batch gathers anyway, and waiting cost it 9 % of its check-ins.
const commitDelay = 2 * time.Millisecond

// SQLite write-ahead log checkpoints while the writer runs: every second,
// finished by the writer once the log holds 64 MiB of 4 KiB pages. A page
// written many times between two checkpoints is copied once; checkpoints
// every 100 ms with an 8 MiB tail gave 9,664 check-ins a second against
// 10,884 (bench/checkin.sh, 128 workers, same machine and hour).
const (
	walCheckpointEvery = time.Second
	walTailFrames      = 16384
)

// checkpointer keeps SQLite's write-ahead log short without stopping the
// writer for long. The writer does not checkpoint as it commits (that
// copies the whole log and syncs two files while every waiting check-in
// waits). Instead, every interval this goroutine copies the log into the
// database file on its own connection, beside the writer; once the log
// holds at least tailFrames, it asks the writer to copy the few frames
// committed meanwhile, between two batches, and waits for it. With
// nothing left to copy, the writer's next transaction starts the log again
// from its beginning; it could not while a checkpoint was copying (SQLite
// then keeps a transaction from reading the file alone), which is why the
// next round waits a whole interval after the writer's.
func (b *batcher) checkpointer(every time.Duration, tailFrames int) {
	defer close(b.ckpt)
	for {
		select {
		case <-b.quit:
			return
		case <-time.After(every):
		}
		if !b.checkpointRound(tailFrames) {
			return
		}
	}
}

// checkpointRound copies the log beside the writer and, once it holds
// tailFrames, waits for the writer to finish. It reports false when the
// batcher is closing.
func (b *batcher) checkpointRound(tailFrames int) bool {
	var busy, frames, copied int
	err := b.db.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	if err != nil || frames < tailFrames {
		return true
	}
	done := make(chan struct{})
	select {
	case b.tail <- done:
	case <-b.quit:
		return false
	}
	select {
	case <-done:
		return true
	case <-b.quit:
		return false
	}
}

// checkpointTail finishes a checkpoint on the writer's connection.
func (b *batcher) checkpointTail(done chan struct{}) {
	defer close(done)
	if b.conn == nil {
		return
	}
	// Best effort: a reader that still needs old frames leaves them for
	// the next round.
	b.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
}

// errBatcherClosed is returned for writes queued after Close.
var errBatcherClosed = errors.New("group commit: closed")

// do queues fn and waits until the transaction that ran it has committed.
// fn runs in the batch's transaction with tx.now set to now; it must not
// keep tx. An error from fn fails that write alone. fn's context is the
// writer's, never cancelled: once queued, a write does not depend on
// whether its caller still waits, and a statement given a cancellable
// context costs the SQLite driver a goroutine to watch it.
func (b *batcher) do(ctx context.Context, now time.Time, fn func(ctx context.Context, tx *Tx) error) error {
	it := &batchItem{now: now, fn: fn, done: make(chan error, 1)}
	select {
	case b.queue <- it:
	case <-b.quit:
		return errBatcherClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the write happens whether or not the caller still
	// waits; the answer tells a caller that waits whether it is durable.
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) run() {
	defer close(b.done)
	defer b.release()
	batch := make([]*batchItem, 0, b.maxBatch)
	for {
		select {
		case it := <-b.queue:
			batch = append(batch[:0], it)
		case done := <-b.tail:
			b.checkpointTail(done)
			continue
		case <-b.quit:
			// Drain what is queued, then stop.
			for {
				select {
				case it := <-b.queue:
					b.commit([]*batchItem{it})
				default:
					return
				}
			}
		}
		batch = b.gather(batch)
		b.commit(batch)
	}
}

// gather adds to batch what is queued and, while the writer is busy, what
// arrives within its delay, up to maxBatch.
func (b *batcher) gather(batch []*batchItem) []*batchItem {
fill:
	for len(batch) < b.maxBatch {
		select {
		case it := <-b.queue:
			batch = append(batch, it)
		default:
			break fill
		}
	}
	if b.busy && b.delay > 0 && len(batch) < b.maxBatch {
		timer := time.NewTimer(b.delay)
	wait:
		for len(batch) < b.maxBatch {
			select {
			case it := <-b.queue:
				batch = append(batch, it)
			case <-timer.C:
				break wait
			}
		}
		timer.Stop()
	}
	b.busy = len(batch) > 1
	return batch
}

// commit runs a batch in one transaction. If a write fails, the batch is
// rolled back and every write is run again alone, so that one bad write
// does not fail the others.
func (b *batcher) commit(batch []*batchItem) {
	errs, err := b.runTx(batch)
	if err == nil {
		for i, it := range batch {
			it.done <- errs[i]
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- err
		return
	}
	for _, it := range batch {
		_, err := b.runTx([]*batchItem{it})
		it.done <- err
	}
}

// runTx runs the batch in one transaction; any error aborts it all.
func (b *batcher) runTx(batch []*batchItem) ([]error, error) {
	ctx := context.Background()
	if b.conn == nil {
		c, err := b.db.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("group commit: %w", err)
		}
		if b.db.dialect == SQLite {
			// The checkpointer copies the log; the writer only finishes it.
			if _, err := c.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
				c.Close()
				return nil, fmt.Errorf("group commit: %w", err)
			}
		}
		b.conn, b.cacheKiB, b.batches = c, 0, 0
	}
	if b.db.dialect == SQLite && b.batches%1024 == 0 {
		if err := b.sizeCache(ctx); err != nil {
			b.release()
			return nil, err
		}
	}
	b.batches++
	tx := &Tx{db: b.db, conn: b.conn}
	if b.db.dialect == SQLite {
		// SQLite's transaction takes the write lock as it begins; on
		// PostgreSQL it begins at the batch's first statement, if any
		// (Tx.Commit).
		if err := tx.begin(ctx); err != nil {
			b.release() // a broken connection; the next batch takes another
			return nil, err
		}
	}
	defer tx.Rollback()
	errs := make([]error, len(batch))
	for _, it := range batch {
		tx.now = it.now
		if err := it.fn(ctx, tx); err != nil {
			if tx.beginErr != nil {
				b.release()
			}
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		b.release()
		return nil, fmt.Errorf("group commit: %w", err)
	}
	if b.db.recent != nil && len(tx.pending) > 0 {
		b.db.recent.put(tx.pending, tx.now)
	}
	return errs, nil
}

// sizeCache gives the writer's connection the page cache its database's
// size calls for (writerCacheKiB).
func (b *batcher) sizeCache(ctx context.Context) error {
	var pages, pageSize int64
	if err := b.conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return fmt.Errorf("group commit: %w", err)
	}
	if err := b.conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return fmt.Errorf("group commit: %w", err)
	}
	kib := writerCacheKiB(pages, pageSize)
	if kib == b.cacheKiB {
		return nil
	}
	if _, err := b.conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, kib)); err != nil {
		return fmt.Errorf("group commit: %w", err)
	}
	b.cacheKiB = kib
	return nil
}

// writerCacheKiB is the page cache of the writer's connection, in KiB,
// for a database of pages pages of pageSize bytes. The writer's cache
// holds the index pages that check-ins touch at random: 256 MiB against
// the pool's 64 MiB gave 9,206 and 9,916 check-ins a second against 8,721
// (bench/checkin.sh, 60 s; 1 GiB gave no more). But while the database is
// smaller than 1 GiB, SQLite scans the whole cache's hash table at almost
// every commit: splitting a B-tree page renumbers pages through the
// number of the page at 1 GiB, which SQLite then drops from the cache as
// past the database's end. The scan took a quarter of the server's CPU
// in a peak-day replay at 3 million check-ins (docs/performance.md), so
// below 1 GiB, where the whole file is in the operating system's cache
// anyway, the writer keeps a small cache: 16 MiB, which with commits
// gathered (commitDelay) cost the server 3–5 % less CPU a check-in than
// 32 MiB and than 8 MiB in alternating runs.
func writerCacheKiB(pages, pageSize int64) int64 {
	if pageSize > 0 && pages <= (1<<30)/pageSize {
		return 16 << 10
	}
	return 256 << 10
}

// release closes the writer's connection.
func (b *batcher) release() {
	if b.conn != nil {
		// Closed, not returned to the pool: on SQLite it was set up for
		// the writer alone.
		b.conn.Raw(func(any) error { return driver.ErrBadConn })
		b.conn.Close()
		b.conn = nil
	}
}

// doAsync queues fn without waiting for its commit; for best-effort
// writes such as a session's last-seen time. It drops the write when the
// queue is full or the batcher is closed.
func (b *batcher) doAsync(now time.Time, fn func(ctx context.Context, tx *Tx) error) {
	it := &batchItem{now: now, fn: fn, done: make(chan error, 1)}
	select {
	case b.queue <- it:
	default:
	}
}

// close stops the batcher after the queued writes are committed.
func (b *batcher) close() {
	b.once.Do(func() {
		close(b.quit)
		<-b.done
		<-b.ckpt
	})
}
