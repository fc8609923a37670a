package sqlstore

// How jaga traces a set of cases, in two steps:
//
//  1. collect reads, and writes nothing: the cases' visits (one query a
//     few hundred cases; for a day's batches, read once for all of them
//     by visitsOfCases), their stays grouped by premises, then for each
//     premises (in the order of their numbers, on as many connections as
//     cores) the union of the stays' reach as disjoint ranges, one range
//     read of the checkins_premises index each, swept in memory
//     (jaga.TracingConfig.Contacts); the contacts' ids, thousands a
//     query; and each case's household. Check-in rows name people and
//     premises by number (seq) and keep times in microseconds: the range
//     reads join nothing, and only the cases, their premises and the
//     contacts found are looked up in people and premises.
//  2. apply (tracing_write.go) writes what collect found: the statuses
//     that are new, the extended ones, each changed door status once and
//     one message a person whose shown status changed, decided in memory
//     from one read of what the people hold.
//
// Confirming a case does both in its one transaction. TraceDay collects
// outside any transaction (on SQLite a write transaction holds the write
// lock, and check-ins must keep flowing), a batch of cases at a time,
// and applies each batch in transactions of about a thousand statuses
// on its own connection while it collects the next.

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// reader is a transaction, a connection or the pool.
type reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// givenStatus is a status that tracing gives, the case it came from and
// the person's number (people.seq). A status found to be recorded names
// its person by number only: st.PersonID is read when it is written out.
type givenStatus struct {
	caseID    string
	personSeq int64
	st        jaga.RiskStatus
}

// Batch sizes of tracing's reads and writes.
const (
	casesPerRead  = 400  // persons in one IN (...) read of visits
	manyCases     = 100  // from this many cases a run reads on a connection a core, and each case's visits at once
	statusesPerTx = 1000 // statuses one TraceDay transaction writes
)

