package web

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/argon2id"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// ---------------------------------------------------------------- fixture

// testEnv is a jaga server on a fresh SQLite store, wired as cmd/jaga
// wires it.
type testEnv struct {
	t        *testing.T
	db       *sqlstore.DB
	svc      Services
	accounts *sqlstore.AccountService
	server   *Server
	http     *httptest.Server
}

// testServices is cmd/jaga's services(), without the checkpointer.
func testServices(db *sqlstore.DB) Services {
	accounts := sqlstore.NewAccountService(db)
	return Services{
		Accounts:      accounts,
		People:        sqlstore.NewPersonService(db),
		Organisations: sqlstore.NewOrganisationService(db),
		Contracts:     sqlstore.NewContractService(db),
		AccessLog:     sqlstore.NewAccessLog(db),
		Premises:      sqlstore.NewPremisesService(db),
		CheckIns:      sqlstore.NewCheckInService(db),
		Outbox:        accounts,
		Ready:         db.Ping,
	}
}

func newTestEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jaga.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Gate, err = gate.New(); err != nil {
		t.Fatal(err)
	}
	db.Passwords = argon2id.Hasher{MemoryKiB: 1024, Time: 1}
	db.TOTP = totp.Authenticator{}
	db.TokenKey = []byte("jaga-web-test-premises-token-key") // 32 bytes
	db.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	opts.Logger = db.Logger
	svc := testServices(db)
	srv, err := NewServer(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &testEnv{t: t, db: db, svc: svc, accounts: svc.Accounts.(*sqlstore.AccountService), server: srv, http: hs}
}

// world is the people and organisations the tests act with: a citizen
// with a dependant, a contractor under an approved contract and its
// support agent, and the ministry's two data protection officers.
type world struct {
	citizen      *jaga.Person
	contact      string // the citizen's phone, as typed
	dependant    *jaga.Person
	contractor   *jaga.Organisation
	agent        *jaga.StaffEnrolment
	agentActor   *jaga.Actor
	ministry     *jaga.Organisation
	officer      *jaga.StaffEnrolment // a ministry health officer
	staffPass    string
	purposeDescs map[string]*jaga.Purpose
}

const testPassword = "correct horse battery staple"

func (e *testEnv) newWorld() *world {
	t := e.t
	t.Helper()
	ctx := jaga.SystemContext(context.Background())
	w := &world{contact: "012-345 6789", staffPass: testPassword}
	var err error
	w.citizen, err = e.accounts.RegisterCitizen(ctx, jaga.Contact{Kind: jaga.ContactPhone, Value: "+60123456789"}, jaga.Profile{
		FullName: "Aisyah binti Rahman", IDType: jaga.IDTypeNRIC, IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01",
		Nationality: "MY", Address: "12 Jalan Melati, Kajang", Language: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	citizenCtx := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: w.citizen.ID})
	w.dependant, err = e.svc.People.AddDependant(citizenCtx, jaga.Profile{FullName: "Adam bin Hakim", IDType: jaga.IDTypeNRIC,
		IDNumber: "160305-10-1234", DateOfBirth: "2016-03-05", Nationality: "MY", Language: "ms"})
	if err != nil {
		t.Fatal(err)
	}

	orgs := e.svc.Organisations
	w.ministry = &jaga.Organisation{Name: "Kementerian Ujian", Kind: jaga.OrgMinistry}
	w.contractor = &jaga.Organisation{Name: "Sentosa Helpdesk Ujian Sdn Bhd", Kind: jaga.OrgContractor}
	for _, o := range []*jaga.Organisation{w.ministry, w.contractor} {
		if err := orgs.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	staff := func(o *jaga.Organisation, email, name, role string) *jaga.StaffEnrolment {
		en, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: o.ID, Email: email, DisplayName: name, Role: role, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return en
	}
	dpo1 := staff(w.ministry, "dpo1@moh.test", "Farah DPO", jaga.RoleDPO)
	dpo2 := staff(w.ministry, "dpo2@moh.test", "Rajesh DPO", jaga.RoleDPO)
	w.officer = staff(w.ministry, "officer@moh.test", "Dr. Lim", jaga.RoleHealthOfficer)
	w.agent = staff(w.contractor, "agent@sentosa.test", "Amirul Hakim", jaga.RoleSupportAgent)
	actor := func(en *jaga.StaffEnrolment, o *jaga.Organisation) *jaga.Actor {
		return &jaga.Actor{Kind: jaga.ActorStaff, ID: en.Staff.ID, OrgID: o.ID, OrgKind: o.Kind, Role: en.Staff.Role, Name: en.Staff.DisplayName}
	}
	w.agentActor = actor(w.agent, w.contractor)

	now := time.Now().UTC()
	c := &jaga.Contract{OrgID: w.contractor.ID, Reference: "KKM-DPA-TEST-001",
		Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategorySupport},
		Purposes:   []string{jaga.PurposeSupportTicket}, ValidFrom: now.AddDate(0, 0, -1), ValidTo: now.AddDate(1, 0, 0)}
	if err := e.svc.Contracts.RegisterContract(jaga.NewContextWithActor(ctx, actor(dpo1, w.ministry)), c); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Contracts.ApproveContract(jaga.NewContextWithActor(ctx, actor(dpo2, w.ministry)), c.ID); err != nil {
		t.Fatal(err)
	}
	ps, err := e.svc.Contracts.Purposes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.purposeDescs = map[string]*jaga.Purpose{}
	for _, p := range ps {
		w.purposeDescs[p.Code] = p
	}
	return w
}

