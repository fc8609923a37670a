package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jaga-health/jaga"
)

// OrganisationService implements jaga.OrganisationService.
type OrganisationService struct{ db *DB }

// NewOrganisationService returns the organisation service of db.
func NewOrganisationService(db *DB) *OrganisationService { return &OrganisationService{db: db} }

// canAdminister reports whether the actor may manage the organisation's
// staff and clients: jaga itself, a ministry admin, or the organisation's
// own admin.
func canAdminister(a *jaga.Actor, orgID string) bool {
	switch {
	case a == nil:
		return false
	case a.Kind == jaga.ActorSystem:
		return true
	case a.HasRole(jaga.RoleAdmin) && (a.OrgKind == jaga.OrgMinistry || a.OrgID == orgID):
		return true
	}
	return false
}

// CreateOrganisation creates an organisation.
func (s *OrganisationService) CreateOrganisation(ctx context.Context, o *jaga.Organisation) error {
	a := jaga.ActorFromContext(ctx)
	if !(a != nil && a.Kind == jaga.ActorSystem) && !(a.HasRole(jaga.RoleAdmin) && a.OrgKind == jaga.OrgMinistry) {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only ministry administrators create organisations.")
	}
	if problems := o.Valid(); problems != nil {
		return jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	o.ID, o.CreatedAt = newID(), tx.now
	if _, err := tx.ExecContext(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`,
		o.ID, o.Name, o.Kind, o.CreatedAt); err != nil {
		if isUniqueViolation(err) {
			return jaga.Invalid(map[string]string{"name": "An organisation with this name exists."})
		}
		return fmt.Errorf("create organisation: %w", err)
	}
	return tx.Commit()
}

// Organisation returns one organisation; organisations are public.
func (s *OrganisationService) Organisation(ctx context.Context, id string) (*jaga.Organisation, error) {
	o := &jaga.Organisation{}
	err := s.db.db.QueryRowContext(ctx, `SELECT id, name, kind, created_at FROM organisations WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.Kind, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such organisation.")
	} else if err != nil {
		return nil, fmt.Errorf("organisation: %w", err)
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return o, nil
}

// Organisations lists every organisation.
func (s *OrganisationService) Organisations(ctx context.Context) ([]*jaga.Organisation, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, name, kind, created_at FROM organisations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("organisations: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Organisation{}
	for rows.Next() {
		o := &jaga.Organisation{}
		if err := rows.Scan(&o.ID, &o.Name, &o.Kind, &o.CreatedAt); err != nil {
			return nil, fmt.Errorf("organisations: %w", err)
		}
		o.CreatedAt = o.CreatedAt.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateStaff creates a staff account and returns its TOTP enrolment.
func (s *OrganisationService) CreateStaff(ctx context.Context, n jaga.NewStaff) (*jaga.StaffEnrolment, error) {
	if !canAdminister(jaga.ActorFromContext(ctx), n.OrgID) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only administrators create staff accounts.")
	}
	if problems := n.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	hash, err := s.db.Passwords.Hash(n.Password)
	if err != nil {
		return nil, fmt.Errorf("create staff: %w", err)
	}
	secret, url, err := s.db.TOTP.NewSecret(n.Email)
	if err != nil {
		return nil, fmt.Errorf("create staff: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var orgKind string
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, n.OrgID).Scan(&orgKind); errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Invalid(map[string]string{"orgId": "No such organisation."})
	} else if err != nil {
		return nil, fmt.Errorf("create staff: %w", err)
	}
	st := &jaga.Staff{ID: newID(), OrgID: n.OrgID, Email: n.Email, DisplayName: n.DisplayName, Role: n.Role, CreatedAt: tx.now}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO staff (id, org_id, email, display_name, role, password_hash, totp_secret, failed_attempts, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`,
		st.ID, st.OrgID, st.Email, st.DisplayName, st.Role, hash, secret, false, st.CreatedAt); err != nil {
		if isUniqueViolation(err) {
			return nil, jaga.Invalid(map[string]string{"email": "A staff account with this email exists."})
		}
		return nil, fmt.Errorf("create staff: %w", err)
	}
	return &jaga.StaffEnrolment{Staff: st, TOTPSecret: secret, TOTPURL: url}, tx.Commit()
}

// StaffMembers lists an organisation's staff, for its administrators.
func (s *OrganisationService) StaffMembers(ctx context.Context, orgID string) ([]*jaga.Staff, error) {
	a := jaga.ActorFromContext(ctx)
	if !canAdminister(a, orgID) && !(a.IsStaff() && a.OrgID == orgID && a.HasRole(jaga.RoleSupervisor, jaga.RoleDPO)) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only administrators list staff.")
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, org_id, email, display_name, role, created_at, disabled FROM staff WHERE org_id = $1 ORDER BY display_name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("staff members: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Staff{}
	for rows.Next() {
		st := &jaga.Staff{}
		if err := rows.Scan(&st.ID, &st.OrgID, &st.Email, &st.DisplayName, &st.Role, &st.CreatedAt, &st.Disabled); err != nil {
			return nil, fmt.Errorf("staff members: %w", err)
		}
		st.CreatedAt = st.CreatedAt.UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// staffActor loads an enabled staff member as an actor.
func staffActor(ctx context.Context, q queryer, id string) (*jaga.Actor, error) {
	a := &jaga.Actor{Kind: jaga.ActorStaff}
	var disabled bool
	err := q.QueryRowContext(ctx, `
		SELECT s.id, s.org_id, o.kind, s.role, s.display_name, s.disabled
		FROM staff s JOIN organisations o ON o.id = s.org_id WHERE s.id = $1`, id).
		Scan(&a.ID, &a.OrgID, &a.OrgKind, &a.Role, &a.Name, &disabled)
	if err != nil {
		return nil, err
	}
	if disabled {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "This account is disabled.")
	}
	return a, nil
}

// SignInStaff checks a staff member's password and TOTP code together.
func (s *OrganisationService) SignInStaff(ctx context.Context, email, password, code string) (*jaga.Actor, error) {
	wrong := jaga.Errorf(jaga.EUNAUTHORIZED, "The email, password or code is wrong.")
	email, err := jaga.ParseEmail(email)
	if err != nil || password == "" || len(password) > 256 || len(code) > 16 {
		return nil, wrong
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id, hash, secret string
	var failures int
	var lockedUntil sql.NullTime
	err = tx.QueryRowContext(ctx, `
		SELECT id, password_hash, totp_secret, failed_attempts, locked_until FROM staff WHERE email = $1`+tx.forUpdate(), email).
		Scan(&id, &hash, &secret, &failures, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so timing does not tell
		// which emails are staff.
		_, _ = s.db.Passwords.Verify(dummyPasswordHash(s.db), password)
		return nil, wrong
	} else if err != nil {
		return nil, fmt.Errorf("staff sign in: %w", err)
	}
	if lockedUntil.Valid && tx.now.Before(lockedUntil.Time) {
		mins := int(lockedUntil.Time.Sub(tx.now).Minutes()) + 1
		return nil, jaga.Errorf(jaga.ERATELIMIT, "Too many failed sign-ins. Try again in %d minutes.", mins)
	}
	okPassword, err := s.db.Passwords.Verify(hash, password)
	if err != nil {
		return nil, fmt.Errorf("staff sign in: %w", err)
	}
	okCode := s.db.TOTP.Validate(secret, strings.TrimSpace(code), tx.now)
	if !okPassword || !okCode {
		failures++
		var lock any
		if failures >= jaga.StaffMaxFailures {
			lock, failures = tx.now.Add(jaga.StaffLockout), 0
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET failed_attempts = $1, locked_until = $2 WHERE id = $3`, failures, lock, id); err != nil {
			return nil, fmt.Errorf("staff sign in: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		if lock != nil {
			return nil, jaga.Errorf(jaga.ERATELIMIT, "Too many failed sign-ins. Try again in %d minutes.", int(jaga.StaffLockout.Minutes()))
		}
		return nil, wrong
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("staff sign in: %w", err)
	}
	a, err := staffActor(ctx, tx, id)
	if err != nil {
		return nil, wrong
	}
	return a, tx.Commit()
}

// dummyPasswordHash returns a hash to verify against when no staff member
// matches, computed once per DB.
func dummyPasswordHash(db *DB) string {
	db.dummyOnce.Do(func() {
		db.dummyHash, _ = db.Passwords.Hash("not-a-real-password-" + randomHex(8))
	})
	return db.dummyHash
}

// apiKeyPrefix starts every API key, so that leaked keys are easy to find.
const apiKeyPrefix = "jaga_"

// CreateAPIClient creates a partner's API client and returns its key once.
func (s *OrganisationService) CreateAPIClient(ctx context.Context, orgID, name string, scopes []string) (*jaga.APIClient, string, error) {
	if !canAdminister(jaga.ActorFromContext(ctx), orgID) {
		return nil, "", jaga.Errorf(jaga.EFORBIDDEN, "Only administrators create API clients.")
	}
	problems := map[string]string{}
	name = strings.TrimSpace(name)
	if len(name) < 2 || len(name) > 100 {
		problems["name"] = "Name must be 2 to 100 characters."
	}
	if len(scopes) == 0 {
		problems["scopes"] = "Name at least one scope."
	}
	for _, sc := range scopes {
		if !containsString(jaga.Scopes, sc) {
			problems["scopes"] = "Scopes must be among " + strings.Join(jaga.Scopes, ", ") + "."
		}
	}
	if len(problems) > 0 {
		return nil, "", jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	c := &jaga.APIClient{ID: newID(), OrgID: orgID, Name: name, Scopes: scopes, CreatedAt: tx.now}
	key := apiKeyPrefix + randomHex(32)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO api_clients (id, org_id, name, key_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, orgID, name, hashSecret(key), joinList(scopes), c.CreatedAt); err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
			return nil, "", jaga.Invalid(map[string]string{"orgId": "No such organisation."})
		}
		return nil, "", fmt.Errorf("create api client: %w", err)
	}
	return c, key, tx.Commit()
}

// AuthenticateAPIClient returns the actor for an API key.
func (s *OrganisationService) AuthenticateAPIClient(ctx context.Context, key string) (*jaga.Actor, error) {
	unauthorized := jaga.Errorf(jaga.EUNAUTHORIZED, "The API key is not valid.")
	if !strings.HasPrefix(key, apiKeyPrefix) || len(key) != len(apiKeyPrefix)+64 {
		return nil, unauthorized
	}
	a := &jaga.Actor{Kind: jaga.ActorAPIClient}
	var scopes string
	var revoked sql.NullTime
	err := s.db.db.QueryRowContext(ctx, `
		SELECT c.id, c.org_id, o.kind, c.name, c.scopes, c.revoked_at
		FROM api_clients c JOIN organisations o ON o.id = c.org_id WHERE c.key_hash = $1`, hashSecret(key)).
		Scan(&a.ID, &a.OrgID, &a.OrgKind, &a.Name, &scopes, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked.Valid {
		return nil, unauthorized
	} else if err != nil {
		return nil, fmt.Errorf("authenticate api client: %w", err)
	}
	a.Scopes = splitList(scopes)
	return a, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ResetTOTP gives a staff member a new TOTP secret and ends their sessions.
func (s *OrganisationService) ResetTOTP(ctx context.Context, staffID string) (*jaga.StaffEnrolment, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st := &jaga.Staff{}
	err = tx.QueryRowContext(ctx, `SELECT id, org_id, email, display_name, role, created_at, disabled FROM staff WHERE id = $1`, staffID).
		Scan(&st.ID, &st.OrgID, &st.Email, &st.DisplayName, &st.Role, &st.CreatedAt, &st.Disabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canAdminister(jaga.ActorFromContext(ctx), st.OrgID)) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such staff member.")
	} else if err != nil {
		return nil, fmt.Errorf("reset totp: %w", err)
	}
	secret, url, err := s.db.TOTP.NewSecret(st.Email)
	if err != nil {
		return nil, fmt.Errorf("reset totp: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff SET totp_secret = $1 WHERE id = $2`, secret, st.ID); err != nil {
		return nil, fmt.Errorf("reset totp: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE actor_kind = $1 AND actor_id = $2`, jaga.ActorStaff, st.ID); err != nil {
		return nil, fmt.Errorf("reset totp: %w", err)
	}
	st.CreatedAt = st.CreatedAt.UTC()
	return &jaga.StaffEnrolment{Staff: st, TOTPSecret: secret, TOTPURL: url}, tx.Commit()
}

// RevokeAPIClient ends a client's key now.
func (s *OrganisationService) RevokeAPIClient(ctx context.Context, orgID, clientID string) (*jaga.APIClient, error) {
	if !canAdminister(jaga.ActorFromContext(ctx), orgID) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only administrators revoke API clients.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c := &jaga.APIClient{}
	var scopes string
	var revoked sql.NullTime
	err = tx.QueryRowContext(ctx, `SELECT id, org_id, name, scopes, created_at, revoked_at FROM api_clients WHERE id = $1 AND org_id = $2`+tx.forUpdate(),
		clientID, orgID).Scan(&c.ID, &c.OrgID, &c.Name, &scopes, &c.CreatedAt, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such API client.")
	} else if err != nil {
		return nil, fmt.Errorf("revoke api client: %w", err)
	}
	if revoked.Valid {
		return nil, jaga.Errorf(jaga.ECONFLICT, "The API client is already revoked.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_clients SET revoked_at = $1 WHERE id = $2`, tx.now, c.ID); err != nil {
		return nil, fmt.Errorf("revoke api client: %w", err)
	}
	now := tx.now
	c.Scopes, c.CreatedAt, c.RevokedAt = splitList(scopes), c.CreatedAt.UTC(), &now
	return c, tx.Commit()
}
