package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// CertificateService implements jaga.CertificateService.
type CertificateService struct{ db *DB }

// NewCertificateService returns the certificate service of db.
func NewCertificateService(db *DB) *CertificateService { return &CertificateService{db: db} }

const certificateSelect = `
	SELECT c.id, c.person_id, p.full_name, c.dose_id, c.payload, c.kid, c.country, c.status, c.issue_reason,
		c.content_hash, COALESCE(c.replaces, ''), c.issued_at, c.expires_at, c.revoked_at, COALESCE(c.revoke_reason, '')
	FROM certificates c JOIN people p ON p.id = c.person_id`

func scanCertificate(r rowScanner) (*jaga.Certificate, error) {
	c := &jaga.Certificate{}
	var revoked sql.NullTime
	if err := r.Scan(&c.ID, &c.PersonID, &c.PersonName, &c.DoseID, &c.Payload, &c.KID, &c.Country, &c.Status,
		&c.IssueReason, &c.ContentHash, &c.Replaces, &c.IssuedAt, &c.ExpiresAt, &revoked, &c.RevokeReason); err != nil {
		return nil, err
	}
	c.IssuedAt, c.ExpiresAt = c.IssuedAt.UTC(), c.ExpiresAt.UTC()
	if revoked.Valid {
		t := revoked.Time.UTC()
		c.RevokedAt = &t
	}
	return c, nil
}

// currentCertificate returns the person's valid certificate, or nil.
func (tx *Tx) currentCertificate(ctx context.Context, personID string) (*jaga.Certificate, error) {
	row, _ := tx.queryRowHot(ctx, certificateSelect+` WHERE c.person_id = $1 AND c.status = 'valid'`, personID)
	c, err := scanCertificate(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("current certificate: %w", err)
	}
	return c, nil
}

// certificateContent returns what the person's certificate should say
// now, or nil if the registry holds no dose of theirs.
func (tx *Tx) certificateContent(ctx context.Context, personID string) (*jaga.CertificateContent, int, error) {
	var c jaga.CertificateContent
	row, _ := tx.queryRowHot(ctx, `SELECT full_name, date_of_birth FROM people WHERE id = $1`, personID)
	if err := row.Scan(&c.FullName, &c.DateOfBirth); err != nil {
		return nil, 0, fmt.Errorf("certificate content: %w", err)
	}
	doses, err := tx.personDoses(ctx, personID)
	if err != nil {
		return nil, 0, err
	}
	latest := jaga.LatestDose(doses)
	if latest == nil {
		return nil, 0, nil
	}
	c.Dose = *latest
	return &c, len(doses), nil
}

