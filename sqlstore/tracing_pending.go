package sqlstore

// A day's tracing in force before it is written out (decision 0009).
//
// TraceDay finds a batch of cases' contacts (collect) and records what it
// found as one trace_pending row, a compact body of a few dozen bytes a
// status, in one short transaction; the statuses are in force from that
// commit. Every reader of a person's status asks the recorded batches as
// well as risk_statuses and the door column: the door (DB.showTraces),
// the app and the desk (MyRisk), the officer's list (CaseContacts). Each
// server keeps the unapplied batches in memory (pendingTraces); on
// PostgreSQL it hears of new and applied rows from migration 0016's
// notices, or reads them again after a second while it does not listen.
//
// ApplyTraces then writes each recorded batch out as TraceDay used to
// (apply: statuses, door statuses, one message a person whose shown status
// changed) in short transactions, the last of which deletes the row; a
// batch is dropped from memory after that commit, so that a status is
// always in one of the two places. Applying again after a crash is safe:
// apply writes only what is new or extended and tells only those whose
// shown status changed. One server applies at a time.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jaga-health/jaga"
)

// pendingBatch is what tracing found for a batch of cases, recorded and
// not yet applied. Each status has its id from the start.
type pendingBatch struct {
	id    string
	cases []*caseRec // id, person and trace reference
	given []givenStatus
}

// Codes of the compact body: statuses by their place in jaga.RiskStatuses.
var (
	pendingRules = []string{jaga.RuleCheckIn, jaga.RuleHousehold}
	pendingLinks = []string{"", jaga.LinkSameAddress, jaga.LinkGuardian, jaga.LinkDependant, jaga.LinkSameGuardian}
)

// pendingMagic begins every body; the digit is the format's version.
const pendingMagic = "jtp2"

// newPendingBatch returns a batch of what collect found for cases at now,
// each status given its id: a time-ordered stem for the batch and the
// status's place in it.
func newPendingBatch(cases []*caseRec, given []givenStatus, now time.Time, rules jaga.RiskRules) *pendingBatch {
	b := &pendingBatch{id: newTimeID(now), cases: cases, given: given}
	stem := b.id[:24]
	for i := range given {
		given[i].st.ID = statusID(stem, i)
		given[i].st.Precedence = rules[given[i].st.Status].Precedence
	}
	return b
}

// statusID returns the id of a batch's i-th status: the batch's stem and
// i as eight hexadecimal digits.
func statusID(stem string, i int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, len(stem)+8)
	copy(b, stem)
	for k := len(b) - 1; k >= len(stem); k-- {
		b[k] = digits[i&0xf]
		i >>= 4
	}
	return string(b)
}

// encode returns the batch's body: cases, premises and statuses, times in
// microseconds, each status's id from the batch's stem and its place.
func (b *pendingBatch) encode() ([]byte, error) {
	if len(b.id) != 32 {
		return nil, fmt.Errorf("trace record: batch id %q", b.id)
	}
	var buf []byte
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = append(buf, pendingMagic...)
	str(b.id)
	starts := time.UnixMicro(0)
	if len(b.given) > 0 {
		starts = b.given[0].st.StartsAt
	}
	buf = binary.AppendVarint(buf, starts.UnixMicro())
	caseIdx := make(map[string]int, len(b.cases))
	buf = binary.AppendUvarint(buf, uint64(len(b.cases)))
	for i, c := range b.cases {
		caseIdx[c.id] = i
		str(c.id)
		str(c.personID)
		str(c.traceRef)
	}
	type place struct{ id, name string }
	premIdx := map[string]int{}
	var prem []place
	for i := range b.given {
		st := &b.given[i].st
		if st.PremisesID != "" {
			if _, ok := premIdx[st.PremisesID]; !ok {
				premIdx[st.PremisesID] = len(prem)
				prem = append(prem, place{st.PremisesID, st.PremisesName})
			}
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(prem)))
	for _, p := range prem {
		str(p.id)
		str(p.name)
	}
	buf = binary.AppendUvarint(buf, uint64(len(b.given)))
	for i := range b.given {
		g := &b.given[i]
		st := &g.st
		ci, ok := caseIdx[g.caseID]
		status, rule, link := slices.Index(jaga.RiskStatuses, st.Status), slices.Index(pendingRules, st.Rule), slices.Index(pendingLinks, st.Link)
		switch {
		case !ok:
			return nil, fmt.Errorf("trace record: a status of a case outside the batch")
		case g.personSeq <= 0:
			return nil, fmt.Errorf("trace record: a status of no one's number")
		case status < 0 || rule < 0 || link < 0 || st.DeclaredBy != "":
			return nil, fmt.Errorf("trace record: a status %q by rule %q cannot be recorded", st.Status, st.Rule)
		case !st.StartsAt.Equal(starts):
			return nil, fmt.Errorf("trace record: the batch's statuses start at different times")
		case st.ID != statusID(b.id[:24], i):
			return nil, fmt.Errorf("trace record: a status's id is not the batch's")
		case st.EndsAt.Before(starts):
			return nil, fmt.Errorf("trace record: a status that ends before it starts")
		}
		buf = binary.AppendUvarint(buf, uint64(g.personSeq))
		buf = binary.AppendUvarint(buf, uint64(ci))
		buf = append(buf, byte(status), byte(rule), byte(link))
		if st.PremisesID == "" {
			buf = binary.AppendUvarint(buf, 0)
		} else {
			buf = binary.AppendUvarint(buf, uint64(premIdx[st.PremisesID])+1)
			if st.Exposure == nil {
				return nil, fmt.Errorf("trace record: a check-in status with no exposure")
			}
			buf = binary.AppendVarint(buf, st.Exposure.From.UnixMicro())
			buf = binary.AppendVarint(buf, st.Exposure.To.Sub(st.Exposure.From).Microseconds())
		}
		buf = binary.AppendVarint(buf, st.EndsAt.Sub(starts).Microseconds())
	}
	return buf, nil
}

