package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/dosecsv"
	"github.com/jaga-health/jaga/fhir"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// doseEnv is a testEnv wired with the dose service and both parsers, with
// the people of the dose fixtures (dosecsv/testdata, fhir/testdata), a
// vaccination centre and its vaccinator signed in through the API.
type doseEnv struct {
	*testEnv
	w                  *world
	centre             *jaga.Organisation
	vaccinator         string // bearer token
	citizen            string // bearer token of the world's citizen
	dpo1, dpo2         *jaga.Actor
	tan, priya, hakim  *jaga.Person
	vaccinatorEnrolled *jaga.StaffEnrolment
}

func newDoseEnv(t *testing.T) *doseEnv {
	t.Helper()
	e := &doseEnv{testEnv: newTestEnv(t, Options{})}
	e.svc.Doses = sqlstore.NewDoseService(e.db)
	e.svc.DoseParsers = map[string]jaga.DoseParser{"text/csv": dosecsv.Parse, "application/fhir+json": fhir.ParseImmunizationBundle}
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.server, e.http = srv, hs

	e.w = e.newWorld()
	ctx := jaga.SystemContext(context.Background())
	register := func(contact string, p jaga.Profile) *jaga.Person {
		c, err := jaga.ParseContact(contact)
		if err != nil {
			t.Fatal(err)
		}
		person, err := e.accounts.RegisterCitizen(ctx, c, p)
		if err != nil {
			t.Fatal(err)
		}
		return person
	}
	e.tan = register("019-876 5432", jaga.Profile{FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC, IDNumber: "950815-07-5523",
		DateOfBirth: "1995-08-15", Nationality: "MY", Language: "en"})
	e.priya = register("priya@example.com", jaga.Profile{FullName: "Priya Raman", IDType: jaga.IDTypePassport, IDNumber: "K1234567",
		DateOfBirth: "1992-11-30", Nationality: "IN", Language: "en"})
	e.hakim = register("hakim@example.com", jaga.Profile{FullName: "Hakim bin Ismail", IDType: jaga.IDTypeNRIC, IDNumber: "880420-14-6021",
		DateOfBirth: "1988-04-20", Nationality: "MY", Language: "en"})

	orgs := e.svc.Organisations
	e.centre = &jaga.Organisation{Name: "Pusat Pemberian Vaksin Kajang", Kind: jaga.OrgVaccinationCentre}
	if err := orgs.CreateOrganisation(ctx, e.centre); err != nil {
		t.Fatal(err)
	}
	staff := func(o *jaga.Organisation, email, role string) *jaga.StaffEnrolment {
		en, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: o.ID, Email: email, DisplayName: "Staff " + role, Role: role, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return en
	}
	e.vaccinatorEnrolled = staff(e.centre, "vaccinator@ppv.test", jaga.RoleVaccinator)
	for i, dpo := range []**jaga.Actor{&e.dpo1, &e.dpo2} {
		en := staff(e.w.ministry, []string{"dpo3@moh.test", "dpo4@moh.test"}[i], jaga.RoleDPO)
		*dpo = &jaga.Actor{Kind: jaga.ActorStaff, ID: en.Staff.ID, OrgID: e.w.ministry.ID, OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO}
	}

	// The vaccinator signs in as a centre's program would.
	code, err := totp.Code(e.vaccinatorEnrolled.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"email": "vaccinator@ppv.test", "password": testPassword, "code": code})
	status, res := e.call(http.MethodPost, "/api/v1/staff/sessions", "", "application/json", body)
	if status != http.StatusCreated {
		t.Fatalf("staff sign-in: %d %s", status, res)
	}
	var sess struct{ Token string }
	if err := json.Unmarshal(res, &sess); err != nil {
		t.Fatal(err)
	}
	e.vaccinator = sess.Token
	if e.citizen, _, err = e.accounts.CreateSession(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: e.w.citizen.ID}); err != nil {
		t.Fatal(err)
	}
	return e
}

// contract gives the centre its contract for recording doses.
func (e *doseEnv) contract() {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	c := &jaga.Contract{OrgID: e.centre.ID, Reference: "KKM-DPA-TEST-VAX", Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination},
		Purposes: []string{jaga.PurposeVaccinationRecord}, ValidFrom: now.Add(-time.Hour), ValidTo: now.AddDate(1, 0, 0)}
	if err := e.svc.Contracts.RegisterContract(jaga.NewContextWithActor(ctx, e.dpo1), c); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Contracts.ApproveContract(jaga.NewContextWithActor(ctx, e.dpo2), c.ID); err != nil {
		e.t.Fatal(err)
	}
}

