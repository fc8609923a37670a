package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jaga-health/jaga"
)

// DoseService implements jaga.DoseService.
type DoseService struct{ db *DB }

// NewDoseService returns the dose service of db.
func NewDoseService(db *DB) *DoseService { return &DoseService{db: db} }

// Reasons of the problems the store finds in a row.
const (
	reasonNoPerson    = "No person with this identity number and date of birth."
	reasonAmbiguous   = "More than one person has this identity number and date of birth; ask the ministry to merge their records."
	reasonNameDiffers = "The name differs from the registry's for this identity number and date of birth; " +
		"the dose is recorded by identity number and date of birth. Check the identity document."
	reasonNoDoses = "The file holds no doses."
)

// policyUnknownPerson is the gate's forbid for a person who does not exist
// (gate/policies.cedar). The gate reports it only to an actor it would
// otherwise allow, so a centre without the right learns nothing from it.
const policyUnknownPerson = "unknown-person"

// rowProblem is a problem of a row with the error code it has when the
// row is recorded alone.
type rowProblem struct {
	jaga.RowError
	code string // EINVALID, ENOTFOUND or ECONFLICT
}

// plannedDose is a row that passed every check: a dose to insert, or one
// recorded before exactly so.
type plannedDose struct {
	line    int
	rec     jaga.DoseRecord
	person  string
	dose    *jaga.Dose // the stored dose when unchanged, the new one otherwise
	created bool
}

// doseCheck is the outcome of checking rows in a transaction.
type doseCheck struct {
	problems []rowProblem
	warnings []jaga.RowError
	denied   string // the gate's reason, when it denied the actor
	planned  []*plannedDose
}

// validRows normalizes and validates rows at now, outside any transaction:
// a row with a problem goes no further, not even to the gate.
func validRows(rows []jaga.DoseRow, now time.Time) ([]jaga.DoseRow, []rowProblem) {
	var ok []jaga.DoseRow
	var problems []rowProblem
	for _, row := range rows {
		row.Record.Normalize()
		fields := map[string]string{}
		for f, p := range row.Problems {
			fields[f] = p
		}
		for f, p := range row.Record.Valid(now) {
			if fields[f] == "" {
				fields[f] = p
			}
		}
		if len(fields) == 0 {
			ok = append(ok, row)
			continue
		}
		for f, p := range fields {
			problems = append(problems, rowProblem{jaga.RowError{Line: row.Line, Field: f, Reason: p}, jaga.EINVALID})
		}
	}
	return ok, problems
}

