package web

// The risk page: the citizen's and their dependants' risk status, why it
// was given, by which rule, for which window, until when, what to do
// next, and every status they have had. Status names, rule names, reasons
// and next steps are worded in the domain (jaga.StatusName and the rest),
// the one place the door and the messages also take them from.

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

// riskPage is /me/risk: one card per person.
type riskPage struct {
	People []riskCard
}

// riskCard is one person's status now and their history.
type riskCard struct {
	Name    string
	Self    bool
	Status  string // the status's name
	Tone    string // green, amber, red, as at the door
	Low     bool   // low risk: no reason, rule or end to show
	Reason  string
	Rule    string
	Window  string // the time shared with a case, if the rule has one
	Ends    string
	Next    string // what to do next
	History []riskRow
}

// riskRow is one status change of a person, worded.
type riskRow struct {
	Status, Rule, Reason, Window, Starts, Ends string
	InForce                                    bool
}

// riskWindow words a status's exposure window, or "".
func (s *Server) riskWindow(lang string, st *jaga.RiskStatus) string {
	if st.Exposure == nil {
		return ""
	}
	return s.i18n.DateTime(lang, st.Exposure.From) + " – " + s.i18n.DateTime(lang, st.Exposure.To)
}

// riskShow is /me/risk.
func (s *Server) riskShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	if s.svc.Tracing == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Risk statuses are not available on this server.")
	}
	views, err := s.svc.Tracing.MyRisk(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	d := &riskPage{}
	for i, rv := range views {
		c := riskCard{Name: rv.PersonName, Self: i == 0, Status: jaga.StatusName(v.Lang, rv.Status), Tone: riskTone(rv.Status),
			Low: rv.Current == nil, Next: jaga.NextSteps(v.Lang, rv.Status)}
		if c.Name == "" {
			c.Name = s.i18n.T(v.Lang, "me.dependant_unnamed")
		}
		if cur := rv.Current; cur != nil {
			c.Reason, c.Rule = jaga.ReasonText(v.Lang, cur), jaga.RuleName(v.Lang, cur.Rule)
			c.Window, c.Ends = s.riskWindow(v.Lang, cur), s.i18n.DateTime(v.Lang, cur.EndsAt)
		}
		for j := range rv.History {
			h := &rv.History[j]
			c.History = append(c.History, riskRow{Status: jaga.StatusName(v.Lang, h.Status), Rule: jaga.RuleName(v.Lang, h.Rule),
				Reason: jaga.ReasonText(v.Lang, h), Window: s.riskWindow(v.Lang, h), Starts: s.i18n.DateTime(v.Lang, h.StartsAt),
				Ends: s.i18n.DateTime(v.Lang, h.EndsAt), InForce: h.InForce(now)})
		}
		d.People = append(d.People, c)
	}
	return s.render(w, r, v, http.StatusOK, "risk", d)
}
