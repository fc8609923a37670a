package web

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"github.com/jaga-health/jaga"
)

// certificateList lists the signed-in citizen's and their dependants'
// current certificates, the caller's first.
func (s *Server) certificateList(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCertificates(r); err != nil {
		return err
	}
	cs, err := s.svc.Certificates.Certificates(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Certificate]{Items: cs})
	return nil
}

// certificateShow answers one certificate of the citizen or a dependant,
// whatever its status; anyone else's is not found.
func (s *Server) certificateShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCertificates(r); err != nil {
		return err
	}
	c, err := s.svc.Certificates.Certificate(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// certificateQR answers a certificate's QR code as a PNG.
func (s *Server) certificateQR(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCertificates(r); err != nil {
		return err
	}
	c, err := s.svc.Certificates.Certificate(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.svc.QRCode == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "QR codes are not available on this server.")
	}
	body, err := s.svc.QRCode(c.Payload)
	if err != nil {
		return err
	}
	writeFile(w, r, "image/png", "", body)
	return nil
}

// certificatePDF answers a certificate as a printable PDF, in ?lang= or
// else the holder's language. A revoked certificate is not printed.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCertificates(r); err != nil {
		return err
	}
	lang := r.URL.Query().Get("lang")
	if lang != "" && !jaga.SupportedLanguage(lang) {
		return jaga.Invalid(map[string]string{"lang": "lang must be ms or en."})
	}
	ctx := r.Context()
	c, err := s.svc.Certificates.Certificate(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.Status == jaga.CertificateRevoked {
		return jaga.Errorf(jaga.ECONFLICT, "This certificate is revoked; print the current one.")
	}
	if s.svc.CertificatePDF == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Printable certificates are not available on this server.")
	}
	doc, err := s.certificateDocument(ctx, c, lang)
	if err != nil {
		return err
	}
	body, err := s.svc.CertificatePDF(*doc)
	if err != nil {
		return err
	}
	writeFile(w, r, "application/pdf", "jaga-vaccination-certificate-"+doc.Language+".pdf", body)
	return nil
}

// certificateDocument gathers what the printed certificate c shows: its
// holder and their doses up to the one it certifies. lang "" means the
// holder's language.
func (s *Server) certificateDocument(ctx context.Context, c *jaga.Certificate, lang string) (*CertificateDocument, error) {
	p, err := s.svc.People.Person(ctx, c.PersonID)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = p.Language
		if !jaga.SupportedLanguage(lang) {
			lang = jaga.DefaultLanguage
		}
	}
	all, err := s.svc.Doses.Doses(ctx)
	if err != nil {
		return nil, err
	}
	doses := certifiedDoses(all, c)
	return &CertificateDocument{Certificate: c, FullName: p.FullName, DateOfBirth: p.DateOfBirth, Doses: doses, Language: lang}, nil
}

// certifiedDoses returns the doses of c's holder, by date, up to the dose c
// certifies: a superseded certificate does not list the doses after it.
func certifiedDoses(all []*jaga.Dose, c *jaga.Certificate) []*jaga.Dose {
	var mine []*jaga.Dose
	var certified *jaga.Dose
	for _, d := range all {
		if d.PersonID == c.PersonID {
			mine = append(mine, d)
			if d.ID == c.DoseID {
				certified = d
			}
		}
	}
	before := func(a, b *jaga.Dose) bool {
		return a.GivenOn < b.GivenOn || (a.GivenOn == b.GivenOn && a.DoseNumber < b.DoseNumber)
	}
	out := make([]*jaga.Dose, 0, len(mine))
	for _, d := range mine {
		if certified == nil || !before(certified, d) {
			out = append(out, d)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && before(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// certificateRefreshRequest is the body of POST
// /api/v1/me/certificates/refresh; an empty body refreshes the caller.
type certificateRefreshRequest struct {
	PersonID string `json:"personId"`
}

// certificateRefresh re-reads the doses of the citizen or a dependant
// from the registry and issues a certificate if anything changed.
func (s *Server) certificateRefresh(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCertificates(r); err != nil {
		return err
	}
	var req certificateRefreshRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	res, err := s.svc.Certificates.Refresh(r.Context(), req.PersonID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// requireCertificates checks that the caller is a citizen and that the
// server has the certificate service.
func (s *Server) requireCertificates(r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	if s.svc.Certificates == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Certificates are not available on this server.")
	}
	return nil
}

// writeFile answers a file that holds personal data: no cache keeps it. A
// file name makes it a download.
func writeFile(w http.ResponseWriter, r *http.Request, contentType, filename string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	if filename != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
