package web

// The check-in pages: a citizen checks in themselves and their dependants
// at a premises by its short code and shows the door screen to the staff
// at the door; /me/visits lists their visits and checks them out.

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

// checkInMessages are the check-in and premises domain's safe messages
// that these pages translate; see domainMessages.
var checkInMessages = compileDomainMessages([][2]string{
	// Check-in.
	{"A premises code has 8 letters and digits, such as K7QX-M4PD.", "checkin.err_code_format"},
	{"No premises has this code. Check the code on the poster.", "checkin.err_code_unknown"},
	{"Scan the premises' QR code or type its short code.", "checkin.err_code_required"},
	{"Send a scanned token or a short code, not both.", "checkin.err_code_required"},
	{"This QR code has been replaced by the premises. Scan the code on its current poster.", "checkin.err_code_replaced"},
	{"You can check in only yourself and your own dependants.", "checkin.err_not_dependant"},
	{"Choose at least one person to check in.", "checkin.err_nobody"},
	{"At most %d dependants check in together.", "checkin.err_too_many"},
	{"Sign in to check in.", "err.sign_in_first"},
	{"Sign in to check out.", "err.sign_in_first"},
	{"Sign in to see your visits.", "err.sign_in_first"},
	{"No such visit.", "checkin.err_no_visit"},
	{"This visit has already ended.", "checkin.err_visit_ended"},
	// Premises.
	{"Name must be 2 to 120 characters.", "premises.err_name"},
	{"Type must be a known premises type, such as restaurant or office.", "premises.err_type"},
	{"Address must be 5 to 300 characters.", "premises.err_address"},
	{"State must be one of Malaysia's states or federal territories.", "premises.err_state"},
	{"Coordinates must lie in Malaysia (latitude 0.5 to 7.5, longitude 99 to 120).", "premises.err_coordinates"},
	{"Capacity must be 1 to 200000.", "premises.err_capacity"},
	{"Only staff of a premises owner register its premises.", "premises.err_not_owner"},
	{"The owner must be a premises-owner organisation.", "premises.err_not_owner"},
	{"Only the organisation's staff list its premises.", "premises.err_not_owner"},
	{"No such premises.", "premises.err_no_premises"},
})

// domainText translates a safe message of the domain: the check-in and
// premises messages above, then the translator's catalogue. A message that
// neither knows is shown as the domain wrote it.
func (s *Server) domainText(lang, code, msg string) string {
	for _, dm := range checkInMessages {
		m := dm.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		var kv []any
		for i, name := range dm.re.SubexpNames() {
			if name != "" {
				kv = append(kv, name, m[i])
			}
		}
		return s.i18n.T(lang, dm.id, kv...)
	}
	for _, dm := range domainMessages {
		if dm.re.MatchString(msg) {
			return s.i18n.Message(lang, code, msg)
		}
	}
	if msg == "" {
		return s.i18n.codeMessage(lang, code)
	}
	return msg
}

// failDomain puts err's message and field problems on the form, in lang;
// rename moves a problem of the domain's field to the page's field.
func (s *Server) failDomain(f *form, lang string, err error, rename map[string]string) {
	code := jaga.ErrorCode(err)
	f.Message = s.domainText(lang, code, jaga.ErrorMessage(err))
	f.Errors = map[string]string{}
	for k, m := range jaga.ErrorFields(err) {
		if to, ok := rename[k]; ok {
			k = to
		}
		f.Errors[k] = s.domainText(lang, jaga.EINVALID, m)
	}
}

// ---------------------------------------------------------------- check in

// checkInPage is the check-in form: the premises code and who checks in.
type checkInPage struct {
	Form       *form
	Name       string // the citizen's own name
	Self       bool   // "myself" is ticked
	Dependants []checkInPerson
}

type checkInPerson struct {
	ID, Name string
	Checked  bool
}

