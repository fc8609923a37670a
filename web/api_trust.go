package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

// trustListShow publishes jaga's signed trust list: the document signers
// whose certificates verifiers should accept. Public, cacheable briefly.
func (s *Server) trustListShow(w http.ResponseWriter, r *http.Request) error {
	return s.publish(w, r, "application/json", func() ([]byte, error) { return s.svc.Trust.SignedTrustList(r.Context()) })
}

// revocationListShow publishes jaga's signed revocation list: hashes of
// the identifiers of revoked certificates.
func (s *Server) revocationListShow(w http.ResponseWriter, r *http.Request) error {
	return s.publish(w, r, "application/json", func() ([]byte, error) { return s.svc.Trust.SignedRevocationList(r.Context()) })
}

// trustKeyShow publishes the public key that signs both lists, as PEM.
func (s *Server) trustKeyShow(w http.ResponseWriter, r *http.Request) error {
	return s.publish(w, r, "application/x-pem-file", func() ([]byte, error) { return s.svc.Trust.TrustListKeyPEM(r.Context()) })
}

// publish writes what get returns as a public document that verifiers may
// cache for a minute.
func (s *Server) publish(w http.ResponseWriter, r *http.Request, contentType string, get func() ([]byte, error)) error {
	if s.svc.Trust == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "This server publishes no trust material.")
	}
	b, err := get()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
	return nil
}
