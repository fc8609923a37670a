package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ServerKey returns the value of the server key called name from table
// server_keys. If there is none, it calls generate, stores the result and
// returns it. The check and the insert happen in one transaction; when two
// processes race to create the same key, the loser's insert fails on the
// primary key and ServerKey returns the winner's value instead, so every
// caller sees the same key.
//
// Values are secrets (signing keys among them): ServerKey never logs them.
func (db *DB) ServerKey(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	if name == "" {
		return "", fmt.Errorf("server key: empty name")
	}
	// Fast path: the key exists, as it does on every start but the first.
	v, err := db.readServerKey(ctx, db.db, name)
	if err == nil {
		return v, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}

	v, err = db.createServerKey(ctx, name, generate)
	if isUniqueViolation(err) {
		// Another process created it between our read and our insert.
		return db.readServerKey(ctx, db.db, name)
	}
	return v, err
}

func (db *DB) createServerKey(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	// Re-read inside the transaction: on SQLite it holds the write lock, so
	// a key created since the first read is found here.
	v, err := db.readServerKey(ctx, tx, name)
	if err == nil {
		return v, tx.Commit()
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	v, err = generate()
	if err != nil {
		return "", fmt.Errorf("server key %s: generate: %w", name, err)
	}
	if v == "" {
		return "", fmt.Errorf("server key %s: generate returned an empty value", name)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3)`,
		name, v, tx.now); err != nil {
		return "", fmt.Errorf("server key %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("server key %s: %w", name, err)
	}
	return v, nil
}

type serverKeyQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) readServerKey(ctx context.Context, q serverKeyQuerier, name string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM server_keys WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", err
	} else if err != nil {
		return "", fmt.Errorf("server key %s: %w", name, err)
	}
	return v, nil
}
