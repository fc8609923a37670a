package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jaga-health/jaga"
)

// PersonService implements jaga.PersonService.
type PersonService struct{ db *DB }

// NewPersonService returns the person service of db.
func NewPersonService(db *DB) *PersonService { return &PersonService{db: db} }

const personSelect = `
	SELECT id, COALESCE(guardian_id, ''), COALESCE(phone, ''), COALESCE(email, ''), full_name, id_type, id_number,
		date_of_birth, nationality, address, language, created_at, updated_at
	FROM people`

func scanPerson(r rowScanner) (*jaga.Person, error) {
	p := &jaga.Person{}
	if err := r.Scan(&p.ID, &p.GuardianID, &p.Phone, &p.Email, &p.FullName, &p.IDType, &p.IDNumber,
		&p.DateOfBirth, &p.Nationality, &p.Address, &p.Language, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

func (tx *Tx) person(ctx context.Context, id string) (*jaga.Person, error) {
	p, err := scanPerson(tx.QueryRowContext(ctx, personSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such person.")
	} else if err != nil {
		return nil, fmt.Errorf("person: %w", err)
	}
	return p, nil
}

// ownPerson returns the person if the calling citizen is that person or
// their guardian; anyone else gets ENOTFOUND, as if the person did not exist.
func (tx *Tx) ownPerson(ctx context.Context, id string) (*jaga.Person, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such person.")
	}
	p, err := tx.person(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.ID != a.ID && p.GuardianID != a.ID {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such person.")
	}
	return p, nil
}

// Person returns a person to that person or their guardian.
func (s *PersonService) Person(ctx context.Context, id string) (*jaga.Person, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.db.dialect == Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.ownPerson(ctx, id)
}

// ReadPerson returns a person to staff or an API client, through the gate.
func (s *PersonService) ReadPerson(ctx context.Context, id string, why jaga.AccessReason) (*jaga.Person, error) {
	a := jaga.ActorFromContext(ctx)
	if a == nil || (a.Kind != jaga.ActorStaff && a.Kind != jaga.ActorAPIClient) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such person.")
	}
	if problems := why.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	categories := []string{jaga.CategoryIdentity, jaga.CategoryContact}
	action := jaga.ActionRead
	if why.Unmask {
		action = jaga.ActionUnmask
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := tx.guard(ctx, jaga.AccessRequest{
		Actor:        *a,
		Action:       action,
		PersonID:     id,
		Categories:   categories,
		Fields:       describeFields(categories),
		Purpose:      why.Purpose,
		Relationship: why.Relationship,
		Reference:    why.Reference,
		Reason:       why.Reason,
	})
	if err != nil {
		return nil, err
	}
	// A denial answers before the person is looked up, so that an actor
	// the gate refuses cannot tell an unknown person from a real one.
	if !d.Allow {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("log denial: %w", err)
		}
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", d.Reason)
	}
	p, err := tx.person(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Masked {
		m := p.MaskedCopy()
		p = &m
	}
	return p, tx.Commit()
}

// UpdateProfile sets the profile of the caller or one of their dependants.
func (s *PersonService) UpdateProfile(ctx context.Context, id string, prof jaga.Profile) (*jaga.Person, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, err := tx.ownPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	prof.Normalize()
	if problems := prof.Valid(tx.now); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	prof.Apply(p)
	p.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `
		UPDATE people SET full_name = $1, id_type = $2, id_number = $3, date_of_birth = $4, nationality = $5,
			address = $6, language = $7, updated_at = $8, address_key = $10
		WHERE id = $9`,
		p.FullName, p.IDType, p.IDNumber, p.DateOfBirth, p.Nationality, p.Address, p.Language, p.UpdatedAt, p.ID, jaga.AddressKey(p.Address)); err != nil {
		return nil, fmt.Errorf("update profile: %w", err)
	}
	return p, tx.Commit()
}

// MaxDependants is how many dependants one guardian may hold.
const MaxDependants = 20

// AddDependant creates a dependant under the calling citizen.
func (s *PersonService) AddDependant(ctx context.Context, prof jaga.Profile) (*jaga.Person, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to add a dependant.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if s.db.dialect == Postgres {
		// Lock the guardian, so that concurrent adds count one after
		// another and cannot pass MaxDependants together.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM people WHERE id = $1`+tx.forUpdate(), a.ID); err != nil {
			return nil, fmt.Errorf("add dependant: %w", err)
		}
	}
	guardian, err := tx.person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if guardian.GuardianID != "" {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "A dependant cannot add dependants.")
	}
	prof.Normalize()
	if problems := prof.Valid(tx.now); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM people WHERE guardian_id = $1`, a.ID).Scan(&n); err != nil {
		return nil, fmt.Errorf("add dependant: %w", err)
	}
	if n >= MaxDependants {
		return nil, jaga.Errorf(jaga.ECONFLICT, "You can hold at most %d dependants.", MaxDependants)
	}
	p := &jaga.Person{ID: newID(), GuardianID: a.ID, CreatedAt: tx.now, UpdatedAt: tx.now}
	prof.Apply(p)
	if err := tx.insertPerson(ctx, p); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}

func (tx *Tx) insertPerson(ctx context.Context, p *jaga.Person) error {
	if p.Language == "" {
		p.Language = jaga.DefaultLanguage
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO people (id, guardian_id, phone, email, full_name, id_type, id_number, date_of_birth,
			nationality, address, language, pseudonym, created_at, updated_at, address_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		p.ID, nullString(p.GuardianID), nullString(p.Phone), nullString(p.Email), p.FullName, p.IDType, p.IDNumber,
		p.DateOfBirth, p.Nationality, p.Address, p.Language, randomHex(16), p.CreatedAt, p.UpdatedAt, jaga.AddressKey(p.Address)); err != nil {
		if isUniqueViolation(err) {
			return jaga.Errorf(jaga.ECONFLICT, "That phone number or email is already in use.")
		}
		return fmt.Errorf("insert person: %w", err)
	}
	return nil
}

// Dependants lists the calling citizen's dependants.
func (s *PersonService) Dependants(ctx context.Context) ([]*jaga.Person, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your dependants.")
	}
	rows, err := s.db.db.QueryContext(ctx, personSelect+` WHERE guardian_id = $1 ORDER BY created_at, id`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("dependants: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("dependants: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
