package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// RunFix runs a self-service fix and records the attempt, in one
// transaction with what the fix writes.
func (s *DeskService) RunFix(ctx context.Context, r jaga.FixRequest) (*jaga.FixAttempt, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to fix a problem yourself.")
	}
	if problems := r.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	if r.PersonID == "" {
		r.PersonID = a.ID
	}
	var risk *jaga.RiskView
	if r.Fix == jaga.FixExplainStatus {
		if s.Tracing == nil {
			return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Risk statuses are not available at the moment; try again later.")
		}
		views, err := s.Tracing.MyRisk(ctx)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(views, func(v *jaga.RiskView) bool { return v.PersonID == r.PersonID })
		if i < 0 {
			return nil, jaga.Errorf(jaga.ENOTFOUND, "No such person.")
		}
		risk = views[i]
	}
	var verified *jaga.VerifyResult
	if r.Fix == jaga.FixVerifyOverseas {
		if s.Verifier == nil {
			return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificate verification is not available at the moment; try again later.")
		}
		var err error
		if verified, err = s.Verifier.Verify(ctx, r.Payload, time.Time{}); err != nil {
			return nil, err
		}
	}
	if r.Fix == jaga.FixRefreshRecord && s.db.Signer == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificates cannot be issued at the moment; try again later.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ownPerson(ctx, r.PersonID); err != nil {
		return nil, err
	}
	at := &jaga.FixAttempt{ID: newTimeID(tx.now), Fix: r.Fix, PersonID: r.PersonID, At: tx.now, Risk: risk}
	switch r.Fix {
	case jaga.FixRefreshRecord:
		err = tx.fixRefresh(ctx, at)
	case jaga.FixExplainStatus:
		explainAttempt(at, risk)
	case jaga.FixResendCert:
		err = tx.fixResend(ctx, at)
	case jaga.FixVerifyOverseas:
		verifyAttempt(at, verified)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.recordFix(ctx, a.ID, at); err != nil {
		return nil, err
	}
	return at, tx.Commit()
}

// recordFix stores an attempt that requesterID ran, for a ticket they may
// open afterwards.
func (tx *Tx) recordFix(ctx context.Context, requesterID string, at *jaga.FixAttempt) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO desk_fix_attempts (id, requester_id, person_id, fix, outcome, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, at.ID, requesterID, at.PersonID, at.Fix, at.Outcome, at.Detail, tx.now); err != nil {
		return fmt.Errorf("record fix: %w", err)
	}
	return nil
}

// recordContactFix records a citizen's change of their phone number or
// email (kind) as the self-service fix FixUpdateContact; the new value is
// not recorded.
func (tx *Tx) recordContactFix(ctx context.Context, personID, kind string) error {
	what := "phone number"
	if kind == jaga.ContactEmail {
		what = "email address"
	}
	return tx.recordFix(ctx, personID, &jaga.FixAttempt{ID: newTimeID(tx.now), Fix: jaga.FixUpdateContact, PersonID: personID,
		Outcome: jaga.OutcomeContactUpdated, Detail: "The " + what + " was changed with a one-time code sent to it."})
}

// verifyAttempt records what the verification of a foreign certificate
// found: its kind, issuer and validity, never a value of its content.
func verifyAttempt(at *jaga.FixAttempt, res *jaga.VerifyResult) {
	at.Verify = res
	kind := map[string]string{"eu-dcc": "An EU Digital COVID Certificate", "shc": "A SMART Health Card"}[res.Kind]
	if kind == "" {
		kind = "A certificate"
	}
	if res.Issuer != "" {
		kind += " issued by " + res.Issuer
	}
	if res.Valid {
		at.Outcome, at.Resolved = jaga.OutcomeVerified, true
		at.Detail = kind + ": its signature holds and it is valid."
		return
	}
	at.Outcome = jaga.OutcomeNotVerified
	at.Detail = kind + ": not valid (" + res.Problem + "). " + res.Reason
}

