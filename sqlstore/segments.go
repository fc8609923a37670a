package sqlstore

// Building check-in segments (segment.go) and reading visits through
// them. An hour's segment is built segmentBuildDelay after the hour ends;
// from segmentGrace after a check-in on, any write of its row (an offline
// upload, a check-out) also records the row in checkin_changes, in the
// same transaction, so that a segment built before the write is never
// read without it. The two delays leave ten minutes for a write decided
// before the builder's read to commit, and for the clocks of servers
// sharing a PostgreSQL database to differ.

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

const (
	segmentSpan       = time.Hour
	segmentGrace      = 5 * time.Minute
	segmentBuildDelay = 15 * time.Minute
	// segmentHorizon is how far back segments are kept: the oldest
	// check-ins an infectious window reaches (an offline upload may be
	// 14 days old), and a day more.
	segmentHorizon = jaga.OfflineMaxAge + 2*24*time.Hour
)

// noteChange records, in tx, that the check-in row id, which began at
// checkedInAt, was written or changed, when its hour may already be in a
// segment.
func (tx *Tx) noteChange(ctx context.Context, id int64, checkedInAt time.Time) error {
	if !checkedInAt.Before(tx.now.Add(-segmentGrace)) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_changes (checkin_id) VALUES ($1) ON CONFLICT (checkin_id) DO NOTHING`, id); err != nil {
		return fmt.Errorf("record check-in change: %w", err)
	}
	return nil
}

// BuildCheckinSegments builds the segments of every hour that ended
// segmentBuildDelay ago and has none, back to segmentHorizon, and removes
// older segments and changes. It returns the segments built.
func (db *DB) BuildCheckinSegments(ctx context.Context) (int, error) {
	return db.BuildCheckinSegmentsSince(ctx, time.Time{})
}

// BuildCheckinSegmentsSince is BuildCheckinSegments building no segment
// of an hour before since: for a benchmark that has loaded days of
// check-ins at once, which a running server would have built hour by
// hour as they passed.
func (db *DB) BuildCheckinSegmentsSince(ctx context.Context, since time.Time) (int, error) {
	now := db.now()
	horizon := now.Add(-segmentHorizon).Truncate(segmentSpan)
	last := now.Add(-segmentBuildDelay).Truncate(segmentSpan) // no segment ends after
	if _, err := db.db.ExecContext(ctx, `DELETE FROM checkin_segments WHERE starts_at < $1`, micros(horizon)); err != nil {
		return 0, fmt.Errorf("check-in segments: %w", err)
	}
	if _, err := db.db.ExecContext(ctx, `DELETE FROM checkin_changes WHERE checkin_id < $1`, visitIDBefore(horizon)); err != nil {
		return 0, fmt.Errorf("check-in segments: %w", err)
	}
	var end, first sql.NullInt64
	if err := db.db.QueryRowContext(ctx, `SELECT MAX(ends_at) FROM checkin_segments`).Scan(&end); err != nil {
		return 0, fmt.Errorf("check-in segments: %w", err)
	}
	next := horizon
	if end.Valid {
		next = fromMicros(end.Int64)
	} else {
		if err := db.db.QueryRowContext(ctx, `SELECT MIN(id) FROM checkins`).Scan(&first); err != nil {
			return 0, fmt.Errorf("check-in segments: %w", err)
		}
		if !first.Valid {
			return 0, nil
		}
		next = fromMicros(first.Int64 >> 10).Truncate(segmentSpan)
	}
	if next.Before(horizon) {
		next = horizon
	}
	if since = since.Truncate(segmentSpan); next.Before(since) {
		next = since
	}
	built := 0
	for ; !next.Add(segmentSpan).After(last); next = next.Add(segmentSpan) {
		if err := db.buildSegment(ctx, next, next.Add(segmentSpan)); err != nil {
			return built, err
		}
		built++
	}
	return built, nil
}

// buildSegment builds the segment of the check-ins that began in
// [from, to): it reads them and the changes recorded among them in one
// snapshot, then stores the segment and forgets those changes.
func (db *DB) buildSegment(ctx context.Context, from, to time.Time) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	defer rtx.Rollback()
	lo, hi := visitIDBefore(from), visitIDBefore(to)
	vs, err := segmentRows(ctx, rtx, from, to)
	if err != nil {
		return err
	}
	var seen []any
	rows, err := rtx.QueryContext(ctx, `SELECT checkin_id FROM checkin_changes WHERE checkin_id >= $1 AND checkin_id < $2`, lo, hi)
	if err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("check-in segment: %w", err)
		}
		seen = append(seen, id)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	rtx.Rollback()
	sortSegVisits(vs)
	data, err := encodeSegment(micros(from), micros(to), vs)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_segments (starts_at, ends_at, visits, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (starts_at) DO NOTHING`, micros(from), micros(to), len(vs), data); err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	for len(seen) > 0 {
		n := min(len(seen), 1000)
		if _, err := tx.ExecContext(ctx, `DELETE FROM checkin_changes WHERE checkin_id IN (`+db.params().list(n)+`)`, seen[:n]...); err != nil {
			return fmt.Errorf("check-in segment: %w", err)
		}
		seen = seen[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("check-in segment: %w", err)
	}
	return nil
}

