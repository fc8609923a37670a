package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/jaga-health/jaga"
)

// guard asks the gate whether the actor in ctx may act on the person's data
// and appends the decision to the access log inside tx. It returns the
// decision; the caller commits tx even when the gate denies, so that the
// denial is logged, and then returns EFORBIDDEN.
func (tx *Tx) guard(ctx context.Context, req jaga.AccessRequest) (jaga.Decision, error) {
	if tx.db.Gate == nil {
		return jaga.Decision{}, fmt.Errorf("guard: no gate configured")
	}
	req.At = tx.now
	var pseudonym string
	err := tx.QueryRowContext(ctx, `SELECT pseudonym FROM people WHERE id = $1`, req.PersonID).Scan(&pseudonym)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		req.PersonExists = false
	case err != nil:
		return jaga.Decision{}, fmt.Errorf("guard person: %w", err)
	default:
		req.PersonExists = true
	}
	if req.Actor.OrgID != "" {
		req.Contracts, err = tx.orgContracts(ctx, req.Actor.OrgID)
		if err != nil {
			return jaga.Decision{}, err
		}
	}
	d, err := tx.db.Gate.Decide(ctx, req)
	if err != nil {
		return jaga.Decision{}, fmt.Errorf("gate: %w", err)
	}
	if !req.PersonExists {
		// Nothing to log against: no one's data was touched.
		return d, nil
	}
	e := &jaga.AccessEntry{
		At:           tx.now,
		ActorKind:    req.Actor.Kind,
		ActorID:      req.Actor.ID,
		ActorRole:    req.Actor.Role,
		OrgID:        req.Actor.OrgID,
		ContractID:   d.ContractID,
		Purpose:      req.Purpose,
		Relationship: req.Relationship,
		Reference:    req.Reference,
		Reason:       req.Reason,
		Subject:      pseudonym,
		Action:       req.Action,
		Categories:   joinList(sortedCopy(req.Categories)),
		Fields:       joinList(req.Fields),
		Decision:     jaga.DecisionDeny,
		Policy:       d.Policy,
	}
	if d.Allow {
		e.Decision = jaga.DecisionAllow
	}
	if err := tx.appendAccess(ctx, e); err != nil {
		return jaga.Decision{}, err
	}
	return d, nil
}

func sortedCopy(l []string) []string {
	c := append([]string(nil), l...)
	sort.Strings(c)
	return c
}

// appendAccess gives e the next sequence number, links it to the previous
// entry's hash and writes it. The head row serializes appenders.
func (tx *Tx) appendAccess(ctx context.Context, e *jaga.AccessEntry) error {
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM access_log_head WHERE id = 1`+tx.forUpdate()).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("access log head: %w", err)
	}
	e.Seq = seq + 1
	e.PrevHash = prev
	e.Hash = e.ChainHash(prev)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO access_log (seq, at, actor_kind, actor_id, actor_role, org_id, contract_id, purpose,
			relationship, reference, reason, subject, action, categories, fields, decision, policy, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		e.Seq, e.At, e.ActorKind, e.ActorID, e.ActorRole, e.OrgID, e.ContractID, e.Purpose,
		e.Relationship, e.Reference, e.Reason, e.Subject, e.Action, e.Categories, e.Fields, e.Decision, e.Policy,
		e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append access: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE access_log_head SET seq = $1, hash = $2 WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("access log head: %w", err)
	}
	return nil
}

// AccessLog implements jaga.AccessLog.
type AccessLog struct{ db *DB }

// NewAccessLog returns the access log of db.
func NewAccessLog(db *DB) *AccessLog { return &AccessLog{db: db} }

// AccessesToMe lists accesses to the calling citizen and their dependants.
func (s *AccessLog) AccessesToMe(ctx context.Context, limit int) ([]*jaga.AccessView, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see who accessed your data.")
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT l.seq, l.at, p.id, p.full_name, COALESCE(o.name, ''), COALESCE(o.kind, ''), l.actor_kind, l.actor_role,
			COALESCE(c.reference, ''), l.purpose, l.reason, l.action, l.categories, l.fields, l.decision, l.policy
		FROM people p
		JOIN access_log l ON l.subject = p.pseudonym
		LEFT JOIN organisations o ON o.id = l.org_id
		LEFT JOIN contracts c ON c.id = l.contract_id
		WHERE p.id = $1 OR p.guardian_id = $1
		ORDER BY l.seq DESC
		LIMIT $2`, a.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("accesses to me: %w", err)
	}
	defer rows.Close()
	out := []*jaga.AccessView{}
	for rows.Next() {
		v := &jaga.AccessView{}
		var actorKind, cats, fields string
		if err := rows.Scan(&v.Seq, &v.At, &v.PersonID, &v.PersonName, &v.Organisation, &v.OrganisationKind,
			&actorKind, &v.Role, &v.ContractRef, &v.Purpose, &v.Reason, &v.Action, &cats, &fields, &v.Decision, &v.Policy); err != nil {
			return nil, fmt.Errorf("accesses to me: %w", err)
		}
		if v.Role == "" {
			v.Role = actorKind
		}
		v.At = v.At.UTC()
		v.Categories, v.Fields = splitList(cats), splitList(fields)
		out = append(out, v)
	}
	return out, rows.Err()
}

