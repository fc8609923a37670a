package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// visitorCard is what a check-in needs of a person: whether they exist,
// their guardian, and what the door shows.
type visitorCard struct {
	guardianID, name, language, risk, vaccination string
	seq                                           int64 // people.seq, the person in check-in rows
	riskUntil                                     sql.NullTime
	fetched                                       time.Time
}

// visitorCards keeps visitorCard by person id, so that a check-in reads no
// row. Every transaction of this process that changes people forgets what
// it changed while it still holds its locks, and again after it commits
// (see Tx.ExecContext and Tx.Commit). A card is trusted for at most
// visitorCardTTL, which bounds what another process could leave stale.
// Unknown people are never cached.
//
// A card read before a forget is not kept (generations), so a read that
// raced a change cannot leave the old row behind. On PostgreSQL, where
// other servers write the same people, the cards are used only while this
// server listens for the database's notice of every statement that
// changes people (migration 0013; ListenPeopleChanges), which forgets all
// cards.
type visitorCards struct {
	mu  sync.Mutex // guards m and gen
	m   map[string]*visitorCard
	gen uint64 // raised by every forget
}

// Limits of visitorCards.
const (
	visitorCardTTL  = time.Minute
	maxVisitorCards = 1_000_000
)

// get returns the card of id, or nil.
func (c *visitorCards) get(id string, now time.Time) *visitorCard {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[id]
	if v == nil || now.Sub(v.fetched) > visitorCardTTL || v.fetched.After(now) {
		return nil
	}
	return v
}

// generation returns the current generation, to pass to put.
func (c *visitorCards) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v unless a forget has happened since generation returned gen:
// then v may have been read before the change that forget announced.
func (c *visitorCards) put(id string, v *visitorCard, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxVisitorCards {
		c.m = map[string]*visitorCard{}
	}
	c.m[id] = v
}

// forget drops the cards of ids, or all cards when all is set.
func (c *visitorCards) forget(ids []string, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if all {
		c.m = nil
		return
	}
	for _, id := range ids {
		delete(c.m, id)
	}
}

// changesPeople reports whether a statement may change rows of people:
// any statement run for its effect (exec) that names the table, or a
// query that updates, deletes from or inserts into it. It errs on the side
// of yes: a false yes only empties the cards.
func changesPeople(query string, exec bool) bool {
	for rest := query; ; {
		i := strings.Index(rest, "people")
		if j := strings.Index(rest, "PEOPLE"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			return false
		}
		if exec {
			return true
		}
		w1, before := lastWord(rest[:i])
		w2, _ := lastWord(before)
		switch {
		case strings.EqualFold(w1, "UPDATE"), strings.EqualFold(w1, "INTO"),
			strings.EqualFold(w1, "FROM") && strings.EqualFold(w2, "DELETE"):
			return true
		}
		rest = rest[i+len("people"):]
	}
}

// lastWord returns the last word of s and what precedes it.
func lastWord(s string) (word, before string) {
	s = strings.TrimRight(s, " \t\r\n")
	i := strings.LastIndexAny(s, " \t\r\n(,")
	return s[i+1:], s[:i+1]
}

// notePeopleWrite records that tx may have changed people, so that the
// visitor cards are forgotten at commit.
func (tx *Tx) notePeopleWrite(query string, exec bool) {
	if tx.db.cards != nil && changesPeople(query, exec) {
		tx.peopleChanged = true
	}
}

// forgetCard records that tx changed the person id, whose card is
// forgotten at commit.
func (tx *Tx) forgetCard(id string) {
	if tx.db.cards != nil {
		tx.changedPeople = append(tx.changedPeople, id)
	}
}

// forgetCards drops the cards tx may have changed.
func (tx *Tx) forgetCards() {
	if tx.db.cards == nil || (!tx.peopleChanged && len(tx.changedPeople) == 0) {
		return
	}
	tx.db.cards.forget(tx.changedPeople, tx.peopleChanged)
}

// ExecContext is sql.Tx's, noting writes to people for the visitor cards.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.notePeopleWrite(query, true)
	if err := tx.begin(ctx); err != nil {
		return nil, err
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext is sql.Tx's, noting writes to people for the visitor cards.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.notePeopleWrite(query, false)
	if err := tx.begin(ctx); err != nil {
		return nil, err
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext is sql.Tx's, noting writes to people for the visitor
// cards.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	tx.notePeopleWrite(query, false)
	if err := tx.begin(ctx); err != nil {
		// A row that reports an error: the pool, asked with a context
		// that has ended, runs nothing. The batch fails and its writer
		// takes another connection (beginErr).
		ended, cancel := context.WithCancel(ctx)
		cancel()
		return tx.db.db.QueryRowContext(ended, query, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// PrepareContext is sql.Tx's.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := tx.begin(ctx); err != nil {
		return nil, err
	}
	return tx.Tx.PrepareContext(ctx, query)
}

// Rollback rolls tx back and forgets the visitor cards it may have changed:
// a card read inside tx may hold a change that is now undone. A
// transaction that never began has nothing to roll back.
func (tx *Tx) Rollback() error {
	if tx.Tx == nil {
		return nil
	}
	err := tx.Tx.Rollback()
	if err == nil {
		tx.forgetCards()
	}
	return err
}

// Commit writes the visits and sign-in codes queued on PostgreSQL and
// commits tx. Visitor cards tx may have changed are forgotten before (while
// tx holds SQLite's write lock, so the writer cannot read the old row
// again) and after.
//
// A PostgreSQL writer's transaction in which nothing has run yet and that
// holds only check-ins is their one insert statement, committed on its
// own: one round trip instead of three (BEGIN, the statement, COMMIT),
// each of which waited about 1.5 ms for a busy core (docs/performance.md).
func (tx *Tx) Commit() error {
	ctx := context.Background()
	if tx.Tx == nil && tx.beginErr == nil && tx.visitsAlone() {
		err := tx.flushVisits(ctx)
		tx.forgetCards()
		return err
	}
	if err := tx.begin(ctx); err != nil {
		return err
	}
	if err := tx.flushVisits(ctx); err != nil {
		return err
	}
	if err := tx.flushChallenges(ctx); err != nil {
		return err
	}
	tx.forgetCards()
	err := tx.Tx.Commit()
	tx.forgetCards()
	return err
}
