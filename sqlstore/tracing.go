package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// TracingService implements jaga.TracingService.
//
// Tracing is described in tracing_sweep.go. The statuses it gives are
// inserted once per case, person, rule and premises, so tracing again
// gives no one a second; a check-in status is extended when a visit
// uploaded since lengthens the exposure.
type TracingService struct {
	db  *DB
	cfg jaga.TracingConfig
	// withoutSegments makes TraceDay and FindDay read checkins only, as
	// a single case's tracing does; for tests and comparisons.
	withoutSegments bool
	// pending is db's recorded, unapplied batches (tracing_pending.go).
	pending *pendingTraces
	// batch is how many cases TraceDay finds at once; 0 for traceBatch.
	batch int
}

// ReadCheckinsOnly makes TraceDay and FindDay read the checkins table
// only, not check-in segments: for comparisons.
func (s *TracingService) ReadCheckinsOnly() { s.withoutSegments = true }

// segmentView returns a view for one run of TraceDay or FindDay, or nil
// when tracing reads checkins only.
func (s *TracingService) segmentView() *segmentView {
	if s.withoutSegments {
		return nil
	}
	return &segmentView{now: s.db.now(), blobs: s.db.db, blobReads: segmentReads, freshBlobs: s.db.dialect == SQLite}
}

// NewTracingService returns the tracing service of db with cfg; a zero
// cfg.Rules means jaga.DefaultTracing.
func NewTracingService(db *DB, cfg jaga.TracingConfig) *TracingService {
	if cfg.Rules == nil {
		cfg = jaga.DefaultTracing()
	}
	// One set of recorded batches a database, which its readers share;
	// the first tracing service's rules rank them.
	db.pending.CompareAndSwap(nil, newPendingTraces(cfg.Rules))
	return &TracingService{db: db, cfg: cfg, pending: db.pending.Load()}
}

// Reasons of the problems a case row can have in the store.
const (
	reasonCaseNoPerson  = "No person with this identity number and date of birth."
	reasonCaseNoID      = "No person with this id."
	reasonCaseAmbiguous = "More than one person has this identity number and date of birth; confirm the case by person id."
	reasonCaseTaken     = "A case with this reference is already recorded with other details."
	reasonCaseOpen      = "This person already has a case in isolation."
	reasonNoCases       = "The feed holds no cases."
)

// caseOfficer returns the caller if they may ask to confirm or trace cases at
// all: staff and API clients, whom the gate then decides on.
func caseOfficer(ctx context.Context) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	switch {
	case a == nil:
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to confirm or trace cases.")
	case a.Kind != jaga.ActorStaff && a.Kind != jaga.ActorAPIClient:
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only health officers confirm and trace cases.")
	}
	return a, nil
}

// tracer reports whether the caller may start tracing without naming a
// person: a ministry health officer, or jaga itself.
func tracer(a *jaga.Actor) bool {
	return a != nil && (a.Kind == jaga.ActorSystem || (a.HasRole(jaga.RoleHealthOfficer) && a.OrgKind == jaga.OrgMinistry))
}

// caseRec is a case as tracing needs it.
type caseRec struct {
	id, personID, traceRef, reference string
	window                            jaga.Interval
}

// plannedCase is a row that passed every check.
type plannedCase struct {
	line    int
	rec     jaga.CaseRecord
	person  string
	window  jaga.Interval
	stored  bool // recorded before exactly so
	created *jaga.Case
}

// caseCheck is the outcome of checking case rows in a transaction.
type caseCheck struct {
	problems []rowProblem
	denied   string
	planned  []*plannedCase
}