// segmentRows reads the check-ins that began in [from, to), in the order
// of their ids.
func segmentRows(ctx context.Context, q reader, from, to time.Time) ([]segVisit, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT premises, person, checked_in_at, leaves_at, checked_out_at FROM checkins
		WHERE id >= $1 AND id < $2 AND checked_in_at >= $3 AND checked_in_at < $4`, visitIDBefore(from), visitIDBefore(to), micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("check-in segment: %w", err)
	}
	defer rows.Close()
	var vs []segVisit
	for rows.Next() {
		var v segVisit
		var out sql.NullInt64
		if err := rows.Scan(&v.premises, &v.person, &v.in, &v.leaves, &out); err != nil {
			return nil, fmt.Errorf("check-in segment: %w", err)
		}
		v.out = out.Int64
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check-in segment: %w", err)
	}
	return vs, nil
}

// unbuiltLimit is the longest time before now without a stored segment
// that a tracing run reads whole into a segment of its own, once (the
// hour not built yet); a longer one is read premises by premises.
const unbuiltLimit = 2 * time.Hour

// segmentView reads the visits at premises for a tracing run: from the
// segments it has loaded, with the rows changed since, and from checkins
// for the times no segment covers. It loads what a run asks for once.
type segmentView struct {
	mu       sync.RWMutex         // a load excludes reads; loads only add
	segs     []*segment           // by start, not overlapping
	changed  map[int64][]segVisit // by premises: changed rows inside segments, as they are now
	replaced map[segVisitKey]bool // rows in segments that changed
	loaded   *jaga.Interval       // the times loaded so far; nil before the first load
	now      time.Time            // the run's time: no check-in begins after it
	// blobs reads the segments' data, blobReads at once: the pool, whose
	// connections' small caches the data pass through, rather than the
	// run's readers, whose large caches hold the tables it reads again.
	blobs     reader
	blobReads int
	// freshBlobs says that the driver returns every blob in memory of its
	// own (driverBlob).
	freshBlobs bool
}

// driverBlob scans a blob as the driver returns it, without the copy
// database/sql makes for a []byte: modernc.org/sqlite allocates every
// blob it returns afresh and never touches it again
// (TestDriverBlobsAreFresh), and at the national peak that copy of the
// segments, gigabytes of new memory, took a third of a day's reading.
type driverBlob []byte

// Scan implements sql.Scanner.
func (b *driverBlob) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		*b = v
	case nil:
		*b = nil
	default:
		return fmt.Errorf("a blob was expected, not %T", src)
	}
	return nil
}

// segmentReads is how many segments a view reads at once. SQLite reads a
// segment a page (4 KiB) at a time, a system call each, so that a day's
// tracing at the national peak, gigabytes of segments, waits on the
// processor as much as on the disk: a few reads at once keep both busy.
const segmentReads = 4

type segVisitKey struct{ premises, person, in int64 }

// load makes sure the view holds the segments (and changes) that cover
// [from, to): it reads which there are and the changes through q, and
// the segments' data through the view's blobs, or q when it has none.
// each, unless nil, is called with every segment read from the database
// as soon as it is, on the goroutine that read it.
func (v *segmentView) load(ctx context.Context, q reader, from, to time.Time, each func(*segment) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if l := v.loaded; l != nil {
		if !from.Before(l.From) && !to.After(l.To) {
			return nil
		}
		// Load the whole span again but keep segments already decoded.
		if l.From.Before(from) {
			from = l.From
		}
		if l.To.After(to) {
			to = l.To
		}
	}
	have := map[int64]*segment{}
	for _, s := range v.segs {
		have[s.from] = s
	}
	rows, err := q.QueryContext(ctx, `SELECT starts_at FROM checkin_segments WHERE ends_at > $1 AND starts_at < $2 ORDER BY starts_at`,
		micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("check-in segments: %w", err)
	}
	var starts []int64
	for rows.Next() {
		var start int64
		if err := rows.Scan(&start); err != nil {
			rows.Close()
			return fmt.Errorf("check-in segments: %w", err)
		}
		starts = append(starts, start)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("check-in segments: %w", err)
	}
	// The segments not decoded yet, several at once.
	blobs, workers := v.blobs, v.blobReads
	if blobs == nil {
		blobs, workers = q, 1
	}
	read := make([]*segment, len(starts))
	err = forEach(len(starts), workers, func(_, i int) error {
		if read[i] = have[starts[i]]; read[i] != nil {
			return nil
		}
		var data []byte
		var dest any = &data
		if v.freshBlobs {
			dest = (*driverBlob)(&data)
		}
		if err := blobs.QueryRowContext(ctx, `SELECT data FROM checkin_segments WHERE starts_at = $1`, starts[i]).Scan(dest); err != nil {
			return fmt.Errorf("check-in segments: %w", err)
		}
		var err error
		if read[i], err = decodeSegment(data); err != nil {
			return fmt.Errorf("check-in segment at %d: %w", starts[i], err)
		}
		if each != nil {
			return each(read[i])
		}
		return nil
	})
	if err != nil {
		return err
	}
	var segs []*segment
	for _, s := range read {
		if n := len(segs); n > 0 && s.from < segs[n-1].to {
			continue
		}
		segs = append(segs, s)
	}
	// A short time before now that no stored segment covers (the hour not
	// built yet, and any later) is read whole once into a segment of the
	// run's own, as of the load.
	if n := len(segs); n > 0 && segs[n-1].to < micros(to) && !v.now.IsZero() {
		gap := fromMicros(segs[n-1].to)
		if v.now.Sub(gap) <= unbuiltLimit {
			vs, err := segmentRows(ctx, q, gap, to)
			if err != nil {
				return err
			}
			sortSegVisits(vs)
			data, err := encodeSegment(micros(gap), micros(to), vs)
			if err != nil {
				return err
			}
			s, err := decodeSegment(data)
			if err != nil {
				return fmt.Errorf("check-in segment at %d: %w", micros(gap), err)
			}
			segs = append(segs, s)
		}
	}
	v.segs = segs
	v.changed, v.replaced = map[int64][]segVisit{}, map[segVisitKey]bool{}
	v.loaded = &jaga.Interval{From: from, To: to}
	if len(segs) == 0 {
		return nil
	}
	rows, err = q.QueryContext(ctx, `
		SELECT c.premises, c.person, c.checked_in_at, c.leaves_at, c.checked_out_at FROM checkin_changes l
		JOIN checkins c ON c.id = l.checkin_id
		WHERE l.checkin_id >= $1 AND l.checkin_id < $2`, visitIDBefore(fromMicros(segs[0].from)), visitIDBefore(fromMicros(segs[len(segs)-1].to)))
	if err != nil {
		return fmt.Errorf("check-in changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c segVisit
		var out sql.NullInt64
		if err := rows.Scan(&c.premises, &c.person, &c.in, &c.leaves, &out); err != nil {
			return fmt.Errorf("check-in changes: %w", err)
		}
		c.out = out.Int64
		if v.segmentAt(c.in) == nil {
			continue // read from checkins with the rest of its time
		}
		v.changed[c.premises] = append(v.changed[c.premises], c)
		v.replaced[segVisitKey{c.premises, c.person, c.in}] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check-in changes: %w", err)
	}
	return nil
}

// segmentAt returns the loaded segment holding time at, or nil.
func (v *segmentView) segmentAt(at int64) *segment {
	i := sort.Search(len(v.segs), func(i int) bool { return v.segs[i].to > at })
	if i < len(v.segs) && v.segs[i].from <= at {
		return v.segs[i]
	}
	return nil
}

// visitsAt is visitsAt (tracing_sweep.go) through the view: the visits at
// premises that began in [from, to) and had not left by after.
func (v *segmentView) visitsAt(ctx context.Context, stmt *sql.Stmt, premises int64, from, to, after time.Time) ([]jaga.Visit, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	f, t, a := micros(from), micros(to), micros(after)
	var out []jaga.Visit
	add := func(s segVisit) {
		if v.replaced[segVisitKey{s.premises, s.person, s.in}] {
			return
		}
		out = append(out, s.visit())
	}
	cursor := f
	for _, s := range v.segs {
		if s.to <= cursor || cursor >= t {
			continue
		}
		if s.from >= t {
			break
		}
		if s.from > cursor {
			vs, err := visitsAt(ctx, stmt, premises, fromMicros(cursor), fromMicros(s.from), after)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
			cursor = s.from
		}
		end := min(t, s.to)
		if err := s.each(premises, cursor, end, a, add); err != nil {
			return nil, fmt.Errorf("check-in segment at %d: %w", s.from, err)
		}
		for _, c := range v.changed[premises] {
			if c.in >= cursor && c.in < end && c.leaves > a {
				out = append(out, c.visit())
			}
		}
		cursor = end
	}
	if cursor < t {
		vs, err := visitsAt(ctx, stmt, premises, fromMicros(cursor), to, after)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

// visit is the segment row as tracing's premises reads name it.
func (s segVisit) visit() jaga.Visit {
	var outAt sql.NullInt64
	if s.out != 0 {
		outAt = sql.NullInt64{Int64: s.out, Valid: true}
	}
	v := jaga.Visit{PersonID: personKey(s.person)}
	v.CheckedInAt, v.LeavesAt, v.CheckedOutAt = visitTimes(s.in, s.leaves, outAt)
	return v
}

// visitsOf returns the visits of the people want holds that began in
// [from, to) from the loaded segments and the rows changed since, each
// segment scanned whole on a goroutine a core unless scanned holds what
// its eachOf(want, from, to) found, and the times in [from, to) that no
// loaded segment covers, to be read from checkins.
func (v *segmentView) visitsOf(want *personSet, from, to int64, scanned map[*segment][]segVisit) ([]segVisit, []jaga.Interval, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var segs []*segment
	var gaps []jaga.Interval
	cursor := from
	for _, s := range v.segs {
		if s.to <= cursor {
			continue
		}
		if s.from >= to {
			break
		}
		if s.from > cursor {
			gaps = append(gaps, jaga.Interval{From: fromMicros(cursor), To: fromMicros(s.from)})
		}
		segs = append(segs, s)
		cursor = min(to, s.to)
	}
	if cursor < to {
		gaps = append(gaps, jaga.Interval{From: fromMicros(cursor), To: fromMicros(to)})
	}
	found := make([][]segVisit, len(segs))
	err := forEach(len(segs), runtime.GOMAXPROCS(0), func(_, i int) error {
		s := segs[i]
		keep := func(sv segVisit) {
			if !v.replaced[segVisitKey{sv.premises, sv.person, sv.in}] {
				found[i] = append(found[i], sv)
			}
		}
		if vs, ok := scanned[s]; ok {
			for _, sv := range vs {
				keep(sv)
			}
			return nil
		}
		if err := s.eachOf(want, from, to, keep); err != nil {
			return fmt.Errorf("check-in segment at %d: %w", s.from, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var out []segVisit
	for _, f := range found {
		out = append(out, f...)
	}
	for _, cs := range v.changed {
		for _, c := range cs {
			if want.has(c.person) && c.in >= from && c.in < to {
				out = append(out, c)
			}
		}
	}
	return out, gaps, nil
}
