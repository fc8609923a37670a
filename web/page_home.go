package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

// homeShow is the home page: what jaga is and where to start.
func (s *Server) homeShow(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.render(w, r, v, http.StatusOK, "home", nil)
}

// organisationRow is one contract on the public list, in the page's words.
type organisationRow struct {
	Organisation, Kind, Reference, Categories string
	Purposes                                  []string
	From, To                                  string
}

// organisationsShow is the public list of organisations authorised to
// process personal data: every approved contract in force.
func (s *Server) organisationsShow(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	cs, err := s.svc.Contracts.PublicContracts(ctx)
	if err != nil {
		return err
	}
	purposes, err := s.purposes(r)
	if err != nil {
		return err
	}
	kinds := map[string]string{}
	rows := make([]organisationRow, 0, len(cs))
	for _, c := range cs {
		kind, ok := kinds[c.OrgID]
		if !ok {
			o, err := s.svc.Organisations.Organisation(ctx, c.OrgID)
			if err != nil && jaga.ErrorCode(err) != jaga.ENOTFOUND {
				return err
			}
			if o != nil {
				kind = o.Kind
			}
			kinds[c.OrgID] = kind
		}
		row := organisationRow{
			Organisation: c.OrgName,
			Kind:         s.i18n.OrgKind(v.Lang, kind),
			Reference:    c.Reference,
			Categories:   s.i18n.words(v.Lang, s.i18n.Category, c.Categories),
			From:         s.i18n.Date(v.Lang, c.ValidFrom),
			To:           s.i18n.Date(v.Lang, c.ValidTo),
		}
		for _, code := range c.Purposes {
			if p := purposes[code]; p != nil {
				row.Purposes = append(row.Purposes, s.i18n.Purpose(v.Lang, p))
			} else {
				row.Purposes = append(row.Purposes, code)
			}
		}
		rows = append(rows, row)
	}
	return s.render(w, r, v, http.StatusOK, "organisations", struct{ Rows []organisationRow }{rows})
}

// purposes returns the purposes registry by code.
func (s *Server) purposes(r *http.Request) (map[string]*jaga.Purpose, error) {
	ps, err := s.svc.Contracts.Purposes(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]*jaga.Purpose, len(ps))
	for _, p := range ps {
		m[p.Code] = p
	}
	return m, nil
}
