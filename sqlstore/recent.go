package sqlstore

import (
	"fmt"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// newTimeID returns a visit id that sorts by time: 12 hex digits of
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
