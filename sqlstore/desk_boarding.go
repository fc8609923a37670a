package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// newConsentCode returns a random consent code, every character equally
// likely.
func newConsentCode() string {
	const n = len(jaga.ConsentAlphabet)
	limit := byte(256 - 256%n) // reject bytes past the last whole cycle
	out := make([]byte, 0, jaga.ConsentCodeLength)
	buf := make([]byte, 16)
	for len(out) < jaga.ConsentCodeLength {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		for _, b := range buf {
			if b < limit && len(out) < jaga.ConsentCodeLength {
				out = append(out, jaga.ConsentAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

func consentHash(code string) string {
	h := sha256.Sum256([]byte("jaga-boarding-consent-v1\n" + code))
	return hex.EncodeToString(h[:])
}

// CreateConsentCode gives the citizen a single-use consent code.
func (s *DeskService) CreateConsentCode(ctx context.Context, n jaga.NewConsentCode) (*jaga.ConsentCode, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in as a citizen to make a consent code.")
	}
	if problems := n.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if n.PersonID == "" {
		n.PersonID = a.ID
	}
	if _, err := tx.ownPerson(ctx, n.PersonID); err != nil {
		return nil, jaga.Invalid(map[string]string{"personId": "Choose yourself or one of your dependants."})
	}
	c := &jaga.ConsentCode{Code: newConsentCode(), PersonID: n.PersonID, Share: n.Share, ExpiresAt: tx.now.Add(jaga.ConsentCodeTTL)}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO boarding_consents (code_hash, person_id, requester_id, share_certificate, share_name, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		consentHash(c.Code), c.PersonID, a.ID, n.Share.CertificateValid, n.Share.NameMatch, tx.now, c.ExpiresAt); err != nil {
		return nil, fmt.Errorf("consent code: %w", err)
	}
	return c, tx.Commit()
}

// isAirline reports whether a may raise boarding queries: an airline's
// agent, or its API client with the persons:read scope.
func isAirline(a *jaga.Actor) bool {
	switch {
	case a == nil || a.OrgKind != jaga.OrgAirline:
		return false
	case a.Kind == jaga.ActorStaff:
		return a.Role == jaga.RoleAirlineAgent
	case a.Kind == jaga.ActorAPIClient:
		for _, s := range a.Scopes {
			if s == jaga.ScopePersonsRead {
				return true
			}
		}
	}
	return false
}

// BoardingQuery answers an airline with what the passenger consented to
// share.
func (s *DeskService) BoardingQuery(ctx context.Context, q jaga.BoardingQuery) (*jaga.BoardingAnswer, error) {
	a := jaga.ActorFromContext(ctx)
	switch {
	case a == nil:
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in first.")
	case !isAirline(a):
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only airline agents raise boarding queries.")
	}
	if problems := q.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var personID, requesterID string
	var shareCert, shareName bool
	var expires time.Time
	var used sql.NullTime
	err = tx.QueryRowContext(ctx, `
		SELECT person_id, requester_id, share_certificate, share_name, expires_at, used_at
		FROM boarding_consents WHERE code_hash = $1`+tx.forUpdate(), consentHash(q.Code)).
		Scan(&personID, &requesterID, &shareCert, &shareName, &expires, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such consent code; ask the passenger to show the code in their jaga app again.")
	case err != nil:
		return nil, fmt.Errorf("consent code: %w", err)
	case used.Valid:
		return nil, jaga.Errorf(jaga.ECONFLICT, "This consent code was used already; a code answers one query. Ask the passenger for a new one.")
	case !tx.now.Before(expires):
		return nil, jaga.Errorf(jaga.ECONFLICT, "This consent code expired; a code lasts %d minutes. Ask the passenger for a new one.",
			int(jaga.ConsentCodeTTL.Minutes()))
	}
	ans := &jaga.BoardingAnswer{Reference: "BQ-" + strings.TrimPrefix(newReference(), "JG-")}
	var categories, fields []string
	if shareName {
		categories, fields = append(categories, jaga.CategoryIdentity), append(fields, "nameMatches")
	}
	if shareCert {
		categories, fields = append(categories, jaga.CategoryVaccination, jaga.CategoryTravel), append(fields, "certificateValid")
	}
	d, err := tx.guard(ctx, jaga.AccessRequest{Actor: *a, Action: jaga.ActionRead, PersonID: personID, Categories: categories,
		Fields: fields, Purpose: jaga.PurposeAirlineQuery, Relationship: jaga.RelationshipCase, Reference: ans.Reference})
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("log denial: %w", err)
		}
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", d.Reason)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE boarding_consents SET used_at = $1 WHERE code_hash = $2`, tx.now, consentHash(q.Code)); err != nil {
		return nil, fmt.Errorf("use consent code: %w", err)
	}
	problem := ""
	if shareName {
		p, err := tx.person(ctx, personID)
		if err != nil {
			return nil, err
		}
		match := jaga.NamesMatch(p.FullName, q.PassportName)
		ans.NameMatches = &match
		if !match {
			problem = "name_mismatch"
		}
	}
	if shareCert {
		c, err := tx.currentCertificate(ctx, personID)
		if err != nil {
			return nil, err
		}
		valid := c != nil && c.ExpiresAt.After(tx.now)
		ans.CertificateValid = &valid
		if !valid {
			problem = "certificate_refused"
		}
	}
	if problem != "" {
		ref, err := tx.boardingTicket(ctx, a, personID, requesterID, q, ans, problem)
		if err != nil {
			return nil, err
		}
		ans.Ticket = ref
	}
	return ans, tx.Commit()
}

// boardingTicket opens a ticket in the 24-hour airline lane for a
// passenger whose boarding query answered no, and returns its reference.
func (tx *Tx) boardingTicket(ctx context.Context, a *jaga.Actor, personID, requesterID string, q jaga.BoardingQuery, ans *jaga.BoardingAnswer, problem string) (string, error) {
	requester, err := tx.person(ctx, requesterID)
	if err != nil {
		return "", err
	}
	var airline string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, a.OrgID).Scan(&airline); err != nil {
		return "", fmt.Errorf("boarding ticket: %w", err)
	}
	yesNo := func(b *bool) string {
		switch {
		case b == nil:
			return "not shared"
		case *b:
			return "yes"
		}
		return "no"
	}
	n := jaga.NewTicket{Type: jaga.TicketBoardingProblem, PersonID: personID,
		Form: map[string]string{"flight": q.Flight, "airport": q.Airport, "problem": problem,
			"departureDate": tx.now.In(jaga.Malaysia).Format(time.DateOnly)},
		Description: fmt.Sprintf("Boarding query %s by %s at %s for flight %s: certificate valid for travel: %s; name matches passport: %s.",
			ans.Reference, airline, q.Airport, q.Flight, yesNo(ans.CertificateValid), yesNo(ans.NameMatches))}
	if problems := n.Valid(tx.now); problems != nil {
		return "", fmt.Errorf("boarding ticket: invalid form: %v", problems)
	}
	t, err := tx.insertTicket(ctx, a, requester, n)
	if err != nil {
		return "", err
	}
	return t.Reference, nil
}