// checkCases finds each row's person through the gate, logging each
// decision in tx, and checks the row against the stored cases and the
// file's other rows. It writes nothing but the access log.
func (tx *Tx) checkCases(ctx context.Context, a *jaga.Actor, rows []jaga.CaseRow, cfg *jaga.TracingConfig, unit string) (*caseCheck, error) {
	c := &caseCheck{}
	byRef, byPerson := map[string]int{}, map[string]int{}
	for _, row := range rows {
		rec := row.Record
		problem := func(field, reason, code string) {
			c.problems = append(c.problems, rowProblem{jaga.RowError{Line: row.Line, Field: field, Reason: reason}, code})
		}
		if prev, dup := byRef[rec.Reference]; dup {
			problem("reference", fmt.Sprintf("The reference appears twice (also on %s %d).", unit, prev), jaga.ECONFLICT)
			continue
		}
		byRef[rec.Reference] = row.Line
		person, field, missing := rec.PersonID, "personId", reasonCaseNoID
		if person == "" {
			field, missing = "idNumber", reasonCaseNoPerson
			people, err := tx.peopleByIdentity(ctx, rec.IDNumber, rec.DateOfBirth)
			if err != nil {
				return nil, err
			}
			p := people.pick("")
			if p.ambiguous {
				problem("idNumber", reasonCaseAmbiguous, jaga.ECONFLICT)
				continue
			}
			person = p.id
		}
		d, err := tx.guard(ctx, jaga.AccessRequest{
			Actor: *a, Action: jaga.ActionUpdate, PersonID: person,
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryHealth}, Fields: []string{"case"},
			Purpose: jaga.PurposeContactTracing, Relationship: jaga.RelationshipCase, Reference: rec.Reference,
		})
		if err != nil {
			return nil, err
		}
		switch {
		case !d.Allow && d.Policy == policyUnknownPerson:
			problem(field, missing, jaga.ENOTFOUND)
			continue
		case !d.Allow:
			c.denied = d.Reason
			continue
		}
		if prev, dup := byPerson[person]; dup {
			problem(field, fmt.Sprintf("The person has another case here (also on %s %d).", unit, prev), jaga.ECONFLICT)
			continue
		}
		byPerson[person] = row.Line
		window, err := cfg.InfectiousWindow(rec.TestedOn, rec.OnsetOn)
		if err != nil {
			for f, p := range jaga.ErrorFields(err) {
				problem(f, p, jaga.EINVALID)
			}
			continue
		}
		p := &plannedCase{line: row.Line, rec: rec, person: person, window: window}
		var sPerson, sTested, sOnset string
		err = tx.QueryRowContext(ctx, `SELECT person_id, tested_on, onset_on FROM cases WHERE reference = $1`, rec.Reference).Scan(&sPerson, &sTested, &sOnset)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("check case: %w", err)
		case sPerson == person && sTested == rec.TestedOn && sOnset == rec.OnsetOn:
			p.stored = true
			c.planned = append(c.planned, p)
			continue
		default:
			problem("reference", reasonCaseTaken, jaga.ECONFLICT)
			continue
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE person_id = $1 AND infectious_to > $2`, person, tx.now).Scan(&open); err != nil {
			return nil, fmt.Errorf("check case: %w", err)
		}
		if open > 0 {
			problem(field, reasonCaseOpen, jaga.ECONFLICT)
			continue
		}
		c.planned = append(c.planned, p)
	}
	return c, nil
}

// writeCases inserts the planned new cases with each one's confirmed
// status, and returns them for tracing.
func (tx *Tx) writeCases(ctx context.Context, a *jaga.Actor, planned []*plannedCase, source, importID string, cfg *jaga.TracingConfig) ([]*caseRec, error) {
	var out []*caseRec
	for _, p := range planned {
		if p.stored {
			continue
		}
		c := &jaga.Case{ID: newID(), PersonID: p.person, Reference: p.rec.Reference, TraceRef: "T" + strings.ToUpper(randomHex(6)),
			Source: source, TestedOn: p.rec.TestedOn, OnsetOn: p.rec.OnsetOn, Infectious: p.window, ConfirmedAt: tx.now}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO cases (id, person_id, reference, trace_ref, source, tested_on, onset_on, infectious_from, infectious_to,
				org_id, confirmed_by, import_id, confirmed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, c.PersonID, c.Reference, c.TraceRef, c.Source, c.TestedOn, c.OnsetOn, c.Infectious.From, c.Infectious.To,
			a.OrgID, a.ID, nullString(importID), c.ConfirmedAt); err != nil {
			if isUniqueViolation(err) {
				return nil, jaga.Errorf(jaga.ECONFLICT, "A case with one of these references was recorded at the same moment; send it again.")
			}
			return nil, fmt.Errorf("insert case: %w", err)
		}
		st := &jaga.RiskStatus{PersonID: c.PersonID, Status: jaga.RiskConfirmed, Rule: jaga.RuleConfirmed, CaseRef: c.TraceRef,
			StartsAt: tx.now, EndsAt: c.Infectious.To}
		if _, err := tx.insertStatus(ctx, st, cfg); err != nil {
			return nil, err
		}
		p.created = c
		out = append(out, &caseRec{id: c.ID, personID: c.PersonID, traceRef: c.TraceRef, reference: c.Reference, window: c.Infectious})
	}
	return out, nil
}

// refreshAndNotify refreshes a person's door status and, when it changed,
// tells them (or their guardian) through the outbox, in their language.
func (tx *Tx) refreshAndNotify(ctx context.Context, personID string) error {
	var before string
	var beforeUntil sql.NullTime
	if err := tx.QueryRowContext(ctx, `SELECT risk_status, risk_until FROM people WHERE id = $1`, personID).Scan(&before, &beforeUntil); err != nil {
		return fmt.Errorf("refresh status: %w", err)
	}
	if err := tx.RefreshDoorStatus(ctx, personID); err != nil {
		return err
	}
	cur, err := tx.currentStatus(ctx, personID)
	if err != nil {
		return err
	}
	status := jaga.RiskLow
	if cur != nil {
		status = cur.Status
	}
	if beforeUntil.Valid && !tx.now.Before(beforeUntil.Time) {
		before = jaga.RiskLow // it had ended already
	}
	if status == before && (cur == nil || (beforeUntil.Valid && cur.EndsAt.Equal(beforeUntil.Time.UTC()))) {
		return nil
	}
	return tx.notifyStatus(ctx, personID, cur)
}

// currentStatus returns the status row that RefreshDoorStatus shows, or
// nil for low risk.
func (tx *Tx) currentStatus(ctx context.Context, personID string) (*jaga.RiskStatus, error) {
	rows, err := tx.QueryContext(ctx, statusSelect+`
		WHERE person_id = $1 AND starts_at <= $2 AND ends_at > $2
		ORDER BY precedence DESC, starts_at DESC LIMIT 1`, personID, tx.now)
	if err != nil {
		return nil, fmt.Errorf("current status: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	s, err := scanStatus(rows)
	if err != nil {
		return nil, fmt.Errorf("current status: %w", err)
	}
	return s, rows.Close()
}

// notifyStatus queues a message about a person's status: to their own
// phone or email, or to their guardian's for a dependant.
func (tx *Tx) notifyStatus(ctx context.Context, personID string, s *jaga.RiskStatus) error {
	var name, lang, phone, email, guardian string
	if err := tx.QueryRowContext(ctx, `SELECT full_name, language, COALESCE(phone, ''), COALESCE(email, ''), COALESCE(guardian_id, '')
		FROM people WHERE id = $1`, personID).Scan(&name, &lang, &phone, &email, &guardian); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	dependant := ""
	if phone == "" && email == "" && guardian != "" {
		dependant = name
		if err := tx.QueryRowContext(ctx, `SELECT language, COALESCE(phone, ''), COALESCE(email, '') FROM people WHERE id = $1`,
			guardian).Scan(&lang, &phone, &email); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	if s == nil {
		s = &jaga.RiskStatus{Status: jaga.RiskLow}
	}
	subject, body := jaga.RiskNotice(lang, s, dependant)
	switch {
	case phone != "":
		return tx.enqueue(ctx, jaga.ContactPhone, phone, subject, body)
	case email != "":
		return tx.enqueue(ctx, jaga.ContactEmail, email, subject, body)
	}
	return nil // no one to tell; the app shows it
}

const statusSelect = `
	SELECT id, person_id, status, rule, COALESCE(case_ref, ''), premises_id, premises_name, exposed_from, exposed_to, link,
		declared_by, starts_at, ends_at, precedence
	FROM risk_statuses`

func scanStatus(r rowScanner) (*jaga.RiskStatus, error) {
	s := &jaga.RiskStatus{}
	var from, to sql.NullTime
	if err := r.Scan(&s.ID, &s.PersonID, &s.Status, &s.Rule, &s.CaseRef, &s.PremisesID, &s.PremisesName, &from, &to, &s.Link,
		&s.DeclaredBy, &s.StartsAt, &s.EndsAt, &s.Precedence); err != nil {
		return nil, err
	}
	s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
	if from.Valid && to.Valid {
		s.Exposure = &jaga.Interval{From: from.Time.UTC(), To: to.Time.UTC()}
	}
	return s, nil
}

// singleCaseError turns a check's problems into one error for a
// single case.
func singleCaseError(c *caseCheck) error {
	if c.denied != "" {
		return jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", c.denied)
	}
	p := c.problems[0]
	return &jaga.Error{Code: p.code, Message: p.Reason, Fields: map[string]string{p.Field: p.Reason}}
}

// ConfirmCase records one case from an officer's entry and traces it.
func (s *TracingService) ConfirmCase(ctx context.Context, r jaga.CaseRecord) (*jaga.Case, error) {
	a, err := caseOfficer(ctx)
	if err != nil {
		return nil, err
	}
	r.Normalize()
	if p := r.Valid(s.db.now(), &s.cfg); p != nil {
		return nil, jaga.Invalid(p)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.checkCases(ctx, a, []jaga.CaseRow{{Record: r}}, &s.cfg, "line")
	if err != nil {
		return nil, err
	}
	if c.denied != "" || len(c.problems) > 0 {
		if err := tx.Commit(); err != nil { // the gate's decision is logged all the same
			return nil, fmt.Errorf("log access: %w", err)
		}
		return nil, singleCaseError(c)
	}
	if c.planned[0].stored {
		return nil, jaga.Errorf(jaga.ECONFLICT, "This case is already recorded.")
	}
	cases, err := tx.writeCases(ctx, a, c.planned, jaga.CaseSourceOfficer, "", &s.cfg)
	if err != nil {
		return nil, err
	}
	n, err := tx.traceCases(ctx, cases, &s.cfg)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	out := c.planned[0].created
	t := out.ConfirmedAt
	out.TracedAt, out.Contacts = &t, n
	return out, nil
}

// ImportCases records a lab feed or CSV file of cases, all or nothing, and
// traces the new cases in the same transaction.
func (s *TracingService) ImportCases(ctx context.Context, f *jaga.CaseImport) (*jaga.CaseReport, error) {
	a, err := caseOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if f == nil || (f.Source != jaga.CaseSourceLab && f.Source != jaga.CaseSourceCSV) || len(f.Hash) != 64 {
		return nil, jaga.Errorf(jaga.EINVALID, "The import names no known source or file.")
	}
	if len(f.Rows) > jaga.MaxCaseImportRows {
		return nil, jaga.Errorf(jaga.EINVALID, "A feed holds at most %d cases; this one holds %d. Split it and send the parts.", jaga.MaxCaseImportRows, len(f.Rows))
	}
	rep := &jaga.CaseReport{Source: f.Source, FileHash: f.Hash, Rows: len(f.Rows), Errors: append([]jaga.RowError{}, f.Problems...)}
	if len(f.Rows) == 0 && len(f.Problems) == 0 {
		rep.Errors = append(rep.Errors, jaga.RowError{Reason: reasonNoCases})
	}
	unit := "line"
	if f.Source == jaga.CaseSourceLab {
		unit = "entry"
	}
	now := s.db.now()
	var rows []jaga.CaseRow
	refs := map[string]int{}
	for _, row := range f.Rows {
		row.Record.Normalize()
		fields := map[string]string{}
		for k, v := range row.Problems {
			fields[k] = v
		}
		if ref := row.Record.Reference; ref != "" {
			if prev, dup := refs[ref]; dup {
				fields["reference"] = fmt.Sprintf("The reference appears twice (also on %s %d).", unit, prev)
			} else {
				refs[ref] = row.Line
			}
		}
		for k, v := range row.Record.Valid(now, &s.cfg) {
			if fields[k] == "" {
				fields[k] = v
			}
		}
		if len(fields) == 0 {
			rows = append(rows, row)
			continue
		}
		for k, v := range fields {
			rep.Errors = append(rep.Errors, jaga.RowError{Line: row.Line, Field: k, Reason: v})
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.checkCases(ctx, a, rows, &s.cfg, unit)
	if err != nil {
		return nil, err
	}
	for _, p := range c.problems {
		rep.Errors = append(rep.Errors, p.RowError)
	}
	jaga.SortCaseRowErrors(rep.Errors)
	if c.denied != "" || len(rep.Errors) > 0 {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("log access: %w", err)
		}
		if c.denied != "" {
			return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", c.denied)
		}
		return rep, nil
	}
	importID := newID()
	for _, p := range c.planned {
		if p.stored {
			rep.Unchanged++
		} else {
			rep.Created++
		}
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO case_imports (id, org_id, actor_id, source, file_hash, row_count, created_count, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, importID, a.OrgID, a.ID, f.Source, f.Hash, rep.Rows, rep.Created, tx.now); err != nil {
		return nil, fmt.Errorf("import cases: %w", err)
	}
	cases, err := tx.writeCases(ctx, a, c.planned, f.Source, importID, &s.cfg)
	if err != nil {
		return nil, err
	}
	if rep.Contacts, err = tx.traceCases(ctx, cases, &s.cfg); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, p := range c.planned {
		if p.created != nil {
			rep.Cases = append(rep.Cases, p.created)
		}
	}
	return rep, nil
}

// traceBatch is how many cases TraceDay collects at once; it writes
// them in several transactions while it collects the next.
const traceBatch = 500

// TraceDay traces again every case confirmed on day, in batches.
func (s *TracingService) TraceDay(ctx context.Context, day string) (*jaga.TraceReport, error) {
	a := jaga.ActorFromContext(ctx)
	if a == nil {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to trace cases.")
	}
	if !tracer(a) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers trace a day's cases.")
	}
	start, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(day), jaga.MalaysiaTime)
	if err != nil {
		return nil, jaga.Invalid(map[string]string{"day": "The day must be a date as YYYY-MM-DD."})
	}
	cases, err := s.casesOfDay(ctx, start)
	if err != nil {
		return nil, err
	}
	rep := &jaga.TraceReport{Day: start.Format(time.DateOnly), Cases: len(cases)}
	if err := s.traceDay(ctx, cases, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// casesOfDay returns the cases confirmed on the day that starts at start.
func (s *TracingService) casesOfDay(ctx context.Context, start time.Time) ([]*caseRec, error) {
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, person_id, trace_ref, reference, infectious_from, infectious_to FROM cases
		WHERE confirmed_at >= $1 AND confirmed_at < $2 ORDER BY confirmed_at, id`, start.UTC(), start.AddDate(0, 0, 1).UTC())
	if err != nil {
		return nil, fmt.Errorf("trace day: %w", err)
	}
	defer rows.Close()
	var cases []*caseRec
	for rows.Next() {
		c := &caseRec{}
		if err := rows.Scan(&c.id, &c.personID, &c.traceRef, &c.reference, &c.window.From, &c.window.To); err != nil {
			return nil, fmt.Errorf("trace day: %w", err)
		}
		c.window.From, c.window.To = c.window.From.UTC(), c.window.To.UTC()
		cases = append(cases, c)
	}
	return cases, rows.Err()
}