// errPendingBody is what decodePending says of any body it cannot read.
var errPendingBody = errors.New("trace record: a malformed body")

// bodyReader reads a body, remembering the first problem.
type bodyReader struct {
	b   []byte
	err error
}

func (r *bodyReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errPendingBody
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *bodyReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errPendingBody
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items of at least min bytes each: never more
// than the bytes left could hold.
func (r *bodyReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = errPendingBody
		return 0
	}
	return int(n)
}

func (r *bodyReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errPendingBody
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *bodyReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errPendingBody
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// maxPendingMicros bounds the times of a body, in microseconds since
// 1970: about the year 2255.
const maxPendingMicros = 1 << 53

// instant reads a time in microseconds since 1970, within bounds.
func (r *bodyReader) instant() int64 {
	v := r.varint()
	if v < 0 || v >= maxPendingMicros {
		r.err = errPendingBody
		return 0
	}
	return v
}

// span reads a length of time in microseconds, of at most two years.
func (r *bodyReader) span() time.Duration {
	v := r.varint()
	if v < 0 || v > int64(2*366*24*time.Hour/time.Microsecond) {
		r.err = errPendingBody
		return 0
	}
	return time.Duration(v) * time.Microsecond
}

// unique notes key as seen, and refuses the body if it was already.
func (r *bodyReader) unique(seen map[string]bool, key string) {
	if seen[key] {
		r.err = errPendingBody
	}
	seen[key] = true
}

// code reads a code that must name one of n things.
func (r *bodyReader) code(n int) int {
	c := int(r.byte())
	if c >= n {
		r.err = errPendingBody
		return 0
	}
	return c
}

// decodePending reads a body that encode wrote, with each status's
// precedence from rules. Any body it cannot read whole is an error.
func decodePending(body []byte, rules jaga.RiskRules) (*pendingBatch, error) {
	if !bytes.HasPrefix(body, []byte(pendingMagic)) {
		return nil, errPendingBody
	}
	r := &bodyReader{b: body[len(pendingMagic):]}
	b := &pendingBatch{id: r.str()}
	if r.err == nil && len(b.id) != 32 {
		r.err = errPendingBody
	}
	starts := time.UnixMicro(r.instant()).UTC()
	b.cases = make([]*caseRec, r.count(3))
	seen := map[string]bool{}
	for i := range b.cases {
		b.cases[i] = &caseRec{id: r.str(), personID: r.str(), traceRef: r.str()}
		r.unique(seen, "c"+b.cases[i].id)
	}
	type place struct{ id, name string }
	prem := make([]place, r.count(2))
	for i := range prem {
		prem[i] = place{r.str(), r.str()}
		r.unique(seen, "p"+prem[i].id)
	}
	b.given = make([]givenStatus, r.count(6))
	for i := range b.given {
		if r.err != nil {
			break
		}
		st := &b.given[i].st
		seq := r.uvarint()
		if r.err == nil && (seq == 0 || seq > math.MaxInt64) {
			r.err = errPendingBody
			break
		}
		b.given[i].personSeq = int64(seq)
		ci := r.uvarint()
		if r.err != nil || ci >= uint64(len(b.cases)) {
			r.err = errPendingBody
			break
		}
		c := b.cases[ci]
		b.given[i].caseID, st.CaseRef = c.id, c.traceRef
		st.Status, st.Rule, st.Link = jaga.RiskStatuses[r.code(len(jaga.RiskStatuses))], pendingRules[r.code(len(pendingRules))],
			pendingLinks[r.code(len(pendingLinks))]
		if pi := r.uvarint(); pi > 0 {
			if pi > uint64(len(prem)) {
				r.err = errPendingBody
				break
			}
			st.PremisesID, st.PremisesName = prem[pi-1].id, prem[pi-1].name
			from := time.UnixMicro(r.instant()).UTC()
			st.Exposure = &jaga.Interval{From: from, To: from.Add(r.span())}
		}
		st.StartsAt = starts
		st.EndsAt = starts.Add(r.span())
		st.ID = statusID(b.id[:24], i)
		st.Precedence = rules[st.Status].Precedence
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = errPendingBody
	}
	if r.err != nil {
		return nil, r.err
	}
	return b, nil
}

// pendingTraces keeps the statuses of the recorded batches that are not
// yet applied, by person's number and by case, for everyone who reads a
// status. Their statuses name no person by id (see givenStatus).
type pendingTraces struct {
	rules jaga.RiskRules
	held  atomic.Int64 // statuses kept: readers take no lock when none

	mu       sync.RWMutex // guards the maps
	batches  map[string]*pendingBatch
	byPerson map[int64][]*givenStatus
	byCase   map[string][]*givenStatus // by trace reference

	applyMu sync.Mutex // one ApplyTraces at a time in this process

	// On PostgreSQL, where other servers record and apply batches too.
	refreshMu sync.Mutex // one refresh at a time
	refreshed atomic.Int64
	stale     atomic.Bool // a notice came since the last refresh
}

func newPendingTraces(rules jaga.RiskRules) *pendingTraces {
	return &pendingTraces{rules: rules, batches: map[string]*pendingBatch{}, byPerson: map[int64][]*givenStatus{},
		byCase: map[string][]*givenStatus{}}
}

// add keeps a batch's statuses, once.
func (p *pendingTraces) add(b *pendingBatch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.batches[b.id] != nil {
		return
	}
	p.batches[b.id] = b
	for i := range b.given {
		g := &b.given[i]
		p.byPerson[g.personSeq] = append(p.byPerson[g.personSeq], g)
		p.byCase[g.st.CaseRef] = append(p.byCase[g.st.CaseRef], g)
	}
	p.held.Add(int64(len(b.given)))
}

// drop forgets a batch, once it is applied.
func (p *pendingTraces) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.batches[id]
	if b == nil {
		return
	}
	delete(p.batches, id)
	mine := func(g *givenStatus) bool { return len(g.st.ID) == 32 && g.st.ID[:24] == id[:24] }
	// Each list filtered once, however many of its statuses the batch has.
	people, cases := map[int64]bool{}, map[string]bool{}
	for i := range b.given {
		people[b.given[i].personSeq], cases[b.given[i].st.CaseRef] = true, true
	}
	for seq := range people {
		if rest := slices.DeleteFunc(p.byPerson[seq], mine); len(rest) > 0 {
			p.byPerson[seq] = rest
		} else {
			delete(p.byPerson, seq)
		}
	}
	for ref := range cases {
		if rest := slices.DeleteFunc(p.byCase[ref], mine); len(rest) > 0 {
			p.byCase[ref] = rest
		} else {
			delete(p.byCase, ref)
		}
	}
	p.held.Add(-int64(len(b.given)))
}

