package web

// The certificates page: the citizen's and their dependants' vaccination
// certificates with their QR codes and printable PDFs, and a refresh that
// re-reads a person's doses from the registry.

import (
	"net/http"
	"net/url"

	"github.com/jaga-health/jaga"
)

// certificatesPage is /me/certificates: one card per person.
type certificatesPage struct {
	Done    string // what the last refresh found, in words
	Problem string // why the last refresh failed, in words
	People  []certificateCard
}

// certificateCard is one person and their current certificate, if any.
type certificateCard struct {
	PersonID string
	Name     string
	Self     bool
	Cert     *jaga.Certificate // nil before their first dose
	Valid    bool
	Status   string // translated
	Dose     string // the certified dose in words
	Issued   string
	Expires  string
	QRURL    string
	PDFms    string
	PDFen    string
}

// loadCertificatesPage reads the citizen, their dependants, their
// certificates and doses.
func (s *Server) loadCertificatesPage(r *http.Request, v *view, a *jaga.Actor) (*certificatesPage, error) {
	if s.svc.Certificates == nil || s.svc.Doses == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Certificates are not available on this server.")
	}
	ctx := r.Context()
	me, err := s.svc.People.Person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	deps, err := s.svc.People.Dependants(ctx)
	if err != nil {
		return nil, err
	}
	certs, err := s.svc.Certificates.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	doses, err := s.svc.Doses.Doses(ctx)
	if err != nil {
		return nil, err
	}
	byPerson := map[string]*jaga.Certificate{}
	for _, c := range certs {
		byPerson[c.PersonID] = c
	}
	byID := map[string]*jaga.Dose{}
	for _, d := range doses {
		byID[d.ID] = d
	}
	d := &certificatesPage{}
	for i, p := range append([]*jaga.Person{me}, deps...) {
		card := certificateCard{PersonID: p.ID, Name: p.FullName, Self: i == 0}
		if card.Name == "" {
			card.Name = s.i18n.T(v.Lang, "me.dependant_unnamed")
		}
		if c := byPerson[p.ID]; c != nil {
			base := "/api/v1/me/certificates/" + url.PathEscape(c.ID)
			card.Cert, card.Valid = c, c.Status == jaga.CertificateValid
			card.Status = s.i18n.word(v.Lang, "certs.status_", c.Status)
			card.Issued, card.Expires = s.i18n.Date(v.Lang, c.IssuedAt), s.i18n.Date(v.Lang, c.ExpiresAt)
			card.QRURL, card.PDFms, card.PDFen = base+"/qr.png", base+"/certificate.pdf?lang=ms", base+"/certificate.pdf?lang=en"
			if dose := byID[c.DoseID]; dose != nil {
				card.Dose = s.doseSummary(v.Lang, dose)
			}
		}
		d.People = append(d.People, card)
	}
	return d, nil
}

// doseSummary says a dose in words: which of the series, the product and
// the date.
func (s *Server) doseSummary(lang string, d *jaga.Dose) string {
	product := d.ProductName
	if product == "" {
		product = d.Product
	}
	id := "certs.dose"
	if d.Booster || d.DoseNumber > d.TotalDoses {
		id = "certs.dose_booster"
	}
	return s.i18n.T(lang, id, "N", d.DoseNumber, "Total", d.TotalDoses, "Product", product, "Date", d.GivenOn)
}

// certificatesShow is /me/certificates.
func (s *Server) certificatesShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	d, err := s.loadCertificatesPage(r, v, a)
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && s.i18n.has(v.Lang, "certs.done_"+done) {
		d.Done = s.i18n.T(v.Lang, "certs.done_"+done)
	}
	return s.render(w, r, v, http.StatusOK, "certificates", d)
}

// certificateRefreshSubmit refreshes one person's certificate from the
// registry and goes back to /me/certificates saying what it found.
func (s *Server) certificateRefreshSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	if s.svc.Certificates == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Certificates are not available on this server.")
	}
	res, err := s.svc.Certificates.Refresh(r.Context(), r.PostFormValue("personId"))
	if err != nil {
		if !formError(err) {
			return err
		}
		d, lerr := s.loadCertificatesPage(r, v, a)
		if lerr != nil {
			return lerr
		}
		d.Problem = s.i18n.T(v.Lang, "certs.err_refresh")
		v.setPath("/me/certificates")
		return s.render(w, r, v, failStatus(err), "certificates", d)
	}
	done := "unchanged"
	switch {
	case res.Changed:
		done = "issued"
	case res.Doses == 0:
		done = "no_doses"
	}
	redirect(w, r, "/me/certificates?done="+done)
	return nil
}
