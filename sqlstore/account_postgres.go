package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/jaga-health/jaga"
)

// pgChallenge is a sign-in code asked for in a group-commit transaction on
// PostgreSQL, checked against the send limits and written with the others
// of its batch by flushChallenges; ch or refusal is its answer once the
// transaction has committed.
type pgChallenge struct {
	purpose string
	contact jaga.Contact
	ch      *jaga.Challenge
	refusal error
}

// flushChallenges checks and writes the queued sign-in codes in four
// statements whatever their number: the destinations' advisory locks (in
// one order, so that two servers cannot deadlock), their sends in the
// window, then the challenges and the messages. Requests are judged in the
// order they were queued, each seeing the codes sent before it in the
// batch, exactly as one transaction each would.
func (tx *Tx) flushChallenges(ctx context.Context) error {
	if len(tx.pgChallenges) == 0 {
		return nil
	}
	defer func() { tx.pgChallenges = tx.pgChallenges[:0] }()
	seen := map[string]bool{}
	var dests []string
	for _, q := range tx.pgChallenges {
		if !seen[q.contact.Value] {
			seen[q.contact.Value] = true
			dests = append(dests, q.contact.Value)
		}
	}
	sort.Strings(dests)
	if _, err := tx.execHot(ctx, `SELECT count(pg_advisory_xact_lock($1, hashtext(d))) FROM unnest($2::text[]) AS d`,
		challengeLockClass, dests); err != nil {
		return fmt.Errorf("start challenges: %w", err)
	}
	type sends struct {
		n    int
		last sql.NullTime
	}
	state := make(map[string]*sends, len(dests))
	for _, d := range dests {
		state[d] = &sends{}
	}
	// One index probe a destination, whatever the planner knows of the
	// table: with ANY(...) over a fresh table it scanned the whole table.
	rows, err := tx.queryHot(ctx, `
		SELECT d.d, s.n, s.last FROM unnest($1::text[]) AS d(d)
		CROSS JOIN LATERAL (
			SELECT count(*) AS n, max(c.created_at) AS last FROM challenges c
			WHERE c.destination = d.d AND c.created_at > $2) s
		WHERE s.n > 0`,
		dests, tx.now.Add(-jaga.CodeSendWindow))
	if err != nil {
		return fmt.Errorf("start challenges: %w", err)
	}
	for rows.Next() {
		var d string
		var n int
		var last time.Time
		if err := rows.Scan(&d, &n, &last); err != nil {
			rows.Close()
			return fmt.Errorf("start challenges: %w", err)
		}
		if s := state[d]; s != nil {
			s.n, s.last = n, sql.NullTime{Time: last, Valid: true}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("start challenges: %w", err)
	}
	var ids, purposes, kinds, destinations, hashes, bodies []string
	for _, q := range tx.pgChallenges {
		q.ch, q.refusal = nil, nil
		s := state[q.contact.Value]
		if err := sendLimit(s.n, s.last, tx.now); err != nil {
			q.refusal = err
			continue
		}
		code := newCode()
		q.ch = &jaga.Challenge{ID: newTimeID(tx.now), Purpose: q.purpose, Contact: q.contact, ExpiresAt: tx.now.Add(jaga.CodeTTL)}
		ids, purposes, kinds = append(ids, q.ch.ID), append(purposes, q.purpose), append(kinds, q.contact.Kind)
		destinations, hashes = append(destinations, q.contact.Value), append(hashes, hashSecret(q.ch.ID, code))
		bodies = append(bodies, codeMessage(code))
		s.n, s.last = s.n+1, sql.NullTime{Time: tx.now, Valid: true}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.execHot(ctx, `
		INSERT INTO challenges (id, purpose, contact_kind, destination, code_hash, attempts, expires_at, created_at)
		SELECT id, purpose, kind, destination, hash, 0, $6, $7
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS i(id, purpose, kind, destination, hash)`,
		ids, purposes, kinds, destinations, hashes, tx.now.Add(jaga.CodeTTL), tx.now); err != nil {
		return fmt.Errorf("start challenges: %w", err)
	}
	if _, err := tx.execHot(ctx, `
		INSERT INTO outbox (channel, destination, subject, body, created_at, attempts)
		SELECT kind, destination, $4, body, $5, 0
		FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(kind, destination, body, n) ORDER BY n`,
		kinds, destinations, bodies, codeSubject, tx.now); err != nil {
		return fmt.Errorf("start challenges: %w", err)
	}
	return nil
}
