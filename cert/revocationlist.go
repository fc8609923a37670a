package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jaga-health/jaga"
)

// The signed revocation list.
//
// jaga publishes the certificates it revoked as the EU DCC revocation
// scheme names them: truncated SHA-256 hashes (UCI and COUNTRYCODEUCI) of
// their identifiers, never the identifiers themselves. The envelope is
// that of the trust list, with its own format name:
//
//	{
//	  "format": "jaga-revocation-list/1",
//	  "alg": "ES256",
//	  "revocationList": "<base64 of the document>",
//	  "signature": "<base64 of the ES256 signature over SHA-256 of those bytes>"
//	}
//
// and the document is
//
//	{"version": 1, "issuedAt": "<RFC 3339>", "hashes": ["<base64, 16 bytes>", ...]}
//
// with the hashes sorted. It is signed by the same key as the trust list.

// RevocationListFormat is the format name of jaga's signed revocation list.
const RevocationListFormat = "jaga-revocation-list/1"

type signedRevocationList struct {
	Format         string `json:"format"`
	Alg            string `json:"alg"`
	RevocationList string `json:"revocationList"`
	Signature      string `json:"signature"`
}

type revocationListDoc struct {
	Version  int       `json:"version"`
	IssuedAt time.Time `json:"issuedAt"`
	Hashes   []string  `json:"hashes"`
}

// SignRevocationList returns rl as jaga's signed revocation list, signed
// with key, jaga's trust-list key.
func SignRevocationList(rl *RevocationList, key *ecdsa.PrivateKey, issuedAt time.Time) ([]byte, error) {
	d := revocationListDoc{Version: 1, IssuedAt: issuedAt.UTC(), Hashes: []string{}}
	if rl != nil {
		for h := range rl.set {
			d.Hashes = append(d.Hashes, base64.StdEncoding.EncodeToString(h[:]))
		}
	}
	sort.Strings(d.Hashes)
	doc, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("marshal revocation list: %w", err)
	}
	digest := sha256.Sum256(doc)
	sig, err := signES256(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(signedRevocationList{
		Format:         RevocationListFormat,
		Alg:            "ES256",
		RevocationList: base64.StdEncoding.EncodeToString(doc),
		Signature:      base64.StdEncoding.EncodeToString(sig),
	}, "", "  ")
}

// IsSignedRevocationList reports whether data looks like jaga's signed
// revocation list (it says so in its format field); it checks nothing.
func IsSignedRevocationList(data []byte) bool {
	var probe struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.Format == RevocationListFormat
}

// ParseSignedRevocationList checks the signature of jaga's signed
// revocation list in data with key (jaga's trust-list key) and returns the
// list and when it was issued.
func ParseSignedRevocationList(data []byte, key *ecdsa.PublicKey) (*RevocationList, time.Time, error) {
	if len(data) > maxTrustList {
		return nil, time.Time{}, jaga.Errorf(jaga.ETOOLARGE, "The revocation list is larger than %d bytes.", maxTrustList)
	}
	if key == nil {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "A signed revocation list needs the trust-list key to check it.")
	}
	var env signedRevocationList
	if err := decodeStrictJSON(data, &env); err != nil {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list is not a signed jaga revocation list.")
	}
	if env.Format != RevocationListFormat {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list format is not %s.", RevocationListFormat)
	}
	if env.Alg != "ES256" {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list signature algorithm must be ES256.")
	}
	doc, err1 := base64.StdEncoding.DecodeString(env.RevocationList)
	sig, err2 := base64.StdEncoding.DecodeString(env.Signature)
	if err1 != nil || err2 != nil {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list or its signature is not valid base64.")
	}
	digest := sha256.Sum256(doc)
	if err := verifySignature(AlgES256, key, digest[:], sig); err != nil {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list signature does not match the trust-list key.")
	}
	var d revocationListDoc
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || d.Version != 1 {
		return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "The revocation list document is not valid JSON of version 1.")
	}
	rl := NewRevocationList()
	for i, s := range d.Hashes {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != RevocationHashSize {
			return nil, time.Time{}, jaga.Errorf(jaga.EINVALID, "Revocation list hash %d is not %d bytes of base64.", i+1, RevocationHashSize)
		}
		rl.Add(h)
	}
	return rl, d.IssuedAt, nil
}
