package auditlog

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Names of the server keys that hold the checkpoint keys.
const (
	// SignerKeyName holds the private signer key. It never leaves the server.
	SignerKeyName = "access-log-signer"
	// VerifierKeyName holds the public verifier key, for the server's own
	// checks and to publish. An outside auditor pins the verifier key they
	// were given rather than read it from the database.
	VerifierKeyName = "access-log-verifier"
)

// NewKeys returns a new Ed25519 key pair for signing checkpoints, named
// SignerName, in the encodings of golang.org/x/mod/sumdb/note.
func NewKeys() (signerKey, verifierKey string, err error) {
	return note.GenerateKey(rand.Reader, SignerName)
}

// NewSigner returns the signer of an encoded signer key.
func NewSigner(signerKey string) (note.Signer, error) {
	s, err := note.NewSigner(signerKey)
	if err != nil {
		return nil, fmt.Errorf("access log signer key: %w", err)
	}
	return s, nil
}

// NewVerifier returns the verifier of an encoded verifier key.
func NewVerifier(verifierKey string) (note.Verifier, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("access log verifier key: %w", err)
	}
	return v, nil
}

// VerifierKey returns the verifier key of an encoded Ed25519 signer key.
func VerifierKey(signerKey string) (string, error) {
	if _, err := NewSigner(signerKey); err != nil { // checks the format and the key hash
		return "", err
	}
	parts := strings.SplitN(signerKey, "+", 5) // PRIVATE, KEY, name, hash, key (base64, which may hold "+")
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", fmt.Errorf("access log signer key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// KeyStore keeps named server keys; sqlstore.DB implements it.
type KeyStore interface {
	// ServerKey returns the value stored for name or, if none, the result
	// of generate, which it stores first. Concurrent callers get one value.
	ServerKey(ctx context.Context, name string, generate func() (string, error)) (string, error)
}

// Keys are the checkpoint keys of a server.
type Keys struct {
	Signer      note.Signer
	Verifier    note.Verifier
	VerifierKey string // encoded, to publish
}

// LoadKeys returns the server's checkpoint keys, creating them on first
// use: the signer key as server key SignerKeyName and its verifier key as
// VerifierKeyName. It fails if the stored verifier key is not the signer
// key's.
func LoadKeys(ctx context.Context, ks KeyStore) (*Keys, error) {
	skey, err := ks.ServerKey(ctx, SignerKeyName, func() (string, error) {
		skey, _, err := NewKeys()
		return skey, err
	})
	if err != nil {
		return nil, err
	}
	want, err := VerifierKey(skey)
	if err != nil {
		return nil, err
	}
	vkey, err := ks.ServerKey(ctx, VerifierKeyName, func() (string, error) { return want, nil })
	if err != nil {
		return nil, err
	}
	if vkey != want {
		return nil, fmt.Errorf("server key %s is not the verifier of %s", VerifierKeyName, SignerKeyName)
	}
	signer, err := NewSigner(skey)
	if err != nil {
		return nil, err
	}
	verifier, err := NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Keys{Signer: signer, Verifier: verifier, VerifierKey: vkey}, nil
}
