package web

// The premises pages of a premises owner's staff: their organisation's
// premises with short codes, posters and today's visitor counts (counts
// only, never who), the registration form and code rotation. The poster
// routes serve the API and these pages alike.

import (
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// premisesFields are the registration form's fields.
var premisesFields = []string{"name", "type", "address", "state", "latitude", "longitude", "capacity"}

// premisesPage lists the organisation's premises and the registration form.
type premisesPage struct {
	OrgName  string
	Done     string
	Premises []premisesView
	Form     *form
	Open     bool // the registration form is shown open
	Types    []option
	States   []option
}

type option struct {
	Value, Text string
	Selected    bool
}

// premisesView is one premises with today's visits by hour.
type premisesView struct {
	P         *jaga.Premises
	TypeLabel string
	Hours     []hourCount
	Total     int
	Day       string // today, in words
}

type hourCount struct {
	Hour   string // "08:00"
	Visits int
}

func (s *Server) loadPremisesPage(r *http.Request, v *view, a *jaga.Actor, f *form) (*premisesPage, error) {
	ctx := r.Context()
	d := &premisesPage{Form: f}
	if a.OrgID != "" {
		o, err := s.svc.Organisations.Organisation(ctx, a.OrgID)
		if err != nil && jaga.ErrorCode(err) != jaga.ENOTFOUND {
			return nil, err
		}
		if o != nil {
			d.OrgName = o.Name
		}
	}
	ps, err := s.svc.Premises.OrganisationPremises(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	loc := s.i18n.location
	now := time.Now().In(loc)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	to := now
	if !to.After(midnight) {
		to = midnight.Add(time.Second)
	}
	for _, p := range ps {
		counts, err := s.svc.Premises.VisitCounts(ctx, p.ID, "hour", midnight, to)
		if err != nil {
			return nil, err
		}
		pv := premisesView{P: p, TypeLabel: s.i18n.word(v.Lang, "premisestype.", p.Type), Day: s.i18n.Date(v.Lang, now)}
		for _, c := range counts {
			pv.Hours = append(pv.Hours, hourCount{Hour: c.Start.In(loc).Format("15:04"), Visits: c.Visits})
			pv.Total += c.Visits
		}
		d.Premises = append(d.Premises, pv)
	}
	types := make([]string, 0, len(jaga.PremisesTypes))
	for t := range jaga.PremisesTypes {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		return s.i18n.word(v.Lang, "premisestype.", types[i]) < s.i18n.word(v.Lang, "premisestype.", types[j])
	})
	for _, t := range types {
		d.Types = append(d.Types, option{Value: t, Text: s.i18n.word(v.Lang, "premisestype.", t), Selected: f.Values["type"] == t})
	}
	for _, st := range jaga.States {
		d.States = append(d.States, option{Value: st, Text: st, Selected: f.Values["state"] == st})
	}
	return d, nil
}

// premisesPageShow is /staff/premises.
func (s *Server) premisesPageShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return err
	}
	d, err := s.loadPremisesPage(r, v, a, newForm("premises"))
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && s.i18n.has(v.Lang, "premises.done_"+done) {
		d.Done = s.i18n.T(v.Lang, "premises.done_"+done)
	}
	return s.render(w, r, v, http.StatusOK, "premises", d)
}

// premisesCreateSubmit registers a premises of the staff member's organisation.
func (s *Server) premisesCreateSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return err
	}
	f := formFrom("premises", r, premisesFields...)
	p := &jaga.Premises{OrgID: a.OrgID, Name: f.Values["name"], Type: f.Values["type"], Address: f.Values["address"],
		State: f.Values["state"], Latitude: number(f.Values["latitude"]), Longitude: number(f.Values["longitude"])}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Values["capacity"])); err == nil {
		p.Capacity = n
	}
	if err := s.svc.Premises.CreatePremises(r.Context(), p); err != nil {
		if !formError(err) {
			return err
		}
		s.failDomain(f, v.Lang, err, nil)
		d, lerr := s.loadPremisesPage(r, v, a, f)
		if lerr != nil {
			return lerr
		}
		d.Open = true
		v.setPath("/staff/premises")
		return s.render(w, r, v, failStatus(err), "premises", d)
	}
	redirect(w, r, "/staff/premises?done=created")
	return nil
}

// number reads a decimal number from a form field; NaN when it is none,
// which the domain refuses with its own message.
func number(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// premisesRotateSubmit gives a premises a new QR code and short code.
func (s *Server) premisesRotateSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.staffPage(w, r, v); !ok {
		return err
	}
	if _, err := s.svc.Premises.RotateCode(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/staff/premises?done=rotated")
	return nil
}

// ---------------------------------------------------------------- posters

func (s *Server) premisesPosterPDF(w http.ResponseWriter, r *http.Request) error {
	return s.premisesPoster(w, r, "pdf")
}

func (s *Server) premisesPosterPNG(w http.ResponseWriter, r *http.Request) error {
	return s.premisesPoster(w, r, "png")
}

var posterTypes = map[string]string{"pdf": "application/pdf", "png": "image/png"}

// premisesPoster answers a premises' printable poster, as a download, to
// those who may have its QR code: its owner's staff.
func (s *Server) premisesPoster(w http.ResponseWriter, r *http.Request, kind string) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = s.pageLang(r)
	} else if !jaga.SupportedLanguage(lang) {
		return jaga.Invalid(map[string]string{"lang": "lang must be ms or en."})
	}
	id := r.PathValue("id")
	p, err := s.svc.Premises.Premises(r.Context(), id)
	if err != nil {
		return err
	}
	token, err := s.svc.Premises.Token(r.Context(), id)
	if err != nil {
		return err
	}
	if s.svc.Posters == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Posters are not available on this server.")
	}
	body, err := s.svc.Posters(p, token, lang, kind)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", posterTypes[kind])
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": posterFileName(p, lang, kind)}))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store") // the QR code changes when the code is rotated
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// posterFileName is a file name of ASCII letters, digits and dashes, such
// as jaga-poster-kopitiam-sri-melati-K7QX-M4PD-ms.pdf.
func posterFileName(p *jaga.Premises, lang, kind string) string {
	var b strings.Builder
	dash := true // no dash at the start, none doubled
	for _, c := range strings.ToLower(p.Name) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "premises"
	}
	name := "jaga-poster-" + slug
	if code := jaga.NormalizeShortCode(p.ShortCode); code != "" {
		name += "-" + code
	}
	return name + "-" + lang + "." + kind
}
