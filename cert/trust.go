package cert

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// TrustedKey is a document signer's public key that a verifier trusts, as
// one entry of a [TrustList].
type TrustedKey struct {
	KID         []byte            // 8 bytes for an EU DCC signer: the first 8 bytes of SHA-256 of its certificate
	Country     string            // ISO 3166-1 alpha-2 of the issuing country, if known
	NotBefore   time.Time         // zero: no lower bound
	NotAfter    time.Time         // zero: no upper bound
	PublicKey   crypto.PublicKey  // *ecdsa.PublicKey on P-256 or *rsa.PublicKey
	Certificate *x509.Certificate // the signer's certificate; nil when only the key is known
}

// validAt reports whether the key is within its validity at t.
func (k *TrustedKey) validAt(t time.Time) bool {
	return (k.NotBefore.IsZero() || !t.Before(k.NotBefore)) && (k.NotAfter.IsZero() || !t.After(k.NotAfter))
}

// TrustList holds the document-signer keys a verifier trusts, by kid. It
// is not safe for concurrent modification; once built, it may be read by
// any number of goroutines.
type TrustList struct {
	keys map[string][]*TrustedKey
}

// NewTrustList returns an empty trust list.
func NewTrustList() *TrustList {
	return &TrustList{keys: map[string][]*TrustedKey{}}
}

// KIDOf returns the EU DCC key id of a signer certificate: the first 8
// bytes of the SHA-256 of its DER encoding.
func KIDOf(certDER []byte) []byte {
	sum := sha256.Sum256(certDER)
	return sum[:8]
}

// Add adds k. It fails if k has no kid or its key is neither ECDSA P-256
// nor RSA of at least 2048 bits.
func (t *TrustList) Add(k TrustedKey) error {
	if len(k.KID) == 0 {
		return jaga.Errorf(jaga.EINVALID, "A trusted key needs a key id.")
	}
	switch pub := k.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return jaga.Errorf(jaga.EINVALID, "Trusted ECDSA keys must be on the P-256 curve.")
		}
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return jaga.Errorf(jaga.EINVALID, "Trusted RSA keys must have at least 2048 bits.")
		}
	default:
		return jaga.Errorf(jaga.EINVALID, "Trusted keys must be ECDSA P-256 or RSA keys.")
	}
	k.KID = bytes.Clone(k.KID)
	t.keys[string(k.KID)] = append(t.keys[string(k.KID)], &k)
	return nil
}

// AddCertificate adds the signer certificate c, with kid [KIDOf] its DER,
// its validity, and the country of its subject unless country is given.
func (t *TrustList) AddCertificate(c *x509.Certificate, country string) error {
	if country == "" && len(c.Subject.Country) > 0 {
		country = c.Subject.Country[0]
	}
	return t.Add(TrustedKey{
		KID:         KIDOf(c.Raw),
		Country:     country,
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		PublicKey:   c.PublicKey,
		Certificate: c,
	})
}

// Len returns the number of keys in the list.
func (t *TrustList) Len() int {
	if t == nil {
		return 0
	}
	n := 0
	for _, ks := range t.keys {
		n += len(ks)
	}
	return n
}

// Keys returns the keys of the list, ordered by kid.
func (t *TrustList) Keys() []TrustedKey {
	if t == nil {
		return nil
	}
	var out []TrustedKey
	for _, ks := range t.keys {
		for _, k := range ks {
			out = append(out, *k)
		}
	}
	slices.SortStableFunc(out, func(a, b TrustedKey) int { return bytes.Compare(a.KID, b.KID) })
	return out
}

// Has reports whether the list holds a key with kid.
func (t *TrustList) Has(kid []byte) bool { return t != nil && len(t.lookup(kid)) > 0 }

// lookup returns the keys with the given kid.
func (t *TrustList) lookup(kid []byte) []*TrustedKey {
	if t == nil {
		return nil
	}
	return t.keys[string(kid)]
}