// ofPerson returns copies of the statuses kept for the person numbered
// seq, with their id as given.
func (p *pendingTraces) ofPerson(seq int64, id string) []jaga.RiskStatus {
	var out []jaga.RiskStatus
	for _, g := range p.copies(func() []*givenStatus { return p.byPerson[seq] }) {
		g.st.PersonID = id
		out = append(out, g.st)
	}
	return out
}

// ofCase returns copies of the statuses kept from a case, by its trace
// reference.
func (p *pendingTraces) ofCase(ref string) []givenStatus {
	return p.copies(func() []*givenStatus { return p.byCase[ref] })
}

func (p *pendingTraces) copies(of func() []*givenStatus) []givenStatus {
	if p == nil || p.held.Load() == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []givenStatus
	for _, g := range of() {
		out = append(out, *g)
	}
	return out
}

// shown returns what the door of the person numbered seq shows at now:
// shown, the status of their row (already low risk if it ended), unless a
// kept status in force ranks higher.
func (p *pendingTraces) shown(seq int64, shown string, now time.Time) string {
	if p == nil || p.held.Load() == 0 {
		return shown
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var best *jaga.RiskStatus
	for _, g := range p.byPerson[seq] {
		if st := &g.st; st.InForce(now) && (best == nil || st.Precedence > best.Precedence) {
			best = st
		}
	}
	if best != nil && best.Precedence > p.rules[shown].Precedence {
		return best.Status
	}
	return shown
}

// ids returns the ids of the batches kept.
func (p *pendingTraces) ids() map[string]bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string]bool, len(p.batches))
	for id := range p.batches {
		out[id] = true
	}
	return out
}

