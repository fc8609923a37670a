package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// posterCall is one call of the test's poster renderer.
type posterCall struct {
	premisesID, name, shortCode, token, lang, kind string
}

// checkInEnv is a testEnv whose server renders stub posters, with a
// premises owner, its staff and a premises, and a second citizen with a
// dependant of their own.
type checkInEnv struct {
	*testEnv
	w          *world
	owner      *jaga.Organisation
	ownerStaff *jaga.StaffEnrolment
	premises   *jaga.Premises
	other      *jaga.Person // another citizen
	otherDep   *jaga.Person // the other citizen's dependant

	mu      sync.Mutex
	posters []posterCall
}

func newCheckInEnv(t *testing.T) *checkInEnv {
	t.Helper()
	e := &checkInEnv{testEnv: newTestEnv(t, Options{})}
	// The web package never renders posters itself: cmd/jaga passes
	// poster.PDF and poster.PNG. The stub records what it was asked.
	e.svc.Posters = func(p *jaga.Premises, token, lang, kind string) ([]byte, error) {
		e.mu.Lock()
		e.posters = append(e.posters, posterCall{p.ID, p.Name, p.ShortCode, token, lang, kind})
		e.mu.Unlock()
		if kind == "pdf" {
			return []byte("%PDF-1.4\n% stub poster\n%%EOF\n"), nil
		}
		return []byte("\x89PNG\r\n\x1a\nstub poster"), nil
	}
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.server, e.http = srv, hs

	e.w = e.newWorld()
	ctx := jaga.SystemContext(context.Background())
	e.owner = &jaga.Organisation{Name: "Kopitiam Ujian Sdn Bhd", Kind: jaga.OrgPremisesOwner}
	if err := e.svc.Organisations.CreateOrganisation(ctx, e.owner); err != nil {
		t.Fatal(err)
	}
	e.ownerStaff, err = e.svc.Organisations.CreateStaff(ctx, jaga.NewStaff{OrgID: e.owner.ID, Email: "staff@kopitiam.test",
		DisplayName: "Lee Ah Kow", Role: jaga.RolePremisesStaff, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.premises = &jaga.Premises{OrgID: e.owner.ID, Name: "Kopitiam Ujian Melati", Type: "restaurant",
		Address: "3 Jalan Melati, 43000 Kajang", State: "Selangor", Latitude: 2.9927, Longitude: 101.7909, Capacity: 80}
	if err := e.svc.Premises.CreatePremises(ctx, e.premises); err != nil {
		t.Fatal(err)
	}
	e.other, err = e.accounts.RegisterCitizen(ctx, jaga.Contact{Kind: jaga.ContactEmail, Value: "other@example.com"}, jaga.Profile{
		FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC, IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15",
		Nationality: "MY", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	e.otherDep, err = e.svc.People.AddDependant(jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: e.other.ID}),
		jaga.Profile{FullName: "Tan Mei Ling", IDType: jaga.IDTypeNRIC, IDNumber: "170101-07-1234", DateOfBirth: "2017-01-01",
			Nationality: "MY", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	// The dependant is a close contact, partly vaccinated: amber twice.
	e.exec(`UPDATE people SET risk_status = $1, risk_until = $2, vaccination_status = $3 WHERE id = $4`,
		jaga.RiskClose, time.Now().UTC().Add(7*24*time.Hour), jaga.VaxPartial, e.w.dependant.ID)
	return e
}

// exec runs one statement on the store, for what no service arranges.
func (e *checkInEnv) exec(query string, args ...any) {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		e.t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
}

// checkIns counts the stored check-ins of a person, or of everyone.
func (e *checkInEnv) checkIns(personID string) int {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM checkins c JOIN people pe ON pe.seq = c.person WHERE $1 = '' OR pe.id = $1`, personID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// visits lists the citizen's visits through the service.
func (e *checkInEnv) visits() []jaga.Visit {
	e.t.Helper()
	ctx := jaga.NewContextWithActor(context.Background(), &jaga.Actor{Kind: jaga.ActorCitizen, ID: e.w.citizen.ID})
	vs, err := e.svc.CheckIns.Visits(ctx, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return vs
}

func (e *checkInEnv) T(lang, id string, kv ...any) string { return e.server.i18n.T(lang, id, kv...) }

// checkInForm is the form that checks in the citizen and the given
// dependants with a typed code.
func checkInForm(code string, self bool, dependants ...string) url.Values {
	f := url.Values{"shortCode": {code}, "dependants": dependants}
	if self {
		f.Set("myself", "on")
	}
	return f
}

var checkoutAction = `action="/checkin/`

func TestCheckInPages(t *testing.T) {
	e := newCheckInEnv(t)
	w := e.w
	b := e.browser()
	b.signInCitizen(w.contact, "+60123456789")
	b.setLang("ms")
	typed := strings.ToLower(strings.ReplaceAll(e.premises.ShortCode, "-", " ")) // as a visitor might type it

	t.Run("form offers myself and the dependants", func(t *testing.T) {
		r := b.get("/checkin")
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "checkin.heading"), e.T("ms", "checkin.myself")+" (Aisyah binti Rahman)", "Adam bin Hakim",
			`name="shortCode"`, `name="myself" type="checkbox" value="on" checked`, `name="dependants" type="checkbox" value="`+w.dependant.ID+`"`)
		r.lacks(t, "Tan Mei Ling")
	})

	var visitIDs []string
	t.Run("self and a dependant: two door cards in Malay", func(t *testing.T) {
		r := b.submit("/checkin", "/checkin", checkInForm(typed, true, w.dependant.ID))
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "door.checked_in"), "Kopitiam Ujian Melati", "Aisyah binti Rahman", "Adam bin Hakim",
			"Risiko rendah", "Kontak rapat", "Tiada rekod vaksinasi", "Vaksinasi separa",
			`status risk tone-green`, `status risk tone-amber`, `status vax tone-grey`, `status vax tone-amber`)
		r.lacks(t, "Low risk", "Close contact", e.T("ms", "door.same_visit", "Time", ""))
		if n := strings.Count(r.body, `class="door-card"`); n != 2 {
			t.Errorf("%d door cards, want 2", n)
		}
		if n := strings.Count(r.body, checkoutAction); n != 2 {
			t.Errorf("%d check-out forms, want 2", n)
		}
		// The time, in Malaysia time and Malay words.
		r.contains(t, e.server.i18n.Date("ms", time.Now()))
		vs := e.visits()
		if len(vs) != 2 {
			t.Fatalf("%d visits stored, want 2", len(vs))
		}
		for _, v := range vs {
			if v.Source != jaga.SourceCode || v.PremisesID != e.premises.ID {
				t.Errorf("visit %+v: want source code at the premises", v)
			}
			r.contains(t, `action="/checkin/`+v.ID+`/checkout"`)
			visitIDs = append(visitIDs, v.ID)
		}
	})

	t.Run("again in English: the same visit, English labels", func(t *testing.T) {
		b.setLang("en")
		defer b.setLang("ms")
		r := b.submit("/checkin", "/checkin", checkInForm(e.premises.ShortCode, true, w.dependant.ID))
		r.expect(t, http.StatusOK)
		r.contains(t, "Low risk", "Close contact", "No vaccination recorded", "Partially vaccinated", e.T("en", "door.risk"))
		r.lacks(t, "Risiko rendah", "Kontak rapat", "Vaksinasi separa")
		if n := strings.Count(r.body, `class="door-same"`); n != 2 {
			t.Errorf("%d same-visit notes, want 2", n)
		}
		if n := len(e.visits()); n != 2 {
			t.Errorf("%d visits stored, want still 2", n)
		}
	})

	t.Run("someone else's dependant is refused and nothing stored", func(t *testing.T) {
		before := e.checkIns("")
		r := b.submit("/checkin", "/checkin", checkInForm(e.premises.ShortCode, true, e.otherDep.ID))
		r.expect(t, http.StatusBadRequest)
		r.contains(t, e.T("ms", "checkin.err_not_dependant"), `action="/checkin"`, e.premises.ShortCode)
		r.lacks(t, "Tan Mei Ling", `class="door-card"`)
		if n := e.checkIns(""); n != before {
			t.Errorf("%d check-ins stored, want %d", n, before)
		}
		if n := e.checkIns(e.otherDep.ID); n != 0 {
			t.Errorf("the other citizen's dependant has %d check-ins", n)
		}
	})

	t.Run("form problems", func(t *testing.T) {
		tests := []struct {
			name string
			form url.Values
			want string
		}{
			{"unknown code", checkInForm("ZZZZ-ZZZZ", true), "checkin.err_code_unknown"},
			{"malformed code", checkInForm("K7Q", true), "checkin.err_code_format"},
			{"no code", checkInForm("", true), "checkin.err_code_required"},
			{"nobody", checkInForm(e.premises.ShortCode, false), "checkin.err_nobody"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.checkIns("")
				r := b.submit("/checkin", "/checkin", tc.form)
				r.expect(t, http.StatusBadRequest)
				r.contains(t, e.T("ms", tc.want), `action="/checkin"`, `role="alert"`)
				if tc.name == "unknown code" {
					r.contains(t, `value="ZZZZ-ZZZZ" aria-describedby="checkin-shortCode-hint" aria-invalid="true"`)
				}
				if n := e.checkIns(""); n != before {
					t.Errorf("%d check-ins stored, want %d", n, before)
				}
			})
		}
		t.Run("unknown code in English", func(t *testing.T) {
			b.setLang("en")
			defer b.setLang("ms")
			r := b.submit("/checkin", "/checkin", checkInForm("ZZZZ-ZZZZ", true))
			r.expect(t, http.StatusBadRequest)
			r.contains(t, "No premises has this code. Check the code on the poster.")
		})
	})

	t.Run("no CSRF token: 403 and nothing stored", func(t *testing.T) {
		before := e.checkIns("")
		r := b.post("/checkin", checkInForm(e.premises.ShortCode, true, w.dependant.ID))
		r.expect(t, http.StatusForbidden)
		r.contains(t, e.T("ms", "err.csrf"))
		r = b.post("/checkin/"+visitIDs[0]+"/checkout", url.Values{})
		r.expect(t, http.StatusForbidden)
		if n := e.checkIns(""); n != before {
			t.Errorf("%d check-ins stored, want %d", n, before)
		}
		for _, v := range e.visits() {
			if v.CheckedOutAt != nil {
				t.Errorf("visit %s checked out without a token", v.ID)
			}
		}
	})

	t.Run("my visits lists both", func(t *testing.T) {
		r := b.get("/me/visits")
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "visits.heading"), "Kopitiam Ujian Melati", "Aisyah binti Rahman", "Adam bin Hakim", e.T("ms", "visits.checkout"))
		for _, id := range visitIDs {
			r.contains(t, `action="/checkin/`+id+`/checkout"`)
		}
		// The navigation links to it from /me.
		b.get("/me").contains(t, `href="/me/visits"`, `href="/checkin"`)
	})

	t.Run("check out", func(t *testing.T) {
		r := b.submit("/me/visits", "/checkin/"+visitIDs[0]+"/checkout", nil)
		r.expect(t, http.StatusOK)
		if r.url.Path != "/me/visits" {
			t.Errorf("after check-out at %s, want /me/visits", r.url)
		}
		r.contains(t, e.T("ms", "visits.done_checkout"))
		if n := strings.Count(r.body, checkoutAction); n != 1 {
			t.Errorf("%d check-out buttons after checking out one visit, want 1", n)
		}
		for _, v := range e.visits() {
			if (v.ID == visitIDs[0]) != (v.CheckedOutAt != nil) {
				t.Errorf("visit %s: checked out %v", v.ID, v.CheckedOutAt)
			}
		}
		r = b.submit("/me/visits", "/checkin/"+visitIDs[0]+"/checkout", nil)
		r.expect(t, http.StatusConflict)
		r.contains(t, e.T("ms", "checkin.err_visit_ended"))
		r = b.submit("/me/visits", "/checkin/no-such-visit/checkout", nil)
		r.expect(t, http.StatusNotFound)
		r.contains(t, e.T("ms", "checkin.err_no_visit"))
	})

	t.Run("only for citizens", func(t *testing.T) {
		anon := e.browser().noRedirects()
		r := anon.get("/checkin")
		r.expect(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/signin" {
			t.Errorf("anonymous /checkin goes to %q", loc)
		}
		staff := e.browser()
		staff.signInStaff(e.ownerStaff)
		staff.get("/checkin").expect(t, http.StatusForbidden)
		staff.get("/me/visits").expect(t, http.StatusForbidden)
	})

	if m := e.server.i18n.missingIDs(); len(m) > 0 {
		t.Errorf("pages asked for missing messages: %v", m)
	}
}