// call makes one API request with a bearer token ("" for none).
func (e *doseEnv) call(method, path, token, contentType string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, b
}

func testdata(t *testing.T, pkg, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", pkg, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantError checks an answer's status and error code.
func wantError(t *testing.T, status int, body []byte, wantStatus int, code string) ErrorBody {
	t.Helper()
	var r ErrorResponse
	if status != wantStatus || json.Unmarshal(body, &r) != nil || r.Error.Code != code {
		t.Fatalf("status %d body %s; want %d %s", status, body, wantStatus, code)
	}
	return r.Error
}

func lacks(t *testing.T, body []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the answer holds %q: %s", s, body)
		}
	}
}

func TestDoseAPI(t *testing.T) {
	e := newDoseEnv(t)
	record := func(change func(m map[string]any)) []byte {
		m := map[string]any{"idNumber": "900101-14-5678", "dateOfBirth": "1990-01-01", "fullName": "Aisyah binti Rahman",
			"product": "EU/1/20/1528", "manufacturer": "ORG-100030215", "batch": "FE6208", "doseNumber": 1, "totalDoses": 2,
			"givenOn": "2021-07-12", "country": "MY"}
		if change != nil {
			change(m)
		}
		b, _ := json.Marshal(m)
		return b
	}

	status, body := e.call(http.MethodPost, "/api/v1/doses", "", "application/json", record(nil))
	wantError(t, status, body, http.StatusUnauthorized, jaga.EUNAUTHORIZED)
	status, body = e.call(http.MethodPost, "/api/v1/doses", e.vaccinator, "application/json", record(nil))
	msg := wantError(t, status, body, http.StatusForbidden, jaga.EFORBIDDEN).Message
	if !strings.Contains(msg, "no active contract") {
		t.Errorf("message %q", msg)
	}
	e.contract()

	var first jaga.Dose
	t.Run("record a dose", func(t *testing.T) {
		status, body := e.call(http.MethodPost, "/api/v1/doses", e.vaccinator, "application/json", record(nil))
		if status != http.StatusCreated || json.Unmarshal(body, &first) != nil || first.ID == "" || first.ProductName != "Comirnaty" ||
			first.CentreName != e.centre.Name {
			t.Fatalf("%d %s", status, body)
		}
		lacks(t, body, e.w.citizen.ID, "personId", "Aisyah", "900101")
		status, body = e.call(http.MethodPost, "/api/v1/doses", e.vaccinator, "application/json; charset=utf-8", record(nil))
		var again jaga.Dose
		if status != http.StatusOK || json.Unmarshal(body, &again) != nil || again.ID != first.ID {
			t.Fatalf("again: %d %s", status, body)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name        string
			token       string
			contentType string
			body        []byte
			status      int
			code        string
			part        string // of the message, or of a field's problem
		}{
			{"not JSON", e.vaccinator, "application/json", []byte(`{"idNumber": `), 400, jaga.EINVALID, "ends too early"},
			{"unknown field", e.vaccinator, "application/json", record(func(m map[string]any) { m["personId"] = "x" }), 400, jaga.EINVALID, "Unknown field"},
			{"dose number as text", e.vaccinator, "application/json", record(func(m map[string]any) { m["doseNumber"] = "1" }), 400, jaga.EINVALID, "doseNumber"},
			{"wrong content type", e.vaccinator, "text/csv", record(nil), 400, jaga.EINVALID, "application/json"},
			{"too large", e.vaccinator, "application/json", record(func(m map[string]any) { m["fullName"] = strings.Repeat("A", MaxBodyBytes) }), 413, jaga.ETOOLARGE, "bytes"},
			{"invalid fields", e.vaccinator, "application/json", record(func(m map[string]any) { m["product"] = "Pfizer"; m["givenOn"] = "2020-01-01" }), 400, jaga.EINVALID, "Some fields"},
			{"no such person", e.vaccinator, "application/json", record(func(m map[string]any) { m["dateOfBirth"] = "1990-01-02" }), 404, jaga.ENOTFOUND, "No person with this identity number and date of birth."},
			{"other details", e.vaccinator, "application/json", record(func(m map[string]any) { m["batch"] = "XX1" }), 409, jaga.ECONFLICT, "already recorded"},
			{"a citizen", e.citizen, "application/json", record(nil), 403, jaga.EFORBIDDEN, "vaccination centre staff"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := e.call(http.MethodPost, "/api/v1/doses", tt.token, tt.contentType, tt.body)
				eb := wantError(t, status, body, tt.status, tt.code)
				text := eb.Message
				for f, p := range eb.Fields {
					text += " " + f + ": " + p
				}
				if !strings.Contains(text, tt.part) {
					t.Errorf("%q lacks %q", text, tt.part)
				}
				lacks(t, body, "Aisyah", "Pfizer", "XX1")
			})
		}
	})
	t.Run("the citizen sees the dose and the access", func(t *testing.T) {
		status, body := e.call(http.MethodGet, "/api/v1/me/doses", e.citizen, "", nil)
		var ds list[jaga.Dose]
		if status != http.StatusOK || json.Unmarshal(body, &ds) != nil || len(ds.Items) != 1 || ds.Items[0].ID != first.ID ||
			ds.Items[0].PersonID != e.w.citizen.ID || ds.Items[0].PersonName != "Aisyah binti Rahman" {
			t.Fatalf("%d %s", status, body)
		}
		status, body = e.call(http.MethodGet, "/api/v1/me/accesses", e.citizen, "", nil)
		var views list[jaga.AccessView]
		if status != http.StatusOK || json.Unmarshal(body, &views) != nil {
			t.Fatalf("%d %s", status, body)
		}
		var allow, deny int
		for _, v := range views.Items {
			if v.Purpose == jaga.PurposeVaccinationRecord && v.Organisation == e.centre.Name {
				if v.Decision == jaga.DecisionAllow {
					allow++
				} else {
					deny++
				}
			}
		}
		// Allowed: the dose, the same dose again, the one with another
		// batch. Refused: before the contract.
		if allow != 3 || deny != 1 {
			t.Errorf("%d allowed and %d refused accesses, want 3 and 1", allow, deny)
		}
		status, body = e.call(http.MethodGet, "/api/v1/me/doses", e.vaccinator, "", nil)
		wantError(t, status, body, http.StatusUnauthorized, jaga.EUNAUTHORIZED)
	})
}