// traces returns the recorded statuses for a reader: on PostgreSQL read
// again from trace_pending when a notice said they changed, or, while
// this server does not listen, when they are a second old. It is nil
// when no tracing service was made for db.
func (db *DB) traces(ctx context.Context) *pendingTraces {
	p := db.pending.Load()
	if p == nil || db.dialect != Postgres {
		return p
	}
	stale := p.stale.Load() || (!db.cardsLive.Load() && time.Since(time.UnixMicro(p.refreshed.Load())) > time.Second)
	if stale && p.refreshMu.TryLock() {
		// One reader refreshes; the others read what is kept meanwhile.
		defer p.refreshMu.Unlock()
		if err := db.refreshTraces(ctx, p); err != nil {
			db.logger().Error("recorded traces", "err", err)
		}
	}
	return p
}

// refreshTraces makes p hold the batches trace_pending holds.
func (db *DB) refreshTraces(ctx context.Context, p *pendingTraces) error {
	p.stale.Store(false)
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM trace_pending`)
	if err != nil {
		p.stale.Store(true)
		return err
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			p.stale.Store(true)
			return err
		}
		stored[id] = true
	}
	if err := rows.Close(); err != nil {
		p.stale.Store(true)
		return err
	}
	kept := p.ids()
	for id := range kept {
		if !stored[id] {
			p.drop(id)
		}
	}
	for id := range stored {
		if kept[id] {
			continue
		}
		var body []byte
		err := db.db.QueryRowContext(ctx, `SELECT body FROM trace_pending WHERE id = $1`, id).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			continue // applied meanwhile
		} else if err != nil {
			p.stale.Store(true)
			return err
		}
		b, err := decodePending(body, p.rules)
		if err != nil {
			return fmt.Errorf("recorded trace %s: %w", id, err)
		}
		p.add(b)
	}
	p.refreshed.Store(time.Now().UnixMicro())
	return nil
}

// showTraces raises each visitor's door status to the recorded statuses
// in force at now.
func (db *DB) showTraces(ctx context.Context, vs []visitor, now time.Time) []visitor {
	p := db.traces(ctx)
	for i := range vs {
		vs[i].door.Risk = p.shown(vs[i].seq, vs[i].door.Risk, now)
	}
	return vs
}

// withTraces adds a person's recorded statuses to those read from
// risk_statuses (history): a recorded status that a stored one already
// is (the same case, rule and premises) replaces it only if it ends
// later, as applying it would extend it.
func withTraces(history []jaga.RiskStatus, recorded []jaga.RiskStatus) []jaga.RiskStatus {
	if len(recorded) == 0 {
		return history
	}
	at := make(map[statusKey]int, len(history))
	for i := range history {
		at[keyOf(&history[i])] = i
	}
	for _, st := range recorded {
		if i, ok := at[keyOf(&st)]; ok {
			if st.Rule == jaga.RuleCheckIn && st.EndsAt.After(history[i].EndsAt) {
				history[i].EndsAt, history[i].Exposure = st.EndsAt, st.Exposure
				if st.Reason != "" {
					history[i].Reason = st.Reason
				}
			}
			continue
		}
		at[keyOf(&st)] = len(history)
		history = append(history, st)
	}
	return history
}

// recordedOfCase returns the statuses of p recorded from a case, with
// their people's ids read in tx; a number that is no one's is left out.
func (tx *Tx) recordedOfCase(ctx context.Context, p *pendingTraces, ref string) ([]jaga.RiskStatus, error) {
	given := p.ofCase(ref)
	if len(given) == 0 {
		return nil, nil
	}
	if err := tx.db.namePeople(ctx, []reader{tx}, given); err != nil {
		return nil, err
	}
	out := make([]jaga.RiskStatus, 0, len(given))
	for _, g := range given {
		if g.st.PersonID != "" {
			out = append(out, g.st)
		}
	}
	return out, nil
}

// namePeople sets the person's id of each status from their number, read
// through readers; a number that is no one's leaves it "".
func (db *DB) namePeople(ctx context.Context, readers []reader, given []givenStatus) error {
	var seqs []int64
	seen := map[int64]bool{}
	for _, g := range given {
		if !seen[g.personSeq] {
			seen[g.personSeq] = true
			seqs = append(seqs, g.personSeq)
		}
	}
	ids, err := db.peopleIDs(ctx, readers, seqs)
	if err != nil {
		return err
	}
	for i := range given {
		given[i].st.PersonID = ids[given[i].personSeq]
	}
	return nil
}

// record writes a batch's row in one transaction on conn (the pool when
// nil) and keeps its statuses, which are in force from then on.
func (s *TracingService) record(ctx context.Context, conn *sql.Conn, b *pendingBatch) error {
	body, err := b.encode()
	if err != nil {
		return err
	}
	err = s.inTx(ctx, conn, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO trace_pending (id, cases, statuses, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
			b.id, len(b.cases), len(b.given), body, tx.now); err != nil {
			return fmt.Errorf("trace record: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.pending.add(b)
	return nil
}

// ApplyTraces writes out every recorded batch (see the top of this file)
// and returns the new statuses it gave. If another server is applying,
// it returns 0 and leaves the batches to it.
func (s *TracingService) ApplyTraces(ctx context.Context) (int, error) {
	if a := jaga.ActorFromContext(ctx); !tracer(a) {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers trace cases.")
	}
	s.pending.applyMu.Lock()
	defer s.pending.applyMu.Unlock()
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, cases FROM trace_pending ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("apply traces: %w", err)
	}
	var ids []string
	cases := 0
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("apply traces: %w", err)
		}
		ids = append(ids, id)
		cases += n
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("apply traces: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil // the job's usual answer: no lock taken
	}
	if s.db.dialect == Postgres {
		// One server at a time: a lock held by this session until it
		// ends. A batch another server applied meanwhile is gone below.
		conn, err := s.db.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("apply traces: %w", err)
		}
		defer conn.Close()
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext('jaga_apply_traces_' || current_schema()))`).Scan(&got); err != nil {
			return 0, fmt.Errorf("apply traces: %w", err)
		}
		if !got {
			return 0, nil
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext('jaga_apply_traces_' || current_schema()))`)
	}
	// The writer's cache as TraceDay's for as many cases.
	readers, writer, release, err := s.db.tracingReaders(ctx, cases)
	if err != nil {
		return 0, err
	}
	defer release()
	// Every batch in force first (a server that stopped left them
	// unheard of), then each written out in order.
	var batches []*pendingBatch
	for _, id := range ids {
		var body []byte
		err := s.db.db.QueryRowContext(ctx, `SELECT body FROM trace_pending WHERE id = $1`, id).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return 0, fmt.Errorf("apply traces: %w", err)
		}
		b, err := decodePending(body, s.cfg.Rules)
		if err != nil {
			return 0, fmt.Errorf("apply traces: batch %s: %w", id, err)
		}
		s.pending.add(b)
		batches = append(batches, b)
	}
	total := 0
	for _, b := range batches {
		// A copy, named: the kept statuses point into b, by number.
		given := slices.Clone(b.given)
		if err := s.db.namePeople(ctx, readers, given); err != nil {
			return total, fmt.Errorf("apply traces: %w", err)
		}
		given = slices.DeleteFunc(given, func(g givenStatus) bool { return g.st.PersonID == "" }) // no one any more
		n, err := s.write(ctx, writer, b.cases, given, &jaga.TraceReport{}, b.id)
		if err != nil {
			return total, err
		}
		s.pending.drop(b.id)
		total += n
	}
	return total, nil
}
