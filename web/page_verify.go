package web

// The public verification page: anyone pastes the text of a health
// certificate's QR code and reads whether it is valid, and why not, in
// Malay or English — with, for a valid one, only what is needed to see
// that it belongs to the person showing it.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// verifyCertPage is the verification form and, after a submission, its
// answer.
type verifyCertPage struct {
	Form   *form
	Result *verifyCertResult // nil until a certificate is submitted
}

// verifyCertResult is a verification result in the page's words.
type verifyCertResult struct {
	Valid   bool
	Problem string // why not valid
	Step    string // the step that failed
	Kind    string
	Issuer  string
	// For a valid certificate only: what a verifier compares with the
	// person's identity document, and the entries.
	Name, NameStd, DateOfBirth string
	Entries                    []string
	Expires                    string
}

// verifyCertShow is the empty verification form.
func (s *Server) verifyCertShow(w http.ResponseWriter, r *http.Request, v *view) error {
	f := newForm("verifycert")
	f.order = []string{"payload"}
	return s.render(w, r, v, http.StatusOK, "verify_cert", &verifyCertPage{Form: f})
}

// verifyCertSubmit verifies the submitted certificate and shows the
// answer, with the form again for the next one.
func (s *Server) verifyCertSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	v.setPath("/verify")
	f := formFrom("verifycert", r, "payload")
	payload := f.Values["payload"]
	if strings.TrimSpace(payload) == "" {
		f.Errors = map[string]string{"payload": s.i18n.T(v.Lang, "verifycert.err_payload_required")}
		f.Message = f.Errors["payload"]
		return s.render(w, r, v, http.StatusBadRequest, "verify_cert", &verifyCertPage{Form: f})
	}
	res, err := s.verifyCertificate(r, payload, time.Time{})
	if err != nil {
		return err
	}
	// The next certificate starts from an empty field: the page does not
	// keep a person's certificate on screen for the next in line.
	f.Values["payload"] = ""
	return s.render(w, r, v, http.StatusOK, "verify_cert", &verifyCertPage{Form: f, Result: s.verifyCertResult(v.Lang, res)})
}

// verifyCertResult words res in lang.
func (s *Server) verifyCertResult(lang string, res *jaga.VerifyResult) *verifyCertResult {
	out := &verifyCertResult{Valid: res.Valid, Issuer: res.Issuer}
	switch res.Kind {
	case "eu-dcc":
		out.Kind = s.i18n.T(lang, "verifycert.kind_eudcc")
	case "shc":
		out.Kind = s.i18n.T(lang, "verifycert.kind_shc")
	}
	if !res.Valid {
		out.Problem = s.verifyCertProblem(lang, res)
		out.Step = s.verifyCertStep(lang, res.Step)
		return out
	}
	if c := res.Certificate; c != nil {
		out.Name = c.GivenName + " " + c.FamilyName
		if c.GivenName == "" || c.FamilyName == "" {
			out.Name = c.GivenName + c.FamilyName
		}
		if c.FamilyNameStd != "" {
			out.NameStd = c.FamilyNameStd + "<<" + c.GivenNameStd
		}
		out.DateOfBirth = c.DateOfBirth
		for _, e := range c.Entries {
			out.Entries = append(out.Entries, s.verifyCertEntry(lang, e))
		}
	}
	if !res.ExpiresAt.IsZero() {
		out.Expires = s.i18n.Date(lang, res.ExpiresAt)
	}
	return out
}

