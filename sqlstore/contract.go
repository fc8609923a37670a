package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jaga-health/jaga"
)

// ContractService implements jaga.ContractService.
type ContractService struct{ db *DB }

// NewContractService returns the contract service of db.
func NewContractService(db *DB) *ContractService { return &ContractService{db: db} }

const contractSelect = `
	SELECT c.id, c.org_id, o.name, c.reference, c.categories, c.purposes, c.personnel, c.valid_from, c.valid_to,
		c.state, c.registered_by, c.approved_by, c.approved_at, c.created_at
	FROM contracts c JOIN organisations o ON o.id = c.org_id`

type rowScanner interface{ Scan(dest ...any) error }

func scanContract(r rowScanner) (*jaga.Contract, error) {
	c := &jaga.Contract{}
	var cats, purposes, personnel string
	var approvedAt sql.NullTime
	if err := r.Scan(&c.ID, &c.OrgID, &c.OrgName, &c.Reference, &cats, &purposes, &personnel, &c.ValidFrom, &c.ValidTo,
		&c.State, &c.RegisteredBy, &c.ApprovedBy, &approvedAt, &c.CreatedAt); err != nil {
		return nil, fmt.Errorf("scan contract: %w", err)
	}
	c.Categories, c.Purposes, c.Personnel = splitList(cats), splitList(purposes), splitList(personnel)
	c.ValidFrom, c.ValidTo, c.CreatedAt = c.ValidFrom.UTC(), c.ValidTo.UTC(), c.CreatedAt.UTC()
	if approvedAt.Valid {
		t := approvedAt.Time.UTC()
		c.ApprovedAt = &t
	}
	return c, nil
}

// Purposes lists the purposes registry.
func (s *ContractService) Purposes(ctx context.Context) ([]*jaga.Purpose, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT code, description_ms, description_en FROM purposes ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("purposes: %w", err)
	}
	defer rows.Close()
	var out []*jaga.Purpose
	for rows.Next() {
		p := &jaga.Purpose{}
		if err := rows.Scan(&p.Code, &p.DescriptionMS, &p.DescriptionEN); err != nil {
			return nil, fmt.Errorf("purposes: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func requireMinistryDPO(ctx context.Context) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	if a != nil && a.Kind == jaga.ActorSystem {
		return a, nil
	}
	if !a.HasRole(jaga.RoleDPO) || a.OrgKind != jaga.OrgMinistry {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's data protection officers manage contracts.")
	}
	return a, nil
}

// RegisterContract records a contract awaiting approval.
func (s *ContractService) RegisterContract(ctx context.Context, c *jaga.Contract) error {
	a, err := requireMinistryDPO(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	codes, err := tx.purposeCodes(ctx)
	if err != nil {
		return err
	}
	if problems := c.Valid(codes); problems != nil {
		return jaga.Invalid(problems)
	}
	var orgKind string
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, c.OrgID).Scan(&orgKind); errors.Is(err, sql.ErrNoRows) {
		return jaga.Invalid(map[string]string{"orgId": "No such organisation."})
	} else if err != nil {
		return fmt.Errorf("register contract: %w", err)
	}
	for _, staffID := range c.Personnel {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff WHERE id = $1 AND org_id = $2`, staffID, c.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("register contract: %w", err)
		} else if n == 0 {
			return jaga.Invalid(map[string]string{"personnel": "Named personnel must be staff of the organisation."})
		}
	}
	c.ID, c.State, c.RegisteredBy, c.CreatedAt = newID(), jaga.ContractPending, a.ID, tx.now
	c.ApprovedBy, c.ApprovedAt = "", nil
	c.ValidFrom, c.ValidTo = c.ValidFrom.UTC().Truncate(time.Microsecond), c.ValidTo.UTC().Truncate(time.Microsecond)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO contracts (id, org_id, reference, categories, purposes, personnel, valid_from, valid_to, state,
			registered_by, approved_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11)`,
		c.ID, c.OrgID, c.Reference, joinList(c.Categories), joinList(c.Purposes), joinList(c.Personnel),
		c.ValidFrom, c.ValidTo, c.State, c.RegisteredBy, c.CreatedAt); err != nil {
		if isUniqueViolation(err) {
			return jaga.Invalid(map[string]string{"reference": "A contract with this reference exists."})
		}
		return fmt.Errorf("register contract: %w", err)
	}
	return tx.Commit()
}

func (tx *Tx) purposeCodes(ctx context.Context) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT code FROM purposes`)
	if err != nil {
		return nil, fmt.Errorf("purpose codes: %w", err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	return codes, rows.Err()
}

func (tx *Tx) contract(ctx context.Context, id string) (*jaga.Contract, error) {
	c, err := scanContract(tx.QueryRowContext(ctx, contractSelect+` WHERE c.id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such contract.")
	}
	return c, err
}

// ApproveContract approves a pending contract; the approver must not be the
// officer who registered it.
func (s *ContractService) ApproveContract(ctx context.Context, id string) (*jaga.Contract, error) {
	a, err := requireMinistryDPO(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.contract(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State != jaga.ContractPending {
		return nil, jaga.Errorf(jaga.ECONFLICT, "Only a pending contract can be approved.")
	}
	if c.RegisteredBy == a.ID && a.Kind != jaga.ActorSystem {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "A second data protection officer must approve the contract.")
	}
	now := tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE contracts SET state = $1, approved_by = $2, approved_at = $3 WHERE id = $4`,
		jaga.ContractApproved, a.ID, now, id); err != nil {
		return nil, fmt.Errorf("approve contract: %w", err)
	}
	c.State, c.ApprovedBy, c.ApprovedAt = jaga.ContractApproved, a.ID, &now
	return c, tx.Commit()
}

// TerminateContract ends an approved contract now.
func (s *ContractService) TerminateContract(ctx context.Context, id string) (*jaga.Contract, error) {
	if _, err := requireMinistryDPO(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := tx.contract(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State == jaga.ContractTerminated {
		return nil, jaga.Errorf(jaga.ECONFLICT, "The contract is already terminated.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contracts SET state = $1 WHERE id = $2`, jaga.ContractTerminated, id); err != nil {
		return nil, fmt.Errorf("terminate contract: %w", err)
	}
	c.State = jaga.ContractTerminated
	return c, tx.Commit()
}

// Contracts lists every contract, for ministry staff.
func (s *ContractService) Contracts(ctx context.Context) ([]*jaga.Contract, error) {
	a := jaga.ActorFromContext(ctx)
	if a == nil || (a.Kind != jaga.ActorSystem && !(a.IsStaff() && a.OrgKind == jaga.OrgMinistry)) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry staff see every contract.")
	}
	return s.list(ctx, ``)
}

// PublicContracts lists the approved contracts in force now.
func (s *ContractService) PublicContracts(ctx context.Context) ([]*jaga.Contract, error) {
	all, err := s.list(ctx, ` WHERE c.state = 'approved'`)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	out := []*jaga.Contract{}
	for _, c := range all {
		if c.ActiveAt(now) {
			c.Personnel, c.RegisteredBy, c.ApprovedBy = nil, "", ""
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *ContractService) list(ctx context.Context, where string) ([]*jaga.Contract, error) {
	rows, err := s.db.db.QueryContext(ctx, contractSelect+where+` ORDER BY o.name, c.reference`)
	if err != nil {
		return nil, fmt.Errorf("contracts: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Contract{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