// issueCertificate issues the person a certificate of what the registry
// says now, unless their current certificate already says it (force
// issues all the same, as after a key rotation). The certificate it
// replaces becomes superseded, or revoked when revoke is set. Without a
// signer or a dose it issues nothing. It returns the current certificate
// and whether it is new.
func (tx *Tx) issueCertificate(ctx context.Context, personID, reason string, force, revoke bool) (*jaga.Certificate, bool, error) {
	if tx.db.Signer == nil {
		return nil, false, nil
	}
	content, _, err := tx.certificateContent(ctx, personID)
	if err != nil || content == nil {
		return nil, false, err
	}
	current, err := tx.currentCertificate(ctx, personID)
	if err != nil {
		return nil, false, err
	}
	hash := content.Hash()
	if current != nil && current.ContentHash == hash && !force {
		return current, false, nil
	}
	signed, err := tx.db.Signer.Sign(content, tx.now)
	if err != nil {
		return nil, false, fmt.Errorf("issue certificate: %w", err)
	}
	c := &jaga.Certificate{ID: signed.ID, PersonID: personID, PersonName: content.FullName, DoseID: content.Dose.ID,
		Payload: signed.Payload, KID: signed.KID, Country: signed.Country, Status: jaga.CertificateValid,
		IssueReason: reason, ContentHash: hash, IssuedAt: tx.now.Truncate(time.Second), ExpiresAt: signed.ExpiresAt}
	if current != nil {
		c.Replaces = current.ID
		if revoke {
			_, err = tx.execHot(ctx, `UPDATE certificates SET status = 'revoked', revoked_at = $1, revoke_reason = $2 WHERE id = $3`,
				tx.now, reason, current.ID)
		} else {
			_, err = tx.execHot(ctx, `UPDATE certificates SET status = 'superseded' WHERE id = $1`, current.ID)
		}
		if err != nil {
			return nil, false, fmt.Errorf("replace certificate: %w", err)
		}
	}
	if _, err := tx.execHot(ctx, `
		INSERT INTO certificates (id, person_id, dose_id, payload, kid, country, status, issue_reason, content_hash,
			replaces, issued_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.PersonID, c.DoseID, c.Payload, c.KID, c.Country, c.Status, c.IssueReason, c.ContentHash,
		nullString(c.Replaces), c.IssuedAt, c.ExpiresAt); err != nil {
		return nil, false, fmt.Errorf("insert certificate: %w", err)
	}
	return c, true, nil
}

// revokeCertificates revokes the person's unexpired certificates that
// match where (a condition on c, with $3 its argument, or "" for all), for
// reason, and returns their identifiers.
func (tx *Tx) revokeCertificates(ctx context.Context, personID, reason, where string, args ...any) ([]string, error) {
	q := `SELECT id FROM certificates c WHERE person_id = $1 AND status <> 'revoked' AND expires_at > $2`
	if where != "" {
		q += " AND " + where
	}
	rows, err := tx.QueryContext(ctx, q, append([]any{personID, tx.now}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("revoke certificates: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("revoke certificates: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoke certificates: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE certificates SET status = 'revoked', revoked_at = $1, revoke_reason = $2 WHERE id = $3`,
			tx.now, reason, id); err != nil {
			return nil, fmt.Errorf("revoke certificate: %w", err)
		}
	}
	return ids, nil
}