// collect finds the statuses that tracing cases gives at now, reading
// through readers[0], and the premises and the contacts' ids through each
// of readers at once. byNumber leaves the contacts' ids unread: each
// status names its person by number alone, as a recorded batch does.
func (db *DB) collect(ctx context.Context, readers []reader, view *segmentView, known *caseVisits, cases []*caseRec, cfg *jaga.TracingConfig,
	now time.Time, byNumber bool) ([]givenStatus, error) {
	if len(cases) == 0 {
		return nil, nil
	}
	started := time.Now()
	q := readers[0]
	byID := map[string]*caseRec{}
	info := map[int64]*premisesInfo{} // by number
	if known != nil {
		info = known.premises // read only: every premises there is
	}
	byPremises := map[int64][]jaga.CaseStay{}
	var premisesOrder []int64
	for i := 0; i < len(cases); i += casesPerRead {
		chunk := cases[i:min(i+casesPerRead, len(cases))]
		seqs, visits := known.get()
		if known == nil {
			var err error
			if seqs, visits, err = db.visitsOfPeople(ctx, q, chunk); err != nil {
				return nil, err
			}
		}
		// Each case's own reach: visits that began in its window or the
		// longest stay before it.
		own := make([][]caseVisit, len(chunk))
		var unread []int64
		asked := map[int64]bool{}
		for j, c := range chunk {
			byID[c.id] = c
			for _, v := range visits[seqs[c.personID]] {
				if v.CheckedInAt.Before(c.window.From.Add(-jaga.MaxStayBeforeAuto)) || !v.CheckedInAt.Before(c.window.To) {
					continue
				}
				own[j] = append(own[j], v)
				if info[v.premises] == nil && !asked[v.premises] {
					asked[v.premises] = true
					unread = append(unread, v.premises)
				}
			}
		}
		if known == nil {
			if err := db.premisesInfos(ctx, []reader{q}, unread, info); err != nil {
				return nil, err
			}
		}
		for j, c := range chunk {
			// The stays take their premises by id, as CaseStays orders
			// visits at one moment; the case's person by number, as the
			// premises' visits name people.
			vs := make([]jaga.Visit, 0, len(own[j]))
			bySeq := map[string]int64{}
			for _, v := range own[j] {
				pi := info[v.premises]
				if pi == nil {
					continue // no such premises any more
				}
				v.PremisesID = pi.id
				bySeq[pi.id] = v.premises
				vs = append(vs, v.Visit)
			}
			for _, s := range cfg.CaseStays(c.id, personKey(seqs[c.personID]), vs, c.window, nil) {
				n := bySeq[s.PremisesID]
				if _, ok := byPremises[n]; !ok {
					premisesOrder = append(premisesOrder, n)
				}
				byPremises[n] = append(byPremises[n], s)
			}
		}
	}
	staysAt := time.Now()
	// In the order of their numbers, so that the reads of
	// checkins_premises move forward through the index.
	sort.Slice(premisesOrder, func(i, j int) bool { return premisesOrder[i] < premisesOrder[j] })
	casual := cfg.Rules[jaga.RiskCasual].Duration
	if view != nil && len(premisesOrder) > 0 {
		// Every reach lies in [lo, hi).
		lo, hi := byPremises[premisesOrder[0]][0].From, byPremises[premisesOrder[0]][0].To
		for _, stays := range byPremises {
			for _, s := range stays {
				if s.From.Before(lo) {
					lo = s.From
				}
				if s.To.After(hi) {
					hi = s.To
				}
			}
		}
		if err := view.load(ctx, readers[0], lo.Add(-jaga.MaxStayBeforeAuto), hi, nil); err != nil {
			return nil, err
		}
	}
	// The premises read, prepared once a reader: a day's cases read
	// thousands.
	ats := make([]*sql.Stmt, len(readers))
	for w, r := range readers {
		var err error
		if ats[w], err = r.PrepareContext(ctx, visitsAtQuery); err != nil {
			return nil, fmt.Errorf("premises visits: %w", err)
		}
		defer ats[w].Close()
	}
	// A contact found, with their number until their id is read.
	type found struct {
		person int64
		given  givenStatus
	}
	results := make([][]found, len(premisesOrder))
	sweep := func(w, i int) error {
		at := ats[w]
		n := premisesOrder[i]
		stays := byPremises[n]
		pi := info[n]
		// A visit lasts at most until its automatic check-out, its
		// premises' default stay when it began. Unless the premises
		// changed since the longest stay before the first case's stay,
		// that is the default stay now; otherwise any stay up to
		// MaxStayBeforeAuto.
		first := stays[0].From
		for _, s := range stays {
			if s.From.Before(first) {
				first = s.From
			}
		}
		lookback := jaga.MaxStayBeforeAuto
		if pi.defaultStay > 0 && pi.updatedAt.Before(first.Add(-jaga.MaxStayBeforeAuto)) {
			lookback = pi.defaultStay
		}
		reach := make([]jaga.Interval, len(stays))
		for j, s := range stays {
			reach[j] = jaga.Interval{From: s.From.Add(-lookback), To: s.To}
		}
		var visits []jaga.Visit
		for _, r := range jaga.MergeIntervals(reach) {
			var vs []jaga.Visit
			var err error
			if view != nil {
				vs, err = view.visitsAt(ctx, at, n, r.From, r.To, r.From.Add(lookback))
			} else {
				vs, err = visitsAt(ctx, at, n, r.From, r.To, r.From.Add(lookback))
			}
			if err != nil {
				return err
			}
			visits = append(visits, vs...)
		}
		exposures := cfg.Contacts(stays, visits, pi.defaultStay, jaga.MaxStayBeforeAuto)
		results[i] = make([]found, 0, len(exposures))
		for _, e := range exposures {
			ends := e.To.Add(casual)
			if !ends.After(now) {
				continue
			}
			person, err := strconv.ParseInt(e.PersonID, 10, 64)
			if err != nil {
				return fmt.Errorf("premises visits: %w", err)
			}
			ex := e.Interval
			results[i] = append(results[i], found{person: person, given: givenStatus{caseID: e.CaseID, st: jaga.RiskStatus{
				Status: jaga.RiskCasual, Rule: jaga.RuleCheckIn, CaseRef: byID[e.CaseID].traceRef,
				PremisesID: pi.id, PremisesName: pi.name, Exposure: &ex, StartsAt: now, EndsAt: ends}}})
		}
		return nil
	}
	loadedAt := time.Now()
	if err := forEach(len(premisesOrder), len(readers), sweep); err != nil {
		return nil, err
	}
	sweptAt := time.Now()
	var ids map[int64]string
	if !byNumber {
		var contacts []int64
		seen := map[int64]bool{}
		for _, r := range results {
			for _, f := range r {
				if !seen[f.person] {
					seen[f.person] = true
					contacts = append(contacts, f.person)
				}
			}
		}
		var err error
		if ids, err = db.peopleIDs(ctx, readers, contacts); err != nil {
			return nil, err
		}
	}
	// The statuses by their premises' ids, whatever the numbers: of a
	// person's statuses that rank the same, the first is the one shown.
	byPremisesID := make([]int, len(premisesOrder))
	for i := range byPremisesID {
		byPremisesID[i] = i
	}
	sort.Slice(byPremisesID, func(a, b int) bool {
		return info[premisesOrder[byPremisesID[a]]].id < info[premisesOrder[byPremisesID[b]]].id
	})
	closeFor := cfg.Rules[jaga.RiskClose].Duration
	householdsAt := time.Now()
	// The households on every reader at once: four short queries a case.
	households := make([][]member, len(cases))
	if err := forEach(len(cases), len(readers), func(w, i int) error {
		var err error
		var home *caseHome
		if h, ok := known.home(cases[i].personID); ok {
			home = &h
		}
		households[i], err = household(ctx, readers[w], cases[i].personID, home)
		return err
	}); err != nil {
		return nil, err
	}
	householdsDone := time.Now()
	size := 0
	for _, r := range results {
		size += len(r)
	}
	for _, h := range households {
		size += len(h)
	}
	out := make([]givenStatus, 0, size)
	for _, i := range byPremisesID {
		for _, f := range results[i] {
			f.given.personSeq = f.person
			if !byNumber {
				id, ok := ids[f.person]
				if !ok {
					continue // no such person any more
				}
				f.given.st.PersonID = id
			}
			out = append(out, f.given)
		}
	}
	for i, c := range cases {
		for _, m := range households[i] {
			id := m.id
			if byNumber {
				id = ""
			}
			out = append(out, givenStatus{caseID: c.id, personSeq: m.seq, st: jaga.RiskStatus{PersonID: id, Status: jaga.RiskClose,
				Rule: jaga.RuleHousehold, CaseRef: c.traceRef, Link: m.link, StartsAt: now, EndsAt: now.Add(closeFor)}})
		}
	}
	db.logger().Debug("trace: collected", "cases", len(cases), "premises", len(premisesOrder), "statuses", len(out),
		"stays_s", staysAt.Sub(started).Seconds(), "segments_s", loadedAt.Sub(staysAt).Seconds(),
		"sweep_s", sweptAt.Sub(loadedAt).Seconds(), "ids_s", householdsAt.Sub(sweptAt).Seconds(),
		"households_s", householdsDone.Sub(householdsAt).Seconds(), "statuses_s", time.Since(householdsDone).Seconds())
	return out, nil
}

// home returns the home of the person with id, if k has it.
func (k *caseVisits) home(id string) (caseHome, bool) {
	if k == nil {
		return caseHome{}, false
	}
	h, ok := k.homes[id]
	return h, ok
}

// get returns the people's numbers and visits, nil for a nil k.
func (k *caseVisits) get() (map[string]int64, map[int64][]caseVisit) {
	if k == nil {
		return nil, nil
	}
	return k.seqs, k.visits
}

