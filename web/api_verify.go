package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// certificateVerifyRequest is the body of POST /api/v1/verify.
type certificateVerifyRequest struct {
	Payload string `json:"payload"` // "HC1:..." or "shc:/...", as read from the QR code
	At      string `json:"at"`      // RFC 3339; if empty, now
}

// valid returns the time of the check, or the request's problems.
func (q *certificateVerifyRequest) valid() (time.Time, error) {
	problems := map[string]string{}
	if strings.TrimSpace(q.Payload) == "" {
		problems["payload"] = "Payload is required: the certificate's text, such as HC1:... or shc:/...."
	}
	var at time.Time
	if q.At != "" {
		t, err := time.Parse(time.RFC3339, q.At)
		if err != nil {
			problems["at"] = "At must be an RFC 3339 time, such as 2021-06-01T20:00:00+02:00."
		}
		at = t
	}
	if len(problems) > 0 {
		return time.Time{}, jaga.Invalid(problems)
	}
	return at, nil
}

// certificateVerify answers whether a health certificate is valid, and
// why not. Anyone may ask: verifiers at borders and doors have no account.
// A certificate that is not valid is still a 200 answer; 400 is for a
// request that is not one.
func (s *Server) certificateVerify(w http.ResponseWriter, r *http.Request) error {
	var req certificateVerifyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	at, err := req.valid()
	if err != nil {
		return err
	}
	res, err := s.verifyCertificate(r, req.Payload, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// verifyCertificate verifies payload as of at with the configured
// verifier.
func (s *Server) verifyCertificate(r *http.Request, payload string, at time.Time) (*jaga.VerifyResult, error) {
	if s.svc.Verifier == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificate verification is not available.")
	}
	return s.svc.Verifier.Verify(r.Context(), payload, at)
}
