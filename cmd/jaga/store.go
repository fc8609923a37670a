package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jaga-health/jaga/argon2id"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// openStore opens the database and wires the store's dependencies. With
// migrateEmpty, a database with no schema at all is created; a schema of
// another version is always refused.
func openStore(ctx context.Context, c config, logger *slog.Logger, migrateEmpty bool) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	g, err := gate.New()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("gate: %w", err)
	}
	db.Gate, db.Passwords, db.TOTP, db.Logger = g, argon2id.Hasher{}, totp.Authenticator{}, logger
	if migrateEmpty {
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if v == 0 {
			applied, err := db.Migrate(ctx)
			if err != nil {
				db.Close()
				return nil, err
			}
			logger.Info("created database schema", "dialect", db.Dialect(), "versions", len(applied))
		}
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		if errors.Is(err, sqlstore.ErrStaleSchema) {
			return nil, exitError{code: 1, msg: err.Error()}
		}
		return nil, err
	}
	key, err := db.ServerKey(ctx, premisesTokenKeyName, func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("premises token key: %w", err)
	}
	if db.TokenKey, err = hex.DecodeString(key); err != nil || len(db.TokenKey) < 32 {
		db.Close()
		return nil, fmt.Errorf("premises token key: stored value is not 32 bytes of hex")
	}
	db.Retention = c.Retention
	return db, nil
}

// premisesTokenKeyName names the server key that authenticates premises
// QR codes.
const premisesTokenKeyName = "premises-token-key"
