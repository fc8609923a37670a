package cert

import (
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// SMART Health Cards: a JWS (compact, ES256, payload compressed with raw
// DEFLATE) whose payload is a verifiable credential holding a FHIR bundle,
// written into QR codes as "shc:/" and two digits per character.

// PrefixSHC is the prefix of a SMART Health Card in a QR code.
const PrefixSHC = "shc:/"

// Steps that only SMART Health Cards have.
const (
	StepNumeric = "numeric" // the "shc:/" numeric encoding and its chunks
	StepJWS     = "jws"     // the JWS compact serialization and its header
)

// maxChunks bounds the chunks of a multi-part SMART Health Card.
const maxChunks = 99

// DecodeSHCNumeric returns the JWS that payload encodes: one "shc:/" QR
// text, or the chunks "shc:/1/N/...", "shc:/2/N/..." of a card too large
// for one QR code, separated by white space in any order.
func DecodeSHCNumeric(payload string) (string, error) {
	if len(payload) > maxPayload {
		return "", stepErr(StepPrefix, "payload is longer than %d characters", maxPayload)
	}
	parts := strings.Fields(payload)
	if len(parts) == 0 {
		return "", stepErr(StepPrefix, "payload is empty")
	}
	if len(parts) > maxChunks {
		return "", stepErr(StepNumeric, "payload has more than %d chunks", maxChunks)
	}
	type chunk struct {
		idx, n int // n is 0 for a card in one QR code
		body   string
	}
	parsed := make([]chunk, len(parts))
	for i, p := range parts {
		if !strings.HasPrefix(p, PrefixSHC) {
			return "", stepErr(StepPrefix, "part %d does not start with %q", i+1, PrefixSHC)
		}
		c := chunk{body: p[len(PrefixSHC):]}
		if j := strings.IndexByte(c.body, '/'); j >= 0 {
			k := strings.IndexByte(c.body[j+1:], '/')
			if k < 0 {
				return "", stepErr(StepNumeric, "chunk header of part %d is not of the form shc:/C/N/", i+1)
			}
			var err1, err2 error
			c.idx, err1 = strconv.Atoi(c.body[:j])
			c.n, err2 = strconv.Atoi(c.body[j+1 : j+1+k])
			if err1 != nil || err2 != nil || c.n < 1 || c.n > maxChunks || c.idx < 1 || c.idx > c.n {
				return "", stepErr(StepNumeric, "chunk header of part %d is not of the form shc:/C/N/ with 1 <= C <= N <= %d", i+1, maxChunks)
			}
			c.body = c.body[j+1+k+1:]
		}
		parsed[i] = c
	}
	var chunks []string
	if len(parsed) == 1 && parsed[0].n == 0 {
		chunks = []string{parsed[0].body}
	} else {
		total := parsed[0].n
		for i, c := range parsed {
			if c.n == 0 {
				return "", stepErr(StepNumeric, "part %d is a whole card, but %d parts were given", i+1, len(parsed))
			}
			if c.n != total {
				return "", stepErr(StepNumeric, "part %d says the card has %d chunks, an earlier one %d", i+1, c.n, total)
			}
		}
		if total != len(parsed) {
			return "", stepErr(StepNumeric, "the card has %d chunks but %d were given", total, len(parsed))
		}
		chunks = make([]string, total)
		for _, c := range parsed {
			if chunks[c.idx-1] != "" {
				return "", stepErr(StepNumeric, "chunk %d appears twice", c.idx)
			}
			if c.body == "" {
				return "", stepErr(StepNumeric, "chunk %d is empty", c.idx)
			}
			chunks[c.idx-1] = c.body
		}
	}
	total := len(chunks)
	var sb strings.Builder
	for i, body := range chunks {
		if body == "" {
			return "", stepErr(StepNumeric, "chunk %d of %d is missing", i+1, total)
		}
		if len(body)%2 != 0 {
			return "", stepErr(StepNumeric, "chunk %d has an odd number of digits", i+1)
		}
		for j := 0; j < len(body); j += 2 {
			a, b := body[j], body[j+1]
			if !isDigit(a) || !isDigit(b) {
				pos := j
				if isDigit(a) {
					pos++
				}
				return "", stepErr(StepNumeric, "chunk %d has a character other than a digit at position %d", i+1, pos)
			}
			v := int(a-'0')*10 + int(b-'0')
			if v > 'z'-'-' {
				return "", stepErr(StepNumeric, "chunk %d has the digit pair %d at position %d, above %d", i+1, v, j, 'z'-'-')
			}
			sb.WriteByte(byte(v + '-'))
		}
	}
	return sb.String(), nil
}

// EncodeSHCNumeric returns jws as one "shc:/" QR text.
func EncodeSHCNumeric(jws string) string {
	b := make([]byte, 0, len(PrefixSHC)+2*len(jws))
	b = append(b, PrefixSHC...)
	for i := 0; i < len(jws); i++ {
		v := int(jws[i]) - '-'
		b = append(b, byte('0'+v/10), byte('0'+v%10))
	}
	return string(b)
}

// JWKS holds SMART Health Card issuers' public keys (ES256 on P-256), by
// issuer and kid. It is not safe for concurrent modification.
type JWKS struct {
	keys map[string]*ecdsa.PublicKey // issuer + " " + kid
}

// jwk is one JSON Web Key (RFC 7517) of the fields jaga reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// NewJWKS returns an empty key set.
func NewJWKS() *JWKS { return &JWKS{keys: map[string]*ecdsa.PublicKey{}} }

// ParseJWKS returns the key set of issuer (the "iss" of its cards, e.g.
// "https://spec.smarthealth.cards/examples/issuer") in data, a JWKS
// document ({"keys": [...]}); an empty issuer accepts any iss.
func ParseJWKS(issuer string, data []byte) (*JWKS, error) {
	j := NewJWKS()
	if err := j.Add(issuer, data); err != nil {
		return nil, err
	}
	return j, nil
}

// Add adds the keys of issuer in data, a JWKS document. Keys that are not
// EC P-256 signature keys are skipped; each added key's kid must be its
// RFC 7638 thumbprint, as SMART Health Cards require.
func (j *JWKS) Add(issuer string, data []byte) error {
	if len(data) > maxTrustList {
		return jaga.Errorf(jaga.ETOOLARGE, "The key set is larger than %d bytes.", maxTrustList)
	}
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return jaga.Errorf(jaga.EINVALID, "The key set is not a JWKS document.")
	}
	added := 0
	for i, k := range doc.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "ES256") {
			continue
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return jaga.Errorf(jaga.EINVALID, "Key %d of the key set has a malformed x or y.", i+1)
		}
		raw := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return jaga.Errorf(jaga.EINVALID, "Key %d of the key set is not a point on P-256.", i+1)
		}
		if k.Kid != jwkThumbprint(k) {
			return jaga.Errorf(jaga.EINVALID, "Key %d of the key set has a kid that is not its JWK thumbprint.", i+1)
		}
		j.keys[issuer+" "+k.Kid] = pub
		added++
	}
	if added == 0 {
		return jaga.Errorf(jaga.EINVALID, "The key set has no ES256 P-256 key.")
	}
	return nil
}

