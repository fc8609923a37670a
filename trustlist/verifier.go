package trustlist

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
)

// Verifier verifies health certificates against what its Loader loads. It
// implements jaga.CertificateVerifier and is safe for concurrent use.
//
// Until the first Refresh it holds no material, so every certificate's key
// is unknown. When the material a certificate needs is stale — a source
// has no copy, or only one older than the grace period — the answer is
// "the trust list is stale" rather than one drawn from it.
type Verifier struct {
	loader *Loader

	mu      sync.RWMutex // guards the fields below
	loaded  Material     // from the loader's sources
	local   Material     // jaga's own keys and revocations (SetLocal)
	trust   *cert.TrustList
	jwks    *cert.JWKS
	revoked *cert.RevocationList
	status  Status
}

// SetLocal sets the verifier's own material — the document signers and
// revoked certificates of the jaga that runs it — which needs no source
// and is never stale. It is used with the loaded material from now on.
func (v *Verifier) SetLocal(trust *cert.TrustList, revoked *cert.RevocationList) {
	v.mu.Lock()
	v.local = Material{Trust: trust, Revoked: revoked}
	v.merge()
	v.mu.Unlock()
}

// merge joins the loaded and the local material; v.mu is held.
func (v *Verifier) merge() {
	v.trust, v.jwks, v.revoked = cert.NewTrustList(), v.loaded.JWKS, cert.NewRevocationList()
	for _, t := range []*cert.TrustList{v.loaded.Trust, v.local.Trust} {
		if t == nil {
			continue
		}
		for _, k := range t.Keys() {
			_ = v.trust.Add(k) // checked when it was first added
		}
	}
	v.revoked.Merge(v.loaded.Revoked)
	v.revoked.Merge(v.local.Revoked)
}

// NewVerifier returns a verifier of the material l loads.
func NewVerifier(l *Loader) *Verifier {
	return &Verifier{loader: l}
}

// Refresh loads the material again and uses it from now on. The error is
// Load's: the material of the sources that answered is used even then.
func (v *Verifier) Refresh(ctx context.Context) (Status, error) {
	m, st, err := v.loader.LoadAll(ctx)
	v.mu.Lock()
	v.loaded, v.status = m, st
	v.merge()
	v.mu.Unlock()
	return st, err
}

// RetryAfterFailure is how soon Run tries again after a load that failed,
// when its interval is longer.
const RetryAfterFailure = 5 * time.Minute

// Run refreshes the material every interval until ctx ends, sooner after a
// failure, logging each outcome that is not plain success; it does not
// refresh at once (call Refresh first). failed says whether that first
// Refresh failed.
func (v *Verifier) Run(ctx context.Context, every time.Duration, failed bool, logger *slog.Logger) {
	next := func(failed bool) time.Duration {
		if failed {
			return min(every, RetryAfterFailure)
		}
		return every
	}
	t := time.NewTimer(next(failed))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st, err := v.Refresh(ctx)
			if ctx.Err() != nil {
				return
			}
			LogStatus(logger, st, err)
			t.Reset(next(err != nil || st.Stale))
		}
	}
}

// LogStatus logs the outcome of a load: a warning for each source that
// failed, and whether the material is stale.
func LogStatus(logger *slog.Logger, st Status, err error) {
	for _, s := range st.Sources {
		switch {
		case s.FetchedAt.IsZero():
			logger.Error("trust source unavailable", "source", s.Source, "err", s.Error)
		case s.FromCache:
			logger.Warn("trust source failed; using its earlier copy", "source", s.Source, "fetched_at", s.FetchedAt.UTC().Format(time.RFC3339), "err", s.Error)
		case s.Error != "":
			logger.Warn("trust source", "source", s.Source, "err", s.Error)
		}
	}
	switch {
	case st.Stale && err != nil:
		logger.Warn("trust material is incomplete; verifications that need it will say the trust list is stale")
	case st.Stale:
		logger.Warn("trust material is stale; verifications will say so", "age", st.Age.Round(time.Minute).String())
	case err == nil:
		logger.Info("trust material loaded", "sources", len(st.Sources))
	}
}