// loadCheckInPage reads the citizen's dependants for the form; chosen are
// the ids ticked before.
func (s *Server) loadCheckInPage(r *http.Request, v *view, a *jaga.Actor, f *form, self bool, chosen []string) (*checkInPage, error) {
	ctx := r.Context()
	me, err := s.svc.People.Person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	deps, err := s.svc.People.Dependants(ctx)
	if err != nil {
		return nil, err
	}
	ticked := map[string]bool{}
	for _, id := range chosen {
		ticked[id] = true
	}
	d := &checkInPage{Form: f, Name: me.FullName, Self: self}
	for _, dep := range deps {
		name := dep.FullName
		if name == "" {
			name = s.i18n.T(v.Lang, "me.dependant_unnamed")
		}
		d.Dependants = append(d.Dependants, checkInPerson{ID: dep.ID, Name: name, Checked: ticked[dep.ID]})
	}
	return d, nil
}

// checkInShow is the check-in form.
func (s *Server) checkInShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	f := newForm("checkin")
	f.order = []string{"shortCode", "dependants"}
	d, err := s.loadCheckInPage(r, v, a, f, true, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "checkin", d)
}

// checkInSubmit checks in the citizen and the ticked dependants and shows
// the door screen; a refusal shows the form again with its problem.
func (s *Server) checkInSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	at := time.Now()
	f := formFrom("checkin", r, "shortCode", "dependants")
	self := r.PostFormValue("myself") == "on"
	deps := r.PostForm["dependants"]
	res, err := s.svc.CheckIns.CheckIn(r.Context(), jaga.CheckInRequest{
		ShortCode: f.Values["shortCode"], Dependants: deps, Self: &self, At: at})
	if err != nil {
		if !formError(err) {
			return err
		}
		s.failDomain(f, v.Lang, err, map[string]string{"token": "shortCode"})
		if len(f.Errors) == 0 && jaga.ErrorCode(err) == jaga.ENOTFOUND {
			f.Errors["shortCode"] = f.Message // an unknown code
		}
		d, lerr := s.loadCheckInPage(r, v, a, f, self, deps)
		if lerr != nil {
			return lerr
		}
		status := failStatus(err)
		if status == http.StatusNotFound {
			status = http.StatusBadRequest // the page exists; the code typed does not
		}
		v.setPath("/checkin")
		s.rateLimited(w, err)
		return s.render(w, r, v, status, "checkin", d)
	}
	v.setPath("/me/visits")
	return s.render(w, r, v, http.StatusOK, "checkin_done", s.doorPage(v.Lang, res, at))
}

// doorPage is the door screen: what the staff at the door read at a
// glance, in the page's language.
type doorPage struct {
	Premises string
	When     string // the time of the check-in, Malaysia time
	ISO      string
	Cards    []doorCard
}

// doorCard is one visitor on the door screen.
type doorCard struct {
	VisitID   string
	Name      string
	Risk      string // the label
	RiskTone  string // green, amber, red or grey
	Vax       string
	VaxTone   string
	SameVisit bool
	Since     string // for the same visit: when it began
	LeavesAt  string // the automatic check-out
}

func (s *Server) doorPage(lang string, res *jaga.CheckInResult, at time.Time) doorPage {
	d := doorPage{When: s.i18n.DateTime(lang, at), ISO: at.UTC().Format(time.RFC3339)}
	if res.Premises != nil {
		d.Premises = res.Premises.Name
	}
	visits := map[string]jaga.Visit{}
	for _, vi := range res.Visits {
		visits[vi.PersonID] = vi
	}
	for _, ds := range res.Door {
		vi := visits[ds.PersonID]
		c := doorCard{
			VisitID:   vi.ID,
			Name:      ds.Name,
			Risk:      jaga.StatusName(lang, ds.Risk),
			RiskTone:  riskTone(ds.Risk),
			Vax:       s.i18n.word(lang, "vax.", ds.Vaccination),
			VaxTone:   vaxTone(ds.Vaccination),
			SameVisit: vi.SameVisit,
			LeavesAt:  s.clock(vi.LeavesAt),
		}
		if c.Name == "" {
			c.Name = s.i18n.T(lang, "me.dependant_unnamed")
		}
		if vi.SameVisit {
			c.Since = s.clock(vi.CheckedInAt)
		}
		d.Cards = append(d.Cards, c)
	}
	return d
}

