package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// SchemaVersion is the DCC schema version that jaga issues.
const SchemaVersion = "1.3.0"

// DefaultCountry is the issuing country of an [Issuer] that names none.
const DefaultCountry = "MY"

// Issuer issues EU DCCs signed with one document-signer key. It is safe for
// concurrent use.
type Issuer struct {
	key     *ecdsa.PrivateKey
	cert    *x509.Certificate
	country string
	kid     []byte
	rand    io.Reader
	// protected is the encoded protected header {1: -7, 4: kid}, the same
	// for every certificate.
	protected []byte
}

// NewIssuer returns an issuer that signs with key, the private key of the
// document-signer certificate cert, for country (ISO 3166-1 alpha-2;
// DefaultCountry if empty).
func NewIssuer(key *ecdsa.PrivateKey, cert *x509.Certificate, country string) (*Issuer, error) {
	if key == nil || cert == nil {
		return nil, jaga.Errorf(jaga.EINVALID, "An issuer needs a key and its certificate.")
	}
	if key.Curve != elliptic.P256() {
		return nil, jaga.Errorf(jaga.EINVALID, "The document-signer key must be ECDSA P-256.")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, jaga.Errorf(jaga.EINVALID, "The certificate is not the document-signer key's.")
	}
	if country == "" {
		country = DefaultCountry
	}
	if !isCountryCode(country) {
		return nil, jaga.Errorf(jaga.EINVALID, "The issuing country must be an ISO 3166-1 alpha-2 code.")
	}
	kid := KIDOf(cert.Raw)
	protected, err := encMode.Marshal(map[int]any{headerAlg: AlgES256, headerKID: kid})
	if err != nil {
		return nil, fmt.Errorf("encode protected header: %w", err)
	}
	return &Issuer{key: key, cert: cert, country: country, kid: kid, rand: rand.Reader, protected: protected}, nil
}

// KID returns the issuer's key id: the first 8 bytes of SHA-256 of its
// certificate.
func (is *Issuer) KID() []byte { return bytes.Clone(is.kid) }

// Country returns the issuing country.
func (is *Issuer) Country() string { return is.country }

// Certificate returns the document-signer certificate.
func (is *Issuer) Certificate() *x509.Certificate { return is.cert }

// issueBufs pools the scratch buffers of Issue.
var issueBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Issue returns the EU DCC of dcc, issued at iat and expiring at exp, as
// the text of its QR code ("HC1:..."). dcc must pass the schema strictly:
// exactly one entry, every code in the value sets, dates that parse. The
// error is a *jaga.Error (jaga.EINVALID, with the failing field) for a
// certificate jaga refuses to issue.
func (is *Issuer) Issue(dcc DCC, iat, exp time.Time) (string, error) {
	if !exp.After(iat) {
		return "", jaga.Invalid(map[string]string{"exp": "must be after the time of issue"})
	}
	if dcc.Version == "" {
		dcc.Version = SchemaVersion
	}
	if err := validateIssue(&dcc, iat); err != nil {
		return "", err
	}
	// Everything is built in one pooled buffer: the DCC, the claims, the
	// COSE message and its zlib stream, one after the other. An append
	// that moves the buffer copies what it reads from the old one, which
	// stays intact.
	bp := issueBufs.Get().(*[]byte)
	defer issueBufs.Put(bp)
	buf := appendDCC((*bp)[:0], &dcc)
	dccEnd := len(buf)
	buf = appendClaims(buf, is.country, exp.Unix(), iat.Unix(), buf[:dccEnd])
	payloadEnd := len(buf)

	digest := sigDigest(is.protected, buf[dccEnd:payloadEnd])
	sig, err := signES256(is.rand, is.key, digest[:])
	if err != nil {
		return "", err
	}

	// COSE_Sign1: tag 18, [protected, {}, payload, signature].
	buf = append(buf, 0xd2, 0x84)
	buf = appendCBORHead(buf, majorBytes, uint64(len(is.protected)))
	buf = append(buf, is.protected...)
	buf = append(buf, 0xa0)
	buf = appendCBORHead(buf, majorBytes, uint64(payloadEnd-dccEnd))
	buf = append(buf, buf[dccEnd:payloadEnd]...)
	buf = appendCBORHead(buf, majorBytes, uint64(len(sig)))
	buf = append(buf, sig...)
	coseEnd := len(buf)
	buf = appendZlib(buf, buf[payloadEnd:coseEnd])
	*bp = buf[:0]
	compressed := buf[coseEnd:]

	out := make([]byte, 0, len(PrefixHC1)+(len(compressed)+1)/2*3)
	out = append(out, PrefixHC1...)
	out = AppendBase45(out, compressed)
	return string(out), nil
}

// validateIssue checks dcc strictly before issuing; every problem is an
// EINVALID *jaga.Error naming the field.
func validateIssue(dcc *DCC, iat time.Time) error {
	if dcc.Type() == "" {
		return jaga.Invalid(map[string]string{"dcc": "needs one vaccination, test or recovery entry"})
	}
	if _, err := validateDCC(dcc, nil, iat, true); err != nil {
		var se *StepError
		if errors.As(err, &se) {
			field, _, _ := strings.Cut(se.Reason, " ")
			return jaga.Invalid(map[string]string{field: se.Reason})
		}
		return err
	}
	for i, v := range dcc.Vaccinations {
		if v.CertificateID == "" {
			return jaga.Invalid(map[string]string{fmt.Sprintf("v[%d].ci", i): "is empty; use NewUVCI"})
		}
	}
	return nil
}

// KeyPair is a private key and its certificate.
type KeyPair struct {
	Key         *ecdsa.PrivateKey
	Certificate *x509.Certificate
}

// The extended key usages of a document signer (see keyUsageAllows).
var dscExtKeyUsages = []asn1.ObjectIdentifier{oidEKUTest, oidEKUVaccination, oidEKURecovery}

// NewCSCA makes a Country Signing CA: an ECDSA P-256 key and its
// self-signed CA certificate for country, valid from notBefore to notAfter.
func NewCSCA(country, commonName string, notBefore, notAfter time.Time) (*KeyPair, error) {
	return newKeyPair(nil, country, commonName, notBefore, notAfter, true)
}

// NewDSC makes a document signer: an ECDSA P-256 key and its certificate,
// signed by csca, or self-signed if csca is nil, usable for vaccination,
// test and recovery certificates.
func NewDSC(csca *KeyPair, country, commonName string, notBefore, notAfter time.Time) (*KeyPair, error) {
	return newKeyPair(csca, country, commonName, notBefore, notAfter, false)
}

func newKeyPair(parent *KeyPair, country, commonName string, notBefore, notAfter time.Time, isCA bool) (*KeyPair, error) {
	if !isCountryCode(country) {
		return nil, jaga.Errorf(jaga.EINVALID, "The country must be an ISO 3166-1 alpha-2 code.")
	}
	if !notAfter.After(notBefore) {
		return nil, jaga.Errorf(jaga.EINVALID, "A certificate's validity must end after it starts.")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Country: []string{country}, CommonName: commonName},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.MaxPathLenZero = true, true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		for _, oid := range dscExtKeyUsages {
			tmpl.UnknownExtKeyUsage = append(tmpl.UnknownExtKeyUsage, oid)
		}
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.Key, parent.Certificate
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return &KeyPair{Key: key, Certificate: c}, nil
}