// maxTrustList bounds a trust list file.
const maxTrustList = 8 << 20

// LoadTrustList reads a trust list in any form jaga accepts: jaga's signed
// trust list (checked against trustListKey, which must then be given), or
// one or more signer certificates in PEM, DER or base64 DER (the form of
// the dgc-testdata vectors' TESTCTX.CERTIFICATE).
func LoadTrustList(data []byte, trustListKey *ecdsa.PublicKey) (*TrustList, error) {
	if len(data) > 0 && data[0] == 0x30 {
		return ParseCertificates(data) // DER: binary, never trimmed
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return ParseSignedTrustList(trimmed, trustListKey)
	}
	return ParseCertificates(trimmed)
}

// ParseCertificates returns a trust list of the signer certificates in
// data: PEM (any number of CERTIFICATE blocks), one DER certificate, or one
// base64-encoded DER certificate.
func ParseCertificates(data []byte) (*TrustList, error) {
	if len(data) == 0 || data[0] != 0x30 {
		data = bytes.TrimSpace(data) // text forms; DER is binary and kept whole
	}
	if len(data) > maxTrustList {
		return nil, jaga.Errorf(jaga.ETOOLARGE, "The certificate file is larger than %d bytes.", maxTrustList)
	}
	var ders [][]byte
	switch {
	case bytes.HasPrefix(data, []byte("-----BEGIN")):
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type == "CERTIFICATE" {
				ders = append(ders, block.Bytes)
			}
		}
		if len(ders) == 0 {
			return nil, jaga.Errorf(jaga.EINVALID, "The PEM file holds no CERTIFICATE block.")
		}
	case len(data) > 0 && data[0] == 0x30:
		ders = [][]byte{data}
	default:
		der, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			return nil, jaga.Errorf(jaga.EINVALID, "The certificate is neither PEM, DER nor base64 DER.")
		}
		ders = [][]byte{der}
	}
	t := NewTrustList()
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i+1, &jaga.Error{Code: jaga.EINVALID, Message: fmt.Sprintf("Certificate %d cannot be parsed.", i+1)})
		}
		if err := t.AddCertificate(c, ""); err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i+1, err)
		}
	}
	return t, nil
}

// The signed trust list.
//
// jaga publishes the document signers it trusts as one JSON file:
//
//	{
//	  "format": "jaga-trust-list/1",
//	  "alg": "ES256",
//	  "trustList": "<base64 of the trust list document>",
//	  "signature": "<base64 of the ES256 signature (r||s, 64 bytes) over SHA-256 of those document bytes>"
//	}
//
// The signature is detached from the document and covers its exact bytes,
// so nothing is re-serialised before checking. The document, once decoded
// from base64, is JSON:
//
//	{
//	  "version": 1,
//	  "issuedAt": "2025-01-01T00:00:00Z",
//	  "keys": [
//	    {"kid": "<base64, 8 bytes>", "country": "MY",
//	     "certificate": "<base64 DER>"            (or "publicKey": "<base64 SubjectPublicKeyInfo DER>"),
//	     "notBefore": "<RFC 3339>", "notAfter": "<RFC 3339>"}
//	  ]
//	}
//
// With a certificate, kid must be the first 8 bytes of its SHA-256, and the
// validity defaults to the certificate's. The signing key is jaga's
// trust-list key (ECDSA P-256), pinned by every verifier.

// TrustListFormat is the format name of jaga's signed trust list.
const TrustListFormat = "jaga-trust-list/1"

type signedTrustList struct {
	Format    string `json:"format"`
	Alg       string `json:"alg"`
	TrustList string `json:"trustList"`
	Signature string `json:"signature"`
}

type trustListDoc struct {
	Version  int            `json:"version"`
	IssuedAt time.Time      `json:"issuedAt"`
	Keys     []trustListKey `json:"keys"`
}

