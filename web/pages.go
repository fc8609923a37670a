package web

// The server-rendered pages: html/template files in templates/, one per
// page, each rendered inside layout.html; every string through the
// translator; one CSS file in static/. Pages need no JavaScript.

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/jaga-health/jaga"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames lists the page templates; templates/<name>.html defines
// "title" and "content", which layout.html places.
var pageNames = []string{
	"home", "signin", "verify", "me", "accesses", "organisations", "staff_signin", "staff", "outbox", "error",
	"checkin", "checkin_done", "checkin_visits", "premises", "verify_cert", "certificates", "risk",
	"help", "help_fix", "tickets", "ticket_new", "ticket", "desk_queue", "desk_ticket", "desk_reports", "desk_changes",
}

// pages holds every page parsed once per language, with "t" bound to it.
type pages struct {
	sets map[string]map[string]*template.Template // language → page → template
}

func newPages(tr *translator) (*pages, error) {
	p := &pages{sets: map[string]map[string]*template.Template{}}
	for _, lang := range jaga.Languages {
		funcs := template.FuncMap{
			"t":       func(id string, kv ...any) string { return tr.T(lang, id, kv...) },
			"signout": func(action, csrf string) signoutForm { return signoutForm{Action: action, CSRF: csrf} },
			"fielderr": func(f *form, name string) fieldError {
				return fieldError{ID: f.ID + "-" + name, Message: f.Errors[name]}
			},
		}
		p.sets[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
				"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			p.sets[lang][name] = t
		}
	}
	return p, nil
}

// signoutForm and fieldError are the data of partials.html's pieces.
type signoutForm struct{ Action, CSRF string }
type fieldError struct{ ID, Message string }

// view is what every page template receives.
type view struct {
	Lang      string // the page's language
	OtherLang string // the language the switch link offers
	SwitchURL string // this page in the other language
	CSRF      string // the hidden csrf field of every form
	Actor     *jaga.Actor
	Citizen   bool // signed in as a citizen
	Staff     bool // signed in as a staff member
	Demo      bool
	RequestID string
	Data      any // the page's own data

	path string // the page whose language the switch link changes
}

// setPath names the page that the language switch link reloads, for a
// page rendered in answer to a form.
func (v *view) setPath(p string) {
	v.path = p
	v.SwitchURL = switchURL(p, v.OtherLang)
}

func switchURL(p, lang string) string {
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.String()
}

// pageFunc is a page handler. It renders or redirects, or returns an error
// that the adapter renders as the error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// page adapts a GET page: ?lang= chooses the language and redirects to
// the same address without it.
func (s *Server) page(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Has("lang") {
			if l := q.Get("lang"); jaga.SupportedLanguage(l) {
				http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 60 * 60,
					HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
			}
			q.Del("lang")
			u := url.URL{Path: cleanPath(r.URL.Path), RawQuery: q.Encode()}
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
		v := s.newView(w, r, s.pageLang(r))
		if err := f(w, r, v); err != nil {
			s.renderError(w, r, v, err)
		}
	})
}

// post adapts a form handler: it caps and parses the body and checks the
// CSRF token before the handler runs.
func (s *Server) post(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.newView(w, r, s.pageLang(r))
		v.setPath("/")
		if err := readForm(w, r); err != nil {
			s.renderError(w, r, v, err)
			return
		}
		if err := f(w, r, v); err != nil {
			s.renderError(w, r, v, err)
		}
	})
}

// readForm parses a form body of at most MaxBodyBytes and checks its
// CSRF token.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return jaga.Errorf(jaga.ETOOLARGE, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		return jaga.Errorf(jaga.EINVALID, "The form could not be read.")
	}
	return checkCSRF(r)
}

func cleanPath(p string) string {
	p = path.Clean("/" + p)
	if strings.HasPrefix(p, "//") {
		return "/"
	}
	return p
}

// pageLang is the language of a page: the jaga_lang cookie, else the
// browser's Accept-Language, else Malay. (?lang= has set the cookie.)
func (s *Server) pageLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && jaga.SupportedLanguage(c.Value) {
		return c.Value
	}
	return s.i18n.match(r.Header.Get("Accept-Language"))
}

func (s *Server) newView(w http.ResponseWriter, r *http.Request, lang string) *view {
	a := jaga.ActorFromContext(r.Context())
	v := &view{
		Lang:      lang,
		OtherLang: "en",
		CSRF:      s.formToken(w, r),
		Actor:     a,
		Citizen:   a.IsCitizen(),
		Staff:     a.IsStaff(),
		Demo:      s.opts.Demo,
		RequestID: requestID(r.Context()),
	}
	if lang == "en" {
		v.OtherLang = "ms"
	}
	v.setPath(r.URL.RequestURI())
	return v
}