// caseForOfficer returns a case by id for an officer, ENOTFOUND if none.
func (tx *Tx) caseForOfficer(ctx context.Context, id string) (*caseRec, error) {
	c := &caseRec{}
	err := tx.QueryRowContext(ctx, `SELECT id, person_id, trace_ref, reference, infectious_from, infectious_to FROM cases WHERE id = $1`, id).
		Scan(&c.id, &c.personID, &c.traceRef, &c.reference, &c.window.From, &c.window.To)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such case.")
	} else if err != nil {
		return nil, fmt.Errorf("case: %w", err)
	}
	return c, nil
}

// DeclareContact makes a person a contact of a case, through the gate.
func (s *TracingService) DeclareContact(ctx context.Context, caseID string, d jaga.ContactDeclaration) (*jaga.RiskStatus, error) {
	a, err := caseOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if !tracer(a) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such case.")
	}
	if p := d.Valid(s.db.now()); p != nil {
		return nil, jaga.Invalid(p)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.caseForOfficer(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if d.PersonID == c.personID {
		return nil, jaga.Invalid(map[string]string{"personId": "A case is not a contact of their own case."})
	}
	dec, err := tx.guard(ctx, jaga.AccessRequest{
		Actor: *a, Action: jaga.ActionUpdate, PersonID: d.PersonID,
		Categories: []string{jaga.CategoryHealth}, Fields: []string{"riskStatus"},
		Purpose: jaga.PurposeContactTracing, Relationship: jaga.RelationshipCase, Reference: c.reference, Reason: d.Reference,
	})
	if err != nil {
		return nil, err
	}
	if !dec.Allow {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("log access: %w", err)
		}
		if dec.Policy == policyUnknownPerson {
			return nil, jaga.Errorf(jaga.ENOTFOUND, reasonCaseNoID)
		}
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", dec.Reason)
	}
	var orgName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, a.OrgID).Scan(&orgName); err != nil {
		return nil, fmt.Errorf("declare contact: %w", err)
	}
	last := tx.now
	if d.LastSeen != nil {
		last = d.LastSeen.UTC()
	}
	rule := jaga.RuleDeclared
	if d.Status == jaga.RiskSurveillance {
		rule = jaga.RuleSurveillance
	}
	st := &jaga.RiskStatus{PersonID: d.PersonID, Status: d.Status, Rule: rule, CaseRef: c.traceRef, DeclaredBy: orgName,
		StartsAt: tx.now, EndsAt: last.Add(s.cfg.Rules[d.Status].Duration)}
	if !st.EndsAt.After(tx.now) {
		return nil, jaga.Invalid(map[string]string{"lastSeen": "A status from this last contact would already have ended."})
	}
	ok, err := tx.insertStatus(ctx, st, &s.cfg)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, jaga.Errorf(jaga.ECONFLICT, "This person is already declared a contact of this case.")
	}
	if err := tx.refreshAndNotify(ctx, d.PersonID); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET contacts = contacts + 1 WHERE id = $1`, c.id); err != nil {
		return nil, fmt.Errorf("declare contact: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	st.Reason = jaga.ReasonText("en", st)
	return st, nil
}

// contactRules are the rules that make someone a contact of a case.
const contactRules = `('` + jaga.RuleCheckIn + `', '` + jaga.RuleHousehold + `', '` + jaga.RuleDeclared + `', '` + jaga.RuleSurveillance + `')`

// CaseContacts lists a case's contacts for an officer: each person read
// through the gate, one access-log entry each.
func (s *TracingService) CaseContacts(ctx context.Context, caseID string) ([]*jaga.CaseContact, error) {
	a, err := caseOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if !tracer(a) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers read the contacts of a case.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.caseForOfficer(ctx, caseID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, statusSelect+` WHERE case_ref = $1 AND rule IN `+contactRules+` ORDER BY person_id, precedence DESC`, c.traceRef)
	if err != nil {
		return nil, fmt.Errorf("case contacts: %w", err)
	}
	var stored []jaga.RiskStatus
	for rows.Next() {
		st, err := scanStatus(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("case contacts: %w", err)
		}
		stored = append(stored, *st)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	// With the statuses recorded and not yet applied: by person, the
	// highest first.
	recorded, err := tx.recordedOfCase(ctx, s.db.traces(ctx), c.traceRef)
	if err != nil {
		return nil, err
	}
	all := withTraces(stored, recorded)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].PersonID != all[j].PersonID {
			return all[i].PersonID < all[j].PersonID
		}
		return all[i].Precedence > all[j].Precedence
	})
	statuses := make([]*jaga.RiskStatus, len(all))
	for i := range all {
		statuses[i] = &all[i]
	}
	out := []*jaga.CaseContact{}
	denied := ""
	for i, st := range statuses {
		if i > 0 && statuses[i-1].PersonID == st.PersonID {
			continue // the highest status of the person is shown
		}
		d, err := tx.guard(ctx, jaga.AccessRequest{
			Actor: *a, Action: jaga.ActionRead, PersonID: st.PersonID,
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryHealth}, Fields: []string{"fullName", "phone", "riskStatus"},
			Purpose: jaga.PurposeContactTracing, Relationship: jaga.RelationshipCase, Reference: c.reference,
		})
		if err != nil {
			return nil, err
		}
		if !d.Allow {
			denied = d.Reason
			continue
		}
		p, err := tx.person(ctx, st.PersonID)
		if err != nil {
			return nil, err
		}
		if d.Masked {
			*p = p.MaskedCopy()
		}
		out = append(out, &jaga.CaseContact{PersonID: p.ID, FullName: p.FullName, Phone: p.Phone, Status: st.Status, Rule: st.Rule,
			PremisesName: st.PremisesName, Exposure: st.Exposure, Link: st.Link, EndsAt: st.EndsAt})
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if denied != "" {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", denied)
	}
	return out, nil
}

// MyRisk returns the calling citizen's and their dependants' risk.
func (s *TracingService) MyRisk(ctx context.Context) ([]*jaga.RiskView, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your risk status.")
	}
	now := s.db.now()
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, full_name, language, risk_status, risk_until, seq FROM people WHERE id = $1 OR guardian_id = $1
		ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, created_at, id`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("my risk: %w", err)
	}
	var views []*jaga.RiskView
	seqs := map[string]int64{} // people's numbers, for their recorded statuses
	lang := jaga.DefaultLanguage
	for rows.Next() {
		v := &jaga.RiskView{}
		var l string
		var until sql.NullTime
		var seq sql.NullInt64
		if err := rows.Scan(&v.PersonID, &v.PersonName, &l, &v.Status, &until, &seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("my risk: %w", err)
		}
		if v.PersonID == a.ID {
			lang = l
		}
		seqs[v.PersonID] = seq.Int64
		if v.Status != jaga.RiskLow && (!until.Valid || !now.Before(until.Time)) {
			v.Status = jaga.RiskLow // ended; the expiry job catches up
		}
		views = append(views, v)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	traces := s.db.traces(ctx)
	for _, v := range views {
		hist, err := s.db.db.QueryContext(ctx, statusSelect+` WHERE person_id = $1 ORDER BY starts_at DESC, precedence DESC LIMIT 200`, v.PersonID)
		if err != nil {
			return nil, fmt.Errorf("my risk: %w", err)
		}
		v.History = []jaga.RiskStatus{}
		for hist.Next() {
			st, err := scanStatus(hist)
			if err != nil {
				hist.Close()
				return nil, fmt.Errorf("my risk: %w", err)
			}
			st.Reason = jaga.ReasonText(lang, st)
			v.History = append(v.History, *st)
		}
		if err := hist.Close(); err != nil {
			return nil, err
		}
		// With the statuses recorded and not yet applied, newest first;
		// the door shows the highest of those in force if it ranks above
		// the row's.
		if recorded := traces.ofPerson(seqs[v.PersonID], v.PersonID); len(recorded) > 0 {
			for i := range recorded {
				recorded[i].Reason = jaga.ReasonText(lang, &recorded[i])
			}
			v.History = withTraces(v.History, recorded)
			sort.SliceStable(v.History, func(i, j int) bool {
				a, b := &v.History[i], &v.History[j]
				if !a.StartsAt.Equal(b.StartsAt) {
					return a.StartsAt.After(b.StartsAt)
				}
				return a.Precedence > b.Precedence
			})
			v.Status = traces.shown(seqs[v.PersonID], v.Status, now)
		}
		// The row the door shows: of the shown status, the highest
		// precedence in force, the latest start.
		for i := range v.History {
			h := &v.History[i]
			if h.Status != v.Status || !h.InForce(now) {
				continue
			}
			if v.Current == nil || h.Precedence > v.Current.Precedence {
				c := *h
				v.Current = &c
			}
		}
	}
	return views, nil
}

