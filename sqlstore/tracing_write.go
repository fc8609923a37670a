package sqlstore

// Tracing's writing half (apply): what collect found, written with as few
// statements as the engine allows. The statuses the touched people
// already hold are read once, so that deciding what is new, what is
// extended and what each person's door shows happens in memory; then one
// multi-row insert a thousand statuses, one door-status update a few
// thousand people (each person's row touched once, and only when what it
// shows changes), and the messages in multi-row inserts into the outbox.
// On SQLite, apply runs on a connection without foreign-key checks (see
// TracingService.inTx) and its statements end the transaction if they
// fail (orRollback): either way SQLite would journal every page a
// multi-row statement changes, in case it had to undo it alone.

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// Sizes of the writing half's statements, within SQLite's 32,766
// parameters.
const (
	peoplePerRead  = 2000 // people in one IN (...) read
	statusesPerRow = 16   // parameters of one inserted status
	rowsPerInsert  = 1000 // statuses in one multi-row insert
	doorsPerUpdate = 2000 // people in one door-status update (3 parameters each)
)

// statusKey is what makes a status unique: one a case, person, rule and
// premises (the index risk_statuses_case).
type statusKey struct{ caseRef, personID, rule, premisesID string }

func keyOf(s *jaga.RiskStatus) statusKey {
	return statusKey{s.CaseRef, s.PersonID, s.Rule, s.PremisesID}
}

// apply writes the statuses tracing gave, in tx. A status that a case
// already gave the person by the same rule at the same premises is left
// alone, unless it is a check-in status whose exposure now ends later,
// which is extended; the others are inserted. Each person whose statuses
// changed gets the door status of their highest status in force
// (jaga.RiskRules.Current's order, on the stored precedence), written only
// if it differs from what their row shows, and is told when what they are
// shown changed. It returns the new statuses by case id.
func (tx *Tx) apply(ctx context.Context, given []givenStatus, cfg *jaga.TracingConfig) (map[string]int, error) {
	var people []string
	seen := map[string]bool{}
	for i := range given {
		if id := given[i].st.PersonID; !seen[id] {
			seen[id] = true
			people = append(people, id)
		}
	}
	sort.Strings(people)
	doors, err := tx.doorStates(ctx, people)
	if err != nil {
		return nil, err
	}
	if len(doors) != len(people) {
		// What the foreign key would say, had inTx not turned it off.
		return nil, fmt.Errorf("trace: %d of %d contacts are no one", len(people)-len(doors), len(people))
	}
	held, err := tx.heldStatuses(ctx, people)
	if err != nil {
		return nil, err
	}
	keyed := map[statusKey]*jaga.RiskStatus{}
	for _, sts := range held {
		for _, s := range sts {
			keyed[keyOf(s)] = s
		}
	}
	news := map[string]int{}
	changed := map[string]bool{}
	var inserts []*jaga.RiskStatus
	var extends []*jaga.RiskStatus
	extended := map[*jaga.RiskStatus]bool{}
	for i := range given {
		st := given[i].st
		// Times as PostgreSQL keeps them, so that tracing again compares
		// equal.
		st.StartsAt, st.EndsAt = st.StartsAt.Truncate(time.Microsecond), st.EndsAt.Truncate(time.Microsecond)
		if st.Exposure != nil {
			st.Exposure = &jaga.Interval{From: st.Exposure.From.Truncate(time.Microsecond), To: st.Exposure.To.Truncate(time.Microsecond)}
		}
		k := keyOf(&st)
		if ex := keyed[k]; ex != nil {
			if st.Rule == jaga.RuleCheckIn && st.EndsAt.After(ex.EndsAt) {
				ex.EndsAt, ex.Exposure = st.EndsAt, st.Exposure
				if !extended[ex] {
					extended[ex] = true
					extends = append(extends, ex)
				}
				changed[st.PersonID] = true
			}
			continue
		}
		if st.ID == "" { // recorded statuses have theirs
			st.ID = newTimeID(tx.now)
		}
		st.Precedence = cfg.Rules[st.Status].Precedence
		s := &st
		keyed[k] = s
		held[st.PersonID] = append(held[st.PersonID], s)
		inserts = append(inserts, s)
		news[given[i].caseID]++
		changed[st.PersonID] = true
	}
	// In id order, so that the primary key's index grows at its end.
	sort.Slice(inserts, func(i, j int) bool { return inserts[i].ID < inserts[j].ID })
	if err := tx.insertStatuses(ctx, inserts); err != nil {
		return nil, err
	}
	for _, s := range extends {
		if _, err := tx.ExecContext(ctx, `UPDATE risk_statuses SET ends_at = $1, exposed_from = $2, exposed_to = $3, reason = $4 WHERE id = $5`,
			s.EndsAt, s.Exposure.From, s.Exposure.To, jaga.ReasonText("en", s), s.ID); err != nil {
			return nil, fmt.Errorf("extend status: %w", err)
		}
	}
	var touched []string
	for _, id := range people {
		if changed[id] {
			touched = append(touched, id)
		}
	}
	return news, tx.showStatuses(ctx, touched, held, doors)
}

