package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jaga-health/jaga"
)

// pgVisit is a check-in queued in a group-commit transaction on
// PostgreSQL, written with the others of its batch in one statement by
// flushVisits.
type pgVisit struct {
	v       *jaga.Visit
	id      int64
	seq     int64 // people.seq
	premSeq int64 // premises.seq
	leaves  time.Time
	created time.Time
	actorID string
	force   bool // written as a new visit whatever the database holds
	dupOf   int  // if ≥ 0: the same visit as pending visit dupOf
}

// queueVisitPostgres queues v for flushVisits. A person already checked
// in earlier in this transaction is judged against that check-in, which
// the database cannot see yet: at the same premises within the window it
// is the same visit, elsewhere a new one.
func (tx *Tx) queueVisitPostgres(v *jaga.Visit, personSeq int64, p *jaga.Premises, actorID string) {
	q := pgVisit{v: v, id: newVisitID(v.CheckedInAt), seq: personSeq, premSeq: p.Seq, leaves: v.CheckedInAt.Add(p.DefaultStay()),
		created: tx.now, actorID: actorID, dupOf: -1}
	v.PremisesID = p.ID
	for i := len(tx.pgVisits) - 1; i >= 0; i-- {
		prev := tx.pgVisits[i]
		if prev.v.PersonID != v.PersonID || prev.dupOf >= 0 {
			continue
		}
		q.force = true
		if prev.v.PremisesID == p.ID && !prev.v.CheckedInAt.After(v.CheckedInAt) &&
			prev.v.CheckedInAt.After(v.CheckedInAt.Add(-jaga.SameVisitWindow)) {
			q.dupOf = i
		}
		break
	}
	tx.pgVisits = append(tx.pgVisits, q)
}

// flushVisits writes the queued visits in one round trip: for each, the
// server finds the person's latest open visit in the window and inserts
// only if it is at other premises; the visits that were the same visit
// come back with the stored one.
// visitsAlone reports whether the check-ins queued are all that tx has to
// write: no sign-in codes, and no check-in whose hour's segment may have
// been built already (noteChange would write for it).
func (tx *Tx) visitsAlone() bool {
	if len(tx.pgChallenges) > 0 {
		return false
	}
	late := tx.now.Add(-segmentGrace)
	for _, q := range tx.pgVisits {
		if q.v.CheckedInAt.Before(late) {
			return false
		}
	}
	return true
}

func (tx *Tx) flushVisits(ctx context.Context) error {
	if len(tx.pgVisits) == 0 {
		return nil
	}
	n := len(tx.pgVisits)
	ids, people, premises := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	sources, actors := make([]string, 0, n), make([]string, 0, n)
	ats, leaves, since, created := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	force := make([]bool, 0, n)
	rowOf := make([]int, 0, n) // statement row (from 1) → pending index
	for i, q := range tx.pgVisits {
		if q.dupOf >= 0 {
			continue
		}
		actor := q.actorID
		if actor == q.v.PersonID {
			actor = "" // stored as NULL: the person checked in themselves
		}
		ids, people, premises = append(ids, q.id), append(people, q.seq), append(premises, q.premSeq)
		sources, actors = append(sources, q.v.Source), append(actors, actor)
		ats, leaves = append(ats, micros(q.v.CheckedInAt)), append(leaves, micros(q.leaves))
		since, created = append(since, micros(q.v.CheckedInAt.Add(-jaga.SameVisitWindow))), append(created, micros(q.created))
		force = append(force, q.force)
		rowOf = append(rowOf, i)
	}
	query := `
		WITH input AS (
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
				$6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::boolean[])
				WITH ORDINALITY AS i(id, person, premises, at, leaves, source, actor_id, since, created, force, n)),
		same AS (
			SELECT i.n, l.id, l.checked_in_at, l.leaves_at FROM input i
			CROSS JOIN LATERAL (
				SELECT c.id, c.premises, c.checked_in_at, c.leaves_at FROM checkins c
				WHERE c.person = i.person AND c.checked_in_at > i.since AND c.checked_in_at <= i.at AND c.checked_out_at IS NULL
				ORDER BY c.checked_in_at DESC LIMIT 1) l
			WHERE NOT i.force AND l.premises = i.premises),
		ins AS (
			INSERT INTO checkins (id, person, premises, checked_in_at, leaves_at, source, actor_id, created_at)
			SELECT i.id, i.person, i.premises, i.at, i.leaves, i.source, NULLIF(i.actor_id, ''), NULLIF(i.created, i.at) FROM input i
			WHERE NOT EXISTS (SELECT 1 FROM same s WHERE s.n = i.n))
		SELECT n, id, checked_in_at, leaves_at FROM same`
	args := []any{ids, people, premises, ats, leaves, sources, actors, since, created, force}
	var rows *sql.Rows
	var err error
	if tx.Tx == nil {
		// visitsAlone: the statement is the whole transaction.
		rows, err = tx.conn.QueryContext(ctx, query, args...)
	} else {
		rows, err = tx.queryHot(ctx, query, args...)
	}
	if err != nil {
		return fmt.Errorf("record visits: %w", err)
	}
	defer rows.Close()
	same := make(map[int]bool)
	for rows.Next() {
		var row int
		var id, at, leaves int64
		if err := rows.Scan(&row, &id, &at, &leaves); err != nil {
			return fmt.Errorf("record visits: %w", err)
		}
		if row < 1 || row > len(rowOf) {
			return fmt.Errorf("record visits: row %d out of range", row)
		}
		v := tx.pgVisits[rowOf[row-1]].v
		v.ID, v.CheckedInAt, v.LeavesAt, v.SameVisit = formatVisitID(id), fromMicros(at), fromMicros(leaves), true
		same[rowOf[row-1]] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("record visits: %w", err)
	}
	for i, q := range tx.pgVisits {
		switch {
		case q.dupOf >= 0:
			first := tx.pgVisits[q.dupOf].v
			q.v.ID, q.v.CheckedInAt, q.v.LeavesAt, q.v.SameVisit = first.ID, first.CheckedInAt, first.LeavesAt, true
		case !same[i]:
			q.v.ID, q.v.LeavesAt, q.v.SameVisit = formatVisitID(q.id), q.leaves, false
			if err := tx.noteChange(ctx, q.id, q.v.CheckedInAt); err != nil {
				return err
			}
		}
	}
	tx.pgVisits = tx.pgVisits[:0]
	return nil
}