func TestDoseImportAPI(t *testing.T) {
	e := newDoseEnv(t)
	goodCSV, badCSV := testdata(t, "dosecsv", "doses-good.csv"), testdata(t, "dosecsv", "doses-bad.csv")
	goodFHIR, badFHIR := testdata(t, "fhir", "bundle-good.json"), testdata(t, "fhir", "bundle-bad.json")
	imports := func(token, contentType string, body []byte) (int, []byte, jaga.ImportReport) {
		t.Helper()
		status, res := e.call(http.MethodPost, "/api/v1/doses/imports", token, contentType, body)
		var rep jaga.ImportReport
		if status == http.StatusOK || status == http.StatusUnprocessableEntity {
			if err := json.Unmarshal(res, &rep); err != nil {
				t.Fatalf("%d %s", status, res)
			}
		}
		return status, res, rep
	}

	status, body, _ := imports(e.vaccinator, "text/csv", goodCSV)
	wantError(t, status, body, http.StatusForbidden, jaga.EFORBIDDEN)
	e.contract()

	t.Run("a bad CSV is refused whole, with every problem", func(t *testing.T) {
		status, body, rep := imports(e.vaccinator, "text/csv; charset=utf-8", badCSV)
		if status != http.StatusUnprocessableEntity || rep.Accepted() || rep.Created != 0 || rep.FileHash != jaga.FileHash(badCSV) {
			t.Fatalf("%d %s", status, body)
		}
		var got []string
		for _, p := range rep.Errors {
			got = append(got, strings.TrimSpace(strings.Join([]string{itoa(p.Line), p.Field}, " ")))
		}
		want := "3 product,4 batch,4 doseNumber,4 givenOn,4 country,5 idNumber,6 booster,6 givenOn,7,8"
		if strings.Join(got, ",") != want {
			t.Errorf("errors %s\nwant   %s", strings.Join(got, ","), want)
		}
		lacks(t, body, "Nobody Known", "000000-00-0000", "Hakim", "Malaysia", "maybe")
		status, body = e.call(http.MethodGet, "/api/v1/me/doses", e.citizen, "", nil)
		if status != http.StatusOK || !strings.Contains(string(body), `"items":[]`) {
			t.Errorf("doses written: %s", body)
		}
	})
	t.Run("a good CSV, twice", func(t *testing.T) {
		status, body, rep := imports(e.vaccinator, "text/csv", goodCSV)
		if status != http.StatusOK || rep.Created != 5 || rep.Unchanged != 0 || rep.Rows != 5 || rep.ImportID == "" || len(rep.Errors) != 0 {
			t.Fatalf("%d %s", status, body)
		}
		status, body, rep = imports(e.vaccinator, "text/csv", goodCSV)
		if status != http.StatusOK || rep.Created != 0 || rep.Unchanged != 5 || rep.FirstImportedAt == nil {
			t.Fatalf("again: %d %s", status, body)
		}
		status, body = e.call(http.MethodGet, "/api/v1/me/doses", e.citizen, "", nil)
		var ds list[jaga.Dose]
		if status != http.StatusOK || json.Unmarshal(body, &ds) != nil || len(ds.Items) != 3 || !ds.Items[2].Booster {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("FHIR bundles", func(t *testing.T) {
		status, body, rep := imports(e.vaccinator, "application/fhir+json", badFHIR)
		if status != http.StatusUnprocessableEntity || len(rep.Errors) != 9 || len(rep.Warnings) != 2 || rep.Format != jaga.ImportFHIR {
			t.Fatalf("%d %s", status, body)
		}
		status, body, rep = imports(e.vaccinator, "application/fhir+json", goodFHIR)
		if status != http.StatusOK || rep.Created != 3 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name        string
			token       string
			contentType string
			body        []byte
			status      int
			code        string
			part        string
		}{
			{"anonymous", "", "text/csv", goodCSV, 401, jaga.EUNAUTHORIZED, "Sign in"},
			{"a citizen", e.citizen, "text/csv", goodCSV, 403, jaga.EFORBIDDEN, "vaccination centre staff"},
			{"no content type", e.vaccinator, "", goodCSV, 400, jaga.EINVALID, "application/fhir+json or text/csv"},
			{"plain JSON", e.vaccinator, "application/json", goodFHIR, 400, jaga.EINVALID, "Content-Type"},
			{"a spreadsheet", e.vaccinator, "application/vnd.ms-excel", goodCSV, 400, jaga.EINVALID, "Content-Type"},
			{"a broken content type", e.vaccinator, "text/csv; charset", goodCSV, 400, jaga.EINVALID, "Content-Type"},
			{"another charset", e.vaccinator, "text/csv; charset=iso-8859-1", goodCSV, 400, jaga.EINVALID, "UTF-8"},
			{"CSV not UTF-8", e.vaccinator, "text/csv", []byte("idNumber,fullName\n1,Ren\xe9\n"), 400, jaga.EINVALID, "UTF-8"},
			{"empty CSV", e.vaccinator, "text/csv", nil, 400, jaga.EINVALID, "empty"},
			{"a bundle sent as CSV", e.vaccinator, "text/csv", goodFHIR, 422, "", ""},
			{"CSV sent as FHIR", e.vaccinator, "application/fhir+json", goodCSV, 400, jaga.EINVALID, "not valid JSON"},
			{"truncated bundle", e.vaccinator, "application/fhir+json", goodFHIR[:len(goodFHIR)/2], 400, jaga.EINVALID, "JSON"},
			{"a Patient", e.vaccinator, "application/fhir+json", []byte(`{"resourceType":"Patient"}`), 400, jaga.EINVALID, "Bundle"},
			{"over 5 MiB", e.vaccinator, "text/csv", append(append([]byte{}, goodCSV...), bytes.Repeat([]byte("\n"), jaga.MaxImportBytes)...), 413, jaga.ETOOLARGE, "5 MiB"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body, _ := imports(tt.token, tt.contentType, tt.body)
				if tt.code == "" {
					if status != tt.status {
						t.Fatalf("%d %s", status, body)
					}
					return
				}
				if eb := wantError(t, status, body, tt.status, tt.code); !strings.Contains(eb.Message, tt.part) {
					t.Errorf("message %q lacks %q", eb.Message, tt.part)
				}
			})
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
