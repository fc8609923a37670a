package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jaga-health/jaga"
)

// CorrectionService implements jaga.CorrectionService.
type CorrectionService struct{ db *DB }

// NewCorrectionService returns the correction service of db.
func NewCorrectionService(db *DB) *CorrectionService { return &CorrectionService{db: db} }

const correctionSelect = `
	SELECT id, person_id, field, COALESCE(dose_id, ''), old_value, new_value, reason, reference, status, created_by,
		created_at, COALESCE(decided_by, ''), decided_at, COALESCE(certificate_id, ''), revoked_ids
	FROM corrections`

func scanCorrection(r rowScanner) (*jaga.Correction, error) {
	c := &jaga.Correction{}
	var decided sql.NullTime
	var revoked string
	if err := r.Scan(&c.ID, &c.PersonID, &c.Field, &c.DoseID, &c.OldValue, &c.NewValue, &c.Reason, &c.Reference,
		&c.Status, &c.CreatedBy, &c.CreatedAt, &c.DecidedBy, &decided, &c.CertID, &revoked); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if decided.Valid {
		t := decided.Time.UTC()
		c.DecidedAt = &t
	}
	c.RevokedIDs = strings.Fields(revoked)
	return c, nil
}

// correctionOfficer returns the caller if they are staff.
func correctionOfficer(ctx context.Context) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	switch {
	case a == nil:
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to correct records.")
	case a.Kind != jaga.ActorStaff:
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only health officers correct records.")
	}
	return a, nil
}

// correctionCategory is the data category a field belongs to.
func correctionCategory(field string) string {
	if jaga.IsDoseField(field) {
		return jaga.CategoryVaccination
	}
	return jaga.CategoryIdentity
}

// guardCorrection asks the gate whether a may change the person's field
// for reference, logging the decision in tx; a denial is EFORBIDDEN once
// the decision is committed by the caller.
func (tx *Tx) guardCorrection(ctx context.Context, a *jaga.Actor, personID, field, reference string) (jaga.Decision, error) {
	categories := []string{correctionCategory(field)}
	return tx.guard(ctx, jaga.AccessRequest{
		Actor:        *a,
		Action:       jaga.ActionUpdate,
		PersonID:     personID,
		Categories:   categories,
		Fields:       describeFields(categories),
		Purpose:      jaga.PurposeRecordCorrection,
		Relationship: "case",
		Reference:    reference,
	})
}

// denied commits tx (to keep the gate's decision in the log) and returns
// the denial.
func (tx *Tx) denied(d jaga.Decision) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("log denial: %w", err)
	}
	return jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", d.Reason)
}

// commitRefusal commits tx, which holds only the gate's decision, and
// returns the refusal err; a failure to commit wins.
func (tx *Tx) commitRefusal(err error) error {
	if cerr := tx.Commit(); cerr != nil {
		return fmt.Errorf("log access: %w", cerr)
	}
	return err
}

// correctedValue returns the current value of the field.
func (tx *Tx) correctedValue(ctx context.Context, personID, field, doseID string) (string, *jaga.Dose, error) {
	if !jaga.IsDoseField(field) {
		p, err := tx.person(ctx, personID)
		if err != nil {
			return "", nil, err
		}
		if field == jaga.CorrectFullName {
			return p.FullName, nil, nil
		}
		return p.DateOfBirth, nil, nil
	}
	doses, err := tx.personDoses(ctx, personID)
	if err != nil {
		return "", nil, err
	}
	for _, d := range doses {
		if d.ID != doseID {
			continue
		}
		switch field {
		case jaga.CorrectDoseBatch:
			return d.Batch, d, nil
		case jaga.CorrectDoseGivenOn:
			return d.GivenOn, d, nil
		case jaga.CorrectDoseProduct:
			return d.Product, d, nil
		case jaga.CorrectDoseMfr:
			return d.Manufacturer, d, nil
		case jaga.CorrectDoseNumber:
			return strconv.Itoa(d.DoseNumber), d, nil
		case jaga.CorrectDoseTotal:
			return strconv.Itoa(d.TotalDoses), d, nil
		case jaga.CorrectDoseBooster:
			return strconv.FormatBool(d.Booster), d, nil
		case jaga.CorrectDoseCountry:
			return d.Country, d, nil
		}
	}
	return "", nil, jaga.Invalid(map[string]string{"doseId": "is not a dose of this person"})
}