// forEach runs f(w, i) for i in 0..n-1 on workers goroutines, w being
// the worker, in the order of i, and returns the first error.
func forEach(n, workers int, f func(w, i int) error) error {
	if workers <= 1 || n < 2 {
		for i := 0; i < n; i++ {
			if err := f(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu    sync.Mutex // guards next and first
		next  int
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i, stop := next, first != nil || next >= n
				next++
				mu.Unlock()
				if stop {
					return
				}
				if err := f(w, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// params numbers a statement's parameters in the order they appear:
// "?" on SQLite, which looks a numbered parameter up by name in a list
// (quadratic in a statement of thousands), "$n" on PostgreSQL.
type params struct {
	sqlite bool
	n      int
}

func (db *DB) params() *params { return &params{sqlite: db.dialect == SQLite} }

// next returns the next parameter.
func (p *params) next() string {
	p.n++
	if p.sqlite {
		return "?"
	}
	return "$" + strconv.Itoa(p.n)
}

// list returns the next n parameters, separated by commas.
func (p *params) list(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.next())
	}
	return b.String()
}

// caseVisit is a case's visit and its premises' number.
type caseVisit struct {
	jaga.Visit
	premises int64
}

// personKey is how the premises' visits name a person: their number.
func personKey(seq int64) string { return strconv.FormatInt(seq, 10) }

// visitsOfPeople reads the cases' visits in their infectious windows (and
// the day before, for visits that run into it): the people's numbers by
// id, and their visits by number.
func (db *DB) visitsOfPeople(ctx context.Context, q reader, cases []*caseRec) (map[string]int64, map[int64][]caseVisit, error) {
	seqs, numbers, _, err := db.peopleSeqs(ctx, q, cases)
	if err != nil {
		return nil, nil, err
	}
	from, to := casesReach(cases)
	out := map[int64][]caseVisit{}
	if len(numbers) == 0 {
		return seqs, out, nil
	}
	if err := db.visitsByPerson(ctx, q, numbers, from, to, out); err != nil {
		return nil, nil, err
	}
	return seqs, out, nil
}

// casesReach is the times in which the cases' visits began that tracing
// reads: their infectious windows and the longest stay before.
func casesReach(cases []*caseRec) (from, to time.Time) {
	from, to = cases[0].window.From, cases[0].window.To
	for _, c := range cases {
		if c.window.From.Before(from) {
			from = c.window.From
		}
		if c.window.To.After(to) {
			to = c.window.To
		}
	}
	return from.Add(-jaga.MaxStayBeforeAuto), to
}

// caseHome is what a case's household is found from: their guardian and
// registered address.
type caseHome struct{ guardian, address string }

// peopleSeqs reads the numbers of the cases' people, by id, and returns
// them also as a list, each once, and their homes by id.
func (db *DB) peopleSeqs(ctx context.Context, q reader, cases []*caseRec) (map[string]int64, []int64, map[string]caseHome, error) {
	var ids []any
	seen := map[string]bool{}
	for _, c := range cases {
		if !seen[c.personID] {
			seen[c.personID] = true
			ids = append(ids, c.personID)
		}
	}
	seqs := make(map[string]int64, len(ids))
	homes := make(map[string]caseHome, len(ids))
	var numbers []int64
	for i := 0; i < len(ids); i += casesPerRead {
		chunk := ids[i:min(i+casesPerRead, len(ids))]
		rows, err := q.QueryContext(ctx, `SELECT id, seq, COALESCE(guardian_id, ''), address FROM people WHERE id IN (`+db.params().list(len(chunk))+`)`, chunk...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("case visits: %w", err)
		}
		for rows.Next() {
			var id string
			var seq int64
			var h caseHome
			if err := rows.Scan(&id, &seq, &h.guardian, &h.address); err != nil {
				rows.Close()
				return nil, nil, nil, fmt.Errorf("case visits: %w", err)
			}
			seqs[id], homes[id] = seq, h
			numbers = append(numbers, seq)
		}
		if err := rows.Close(); err != nil {
			return nil, nil, nil, fmt.Errorf("case visits: %w", err)
		}
	}
	return seqs, numbers, homes, nil
}

// visitsByPerson adds to out the visits of the people numbered seqs that
// began in [from, to), read a few hundred people a query through
// checkins_person.
func (db *DB) visitsByPerson(ctx context.Context, q reader, seqs []int64, from, to time.Time, out map[int64][]caseVisit) error {
	for i := 0; i < len(seqs); i += casesPerRead {
		chunk := seqs[i:min(i+casesPerRead, len(seqs))]
		args := []any{micros(from), micros(to)}
		for _, s := range chunk {
			args = append(args, s)
		}
		p := db.params()
		rows, err := q.QueryContext(ctx, `
			SELECT person, premises, checked_in_at, leaves_at, checked_out_at FROM checkins
			WHERE checked_in_at >= `+p.next()+` AND checked_in_at < `+p.next()+` AND person IN (`+p.list(len(chunk))+`)`, args...)
		if err != nil {
			return fmt.Errorf("case visits: %w", err)
		}
		if err := readCaseVisits(rows, nil, out); err != nil {
			return err
		}
	}
	return nil
}

// readCaseVisits reads rows of (person, premises, checked_in_at,
// leaves_at, checked_out_at) into out by person, keeping those of the
// people keep holds (all when keep is nil), and closes rows.
func readCaseVisits(rows *sql.Rows, keep *personSet, out map[int64][]caseVisit) error {
	defer rows.Close()
	for rows.Next() {
		var person int64
		var v caseVisit
		var in, leaves int64
		var outAt sql.NullInt64
		if err := rows.Scan(&person, &v.premises, &in, &leaves, &outAt); err != nil {
			return fmt.Errorf("case visits: %w", err)
		}
		if keep != nil && !keep.has(person) {
			continue
		}
		v.CheckedInAt, v.LeavesAt, v.CheckedOutAt = visitTimes(in, leaves, outAt)
		out[person] = append(out[person], v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("case visits: %w", err)
	}
	return nil
}

// caseVisits is what collect reads first of its cases, read once for a
// day's batches: their people's numbers and homes by id, those people's
// visits by number, and those visits' premises by number.
type caseVisits struct {
	seqs     map[string]int64
	homes    map[string]caseHome
	visits   map[int64][]caseVisit
	premises map[int64]*premisesInfo
}

// visitsOfCases reads the visits of all the cases' people at once,
// before a day's batches: a scan of every segment in their reach for
// those people (seconds for the national peak's days, where reading each
// person's visits through checkins_person costs a random read of the
// table a visit once the table outgrows memory), the rows changed since,
// and checkins person by person for the times no segment covers; then
// those visits' premises, in the order of their numbers.
func (db *DB) visitsOfCases(ctx context.Context, readers []reader, view *segmentView, cases []*caseRec) (*caseVisits, error) {
	started := time.Now()
	q := readers[0]
	from, to := casesReach(cases)
	// The people and the segments at once, on readers of their own: both
	// wait mostly on the disk when the day's first tracing reads them.
	// Each segment is scanned for the people's visits once it is read and
	// the people are known, while the next are read.
	var (
		seqs     map[string]int64
		numbers  []int64
		homes    map[string]caseHome
		want     *personSet
		peopleAt time.Time
		mu       sync.Mutex // guards scanned
	)
	known := make(chan struct{}) // closed once want is set, or the people's read failed
	scanned := map[*segment][]segVisit{}
	f, t := micros(from), micros(to)
	scan := func(s *segment) error {
		select {
		case <-known:
		case <-ctx.Done():
			return ctx.Err()
		}
		if want == nil {
			return nil
		}
		var vs []segVisit
		if err := s.eachOf(want, f, t, func(sv segVisit) { vs = append(vs, sv) }); err != nil {
			return fmt.Errorf("check-in segment at %d: %w", s.from, err)
		}
		mu.Lock()
		scanned[s] = vs
		mu.Unlock()
		return nil
	}
	err := forEach(2, min(2, len(readers)), func(_, i int) error {
		if i == 0 {
			defer close(known)
			var err error
			if seqs, numbers, homes, err = db.peopleSeqs(ctx, q, cases); err == nil && len(numbers) > 0 {
				want = newPersonSet(numbers)
			}
			peopleAt = time.Now()
			return err
		}
		return view.load(ctx, readers[len(readers)-1], from, to, scan)
	})
	if err != nil {
		return nil, err
	}
	out := &caseVisits{seqs: seqs, homes: homes, visits: map[int64][]caseVisit{}, premises: map[int64]*premisesInfo{}}
	if len(numbers) == 0 {
		return out, nil
	}
	loadedAt := time.Now()
	found, gaps, err := view.visitsOf(want, f, t, scanned)
	if err != nil {
		return nil, err
	}
	for _, sv := range found {
		v := caseVisit{premises: sv.premises}
		var outAt sql.NullInt64
		if sv.out != 0 {
			outAt = sql.NullInt64{Int64: sv.out, Valid: true}
		}
		v.CheckedInAt, v.LeavesAt, v.CheckedOutAt = visitTimes(sv.in, sv.leaves, outAt)
		out.visits[sv.person] = append(out.visits[sv.person], v)
	}
	for _, g := range gaps {
		if err := db.visitsByPerson(ctx, q, numbers, g.From, g.To, out.visits); err != nil {
			return nil, err
		}
	}
	scannedAt := time.Now()
	var premises []int64
	seen := map[int64]bool{}
	for _, vs := range out.visits {
		sort.Slice(vs, func(i, j int) bool { return vs[i].CheckedInAt.Before(vs[j].CheckedInAt) })
		for _, v := range vs {
			if !seen[v.premises] {
				seen[v.premises] = true
				premises = append(premises, v.premises)
			}
		}
	}
	sort.Slice(premises, func(i, j int) bool { return premises[i] < premises[j] })
	if err := db.premisesInfos(ctx, readers, premises, out.premises); err != nil {
		return nil, err
	}
	db.logger().Debug("trace: cases' visits read", "people", len(numbers), "premises", len(premises),
		"people_s", peopleAt.Sub(started).Seconds(), "segments_and_scan_s", loadedAt.Sub(started).Seconds(),
		"scan_s", scannedAt.Sub(loadedAt).Seconds(), "premises_s", time.Since(scannedAt).Seconds())
	return out, nil
}

// visitsAtQuery reads the visits at a premises ($1, its number) that
// began in [$2, $3) and had not left by $4, times in microseconds.
const visitsAtQuery = `
	SELECT person, checked_in_at, leaves_at, checked_out_at FROM checkins
	WHERE premises = $1 AND checked_in_at >= $2 AND checked_in_at < $3 AND leaves_at > $4`

// visitsAt reads the visits at a premises that began in [from, to) and
// had not left by after: only those can overlap a stay from after on.
// Each names its person by personKey, and no premises.
func visitsAt(ctx context.Context, stmt *sql.Stmt, premises int64, from, to, after time.Time) ([]jaga.Visit, error) {
	rows, err := stmt.QueryContext(ctx, premises, micros(from), micros(to), micros(after))
	if err != nil {
		return nil, fmt.Errorf("premises visits: %w", err)
	}
	defer rows.Close()
	var out []jaga.Visit
	for rows.Next() {
		var person, in, leaves int64
		var outAt sql.NullInt64
		if err := rows.Scan(&person, &in, &leaves, &outAt); err != nil {
			return nil, fmt.Errorf("premises visits: %w", err)
		}
		v := jaga.Visit{PersonID: personKey(person)}
		v.CheckedInAt, v.LeavesAt, v.CheckedOutAt = visitTimes(in, leaves, outAt)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("premises visits: %w", err)
	}
	return out, nil
}

// Numbers in one read of people's ids: PostgreSQL takes them as one
// array, SQLite as parameters.
const (
	seqsPerReadSQLite   = 2000
	seqsPerReadPostgres = 20000
)

// peopleIDs returns the ids of the people numbered seqs, reading a few
// thousand a query in the order of their numbers, on each of readers at
// once. A number that is no one's is left out.
func (db *DB) peopleIDs(ctx context.Context, readers []reader, seqs []int64) (map[int64]string, error) {
	seqs = append([]int64(nil), seqs...)
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	per := seqsPerReadSQLite
	if db.dialect == Postgres {
		per = seqsPerReadPostgres
	}
	chunks := (len(seqs) + per - 1) / per
	found := make([]map[int64]string, chunks)
	err := forEach(chunks, len(readers), func(w, i int) error {
		chunk := seqs[i*per : min((i+1)*per, len(seqs))]
		var rows *sql.Rows
		var err error
		if db.dialect == Postgres {
			rows, err = readers[w].QueryContext(ctx, `SELECT seq, id FROM people WHERE seq = ANY($1::bigint[])`, chunk)
		} else {
			args := make([]any, len(chunk))
			for j, s := range chunk {
				args[j] = s
			}
			rows, err = readers[w].QueryContext(ctx, `SELECT seq, id FROM people WHERE seq IN (`+db.params().list(len(chunk))+`)`, args...)
		}
		if err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		defer rows.Close()
		found[i] = make(map[int64]string, len(chunk))
		for rows.Next() {
			var seq int64
			var id string
			if err := rows.Scan(&seq, &id); err != nil {
				return fmt.Errorf("contacts: %w", err)
			}
			found[i][seq] = id
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(seqs))
	for _, m := range found {
		for seq, id := range m {
			out[seq] = id
		}
	}
	return out, nil
}

// premisesInfo is what tracing needs of a premises.
type premisesInfo struct {
	id          string
	name        string
	defaultStay time.Duration
	updatedAt   time.Time // its type may have changed then
}

// premisesInfos reads the id, name and default stay of the premises
// numbered seqs into out, by number, a few hundred a query on each of
// readers at once.
func (db *DB) premisesInfos(ctx context.Context, readers []reader, seqs []int64, out map[int64]*premisesInfo) error {
	chunks := (len(seqs) + casesPerRead - 1) / casesPerRead
	found := make([]map[int64]*premisesInfo, chunks)
	err := forEach(chunks, len(readers), func(w, i int) error {
		chunk := seqs[i*casesPerRead : min((i+1)*casesPerRead, len(seqs))]
		args := make([]any, len(chunk))
		for j, s := range chunk {
			args[j] = s
		}
		rows, err := readers[w].QueryContext(ctx, `SELECT seq, id, name, type, updated_at FROM premises WHERE seq IN (`+db.params().list(len(chunk))+`)`, args...)
		if err != nil {
			return fmt.Errorf("premises: %w", err)
		}
		defer rows.Close()
		found[i] = make(map[int64]*premisesInfo, len(chunk))
		for rows.Next() {
			var seq int64
			var updated time.Time
			pi := &premisesInfo{}
			p := jaga.Premises{}
			if err := rows.Scan(&seq, &pi.id, &p.Name, &p.Type, &updated); err != nil {
				return fmt.Errorf("premises: %w", err)
			}
			pi.name, pi.defaultStay, pi.updatedAt = p.Name, p.DefaultStay(), updated.UTC()
			found[i][seq] = pi
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("premises: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range found {
		for seq, pi := range m {
			out[seq] = pi
		}
	}
	return nil
}

// member is a household member of a case and how they are linked.
type member struct {
	id   string
	seq  int64
	link string
}

// household returns a case's household: their guardian, dependants, the
// guardian's other dependants and everyone at the same registered address
// (by jaga.AddressKey), each once, by the closest link. home is the
// case's, read here when nil.
func household(ctx context.Context, q reader, personID string, home *caseHome) ([]member, error) {
	if home == nil {
		home = &caseHome{}
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(guardian_id, ''), address FROM people WHERE id = $1`, personID).Scan(&home.guardian, &home.address); err != nil {
			return nil, fmt.Errorf("household: %w", err)
		}
	}
	guardian, address := home.guardian, home.address
	var out []member
	seen := map[string]bool{personID: true}
	add := func(query, link string, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("household: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m member
			if err := rows.Scan(&m.id, &m.seq); err != nil {
				return fmt.Errorf("household: %w", err)
			}
			if !seen[m.id] {
				seen[m.id] = true
				m.link = link
				out = append(out, m)
			}
		}
		return rows.Err()
	}
	if guardian != "" {
		if err := add(`SELECT id, seq FROM people WHERE id = $1`, jaga.LinkDependant, guardian); err != nil {
			return nil, err
		}
		if err := add(`SELECT id, seq FROM people WHERE guardian_id = $1 ORDER BY id`, jaga.LinkSameGuardian, guardian); err != nil {
			return nil, err
		}
	}
	if err := add(`SELECT id, seq FROM people WHERE guardian_id = $1 ORDER BY id`, jaga.LinkGuardian, personID); err != nil {
		return nil, err
	}
	if key := jaga.AddressKey(address); key != "" {
		if err := add(`SELECT id, seq FROM people WHERE address_key = $1 ORDER BY id`, jaga.LinkSameAddress, key); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// upserted is a status row an upsert wrote.
type upserted struct {
	caseRef, personID string
	inserted          bool // else extended
}

// upsertStatuses writes status changes in one statement: a row that a
// case already gave the person by the same rule at the same premises is
// left alone, unless it is a check-in status whose exposure now ends
// later, which is extended. It returns the rows written.
func (tx *Tx) upsertStatuses(ctx context.Context, sts []*jaga.RiskStatus, cfg *jaga.TracingConfig) ([]upserted, error) {
	if len(sts) == 0 {
		return nil, nil
	}
	const cols = 16
	p := tx.db.params()
	var b strings.Builder
	args := make([]any, 0, len(sts)*cols)
	for i, s := range sts {
		s.ID = newID()
		s.Precedence = cfg.Rules[s.Status].Precedence
		var from, to any
		if s.Exposure != nil {
			from, to = s.Exposure.From, s.Exposure.To
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + p.list(cols) + ")")
		args = append(args, s.ID, s.PersonID, s.Status, s.Rule, jaga.ReasonText("en", s), s.StartsAt, s.EndsAt, tx.now,
			s.Precedence, nullString(s.CaseRef), s.PremisesID, s.PremisesName, from, to, s.Link, s.DeclaredBy)
	}
	rows, err := tx.QueryContext(ctx, `
		INSERT INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at,
			precedence, case_ref, premises_id, premises_name, exposed_from, exposed_to, link, declared_by)
		VALUES `+b.String()+`
		ON CONFLICT (case_ref, person_id, rule, premises_id) DO UPDATE SET
			ends_at = excluded.ends_at, exposed_from = excluded.exposed_from, exposed_to = excluded.exposed_to,
			reason = excluded.reason
		WHERE excluded.rule = '`+jaga.RuleCheckIn+`' AND excluded.ends_at > risk_statuses.ends_at
		RETURNING COALESCE(case_ref, ''), person_id, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("insert statuses: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]bool, len(sts))
	for _, s := range sts {
		ids[s.ID] = true
	}
	var out []upserted
	for rows.Next() {
		var u upserted
		var id string
		if err := rows.Scan(&u.caseRef, &u.personID, &id); err != nil {
			return nil, fmt.Errorf("insert statuses: %w", err)
		}
		u.inserted = ids[id] // an extended row keeps its id
		out = append(out, u)
	}
	return out, rows.Err()
}

// insertStatus writes one status change, as upsertStatuses does; it
// reports whether the row is new.
func (tx *Tx) insertStatus(ctx context.Context, s *jaga.RiskStatus, cfg *jaga.TracingConfig) (bool, error) {
	res, err := tx.upsertStatuses(ctx, []*jaga.RiskStatus{s}, cfg)
	return len(res) == 1 && res[0].inserted, err
}

// refreshPeople sets the door status of people from the statuses they
// hold, and tells each whose shown status changed.
func (tx *Tx) refreshPeople(ctx context.Context, ids []string) error {
	ids = append([]string(nil), ids...)
	sort.Strings(ids)
	doors, err := tx.doorStates(ctx, ids)
	if err != nil {
		return err
	}
	held, err := tx.heldStatuses(ctx, ids)
	if err != nil {
		return err
	}
	return tx.showStatuses(ctx, ids, held, doors)
}

// notice is a status change to tell a person of.
type notice struct {
	to     doorState
	status *jaga.RiskStatus
}

// notifyAll queues the messages of status changes, as notifyStatus does,
// in multi-row inserts: to the person's phone or email, or for a
// dependant without either to their guardian's.
func (tx *Tx) notifyAll(ctx context.Context, notes []notice) error {
	guardians := map[string]*doorState{}
	for _, n := range notes {
		if n.to.phone == "" && n.to.email == "" && n.to.guardian != "" {
			guardians[n.to.guardian] = &doorState{}
		}
	}
	if len(guardians) > 0 {
		var args []any
		for id := range guardians {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, language, COALESCE(phone, ''), COALESCE(email, '') FROM people WHERE id IN (`+
			tx.db.params().list(len(args))+`)`, args...)
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		for rows.Next() {
			var id string
			var g doorState
			if err := rows.Scan(&id, &g.lang, &g.phone, &g.email); err != nil {
				rows.Close()
				return fmt.Errorf("notify: %w", err)
			}
			*guardians[id] = g
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	// The attempts column is left to its default, 0.
	w := &bulk{tx: tx, perRow: 5, perStmt: rowsPerInsert, what: "notify", sql: func(n int, p *params) string {
		return `INSERT` + tx.db.orRollback() + ` INTO outbox (channel, destination, subject, body, created_at) VALUES ` + rowsOf(n, 5, p, "")
	}}
	for _, n := range notes {
		to, dependant := n.to, ""
		if to.phone == "" && to.email == "" && to.guardian != "" {
			dependant, to = to.name, *guardians[to.guardian]
		}
		subject, body := jaga.RiskNotice(to.lang, n.status, dependant)
		var err error
		switch {
		case to.phone != "":
			err = w.add(ctx, jaga.ContactPhone, to.phone, subject, body, tx.now)
		case to.email != "":
			err = w.add(ctx, jaga.ContactEmail, to.email, subject, body, tx.now)
		default:
			continue // no one to tell; the app shows it
		}
		if err != nil {
			w.flush(ctx)
			return err
		}
	}
	return w.flush(ctx)
}

// doorState is a person's shown status and its end, and how to reach
// them. status is low risk if the stored one had ended; stored is as the
// row has it.
type doorState struct {
	status, stored                     string
	until                              time.Time
	name, lang, phone, email, guardian string
}

// traceCases traces cases in tx, reading through it, and returns how many
// statuses it gave.
func (tx *Tx) traceCases(ctx context.Context, cases []*caseRec, cfg *jaga.TracingConfig) (int, error) {
	given, err := tx.db.collect(ctx, []reader{tx}, nil, nil, cases, cfg, tx.now, false)
	if err != nil {
		return 0, err
	}
	news, err := tx.apply(ctx, given, cfg)
	if err != nil {
		return 0, err
	}
	// The cases' own confirmed statuses show at once.
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.personID
	}
	if err := tx.refreshPeople(ctx, ids); err != nil {
		return 0, err
	}
	return tx.markTraced(ctx, cases, news)
}

// markTraced stamps the cases traced and adds their new statuses.
func (tx *Tx) markTraced(ctx context.Context, cases []*caseRec, news map[string]int) (int, error) {
	total := 0
	for _, c := range cases {
		total += news[c.id]
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET traced_at = $1, contacts = contacts + $2 WHERE id = $3`, tx.now, news[c.id], c.id); err != nil {
			return 0, fmt.Errorf("trace case: %w", err)
		}
	}
	return total, nil
}

// traceOutside traces cases as TraceDay traces a batch: it collects
// outside any transaction, then writes (write). It returns the new
// statuses.
func (s *TracingService) traceOutside(ctx context.Context, cases []*caseRec) (int, error) {
	readers, writer, release, err := s.db.tracingReaders(ctx, len(cases))
	if err != nil {
		return 0, err
	}
	defer release()
	given, err := s.db.collect(ctx, readers, nil, nil, cases, &s.cfg, s.db.now(), false)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, writer, cases, given, &jaga.TraceReport{}, "")
}

// traceDay traces cases in batches of traceBatch, finding the next
// batches while the last is recorded (tracing_pending.go), and adds to rep.
func (s *TracingService) traceDay(ctx context.Context, cases []*caseRec, rep *jaga.TraceReport) error {
	readers, writer, release, err := s.db.tracingReaders(ctx, len(cases))
	if err != nil {
		return err
	}
	defer release()
	return s.findBatches(ctx, readers, cases, func(b foundBatch) error {
		rep.FindTime += b.took
		t := time.Now()
		if err := s.record(ctx, writer, newPendingBatch(b.cases, b.given, s.db.now(), s.cfg.Rules)); err != nil {
			return err
		}
		d := time.Since(t)
		rep.WriteTime += d
		rep.LongestWrite = max(rep.LongestWrite, d)
		rep.Contacts += len(b.given)
		return nil
	})
}

// foundBatch is what collect found for a batch of cases, by number, and
// how long it took.
type foundBatch struct {
	cases []*caseRec
	given []givenStatus
	took  time.Duration
	err   error
}

// findBatches finds cases' statuses in batches of traceBatch and hands
// each batch to use, in order, while the next are found. With two or
// more readers two finders take the batches in turn, each with its half
// of the readers, so that one's serial reads (the cases' visits, their
// premises, the segments) overlap the other's; a finder starts batch i
// only once batch i-2×finders has been used, so that few are held.
func (s *TracingService) findBatches(ctx context.Context, readers []reader, cases []*caseRec, use func(foundBatch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	size := traceBatch
	if s.batch > 0 {
		size = s.batch
	}
	n := (len(cases) + size - 1) / size
	finders := 1
	if len(readers) >= 2 && n > 1 {
		finders = 2
	}
	found := make([]chan foundBatch, n) // each holds its batch until used
	used := make([]chan struct{}, n)    // closed once the batch is used
	for i := range found {
		found[i], used[i] = make(chan foundBatch, 1), make(chan struct{})
	}
	now := s.db.now()
	view := s.segmentView()
	var known *caseVisits
	if view != nil && len(cases) >= manyCases {
		t := time.Now()
		var err error
		if known, err = s.db.visitsOfCases(ctx, readers, view, cases); err != nil {
			return err
		}
		s.db.logger().Info("trace: cases' visits read", "cases", len(cases), "people", len(known.visits), "s", time.Since(t).Seconds())
	}
	var wg sync.WaitGroup
	for w := range finders {
		rs := readers[w*len(readers)/finders : (w+1)*len(readers)/finders]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += finders {
				if j := i - 2*finders; j >= 0 {
					select {
					case <-used[j]:
					case <-ctx.Done():
						return
					}
				}
				b := foundBatch{cases: cases[i*size : min((i+1)*size, len(cases))]}
				t := time.Now()
				b.given, b.err = s.db.collect(ctx, rs, view, known, b.cases, &s.cfg, now, true)
				b.took = time.Since(t)
				found[i] <- b
				if b.err != nil {
					return
				}
			}
		}()
	}
	// The finders end before the readers are given back.
	defer wg.Wait()
	defer cancel()
	for i := range n {
		var b foundBatch
		select {
		case b = <-found[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if b.err != nil {
			return b.err
		}
		if err := use(b); err != nil {
			return err
		}
		close(used[i])
	}
	return nil
}

// write writes what collect found for cases in short transactions of
// whole people on conn (the pool when nil), so that no transaction holds
// the write lock for long; then the cases' own door statuses and their
// tracing stamps, and deletes the recorded batch pendingID ("" for none)
// in that last transaction. It returns the new statuses and adds the
// time taken to rep.
func (s *TracingService) write(ctx context.Context, conn *sql.Conn, cases []*caseRec, given []givenStatus, rep *jaga.TraceReport,
	pendingID string) (total int, err error) {
	if conn != nil {
		// Off for the run's transactions (see inTx), once: changing it
		// expires the statements prepared on the connection, which every
		// transaction would then parse again.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return 0, fmt.Errorf("trace: %w", err)
		}
		defer func() {
			// Back on, for the connection's next user.
			if _, ferr := conn.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`); ferr != nil && err == nil {
				total, err = 0, fmt.Errorf("trace: %w", ferr)
			}
		}()
	}
	inTx := func(f func(tx *Tx) error) error {
		t := time.Now()
		err := s.inTx(ctx, conn, f)
		d := time.Since(t)
		rep.WriteTime += d
		rep.LongestWrite = max(rep.LongestWrite, d)
		return err
	}
	// A person's statuses land in one transaction, so that they are told
	// once, of the highest.
	sort.SliceStable(given, func(i, j int) bool { return given[i].st.PersonID < given[j].st.PersonID })
	news := map[string]int{}
	for i := 0; i < len(given); {
		j := min(i+statusesPerTx, len(given))
		for j < len(given) && given[j].st.PersonID == given[j-1].st.PersonID {
			j++
		}
		if err := inTx(func(tx *Tx) error {
			n, err := tx.apply(ctx, given[i:j], &s.cfg)
			for k, v := range n {
				news[k] += v
			}
			return err
		}); err != nil {
			return 0, err
		}
		i = j
	}
	err = inTx(func(tx *Tx) error {
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = c.personID
		}
		if err := tx.refreshPeople(ctx, ids); err != nil {
			return err
		}
		var err error
		if total, err = tx.markTraced(ctx, cases, news); err != nil {
			return err
		}
		if pendingID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM trace_pending WHERE id = $1`, pendingID); err != nil {
				return fmt.Errorf("trace: %w", err)
			}
		}
		return nil
	})
	return total, err
}

// tracingReaders returns what tracing reads through outside a
// transaction, one a concurrent premises reader, and the connection it
// writes through: on PostgreSQL the pool, four times, and the pool; on
// SQLite a connection, or for many cases one a core (two here), since a
// connection reads one statement at a time and has its own page cache,
// and one more to write through while the next cases are read. release
// gives the connections back.
func (db *DB) tracingReaders(ctx context.Context, cases int) (readers []reader, writer *sql.Conn, release func(), err error) {
	if db.dialect != SQLite {
		return []reader{db.db, db.db, db.db, db.db}, nil, func() {}, nil
	}
	n := 1
	if cases >= manyCases {
		n = max(1, min(runtime.GOMAXPROCS(0), 4))
	}
	var conns []*sql.Conn
	release = func() {
		for _, c := range conns {
			// Back to the pool's settings, which empties the cache.
			c.ExecContext(context.Background(), `PRAGMA temp_store = DEFAULT`)
			c.ExecContext(context.Background(), `PRAGMA cache_size = -65536`)
			c.Close()
		}
	}
	for i := 0; i <= n; i++ {
		conn, err := db.db.Conn(ctx)
		if err != nil {
			release()
			return nil, nil, nil, fmt.Errorf("trace: %w", err)
		}
		conns = append(conns, conn)
		// Statement journals in memory; and, while tracing many cases, a
		// larger page cache (1 GiB at most, allocated as used). A single
		// case keeps the connection's warm 64 MiB cache instead.
		pragmas := []string{`PRAGMA temp_store = MEMORY`}
		if cases >= manyCases {
			pragmas = append(pragmas, `PRAGMA cache_size = -1048576`)
		}
		for _, p := range pragmas {
			if _, err := conn.ExecContext(ctx, p); err != nil {
				release()
				return nil, nil, nil, fmt.Errorf("trace: %w", err)
			}
		}
		if i < n {
			readers = append(readers, conn)
		} else {
			writer = conn
		}
	}
	return readers, writer, release, nil
}

// FindDay finds what tracing the cases confirmed on day would give, and
// writes nothing: the reading half of TraceDay, for the tracing benchmark
// to set beside a query that only reads. It returns the statuses found.
func (s *TracingService) FindDay(ctx context.Context, day string) (int, error) {
	if a := jaga.ActorFromContext(ctx); !tracer(a) {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers trace cases.")
	}
	start, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(day), jaga.MalaysiaTime)
	if err != nil {
		return 0, jaga.Invalid(map[string]string{"day": "The day must be a date as YYYY-MM-DD."})
	}
	cases, err := s.casesOfDay(ctx, start)
	if err != nil {
		return 0, err
	}
	readers, _, release, err := s.db.tracingReaders(ctx, len(cases))
	if err != nil {
		return 0, err
	}
	defer release()
	total := 0
	err = s.findBatches(ctx, readers, cases, func(b foundBatch) error {
		total += len(b.given)
		return nil
	})
	return total, err
}

// inTx runs f in a transaction on conn, or the pool when conn is nil,
// and commits it. On conn (SQLite) the transaction checks no foreign
// keys: apply checks that everyone it writes of exists, and holds the
// write lock from that check on; a multi-row statement that could fail
// a foreign key half-way would first copy every page it changes to a
// statement journal. The caller turns them off before and back on after.
func (s *TracingService) inTx(ctx context.Context, conn *sql.Conn, f func(tx *Tx) error) error {
	var tx *Tx
	if conn == nil {
		var err error
		if tx, err = s.db.BeginTx(ctx, nil); err != nil {
			return err
		}
	} else {
		stx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		tx = &Tx{Tx: stx, db: s.db, now: s.db.now()}
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// TraceCase traces one case again, as TraceDay traces each: for jaga's
// own jobs and the tracing benchmark. It returns the new statuses.
func (s *TracingService) TraceCase(ctx context.Context, caseID string) (int, error) {
	if a := jaga.ActorFromContext(ctx); !tracer(a) {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers trace cases.")
	}
	c := &caseRec{}
	err := s.db.db.QueryRowContext(ctx, `SELECT id, person_id, trace_ref, reference, infectious_from, infectious_to FROM cases WHERE id = $1`, caseID).
		Scan(&c.id, &c.personID, &c.traceRef, &c.reference, &c.window.From, &c.window.To)
	if err == sql.ErrNoRows {
		return 0, jaga.Errorf(jaga.ENOTFOUND, "No such case.")
	} else if err != nil {
		return 0, fmt.Errorf("trace case: %w", err)
	}
	c.window.From, c.window.To = c.window.From.UTC(), c.window.To.UTC()
	return s.traceOutside(ctx, []*caseRec{c})
}

// KeyAddresses gives an address key to people registered before keys
// were kept, a few thousand a transaction; for jaga's start. It returns
// how many it keyed.
func (s *TracingService) KeyAddresses(ctx context.Context) (int, error) {
	total := 0
	for {
		rows, err := s.db.db.QueryContext(ctx, `SELECT id, address FROM people WHERE address_key = '' AND address <> '' LIMIT 2000`)
		if err != nil {
			return total, fmt.Errorf("key addresses: %w", err)
		}
		type pa struct{ id, key string }
		var todo []pa
		for rows.Next() {
			var id, address string
			if err := rows.Scan(&id, &address); err != nil {
				rows.Close()
				return total, fmt.Errorf("key addresses: %w", err)
			}
			todo = append(todo, pa{id, jaga.AddressKey(address)})
		}
		if err := rows.Close(); err != nil {
			return total, err
		}
		if len(todo) == 0 {
			return total, nil
		}
		keyed := 0
		err = s.inTx(ctx, nil, func(tx *Tx) error {
			for _, p := range todo {
				if p.key == "" {
					continue // punctuation alone: no household
				}
				if _, err := tx.ExecContext(ctx, `UPDATE people SET address_key = $1 WHERE id = $2`, p.key, p.id); err != nil {
					return fmt.Errorf("key addresses: %w", err)
				}
				keyed++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += keyed
		if keyed == 0 {
			return total, nil
		}
	}
}
