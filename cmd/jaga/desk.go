package main

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// attachmentKeyInfo is the HKDF info that derives the desk attachments'
// key from the master key; a new version of it is a new key.
const attachmentKeyInfo = "jaga desk attachments v1"

// attachmentKey derives the key that seals desk attachments from the
// master key with HKDF-SHA256, so that it is never stored beside the data
// it protects.
func attachmentKey(master []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, master, nil, attachmentKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("attachment key: %w", err)
	}
	return k, nil
}

// startDeskAttachments gives the store the attachments' key, derived from
// the master key.
func startDeskAttachments(c config, db *sqlstore.DB, logger *slog.Logger) error {
	master, err := c.masterKey(logger)
	if err != nil {
		return err
	}
	k, err := attachmentKey(master)
	if err != nil {
		return err
	}
	db.AttachmentKey = k
	return nil
}

// newDesk returns the support desk of db, with the tracing service that
// explains risk statuses and the verifier that checks foreign certificates
// for its self-service.
func newDesk(db *sqlstore.DB, verifier jaga.CertificateVerifier) *sqlstore.DeskService {
	d := sqlstore.NewDeskService(db)
	d.Tracing = sqlstore.NewTracingService(db, jaga.DefaultTracing())
	d.Verifier = verifier
	return d
}
