package cert

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// MasterKeySize is the size of the key that seals signing keys at rest.
const MasterKeySize = 32

// NewMasterKey returns a new random master key, base64-encoded.
func NewMasterKey() (string, error) {
	k := make([]byte, MasterKeySize)
	if _, err := rand.Read(k); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// ParseMasterKey decodes a base64 master key of MasterKeySize bytes.
func ParseMasterKey(text string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(k) != MasterKeySize {
		return nil, jaga.Errorf(jaga.EINVALID, "The master key must be %d random bytes in base64.", MasterKeySize)
	}
	return k, nil
}

// sealVersion is the first byte of a sealed key: AES-256-GCM, a 12-byte
// nonce, then the ciphertext of the key's PKCS #8 encoding.
const sealVersion = 1

// SealKey encrypts key under master with AES-256-GCM, bound to label (the
// key's kind and id), so that a sealed key copied to another row does not
// open.
func SealKey(master []byte, label string, key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := masterAEAD(master)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(der)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return aead.Seal(out, out[1:], der, []byte(label)), nil
}

// OpenKey decrypts a key SealKey sealed with the same master key and
// label. It fails with EINVALID for the wrong master key or label.
func OpenKey(master []byte, label string, sealed []byte) (*ecdsa.PrivateKey, error) {
	aead, err := masterAEAD(master)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize()+aead.Overhead() || sealed[0] != sealVersion {
		return nil, jaga.Errorf(jaga.EINVALID, "The sealed signing key is not in a format jaga knows.")
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	der, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], []byte(label))
	if err != nil {
		return nil, jaga.Errorf(jaga.EINVALID, "The signing key does not open with this master key.")
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, jaga.Errorf(jaga.EINVALID, "The signing key is not an ECDSA key.")
	}
	return ek, nil
}

func masterAEAD(master []byte) (cipher.AEAD, error) {
	if len(master) != MasterKeySize {
		return nil, jaga.Errorf(jaga.EINVALID, "The master key must be %d bytes.", MasterKeySize)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Validity of the keys a Keyring makes.
const (
	CSCAValidity = 10 * 365 * 24 * time.Hour
	// DSCValidity is how long a document signer's certificate is valid:
	// it signs for DSCUsage, then stays on the trust list until the
	// certificates it signed expire.
	DSCValidity = 2 * 365 * 24 * time.Hour
	DSCUsage    = 182 * 24 * time.Hour
)

// Keyring manages jaga's signing keys in a store: the country signing CA
// and the document signers it certifies, their private keys sealed under
// the master key.
type Keyring struct {
	Store   jaga.SigningKeyStore
	Master  []byte
	Country string           // DefaultCountry if empty
	Now     func() time.Time // if nil, time.Now
}

func (k *Keyring) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

func (k *Keyring) country() string {
	if k.Country == "" {
		return DefaultCountry
	}
	return k.Country
}

// ErrNoKeys is returned when the store holds no active key of a kind.
var ErrNoKeys = jaga.Errorf(jaga.EUNAVAILABLE, "No signing keys exist yet; run jaga keys init.")

// active returns the active key of kind, opened, with its certificate.
func (k *Keyring) active(ctx context.Context, kind string) (*KeyPair, *jaga.SigningKey, error) {
	keys, err := k.Store.SigningKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		sk := keys[i]
		if sk.Kind != kind || sk.Status != jaga.SigningKeyActive {
			continue
		}
		kp, err := k.open(sk)
		return kp, sk, err
	}
	return nil, nil, ErrNoKeys
}

func (k *Keyring) open(sk *jaga.SigningKey) (*KeyPair, error) {
	c, err := x509.ParseCertificate(sk.Certificate)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
	}
	priv, err := OpenKey(k.Master, sk.Kind+":"+sk.KID, sk.SealedKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
	}
	return &KeyPair{Key: priv, Certificate: c}, nil
}

// store seals kp and stores it as kind's active key.
func (k *Keyring) store(ctx context.Context, kind string, kp *KeyPair) (*jaga.SigningKey, error) {
	kid := base64.StdEncoding.EncodeToString(KIDOf(kp.Certificate.Raw))
	sealed, err := SealKey(k.Master, kind+":"+kid, kp.Key)
	if err != nil {
		return nil, err
	}
	sk := &jaga.SigningKey{KID: kid, Kind: kind, Country: k.country(), Certificate: kp.Certificate.Raw,
		SealedKey: sealed, Status: jaga.SigningKeyActive, NotBefore: kp.Certificate.NotBefore.UTC(),
		NotAfter: kp.Certificate.NotAfter.UTC(), CreatedAt: k.now()}
	if err := k.Store.AddSigningKey(ctx, sk); err != nil {
		return nil, err
	}
	return sk, nil
}