// RequestCorrection records a pending correction.
func (s *CorrectionService) RequestCorrection(ctx context.Context, r jaga.CorrectionRequest) (*jaga.Correction, error) {
	a, err := correctionOfficer(ctx)
	if err != nil {
		return nil, err
	}
	r.Normalize()
	if p := r.Valid(); len(p) > 0 {
		return nil, jaga.Invalid(p)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := tx.guardCorrection(ctx, a, r.PersonID, r.Field, r.Reference)
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, tx.denied(d)
	}
	// From here on the record was read: a refusal keeps the gate's
	// decision in the log.
	c, err := tx.insertCorrection(ctx, a, r)
	if err != nil {
		return nil, tx.commitRefusal(err)
	}
	return c, tx.Commit()
}

// insertCorrection records a valid request as a pending correction asked
// for by a, once the gate has allowed a to read the record. A request
// that names no dose of the person, or the value the record holds, is
// EINVALID.
func (tx *Tx) insertCorrection(ctx context.Context, a *jaga.Actor, r jaga.CorrectionRequest) (*jaga.Correction, error) {
	old, _, err := tx.correctedValue(ctx, r.PersonID, r.Field, r.DoseID)
	if err == nil && old == r.NewValue {
		err = jaga.Invalid(map[string]string{"newValue": "is the value the record already holds"})
	}
	if err != nil {
		return nil, err
	}
	c := &jaga.Correction{ID: newID(), PersonID: r.PersonID, Field: r.Field, DoseID: r.DoseID, OldValue: old,
		NewValue: r.NewValue, Reason: r.Reason, Reference: r.Reference, Status: jaga.CorrectionPending,
		CreatedBy: a.ID, CreatedAt: tx.now}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO corrections (id, person_id, field, dose_id, old_value, new_value, reason, reference, status, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.PersonID, c.Field, nullString(c.DoseID), c.OldValue, c.NewValue, c.Reason, c.Reference, c.Status,
		c.CreatedBy, c.CreatedAt); err != nil {
		return nil, fmt.Errorf("request correction: %w", err)
	}
	return c, nil
}

