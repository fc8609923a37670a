package jaga

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Certificate is a vaccination certificate jaga issued: an EU Digital
// COVID Certificate for a person's latest dose. Each new dose, correction
// or key rotation issues a new one with a new identifier; the one before
// is then superseded (still a true record of its dose) or, after a
// correction, revoked.
type Certificate struct {
	ID           string     `json:"id"` // the unique certificate identifier (UVCI)
	PersonID     string     `json:"personId"`
	PersonName   string     `json:"personName,omitempty"` // the citizen's own view: whose certificate, for a guardian
	DoseID       string     `json:"doseId"`
	Payload      string     `json:"payload"` // "HC1:...", the text of the QR code
	KID          string     `json:"kid"`     // the document signer's key id, base64
	Country      string     `json:"country"` // the issuing country
	Status       string     `json:"status"`  // one of the Certificate* statuses
	IssuedAt     time.Time  `json:"issuedAt"`
	ExpiresAt    time.Time  `json:"expiresAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
	RevokeReason string     `json:"revokeReason,omitempty"` // a CertificateReason code
	Replaces     string     `json:"replaces,omitempty"`     // the identifier of the certificate it replaced
	IssueReason  string     `json:"issueReason"`            // a CertificateReason code
	ContentHash  string     `json:"-"`                      // CertificateContent.Hash of what it says
}

// Certificate statuses.
const (
	CertificateValid      = "valid"      // the person's current certificate
	CertificateSuperseded = "superseded" // a newer certificate replaced it; it still verifies
	CertificateRevoked    = "revoked"    // withdrawn: on the revocation list
)

// Why a certificate was issued or revoked.
const (
	ReasonNewDose     = "new_dose"     // a dose was recorded
	ReasonRefresh     = "refresh"      // the person asked to re-read the registry and something had changed
	ReasonCorrection  = "correction"   // an officer's correction, approved by a second officer
	ReasonKeyRotation = "key_rotation" // re-issued under a new document-signer key
)

// CertificateValidity is how long a vaccination certificate jaga issues is
// valid: one year, as the EU DCC regulation's acceptance period for a
// primary series.
const CertificateValidity = 365 * 24 * time.Hour

// CertificateContent is what a certificate says: the holder as the
// registry knows them and the dose it certifies.
type CertificateContent struct {
	FullName    string
	DateOfBirth string // YYYY-MM-DD
	Dose        Dose
}

// Hash returns a digest of the content: two contents with equal hashes
// make the same certificate but for its identifier and times.
func (c *CertificateContent) Hash() string {
	d := &c.Dose
	fields := []string{c.FullName, c.DateOfBirth, d.ID, d.Product, d.Manufacturer, d.Batch,
		strconv.Itoa(d.DoseNumber), strconv.Itoa(d.TotalDoses), strconv.FormatBool(d.Booster), d.GivenOn, d.Country}
	sum := sha256.Sum256([]byte(strings.Join(fields, "\x00")))
	return hex.EncodeToString(sum[:])
}

// LatestDose returns the dose a certificate should certify: the latest by
// date, then by dose number; nil if there is none.
func LatestDose(doses []*Dose) *Dose {
	var latest *Dose
	for _, d := range doses {
		if latest == nil || d.GivenOn > latest.GivenOn || (d.GivenOn == latest.GivenOn && d.DoseNumber > latest.DoseNumber) {
			latest = d
		}
	}
	return latest
}

// SignedCertificate is a certificate a CertificateSigner made.
type SignedCertificate struct {
	ID        string // the UVCI
	Payload   string // "HC1:..."
	KID       string // base64 of the signer's key id
	Country   string
	ExpiresAt time.Time
}

// CertificateSigner signs certificates with the active document-signer
// key. Implementations are safe for concurrent use.
type CertificateSigner interface {
	// Sign issues a certificate of content at iat. Errors: EINVALID for
	// content the certificate format cannot carry; EUNAVAILABLE when no
	// signing key is loaded.
	Sign(content *CertificateContent, iat time.Time) (*SignedCertificate, error)
}

// RefreshResult is what a refresh of a person's certificate found.
type RefreshResult struct {
	Changed     bool         `json:"changed"` // a new certificate was issued
	Doses       int          `json:"doses"`   // doses the registry holds for the person
	Certificate *Certificate `json:"certificate,omitempty"`
}

// CertificateService gives citizens their certificates. Only the person
// and their guardian reach a person's certificates through it.
type CertificateService interface {
	// Certificates lists the calling citizen's and their dependants'
	// current certificates, the caller's first. Errors: EUNAUTHORIZED.
	Certificates(ctx context.Context) ([]*Certificate, error)

	// Certificate returns one certificate of the caller or a dependant,
	// any status. Errors: EUNAUTHORIZED; ENOTFOUND also for someone
	// else's.
	Certificate(ctx context.Context, id string) (*Certificate, error)

	// Refresh re-reads the doses of the caller or of a dependant (personID)
	// from the registry and issues a certificate if what it would say has
	// changed. Errors: EUNAUTHORIZED, ENOTFOUND (not the caller's).
	Refresh(ctx context.Context, personID string) (*RefreshResult, error)
}

// Correction is an officer's change to a person's record that a second
// officer approves before it applies: a name spelling, a date of birth, or
// a dose's details. Approval revokes the person's certificate, issues a
// new one and tells the person.
type Correction struct {
	ID         string     `json:"id"`
	PersonID   string     `json:"personId"`
	Field      string     `json:"field"`            // one of the Correct* fields
	DoseID     string     `json:"doseId,omitempty"` // for a dose field
	OldValue   string     `json:"oldValue"`
	NewValue   string     `json:"newValue"`
	Reason     string     `json:"reason"`    // why, as the requesting officer typed it
	Reference  string     `json:"reference"` // the case or ticket it belongs to
	Status     string     `json:"status"`    // pending, approved or rejected
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	DecidedBy  string     `json:"decidedBy,omitempty"`
	DecidedAt  *time.Time `json:"decidedAt,omitempty"`
	CertID     string     `json:"certificateId,omitempty"` // the certificate issued on approval
	RevokedIDs []string   `json:"revokedCertificateIds,omitempty"`
}

// Correction fields.
const (
	CorrectFullName     = "full_name"
	CorrectDateOfBirth  = "date_of_birth"
	CorrectDoseBatch    = "dose_batch"
	CorrectDoseGivenOn  = "dose_given_on"
	CorrectDoseProduct  = "dose_product"
	CorrectDoseNumber   = "dose_number"
	CorrectDoseTotal    = "dose_total"
	CorrectDoseCountry  = "dose_country"
	CorrectDoseBooster  = "dose_booster"
	CorrectDoseMfr      = "dose_manufacturer"
	CorrectionPending   = "pending"
	CorrectionApproved  = "approved"
	CorrectionRejected  = "rejected"
	MinCorrectionReason = 10 // characters of a correction's reason
)

// CorrectionFields are the fields an officer may correct.
var CorrectionFields = []string{CorrectFullName, CorrectDateOfBirth, CorrectDoseBatch, CorrectDoseGivenOn,
	CorrectDoseProduct, CorrectDoseMfr, CorrectDoseNumber, CorrectDoseTotal, CorrectDoseBooster, CorrectDoseCountry}

// IsDoseField reports whether field names a dose's detail.
func IsDoseField(field string) bool { return strings.HasPrefix(field, "dose_") }

// CorrectionRequest asks for a correction.
type CorrectionRequest struct {
	PersonID  string `json:"personId"`
	Field     string `json:"field"`
	DoseID    string `json:"doseId,omitempty"`
	NewValue  string `json:"newValue"`
	Reason    string `json:"reason"`
	Reference string `json:"reference"`
}

// Normalize trims the request's fields.
func (r *CorrectionRequest) Normalize() {
	r.PersonID = strings.TrimSpace(r.PersonID)
	r.Field = strings.ToLower(strings.TrimSpace(r.Field))
	r.DoseID = strings.TrimSpace(r.DoseID)
	r.NewValue = strings.Join(strings.Fields(r.NewValue), " ")
	r.Reason = strings.TrimSpace(r.Reason)
	r.Reference = strings.TrimSpace(r.Reference)
}

// Valid returns the request's problems by field; the new value is checked
// against its field's rules when the correction applies.
func (r *CorrectionRequest) Valid() map[string]string {
	p := map[string]string{}
	if r.PersonID == "" {
		p["personId"] = "is required"
	}
	known := false
	for _, f := range CorrectionFields {
		known = known || f == r.Field
	}
	switch {
	case !known:
		p["field"] = "must be one of " + strings.Join(CorrectionFields, ", ")
	case IsDoseField(r.Field) && r.DoseID == "":
		p["doseId"] = "is required to correct a dose"
	case !IsDoseField(r.Field) && r.DoseID != "":
		p["doseId"] = "is only for a dose's fields"
	}
	if r.NewValue == "" {
		p["newValue"] = "is required"
	} else if len(r.NewValue) > 200 || !printable(r.NewValue) {
		p["newValue"] = "must be at most 200 printable characters"
	}
	if len([]rune(r.Reason)) < MinCorrectionReason {
		p["reason"] = "must say why, in at least 10 characters"
	} else if len(r.Reason) > 500 {
		p["reason"] = "must be at most 500 characters"
	}
	if r.Reference == "" {
		p["reference"] = "is required: the case or ticket the correction belongs to"
	} else if len(r.Reference) > 100 {
		p["reference"] = "must be at most 100 characters"
	}
	return p
}

// CorrectionService is for health officers: one asks for a correction,
// another approves or rejects it. Both act through the gate (purpose
// RECORD_CORRECTION, the reference as the case) and the access log.
type CorrectionService interface {
	// RequestCorrection records a pending correction. Errors:
	// EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND (no such dose of
	// the person).
	RequestCorrection(ctx context.Context, r CorrectionRequest) (*Correction, error)

	// DecideCorrection approves or rejects a pending correction. The
	// officer who asked may not decide. Approval applies the change,
	// revokes the person's certificates that said the old value, issues
	// a new certificate and queues a message to the person. Errors:
	// EUNAUTHORIZED, EFORBIDDEN (also: the requester deciding), ENOTFOUND,
	// ECONFLICT (already decided), EINVALID (the new value breaks its
	// field's rules).
	DecideCorrection(ctx context.Context, id string, approve bool) (*Correction, error)

	// Corrections lists corrections by status (all if empty), newest
	// first, without their values. Errors: EUNAUTHORIZED, EFORBIDDEN
	// (only the ministry's health officers).
	Corrections(ctx context.Context, status string) ([]*Correction, error)

	// Correction returns one correction with its old and new values,
	// through the gate. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
	Correction(ctx context.Context, id string) (*Correction, error)
}

// SigningKey is a key jaga signs with, as stored: the private key sealed
// under the master key, never in the clear.
type SigningKey struct {
	KID         string     `json:"kid"`  // base64 of the EU DCC key id
	Kind        string     `json:"kind"` // SigningKeyCSCA or SigningKeyDSC
	Country     string     `json:"country"`
	Certificate []byte     `json:"-"` // DER
	SealedKey   []byte     `json:"-"` // the private key, encrypted
	Status      string     `json:"status"`
	NotBefore   time.Time  `json:"notBefore"`
	NotAfter    time.Time  `json:"notAfter"`
	CreatedAt   time.Time  `json:"createdAt"`
	RetiredAt   *time.Time `json:"retiredAt,omitempty"`
}

// Signing key kinds and statuses.
const (
	SigningKeyCSCA    = "csca" // the country signing CA: signs document signers, the trust list and the revocation list
	SigningKeyDSC     = "dsc"  // a document signer: signs certificates
	SigningKeyActive  = "active"
	SigningKeyRetired = "retired" // signs nothing new; still on the trust list until it expires
)

// SigningKeyStore keeps signing keys. Only jaga's own key management
// calls it; no one reaches it through the API.
type SigningKeyStore interface {
	// SigningKeys returns every stored key, oldest first.
	SigningKeys(ctx context.Context) ([]*SigningKey, error)

	// AddSigningKey stores k as its kind's active key and retires the
	// kind's key that was active, in one transaction.
	AddSigningKey(ctx context.Context, k *SigningKey) error
}

// RevokedCertificate is one entry of the revocation list jaga publishes.
type RevokedCertificate struct {
	ID        string    // the UVCI
	Country   string    // the issuing country
	ExpiresAt time.Time // the list may drop it after this
}