// heldStatuses returns the statuses people hold, in force or not, by
// person.
func (tx *Tx) heldStatuses(ctx context.Context, people []string) (map[string][]*jaga.RiskStatus, error) {
	out := map[string][]*jaga.RiskStatus{}
	for i := 0; i < len(people); i += peoplePerRead {
		chunk := people[i:min(i+peoplePerRead, len(people))]
		// By the person index: SQLite's planner is told so; PostgreSQL's
		// joins an array it takes to be short rather than scan a table
		// its statistics may still call small.
		from, args := `risk_statuses`+tx.db.indexedBy("risk_statuses_person")+` WHERE person_id IN (`+tx.db.params().list(len(chunk))+`)`, anys(chunk)
		if tx.db.dialect == Postgres {
			from, args = `unnest($1::text[]) AS p (id) JOIN risk_statuses ON person_id = p.id`, []any{chunk}
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT risk_statuses.id, person_id, status, rule, COALESCE(case_ref, ''), premises_id, premises_name, exposed_from,
				exposed_to, link, declared_by, starts_at, ends_at, precedence
			FROM `+from, args...)
		if err != nil {
			return nil, fmt.Errorf("held statuses: %w", err)
		}
		for rows.Next() {
			s := &jaga.RiskStatus{}
			var from, to sql.NullTime
			if err := rows.Scan(&s.ID, &s.PersonID, &s.Status, &s.Rule, &s.CaseRef, &s.PremisesID, &s.PremisesName, &from, &to, &s.Link,
				&s.DeclaredBy, &s.StartsAt, &s.EndsAt, &s.Precedence); err != nil {
				rows.Close()
				return nil, fmt.Errorf("held statuses: %w", err)
			}
			s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
			if from.Valid && to.Valid {
				s.Exposure = &jaga.Interval{From: from.Time.UTC(), To: to.Time.UTC()}
			}
			out[s.PersonID] = append(out[s.PersonID], s)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("held statuses: %w", err)
		}
	}
	return out, nil
}

// indexedBy returns SQLite's clause that makes a query use index, or ""
// on PostgreSQL. Reading a few thousand people's statuses by IN (...),
// SQLite would rather scan the table while its statistics say it is
// small, as they do until the next ANALYZE after a day's tracing.
func (db *DB) indexedBy(index string) string {
	if db.dialect == SQLite {
		return " INDEXED BY " + index
	}
	return ""
}

// anys returns ids as query arguments.
func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// bulk writes rows with multi-row statements of perStmt rows, and the
// rows left at the end in statements of powers of two rows: the texts
// repeat from one transaction to the next, so each is parsed once and
// then prepared (Tx.execHot). Parsing a nearly full statement again in
// every transaction took 14 % of TraceDay's time (docs/performance.md).
type bulk struct {
	tx      *Tx
	perRow  int                              // parameters a row
	perStmt int                              // rows a statement
	sql     func(rows int, p *params) string // the statement for rows rows
	what    string                           // for errors

	args []any
}

// add queues a row, and writes the queued rows once there are perStmt.
func (b *bulk) add(ctx context.Context, row ...any) error {
	b.args = append(b.args, row...)
	if len(b.args) < b.perRow*b.perStmt {
		return nil
	}
	return b.write(ctx, b.perStmt)
}

// write writes the first n queued rows in one statement.
func (b *bulk) write(ctx context.Context, n int) error {
	k := n * b.perRow
	_, err := b.tx.execHot(ctx, b.sql(n, b.tx.db.params()), b.args[:k]...)
	b.args = append(b.args[:0], b.args[k:]...)
	if err != nil {
		b.args = b.args[:0]
		return fmt.Errorf("%s: %w", b.what, err)
	}
	return nil
}

// flush writes the queued rows, the largest power of two of them a
// statement.
func (b *bulk) flush(ctx context.Context) error {
	for len(b.args) > 0 {
		rows := len(b.args) / b.perRow
		if err := b.write(ctx, 1<<(bits.Len(uint(rows))-1)); err != nil {
			return err
		}
	}
	return nil
}

// rowsOf returns n rows of perRow parameters each, as VALUES lists them;
// cast follows each row's last parameter.
func rowsOf(n, perRow int, p *params, cast string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + p.list(perRow) + cast + ")")
	}
	return b.String()
}

// insertStatuses inserts new statuses, rowsPerInsert a statement.
func (tx *Tx) insertStatuses(ctx context.Context, sts []*jaga.RiskStatus) error {
	// On SQLite the transaction holds the write lock since apply read
	// what the people hold, so no other writer can have inserted a row
	// meanwhile; on PostgreSQL one can, and the upsert treats it as
	// upsertStatuses does.
	upsert := `ON CONFLICT (case_ref, person_id, rule, premises_id) DO UPDATE SET
			ends_at = excluded.ends_at, exposed_from = excluded.exposed_from, exposed_to = excluded.exposed_to,
			reason = excluded.reason
		WHERE excluded.rule = '` + jaga.RuleCheckIn + `' AND excluded.ends_at > risk_statuses.ends_at`
	if tx.db.dialect == SQLite {
		upsert = ""
	}
	w := &bulk{tx: tx, perRow: statusesPerRow, perStmt: rowsPerInsert, what: "insert statuses", sql: func(n int, p *params) string {
		return `INSERT` + tx.db.orRollback() + ` INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at,
			precedence, case_ref, premises_id, premises_name, exposed_from, exposed_to, link, declared_by)
		VALUES ` + rowsOf(n, statusesPerRow, p, "") + upsert
	}}
	for _, s := range sts {
		var from, to any
		if s.Exposure != nil {
			from, to = s.Exposure.From, s.Exposure.To
		}
		if err := w.add(ctx, s.ID, s.PersonID, s.Status, s.Rule, jaga.ReasonText("en", s), s.StartsAt, s.EndsAt, tx.now,
			s.Precedence, nullString(s.CaseRef), s.PremisesID, s.PremisesName, from, to, s.Link, s.DeclaredBy); err != nil {
			w.flush(ctx)
			return err
		}
	}
	return w.flush(ctx)
}

// orRollback returns SQLite's conflict clause that ends the transaction
// when a statement fails, or "" on PostgreSQL, where that is what any
// failure does. A multi-row statement that SQLite would undo alone when it
// fails half-way first copies every page it changes to a statement
// journal; one that ends the transaction does not.
func (db *DB) orRollback() string {
	if db.dialect == SQLite {
		return " OR ROLLBACK"
	}
	return ""
}

// showStatuses sets the door status of people from the statuses they
// hold (held, by person), writing a person's row only when it differs
// from what it shows (doors, from doorStates), and tells each whose shown
// status changed.
func (tx *Tx) showStatuses(ctx context.Context, people []string, held map[string][]*jaga.RiskStatus, doors map[string]doorState) error {
	type door struct {
		id, status string
		until      any
	}
	var writes []door
	var notes []notice
	for _, id := range people {
		d, ok := doors[id]
		if !ok {
			continue // no such person: the insert would have failed
		}
		cur := currentOf(held[id], tx.now)
		w := door{id: id, status: jaga.RiskLow}
		if cur != nil {
			w.status, w.until = cur.Status, cur.EndsAt
		}
		if w.status != d.stored || (cur == nil) != d.until.IsZero() || (cur != nil && !cur.EndsAt.Equal(d.until)) {
			writes = append(writes, w)
		}
		if w.status == d.status && (cur == nil || cur.EndsAt.Equal(d.until)) {
			continue
		}
		if cur == nil {
			cur = &jaga.RiskStatus{Status: jaga.RiskLow}
		}
		notes = append(notes, notice{to: d, status: cur})
	}
	cast := ""
	if tx.db.dialect == Postgres {
		cast = "::timestamptz"
	}
	w := &bulk{tx: tx, perRow: 3, perStmt: doorsPerUpdate, what: "door statuses", sql: func(n int, p *params) string {
		return `WITH v (id, status, until) AS (VALUES ` + rowsOf(n, 3, p, cast) + `)
			UPDATE` + tx.db.orRollback() + ` people SET risk_status = v.status, risk_until = v.until FROM v WHERE people.id = v.id`
	}}
	for _, d := range writes {
		if err := w.add(ctx, d.id, d.status, d.until); err != nil {
			w.flush(ctx)
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	return tx.notifyAll(ctx, notes)
}

// currentOf returns the status in force at now that a person's door
// shows, or nil for low risk: the highest stored precedence, then the
// later start, then the later end (jaga.RiskRules.Current's order).
func currentOf(sts []*jaga.RiskStatus, now time.Time) *jaga.RiskStatus {
	var best *jaga.RiskStatus
	for _, s := range sts {
		if !s.InForce(now) {
			continue
		}
		if best == nil || s.Precedence > best.Precedence || (s.Precedence == best.Precedence &&
			(s.StartsAt.After(best.StartsAt) || (s.StartsAt.Equal(best.StartsAt) && s.EndsAt.After(best.EndsAt)))) {
			best = s
		}
	}
	return best
}

// doorStates reads what people's rows show and how to reach them.
func (tx *Tx) doorStates(ctx context.Context, people []string) (map[string]doorState, error) {
	out := make(map[string]doorState, len(people))
	for i := 0; i < len(people); i += peoplePerRead {
		chunk := people[i:min(i+peoplePerRead, len(people))]
		rows, err := tx.QueryContext(ctx, `SELECT id, risk_status, risk_until, full_name, language, COALESCE(phone, ''), COALESCE(email, ''),
			COALESCE(guardian_id, '') FROM people WHERE id IN (`+tx.db.params().list(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("door statuses: %w", err)
		}
		for rows.Next() {
			var id string
			var d doorState
			var until sql.NullTime
			if err := rows.Scan(&id, &d.status, &until, &d.name, &d.lang, &d.phone, &d.email, &d.guardian); err != nil {
				rows.Close()
				return nil, fmt.Errorf("door statuses: %w", err)
			}
			d.stored = d.status
			if until.Valid {
				d.until = until.Time.UTC()
				if !tx.now.Before(d.until) {
					d.status = jaga.RiskLow // it had ended already
				}
			}
			out[id] = d
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("door statuses: %w", err)
		}
	}
	return out, nil
}
