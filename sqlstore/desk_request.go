package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jaga-health/jaga"
)

// errChangeDecided is returned for a change request that was decided.
var errChangeDecided = jaga.Errorf(jaga.ECONFLICT, "This request was decided already.")

const changeSelect = `
	SELECT c.id, c.ticket_id, t.reference, c.kind, c.field, COALESCE(c.correction_id, ''), c.status, c.reason, c.outcome,
		c.requested_by, c.requester_name, COALESCE(c.decided_by, ''), c.created_at, c.decided_at
	FROM desk_changes c
	JOIN tickets t ON t.id = c.ticket_id`

func scanChange(r rowScanner) (*jaga.DeskChange, error) {
	c := &jaga.DeskChange{}
	var decided sql.NullTime
	if err := r.Scan(&c.ID, &c.TicketID, &c.TicketReference, &c.Kind, &c.Field, &c.CorrectionID, &c.Status, &c.Reason,
		&c.Outcome, &c.RequestedBy, &c.RequesterName, &c.DecidedBy, &c.CreatedAt, &decided); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if decided.Valid {
		at := decided.Time.UTC()
		c.DecidedAt = &at
	}
	return c, nil
}

// contractCovers reports whether a contract of a's organisation in force
// now covers the categories for purpose and a.
func (tx *Tx) contractCovers(ctx context.Context, a *jaga.Actor, categories []string, purpose string) (bool, error) {
	contracts, err := tx.orgContracts(ctx, a.OrgID)
	if err != nil {
		return false, err
	}
	for i := range contracts {
		if c := &contracts[i]; c.ActiveAt(tx.now) && c.Covers(categories, purpose, a.ID) {
			return true, nil
		}
	}
	return false, nil
}

// staffName returns a staff member's display name with their
// organisation's, as posts show them.
func (tx *Tx) staffName(ctx context.Context, a *jaga.Actor) (string, error) {
	var org string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, a.OrgID).Scan(&org); err != nil {
		return "", fmt.Errorf("staff name: %w", err)
	}
	return a.Name + " (" + org + ")", nil
}

// recordChangeRequest is the gate's question for a change of the person's
// record in categories, asked by a for the ticket.
func recordChangeRequest(a *jaga.Actor, t *ticketRow, categories []string, r *jaga.ChangeRequest) jaga.AccessRequest {
	return jaga.AccessRequest{Actor: *a, Action: jaga.ActionUpdate, PersonID: t.PersonID, Categories: categories,
		Fields: changeFields(r), Purpose: jaga.PurposeRecordCorrection, Relationship: jaga.RelationshipCase,
		Reference: t.Reference, Reason: r.Reason}
}

// changeFields names what a change touches, for the access log.
func changeFields(r *jaga.ChangeRequest) []string {
	if r.Kind == jaga.ChangeRefresh {
		return []string{"doses", "certificate"}
	}
	return []string{r.Field}
}

// RequestChange asks for a change to the record of a ticket's person.
func (s *DeskService) RequestChange(ctx context.Context, ticketID string, r jaga.ChangeRequest) (*jaga.DeskChange, error) {
	if problems := r.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	tt, _ := jaga.TicketTypeByCode(t.Type)
	categories := r.Categories()
	switch {
	case jaga.TicketFinal(t.State):
		return nil, errTicketClosed
	case !containsAll(tt.Categories, categories):
		return nil, jaga.Invalid(map[string]string{"kind": "A ticket of this type does not concern that part of the record."})
	}
	// The ministry's agents and contractors whose contract covers record
	// corrections act themselves; anyone else asks, reading the ticket.
	direct := a.OrgKind == jaga.OrgMinistry
	if !direct {
		if direct, err = tx.contractCovers(ctx, a, categories, jaga.PurposeRecordCorrection); err != nil {
			return nil, err
		}
	}
	if direct && r.Kind == jaga.ChangeRefresh && s.db.Signer == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificates cannot be issued at the moment; try again later.")
	}
	if direct {
		d, err := tx.guard(ctx, recordChangeRequest(a, t, categories, &r))
		if err != nil {
			return nil, err
		}
		if !d.Allow {
			return nil, tx.denied(d)
		}
	} else if _, err := tx.guardTicket(ctx, a, t, jaga.ActionRead, append(categories, jaga.CategorySupport), changeFields(&r), r.Reason); err != nil {
		return nil, err
	}
	name, err := tx.staffName(ctx, a)
	if err != nil {
		return nil, err
	}
	ch := &jaga.DeskChange{ID: newID(), TicketID: t.ID, TicketReference: t.Reference, Kind: r.Kind, Field: r.Field,
		Status: jaga.ChangePending, Reason: r.Reason, RequestedBy: a.ID, RequesterName: name, CreatedAt: tx.now}
	switch {
	case r.Kind == jaga.ChangeCorrection:
		c, err := tx.insertCorrection(ctx, a, jaga.CorrectionRequest{PersonID: t.PersonID, Field: r.Field, DoseID: r.DoseID,
			NewValue: r.NewValue, Reason: r.Reason, Reference: t.Reference})
		if err != nil {
			// The record was read: a refusal keeps the gate's decision.
			return nil, tx.commitRefusal(err)
		}
		ch.CorrectionID = c.ID
	case direct:
		if ch.Outcome, err = tx.deskRefresh(ctx, t.PersonID); err != nil {
			return nil, err
		}
		ch.Status, ch.DecidedAt = jaga.ChangeDone, &tx.now
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO desk_changes (id, ticket_id, kind, field, correction_id, status, reason, outcome, requested_by, requester_name,
			created_at, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		ch.ID, ch.TicketID, ch.Kind, ch.Field, nullString(ch.CorrectionID), ch.Status, ch.Reason, ch.Outcome, ch.RequestedBy,
		ch.RequesterName, tx.now, ch.DecidedAt); err != nil {
		return nil, fmt.Errorf("request change: %w", err)
	}
	note := fmt.Sprintf("Asked for %s: %s", changeName(ch), ch.Reason)
	if ch.Status == jaga.ChangePending {
		note += " — waits for a ministry supervisor or health officer."
	}
	if _, err := tx.addTicketPost(ctx, a, t, note, true); err != nil {
		return nil, err
	}
	if ch.Status == jaga.ChangeDone {
		if err := tx.postChangeOutcome(ctx, t, ch); err != nil {
			return nil, err
		}
	}
	return ch, tx.Commit()
}