// formToken is the value of the hidden csrf field: the session's token
// when signed in with a cookie; before sign-in, the double-submit cookie,
// set here when the browser has none.
func (s *Server) formToken(w http.ResponseWriter, r *http.Request) string {
	if a := authFrom(r.Context()); a.via == "cookie" {
		return a.csrf
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		return c.Value
	}
	token := newToken(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	return token
}

// render writes a page. Pages may show personal data and carry form
// tokens, so none is stored by a browser or a proxy.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *view, status int, name string, data any) error {
	t := s.pages.sets[s.i18n.lang(v.Lang)][name]
	if t == nil {
		return fmt.Errorf("no page template %q", name)
	}
	v.Data = data
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.Lang)
	h.Add("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// redirect answers a form or a page with a redirect to a page of jaga.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// errorPage is the data of the error page.
type errorPage struct {
	Status    int
	Title     string
	Message   string
	Internal  bool
	SignOut   string // for a wrong-kind actor: where to sign out
	SignInURL string
}

// renderError renders err as the error page: a translated safe message,
// never internal detail (which is logged with the request id).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	s.logError(r, err)
	status := errorStatus(err)
	code := jaga.ErrorCode(err)
	if code == jaga.ERATELIMIT {
		w.Header().Set("Retry-After", "60")
	}
	titleID := "error.title." + code
	if !s.i18n.has(v.Lang, titleID) {
		titleID = "error.title." + jaga.EINTERNAL
	}
	data := errorPage{
		Status:   status,
		Title:    s.i18n.T(v.Lang, titleID),
		Message:  s.i18n.Error(v.Lang, err),
		Internal: code == jaga.EINTERNAL || code == jaga.EUNAVAILABLE,
	}
	if code == jaga.EUNAUTHORIZED {
		data.SignInURL = "/signin"
	}
	if rerr := s.render(w, r, v, status, "error", data); rerr != nil {
		s.logger.ErrorContext(r.Context(), "render error page", slog.String("request_id", requestID(r.Context())),
			slog.String("err", rerr.Error()))
		http.Error(w, http.StatusText(status), status)
	}
}

// wrongKind renders the page that tells a staff member on a citizen page,
// or a citizen on a staff page, what to do.
func (s *Server) wrongKind(w http.ResponseWriter, r *http.Request, v *view, wantStaff bool) error {
	data := errorPage{Status: http.StatusForbidden, Title: s.i18n.T(v.Lang, "wrongkind.title")}
	switch {
	case wantStaff && v.Citizen:
		data.Message = s.i18n.T(v.Lang, "wrongkind.citizen_on_staff")
		data.SignOut = "/signout"
	case !wantStaff && v.Staff:
		data.Message = s.i18n.T(v.Lang, "wrongkind.staff_on_citizen")
		data.SignOut = "/staff/signout"
	default:
		data.Message = s.i18n.T(v.Lang, "wrongkind.other")
	}
	return s.render(w, r, v, http.StatusForbidden, "error", data)
}

// citizenPage returns the signed-in citizen, or answers the request
// itself: anonymous visitors go to /signin, anyone else is told that the
// page is for citizens. ok is false when the handler must stop.
func (s *Server) citizenPage(w http.ResponseWriter, r *http.Request, v *view) (a *jaga.Actor, ok bool, err error) {
	a = jaga.ActorFromContext(r.Context())
	switch {
	case a == nil:
		redirect(w, r, "/signin")
		return nil, false, nil
	case !a.IsCitizen():
		return nil, false, s.wrongKind(w, r, v, false)
	}
	return a, true, nil
}

// staffPage is citizenPage for staff pages and /staff/signin.
func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, v *view) (a *jaga.Actor, ok bool, err error) {
	a = jaga.ActorFromContext(r.Context())
	switch {
	case a == nil:
		redirect(w, r, "/staff/signin")
		return nil, false, nil
	case !a.IsStaff():
		return nil, false, s.wrongKind(w, r, v, true)
	}
	return a, true, nil
}

// form is one form on a page: the values to show again and, after a
// failed submission, the translated problems.
type form struct {
	ID      string            // prefix of the form's element ids
	Values  map[string]string // field → value
	Errors  map[string]string // field → problem
	Message string            // the problem with the form as a whole
	order   []string          // the fields in the order the page shows them
}

// fieldProblem is one line of a form's list of problems.
type fieldProblem struct{ Field, Message string }

// Summary lists, in the order of the form's fields, the problems that the
// form's message does not already say, for the list at the top of the form.
func (f *form) Summary() []fieldProblem {
	var out []fieldProblem
	seen := map[string]bool{}
	add := func(k string) {
		if msg, ok := f.Errors[k]; ok && !seen[k] && msg != f.Message {
			out = append(out, fieldProblem{k, msg})
		}
		seen[k] = true
	}
	for _, k := range f.order {
		add(k)
	}
	rest := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return out
}

func newForm(id string) *form {
	return &form{ID: id, Values: map[string]string{}}
}

// formFrom copies the named fields of the request into a form.
func formFrom(id string, r *http.Request, fields ...string) *form {
	f := newForm(id)
	f.order = fields
	for _, k := range fields {
		f.Values[k] = r.PostFormValue(k)
	}
	return f
}

// fail puts err's translated message and field problems on the form.
func (s *Server) fail(f *form, lang string, err error) {
	f.Message = s.i18n.Error(lang, err)
	f.Errors = s.i18n.Fields(lang, err)
}

// formError reports whether err belongs on the form that caused it
// (invalid input, a wrong code, a refusal) rather than on the error page.
func formError(err error) bool {
	switch jaga.ErrorCode(err) {
	case jaga.EINTERNAL, jaga.EUNAVAILABLE, "":
		return false
	}
	return true
}

// failStatus is the status of a form shown again with its problems.
func failStatus(err error) int {
	if jaga.ErrorCode(err) == jaga.EUNAUTHORIZED {
		// 401 would ask for HTTP authentication; the form is the answer.
		return http.StatusBadRequest
	}
	return errorStatus(err)
}

// notFoundShow answers every path that no route takes, outside /api/.
func (s *Server) notFoundShow(w http.ResponseWriter, r *http.Request, v *view) error {
	return jaga.Errorf(jaga.ENOTFOUND, "No such page.")
}

// staticServe serves the embedded CSS; anything else under /static/ is the
// not-found page.
func (s *Server) staticServe() http.Handler {
	files := http.FileServerFS(staticFS)
	notFound := s.page(s.notFoundShow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if st, err := fs.Stat(staticFS, name); err != nil || st.IsDir() {
			notFound.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