// fixRefresh re-reads the person's doses and issues a certificate if what
// it would say has changed, as CertificateService.Refresh does.
func (tx *Tx) fixRefresh(ctx context.Context, at *jaga.FixAttempt) error {
	_, n, err := tx.certificateContent(ctx, at.PersonID)
	if err != nil {
		return err
	}
	c, changed, err := tx.issueCertificate(ctx, at.PersonID, jaga.ReasonRefresh, false, false)
	if err != nil {
		return err
	}
	if changed {
		if err := tx.RefreshDoorStatus(ctx, at.PersonID); err != nil {
			return err
		}
	}
	at.Refresh = &jaga.RefreshResult{Changed: changed, Doses: n, Certificate: c}
	switch {
	case changed:
		at.Outcome, at.Resolved = jaga.OutcomeFixed, true
		at.Detail = fmt.Sprintf("The registry holds %d dose(s); a new certificate was issued.", n)
	case n == 0:
		at.Outcome, at.Detail = jaga.OutcomeNoDoses, "The registry holds no dose for this person."
	default:
		at.Outcome = jaga.OutcomeUnchanged
		at.Detail = fmt.Sprintf("The registry holds %d dose(s); the certificate already shows them.", n)
	}
	return nil
}

// explainAttempt records what the status shown was.
func explainAttempt(at *jaga.FixAttempt, v *jaga.RiskView) {
	at.Outcome = jaga.OutcomeExplained
	if v.Current == nil {
		at.Detail = "Status shown: " + jaga.StatusName("en", v.Status) + "."
		return
	}
	c := v.Current
	at.Detail = fmt.Sprintf("Status shown: %s, by the rule %q, from %s until %s.", jaga.StatusName("en", v.Status),
		jaga.RuleName("en", c.Rule), c.StartsAt.UTC().Format(time.RFC3339), c.EndsAt.UTC().Format(time.RFC3339))
}

// fixResend queues a notice with a link to the person's certificate to
// their contacts, or their guardian's.
func (tx *Tx) fixResend(ctx context.Context, at *jaga.FixAttempt) error {
	c, err := tx.currentCertificate(ctx, at.PersonID)
	if err != nil {
		return err
	}
	if c == nil {
		at.Outcome, at.Detail = jaga.OutcomeNoCertificate, "There is no valid certificate to send."
		return nil
	}
	sent, err := tx.notify(ctx, at.PersonID, jaga.CertificateLinkNotice())
	if err != nil {
		return err
	}
	if !sent {
		at.Outcome, at.Detail = jaga.OutcomeNoCertificate, "There is no phone or email to send the certificate's link to."
		return nil
	}
	at.Outcome, at.Resolved = jaga.OutcomeSent, true
	at.Detail = "A link to the valid certificate was sent to the contacts on the record."
	return nil
}

// carryAttempts gives a new ticket the requester's recent attempts, for its
// person, of the fixes its type offers, and returns the fixes they tried.
func (tx *Tx) carryAttempts(ctx context.Context, t *ticketRow, tt jaga.TicketType) ([]string, error) {
	if len(tt.SelfService) == 0 {
		return nil, nil
	}
	marks := make([]string, len(tt.SelfService))
	args := []any{t.ID, t.RequesterID, t.PersonID, tx.now.Add(-jaga.FixAttemptWindow)}
	for i, f := range tt.SelfService {
		args = append(args, f)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE desk_fix_attempts SET ticket_id = $1
		WHERE requester_id = $2 AND person_id = $3 AND created_at >= $4 AND ticket_id IS NULL
			AND fix IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
		return nil, fmt.Errorf("carry fix attempts: %w", err)
	}
	attempts, err := tx.ticketAttempts(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var fixes []string
	for _, at := range attempts {
		if !slices.Contains(fixes, at.Fix) {
			fixes = append(fixes, at.Fix)
		}
	}
	return fixes, nil
}

// ticketAttempts returns the attempts a ticket carries, oldest first.
func (tx *Tx) ticketAttempts(ctx context.Context, ticketID string) ([]*jaga.FixAttempt, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, fix, person_id, outcome, detail, created_at FROM desk_fix_attempts
		WHERE ticket_id = $1 ORDER BY created_at, id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("fix attempts: %w", err)
	}
	defer rows.Close()
	out := []*jaga.FixAttempt{}
	for rows.Next() {
		at := &jaga.FixAttempt{}
		if err := rows.Scan(&at.ID, &at.Fix, &at.PersonID, &at.Outcome, &at.Detail, &at.At); err != nil {
			return nil, fmt.Errorf("fix attempts: %w", err)
		}
		at.At = at.At.UTC()
		at.Resolved = jaga.ResolvingOutcome(at.Outcome)
		out = append(out, at)
	}
	return out, rows.Err()
}

// mergeTried adds to what the citizen said they tried the fixes they ran.
func mergeTried(said, ran []string) []string {
	out := slices.Clone(said)
	for _, f := range ran {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
