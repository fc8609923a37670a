package sqlstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// sharedCards returns the visitor cards that check-ins may use: always on
// SQLite, whose file has this one server; on PostgreSQL only while this
// server hears of every change to people (ListenPeopleChanges).
func (db *DB) sharedCards() *visitorCards {
	if db.dialect == Postgres && !db.cardsLive.Load() {
		return nil
	}
	return db.cards
}

// ListenPeopleChanges lets check-ins on PostgreSQL use what this server
// keeps in memory as SQLite's single server does: until ctx ends it
// listens on a connection of its own for the notices that migrations 0013,
// 0015 and 0016 send from any server, forgets all visitor cards after every
// statement that changes or removes people, forgets each session that
// ends and each premises that changes, and reads the recorded traces again
// when a batch is recorded or applied. While it listens, cards are used
// and sessions and premises are kept until they change; while it does not
// (before it starts, after a broken connection, until it listens again a
// second later) cards are not used and sessions and premises are read
// again after their TTLs. onError, if not nil, hears why listening
// stopped. It does nothing on SQLite.
func (db *DB) ListenPeopleChanges(ctx context.Context, onError func(error)) {
	if db.dialect != Postgres {
		return
	}
	for {
		err := db.listenPeopleChanges(ctx)
		db.cardsLive.Store(false)
		db.forgetShared()
		if ctx.Err() != nil {
			return
		}
		if onError != nil && err != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// forgetShared drops the visitor cards, sessions and premises that other
// servers may change: what was kept while not listening, or before.
func (db *DB) forgetShared() {
	db.cards.forget(nil, true)
	db.sessions.clear()
	db.premises.forget("")
}

// peopleChangesChannel is the notice channel of schema's people, cut to
// the 63 bytes of a PostgreSQL identifier as migration 0013 cuts it.
func peopleChangesChannel(schema string) string { return noticeChannel("jaga_people_", schema) }

// sessionChangesChannel and premisesChangesChannel are the notice channels
// of schema's ended sessions and changed premises (migration 0015).
func sessionChangesChannel(schema string) string  { return noticeChannel("jaga_sessions_", schema) }
func premisesChangesChannel(schema string) string { return noticeChannel("jaga_premises_", schema) }

// tracesChangesChannel is the notice channel of schema's recorded traces
// (migration 0016).
func tracesChangesChannel(schema string) string { return noticeChannel("jaga_traces_", schema) }

// tracesChanged has the recorded traces read again, soon, off the
// listener's goroutine.
func (db *DB) tracesChanged() {
	if p := db.pending.Load(); p != nil {
		p.stale.Store(true)
		go db.traces(context.Background())
	}
}

func noticeChannel(prefix, schema string) string {
	c := prefix + schema
	if len(c) > 63 {
		c = c[:63]
	}
	return c
}

func (db *DB) listenPeopleChanges(ctx context.Context) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("people changes: %w", err)
	}
	defer func() {
		// A listening connection is closed, never handed to others.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	var schema string
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("people changes: %w", err)
	}
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("people changes: not a pgx connection: %T", dc)
		}
		pc := sc.Conn()
		sessions, premises, traces := sessionChangesChannel(schema), premisesChangesChannel(schema), tracesChangesChannel(schema)
		for _, channel := range []string{peopleChangesChannel(schema), sessions, premises, traces} {
			if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
				return fmt.Errorf("people changes: %w", err)
			}
		}
		// Changes before LISTEN were not heard: start from nothing kept.
		db.forgetShared()
		db.cardsLive.Store(true)
		db.tracesChanged()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("people changes: %w", err)
			}
			switch n.Channel {
			case premises:
				db.premises.forget(n.Payload) // "": all of them
			case traces:
				db.tracesChanged()
			case sessions:
				if n.Payload == "" {
					db.sessions.clear()
				} else {
					db.sessions.forget(n.Payload)
				}
			default:
				db.cards.forget(nil, true)
			}
		}
	})
}