// clock is the time of day of an instant in Malaysia, as 14:07.
func (s *Server) clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.i18n.location).Format("15:04")
}

// riskTone is the colour of a risk status on the door screen.
func riskTone(risk string) string {
	switch risk {
	case jaga.RiskLow, jaga.RiskRecovered:
		return "green"
	case jaga.RiskCasual, jaga.RiskClose:
		return "amber"
	case jaga.RiskSurveillance, jaga.RiskConfirmed:
		return "red"
	}
	return "grey"
}

// vaxTone is the colour of a vaccination status on the door screen.
func vaxTone(vax string) string {
	switch vax {
	case jaga.VaxComplete, jaga.VaxBooster:
		return "green"
	case jaga.VaxPartial:
		return "amber"
	}
	return "grey"
}

// ---------------------------------------------------------------- visits

// visitsPage lists the citizen's and their dependants' recent visits.
type visitsPage struct {
	Done    string // what the last form did
	Problem string // why the last form failed
	Rows    []visitRow
}

type visitRow struct {
	ID           string
	Who          string
	Premises     string
	CheckedIn    string
	CheckedInISO string
	LeavesAt     string
	CheckedOut   string // when checked out, if they did
	Open         bool   // still under way: it can be checked out
	Superseded   bool   // ended by the person's next check-in
}

// visitsLimit bounds the visits /me/visits lists.
const visitsLimit = 100

func (s *Server) loadVisitsPage(r *http.Request, v *view, a *jaga.Actor) (*visitsPage, error) {
	ctx := r.Context()
	me, err := s.svc.People.Person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	deps, err := s.svc.People.Dependants(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{a.ID: me.FullName}
	for _, dep := range deps {
		names[dep.ID] = dep.FullName
	}
	visits, err := s.svc.CheckIns.Visits(ctx, visitsLimit)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	seen := map[string]bool{} // people whose newer visit was listed: visits come newest first
	d := &visitsPage{}
	for _, vi := range visits {
		row := visitRow{
			ID:           vi.ID,
			Who:          names[vi.PersonID],
			Premises:     vi.PremisesName,
			CheckedIn:    s.i18n.DateTime(v.Lang, vi.CheckedInAt),
			CheckedInISO: vi.CheckedInAt.UTC().Format(time.RFC3339),
			LeavesAt:     s.i18n.DateTime(v.Lang, vi.LeavesAt),
		}
		if row.Who == "" {
			row.Who = s.i18n.T(v.Lang, "me.dependant_unnamed")
		}
		switch {
		case vi.CheckedOutAt != nil:
			row.CheckedOut = s.i18n.DateTime(v.Lang, *vi.CheckedOutAt)
		case seen[vi.PersonID]:
			row.Superseded = true
		case vi.LeavesAt.After(now):
			row.Open = true
		}
		seen[vi.PersonID] = true
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// visitsShow is /me/visits.
func (s *Server) visitsShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	d, err := s.loadVisitsPage(r, v, a)
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && s.i18n.has(v.Lang, "visits.done_"+done) {
		d.Done = s.i18n.T(v.Lang, "visits.done_"+done)
	}
	return s.render(w, r, v, http.StatusOK, "checkin_visits", d)
}

// checkOutSubmit ends a visit now and goes back to /me/visits.
func (s *Server) checkOutSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	if _, err := s.svc.CheckIns.CheckOut(r.Context(), r.PathValue("id")); err != nil {
		if !formError(err) {
			return err
		}
		d, lerr := s.loadVisitsPage(r, v, a)
		if lerr != nil {
			return lerr
		}
		d.Problem = s.domainText(v.Lang, jaga.ErrorCode(err), jaga.ErrorMessage(err))
		v.setPath("/me/visits")
		return s.render(w, r, v, failStatus(err), "checkin_visits", d)
	}
	redirect(w, r, "/me/visits?done=checkout")
	return nil
}