// Status returns the status of the last Refresh.
func (v *Verifier) Status() Status {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.status
}

// Verify implements jaga.CertificateVerifier.
func (v *Verifier) Verify(ctx context.Context, payload string, at time.Time) (*jaga.VerifyResult, error) {
	v.mu.RLock()
	trust, jwks, revoked, st := v.trust, v.jwks, v.revoked, v.status
	local := v.local.Trust
	v.mu.RUnlock()
	r := cert.Verify(payload, cert.VerifyOptions{Trust: trust, JWKS: jwks, Revoked: revoked, At: at})
	res := Result(r)
	if res.Problem == jaga.VerifyMalformed {
		return res, nil // unreadable, whatever the trust list says
	}
	if kid, err := base64.StdEncoding.DecodeString(r.KID); err == nil && r.Kind == cert.KindEUDCC && local.Has(kid) {
		return res, nil // signed by this jaga's own key, which is never stale
	}
	stale, age, oldest := st.staleness(r.Kind == cert.KindSHC, v.loader.now(), v.loader.grace())
	if !stale {
		return res, nil
	}
	what := "the trust list"
	if r.Kind == cert.KindSHC {
		what = "the issuers' key sets"
	}
	reason := what + " could not be loaded, so no certificate can be checked against it"
	if !oldest.IsZero() {
		reason = fmt.Sprintf("%s is stale (last refreshed %d hours ago)", what, int(age.Hours()))
	}
	return &jaga.VerifyResult{
		Problem: jaga.VerifyTrustStale, Step: cert.StepTrust, Reason: reason,
		Kind: res.Kind, Issuer: res.Issuer, KID: res.KID, IssuedAt: res.IssuedAt, ExpiresAt: res.ExpiresAt,
		TrustRefreshedAt: oldest,
	}, nil
}

// Result returns the verifier's view of r: its problem named, and of the
// certificate only what a verifier needs.
func Result(r cert.Result) *jaga.VerifyResult {
	res := &jaga.VerifyResult{
		Valid: r.Valid, Step: r.Step, Reason: r.Reason, Kind: r.Kind, Issuer: r.Issuer, KID: r.KID,
		IssuedAt: r.IssuedAt, ExpiresAt: r.ExpiresAt, Warnings: r.Warnings,
	}
	if !r.Valid {
		res.Problem = problemOf(r.Step, r.Reason)
	}
	if c := r.Certificate; c != nil {
		vc := &jaga.VerifiedCertificate{
			FamilyName: c.FamilyName, GivenName: c.GivenName, FamilyNameStd: c.FamilyNameStd,
			GivenNameStd: c.GivenNameStd, DateOfBirth: c.DateOfBirth, Entries: []jaga.VerifiedEntry{},
		}
		for _, e := range c.Entries {
			vc.Entries = append(vc.Entries, jaga.VerifiedEntry{
				Type: e.Type, Target: e.Target, Vaccine: e.Vaccine, Product: e.Product, ProductName: e.ProductName,
				Manufacturer: e.Manufacturer, DoseNumber: e.DoseNumber, TotalDoses: e.TotalDoses, Date: e.Date,
				TestType: e.TestType, TestResult: e.TestResult, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil,
				Country: e.Country, Issuer: e.Issuer,
			})
		}
		res.Certificate = vc
	}
	return res
}

// problemOf names the problem of a failed step.
func problemOf(step, reason string) string {
	switch step {
	case cert.StepTrust:
		if strings.HasPrefix(reason, "unknown key") || strings.Contains(reason, "no key id") {
			return jaga.VerifyUnknownKey
		}
		return jaga.VerifyKeyNotValid
	case cert.StepSignature:
		return jaga.VerifyBadSignature
	case cert.StepTime:
		if strings.Contains(reason, "not yet valid") {
			return jaga.VerifyNotYetValid
		}
		return jaga.VerifyExpired
	case cert.StepRevocation:
		return jaga.VerifyRevoked
	}
	return jaga.VerifyMalformed
}
