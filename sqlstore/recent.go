package sqlstore

import (
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jaga-health/jaga"
)

// newTimeID returns an id that sorts by time: 12 hex digits of
// milliseconds since 1970, then 20 random hex digits.
func newTimeID(t time.Time) string {
	return timeIDPrefix(t) + randomHex(10)
}

// timeIDPrefix is the part of a time-ordered id that holds t.
func timeIDPrefix(t time.Time) string {
	return fmt.Sprintf("%012x", t.UnixMilli())
}

// recentVisit is a person's latest visit as the writer last wrote it.
type recentVisit struct {
	id, premisesID string
	at, leaves     time.Time
	closed         bool
}

// recentVisits remembers each person's latest visit, so that the writer
// can tell a repeated check-in without reading the database. It is used
// only where this process is the database's only writer (SQLite): every
// visit written since since is in it, so for a window that starts after
// since, a person it does not know has no visit in the window.
type recentVisits struct {
	mu       sync.Mutex // guards byPerson; the writer and check-out both use it
	since    time.Time
	byPerson map[string]*recentVisit
	swept    time.Time
}

// maxRecentVisits bounds the memory of recentVisits; past it, entries older
// than the same-visit window are swept.
const maxRecentVisits = 2_000_000

func newRecentVisits(since time.Time) *recentVisits {
	return &recentVisits{since: since, byPerson: map[string]*recentVisit{}}
}

// get returns the person's latest visit and whether the answer is known:
// false means the database must be asked.
func (r *recentVisits) get(personID string, windowStart time.Time) (*recentVisit, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.byPerson[personID]; ok {
		return v, true
	}
	return nil, !windowStart.Before(r.since)
}

// put records visits written by a committed transaction.
func (r *recentVisits) put(visits map[string]*recentVisit, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for person, v := range visits {
		if old, ok := r.byPerson[person]; ok && old.at.After(v.at) && old.id != v.id {
			continue // an offline upload of an older visit
		}
		r.byPerson[person] = v
	}
	if len(r.byPerson) > maxRecentVisits && now.Sub(r.swept) > time.Minute {
		for p, v := range r.byPerson {
			if now.Sub(v.at) > jaga.SameVisitWindow+time.Minute {
				delete(r.byPerson, p)
			}
		}
		r.swept = now
		// Forgotten entries are older than any window still asked about.
	}
}

// recentVisit returns what the writer knows of the person's latest visit,
// looking first at what this transaction has written.
func (tx *Tx) recentVisit(personID string, windowStart time.Time) (*recentVisit, bool) {
	if v, ok := tx.pending[personID]; ok {
		return v, true
	}
	if tx.db.recent == nil {
		return nil, false
	}
	return tx.db.recent.get(personID, windowStart)
}

// noteVisit records a visit this transaction wrote, for recentVisits once
// the transaction commits.
func (tx *Tx) noteVisit(personID string, v *recentVisit) {
	if tx.pending == nil {
		tx.pending = map[string]*recentVisit{}
	}
	tx.pending[personID] = v
}

// visitSeq makes visit ids unique within a microsecond.
var visitSeq atomic.Uint64

// newVisitID returns a visit id that sorts by time: the check-in time in
// microseconds shifted left by 10 bits, plus a counter. Ids made in the
// same microsecond differ while fewer than 1,024 are made in it.
func newVisitID(t time.Time) int64 {
	return t.UnixMicro()<<10 | int64(visitSeq.Add(1)&1023)
}

// visitIDBefore is the smallest visit id of a check-in at or after t.
func visitIDBefore(t time.Time) int64 { return t.UnixMicro() << 10 }

// formatVisitID is how a visit id is shown.
func formatVisitID(id int64) string { return strconv.FormatInt(id, 10) }

// parseVisitID reads a visit id as formatVisitID shows it.
func parseVisitID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// micros is how check-in rows store a time: Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros reads a time stored by micros.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// visitTimes reads a check-in row's times.
func visitTimes(in, leaves int64, outAt sql.NullInt64) (time.Time, time.Time, *time.Time) {
	if !outAt.Valid {
		return fromMicros(in), fromMicros(leaves), nil
	}
	t := fromMicros(outAt.Int64)
	return fromMicros(in), fromMicros(leaves), &t
}