// contractorRead makes the contractor's support agent read the citizen's
// record through the service, as the API would.
func (e *testEnv) contractorRead(w *world) {
	e.t.Helper()
	ctx := jaga.NewContextWithActor(context.Background(), w.agentActor)
	p, err := e.svc.People.ReadPerson(ctx, w.citizen.ID, jaga.AccessReason{Purpose: jaga.PurposeSupportTicket,
		Relationship: jaga.RelationshipCase, Reference: "TICKET-42"})
	if err != nil {
		e.t.Fatal(err)
	}
	if !p.Masked {
		e.t.Fatal("a contractor's read is not masked")
	}
}

// ---------------------------------------------------------------- browser

// browser is a client with a cookie jar that follows redirects unless
// told not to.
type browser struct {
	t      *testing.T
	env    *testEnv
	client *http.Client
}

type response struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (e *testEnv) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{t: e.t, env: e, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// noRedirects returns a browser sharing b's cookies that does not follow
// redirects.
func (b *browser) noRedirects() *browser {
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: b.t, env: b.env, client: &c}
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: string(body), url: res.Request.URL}
}

// get fetches a path; header holds name, value pairs.
func (b *browser) get(path string, header ...string) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.env.http.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post submits a form.
func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.env.http.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit fetches the page that holds a form and posts the form with the
// page's csrf token.
func (b *browser) submit(pagePath, action string, form url.Values) *response {
	b.t.Helper()
	page := b.get(pagePath)
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", page.csrf(b.t))
	return b.post(action, form)
}

// setLang chooses the language with ?lang= on the home page.
func (b *browser) setLang(lang string) {
	b.t.Helper()
	if r := b.get("/?lang=" + lang); r.status != http.StatusOK {
		b.t.Fatalf("set language %s: status %d", lang, r.status)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (r *response) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no csrf field on %s", r.url)
	}
	return m[1]
}

// contains fails unless the body, its HTML escapes undone, holds each string.
func (r *response) contains(t *testing.T, want ...string) {
	t.Helper()
	body := html.UnescapeString(r.body)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: body lacks %q", r.url.Path, w)
		}
	}
}

func (r *response) lacks(t *testing.T, unwanted ...string) {
	t.Helper()
	body := html.UnescapeString(r.body)
	for _, u := range unwanted {
		if u != "" && (strings.Contains(r.body, u) || strings.Contains(body, u)) {
			t.Errorf("%s: body holds %q", r.url.Path, u)
		}
	}
}