// verifyCertProblem says why a certificate is not valid.
func (s *Server) verifyCertProblem(lang string, res *jaga.VerifyResult) string {
	switch res.Problem {
	case jaga.VerifyMalformed:
		return s.i18n.T(lang, "verifycert.problem_malformed")
	case jaga.VerifyUnknownKey:
		return s.i18n.T(lang, "verifycert.problem_unknown_key")
	case jaga.VerifyKeyNotValid:
		return s.i18n.T(lang, "verifycert.problem_key_not_valid")
	case jaga.VerifyBadSignature:
		return s.i18n.T(lang, "verifycert.problem_bad_signature")
	case jaga.VerifyNotYetValid:
		if !res.IssuedAt.IsZero() {
			return s.i18n.T(lang, "verifycert.problem_not_yet_valid_at", "Date", s.i18n.DateTime(lang, res.IssuedAt))
		}
		return s.i18n.T(lang, "verifycert.problem_not_yet_valid")
	case jaga.VerifyExpired:
		if !res.ExpiresAt.IsZero() {
			return s.i18n.T(lang, "verifycert.problem_expired_at", "Date", s.i18n.DateTime(lang, res.ExpiresAt))
		}
		return s.i18n.T(lang, "verifycert.problem_expired")
	case jaga.VerifyRevoked:
		return s.i18n.T(lang, "verifycert.problem_revoked")
	case jaga.VerifyTrustStale:
		if !res.TrustRefreshedAt.IsZero() {
			return s.i18n.T(lang, "verifycert.problem_trust_stale", "When", s.i18n.DateTime(lang, res.TrustRefreshedAt))
		}
		return s.i18n.T(lang, "verifycert.problem_trust_missing")
	}
	return s.i18n.T(lang, "verifycert.problem_other")
}

// verifyCertStep names a step of verification.
func (s *Server) verifyCertStep(lang, step string) string {
	switch step {
	case "prefix":
		return s.i18n.T(lang, "verifycert.step_prefix")
	case "base45":
		return s.i18n.T(lang, "verifycert.step_base45")
	case "zlib":
		return s.i18n.T(lang, "verifycert.step_zlib")
	case "cose":
		return s.i18n.T(lang, "verifycert.step_cose")
	case "cbor":
		return s.i18n.T(lang, "verifycert.step_cbor")
	case "schema":
		return s.i18n.T(lang, "verifycert.step_schema")
	case "numeric":
		return s.i18n.T(lang, "verifycert.step_numeric")
	case "jws":
		return s.i18n.T(lang, "verifycert.step_jws")
	case "trust":
		return s.i18n.T(lang, "verifycert.step_trust")
	case "signature":
		return s.i18n.T(lang, "verifycert.step_signature")
	case "time":
		return s.i18n.T(lang, "verifycert.step_time")
	case "revocation":
		return s.i18n.T(lang, "verifycert.step_revocation")
	}
	return step
}

// verifyCertEntry says one entry in a line: its type, dates and doses.
func (s *Server) verifyCertEntry(lang string, e jaga.VerifiedEntry) string {
	product := e.ProductName
	if product == "" {
		product = e.Product
	}
	if product == "" {
		product = e.Vaccine
	}
	switch e.Type {
	case "vaccination":
		if e.DoseNumber > 0 {
			return s.i18n.T(lang, "verifycert.entry_vaccination", "N", strconv.Itoa(e.DoseNumber),
				"Total", strconv.Itoa(e.TotalDoses), "Date", e.Date, "Product", product)
		}
		return s.i18n.T(lang, "verifycert.entry_vaccination_nodose", "Date", e.Date, "Product", product)
	case "test":
		testType := e.TestType
		switch e.TestType {
		case "LP6464-4":
			testType = s.i18n.T(lang, "verifycert.testtype_naat")
		case "LP217198-3":
			testType = s.i18n.T(lang, "verifycert.testtype_rat")
		}
		result := e.TestResult
		switch e.TestResult {
		case "260415000":
			result = s.i18n.T(lang, "verifycert.testresult_not_detected")
		case "260373001":
			result = s.i18n.T(lang, "verifycert.testresult_detected")
		}
		return s.i18n.T(lang, "verifycert.entry_test", "Type", testType, "Date", e.Date, "Result", result)
	case "recovery":
		return s.i18n.T(lang, "verifycert.entry_recovery", "Date", e.Date, "From", e.ValidFrom, "Until", e.ValidUntil)
	}
	return e.Type + ": " + e.Date
}
