package sqlstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/jaga-health/jaga"
)

// attachmentAEAD returns AES-256-GCM under DB.AttachmentKey, or
// EUNAVAILABLE when no key is set: attachments are then neither taken nor
// shown.
func (db *DB) attachmentAEAD(ctx context.Context) (cipher.AEAD, error) {
	if len(db.AttachmentKey) == 0 {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Attachments are not available at the moment; try again later.")
	}
	if len(db.AttachmentKey) != 32 {
		return nil, fmt.Errorf("attachment key: %d bytes, want 32", len(db.AttachmentKey))
	}
	block, err := aes.NewCipher(db.AttachmentKey)
	if err != nil {
		return nil, fmt.Errorf("attachment cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// attachmentAAD binds a sealed attachment to its row, so that content
// moved to another attachment or ticket does not open.
func attachmentAAD(ticketID, id string) []byte {
	return []byte("jaga-attachment-v1\n" + ticketID + "\n" + id)
}

const attachmentSelect = `SELECT id, ticket_id, media_type, size, name, created_at, expires_at FROM ticket_attachments`

func scanAttachment(r rowScanner) (*jaga.Attachment, error) {
	a := &jaga.Attachment{}
	if err := r.Scan(&a.ID, &a.TicketID, &a.MediaType, &a.Size, &a.Name, &a.CreatedAt, &a.ExpiresAt); err != nil {
		return nil, err
	}
	a.CreatedAt, a.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	return a, nil
}

// ticketAttachments describes a ticket's attachments that are still kept,
// oldest first.
func (tx *Tx) ticketAttachments(ctx context.Context, ticketID string) ([]*jaga.Attachment, error) {
	rows, err := tx.QueryContext(ctx, attachmentSelect+` WHERE ticket_id = $1 AND expires_at > $2 ORDER BY created_at, name`, ticketID, tx.now)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Attachment{}
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// openAttachment reads and opens one attachment of a ticket.
func (tx *Tx) openAttachment(ctx context.Context, aead cipher.AEAD, ticketID, id string) (*jaga.Attachment, []byte, error) {
	var sealed []byte
	a := &jaga.Attachment{}
	err := tx.QueryRowContext(ctx, `
		SELECT id, ticket_id, media_type, size, name, created_at, expires_at, content FROM ticket_attachments
		WHERE id = $1 AND ticket_id = $2 AND expires_at > $3`, id, ticketID, tx.now).
		Scan(&a.ID, &a.TicketID, &a.MediaType, &a.Size, &a.Name, &a.CreatedAt, &a.ExpiresAt, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, jaga.Errorf(jaga.ENOTFOUND, "No such attachment; attachments are deleted %d days after upload.", int(jaga.AttachmentRetention.Hours()/24))
	} else if err != nil {
		return nil, nil, fmt.Errorf("attachment: %w", err)
	}
	a.CreatedAt, a.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, nil, fmt.Errorf("attachment %s: sealed content too short", a.ID)
	}
	data, err := aead.Open(nil, sealed[:n], sealed[n:], attachmentAAD(ticketID, id))
	if err != nil {
		return nil, nil, fmt.Errorf("attachment %s: open: %w", a.ID, err)
	}
	return a, data, nil
}

// AddAttachment attaches a cleaned, sealed file to the citizen's ticket.
func (s *DeskService) AddAttachment(ctx context.Context, ticketID string, data []byte) (*jaga.Attachment, error) {
	if !jaga.ActorFromContext(ctx).IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to attach a file to your ticket.")
	}
	aead, err := s.db.attachmentAEAD(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, _, err := tx.ownTicket(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	tt, _ := jaga.TicketTypeByCode(t.Type)
	switch {
	case !tt.Attachments:
		return nil, jaga.Errorf(jaga.ECONFLICT, "A ticket of this type takes no attachments; answer its questions instead.")
	case jaga.TicketFinal(t.State) || t.State == jaga.StateResolved:
		return nil, jaga.Errorf(jaga.ECONFLICT, "This ticket is no longer open; open a new ticket if you still need help.")
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = $1`, t.ID).Scan(&n); err != nil {
		return nil, fmt.Errorf("count attachments: %w", err)
	}
	if n >= jaga.MaxAttachmentsPerTicket {
		return nil, jaga.Errorf(jaga.ECONFLICT, "A ticket holds at most %d attachments.", jaga.MaxAttachmentsPerTicket)
	}
	mediaType, cleaned, err := jaga.CleanAttachment(data)
	if err != nil {
		return nil, err
	}
	a := &jaga.Attachment{ID: newID(), TicketID: t.ID, MediaType: mediaType, Size: len(cleaned),
		Name: jaga.AttachmentName(n+1, mediaType), CreatedAt: tx.now, ExpiresAt: tx.now.Add(jaga.AttachmentRetention)}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("attachment nonce: %w", err)
	}
	sealed := aead.Seal(slices.Clip(nonce), nonce, cleaned, attachmentAAD(t.ID, a.ID))
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO ticket_attachments (id, ticket_id, media_type, size, name, content, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, t.ID, a.MediaType, a.Size, a.Name, sealed, a.CreatedAt, a.ExpiresAt); err != nil {
		return nil, fmt.Errorf("add attachment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = $1 WHERE id = $2`, tx.now, t.ID); err != nil {
		return nil, fmt.Errorf("add attachment: %w", err)
	}
	return a, tx.Commit()
}

// MyAttachment returns an attachment of the citizen's own ticket.
func (s *DeskService) MyAttachment(ctx context.Context, ticketID, id string) (*jaga.Attachment, []byte, error) {
	if !jaga.ActorFromContext(ctx).IsCitizen() {
		return nil, nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your tickets.")
	}
	aead, err := s.db.attachmentAEAD(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	t, _, err := tx.ownTicket(ctx, ticketID)
	if err != nil {
		return nil, nil, err
	}
	a, data, err := tx.openAttachment(ctx, aead, t.ID, id)
	if err != nil {
		return nil, nil, err
	}
	return a, data, tx.Commit()
}

// AgentAttachment returns an attachment to an agent through the gate; the
// access must be unmasked.
func (s *DeskService) AgentAttachment(ctx context.Context, ticketID, id string, why jaga.AccessReason) (*jaga.Attachment, []byte, error) {
	aead, err := s.db.attachmentAEAD(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, ticketID)
	if err != nil {
		return nil, nil, err
	}
	why.Purpose, why.Relationship, why.Reference = jaga.PurposeSupportTicket, jaga.RelationshipCase, t.Reference
	why.Unmask = why.Reason != ""
	if problems := why.Valid(); problems != nil {
		return nil, nil, jaga.Invalid(problems)
	}
	// The attachment must exist before anything is logged against the
	// person.
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_attachments WHERE id = $1 AND ticket_id = $2 AND expires_at > $3`,
		id, t.ID, tx.now).Scan(&exists); err != nil {
		return nil, nil, fmt.Errorf("attachment: %w", err)
	}
	if exists == 0 {
		return nil, nil, jaga.Errorf(jaga.ENOTFOUND, "No such attachment; attachments are deleted %d days after upload.", int(jaga.AttachmentRetention.Hours()/24))
	}
	tt, _ := jaga.TicketTypeByCode(t.Type)
	action := jaga.ActionRead
	if why.Unmask {
		action = jaga.ActionUnmask
	}
	d, err := tx.guardTicket(ctx, a, t, action, tt.Categories, []string{"attachment"}, why.Reason)
	if err != nil {
		return nil, nil, err
	}
	if d.Masked {
		if err := tx.Commit(); err != nil {
			return nil, nil, fmt.Errorf("log masked read: %w", err)
		}
		return nil, nil, jaga.Errorf(jaga.EFORBIDDEN, "A document cannot be masked; give a reason of at least 10 characters to see it in full.")
	}
	att, data, err := tx.openAttachment(ctx, aead, t.ID, id)
	if err != nil {
		return nil, nil, err
	}
	return att, data, tx.Commit()
}