func (r *response) expect(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", r.url, r.status, status, excerpt(r.body))
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main id="main">`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode reads the newest one-time code sent to destination.
func (e *testEnv) lastCode(destination string) string {
	e.t.Helper()
	ms, err := e.accounts.RecentMessages(context.Background(), 20)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range ms {
		if m.Destination == destination {
			if c := sixDigits.FindStringSubmatch(m.Body); c != nil {
				return c[1]
			}
		}
	}
	e.t.Fatalf("no code sent to %s", destination)
	return ""
}

// signInCitizen signs in through the forms: contact, then the code from
// the outbox. It returns the page the browser lands on.
func (b *browser) signInCitizen(contact, destination string) *response {
	b.t.Helper()
	r := b.submit("/signin", "/signin", url.Values{"contact": {contact}})
	r.expect(b.t, http.StatusOK)
	if r.url.Path != "/signin/verify" || r.url.Query().Get("challenge") == "" {
		b.t.Fatalf("after /signin: at %s", r.url)
	}
	code := b.env.lastCode(destination)
	r = b.post("/signin/verify", url.Values{"csrf": {r.csrf(b.t)}, "challenge": {r.url.Query().Get("challenge")}, "code": {code}})
	r.expect(b.t, http.StatusOK)
	if r.url.Path != "/me" {
		b.t.Fatalf("after the code: at %s", r.url)
	}
	return r
}

// signInStaff signs in through the staff form with the current TOTP code.
func (b *browser) signInStaff(en *jaga.StaffEnrolment) *response {
	b.t.Helper()
	code, err := totp.Code(en.TOTPSecret, time.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	r := b.submit("/staff/signin", "/staff/signin", url.Values{"email": {en.Staff.Email}, "password": {testPassword}, "code": {code}})
	r.expect(b.t, http.StatusOK)
	if r.url.Path != "/staff" {
		b.t.Fatalf("after staff sign-in: at %s", r.url)
	}
	return r
}

// ---------------------------------------------------------------- tests

// TestMessageParity fails when a message id exists in one language and not
// the other, or when the pages ask for an id that no file has.
func TestMessageParity(t *testing.T) {
	ids := map[string]map[string]bool{}
	for _, l := range jaga.Languages {
		m, err := messageIDs(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if len(m) < 100 {
			t.Fatalf("%s: only %d messages", l, len(m))
		}
		ids[l] = m
	}
	for _, a := range jaga.Languages {
		for _, b := range jaga.Languages {
			var missing []string
			for id := range ids[a] {
				if !ids[b][id] {
					missing = append(missing, id)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("in %s but not in %s: %s", a, b, strings.Join(missing, ", "))
			}
		}
	}

	// Ids the pages build from jaga's closed sets and error codes.
	want := map[string]bool{}
	for _, r := range append([]string{"api_client"}, jaga.Roles...) {
		want["role."+r] = true
	}
	for _, k := range jaga.OrgKinds {
		want["orgkind."+k] = true
	}
	for _, c := range jaga.Categories {
		want["category."+c] = true
	}
	for _, f := range append([]string{"phone", "email"}, profileFields...) {
		want["field."+f] = true
	}
	for _, a := range []string{jaga.ActionRead, jaga.ActionUnmask, jaga.ActionUpdate} {
		want["action."+a] = true
	}
	for _, d := range []string{"allow", "deny", "deny_no_contract"} {
		want["decision."+d] = true
	}
	for _, c := range []string{jaga.ContactPhone, jaga.ContactEmail} {
		want["channel."+c] = true
	}
	for _, id := range []string{jaga.IDTypeNRIC, jaga.IDTypePassport} {
		want["idtype."+id] = true
	}
	for _, l := range jaga.Languages {
		want["lang."+l] = true
	}
	for m := 1; m <= 12; m++ {
		want["month."+strconv.Itoa(m)] = true
	}
	for code := range statusOf {
		want["error.code."+code] = true
		want["error.title."+code] = true
	}
	for _, dm := range domainMessages {
		want[dm.id] = true
	}
	// Ids named in the templates and in the page handlers.
	files, _ := filepath.Glob("templates/*.html")
	goFiles, _ := filepath.Glob("page*.go")
	tmplID := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	goID := regexp.MustCompile(`\.T\([a-zA-Z.]+, "([a-z0-9_.]+)"[,)]`)
	for _, f := range append(files, goFiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		re := tmplID
		if strings.HasSuffix(f, ".go") {
			re = goID
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			want[m[1]] = true
		}
	}
	if len(want) < 150 {
		t.Fatalf("found only %d ids in use; the patterns no longer match", len(want))
	}
	for id := range want {
		for _, l := range jaga.Languages {
			if !ids[l][id] {
				t.Errorf("message %q is used but missing from %s.json", id, l)
			}
		}
	}
}

// TestDomainMessagesTranslate checks that each domain message the pages
// translate is recognised, numbers and all, in both languages.
func TestDomainMessagesTranslate(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, code, msg, ms, en string
	}{
		{"csrf", jaga.EFORBIDDEN, jaga.ErrorMessage(errCSRF), "Borang ini telah tamat tempoh", "The form has expired"},
		{"wrong code", jaga.EUNAUTHORIZED, "The code is wrong. 3 attempts left.", "Tinggal 3 cubaan lagi.", "3 attempts left."},
		{"contact", jaga.EINVALID, "Enter a phone number or an email address.", "Masukkan nombor telefon atau alamat e-mel.", "Enter a phone number or an email address."},
		{"denied", jaga.EFORBIDDEN, "Access denied: no active contract covers x for y.", "Capaian ditolak: no active contract covers x for y.", "Access refused: no active contract"},
		{"unknown", jaga.ECONFLICT, "Something new the catalogue lacks.", "bercanggah", "conflicts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tr.Message("ms", tc.code, tc.msg); !strings.Contains(got, tc.ms) {
				t.Errorf("ms: %q lacks %q", got, tc.ms)
			}
			if got := tr.Message("en", tc.code, tc.msg); !strings.Contains(got, tc.en) {
				t.Errorf("en: %q lacks %q", got, tc.en)
			}
		})
	}
	if m := tr.missingIDs(); len(m) > 0 {
		t.Errorf("missing messages: %v", m)
	}
}

// TestPagesRenderInBothLanguages renders every page in Malay and English
// and looks for a string of each language.
func TestPagesRenderInBothLanguages(t *testing.T) {
	e := newTestEnv(t, Options{Demo: true, DemoAccounts: func() []DemoAccount {
		return []DemoAccount{{Email: "agent@sentosa.test", Password: testPassword, Role: jaga.RoleSupportAgent, Organisation: "Sentosa", Code: "123456"}}
	}})
	w := e.newWorld()
	e.contractorRead(w)

	anon := e.browser()
	citizen := e.browser()
	citizen.signInCitizen(w.contact, "+60123456789")
	staff := e.browser()
	staff.signInStaff(w.agent)

	pages := []struct {
		name    string
		who     *browser
		path    string
		status  int
		message string // a message id the page shows
	}{
		{"home", anon, "/", 200, "home.heading"},
		{"signin", anon, "/signin", 200, "signin.contact_label"},
		{"signin verify", anon, "/signin/verify?challenge=x", 200, "verify.code_label"},
		{"authorised organisations", anon, "/authorised-organisations", 200, "orgs.col_reference"},
		{"staff signin", anon, "/staff/signin", 200, "staffsignin.code_hint"},
		{"not found", anon, "/no/such/page", 404, "error.title.not_found"},
		{"dev outbox", anon, "/dev/outbox", 200, "outbox.banner"},
		{"me", citizen, "/me", 200, "me.dependants_heading"},
		{"me accesses", citizen, "/me/accesses", 200, "accesses.col_decision"},
		{"contact verify", citizen, "/me/contact/verify?challenge=x", 200, "verify.heading_contact"},
		{"staff dashboard", staff, "/staff", 200, "staff.lookup_heading"},
		{"staff on a citizen page", staff, "/me", 403, "wrongkind.staff_on_citizen"},
		{"citizen on a staff page", citizen, "/staff", 403, "wrongkind.citizen_on_staff"},
	}
	for _, lang := range jaga.Languages {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				p.who.setLang(lang)
				r := p.who.get(p.path)
				r.expect(t, p.status)
				if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				if cc := r.header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q", cc)
				}
				if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
					t.Errorf("no lang attribute %q", lang)
				}
				r.contains(t, e.server.i18n.T(lang, p.message), e.server.i18n.T(lang, "layout.switch"))
				if !regexp.MustCompile(`href="[^"]*[?;]lang=` + map[string]string{"ms": "en", "en": "ms"}[lang] + `"`).MatchString(r.body) {
					t.Error("no language switch link")
				}
				if strings.Contains(r.body, " style=") || strings.Contains(r.body, "<script") {
					t.Error("inline style or script")
				}
			})
		}
	}
	if m := e.server.i18n.missingIDs(); len(m) > 0 {
		t.Errorf("pages asked for missing messages: %v", m)
	}
}