// Len returns the number of keys in the set.
func (j *JWKS) Len() int {
	if j == nil {
		return 0
	}
	return len(j.keys)
}

// lookup returns the key of issuer with kid, trying keys added for any
// issuer too.
func (j *JWKS) lookup(issuer, kid string) *ecdsa.PublicKey {
	if j == nil {
		return nil
	}
	if k := j.keys[issuer+" "+kid]; k != nil {
		return k
	}
	return j.keys[" "+kid]
}

// jwkThumbprint returns the RFC 7638 SHA-256 thumbprint of an EC key,
// base64url without padding.
func jwkThumbprint(k jwk) string {
	s := `{"crv":"` + k.Crv + `","kty":"` + k.Kty + `","x":"` + k.X + `","y":"` + k.Y + `"}`
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWKThumbprint returns the kid that a SMART Health Card issuer's P-256 key
// must have: its RFC 7638 thumbprint.
func JWKThumbprint(pub *ecdsa.PublicKey) string {
	return jwkThumbprint(jwkOf(pub, ""))
}

// jwkOf returns the JWK of pub.
func jwkOf(pub *ecdsa.PublicKey, kid string) jwk {
	raw, _ := pub.Bytes()
	return jwk{
		Kty: "EC", Crv: "P-256", Kid: kid, Use: "sig", Alg: "ES256",
		X: base64.RawURLEncoding.EncodeToString(raw[1:33]),
		Y: base64.RawURLEncoding.EncodeToString(raw[33:65]),
	}
}

// MarshalJWKS returns a JWKS document with the public keys of keys, each
// with its thumbprint as kid.
func MarshalJWKS(keys ...*ecdsa.PublicKey) ([]byte, error) {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range keys {
		doc.Keys = append(doc.Keys, jwkOf(k, JWKThumbprint(k)))
	}
	return json.Marshal(doc)
}

// jwsHeader is the protected header of a SMART Health Card JWS.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Zip string `json:"zip"`
}