func TestPremisesPages(t *testing.T) {
	e := newCheckInEnv(t)
	ctx := jaga.SystemContext(context.Background())

	// Two visitors today, so that the counts show them.
	citizen := e.browser()
	citizen.signInCitizen(e.w.contact, "+60123456789")
	citizen.submit("/checkin", "/checkin", checkInForm(e.premises.ShortCode, true, e.w.dependant.ID)).expect(t, http.StatusOK)

	staff := e.browser()
	staff.signInStaff(e.ownerStaff)
	staff.setLang("ms")

	t.Run("lists the premises with code, posters and counts only", func(t *testing.T) {
		r := staff.get("/staff/premises")
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "premises.heading"), "Kopitiam Ujian Sdn Bhd", "Kopitiam Ujian Melati", e.premises.ShortCode, "Restoran",
			`href="/api/v1/premises/`+e.premises.ID+`/poster.pdf?lang=ms"`, `href="/api/v1/premises/`+e.premises.ID+`/poster.png?lang=ms"`,
			`action="/staff/premises/`+e.premises.ID+`/rotate"`, e.T("ms", "premises.today_caption", "Total", 2),
			`href="/staff/premises"`)
		r.lacks(t, "Aisyah", "Adam bin Hakim", "900101")
		hour := time.Now().In(e.server.i18n.location).Format("15") + ":00"
		r.contains(t, `<th scope="col">`+hour+`</th>`)
	})

	t.Run("register a premises", func(t *testing.T) {
		bad := url.Values{"name": {"K"}, "type": {"spaceship"}, "address": {"Jalan Melati 5"}, "state": {"Selangor"},
			"latitude": {"utara"}, "longitude": {"101.8"}, "capacity": {"0"}}
		r := staff.submit("/staff/premises", "/staff/premises", bad)
		r.expect(t, http.StatusBadRequest)
		r.contains(t, e.T("ms", "premises.err_name"), e.T("ms", "premises.err_type"), e.T("ms", "premises.err_coordinates"),
			e.T("ms", "premises.err_capacity"), e.T("ms", "err.fields_invalid"), `value="utara"`)

		good := url.Values{"name": {"Pasar Raya Ujian"}, "type": {"supermarket"}, "address": {"15 Jalan Melati, 43000 Kajang"},
			"state": {"Selangor"}, "latitude": {"2.9931"}, "longitude": {"101.7915"}, "capacity": {"300"}}
		r = staff.submit("/staff/premises", "/staff/premises", good)
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "premises.done_created"), "Pasar Raya Ujian", "Pasar raya")
		ps, err := e.svc.Premises.OrganisationPremises(ctx, e.owner.ID)
		if err != nil || len(ps) != 2 {
			t.Fatalf("the owner has %d premises (%v), want 2", len(ps), err)
		}
	})

	t.Run("poster PDF and PNG for the owner's staff", func(t *testing.T) {
		r := staff.get("/api/v1/premises/" + e.premises.ID + "/poster.pdf")
		r.expect(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.HasPrefix(r.body, "%PDF") {
			t.Errorf("body starts %q", excerpt(r.body)[:8])
		}
		want := "attachment; filename=jaga-poster-kopitiam-ujian-melati-" + e.premises.ShortCode + "-ms.pdf"
		if cd := r.header.Get("Content-Disposition"); cd != want {
			t.Errorf("Content-Disposition %q, want %q", cd, want)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		r = staff.get("/api/v1/premises/" + e.premises.ID + "/poster.png?lang=en")
		r.expect(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "image/png" || !strings.HasPrefix(r.body, "\x89PNG") {
			t.Errorf("PNG: Content-Type %q, body %q", ct, r.body[:4])
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasSuffix(cd, "-en.png") {
			t.Errorf("Content-Disposition %q", cd)
		}
		staff.get("/api/v1/premises/"+e.premises.ID+"/poster.png?lang=fr").expect(t, http.StatusBadRequest)

		e.mu.Lock()
		calls := append([]posterCall(nil), e.posters...)
		e.mu.Unlock()
		if len(calls) != 2 {
			t.Fatalf("%d posters rendered, want 2", len(calls))
		}
		for i, want := range []struct{ lang, kind string }{{"ms", "pdf"}, {"en", "png"}} {
			c := calls[i]
			if c.premisesID != e.premises.ID || c.name != e.premises.Name || c.shortCode != e.premises.ShortCode ||
				!strings.HasPrefix(c.token, jaga.PremisesTokenPrefix) || c.lang != want.lang || c.kind != want.kind {
				t.Errorf("poster %d rendered with %+v", i, c)
			}
			if _, err := jaga.ParsePremisesToken(e.db.TokenKey, c.token); err != nil {
				t.Errorf("poster %d token: %v", i, err)
			}
		}
	})

	t.Run("another organisation's staff: 404", func(t *testing.T) {
		rival := &jaga.Organisation{Name: "Restoran Saingan Sdn Bhd", Kind: jaga.OrgPremisesOwner}
		if err := e.svc.Organisations.CreateOrganisation(ctx, rival); err != nil {
			t.Fatal(err)
		}
		en, err := e.svc.Organisations.CreateStaff(ctx, jaga.NewStaff{OrgID: rival.ID, Email: "staff@saingan.test",
			DisplayName: "Saingan", Role: jaga.RolePremisesStaff, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		other := e.browser()
		other.signInStaff(en)
		for _, kind := range []string{"pdf", "png"} {
			r := other.get("/api/v1/premises/" + e.premises.ID + "/poster." + kind)
			r.expect(t, http.StatusNotFound)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		}
		r := other.get("/staff/premises")
		r.expect(t, http.StatusOK)
		r.lacks(t, "Kopitiam Ujian Melati", e.premises.ShortCode)
		r.contains(t, e.T("ms", "premises.empty"))
		other.submit("/staff/premises", "/staff/premises/"+e.premises.ID+"/rotate", nil).expect(t, http.StatusNotFound)
		e.browser().get("/api/v1/premises/"+e.premises.ID+"/poster.pdf").expect(t, http.StatusUnauthorized)
		// A contractor's agent is not offered the page and may not use it.
		agent := e.browser()
		agent.signInStaff(e.w.agent).lacks(t, `href="/staff/premises"`)
		agent.get("/staff/premises").expect(t, http.StatusForbidden)
	})

	t.Run("rotate the code", func(t *testing.T) {
		old := e.premises.ShortCode
		r := staff.submit("/staff/premises", "/staff/premises/"+e.premises.ID+"/rotate", nil)
		r.expect(t, http.StatusOK)
		r.contains(t, e.T("ms", "premises.done_rotated"))
		p, err := e.svc.Premises.Premises(jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: e.ownerStaff.Staff.ID,
			OrgID: e.owner.ID, OrgKind: jaga.OrgPremisesOwner, Role: jaga.RolePremisesStaff}), e.premises.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.ShortCode == old || p.TokenVersion != 2 {
			t.Fatalf("after rotation: code %s (was %s), version %d", p.ShortCode, old, p.TokenVersion)
		}
		r.contains(t, p.ShortCode)
		r.lacks(t, old)
		r = citizen.submit("/checkin", "/checkin", checkInForm(old, true))
		r.expect(t, http.StatusBadRequest)
		r.contains(t, e.T("ms", "checkin.err_code_unknown"))
	})

	if m := e.server.i18n.missingIDs(); len(m) > 0 {
		t.Errorf("pages asked for missing messages: %v", m)
	}
}

// TestCheckInMessages checks that every message these pages build from a
// closed set or a domain message exists in both languages.
func TestCheckInMessages(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, dm := range checkInMessages {
		ids = append(ids, dm.id)
	}
	for typ := range jaga.PremisesTypes {
		ids = append(ids, "premisestype."+typ)
	}
	// Status names come from the domain, the one place they are worded.
	for _, r := range jaga.RiskStatuses {
		for _, l := range jaga.Languages {
			if jaga.StatusName(l, r) == r {
				t.Errorf("status %q has no name in %s", r, l)
			}
		}
	}
	for _, v := range []string{jaga.VaxNotRecorded, jaga.VaxPartial, jaga.VaxComplete, jaga.VaxBooster} {
		ids = append(ids, "vax."+v)
	}
	for _, id := range ids {
		for _, l := range jaga.Languages {
			if !tr.has(l, id) {
				t.Errorf("message %q missing from %s.json", id, l)
			}
		}
	}
	if got := tr.T("ms", "checkin.err_too_many", "N", "10"); !strings.Contains(got, "10") {
		t.Errorf("err_too_many: %q", got)
	}
	for _, tc := range []struct{ risk, vax, riskTone, vaxTone string }{
		{jaga.RiskLow, jaga.VaxComplete, "green", "green"},
		{jaga.RiskCasual, jaga.VaxPartial, "amber", "amber"},
		{jaga.RiskClose, jaga.VaxBooster, "amber", "green"},
		{jaga.RiskSurveillance, jaga.VaxNotRecorded, "red", "grey"},
		{jaga.RiskConfirmed, "something new", "red", "grey"},
	} {
		if got := riskTone(tc.risk); got != tc.riskTone {
			t.Errorf("riskTone(%s) = %s, want %s", tc.risk, got, tc.riskTone)
		}
		if got := vaxTone(tc.vax); got != tc.vaxTone {
			t.Errorf("vaxTone(%s) = %s, want %s", tc.vax, got, tc.vaxTone)
		}
	}
	for _, tc := range []struct{ name, code, want string }{
		{"Kopitiam Sri Melati", "K7QX-M4PD", "jaga-poster-kopitiam-sri-melati-K7QX-M4PD-ms.pdf"},
		{"Café «Ñoño» / 88 — Jalan \"Ampang\"", "K7QX-M4PD", "jaga-poster-caf-o-o-88-jalan-ampang-K7QX-M4PD-ms.pdf"},
		{"粥店", "", "jaga-poster-premises-ms.pdf"},
	} {
		if got := posterFileName(&jaga.Premises{Name: tc.name, ShortCode: tc.code}, "ms", "pdf"); got != tc.want {
			t.Errorf("posterFileName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