func containsAll(set, sub []string) bool {
	for _, s := range sub {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}

// deskRefresh re-reads the person's doses and issues a certificate if what
// it would say has changed; it returns what it found, for staff.
func (tx *Tx) deskRefresh(ctx context.Context, personID string) (string, error) {
	at := &jaga.FixAttempt{PersonID: personID}
	if err := tx.fixRefresh(ctx, at); err != nil {
		return "", err
	}
	return at.Detail, nil
}

// changeName names a change in an internal note.
func changeName(ch *jaga.DeskChange) string {
	if ch.Kind == jaga.ChangeRefresh {
		return "a refresh of the record from the registry"
	}
	return "a correction of " + fieldName("en", ch.Field) + " (correction " + ch.CorrectionID + ")"
}

// postChangeOutcome tells the ticket's thread what became of a change: a
// note for staff with what it did, and a public post, in the requester's
// language, that names no value; the requester is told there is news.
func (tx *Tx) postChangeOutcome(ctx context.Context, t *ticketRow, ch *jaga.DeskChange) error {
	sys := &jaga.Actor{Kind: jaga.ActorSystem, ID: "system", Name: "jaga"}
	note := fmt.Sprintf("%s: %s.", changeName(ch), ch.Status)
	if ch.Outcome != "" {
		note += " " + ch.Outcome
	}
	if _, err := tx.addTicketPost(ctx, sys, t, strings.ToUpper(note[:1])+note[1:], true); err != nil {
		return err
	}
	i := 0
	if t.language == "en" {
		i = 1
	}
	var body string
	switch {
	case ch.Kind == jaga.ChangeRefresh && ch.Status != jaga.ChangeRejected:
		body = [2]string{"Kami telah membaca semula rekod vaksinasi anda daripada daftar. Sijil anda dalam aplikasi jaga kini menunjukkan apa yang ada dalam daftar.",
			"We read your vaccination record from the registry again. Your certificate in the jaga app now shows what the registry holds."}[i]
	case ch.Kind == jaga.ChangeRefresh:
		body = [2]string{"Permintaan untuk membaca semula rekod anda daripada daftar tidak diluluskan. Pegawai yang menguruskan tiket anda akan menerangkan sebabnya.",
			"The request to read your record from the registry again was not approved. The officer working your ticket will tell you why."}[i]
	case ch.Status == jaga.ChangeApproved:
		body = [2]string{"Pembetulan " + fieldName("ms", ch.Field) + " dalam rekod anda telah diluluskan oleh Kementerian Kesihatan. Sijil anda dalam aplikasi jaga menunjukkannya.",
			"The correction of the " + fieldName("en", ch.Field) + " on your record was approved by the Ministry of Health. Your certificate in the jaga app shows it."}[i]
	default:
		body = [2]string{"Pembetulan " + fieldName("ms", ch.Field) + " dalam rekod anda tidak diluluskan. Pegawai yang menguruskan tiket anda akan menerangkan sebabnya.",
			"The correction of the " + fieldName("en", ch.Field) + " on your record was not approved. The officer working your ticket will tell you why."}[i]
	}
	if _, err := tx.addTicketPost(ctx, sys, t, body, false); err != nil {
		return err
	}
	return tx.notifyTicket(ctx, t, true)
}

// correctionDecided carries a correction's decision to the desk's request
// it came from, if any, and to that ticket's thread.
func (tx *Tx) correctionDecided(ctx context.Context, a *jaga.Actor, c *jaga.Correction) error {
	ch, err := scanChange(tx.QueryRowContext(ctx, changeSelect+` WHERE c.correction_id = $1`, c.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("desk change: %w", err)
	}
	ch.Status = jaga.ChangeRejected
	if c.Status == jaga.CorrectionApproved {
		ch.Status = jaga.ChangeApproved
		ch.Outcome = "The record was corrected."
		if len(c.RevokedIDs) > 0 {
			ch.Outcome += fmt.Sprintf(" %d certificate(s) revoked and a new one issued.", len(c.RevokedIDs))
		}
	}
	return tx.decideChange(ctx, a, ch)
}

// decideChange stores a change's decision and tells its ticket.
func (tx *Tx) decideChange(ctx context.Context, a *jaga.Actor, ch *jaga.DeskChange) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE desk_changes SET status = $1, outcome = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = $6`,
		ch.Status, ch.Outcome, a.ID, tx.now, ch.ID, jaga.ChangePending)
	if err != nil {
		return fmt.Errorf("decide change: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("decide change: %w", err)
	} else if n != 1 {
		return errChangeDecided
	}
	ch.DecidedBy, ch.DecidedAt = a.ID, &tx.now
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSelect+` WHERE t.id = $1`+tx.ticketLock(), ch.TicketID))
	if err != nil {
		return fmt.Errorf("change ticket: %w", err)
	}
	return tx.postChangeOutcome(ctx, t, ch)
}

// Changes lists change requests by status, newest first.
func (s *DeskService) Changes(ctx context.Context, status string) ([]*jaga.DeskChange, error) {
	if !jaga.CanDecideChanges(jaga.ActorFromContext(ctx)) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's supervisors and health officers see change requests.")
	}
	q, args := changeSelect+` ORDER BY c.created_at DESC, c.id LIMIT 200`, []any{}
	switch status {
	case "":
	case jaga.ChangePending, jaga.ChangeApproved, jaga.ChangeRejected, jaga.ChangeDone:
		q, args = changeSelect+` WHERE c.status = $1 ORDER BY c.created_at DESC, c.id LIMIT 200`, []any{status}
	default:
		return nil, jaga.Invalid(map[string]string{"status": "Status must be pending, approved, rejected or done."})
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.db.dialect == Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	out := []*jaga.DeskChange{}
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ticketChanges returns the change requests of a ticket, oldest first.
func (tx *Tx) ticketChanges(ctx context.Context, ticketID string) ([]*jaga.DeskChange, error) {
	rows, err := tx.QueryContext(ctx, changeSelect+` WHERE c.ticket_id = $1 ORDER BY c.created_at, c.id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket changes: %w", err)
	}
	defer rows.Close()
	out := []*jaga.DeskChange{}
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("ticket changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DecideChange approves or rejects a pending change request.
func (s *DeskService) DecideChange(ctx context.Context, id string, approve bool) (*jaga.DeskChange, error) {
	a := jaga.ActorFromContext(ctx)
	if !jaga.CanDecideChanges(a) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's supervisors and health officers decide change requests.")
	}
	ch, err := s.change(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.Kind == jaga.ChangeCorrection {
		// The correction's own decision, in its own transaction, carries
		// the outcome back to the ticket.
		if _, err := NewCorrectionService(s.db).DecideCorrection(ctx, ch.CorrectionID, approve); err != nil {
			return nil, err
		}
		return s.change(ctx, id)
	}
	if approve && s.db.Signer == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificates cannot be issued at the moment; try again later.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	switch {
	case ch.Status != jaga.ChangePending:
		return nil, errChangeDecided
	case ch.RequestedBy == a.ID:
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "A second officer must decide a request; you asked for this one.")
	}
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSelect+` WHERE t.id = $1`, ch.TicketID))
	if err != nil {
		return nil, fmt.Errorf("change ticket: %w", err)
	}
	r := jaga.ChangeRequest{Kind: ch.Kind, Reason: ch.Reason}
	d, err := tx.guard(ctx, recordChangeRequest(a, t, r.Categories(), &r))
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, tx.denied(d)
	}
	ch.Status = jaga.ChangeRejected
	if approve {
		ch.Status = jaga.ChangeApproved
		if ch.Outcome, err = tx.deskRefresh(ctx, t.PersonID); err != nil {
			return nil, err
		}
	}
	if err := tx.decideChange(ctx, a, ch); err != nil {
		return nil, err
	}
	return ch, tx.Commit()
}

// change returns one change request.
func (s *DeskService) change(ctx context.Context, id string) (*jaga.DeskChange, error) {
	c, err := scanChange(s.db.db.QueryRowContext(ctx, changeSelect+` WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such change request.")
	} else if err != nil {
		return nil, fmt.Errorf("change: %w", err)
	}
	return c, nil
}