// AccessEntries returns entries after a sequence number, in order.
func (s *AccessLog) AccessEntries(ctx context.Context, after int64, limit int) ([]*jaga.AccessEntry, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT seq, at, actor_kind, actor_id, actor_role, org_id, contract_id, purpose, relationship, reference,
			reason, subject, action, categories, fields, decision, policy, prev_hash, hash
		FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("access entries: %w", err)
	}
	defer rows.Close()
	var out []*jaga.AccessEntry
	for rows.Next() {
		e := &jaga.AccessEntry{}
		if err := rows.Scan(&e.Seq, &e.At, &e.ActorKind, &e.ActorID, &e.ActorRole, &e.OrgID, &e.ContractID,
			&e.Purpose, &e.Relationship, &e.Reference, &e.Reason, &e.Subject, &e.Action, &e.Categories,
			&e.Fields, &e.Decision, &e.Policy, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("access entries: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Checkpoints returns every checkpoint, oldest first.
func (s *AccessLog) Checkpoints(ctx context.Context) ([]*jaga.Checkpoint, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT size, root_hash, note, created_at FROM access_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer rows.Close()
	var out []*jaga.Checkpoint
	for rows.Next() {
		c := &jaga.Checkpoint{}
		if err := rows.Scan(&c.Size, &c.RootHash, &c.Note, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddCheckpoint stores a checkpoint; it must be larger than the last one.
func (s *AccessLog) AddCheckpoint(ctx context.Context, c *jaga.Checkpoint) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM access_checkpoints`).Scan(&last); err != nil {
		return fmt.Errorf("add checkpoint: %w", err)
	}
	if c.Size <= last {
		return jaga.Errorf(jaga.ECONFLICT, "A checkpoint of size %d or larger exists.", last)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = tx.now
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO access_checkpoints (size, root_hash, note, created_at) VALUES ($1, $2, $3, $4)`,
		c.Size, c.RootHash, c.Note, c.CreatedAt); err != nil {
		return fmt.Errorf("add checkpoint: %w", err)
	}
	return tx.Commit()
}

// StoredHashes returns the Merkle tree's stored hashes at the indexes, for
// the auditlog package's incremental tree (golang.org/x/mod/sumdb/tlog).
func (s *AccessLog) StoredHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	for i, idx := range indexes {
		if err := s.db.db.QueryRowContext(ctx, `SELECT hash FROM access_log_hashes WHERE idx = $1`, idx).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("stored hash %d: %w", idx, err)
		}
	}
	return out, nil
}

// AppendStoredHashes writes stored hashes starting at index start.
func (s *AccessLog) AppendStoredHashes(ctx context.Context, start int64, hashes [][]byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_log_hashes (idx, hash) VALUES ($1, $2)`, start+int64(i), h); err != nil {
			return fmt.Errorf("append stored hash: %w", err)
		}
	}
	return tx.Commit()
}

// orgContracts returns every contract of an organisation.
func (tx *Tx) orgContracts(ctx context.Context, orgID string) ([]jaga.Contract, error) {
	rows, err := tx.QueryContext(ctx, contractSelect+` WHERE c.org_id = $1 ORDER BY c.created_at`, orgID)
	if err != nil {
		return nil, fmt.Errorf("org contracts: %w", err)
	}
	defer rows.Close()
	var out []jaga.Contract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// describeFields names the fields of a category that a read touches.
func describeFields(categories []string) []string {
	var f []string
	for _, c := range categories {
		switch c {
		case jaga.CategoryIdentity:
			f = append(f, "fullName", "idNumber", "dateOfBirth", "nationality")
		case jaga.CategoryContact:
			f = append(f, "phone", "email", "address")
		}
	}
	return f
}