// TestLanguageSelection checks the order: ?lang= (which sets the cookie
// and redirects), the cookie, Accept-Language, Malay.
func TestLanguageSelection(t *testing.T) {
	e := newTestEnv(t, Options{})
	msText, enText := e.server.i18n.T("ms", "signin.heading"), e.server.i18n.T("en", "signin.heading")

	t.Run("query sets the cookie and redirects without it", func(t *testing.T) {
		b := e.browser().noRedirects()
		r := b.get("/signin/verify?challenge=abc&lang=en")
		r.expect(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/signin/verify?challenge=abc" {
			t.Errorf("Location %q", loc)
		}
		if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, langCookie+"=en") {
			t.Errorf("Set-Cookie %q", sc)
		}
		r = b.get("/signin")
		r.expect(t, http.StatusOK)
		r.contains(t, enText)
	})
	t.Run("unsupported query language is dropped", func(t *testing.T) {
		b := e.browser().noRedirects()
		r := b.get("/signin?lang=fr")
		r.expect(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/signin" {
			t.Errorf("Location %q", loc)
		}
		if sc := r.header.Get("Set-Cookie"); strings.Contains(sc, langCookie) {
			t.Errorf("Set-Cookie %q", sc)
		}
	})

	tests := []struct {
		name, cookie, accept, want string
	}{
		{"default is Malay", "", "", "ms"},
		{"cookie en", "en", "", "en"},
		{"cookie ms beats Accept-Language", "ms", "en-GB,en;q=0.9", "ms"},
		{"cookie en beats Accept-Language", "en", "ms-MY", "en"},
		{"Accept-Language en-GB", "", "en-GB,en;q=0.9", "en"},
		{"Accept-Language ms-MY", "", "ms-MY,ms;q=0.9,en;q=0.5", "ms"},
		{"Accept-Language prefers English over Malay", "", "fr-FR,en;q=0.8,ms;q=0.5", "en"},
		{"unsupported Accept-Language", "", "fr-FR,de;q=0.8", "ms"},
		{"bad cookie falls back to Accept-Language", "xx", "en", "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.http.URL+"/signin", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
			}
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			r := e.browser().do(req)
			r.expect(t, http.StatusOK)
			want, other := msText, enText
			if tc.want == "en" {
				want, other = enText, msText
			}
			r.contains(t, want)
			r.lacks(t, other)
			if !strings.Contains(r.body, `<html lang="`+tc.want+`">`) {
				t.Errorf("lang attribute is not %s", tc.want)
			}
		})
	}
}