// DecideCorrection approves or rejects a pending correction.
func (s *CorrectionService) DecideCorrection(ctx context.Context, id string, approve bool) (*jaga.Correction, error) {
	a, err := correctionOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if !jaga.CanDecideChanges(a) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's health officers and supervisors decide corrections.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := scanCorrection(tx.QueryRowContext(ctx, correctionSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such correction.")
	} else if err != nil {
		return nil, fmt.Errorf("decide correction: %w", err)
	}
	d, err := tx.guardCorrection(ctx, a, c.PersonID, c.Field, c.Reference)
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, tx.denied(d)
	}
	if c.CreatedBy == a.ID {
		return nil, tx.commitRefusal(jaga.Errorf(jaga.EFORBIDDEN, "A second officer must decide a correction; you asked for this one."))
	}
	if c.Status != jaga.CorrectionPending {
		return nil, tx.commitRefusal(jaga.Errorf(jaga.ECONFLICT, "This correction was already %s.", c.Status))
	}
	c.DecidedBy, c.DecidedAt = a.ID, &tx.now
	if !approve {
		c.Status = jaga.CorrectionRejected
	} else {
		c.Status = jaga.CorrectionApproved
		if err := tx.applyCorrection(ctx, c); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE corrections SET status = $1, decided_by = $2, decided_at = $3, certificate_id = $4, revoked_ids = $5
		WHERE id = $6 AND status = 'pending'`,
		c.Status, c.DecidedBy, tx.now, nullString(c.CertID), certificateIDs(c.RevokedIDs), c.ID); err != nil {
		return nil, fmt.Errorf("decide correction: %w", err)
	}
	if err := tx.correctionDecided(ctx, a, c); err != nil {
		return nil, err
	}
	return c, tx.Commit()
}

// applyCorrection changes the record, revokes the certificates that said
// the old value, issues a new one and tells the person.
func (tx *Tx) applyCorrection(ctx context.Context, c *jaga.Correction) error {
	old, dose, err := tx.correctedValue(ctx, c.PersonID, c.Field, c.DoseID)
	if err != nil {
		return err
	}
	if old != c.OldValue {
		return jaga.Errorf(jaga.ECONFLICT, "The record changed since the correction was asked for; ask again.")
	}
	var revokeWhere string
	var revokeArgs []any
	if jaga.IsDoseField(c.Field) {
		if err := tx.correctDose(ctx, c, dose); err != nil {
			return err
		}
		revokeWhere, revokeArgs = "dose_id = $3", []any{c.DoseID}
	} else if err := tx.correctPerson(ctx, c); err != nil {
		return err
	}
	if err := tx.RefreshDoorStatus(ctx, c.PersonID); err != nil {
		return err
	}
	// Revoke every certificate that carried the old value, then issue the
	// current one anew if it was among them or now says something else.
	c.RevokedIDs, err = tx.revokeCertificates(ctx, c.PersonID, jaga.ReasonCorrection, revokeWhere, revokeArgs...)
	if err != nil {
		return err
	}
	cert, _, err := tx.issueCertificate(ctx, c.PersonID, jaga.ReasonCorrection, false, true)
	if err != nil && jaga.ErrorCode(err) != jaga.EUNAVAILABLE {
		return err
	}
	if cert != nil {
		c.CertID = cert.ID
	}
	_, err = tx.notify(ctx, c.PersonID, correctionNotice(c))
	return err
}

// correctPerson applies a correction of the person's name or date of
// birth, under the rules of a profile.
func (tx *Tx) correctPerson(ctx context.Context, c *jaga.Correction) error {
	p, err := tx.person(ctx, c.PersonID)
	if err != nil {
		return err
	}
	prof := jaga.Profile{FullName: p.FullName, IDType: p.IDType, IDNumber: p.IDNumber, DateOfBirth: p.DateOfBirth,
		Nationality: p.Nationality, Address: p.Address, Language: p.Language}
	column, key := "full_name", "fullName"
	if c.Field == jaga.CorrectFullName {
		prof.FullName = c.NewValue
	} else {
		prof.DateOfBirth = c.NewValue
		column, key = "date_of_birth", "dateOfBirth"
	}
	prof.Normalize()
	if problem := prof.Valid(tx.now)[key]; problem != "" {
		return jaga.Invalid(map[string]string{"newValue": problem})
	}
	value := prof.FullName
	if c.Field == jaga.CorrectDateOfBirth {
		value = prof.DateOfBirth
	}
	if _, err := tx.ExecContext(ctx, `UPDATE people SET `+column+` = $1, updated_at = $2 WHERE id = $3`, value, tx.now, c.PersonID); err != nil {
		if isUniqueViolation(err) {
			return jaga.Errorf(jaga.ECONFLICT, "Another person is registered with these details.")
		}
		return fmt.Errorf("correct person: %w", err)
	}
	return nil
}

// correctDose applies a correction of one of a dose's details, under the
// rules of a dose record.
func (tx *Tx) correctDose(ctx context.Context, c *jaga.Correction, d *jaga.Dose) error {
	// The record's rules check the dose against the person's date of
	// birth; its identity number is not corrected here, so a placeholder
	// that passes its rule stands in.
	r := jaga.DoseRecord{IDNumber: "X0000", DateOfBirth: "", Product: d.Product, Manufacturer: d.Manufacturer,
		Batch: d.Batch, DoseNumber: d.DoseNumber, TotalDoses: d.TotalDoses, Booster: d.Booster, GivenOn: d.GivenOn, Country: d.Country}
	if err := tx.QueryRowContext(ctx, `SELECT date_of_birth FROM people WHERE id = $1`, c.PersonID).Scan(&r.DateOfBirth); err != nil {
		return fmt.Errorf("correct dose: %w", err)
	}
	bad := func(reason string) error { return jaga.Invalid(map[string]string{"newValue": reason}) }
	v := c.NewValue
	switch c.Field {
	case jaga.CorrectDoseBatch:
		r.Batch = v
	case jaga.CorrectDoseGivenOn:
		r.GivenOn = v
	case jaga.CorrectDoseProduct:
		r.Product = v
	case jaga.CorrectDoseMfr:
		r.Manufacturer = v
	case jaga.CorrectDoseCountry:
		r.Country = v
	case jaga.CorrectDoseNumber, jaga.CorrectDoseTotal:
		n, err := strconv.Atoi(v)
		if err != nil {
			return bad("must be a whole number")
		}
		if c.Field == jaga.CorrectDoseNumber {
			r.DoseNumber = n
		} else {
			r.TotalDoses = n
		}
	case jaga.CorrectDoseBooster:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("must be true or false")
		}
		r.Booster = b
	}
	r.Normalize()
	if problems := r.Valid(tx.now); len(problems) > 0 {
		for _, reason := range problems {
			return bad(reason)
		}
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE doses SET product = $1, manufacturer = $2, batch = $3, dose_number = $4, total_doses = $5, booster = $6,
			given_on = $7, country = $8
		WHERE id = $9 AND person_id = $10`,
		r.Product, r.Manufacturer, r.Batch, r.DoseNumber, r.TotalDoses, r.Booster, r.GivenOn, r.Country, d.ID, c.PersonID); err != nil {
		if isUniqueViolation(err) {
			return jaga.Errorf(jaga.ECONFLICT, "The person already has a dose with this product and number.")
		}
		return fmt.Errorf("correct dose: %w", err)
	}
	return nil
}