// Certificates lists the current certificates of the caller and their
// dependants, the caller's first.
func (s *CertificateService) Certificates(ctx context.Context) ([]*jaga.Certificate, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your certificates.")
	}
	rows, err := s.db.db.QueryContext(ctx, certificateSelect+`
		WHERE (p.id = $1 OR p.guardian_id = $1) AND c.status = 'valid'
		ORDER BY CASE WHEN p.id = $1 THEN 0 ELSE 1 END, p.created_at, p.id`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Certificate{}
	for rows.Next() {
		c, err := scanCertificate(rows)
		if err != nil {
			return nil, fmt.Errorf("certificates: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Certificate returns one certificate of the caller or a dependant.
func (s *CertificateService) Certificate(ctx context.Context, id string) (*jaga.Certificate, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your certificates.")
	}
	c, err := scanCertificate(s.db.db.QueryRowContext(ctx, certificateSelect+`
		WHERE c.id = $1 AND (p.id = $2 OR p.guardian_id = $2)`, id, a.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such certificate.")
	} else if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return c, nil
}

// Refresh re-reads the person's doses and issues a certificate if what it
// would say has changed.
func (s *CertificateService) Refresh(ctx context.Context, personID string) (*jaga.RefreshResult, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to refresh your certificate.")
	}
	if personID == "" {
		personID = a.ID
	}
	if s.db.Signer == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificates cannot be issued at the moment; try again later.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ownPerson(ctx, personID); err != nil {
		return nil, err
	}
	_, n, err := tx.certificateContent(ctx, personID)
	if err != nil {
		return nil, err
	}
	c, changed, err := tx.issueCertificate(ctx, personID, jaga.ReasonRefresh, false, false)
	if err != nil {
		return nil, err
	}
	if changed {
		if err := tx.RefreshDoorStatus(ctx, personID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &jaga.RefreshResult{Changed: changed, Doses: n, Certificate: c}, nil
}

// RevokedCertificates lists the revoked certificates that have not
// expired at the time, for the revocation list.
func (db *DB) RevokedCertificates(ctx context.Context) ([]jaga.RevokedCertificate, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, country, expires_at FROM certificates WHERE status = 'revoked' AND expires_at > $1 ORDER BY id`, db.now())
	if err != nil {
		return nil, fmt.Errorf("revoked certificates: %w", err)
	}
	defer rows.Close()
	var out []jaga.RevokedCertificate
	for rows.Next() {
		var r jaga.RevokedCertificate
		if err := rows.Scan(&r.ID, &r.Country, &r.ExpiresAt); err != nil {
			return nil, fmt.Errorf("revoked certificates: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReissueResult counts what a re-issue did.
type ReissueResult struct {
	Reissued int
	Batches  int
}

// ReissueCertificates re-issues every valid certificate not signed by kid
// (the active key), batch at a time, each batch one transaction, until
// none is left or ctx ends; the old certificates become superseded. It is
// the job that follows a key rotation, and may be stopped and run again.
// progress, if not nil, is called after each batch.
func (db *DB) ReissueCertificates(ctx context.Context, kid string, batch int, progress func(done int)) (ReissueResult, error) {
	if db.Signer == nil {
		return ReissueResult{}, jaga.Errorf(jaga.EUNAVAILABLE, "No signer is configured.")
	}
	if batch <= 0 {
		batch = 1000
	}
	var res ReissueResult
	for ctx.Err() == nil {
		n, err := db.reissueBatch(ctx, kid, batch)
		if err != nil {
			return res, err
		}
		if n == 0 {
			break
		}
		res.Reissued += n
		res.Batches++
		if progress != nil {
			progress(res.Reissued)
		}
	}
	return res, ctx.Err()
}

func (db *DB) reissueBatch(ctx context.Context, kid string, batch int) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT person_id FROM certificates WHERE status = 'valid' AND kid <> $1 LIMIT $2`, kid, batch)
	if err != nil {
		return 0, fmt.Errorf("reissue: %w", err)
	}
	var people []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reissue: %w", err)
		}
		people = append(people, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reissue: %w", err)
	}
	for _, id := range people {
		c, issued, err := tx.issueCertificate(ctx, id, jaga.ReasonKeyRotation, true, false)
		if err != nil {
			return 0, err
		}
		if issued && c.KID != kid {
			return 0, fmt.Errorf("reissue: the signer's key is not the active key %s", kid)
		}
	}
	return len(people), tx.Commit()
}

// SigningKeys implements jaga.SigningKeyStore.
func (db *DB) SigningKeys(ctx context.Context) ([]*jaga.SigningKey, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT kid, kind, country, certificate, sealed_key, status, not_before, not_after, created_at, retired_at
		FROM signing_keys ORDER BY created_at, kid`)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	defer rows.Close()
	var out []*jaga.SigningKey
	for rows.Next() {
		k := &jaga.SigningKey{}
		var retired sql.NullTime
		if err := rows.Scan(&k.KID, &k.Kind, &k.Country, &k.Certificate, &k.SealedKey, &k.Status, &k.NotBefore,
			&k.NotAfter, &k.CreatedAt, &retired); err != nil {
			return nil, fmt.Errorf("signing keys: %w", err)
		}
		k.NotBefore, k.NotAfter, k.CreatedAt = k.NotBefore.UTC(), k.NotAfter.UTC(), k.CreatedAt.UTC()
		if retired.Valid {
			t := retired.Time.UTC()
			k.RetiredAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddSigningKey implements jaga.SigningKeyStore.
func (db *DB) AddSigningKey(ctx context.Context, k *jaga.SigningKey) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET status = 'retired', retired_at = $1 WHERE kind = $2 AND status = 'active'`,
		tx.now, k.Kind); err != nil {
		return fmt.Errorf("retire signing key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO signing_keys (kid, kind, country, certificate, sealed_key, status, not_before, not_after, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.KID, k.Kind, k.Country, k.Certificate, k.SealedKey, k.Status, k.NotBefore, k.NotAfter, k.CreatedAt); err != nil {
		if isUniqueViolation(err) {
			return jaga.Errorf(jaga.ECONFLICT, "Another signing key was made at the same moment; try again.")
		}
		return fmt.Errorf("add signing key: %w", err)
	}
	return tx.Commit()
}

// certificateIDs joins identifiers for a corrections row.
func certificateIDs(ids []string) string { return strings.Join(ids, " ") }

var (
	_ jaga.CertificateService = (*CertificateService)(nil)
	_ jaga.SigningKeyStore    = (*DB)(nil)
)
