package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/casecsv"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

func TestTracingAPI(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.svc.Tracing = sqlstore.NewTracingService(e.db, jaga.DefaultTracing())
	e.svc.CaseCSV, e.svc.CaseFeed = casecsv.Parse, casecsv.ParseFeed
	e.svc.Hotspots = sqlstore.NewHotspotService(e.db, jaga.HotspotConfig{})
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	w := e.newWorld()
	call := func(method, path, token, contentType, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, err := totp.Code(w.officer.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"email": "officer@moh.test", "password": testPassword, "code": code})
	status, res := call(http.MethodPost, "/api/v1/staff/sessions", "", "application/json", string(body))
	if status != http.StatusCreated {
		t.Fatalf("officer sign-in: %d %s", status, res)
	}
	var sess struct{ Token string }
	if err := json.Unmarshal([]byte(res), &sess); err != nil {
		t.Fatal(err)
	}
	officer := sess.Token
	citizen, _, err := e.accounts.CreateSession(context.Background(), &jaga.Actor{Kind: jaga.ActorCitizen, ID: w.citizen.ID})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(jaga.MalaysiaTime).Format(time.DateOnly)

	for _, tc := range []struct {
		name, method, path, token, contentType, body string
		status                                       int
		want, notWant                                string
	}{
		{"a citizen cannot see risk signed out", "GET", "/api/v1/me/risk", "", "", "", http.StatusUnauthorized, "", ""},
		{"low risk before any case", "GET", "/api/v1/me/risk", citizen, "", "", http.StatusOK, `"status":"low_risk"`, ""},
		{"a citizen cannot confirm a case", "POST", "/api/v1/cases", citizen, "application/json",
			`{"personId":"` + w.citizen.ID + `","testedOn":"` + today + `","reference":"KKM-REF-1"}`, http.StatusForbidden, "", ""},
		{"onset after test", "POST", "/api/v1/cases", officer, "application/json",
			`{"personId":"` + w.citizen.ID + `","testedOn":"` + today + `","onsetOn":"2999-01-01","reference":"KKM-REF-1"}`, http.StatusBadRequest, "onsetOn", ""},
		{"the officer confirms a case", "POST", "/api/v1/cases", officer, "application/json",
			`{"personId":"` + w.citizen.ID + `","testedOn":"` + today + `","reference":"KKM-REF-1"}`, http.StatusCreated, `"contacts":1`, ""},
		{"the citizen and the dependant see their statuses and reasons", "GET", "/api/v1/me/risk", citizen, "", "", http.StatusOK,
			`"status":"close_contact"`, "KKM-REF-1"},
		{"a malformed CSV is refused whole", "POST", "/api/v1/cases/imports", officer, "text/csv",
			"idNumber,dateOfBirth,testedOn,reference\n111111111111,1990-01-01,nope,X\n", http.StatusUnprocessableEntity, `"field":"testedOn"`, ""},
		{"a lab feed with an unknown person is refused whole", "POST", "/api/v1/cases/lab-feed", officer, "application/json",
			`{"cases":[{"idNumber":"111111111111","dateOfBirth":"1990-01-01","testedOn":"` + today + `","reference":"LAB-1"}]}`,
			http.StatusUnprocessableEntity, "No person with this identity number", "111111111111"},
		{"a day traced again", "POST", "/api/v1/tracing/days/" + today, officer, "", "", http.StatusOK, `"cases":1`, ""},
		{"anyone sees area hotspots with the criteria", "GET", "/api/v1/hotspots?lat=2.99&lon=101.79", "", "", "", http.StatusOK,
			`"criteria":{"radiusM":1000,"minCases":10,"windowDays":14}`, ""},
		{"area hotspots need a place", "GET", "/api/v1/hotspots?lat=north&lon=101.79", "", "", "", http.StatusBadRequest, `"lat"`, ""},
		{"area hotspots within at most 50 km", "GET", "/api/v1/hotspots?lat=2.99&lon=101.79&within=90000", "", "", "", http.StatusBadRequest, `"within"`, ""},
		{"the officer lists premises hotspots", "GET", "/api/v1/tracing/hotspots", officer, "", "", http.StatusOK, `"items":[]`, ""},
		{"a citizen may not list premises hotspots", "GET", "/api/v1/tracing/hotspots", citizen, "", "", http.StatusForbidden, "", ""},
		{"premises hotspots need a sign-in", "GET", "/api/v1/tracing/hotspots", "", "", "", http.StatusUnauthorized, "", ""},
		{"a decision on no hotspot", "POST", "/api/v1/tracing/hotspots/nope/decision", officer, "application/json", `{"decision":"confirm"}`,
			http.StatusNotFound, "", ""},
		{"a decision of the wrong kind", "POST", "/api/v1/tracing/hotspots/nope/decision", officer, "application/json", `{"decision":"maybe"}`,
			http.StatusBadRequest, `"decision"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, res := call(tc.method, tc.path, tc.token, tc.contentType, tc.body)
			if status != tc.status || !strings.Contains(res, tc.want) || (tc.notWant != "" && strings.Contains(res, tc.notWant)) {
				t.Fatalf("%s %s = %d %s; want %d with %q, without %q", tc.method, tc.path, status, res, tc.status, tc.want, tc.notWant)
			}
		})
	}
	t.Run("the officer reads the contacts", func(t *testing.T) {
		status, res := call("POST", "/api/v1/cases", officer, "application/json", `{"personId":"`+w.citizen.ID+`","testedOn":"`+today+`","reference":"KKM-REF-1"}`)
		if status != http.StatusConflict {
			t.Fatalf("again: %d %s", status, res)
		}
		id := caseID(t, e, w.citizen.ID)
		status, res = call("GET", "/api/v1/cases/"+id+"/contacts", officer, "", "")
		if status != http.StatusOK || !strings.Contains(res, "Adam bin Hakim") {
			t.Fatalf("contacts: %d %s", status, res)
		}
		if !strings.Contains(res, `"link":"guardian"`) {
			t.Fatalf("contacts: %s", res)
		}
	})
}

// caseID returns the id of a person's case.
func caseID(t *testing.T, e *testEnv, personID string) string {
	t.Helper()
	tx, err := e.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRow(`SELECT id FROM cases WHERE person_id = $1`, personID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRiskPage(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.svc.Tracing = sqlstore.NewTracingService(e.db, jaga.DefaultTracing())
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	e.http.Config.Handler = srv
	w := e.newWorld()
	b := e.browser()
	t.Run("anonymous goes to sign in", func(t *testing.T) {
		r := b.noRedirects().get("/me/risk")
		r.expect(t, http.StatusSeeOther)
	})
	me := b.signInCitizen(w.contact, "+60123456789")
	me.contains(t, `href="/me/risk"`)
	t.Run("low risk, with what to do", func(t *testing.T) {
		r := b.get("/me/risk?lang=en")
		r.expect(t, http.StatusOK)
		r.contains(t, "Low risk", "Nothing to do.", "No status has been given.")
	})
	officer := &jaga.Actor{Kind: jaga.ActorStaff, ID: w.officer.Staff.ID, OrgID: w.ministry.ID, OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer}
	today := time.Now().In(jaga.MalaysiaTime).Format(time.DateOnly)
	if _, err := e.svc.Tracing.ConfirmCase(jaga.NewContextWithActor(context.Background(), officer),
		jaga.CaseRecord{PersonID: w.citizen.ID, TestedOn: today, Reference: "KKM-REF-PAGE"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, lang string
		want       []string
	}{
		{"in English", "en", []string{"Confirmed case", "You tested positive.", "Positive case", "Isolate at home until the end date.",
			"Close contact", "Your guardian is a positive case.", "household", "Quarantine at home", "in force"}},
		{"in Malay", "ms", []string{"Kes disahkan", "Anda disahkan positif.", "Kontak rapat", "Penjaga anda ialah kes positif.", "berkuat kuasa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.get("/me/risk?lang=" + tc.lang)
			r.expect(t, http.StatusOK)
			r.contains(t, tc.want...)
			r.lacks(t, "KKM-REF-PAGE", "<script", "style=")
		})
	}
}