// correctionNotice tells a person their record was corrected.
func correctionNotice(c *jaga.Correction) jaga.Notice {
	then := [2]string{"Sijil anda tidak perlu diubah.", "Your certificate did not need to change."}
	if len(c.RevokedIDs) > 0 {
		then = [2]string{"Sijil lama anda telah dibatalkan; sijil baharu sedia dalam aplikasi jaga.",
			"Your old certificate was revoked; a new one is ready in the jaga app."}
	}
	return jaga.Notice{
		Subject: map[string]string{
			"ms": "Rekod vaksinasi anda telah dibetulkan",
			"en": "Your vaccination record was corrected",
		},
		Body: map[string]string{
			"ms": "Seorang pegawai kesihatan telah membetulkan rekod anda (" + fieldName("ms", c.Field) + "). " + then[0] + " Rujukan: " + c.ID + ".",
			"en": "A health officer corrected your record (" + fieldName("en", c.Field) + "). " + then[1] + " Reference: " + c.ID + ".",
		},
	}
}

// fieldName names a corrected field in a message.
func fieldName(lang, field string) string {
	names := map[string][2]string{
		jaga.CorrectFullName:    {"nama", "name"},
		jaga.CorrectDateOfBirth: {"tarikh lahir", "date of birth"},
		jaga.CorrectDoseBatch:   {"nombor kelompok dos", "dose batch number"},
		jaga.CorrectDoseGivenOn: {"tarikh dos", "dose date"},
		jaga.CorrectDoseProduct: {"vaksin", "vaccine"},
		jaga.CorrectDoseMfr:     {"pengeluar vaksin", "vaccine manufacturer"},
		jaga.CorrectDoseNumber:  {"nombor dos", "dose number"},
		jaga.CorrectDoseTotal:   {"bilangan dos dalam siri", "doses in the series"},
		jaga.CorrectDoseBooster: {"dos penggalak", "booster"},
		jaga.CorrectDoseCountry: {"negara dos", "dose country"},
	}
	n := names[field]
	if lang == "ms" {
		return n[0]
	}
	return n[1]
}

// Corrections lists corrections by status, newest first.
func (s *CorrectionService) Corrections(ctx context.Context, status string) ([]*jaga.Correction, error) {
	a, err := correctionOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if !jaga.CanDecideChanges(a) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's health officers and supervisors see corrections.")
	}
	switch status {
	case "", jaga.CorrectionPending, jaga.CorrectionApproved, jaga.CorrectionRejected:
	default:
		return nil, jaga.Invalid(map[string]string{"status": "must be pending, approved or rejected"})
	}
	q, args := correctionSelect+` ORDER BY created_at DESC, id LIMIT 200`, []any{}
	if status != "" {
		q, args = correctionSelect+` WHERE status = $1 ORDER BY created_at DESC, id LIMIT 200`, []any{status}
	}
	rows, err := s.db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("corrections: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Correction{}
	for rows.Next() {
		c, err := scanCorrection(rows)
		if err != nil {
			return nil, fmt.Errorf("corrections: %w", err)
		}
		// The values are the person's data: Correction shows them,
		// through the gate.
		c.OldValue, c.NewValue = "", ""
		out = append(out, c)
	}
	return out, rows.Err()
}

// Correction returns one correction with its values, through the gate.
func (s *CorrectionService) Correction(ctx context.Context, id string) (*jaga.Correction, error) {
	a, err := correctionOfficer(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := scanCorrection(tx.QueryRowContext(ctx, correctionSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such correction.")
	} else if err != nil {
		return nil, fmt.Errorf("correction: %w", err)
	}
	categories := []string{correctionCategory(c.Field)}
	d, err := tx.guard(ctx, jaga.AccessRequest{Actor: *a, Action: jaga.ActionRead, PersonID: c.PersonID,
		Categories: categories, Fields: describeFields(categories), Purpose: jaga.PurposeRecordCorrection,
		Relationship: "case", Reference: c.Reference})
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, tx.denied(d)
	}
	return c, tx.Commit()
}

var _ jaga.CorrectionService = (*CorrectionService)(nil)