type trustListKey struct {
	KID         string     `json:"kid"`
	Country     string     `json:"country"`
	Certificate string     `json:"certificate,omitempty"`
	PublicKey   string     `json:"publicKey,omitempty"`
	NotBefore   *time.Time `json:"notBefore,omitempty"`
	NotAfter    *time.Time `json:"notAfter,omitempty"`
}

// ParseSignedTrustList checks the signature of jaga's signed trust list in
// data with key (jaga's trust-list key) and returns the list.
func ParseSignedTrustList(data []byte, key *ecdsa.PublicKey) (*TrustList, error) {
	if len(data) > maxTrustList {
		return nil, jaga.Errorf(jaga.ETOOLARGE, "The trust list is larger than %d bytes.", maxTrustList)
	}
	if key == nil {
		return nil, jaga.Errorf(jaga.EINVALID, "A signed trust list needs the trust-list key to check it.")
	}
	var env signedTrustList
	if err := decodeStrictJSON(data, &env); err != nil {
		return nil, fmt.Errorf("trust list envelope: %w", jaga.Errorf(jaga.EINVALID, "The trust list is not a signed jaga trust list."))
	}
	if env.Format != TrustListFormat {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust list format is not %s.", TrustListFormat)
	}
	if env.Alg != "ES256" {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust list signature algorithm must be ES256.")
	}
	doc, err1 := base64.StdEncoding.DecodeString(env.TrustList)
	sig, err2 := base64.StdEncoding.DecodeString(env.Signature)
	if err1 != nil || err2 != nil {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust list or its signature is not valid base64.")
	}
	digest := sha256.Sum256(doc)
	if err := verifySignature(AlgES256, key, digest[:], sig); err != nil {
		return nil, fmt.Errorf("trust list signature: %w", jaga.Errorf(jaga.EINVALID, "The trust list signature does not match the trust-list key."))
	}
	var d trustListDoc
	if err := decodeStrictJSON(doc, &d); err != nil {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust list document is not valid JSON of version 1.")
	}
	if d.Version != 1 {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust list document version %d is not supported.", d.Version)
	}
	t := NewTrustList()
	for i, e := range d.Keys {
		k, err := e.trustedKey()
		if err != nil {
			return nil, fmt.Errorf("trust list key %d: %w", i+1, err)
		}
		if err := t.Add(k); err != nil {
			return nil, fmt.Errorf("trust list key %d: %w", i+1, err)
		}
	}
	return t, nil
}

// trustedKey converts a trust list document entry.
func (e *trustListKey) trustedKey() (TrustedKey, error) {
	bad := func(msg string) (TrustedKey, error) { return TrustedKey{}, jaga.Errorf(jaga.EINVALID, "%s", msg) }
	kid, err := base64.StdEncoding.DecodeString(e.KID)
	if err != nil || len(kid) == 0 {
		return bad("The key id is not valid base64.")
	}
	if e.Country != "" && !isCountryCode(e.Country) {
		return bad("The country is not an ISO 3166-1 alpha-2 code.")
	}
	k := TrustedKey{KID: kid, Country: e.Country}
	switch {
	case e.Certificate != "":
		der, err := base64.StdEncoding.DecodeString(e.Certificate)
		if err != nil {
			return bad("The certificate is not valid base64.")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return bad("The certificate cannot be parsed.")
		}
		if !bytes.Equal(KIDOf(der), kid) {
			return bad("The key id is not the first 8 bytes of the SHA-256 of the certificate.")
		}
		k.Certificate, k.PublicKey, k.NotBefore, k.NotAfter = c, c.PublicKey, c.NotBefore, c.NotAfter
	case e.PublicKey != "":
		der, err := base64.StdEncoding.DecodeString(e.PublicKey)
		if err != nil {
			return bad("The public key is not valid base64.")
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return bad("The public key cannot be parsed.")
		}
		k.PublicKey = pub
	default:
		return bad("The key has neither a certificate nor a public key.")
	}
	if e.NotBefore != nil {
		k.NotBefore = *e.NotBefore
	}
	if e.NotAfter != nil {
		k.NotAfter = *e.NotAfter
	}
	return k, nil
}

