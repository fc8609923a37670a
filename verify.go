package jaga

import (
	"context"
	"time"
)

// Problems: why a health certificate is not valid, in words a page can
// translate. [VerifyResult].Step says where verification stopped and
// [VerifyResult].Reason says precisely what was wrong.
const (
	VerifyMalformed    = "malformed"     // the payload cannot be read; Step names the decoding step
	VerifyUnknownKey   = "unknown_key"   // no trusted key matches the signer's key id
	VerifyKeyNotValid  = "key_not_valid" // the signer's key is outside its validity or may not sign this type
	VerifyBadSignature = "bad_signature" // the signature does not match the content
	VerifyNotYetValid  = "not_yet_valid" // issued after the time of the check
	VerifyExpired      = "expired"       // expired before the time of the check
	VerifyRevoked      = "revoked"       // on a revocation list
	VerifyTrustStale   = "trust_stale"   // the trust list is older than its grace period, or never loaded
)

// VerifyResult is the outcome of verifying a health certificate (an EU
// Digital COVID Certificate or a SMART Health Card): valid or not, and
// why. It holds only what a verifier needs: the holder's name and date of
// birth and each entry's type, product, dates and doses; no batch number,
// no certificate identifier, nothing else of the payload.
type VerifyResult struct {
	Valid       bool                 `json:"valid"`
	Problem     string               `json:"problem,omitempty"` // one of the Verify* constants; "" when valid
	Step        string               `json:"step,omitempty"`    // the step that failed: prefix, base45, zlib, cose, cbor, schema, numeric, jws, trust, signature, time, revocation
	Reason      string               `json:"reason"`            // precise and safe: never a value of the payload
	Kind        string               `json:"kind,omitempty"`    // "eu-dcc" or "shc", once the prefix is known
	Issuer      string               `json:"issuer,omitempty"`  // EU DCC: the issuing country; SHC: the issuer URL
	KID         string               `json:"kid,omitempty"`     // the signer's key id
	IssuedAt    time.Time            `json:"issuedAt,omitzero"`
	ExpiresAt   time.Time            `json:"expiresAt,omitzero"`
	Certificate *VerifiedCertificate `json:"certificate,omitempty"` // set once the signature holds, never for unauthenticated content
	Warnings    []string             `json:"warnings,omitempty"`
	// TrustRefreshedAt is, for a stale trust list, when the oldest copy
	// in use was fetched.
	TrustRefreshedAt time.Time `json:"trustRefreshedAt,omitzero"`
}

// VerifiedCertificate is what a verifier shows of a certificate whose
// signature holds.
type VerifiedCertificate struct {
	FamilyName    string          `json:"familyName,omitempty"`
	GivenName     string          `json:"givenName,omitempty"`
	FamilyNameStd string          `json:"familyNameStd,omitempty"` // ICAO 9303 transliteration, as on a passport's machine-readable zone
	GivenNameStd  string          `json:"givenNameStd,omitempty"`
	DateOfBirth   string          `json:"dateOfBirth,omitempty"` // YYYY, YYYY-MM or YYYY-MM-DD
	Entries       []VerifiedEntry `json:"entries"`
}

// VerifiedEntry is one vaccination, test or recovery of a
// [VerifiedCertificate]: value-set codes and, where known, display names.
type VerifiedEntry struct {
	Type         string `json:"type"` // "vaccination", "test" or "recovery"
	Target       string `json:"target,omitempty"`
	Vaccine      string `json:"vaccine,omitempty"`
	Product      string `json:"product,omitempty"`
	ProductName  string `json:"productName,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	DoseNumber   int    `json:"doseNumber,omitempty"`
	TotalDoses   int    `json:"totalDoses,omitempty"`
	Date         string `json:"date,omitempty"` // vaccination, sample or first positive result
	TestType     string `json:"testType,omitempty"`
	TestResult   string `json:"testResult,omitempty"`
	ValidFrom    string `json:"validFrom,omitempty"`
	ValidUntil   string `json:"validUntil,omitempty"`
	Country      string `json:"country,omitempty"`
	Issuer       string `json:"issuer,omitempty"`
}

// CertificateVerifier verifies health certificates against the trust
// material it holds. Anyone may call it, signed in or not: verifiers at
// borders and doors need no account.
type CertificateVerifier interface {
	// Verify verifies payload ("HC1:..." or "shc:/...") as of at (if zero,
	// now). A certificate that is not valid is a result with Valid false,
	// not an error, even for a payload that is not a certificate at all;
	// the error is for a fault of the verifier itself (EINTERNAL).
	Verify(ctx context.Context, payload string, at time.Time) (*VerifyResult, error)
}