// TestCitizenSignInThroughForms signs in with the code from the outbox,
// edits the profile, adds a dependant, changes the email and signs out.
func TestCitizenSignInThroughForms(t *testing.T) {
	e := newTestEnv(t, Options{})
	b := e.browser()
	b.setLang("en")

	r := b.signInCitizen("new.person@example.com", "new.person@example.com")
	r.contains(t, e.server.i18n.T("en", "me.new_account"), "new.person@example.com")
	cookies := b.client.Jar.Cookies(mustURL(t, e.http.URL))
	if !hasCookie(cookies, sessionCookie) {
		t.Fatal("no session cookie after sign-in")
	}

	t.Run("profile with problems is shown again", func(t *testing.T) {
		r := b.submit("/me", "/me/profile", url.Values{"fullName": {""}, "idType": {"nric"}, "idNumber": {"12"},
			"dateOfBirth": {"1990-01-01"}, "nationality": {"MY"}, "language": {"en"}})
		r.expect(t, http.StatusBadRequest)
		r.contains(t, "Full name is required.", "An identity card number has 12 digits.")
		if !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Error("no field marked invalid")
		}
	})
	t.Run("profile saved", func(t *testing.T) {
		r := b.submit("/me", "/me/profile", url.Values{"fullName": {"Nur Iman"}, "idType": {"nric"}, "idNumber": {"950505-10-5555"},
			"dateOfBirth": {"1995-05-05"}, "nationality": {"MY"}, "address": {"Jalan 1"}, "language": {"en"}})
		r.expect(t, http.StatusOK)
		r.contains(t, "Your profile is saved.", "Nur Iman", "950505105555")
	})
	t.Run("dependant added and edited", func(t *testing.T) {
		r := b.submit("/me", "/me/dependants", url.Values{"fullName": {"Iman Junior"}, "idType": {"nric"}, "idNumber": {"150505-10-5556"},
			"dateOfBirth": {"2015-05-05"}, "nationality": {"MY"}, "language": {"ms"}})
		r.expect(t, http.StatusOK)
		r.contains(t, "The dependant is added.", "Iman Junior")
		m := regexp.MustCompile(`action="/me/dependants/([^/"]+)/profile"`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatal("no edit form for the dependant")
		}
		r = b.submit("/me", "/me/dependants/"+m[1]+"/profile", url.Values{"fullName": {"Iman Kedua"}, "idType": {"nric"},
			"idNumber": {"150505-10-5556"}, "dateOfBirth": {"2015-05-05"}, "nationality": {"MY"}, "language": {"ms"}})
		r.expect(t, http.StatusOK)
		r.contains(t, "The dependant's profile is saved.", "Iman Kedua")
	})
	t.Run("email changed with a code", func(t *testing.T) {
		r := b.submit("/me", "/me/contact", url.Values{"contact": {"iman@example.com"}})
		r.expect(t, http.StatusOK)
		if r.url.Path != "/me/contact/verify" {
			t.Fatalf("at %s", r.url)
		}
		r = b.post("/me/contact/verify", url.Values{"csrf": {r.csrf(t)}, "challenge": {r.url.Query().Get("challenge")},
			"code": {e.lastCode("iman@example.com")}})
		r.expect(t, http.StatusOK)
		r.contains(t, "Your phone number or email is changed.", "iman@example.com")
	})
	t.Run("wrong code is shown on the form", func(t *testing.T) {
		b2 := e.browser()
		b2.setLang("ms")
		r := b2.submit("/signin", "/signin", url.Values{"contact": {"019-111 2222"}})
		r.expect(t, http.StatusOK)
		code := e.lastCode("+60191112222")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		r = b2.post("/signin/verify", url.Values{"csrf": {r.csrf(t)}, "challenge": {r.url.Query().Get("challenge")}, "code": {wrong}})
		r.expect(t, http.StatusBadRequest)
		r.contains(t, "Kod salah.")
	})
	t.Run("sign out", func(t *testing.T) {
		r := b.submit("/me", "/signout", nil)
		r.expect(t, http.StatusOK)
		if r.url.Path != "/" {
			t.Errorf("after sign-out at %s", r.url)
		}
		r = b.noRedirects().get("/me")
		r.expect(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/signin" {
			t.Errorf("Location %q", loc)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func hasCookie(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

// TestSignInRequired sends anonymous visitors to the right sign-in page.
func TestSignInRequired(t *testing.T) {
	e := newTestEnv(t, Options{})
	b := e.browser().noRedirects()
	for _, tc := range []struct{ path, to string }{
		{"/me", "/signin"},
		{"/me/accesses", "/signin"},
		{"/me/contact/verify?challenge=x", "/signin"},
		{"/staff", "/staff/signin"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := b.get(tc.path)
			r.expect(t, http.StatusSeeOther)
			if loc := r.header.Get("Location"); loc != tc.to {
				t.Errorf("Location %q, want %q", loc, tc.to)
			}
		})
	}
}

// TestFormCSRF refuses forms without the right token, before and after
// sign-in, with the form-expired page in the page's language.
func TestFormCSRF(t *testing.T) {
	e := newTestEnv(t, Options{})
	w := e.newWorld()
	citizen := e.browser()
	citizen.signInCitizen(w.contact, "+60123456789")
	// The double-submit token the citizen's browser got before sign-in.
	var preSignIn string
	for _, c := range citizen.client.Jar.Cookies(mustURL(t, e.http.URL)) {
		if c.Name == csrfCookie {
			preSignIn = c.Value
		}
	}
	if preSignIn == "" {
		t.Fatal("no csrf cookie before sign-in")
	}

	tests := []struct {
		name string
		b    *browser
		lang string
		path string
		csrf func(b *browser) string // "" leaves the field out
	}{
		{"sign-in without csrf", e.browser(), "ms", "/signin", func(b *browser) string { b.get("/signin"); return "" }},
		{"sign-in with a wrong csrf", e.browser(), "en", "/signin", func(b *browser) string { b.get("/signin"); return "wrong-token-wrong-token-wrong-token" }},
		{"sign-in without the cookie", e.browser(), "ms", "/signin", func(*browser) string { return strings.Repeat("a", 64) }},
		{"staff sign-in without csrf", e.browser(), "en", "/staff/signin", func(*browser) string { return "" }},
		{"profile without csrf", citizen, "en", "/me/profile", func(*browser) string { return "" }},
		{"profile with the pre-sign-in token", citizen, "ms", "/me/profile", func(*browser) string { return preSignIn }},
		{"sign-out with a wrong csrf", citizen, "en", "/signout", func(*browser) string { return "nope" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.b.setLang(tc.lang)
			form := url.Values{"contact": {"012-999 8888"}, "fullName": {"X"}}
			if tok := tc.csrf(tc.b); tok != "" {
				form.Set("csrf", tok)
			}
			r := tc.b.post(tc.path, form)
			r.expect(t, http.StatusForbidden)
			r.contains(t, e.server.i18n.T(tc.lang, "err.csrf"))
		})
	}
	// The citizen is still signed in: no form above changed anything.
	r := citizen.get("/me")
	r.expect(t, http.StatusOK)
	r.lacks(t, `value="X"`)
}

// TestFormBodyCap answers a form over 64 KiB with 413.
func TestFormBodyCap(t *testing.T) {
	e := newTestEnv(t, Options{})
	b := e.browser()
	b.setLang("en")
	tok := b.get("/signin").csrf(t)
	r := b.post("/signin", url.Values{"csrf": {tok}, "contact": {strings.Repeat("9", MaxBodyBytes+10)}})
	r.expect(t, http.StatusRequestEntityTooLarge)
	r.contains(t, e.server.i18n.T("en", "error.title.too_large"))
}

// TestFormErrors shows a form again with its problems, translated.
func TestFormErrors(t *testing.T) {
	e := newTestEnv(t, Options{})
	tests := []struct {
		name, lang, contact string
		want                []string
	}{
		{"empty ms", "ms", "", []string{"Masukkan nombor telefon atau alamat e-mel."}},
		{"empty en", "en", "", []string{"Enter a phone number or an email address."}},
		{"bad phone en", "en", "12345", []string{"Start the phone number with 0 or with + and the country code."}},
		{"bad email ms", "ms", "a@b", []string{"Alamat e-mel memerlukan domain seperti contoh.com."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			b.setLang(tc.lang)
			r := b.submit("/signin", "/signin", url.Values{"contact": {tc.contact}})
			r.expect(t, http.StatusBadRequest)
			r.contains(t, tc.want...)
			if t.Failed() {
				t.Log(excerpt(r.body))
			}
			if !strings.Contains(r.body, `name="contact" type="text" inputmode="email" autocomplete="username" maxlength="254" required value="`+tc.contact+`"`) {
				t.Error("the contact typed is not shown again")
			}
		})
	}
}

// TestNotFound renders the not-found page for unknown pages, and leaves
// /api/ to the JSON API.
func TestNotFound(t *testing.T) {
	e := newTestEnv(t, Options{})
	b := e.browser()
	for _, tc := range []struct{ name, path, ct string }{
		{"page", "/nothing-here", "text/html; charset=utf-8"},
		{"static", "/static/nothing.css", "text/html; charset=utf-8"},
		{"api", "/api/v1/nothing", "application/json; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.get(tc.path)
			r.expect(t, http.StatusNotFound)
			if ct := r.header.Get("Content-Type"); ct != tc.ct {
				t.Errorf("Content-Type %q, want %q", ct, tc.ct)
			}
		})
	}
	r := b.get("/static/jaga.css")
	r.expect(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("CSS Content-Type %q", ct)
	}
}

// TestDevOutbox serves the outbox only in demo mode.
func TestDevOutbox(t *testing.T) {
	t.Run("not demo", func(t *testing.T) {
		e := newTestEnv(t, Options{})
		b := e.browser()
		b.setLang("en")
		r := b.get("/dev/outbox")
		r.expect(t, http.StatusNotFound)
		r.contains(t, e.server.i18n.T("en", "error.title.not_found"))
		r.lacks(t, e.server.i18n.T("en", "outbox.banner"))
	})
	t.Run("demo", func(t *testing.T) {
		e := newTestEnv(t, Options{Demo: true, DemoAccounts: func() []DemoAccount {
			return []DemoAccount{{Email: "agent@sentosa.demo", Password: "jaga-demo-password", Role: jaga.RoleSupportAgent,
				Organisation: "Sentosa Helpdesk", Code: "654321"}}
		}})
		if _, err := e.svc.Accounts.StartSignIn(context.Background(), "outbox.test@example.com"); err != nil {
			t.Fatal(err)
		}
		for _, lang := range jaga.Languages {
			t.Run(lang, func(t *testing.T) {
				b := e.browser()
				b.setLang(lang)
				r := b.get("/dev/outbox")
				r.expect(t, http.StatusOK)
				r.contains(t, e.server.i18n.T(lang, "outbox.banner"), "outbox.test@example.com", "Kod jaga / jaga code",
					e.lastCode("outbox.test@example.com"), "agent@sentosa.demo", "jaga-demo-password", "654321",
					e.server.i18n.Role(lang, jaga.RoleSupportAgent))
			})
		}
	})
}

// TestAccessesShowContractorAccess shows the citizen a contractor's read:
// the organisation, the purpose in the page's language, never the agent.
func TestAccessesShowContractorAccess(t *testing.T) {
	e := newTestEnv(t, Options{})
	w := e.newWorld()
	b := e.browser()
	b.setLang("ms")
	b.signInCitizen(w.contact, "+60123456789")

	t.Run("empty", func(t *testing.T) {
		r := b.get("/me/accesses")
		r.expect(t, http.StatusOK)
		r.contains(t, e.server.i18n.T("ms", "accesses.empty"))
	})

	e.contractorRead(w)
	// A refused read by a contractor with no contract.
	other := &jaga.Organisation{Name: "Cahaya Outsourcing Ujian", Kind: jaga.OrgContractor}
	sys := jaga.SystemContext(context.Background())
	if err := e.svc.Organisations.CreateOrganisation(sys, other); err != nil {
		t.Fatal(err)
	}
	outsider := &jaga.Actor{Kind: jaga.ActorStaff, ID: "outsider-staff-id", OrgID: other.ID, OrgKind: jaga.OrgContractor, Role: jaga.RoleSupportAgent}
	if _, err := e.svc.People.ReadPerson(jaga.NewContextWithActor(sys, outsider), w.dependant.ID, jaga.AccessReason{
		Purpose: jaga.PurposeSupportTicket, Relationship: jaga.RelationshipCase, Reference: "TICKET-43"}); jaga.ErrorCode(err) != jaga.EFORBIDDEN {
		t.Fatalf("outsider read: %v", err)
	}

	for _, tc := range []struct {
		lang, allowed, refused, self string
		purpose                      string
	}{
		{"ms", "Dibenarkan", "Ditolak — tiada kontrak aktif", "Anda", w.purposeDescs[jaga.PurposeSupportTicket].DescriptionMS},
		{"en", "Allowed", "Refused", "You", w.purposeDescs[jaga.PurposeSupportTicket].DescriptionEN},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b.setLang(tc.lang)
			r := b.get("/me/accesses")
			r.expect(t, http.StatusOK)
			if tc.purpose == "" {
				t.Fatal("the purpose has no description")
			}
			r.contains(t, w.contractor.Name, other.Name, tc.purpose, "KKM-DPA-TEST-001",
				e.server.i18n.OrgKind(tc.lang, jaga.OrgContractor), e.server.i18n.Role(tc.lang, jaga.RoleSupportAgent),
				e.server.i18n.Category(tc.lang, jaga.CategoryIdentity), tc.allowed, tc.refused, tc.self, w.dependant.FullName)
			r.lacks(t, w.agent.Staff.ID, w.agent.Staff.DisplayName, w.agent.Staff.Email, "outsider-staff-id")
			// Newest first: the refused read of the dependant comes before the citizen's.
			if i, j := strings.Index(r.body, other.Name), strings.Index(r.body, w.contractor.Name+"<"); i < 0 || j < 0 || i > j {
				t.Errorf("not newest first (%d, %d)", i, j)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
		})
	}
}

// TestStaffSignInAndLookup signs a contractor's agent in through the form
// and looks a person up: the record is masked, with the banner.
func TestStaffSignInAndLookup(t *testing.T) {
	e := newTestEnv(t, Options{})
	w := e.newWorld()
	b := e.browser()
	b.setLang("en")
	r := b.signInStaff(w.agent)
	r.contains(t, w.agent.Staff.DisplayName, "Support agent", "Contractor", w.contractor.Name)

	lookup := func(form url.Values) *response {
		t.Helper()
		return b.submit("/staff", "/staff/people/lookup", form)
	}
	t.Run("masked record", func(t *testing.T) {
		r := lookup(url.Values{"person": {w.citizen.ID}, "purpose": {jaga.PurposeSupportTicket}, "reference": {"TICKET-7"}})
		r.expect(t, http.StatusOK)
		r.contains(t, w.citizen.FullName, jaga.MaskIDNumber(w.citizen.IDNumber), "********5678",
			e.server.i18n.T("en", "staff.masked_banner"), "1990")
		r.lacks(t, w.citizen.IDNumber, "900101-14-5678", "1990-01-01", w.citizen.Phone, w.citizen.Address)
	})
	t.Run("unmask needs a reason", func(t *testing.T) {
		r := lookup(url.Values{"person": {w.citizen.ID}, "purpose": {jaga.PurposeSupportTicket}, "reference": {"TICKET-7"}, "unmask": {"on"}})
		r.expect(t, http.StatusBadRequest)
		r.contains(t, "To see masked fields, type a reason of at least 10 characters.")
		r.lacks(t, w.citizen.IDNumber)
	})
	t.Run("refused purpose", func(t *testing.T) {
		r := lookup(url.Values{"person": {w.citizen.ID}, "purpose": {jaga.PurposeContactTracing}, "reference": {"CASE-1"}})
		r.expect(t, http.StatusForbidden)
		r.contains(t, "Access refused:")
		r.lacks(t, w.citizen.FullName)
	})
	t.Run("missing person id", func(t *testing.T) {
		b.setLang("ms")
		r := lookup(url.Values{"purpose": {jaga.PurposeSupportTicket}, "reference": {"TICKET-7"}})
		r.expect(t, http.StatusBadRequest)
		r.contains(t, "Masukkan id orang tersebut.")
		b.setLang("en")
	})
	t.Run("staff sign-in with a wrong code", func(t *testing.T) {
		b2 := e.browser()
		b2.setLang("ms")
		code, _ := totp.Code(w.officer.TOTPSecret, time.Now())
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		r := b2.submit("/staff/signin", "/staff/signin", url.Values{"email": {w.officer.Staff.Email}, "password": {testPassword}, "code": {wrong}})
		r.expect(t, http.StatusBadRequest)
		r.contains(t, "E-mel, kata laluan atau kod salah.", w.officer.Staff.Email)
		r.lacks(t, testPassword)
	})
	t.Run("sign out", func(t *testing.T) {
		r := b.submit("/staff", "/staff/signout", nil)
		r.expect(t, http.StatusOK)
		if r.url.Path != "/staff/signin" {
			t.Errorf("after sign-out at %s", r.url)
		}
		r = b.noRedirects().get("/staff")
		r.expect(t, http.StatusSeeOther)
	})
}
