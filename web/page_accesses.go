package web

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

// accessRow is one access to the citizen's data, in the page's words.
type accessRow struct {
	When, ISO             string
	Whose                 string
	Organisation, OrgKind string
	Role, ContractRef     string
	Purpose, Reason       string
	Action                string
	Categories, Fields    string
	Decision              string
	Denied                bool
}

// accessesShow is "who accessed my data": every gate decision about the
// citizen or their dependants, newest first. It never names the staff
// member, only their organisation and role.
func (s *Server) accessesShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	vs, err := s.svc.AccessLog.AccessesToMe(r.Context(), 500)
	if err != nil {
		return err
	}
	purposes, err := s.purposes(r)
	if err != nil {
		return err
	}
	rows := make([]accessRow, 0, len(vs))
	for _, e := range vs {
		row := accessRow{
			When:         s.i18n.DateTime(v.Lang, e.At),
			ISO:          e.At.UTC().Format(time.RFC3339),
			Whose:        e.PersonName,
			Organisation: e.Organisation,
			OrgKind:      s.i18n.OrgKind(v.Lang, e.OrganisationKind),
			Role:         s.i18n.Role(v.Lang, e.Role),
			ContractRef:  e.ContractRef,
			Purpose:      s.i18n.Purpose(v.Lang, purposes[e.Purpose]),
			Reason:       e.Reason,
			Action:       s.i18n.Action(v.Lang, e.Action),
			Categories:   s.i18n.words(v.Lang, s.i18n.Category, e.Categories),
			Fields:       s.i18n.words(v.Lang, s.i18n.Field, e.Fields),
			Decision:     s.i18n.Decision(v.Lang, e),
			Denied:       e.Decision != jaga.DecisionAllow,
		}
		switch {
		case e.PersonID == a.ID:
			row.Whose = s.i18n.T(v.Lang, "accesses.self")
		case row.Whose == "":
			row.Whose = s.i18n.T(v.Lang, "me.dependant_unnamed")
		}
		if row.Purpose == "" {
			row.Purpose = e.Purpose
		}
		if row.Organisation == "" {
			row.Organisation = s.i18n.T(v.Lang, "accesses.org_unknown")
		}
		rows = append(rows, row)
	}
	return s.render(w, r, v, http.StatusOK, "accesses", struct{ Rows []accessRow }{rows})
}