// SHC is a decoded SMART Health Card whose signature is not yet checked.
type SHC struct {
	KID       string
	Issuer    string    // iss: the issuer's URL
	NotBefore time.Time // nbf
	ExpiresAt time.Time // exp; zero if absent
	Types     []string  // vc.type
	Bundle    json.RawMessage

	signingInput string
	signature    []byte
}

// shcPayload is the part of the JWS payload that jaga reads.
type shcPayload struct {
	Iss *string      `json:"iss"`
	Nbf *json.Number `json:"nbf"`
	Exp *json.Number `json:"exp"`
	VC  *struct {
		Type              []string `json:"type"`
		CredentialSubject *struct {
			FHIRVersion string          `json:"fhirVersion"`
			FHIRBundle  json.RawMessage `json:"fhirBundle"`
		} `json:"credentialSubject"`
	} `json:"vc"`
}

// flateReaders pools raw DEFLATE readers.
var flateReaders sync.Pool

// DecodeSHC decodes a JWS of a SMART Health Card (not its "shc:/" form: see
// [DecodeSHCNumeric]) without checking its signature.
func DecodeSHC(jws string) (*SHC, error) {
	if len(jws) > maxPayload {
		return nil, stepErr(StepJWS, "JWS is longer than %d characters", maxPayload)
	}
	i := strings.IndexByte(jws, '.')
	j := -1
	if i >= 0 {
		if k := strings.IndexByte(jws[i+1:], '.'); k >= 0 {
			j = i + 1 + k
		}
	}
	if i < 0 || j < 0 || strings.IndexByte(jws[j+1:], '.') >= 0 {
		return nil, stepErr(StepJWS, "JWS does not have three parts separated by dots")
	}
	hdrBytes, err := base64.RawURLEncoding.DecodeString(jws[:i])
	if err != nil {
		return nil, wrapErr(StepJWS, "JWS header is not base64url", err)
	}
	var hdr jwsHeader
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return nil, wrapErr(StepJWS, "JWS header is not a JSON object", err)
	}
	if hdr.Alg != "ES256" {
		return nil, stepErr(StepJWS, "JWS algorithm is %q; SMART Health Cards use ES256", truncate(hdr.Alg, 16))
	}
	if hdr.Kid == "" {
		return nil, stepErr(StepJWS, "JWS header has no kid")
	}
	compressed, err := base64.RawURLEncoding.DecodeString(jws[i+1 : j])
	if err != nil {
		return nil, wrapErr(StepJWS, "JWS payload is not base64url", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(jws[j+1:])
	if err != nil {
		return nil, wrapErr(StepJWS, "JWS signature is not base64url", err)
	}
	body := compressed
	if hdr.Zip == "DEF" {
		body, err = inflateRaw(compressed)
		if err != nil {
			return nil, err
		}
	} else if hdr.Zip != "" {
		return nil, stepErr(StepJWS, "JWS zip is %q; only DEF is defined", truncate(hdr.Zip, 16))
	}
	var p shcPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, wrapErr(StepSchema, "JWS payload is not a JSON object", err)
	}
	s := &SHC{KID: hdr.Kid, signingInput: jws[:j], signature: sig}
	if p.Iss == nil || *p.Iss == "" {
		return nil, stepErr(StepSchema, "JWS payload has no iss")
	}
	s.Issuer = *p.Iss
	if p.Nbf == nil {
		return nil, stepErr(StepSchema, "JWS payload has no nbf")
	}
	if s.NotBefore, err = numericDate(*p.Nbf); err != nil {
		return nil, stepErr(StepSchema, "JWS payload nbf is not a number of seconds")
	}
	if p.Exp != nil {
		if s.ExpiresAt, err = numericDate(*p.Exp); err != nil {
			return nil, stepErr(StepSchema, "JWS payload exp is not a number of seconds")
		}
	}
	if p.VC == nil || p.VC.CredentialSubject == nil || len(p.VC.CredentialSubject.FHIRBundle) == 0 {
		return nil, stepErr(StepSchema, "JWS payload has no vc.credentialSubject.fhirBundle")
	}
	s.Types = p.VC.Type
	hasCard := false
	for _, t := range s.Types {
		hasCard = hasCard || t == "https://smarthealth.cards#health-card"
	}
	if !hasCard {
		return nil, stepErr(StepSchema, "vc.type does not include https://smarthealth.cards#health-card")
	}
	s.Bundle = p.VC.CredentialSubject.FHIRBundle
	return s, nil
}