// SignTrustList returns the list as jaga's signed trust list (see
// [ParseSignedTrustList]), signed with key, jaga's trust-list key.
func SignTrustList(t *TrustList, key *ecdsa.PrivateKey, issuedAt time.Time) ([]byte, error) {
	d := trustListDoc{Version: 1, IssuedAt: issuedAt.UTC(), Keys: []trustListKey{}}
	for _, k := range t.Keys() {
		e := trustListKey{KID: base64.StdEncoding.EncodeToString(k.KID), Country: k.Country}
		if k.Certificate != nil {
			e.Certificate = base64.StdEncoding.EncodeToString(k.Certificate.Raw)
		} else {
			der, err := x509.MarshalPKIXPublicKey(k.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("marshal public key: %w", err)
			}
			e.PublicKey = base64.StdEncoding.EncodeToString(der)
		}
		if !k.NotBefore.IsZero() {
			nb := k.NotBefore.UTC()
			e.NotBefore = &nb
		}
		if !k.NotAfter.IsZero() {
			na := k.NotAfter.UTC()
			e.NotAfter = &na
		}
		d.Keys = append(d.Keys, e)
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("marshal trust list: %w", err)
	}
	digest := sha256.Sum256(doc)
	sig, err := signES256(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(signedTrustList{
		Format:    TrustListFormat,
		Alg:       "ES256",
		TrustList: base64.StdEncoding.EncodeToString(doc),
		Signature: base64.StdEncoding.EncodeToString(sig),
	}, "", "  ")
}

// decodeStrictJSON decodes one JSON value with no unknown fields and
// nothing after it.
func decodeStrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// isCountryCode reports whether s is two capital letters.
func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// The extended key usages of EU DCC signer certificates: a signer whose
// certificate names any of them may sign only those types. Both the OIDs of
// the specification and the variant with an extra ".0" that some member
// states used are accepted.
var (
	oidEKUTest        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}
	oidEKUVaccination = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}
	oidEKURecovery    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3}
	oidEKUTestAlt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 1}
	oidEKUVaccAlt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2}
	oidEKURecAlt      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 3}
)

// keyUsageAllows reports whether the signer certificate c may sign a DCC of
// type typ ("vaccination", "test" or "recovery"). A certificate that names
// none of the DCC usages may sign any type.
func keyUsageAllows(c *x509.Certificate, typ string) bool {
	if c == nil {
		return true
	}
	var any, test, vacc, rec bool
	for _, oid := range c.UnknownExtKeyUsage {
		switch {
		case oid.Equal(oidEKUTest) || oid.Equal(oidEKUTestAlt):
			any, test = true, true
		case oid.Equal(oidEKUVaccination) || oid.Equal(oidEKUVaccAlt):
			any, vacc = true, true
		case oid.Equal(oidEKURecovery) || oid.Equal(oidEKURecAlt):
			any, rec = true, true
		}
	}
	if !any {
		return true
	}
	switch typ {
	case "test":
		return test
	case "vaccination":
		return vacc
	case "recovery":
		return rec
	}
	return false
}

// kidString returns the base64 form of kid for reasons and results.
func kidString(kid []byte) string {
	return base64.StdEncoding.EncodeToString(kid)
}

// describeKeyValidity describes a key's validity for a reason.
func describeKeyValidity(k *TrustedKey) string {
	var parts []string
	if !k.NotBefore.IsZero() {
		parts = append(parts, "from "+k.NotBefore.UTC().Format(time.RFC3339))
	}
	if !k.NotAfter.IsZero() {
		parts = append(parts, "until "+k.NotAfter.UTC().Format(time.RFC3339))
	}
	return strings.Join(parts, " ")
}
