package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// Outbox delivery rules.
const (
	// OutboxMaxAttempts is how many failed sends a message gets; after the
	// last it stays unsent, with its last error, and is claimed no more.
	OutboxMaxAttempts = 8
	// OutboxBackoff is the wait after the first failure; it doubles with
	// every further failure (30 s, 1 min, 2 min, ... 64 min).
	OutboxBackoff = 30 * time.Second
	// OutboxClaimLease is how long a claimed message is reserved for the
	// server that claimed it. A server that dies mid-send leaves its
	// messages to be claimed again once the lease lapses, so a message may,
	// rarely, be sent twice; it is never lost.
	OutboxClaimLease = 5 * time.Minute
	// outboxMaxError bounds the stored reason of a failure.
	outboxMaxError = 500
)

// OutboxService hands the outbox's messages to the delivery job.
type OutboxService struct{ db *DB }

// NewOutboxService returns the outbox delivery service of db.
func NewOutboxService(db *DB) *OutboxService { return &OutboxService{db: db} }

// ClaimMessages returns up to limit messages that are due, oldest first,
// and reserves them for OutboxClaimLease, so that another server does not
// claim them meanwhile. A message is due when it is unsent, has failed
// fewer than OutboxMaxAttempts times and its next attempt is not in the
// future. With channels, only messages of those channels are claimed.
// The caller reports each with MarkSent or MarkFailed.
func (s *OutboxService) ClaimMessages(ctx context.Context, limit int, channels ...string) ([]*jaga.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	args := []any{tx.now.Add(OutboxClaimLease), OutboxMaxAttempts, tx.now, limit}
	var only string
	if len(channels) > 0 {
		ph := make([]string, len(channels))
		for i, c := range channels {
			args = append(args, c)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		only = ` AND channel IN (` + strings.Join(ph, ", ") + `)`
	}
	skipLocked := ""
	if s.db.dialect == Postgres {
		// Two servers claiming at once each pass over the other's rows.
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	// SQLite has one writer at a time, so the UPDATE alone is atomic there.
	rows, err := tx.QueryContext(ctx, `
		UPDATE outbox SET next_attempt_at = $1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE sent_at IS NULL AND attempts < $2 AND (next_attempt_at IS NULL OR next_attempt_at <= $3)`+only+`
			ORDER BY id LIMIT $4`+skipLocked+`)
		RETURNING id, channel, destination, subject, body, created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	defer rows.Close()
	var out []*jaga.Message
	for rows.Next() {
		m := &jaga.Message{}
		if err := rows.Scan(&m.ID, &m.Channel, &m.Destination, &m.Subject, &m.Body, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	rows.Close()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MarkSent records that a claimed message was handed to its gateway.
// Returns ENOTFOUND for an unknown message.
func (s *OutboxService) MarkSent(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET sent_at = $1, next_attempt_at = NULL WHERE id = $2`, tx.now, id)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("mark sent: %w", err)
	} else if n == 0 {
		return jaga.Errorf(jaga.ENOTFOUND, "No such message.")
	}
	return tx.Commit()
}

// MarkFailed records a failed send of a claimed message: it counts the
// attempt, stores reason (which must not name the destination; it is cut
// to 500 bytes) and makes the message due again after OutboxBackoff
// doubled for every earlier failure. It returns when the message is next
// due, the zero time when it has had its last attempt. Returns ENOTFOUND
// for an unknown message.
func (s *OutboxService) MarkFailed(ctx context.Context, id int64, reason string) (time.Time, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, err
	}
	defer tx.Rollback()
	var attempts int
	err = tx.QueryRowContext(ctx, `SELECT attempts FROM outbox WHERE id = $1`+tx.forUpdate(), id).Scan(&attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, jaga.Errorf(jaga.ENOTFOUND, "No such message.")
	} else if err != nil {
		return time.Time{}, fmt.Errorf("mark failed: %w", err)
	}
	next := tx.now.Add(outboxBackoff(attempts))
	attempts++
	if len(reason) > outboxMaxError {
		reason = strings.ToValidUTF8(reason[:outboxMaxError], "")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4`,
		attempts, next, reason, id); err != nil {
		return time.Time{}, fmt.Errorf("mark failed: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return time.Time{}, fmt.Errorf("mark failed: %w", err)
	}
	if attempts >= OutboxMaxAttempts {
		return time.Time{}, nil
	}
	return next, nil
}

// outboxBackoff is the wait after a message's failure when it had failed
// `failed` times before.
func outboxBackoff(failed int) time.Duration {
	if failed < 0 {
		failed = 0
	}
	if failed > OutboxMaxAttempts {
		failed = OutboxMaxAttempts
	}
	return OutboxBackoff << failed
}