// checkRows finds each row's person through the gate, logging every
// decision in tx, and compares each dose with the stored ones and the
// file's other rows. It writes nothing but the access log. reference is
// the access log's reference of the work; unit names what a row's number
// counts in a reason: "line" or "entry".
func (tx *Tx) checkRows(ctx context.Context, a *jaga.Actor, rows []jaga.DoseRow, reference, unit string) (*doseCheck, error) {
	c := &doseCheck{}
	var unknown *jaga.Decision // the gate's decision for a person who does not exist; the same for every row
	byKey := map[string]*plannedDose{}
	storedOf := map[string][]*jaga.Dose{} // each person's stored doses, read once
	for _, row := range rows {
		rec := row.Record
		problem := func(field, reason, code string) {
			c.problems = append(c.problems, rowProblem{jaga.RowError{Line: row.Line, Field: field, Reason: reason}, code})
		}
		people, err := tx.peopleByIdentity(ctx, rec.IDNumber, rec.DateOfBirth)
		if err != nil {
			return nil, err
		}
		person := people.pick(rec.FullName)

		var d jaga.Decision
		if person.id == "" && unknown != nil {
			d = *unknown
		} else {
			fields := []string{"idNumber", "dateOfBirth", "doses"}
			if rec.FullName != "" {
				fields = []string{"idNumber", "dateOfBirth", "fullName", "doses"}
			}
			d, err = tx.guard(ctx, jaga.AccessRequest{
				Actor: *a, Action: jaga.ActionUpdate, PersonID: person.id,
				Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination}, Fields: fields,
				Purpose: jaga.PurposeVaccinationRecord, Relationship: "centre", Reference: reference,
			})
			if err != nil {
				return nil, err
			}
			if person.id == "" {
				unknown = &d
			}
		}
		switch {
		case !d.Allow && d.Policy == policyUnknownPerson:
			problem("idNumber", reasonNoPerson, jaga.ENOTFOUND)
			continue
		case !d.Allow:
			// The same for every row: the actor may not record doses.
			// The other rows are still asked, so that each person's
			// refused access is in their log.
			c.denied = d.Reason
			continue
		case person.ambiguous:
			problem("idNumber", reasonAmbiguous, jaga.ECONFLICT)
			continue
		}
		if rec.FullName != "" && !jaga.NamesMatch(rec.FullName, person.name) {
			c.warnings = append(c.warnings, jaga.RowError{Line: row.Line, Field: "fullName", Reason: reasonNameDiffers})
		}

		key := person.id + "\x00" + rec.Product + "\x00" + fmt.Sprint(rec.DoseNumber)
		if prev := byKey[key]; prev != nil {
			if field := differs(&prev.rec, &rec); field != "" {
				problem(field, fmt.Sprintf("The file records this dose twice with different details (also on %s %d).", unit, prev.line), jaga.ECONFLICT)
				continue
			}
			c.planned = append(c.planned, &plannedDose{line: row.Line, rec: rec, person: person.id, dose: prev.dose})
			continue
		}
		if _, ok := storedOf[person.id]; !ok {
			if storedOf[person.id], err = tx.personDoses(ctx, person.id); err != nil {
				return nil, err
			}
		}
		var stored *jaga.Dose
		for _, d := range storedOf[person.id] {
			if d.Product == rec.Product && d.DoseNumber == rec.DoseNumber {
				stored = d
			}
		}
		p := &plannedDose{line: row.Line, rec: rec, person: person.id, dose: stored}
		if stored != nil {
			if field := differs(&jaga.DoseRecord{Manufacturer: stored.Manufacturer, Batch: stored.Batch, TotalDoses: stored.TotalDoses,
				Booster: stored.Booster, GivenOn: stored.GivenOn, Country: stored.Country}, &rec); field != "" {
				problem(field, fmt.Sprintf("Dose %d of this product is already recorded for this person with another %s; a correction goes through the ministry.",
					rec.DoseNumber, fieldNoun[field]), jaga.ECONFLICT)
				continue
			}
		} else {
			nd := rec.Dose()
			nd.ID, nd.PersonID, nd.CentreID, nd.CreatedAt = newID(), person.id, a.OrgID, tx.now
			p.dose, p.created = &nd, true
		}
		byKey[key] = p
		c.planned = append(c.planned, p)
	}
	return c, nil
}

// fieldNoun names a dose's details in a sentence.
var fieldNoun = map[string]string{
	"givenOn": "date", "manufacturer": "manufacturer", "batch": "batch number",
	"totalDoses": "number of doses in the series", "booster": "booster flag", "country": "country",
}

// differs returns the first detail of a dose (beyond person, product and
// number) in which two records differ, or "".
func differs(a, b *jaga.DoseRecord) string {
	switch {
	case a.GivenOn != b.GivenOn:
		return "givenOn"
	case a.Manufacturer != b.Manufacturer:
		return "manufacturer"
	case a.Batch != b.Batch:
		return "batch"
	case a.TotalDoses != b.TotalDoses:
		return "totalDoses"
	case a.Booster != b.Booster:
		return "booster"
	case a.Country != b.Country:
		return "country"
	}
	return ""
}

// identified is what a centre's identity number and date of birth lead to.
type identified struct {
	id, name  string
	ambiguous bool // more than one person, and the name does not tell which
}

type candidates []identified