// Init makes the country signing CA and a first document signer if the
// store has none, and reports whether it made any. It also proves the
// master key opens the keys that exist.
func (k *Keyring) Init(ctx context.Context) (bool, error) {
	created := false
	csca, _, err := k.active(ctx, jaga.SigningKeyCSCA)
	if errors.Is(err, ErrNoKeys) {
		now := k.now()
		csca, err = NewCSCA(k.country(), "jaga Country Signing CA "+k.country(), now.Add(-time.Hour), now.Add(CSCAValidity))
		if err != nil {
			return false, err
		}
		if _, err := k.store(ctx, jaga.SigningKeyCSCA, csca); err != nil {
			return false, err
		}
		created = true
	} else if err != nil {
		return false, err
	}
	if _, _, err := k.active(ctx, jaga.SigningKeyDSC); errors.Is(err, ErrNoKeys) {
		if _, err := k.rotate(ctx, csca); err != nil {
			return created, err
		}
		created = true
	} else if err != nil {
		return created, err
	}
	return created, nil
}

// Rotate makes a new document signer, certified by the country signing
// CA, and retires the one that was active: it signs nothing new but stays
// on the trust list until its certificate expires.
func (k *Keyring) Rotate(ctx context.Context) (*jaga.SigningKey, error) {
	csca, _, err := k.active(ctx, jaga.SigningKeyCSCA)
	if err != nil {
		return nil, err
	}
	return k.rotate(ctx, csca)
}

func (k *Keyring) rotate(ctx context.Context, csca *KeyPair) (*jaga.SigningKey, error) {
	now := k.now()
	notAfter := now.Add(DSCValidity)
	if notAfter.After(csca.Certificate.NotAfter) {
		notAfter = csca.Certificate.NotAfter
	}
	dsc, err := NewDSC(csca, k.country(), "jaga Document Signer "+k.country()+" "+now.Format("2006-01-02T15:04:05Z"), now.Add(-time.Hour), notAfter)
	if err != nil {
		return nil, err
	}
	return k.store(ctx, jaga.SigningKeyDSC, dsc)
}

// Issuer returns an issuer that signs with the active document signer.
func (k *Keyring) Issuer(ctx context.Context) (*Issuer, error) {
	dsc, _, err := k.active(ctx, jaga.SigningKeyDSC)
	if err != nil {
		return nil, err
	}
	return NewIssuer(dsc.Key, dsc.Certificate, k.country())
}

// TrustListKey returns the public key that signs jaga's trust list and
// revocation list: the country signing CA's.
func (k *Keyring) TrustListKey(ctx context.Context) (*ecdsa.PublicKey, error) {
	keys, err := k.Store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		if keys[i].Kind == jaga.SigningKeyCSCA && keys[i].Status == jaga.SigningKeyActive {
			c, err := x509.ParseCertificate(keys[i].Certificate)
			if err != nil {
				return nil, err
			}
			if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
				return pub, nil
			}
		}
	}
	return nil, ErrNoKeys
}

// TrustList returns the document signers whose certificates have not
// expired at the time: the active one and the retired ones still needed.
func (k *Keyring) TrustList(ctx context.Context) (*TrustList, error) {
	keys, err := k.Store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := k.now()
	t := NewTrustList()
	for _, sk := range keys {
		if sk.Kind != jaga.SigningKeyDSC || now.After(sk.NotAfter) {
			continue
		}
		c, err := x509.ParseCertificate(sk.Certificate)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
		}
		if err := t.AddCertificate(c, sk.Country); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// SignedTrustList returns the trust list, signed by the country signing
// CA (see [ParseSignedTrustList]).
func (k *Keyring) SignedTrustList(ctx context.Context) ([]byte, error) {
	t, err := k.TrustList(ctx)
	if err != nil {
		return nil, err
	}
	csca, _, err := k.active(ctx, jaga.SigningKeyCSCA)
	if err != nil {
		return nil, err
	}
	return SignTrustList(t, csca.Key, k.now())
}

// SignedRevocationList returns the revocation list of revoked, signed by
// the country signing CA (see [ParseSignedRevocationList]). Entries that
// have expired are left out: an expired certificate fails anyway.
func (k *Keyring) SignedRevocationList(ctx context.Context, revoked []jaga.RevokedCertificate) ([]byte, error) {
	csca, _, err := k.active(ctx, jaga.SigningKeyCSCA)
	if err != nil {
		return nil, err
	}
	now := k.now()
	rl := NewRevocationList()
	for _, r := range revoked {
		if !r.ExpiresAt.IsZero() && now.After(r.ExpiresAt) {
			continue
		}
		rl.AddUCI(r.Country, r.ID)
	}
	return SignRevocationList(rl, csca.Key, now)
}