// expiryBatch is how many people one pass of ExpireStatuses refreshes.
const expiryBatch = 500

// ExpireStatuses refreshes everyone whose shown status has ended, gives
// recovered to those whose isolation ended, and tells each of the change.
func (s *TracingService) ExpireStatuses(ctx context.Context) (int, error) {
	if a := jaga.ActorFromContext(ctx); a == nil || a.Kind != jaga.ActorSystem {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only jaga's expiry job expires statuses.")
	}
	total := 0
	for {
		now := s.db.now()
		rows, err := s.db.db.QueryContext(ctx, `SELECT id FROM people WHERE risk_until IS NOT NULL AND risk_until <= $1 ORDER BY risk_until LIMIT $2`, now, expiryBatch)
		if err != nil {
			return total, fmt.Errorf("expire statuses: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return total, err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		for _, id := range ids {
			if err = tx.expireOne(ctx, id, &s.cfg); err != nil {
				break
			}
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < expiryBatch {
			return total, nil
		}
	}
}

// expireOne gives recovered to a person whose confirmed status ended,
// then refreshes and notifies them.
func (tx *Tx) expireOne(ctx context.Context, personID string, cfg *jaga.TracingConfig) error {
	var status string
	var until sql.NullTime
	if err := tx.QueryRowContext(ctx, `SELECT risk_status, risk_until FROM people WHERE id = $1`, personID).Scan(&status, &until); err != nil {
		return fmt.Errorf("expire: %w", err)
	}
	if !until.Valid || until.Time.After(tx.now) {
		return nil // refreshed meanwhile
	}
	if status == jaga.RiskConfirmed {
		var caseRef string
		var ended time.Time
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(case_ref, ''), ends_at FROM risk_statuses
			WHERE person_id = $1 AND rule = $2 AND ends_at <= $3 ORDER BY ends_at DESC LIMIT 1`,
			personID, jaga.RuleConfirmed, tx.now).Scan(&caseRef, &ended)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("expire: %w", err)
		default:
			ended = ended.UTC()
			st := &jaga.RiskStatus{PersonID: personID, Status: jaga.RiskRecovered, Rule: jaga.RuleRecovered, CaseRef: caseRef,
				StartsAt: ended, EndsAt: ended.Add(cfg.Rules[jaga.RiskRecovered].Duration)}
			if _, err := tx.insertStatus(ctx, st, cfg); err != nil {
				return err
			}
		}
	}
	return tx.refreshAndNotify(ctx, personID)
}

var _ jaga.TracingService = (*TracingService)(nil)