// peopleByIdentity returns the people with an identity number and date of
// birth, oldest first.
func (tx *Tx) peopleByIdentity(ctx context.Context, idNumber, dob string) (candidates, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, full_name FROM people WHERE id_number = $1 AND date_of_birth = $2 ORDER BY created_at, id`,
		idNumber, dob)
	if err != nil {
		return nil, fmt.Errorf("people by identity: %w", err)
	}
	defer rows.Close()
	var out candidates
	for rows.Next() {
		var p identified
		if err := rows.Scan(&p.id, &p.name); err != nil {
			return nil, fmt.Errorf("people by identity: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// pick returns the one candidate, the one whose name matches when there
// are several, or the first marked ambiguous. With none, its id is "".
func (cs candidates) pick(name string) identified {
	switch len(cs) {
	case 0:
		return identified{}
	case 1:
		return cs[0]
	}
	var match []identified
	for _, c := range cs {
		if name != "" && jaga.NamesMatch(name, c.name) {
			match = append(match, c)
		}
	}
	if len(match) == 1 {
		return match[0]
	}
	first := cs[0]
	first.ambiguous = true
	return first
}

const doseSelect = `
	SELECT d.id, d.person_id, p.full_name, d.product, d.manufacturer, d.batch, d.dose_number, d.total_doses, d.booster,
		d.given_on, d.centre_id, COALESCE(o.name, ''), d.country, COALESCE(d.import_id, ''), d.created_at
	FROM doses d
	JOIN people p ON p.id = d.person_id
	LEFT JOIN organisations o ON o.id = d.centre_id`

func scanDose(r rowScanner) (*jaga.Dose, error) {
	d := &jaga.Dose{}
	if err := r.Scan(&d.ID, &d.PersonID, &d.PersonName, &d.Product, &d.Manufacturer, &d.Batch, &d.DoseNumber, &d.TotalDoses,
		&d.Booster, &d.GivenOn, &d.CentreID, &d.CentreName, &d.Country, &d.ImportID, &d.CreatedAt); err != nil {
		return nil, err
	}
	d.ProductName, d.ManufacturerName = jaga.VaccineProducts[d.Product], jaga.VaccineManufacturers[d.Manufacturer]
	d.CreatedAt = d.CreatedAt.UTC()
	return d, nil
}

// personDoses returns a person's stored doses.
func (tx *Tx) personDoses(ctx context.Context, personID string) ([]*jaga.Dose, error) {
	rows, err := tx.queryHot(ctx, doseSelect+` WHERE d.person_id = $1`, personID)
	if err != nil {
		return nil, fmt.Errorf("stored doses: %w", err)
	}
	defer rows.Close()
	var out []*jaga.Dose
	for rows.Next() {
		d, err := scanDose(rows)
		if err != nil {
			return nil, fmt.Errorf("stored doses: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// writeDoses inserts the planned new doses, refreshes the door status of
// everyone who has one and issues their certificates, in tx.
func (tx *Tx) writeDoses(ctx context.Context, planned []*plannedDose, actorID, importID string) (int, error) {
	created := 0
	var people []string
	seen := map[string]bool{}
	for _, p := range planned {
		if !p.created {
			continue
		}
		d := p.dose
		d.ImportID = importID
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO doses (id, person_id, product, manufacturer, batch, dose_number, total_doses, booster, given_on,
				centre_id, country, created_at, import_id, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			d.ID, d.PersonID, d.Product, d.Manufacturer, d.Batch, d.DoseNumber, d.TotalDoses, d.Booster, d.GivenOn,
			d.CentreID, d.Country, d.CreatedAt, nullString(importID), actorID); err != nil {
			if isUniqueViolation(err) {
				return 0, jaga.Errorf(jaga.ECONFLICT, "Some of these doses were recorded at the same moment by another request; send them again.")
			}
			return 0, fmt.Errorf("insert dose: %w", err)
		}
		created++
		if !seen[d.PersonID] {
			seen[d.PersonID] = true
			people = append(people, d.PersonID)
		}
	}
	for _, id := range people {
		if err := tx.RefreshDoorStatus(ctx, id); err != nil {
			return 0, err
		}
		// The dose reaches the person's certificate in the same
		// transaction. Without a loaded key the dose still counts; the
		// person's refresh issues the certificate later.
		if _, _, err := tx.issueCertificate(ctx, id, jaga.ReasonNewDose, false, false); err != nil && jaga.ErrorCode(err) != jaga.EUNAVAILABLE {
			return 0, err
		}
	}
	return created, nil
}

// recorder returns the caller if they may ask to record doses at all:
// staff and API clients, whom the gate then decides on.
func recorder(ctx context.Context) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	switch {
	case a == nil:
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to record doses.")
	case a.Kind != jaga.ActorStaff && a.Kind != jaga.ActorAPIClient:
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only vaccination centre staff record doses.")
	}
	return a, nil
}

// RecordDose records one dose for a vaccinator, through the gate.
func (s *DoseService) RecordDose(ctx context.Context, r jaga.DoseRecord) (*jaga.Dose, bool, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, false, err
	}
	rows, problems := validRows([]jaga.DoseRow{{Record: r}}, s.db.now())
	if len(problems) > 0 {
		fields := map[string]string{}
		for _, p := range problems {
			fields[p.Field] = p.Reason
		}
		return nil, false, jaga.Invalid(fields)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	c, err := tx.checkRows(ctx, a, rows, "api", "")
	if err != nil {
		return nil, false, err
	}
	if c.denied != "" || len(c.problems) > 0 {
		// Nothing to write; the gate's decision is logged all the same.
		if err := tx.Commit(); err != nil {
			return nil, false, fmt.Errorf("log access: %w", err)
		}
		if c.denied != "" {
			return nil, false, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", c.denied)
		}
		p := c.problems[0] // one row: one problem, not found or in conflict
		return nil, false, &jaga.Error{Code: p.code, Message: p.Reason, Fields: map[string]string{p.Field: p.Reason}}
	}
	if _, err := tx.writeDoses(ctx, c.planned, a.ID, ""); err != nil {
		return nil, false, err
	}
	p := c.planned[0]
	d := *p.dose
	if p.created {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, d.CentreID).Scan(&d.CentreName); err != nil {
			return nil, false, fmt.Errorf("record dose: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	// The centre knows the person by their document; the registry's id
	// and name stay in the registry.
	d.PersonID, d.PersonName = "", ""
	return &d, p.created, nil
}

// ImportDoses records a parsed file of doses, all or nothing.
func (s *DoseService) ImportDoses(ctx context.Context, f *jaga.DoseImport) (*jaga.ImportReport, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, err
	}
	if f == nil || (f.Format != jaga.ImportCSV && f.Format != jaga.ImportFHIR) || len(f.Hash) != 64 {
		return nil, jaga.Errorf(jaga.EINVALID, "The import names no known format or file.")
	}
	if len(f.Rows) > jaga.MaxImportRows {
		return nil, jaga.Errorf(jaga.EINVALID, "A file holds at most %d doses; this one holds %d. Split it and send the parts.", jaga.MaxImportRows, len(f.Rows))
	}
	rep := &jaga.ImportReport{Format: f.Format, FileHash: f.Hash, Rows: len(f.Rows),
		Errors: append([]jaga.RowError{}, f.Problems...), Warnings: append([]jaga.RowError{}, f.Warnings...)}
	if len(f.Rows) == 0 && len(f.Problems) == 0 {
		rep.Errors = append(rep.Errors, jaga.RowError{Reason: reasonNoDoses})
	}
	rows, problems := validRows(f.Rows, s.db.now())
	for _, p := range problems {
		rep.Errors = append(rep.Errors, p.RowError)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	unit := "line"
	if f.Format == jaga.ImportFHIR {
		unit = "entry"
	}
	c, err := tx.checkRows(ctx, a, rows, "import:"+f.Hash[:16], unit)
	if err != nil {
		return nil, err
	}
	for _, p := range c.problems {
		rep.Errors = append(rep.Errors, p.RowError)
	}
	rep.Warnings = append(rep.Warnings, c.warnings...)
	jaga.SortRowErrors(rep.Errors)
	jaga.SortRowErrors(rep.Warnings)
	if c.denied != "" || len(rep.Errors) > 0 {
		// Nothing is written but the gate's decisions.
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("log access: %w", err)
		}
		if c.denied != "" {
			return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", c.denied)
		}
		return rep, nil
	}

	var first sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT created_at FROM dose_imports WHERE org_id = $1 AND file_hash = $2 ORDER BY created_at LIMIT 1`,
		a.OrgID, f.Hash).Scan(&first)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("import doses: %w", err)
	default:
		t := first.Time.UTC()
		rep.FirstImportedAt = &t
	}
	rep.ImportID = newID()
	for _, p := range c.planned {
		if p.created {
			rep.Created++
		} else {
			rep.Unchanged++
		}
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO dose_imports (id, org_id, actor_id, format, file_hash, row_count, created_count, unchanged_count, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		rep.ImportID, a.OrgID, a.ID, f.Format, f.Hash, rep.Rows, rep.Created, rep.Unchanged, tx.now); err != nil {
		return nil, fmt.Errorf("import doses: %w", err)
	}
	if _, err := tx.writeDoses(ctx, c.planned, a.ID, rep.ImportID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return rep, nil
}

// Doses lists the calling citizen's and their dependants' doses: the
// caller's first, then each dependant's, each by date.
func (s *DoseService) Doses(ctx context.Context) ([]*jaga.Dose, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your doses.")
	}
	rows, err := s.db.db.QueryContext(ctx, doseSelect+`
		WHERE p.id = $1 OR p.guardian_id = $1
		ORDER BY CASE WHEN p.id = $1 THEN 0 ELSE 1 END, p.created_at, p.id, d.given_on, d.dose_number`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("doses: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Dose{}
	for rows.Next() {
		d, err := scanDose(rows)
		if err != nil {
			return nil, fmt.Errorf("doses: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

var _ jaga.DoseService = (*DoseService)(nil)