// numericDate converts a JSON number of seconds since the epoch.
func numericDate(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1e12 {
		return time.Time{}, fmt.Errorf("not a date: %w", err)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// inflateRaw decompresses raw DEFLATE (RFC 1951), at most MaxDecompressed
// bytes.
func inflateRaw(data []byte) ([]byte, error) {
	br := bytes.NewReader(data)
	r, _ := flateReaders.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(br)
	} else if err := r.(flate.Resetter).Reset(br, nil); err != nil {
		return nil, zlibErr(err)
	}
	defer flateReaders.Put(r)
	out, err := readCapped(make([]byte, 0, 4*len(data)), r, MaxDecompressed)
	if err != nil {
		return nil, zlibErr(err)
	}
	return out, nil
}

// Verify checks s against opts: the issuer's key, the signature and the
// time.
func (s *SHC) Verify(opts VerifyOptions) Result {
	if opts.At.IsZero() {
		opts.At = time.Now()
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = DefaultClockSkew
	} else if opts.ClockSkew < 0 {
		opts.ClockSkew = 0
	}
	return s.verify(opts)
}

func (s *SHC) verify(opts VerifyOptions) Result {
	r := Result{Kind: KindSHC, Issuer: s.Issuer, KID: s.KID, IssuedAt: s.NotBefore, ExpiresAt: s.ExpiresAt}
	key := opts.JWKS.lookup(s.Issuer, s.KID)
	if key == nil {
		return r.fail(stepErr(StepTrust, "unknown key: the issuer's key set has no key %s", truncate(s.KID, 64)))
	}
	digest := sha256.Sum256([]byte(s.signingInput))
	if err := verifySignature(AlgES256, key, digest[:], s.signature); err != nil {
		return r.fail(err)
	}
	c, warnings := certificateOfBundle(s.Bundle)
	r.Certificate, r.Warnings = c, warnings
	if err := checkTimes(s.NotBefore, s.ExpiresAt, opts.At, opts.ClockSkew); err != nil {
		return r.fail(err)
	}
	r.Valid, r.Reason = true, "valid"
	return r
}

// verifySHC verifies a SMART Health Card in its "shc:/" form.
func verifySHC(payload string, opts VerifyOptions) Result {
	r := Result{Kind: KindSHC}
	jws, err := DecodeSHCNumeric(payload)
	if err != nil {
		return r.fail(err)
	}
	s, err := DecodeSHC(jws)
	if err != nil {
		return r.fail(err)
	}
	return s.verify(opts)
}

// fhirBundle is the part of a FHIR R4 Bundle that a verifier shows.
type fhirBundle struct {
	Entry []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			Name         []struct {
				Family string   `json:"family"`
				Given  []string `json:"given"`
			} `json:"name"`
			BirthDate   string `json:"birthDate"`
			Status      string `json:"status"`
			VaccineCode struct {
				Coding []struct {
					System string `json:"system"`
					Code   string `json:"code"`
				} `json:"coding"`
			} `json:"vaccineCode"`
			OccurrenceDateTime string `json:"occurrenceDateTime"`
			LotNumber          string `json:"lotNumber"`
			Performer          []struct {
				Actor struct {
					Display string `json:"display"`
				} `json:"actor"`
			} `json:"performer"`
		} `json:"resource"`
	} `json:"entry"`
}

// certificateOfBundle returns the verifier's view of a SMART Health Card's
// FHIR bundle: the patient and the immunizations.
func certificateOfBundle(raw json.RawMessage) (*Certificate, []string) {
	var b fhirBundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return &Certificate{}, []string{"the FHIR bundle cannot be read"}
	}
	c := &Certificate{}
	var warnings []string
	for _, e := range b.Entry {
		res := e.Resource
		switch res.ResourceType {
		case "Patient":
			if len(res.Name) > 0 {
				c.FamilyName = res.Name[0].Family
				c.GivenName = strings.Join(res.Name[0].Given, " ")
			}
			c.DateOfBirth = res.BirthDate
		case "Immunization":
			en := Entry{Type: "vaccination", Date: res.OccurrenceDateTime, Lot: res.LotNumber}
			if len(res.VaccineCode.Coding) > 0 {
				en.Vaccine = res.VaccineCode.Coding[0].Code
			}
			if len(res.Performer) > 0 {
				en.Performer = res.Performer[0].Actor.Display
			}
			if res.Status != "" && res.Status != "completed" {
				warnings = append(warnings, "an immunization's status is not completed")
			}
			c.Entries = append(c.Entries, en)
		}
	}
	return c, warnings
}

// truncate shortens s to at most n bytes for a reason.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
