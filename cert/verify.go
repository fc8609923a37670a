package cert

import (
	"errors"
	"strings"
	"time"
)

// Kinds of certificate, as named in [Result].Kind.
const (
	KindEUDCC = "eu-dcc"
	KindSHC   = "shc"
)

// DefaultClockSkew is how far the verifier's clock may be behind an
// issuer's: a certificate issued up to this long after the time of the
// check is not "not yet valid".
const DefaultClockSkew = 5 * time.Minute

// VerifyOptions are what a verification checks a certificate against.
type VerifyOptions struct {
	Trust     *TrustList      // EU DCC document signers; if nil, every EU DCC fails at "trust"
	Revoked   *RevocationList // if nil, nothing is revoked
	JWKS      *JWKS           // SMART Health Card issuers' keys; if nil, every SHC fails at "trust"
	At        time.Time       // the time of the check; if zero, time.Now()
	ClockSkew time.Duration   // allowance for issuers' clocks; if zero, DefaultClockSkew; negative for none
}

// Result is the outcome of verifying a certificate. When Valid is false,
// Step names the step that failed and Reason says why, safely and
// precisely. Certificate is set once the signature is verified (so also for
// an expired or revoked certificate), never for unauthenticated content.
type Result struct {
	Valid       bool         `json:"valid"`
	Step        string       `json:"step,omitempty"` // one of the Step* constants; "" when valid
	Reason      string       `json:"reason"`
	Kind        string       `json:"kind,omitempty"`   // KindEUDCC or KindSHC, once the prefix is known
	Issuer      string       `json:"issuer,omitempty"` // EU DCC: the issuing country (CWT iss); SHC: the issuer URL
	KID         string       `json:"kid,omitempty"`    // the signer's key id: base64 for an EU DCC, as in the JWS for an SHC
	IssuedAt    time.Time    `json:"issuedAt,omitzero"`
	ExpiresAt   time.Time    `json:"expiresAt,omitzero"`
	Certificate *Certificate `json:"certificate,omitempty"`
	Warnings    []string     `json:"warnings,omitempty"`
}

// fail returns r marked invalid with err's step and reason.
func (r Result) fail(err error) Result {
	r.Valid = false
	var se *StepError
	if errors.As(err, &se) {
		r.Step, r.Reason = se.Step, se.Reason
	} else {
		r.Step, r.Reason = StepCOSE, "the certificate cannot be read"
	}
	return r
}

// Verify verifies payload, an EU DCC ("HC1:...") or a SMART Health Card
// ("shc:/..."), against opts. It never panics on any input and returns the
// first failing step, or Valid true.
func Verify(payload string, opts VerifyOptions) Result {
	if opts.At.IsZero() {
		opts.At = time.Now()
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = DefaultClockSkew
	} else if opts.ClockSkew < 0 {
		opts.ClockSkew = 0
	}
	payload = strings.TrimSpace(payload)
	switch {
	case strings.HasPrefix(payload, PrefixSHC):
		return verifySHC(payload, opts)
	case strings.HasPrefix(payload, PrefixHC1):
		return verifyHC1(payload, opts)
	case strings.HasPrefix(strings.ToLower(payload), PrefixSHC):
		return Result{Kind: KindSHC}.fail(stepErr(StepPrefix, "SMART Health Card prefix must be lower case %q", PrefixSHC))
	}
	_, err := unprefixHC1(payload) // the precise reason for an EU DCC
	return Result{}.fail(err)
}

// verifyHC1 verifies an EU DCC.
func verifyHC1(payload string, opts VerifyOptions) Result {
	r := Result{Kind: KindEUDCC}
	h, err := DecodeHC1(payload, opts.At)
	if err != nil {
		return r.fail(err)
	}
	return h.verify(opts)
}

// Verify checks h against opts: trust, signature, time and revocation.
func (h *HC1) Verify(opts VerifyOptions) Result {
	if opts.At.IsZero() {
		opts.At = time.Now()
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = DefaultClockSkew
	} else if opts.ClockSkew < 0 {
		opts.ClockSkew = 0
	}
	return h.verify(opts)
}

func (h *HC1) verify(opts VerifyOptions) Result {
	r := Result{
		Kind:      KindEUDCC,
		Issuer:    h.Issuer,
		KID:       kidString(h.KID),
		IssuedAt:  h.IssuedAt,
		ExpiresAt: h.ExpiresAt,
		Warnings:  h.Warnings,
	}
	if err := h.checkSignature(opts.Trust, opts.At); err != nil {
		return r.fail(err)
	}
	r.Certificate = certificateOf(&h.DCC)
	if err := checkTimes(h.IssuedAt, h.ExpiresAt, opts.At, opts.ClockSkew); err != nil {
		return r.fail(err)
	}
	country := h.Issuer
	if country == "" {
		country = h.DCC.Country()
	}
	if by := opts.Revoked.revokedBy(country, h.DCC.CertificateID(), h.Alg, h.sign1.signature); by != "" {
		return r.fail(stepErr(StepRevocation, "the certificate is revoked (its %s hash is on the revocation list)", by))
	}
	r.Valid, r.Reason = true, "valid"
	return r
}

// checkSignature finds the signer's key in trust and checks the signature
// and the key's validity and usage at time at.
func (h *HC1) checkSignature(trust *TrustList, at time.Time) error {
	if len(h.KID) == 0 {
		return stepErr(StepTrust, "the certificate names no key id (kid)")
	}
	keys := trust.lookup(h.KID)
	if len(keys) == 0 {
		return stepErr(StepTrust, "unknown key: no trusted document signer has key id %s", kidString(h.KID))
	}
	digest := sigDigest(h.sign1.protected, h.sign1.payload)
	var sigErr, validityErr, usageErr error
	for _, k := range keys {
		if err := verifySignature(h.Alg, k.PublicKey, digest[:], h.sign1.signature); err != nil {
			if sigErr == nil {
				sigErr = err
			}
			continue
		}
		if !k.validAt(at) {
			validityErr = stepErr(StepTrust, "the document signer's key %s is not valid at the time of the check (valid %s)", kidString(h.KID), describeKeyValidity(k))
			continue
		}
		if typ := h.DCC.Type(); !keyUsageAllows(k.Certificate, typ) {
			usageErr = stepErr(StepTrust, "the document signer's key %s may not sign %s certificates", kidString(h.KID), typ)
			continue
		}
		return nil
	}
	for _, err := range []error{validityErr, usageErr, sigErr} {
		if err != nil {
			return err
		}
	}
	return stepErr(StepSignature, "the signature does not match the signed content")
}

// checkTimes checks the validity period: not before iat (less skew), not
// after exp.
func checkTimes(iat, exp, at time.Time, skew time.Duration) error {
	if !iat.IsZero() && at.Add(skew).Before(iat) {
		return stepErr(StepTime, "the certificate is not yet valid: issued at %s, after the time of the check", iat.UTC().Format(time.RFC3339))
	}
	if !exp.IsZero() && at.After(exp) {
		return stepErr(StepTime, "the certificate expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return nil
}
