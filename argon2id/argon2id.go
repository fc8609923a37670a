// Package argon2id hashes staff passwords with Argon2id
// (golang.org/x/crypto/argon2) and encodes them in the PHC string format.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Hasher implements jaga.PasswordHasher. The zero value uses OWASP's
// recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
type Hasher struct {
	MemoryKiB uint32 // if 0, 19456
	Time      uint32 // if 0, 2
	Threads   uint8  // if 0, 1
}

const (
	saltLen = 16
	keyLen  = 32
)

func (h Hasher) params() (uint32, uint32, uint8) {
	m, t, p := h.MemoryKiB, h.Time, h.Threads
	if m == 0 {
		m = 19456
	}
	if t == 0 {
		t = 2
	}
	if p == 0 {
		p = 1
	}
	return m, t, p
}

// Hash returns the PHC-encoded Argon2id hash of password with a new salt.
func (h Hasher) Hash(password string) (string, error) {
	m, t, p := h.params()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, t, m, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// ErrMalformed is returned by Verify when the encoded hash cannot be read.
var ErrMalformed = errors.New("malformed argon2id hash")

// Verify reports whether password matches the encoded hash, using the
// parameters stored in it.
func (Hasher) Verify(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, ErrMalformed
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
