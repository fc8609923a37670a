package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/argon2id"
	"github.com/jaga-health/jaga/dosecsv"
	"github.com/jaga-health/jaga/fhir"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// doseWorld is the people of the dose fixtures (dosecsv/testdata and
// fhir/testdata), a vaccination centre with a vaccinator and an admin,
// and the ministry's two data protection officers to give the centre a
// contract.
type doseWorld struct {
	doses       *sqlstore.DoseService
	centre      *jaga.Organisation
	vaccinator  *jaga.Actor
	centreAdmin *jaga.Actor
	dpo1, dpo2  *jaga.Actor

	aisyah, tan, priya, hakim *jaga.Person
	adam                      *jaga.Person // Aisyah's dependant
}

func register(t *testing.T, e *env, contact string, p jaga.Profile) *jaga.Person {
	t.Helper()
	c, err := jaga.ParseContact(contact)
	if err != nil {
		t.Fatal(err)
	}
	person, err := e.Accounts.RegisterCitizen(system(), c, p)
	if err != nil {
		t.Fatalf("register %s: %v", p.FullName, err)
	}
	return person
}

func citizenOf(p *jaga.Person) *jaga.Actor { return &jaga.Actor{Kind: jaga.ActorCitizen, ID: p.ID} }

func newDoseWorld(t *testing.T, e *env) *doseWorld {
	t.Helper()
	w := &doseWorld{doses: sqlstore.NewDoseService(e.DB)}
	w.aisyah = register(t, e, "012-345 6789", jaga.Profile{FullName: "Aisyah binti Rahman", IDType: jaga.IDTypeNRIC,
		IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Nationality: "MY", Language: "ms"})
	w.tan = register(t, e, "019-876 5432", jaga.Profile{FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC,
		IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Nationality: "MY", Language: "en"})
	w.priya = register(t, e, "priya@example.com", jaga.Profile{FullName: "Priya Raman", IDType: jaga.IDTypePassport,
		IDNumber: "K1234567", DateOfBirth: "1992-11-30", Nationality: "IN", Language: "en"})
	w.hakim = register(t, e, "hakim@example.com", jaga.Profile{FullName: "Hakim bin Ismail", IDType: jaga.IDTypeNRIC,
		IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Nationality: "MY", Language: "en"})
	var err error
	w.adam, err = e.People.AddDependant(as(citizenOf(w.aisyah)), jaga.Profile{FullName: "Adam bin Hakim", IDType: jaga.IDTypeNRIC,
		IDNumber: "160305-10-1234", DateOfBirth: "2016-03-05", Nationality: "MY", Language: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	w.centre = e.org(t, jaga.OrgVaccinationCentre)
	w.vaccinator, _ = e.staff(t, w.centre, jaga.RoleVaccinator)
	w.centreAdmin, _ = e.staff(t, w.centre, jaga.RoleAdmin)
	ministry := e.org(t, jaga.OrgMinistry)
	w.dpo1, _ = e.staff(t, ministry, jaga.RoleDPO)
	w.dpo2, _ = e.staff(t, ministry, jaga.RoleDPO)
	return w
}

// contract gives the centre an approved contract for recording doses.
func (w *doseWorld) contract(t *testing.T, e *env) *jaga.Contract {
	t.Helper()
	return e.contract(t, w.dpo1, w.dpo2, &jaga.Contract{OrgID: w.centre.ID,
		Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination}, Purposes: []string{jaga.PurposeVaccinationRecord},
		ValidFrom: e.Clock.Now().Add(-time.Hour), ValidTo: e.Clock.Now().AddDate(1, 0, 0)})
}

// fixture parses a file of dosecsv/testdata or fhir/testdata.
func fixture(t *testing.T, name string) *jaga.DoseImport {
	t.Helper()
	var path string
	var parse jaga.DoseParser
	if strings.HasSuffix(name, ".csv") {
		path, parse = filepath.Join("..", "dosecsv", "testdata", name), dosecsv.Parse
	} else {
		path, parse = filepath.Join("..", "fhir", "testdata", name), fhir.ParseImmunizationBundle
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return f
}

func dose(idNumber, dob string, n, of int, givenOn string) jaga.DoseRecord {
	return jaga.DoseRecord{IDNumber: idNumber, DateOfBirth: dob, Product: "EU/1/20/1528", Manufacturer: "ORG-100030215",
		Batch: fmt.Sprintf("FE%04d", n), DoseNumber: n, TotalDoses: of, GivenOn: givenOn, Country: "MY"}
}

// vaxStatus reads the vaccination status the door shows for a person.
func (e *env) vaxStatus(t *testing.T, personID string) string {
	t.Helper()
	var s string
	if err := e.Raw.QueryRow(`SELECT vaccination_status FROM people WHERE id = $1`, personID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.Raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// vaccinationAccesses returns the accesses a citizen sees for the purpose
// VACCINATION_RECORD, newest first.
func (e *env) vaccinationAccesses(t *testing.T, p *jaga.Person) []*jaga.AccessView {
	t.Helper()
	views, err := e.Log.AccessesToMe(as(citizenOf(p)), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jaga.AccessView
	for _, v := range views {
		if v.Purpose == jaga.PurposeVaccinationRecord {
			out = append(out, v)
		}
	}
	return out
}

func TestRecordDose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDoseWorld(t, e)
		aisyahDose := func(n, of int, givenOn string) jaga.DoseRecord {
			r := dose("900101-14-5678", "1990-01-01", n, of, givenOn)
			r.FullName = "Aisyah binti Rahman"
			return r
		}

		t.Run("without a contract the gate denies, and the denial is logged", func(t *testing.T) {
			_, _, err := w.doses.RecordDose(as(w.vaccinator), aisyahDose(1, 2, "2021-07-12"))
			wantCode(t, err, jaga.EFORBIDDEN)
			if !strings.Contains(jaga.ErrorMessage(err), "no active contract covers identity and vaccination for VACCINATION_RECORD") {
				t.Errorf("message %q", jaga.ErrorMessage(err))
			}
			views := e.vaccinationAccesses(t, w.aisyah)
			if len(views) != 1 || views[0].Decision != jaga.DecisionDeny || views[0].Policy != "contract-required" ||
				views[0].Organisation != w.centre.Name || views[0].Role != jaga.RoleVaccinator {
				t.Fatalf("accesses %+v", views)
			}
			// An unknown person is refused the same way: no oracle.
			_, _, err = w.doses.RecordDose(as(w.vaccinator), dose("010101-01-0101", "2001-01-01", 1, 2, "2021-07-12"))
			wantCode(t, err, jaga.EFORBIDDEN)
			if n := e.count(t, `SELECT COUNT(*) FROM doses`); n != 0 {
				t.Fatalf("%d doses", n)
			}
		})

		c := w.contract(t, e)
		var first *jaga.Dose
		t.Run("a vaccinator records a dose under the contract", func(t *testing.T) {
			d, created, err := w.doses.RecordDose(as(w.vaccinator), aisyahDose(1, 2, "2021-07-12"))
			wantCode(t, err, "")
			if !created || d.ID == "" || d.Product != "EU/1/20/1528" || d.ProductName != "Comirnaty" ||
				d.ManufacturerName != "Biontech Manufacturing GmbH" || d.CentreID != w.centre.ID || d.CentreName != w.centre.Name ||
				d.DoseNumber != 1 || d.TotalDoses != 2 || d.Booster || d.GivenOn != "2021-07-12" || !d.CreatedAt.Equal(e.Clock.Now()) {
				t.Fatalf("dose %+v created %v", d, created)
			}
			if d.PersonID != "" || d.PersonName != "" {
				t.Errorf("the centre is told the registry's id or name: %+v", d)
			}
			if s := e.vaxStatus(t, w.aisyah.ID); s != jaga.VaxPartial {
				t.Errorf("door status %q", s)
			}
			views := e.vaccinationAccesses(t, w.aisyah)
			v := views[0]
			if v.Decision != jaga.DecisionAllow || v.Policy != "vaccination-centre-record" || v.ContractRef != c.Reference ||
				v.OrganisationKind != jaga.OrgVaccinationCentre || v.Action != jaga.ActionUpdate ||
				!slices.Equal(v.Categories, []string{jaga.CategoryIdentity, jaga.CategoryVaccination}) ||
				!slices.Equal(v.Fields, []string{"idNumber", "dateOfBirth", "fullName", "doses"}) {
				t.Fatalf("access %+v", v)
			}
			first = d
		})
		t.Run("the same dose again is the stored one", func(t *testing.T) {
			r := aisyahDose(1, 2, "2021-07-12")
			r.IDNumber, r.Product = "900101145678", "eu/1/20/1528"
			d, created, err := w.doses.RecordDose(as(w.vaccinator), r)
			wantCode(t, err, "")
			if created || d.ID != first.ID {
				t.Fatalf("dose %+v created %v", d, created)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM doses`); n != 1 {
				t.Fatalf("%d doses", n)
			}
		})
		t.Run("the same dose with another batch is a conflict", func(t *testing.T) {
			r := aisyahDose(1, 2, "2021-07-12")
			r.Batch = "OTHER1"
			_, _, err := w.doses.RecordDose(as(w.vaccinator), r)
			wantCode(t, err, jaga.ECONFLICT)
			if msg := jaga.ErrorFields(err)["batch"]; !strings.Contains(msg, "already recorded") || strings.Contains(msg, "OTHER1") {
				t.Errorf("fields %v", jaga.ErrorFields(err))
			}
		})
		t.Run("second dose and booster reach the door", func(t *testing.T) {
			if _, _, err := w.doses.RecordDose(as(w.vaccinator), aisyahDose(2, 2, "2021-08-02")); err != nil {
				t.Fatal(err)
			}
			if s := e.vaxStatus(t, w.aisyah.ID); s != jaga.VaxComplete {
				t.Errorf("door status %q", s)
			}
			d, _, err := w.doses.RecordDose(as(w.vaccinator), aisyahDose(3, 2, "2022-01-10"))
			if err != nil || !d.Booster {
				t.Fatalf("%+v %v", d, err)
			}
			// The door screen of a check-in shows it.
			p, staff, _ := e.premises(t, "restaurant")
			res, err := sqlstore.NewCheckInService(e.DB).CheckIn(as(citizenOf(w.aisyah)), jaga.CheckInRequest{Token: e.token(t, staff, p)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Door[0].Vaccination != jaga.VaxBooster {
				t.Errorf("door %+v", res.Door[0])
			}
		})
		t.Run("no person with this identity number and date of birth", func(t *testing.T) {
			before := e.count(t, `SELECT COUNT(*) FROM access_log`)
			for _, r := range []jaga.DoseRecord{
				dose("010101-01-0101", "2001-01-01", 1, 2, "2021-07-12"),
				dose("900101-14-5678", "1990-01-02", 1, 2, "2021-07-12"), // Aisyah's number, another date of birth
			} {
				_, _, err := w.doses.RecordDose(as(w.vaccinator), r)
				wantCode(t, err, jaga.ENOTFOUND)
				if jaga.ErrorMessage(err) != "No person with this identity number and date of birth." {
					t.Errorf("message %q", jaga.ErrorMessage(err))
				}
				wantNotLeaked(t, err, "Aisyah")
			}
			if after := e.count(t, `SELECT COUNT(*) FROM access_log`); after != before {
				t.Errorf("%d entries logged for nobody's data", after-before)
			}
		})
		t.Run("a name that differs is only a soft check", func(t *testing.T) {
			r := dose("950815-07-5523", "1995-08-15", 1, 2, "2021-06-20")
			r.FullName = "Tan Ah Kow"
			_, created, err := w.doses.RecordDose(as(w.vaccinator), r)
			if err != nil || !created {
				t.Fatalf("created %v err %v", created, err)
			}
		})
		t.Run("a dependant's dose", func(t *testing.T) {
			if _, _, err := w.doses.RecordDose(as(w.vaccinator), dose("160305101234", "2016-03-05", 1, 2, "2022-02-12")); err != nil {
				t.Fatal(err)
			}
			if s := e.vaxStatus(t, w.adam.ID); s != jaga.VaxPartial {
				t.Errorf("door status %q", s)
			}
			views := e.vaccinationAccesses(t, w.aisyah)
			if views[0].PersonID != w.adam.ID || views[0].Decision != jaga.DecisionAllow {
				t.Errorf("the guardian sees %+v", views[0])
			}
		})
		t.Run("two people with one identity number and date of birth", func(t *testing.T) {
			// Tan added Aisyah's number as a dependant's, by mistake.
			twin, err := e.People.AddDependant(as(citizenOf(w.tan)), jaga.Profile{FullName: "Tan Mei Ling", IDType: jaga.IDTypeNRIC,
				IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Nationality: "MY", Language: "en"})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = w.doses.RecordDose(as(w.vaccinator), dose("900101145678", "1990-01-01", 1, 1, "2022-03-01"))
			wantCode(t, err, jaga.ECONFLICT)
			wantNotLeaked(t, err, "Tan")
			r := dose("900101145678", "1990-01-01", 1, 2, "2022-03-01")
			r.Product, r.Manufacturer, r.FullName = "CoronaVac", "Sinovac-Biotech", "TAN MEI LING"
			if _, created, err := w.doses.RecordDose(as(w.vaccinator), r); err != nil || !created {
				t.Fatalf("created %v err %v", created, err)
			}
			if s := e.vaxStatus(t, twin.ID); s != jaga.VaxPartial {
				t.Errorf("the named one's door status %q", s)
			}
			mustExec(t, e, `DELETE FROM doses WHERE person_id = $1`, twin.ID)
			mustExec(t, e, `UPDATE people SET id_number = 'K7654321' WHERE id = $1`, twin.ID)
		})
		t.Run("invalid records reach neither the gate nor the log", func(t *testing.T) {
			before := e.count(t, `SELECT COUNT(*) FROM access_log`)
			r := aisyahDose(4, 2, "2031-01-01")
			r.Country = "XX"
			_, _, err := w.doses.RecordDose(as(w.vaccinator), r)
			wantField(t, err, "givenOn")
			wantField(t, err, "country")
			if after := e.count(t, `SELECT COUNT(*) FROM access_log`); after != before {
				t.Errorf("%d entries logged", after-before)
			}
		})
		t.Run("who may record", func(t *testing.T) {
			r := aisyahDose(4, 2, "2022-06-01")
			_, _, err := w.doses.RecordDose(anonymous(), r)
			wantCode(t, err, jaga.EUNAUTHORIZED)
			_, _, err = w.doses.RecordDose(as(citizenOf(w.aisyah)), r)
			wantCode(t, err, jaga.EFORBIDDEN)
			_, _, err = w.doses.RecordDose(as(w.centreAdmin), r)
			wantCode(t, err, jaga.EFORBIDDEN)
			if v := e.vaccinationAccesses(t, w.aisyah)[0]; v.Decision != jaga.DecisionDeny || v.Policy != "default-deny" || v.Role != jaga.RoleAdmin {
				t.Errorf("access %+v", v)
			}
			other := e.org(t, jaga.OrgVaccinationCentre)
			otherVaccinator, _ := e.staff(t, other, jaga.RoleVaccinator)
			_, _, err = w.doses.RecordDose(as(otherVaccinator), r)
			wantCode(t, err, jaga.EFORBIDDEN)
		})
		t.Run("the citizen sees their own and their dependants' doses", func(t *testing.T) {
			ds, err := w.doses.Doses(as(citizenOf(w.aisyah)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%s %d/%d %s", d.PersonName, d.DoseNumber, d.TotalDoses, d.CentreName))
			}
			want := []string{"Aisyah binti Rahman 1/2 " + w.centre.Name, "Aisyah binti Rahman 2/2 " + w.centre.Name,
				"Aisyah binti Rahman 3/2 " + w.centre.Name, "Adam bin Hakim 1/2 " + w.centre.Name}
			if !slices.Equal(got, want) {
				t.Errorf("doses %q\nwant %q", got, want)
			}
			if ds[0].PersonID != w.aisyah.ID || ds[3].PersonID != w.adam.ID {
				t.Errorf("person ids %s %s", ds[0].PersonID, ds[3].PersonID)
			}
			if ds, err := w.doses.Doses(as(citizenOf(w.priya))); err != nil || len(ds) != 0 {
				t.Errorf("Priya's doses %+v %v", ds, err)
			}
			_, err = w.doses.Doses(as(w.vaccinator))
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})
	})
}

// wantErrors compares a report's errors with want, each "line field".
func wantErrors(t *testing.T, got []jaga.RowError, want ...string) {
	t.Helper()
	var g []string
	for _, e := range got {
		g = append(g, fmt.Sprintf("%d %s", e.Line, e.Field))
		if e.Reason == "" {
			t.Errorf("problem without a reason: %+v", e)
		}
	}
	if !slices.Equal(g, want) {
		t.Errorf("errors %q\nwant   %q\n%+v", g, want, got)
	}
}

func TestImportDoses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDoseWorld(t, e)

		t.Run("without a contract the gate denies every row, each logged", func(t *testing.T) {
			_, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "doses-good.csv"))
			wantCode(t, err, jaga.EFORBIDDEN)
			for _, p := range []*jaga.Person{w.aisyah, w.tan, w.priya} {
				views := e.vaccinationAccesses(t, p)
				if len(views) == 0 || views[0].Decision != jaga.DecisionDeny || views[0].Policy != "contract-required" {
					t.Errorf("%s sees %+v", p.FullName, views)
				}
			}
			if n := len(e.vaccinationAccesses(t, w.aisyah)); n != 3 {
				t.Errorf("Aisyah sees %d refused accesses, one a row", n)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM doses`); n != 0 {
				t.Fatalf("%d doses", n)
			}
		})
		w.contract(t, e)

		t.Run("a bad CSV writes nothing and reports every bad row", func(t *testing.T) {
			logged := e.count(t, `SELECT COUNT(*) FROM access_log`)
			rep, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "doses-bad.csv"))
			wantCode(t, err, "")
			if rep.Accepted() || rep.Created != 0 || rep.Unchanged != 0 || rep.ImportID != "" || rep.Rows != 5 {
				t.Fatalf("report %+v", rep)
			}
			wantErrors(t, rep.Errors, "3 product", "4 batch", "4 doseNumber", "4 givenOn", "4 country",
				"5 idNumber", "6 booster", "6 givenOn", "7 ", "8 ")
			for _, r := range rep.Errors {
				for _, secret := range []string{"Nobody", "000000", "Hakim", "Sinovac,", "Malaysia", "maybe", "2027"} {
					if strings.Contains(r.Reason, secret) {
						t.Errorf("%+v repeats %q", r, secret)
					}
				}
			}
			if n := e.count(t, `SELECT COUNT(*) FROM doses`) + e.count(t, `SELECT COUNT(*) FROM dose_imports`); n != 0 {
				t.Fatalf("%d rows written", n)
			}
			if s := e.vaxStatus(t, w.aisyah.ID); s != jaga.VaxNotRecorded {
				t.Errorf("door status %q", s)
			}
			// The one row that reached a person was asked of the gate, and
			// the person sees it.
			if n := e.count(t, `SELECT COUNT(*) FROM access_log`) - logged; n != 1 {
				t.Errorf("%d accesses logged, want 1", n)
			}
		})

		var doses string
		t.Run("a good CSV", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "doses-good.csv"))
			wantCode(t, err, "")
			if !rep.Accepted() || rep.Rows != 5 || rep.Created != 5 || rep.Unchanged != 0 || rep.ImportID == "" ||
				rep.Format != jaga.ImportCSV || len(rep.FileHash) != 64 || rep.FirstImportedAt != nil || len(rep.Warnings) != 0 {
				t.Fatalf("report %+v", rep)
			}
			for p, want := range map[*jaga.Person]string{w.aisyah: jaga.VaxBooster, w.tan: jaga.VaxPartial, w.priya: jaga.VaxPartial, w.hakim: jaga.VaxNotRecorded} {
				if s := e.vaxStatus(t, p.ID); s != want {
					t.Errorf("%s: door status %q, want %q", p.FullName, s, want)
				}
			}
			if n := e.count(t, `SELECT COUNT(*) FROM doses WHERE import_id = $1 AND recorded_by = $2 AND centre_id = $3`,
				rep.ImportID, w.vaccinator.ID, w.centre.ID); n != 5 {
				t.Errorf("%d doses of the import", n)
			}
			if v := e.vaccinationAccesses(t, w.tan)[0]; v.Decision != jaga.DecisionAllow || v.Action != jaga.ActionUpdate {
				t.Errorf("Tan sees %+v", v)
			}
			doses = e.tableText(t, "doses")
		})
		t.Run("importing it again changes nothing", func(t *testing.T) {
			e.Clock.Advance(time.Hour)
			rep, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "doses-good.csv"))
			wantCode(t, err, "")
			if !rep.Accepted() || rep.Created != 0 || rep.Unchanged != 5 || rep.FirstImportedAt == nil || !rep.FirstImportedAt.Equal(start) {
				t.Fatalf("report %+v", rep)
			}
			if got := e.tableText(t, "doses"); got != doses {
				t.Errorf("doses changed:\n%s\nwere\n%s", got, doses)
			}
			if s := e.vaxStatus(t, w.aisyah.ID); s != jaga.VaxBooster {
				t.Errorf("door status %q", s)
			}
		})
		t.Run("a bad FHIR bundle writes nothing", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "bundle-bad.json"))
			wantCode(t, err, "")
			if rep.Accepted() || rep.Rows != 4 || rep.Format != jaga.ImportFHIR {
				t.Fatalf("report %+v", rep)
			}
			wantErrors(t, rep.Errors, "1 product", "1 batch", "2 idNumber", "2 dateOfBirth", "2 givenOn",
				"3 doseNumber", "3 totalDoses", "6 batch", "7 country")
			if len(rep.Warnings) != 2 || rep.Warnings[0].Line != 4 || rep.Warnings[1].Line != 5 {
				t.Errorf("warnings %+v", rep.Warnings)
			}
			if got := e.tableText(t, "doses"); got != doses {
				t.Errorf("doses changed")
			}
		})
		t.Run("a good FHIR bundle", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), fixture(t, "bundle-good.json"))
			wantCode(t, err, "")
			if !rep.Accepted() || rep.Rows != 3 || rep.Created != 3 || rep.Unchanged != 0 {
				t.Fatalf("report %+v", rep)
			}
			for p, want := range map[*jaga.Person]string{w.hakim: jaga.VaxComplete, w.priya: jaga.VaxComplete} {
				if s := e.vaxStatus(t, p.ID); s != want {
					t.Errorf("%s: door status %q, want %q", p.FullName, s, want)
				}
			}
			ds, err := w.doses.Doses(as(citizenOf(w.hakim)))
			if err != nil || len(ds) != 2 || ds[1].Batch != "3002521" || ds[1].Country != "MY" || ds[1].ImportID != rep.ImportID {
				t.Fatalf("Hakim's doses %+v %v", ds, err)
			}
			rep, err = w.doses.ImportDoses(as(w.vaccinator), fixture(t, "bundle-good.json"))
			if err != nil || rep.Created != 0 || rep.Unchanged != 3 {
				t.Fatalf("again: %+v %v", rep, err)
			}
		})
	})
}

func TestImportDosesRows(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDoseWorld(t, e)
		w.contract(t, e)
		file := func(records ...jaga.DoseRecord) *jaga.DoseImport {
			f := &jaga.DoseImport{Format: jaga.ImportCSV, Hash: jaga.FileHash([]byte(fmt.Sprint(records)))}
			for i, r := range records {
				f.Rows = append(f.Rows, jaga.DoseRow{Line: i + 2, Record: r})
			}
			return f
		}
		aisyah := func(n, of int, givenOn string) jaga.DoseRecord {
			return dose("900101145678", "1990-01-01", n, of, givenOn)
		}

		t.Run("one unknown person refuses the whole file", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), file(aisyah(1, 2, "2021-07-12"), aisyah(2, 2, "2021-08-02"),
				dose("880420146021", "1988-04-20", 1, 1, "2021-09-09"), dose("010101010101", "2001-01-01", 1, 2, "2021-07-12")))
			wantCode(t, err, "")
			wantErrors(t, rep.Errors, "5 idNumber")
			if n := e.count(t, `SELECT COUNT(*) FROM doses`); n != 0 {
				t.Fatalf("%d doses", n)
			}
			if s := e.vaxStatus(t, w.aisyah.ID); s != jaga.VaxNotRecorded {
				t.Errorf("door status %q", s)
			}
		})
		t.Run("a dose twice in a file", func(t *testing.T) {
			other := aisyah(1, 2, "2021-07-12")
			other.Batch = "ZZ9"
			rep, err := w.doses.ImportDoses(as(w.vaccinator), file(aisyah(1, 2, "2021-07-12"), aisyah(1, 2, "2021-07-12"), other))
			wantCode(t, err, "")
			wantErrors(t, rep.Errors, "4 batch")
			if !strings.Contains(rep.Errors[0].Reason, "line 2") {
				t.Errorf("reason %q", rep.Errors[0].Reason)
			}
			rep, err = w.doses.ImportDoses(as(w.vaccinator), file(aisyah(1, 2, "2021-07-12"), aisyah(1, 2, "2021-07-12")))
			if err != nil || rep.Created != 1 || rep.Unchanged != 1 {
				t.Fatalf("%+v %v", rep, err)
			}
		})
		t.Run("a dose recorded with another date", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), file(aisyah(2, 2, "2021-08-02"), aisyah(1, 2, "2021-07-13")))
			wantCode(t, err, "")
			wantErrors(t, rep.Errors, "3 givenOn")
			if !strings.Contains(rep.Errors[0].Reason, "another date") {
				t.Errorf("reason %q", rep.Errors[0].Reason)
			}
		})
		t.Run("a name that differs warns", func(t *testing.T) {
			r := aisyah(2, 2, "2021-08-02")
			r.FullName = "Aishah Rahman"
			rep, err := w.doses.ImportDoses(as(w.vaccinator), file(r))
			if err != nil || !rep.Accepted() || rep.Created != 1 || len(rep.Warnings) != 1 || rep.Warnings[0].Field != "fullName" {
				t.Fatalf("%+v %v", rep, err)
			}
			if strings.Contains(rep.Warnings[0].Reason, "Aisyah") {
				t.Errorf("the warning names the registry's name: %q", rep.Warnings[0].Reason)
			}
		})
		t.Run("empty and oversized files", func(t *testing.T) {
			rep, err := w.doses.ImportDoses(as(w.vaccinator), file())
			wantCode(t, err, "")
			wantErrors(t, rep.Errors, "0 ")
			big := file()
			big.Rows = make([]jaga.DoseRow, jaga.MaxImportRows+1)
			_, err = w.doses.ImportDoses(as(w.vaccinator), big)
			wantCode(t, err, jaga.EINVALID)
			_, err = w.doses.ImportDoses(as(w.vaccinator), &jaga.DoseImport{Format: "xml", Hash: big.Hash})
			wantCode(t, err, jaga.EINVALID)
			_, err = w.doses.ImportDoses(as(citizenOf(w.aisyah)), file(aisyah(1, 2, "2021-07-12")))
			wantCode(t, err, jaga.EFORBIDDEN)
		})
	})
}

// BenchmarkImportDoses imports files of jaga.MaxImportRows doses (two
// each for half as many people) on SQLite: how long one import, a single
// transaction, holds the database's write lock.
func BenchmarkImportDoses(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if db.Gate, err = gate.New(); err != nil {
		b.Fatal(err)
	}
	db.Passwords, db.TOTP = argon2id.Hasher{MemoryKiB: 1024, Time: 1}, totp.Authenticator{}
	sys := jaga.SystemContext(ctx)
	orgs, contracts := sqlstore.NewOrganisationService(db), sqlstore.NewContractService(db)
	centre := &jaga.Organisation{Name: "Pusat Vaksin Bench", Kind: jaga.OrgVaccinationCentre}
	ministry := &jaga.Organisation{Name: "Kementerian Bench", Kind: jaga.OrgMinistry}
	var dpos []context.Context
	for _, o := range []*jaga.Organisation{centre, ministry} {
		if err := orgs.CreateOrganisation(sys, o); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 2 {
		en, err := orgs.CreateStaff(sys, jaga.NewStaff{OrgID: ministry.ID, Email: fmt.Sprintf("dpo%d@bench.test", i), DisplayName: "DPO bench",
			Role: jaga.RoleDPO, Password: staffPassword})
		if err != nil {
			b.Fatal(err)
		}
		dpos = append(dpos, jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: en.Staff.ID, OrgID: ministry.ID,
			OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO}))
	}
	c := &jaga.Contract{OrgID: centre.ID, Reference: "KKM/DPA/BENCH", Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination},
		Purposes: []string{jaga.PurposeVaccinationRecord}, ValidFrom: time.Now().Add(-time.Hour), ValidTo: time.Now().AddDate(1, 0, 0)}
	if err := contracts.RegisterContract(dpos[0], c); err != nil {
		b.Fatal(err)
	}
	if _, err := contracts.ApproveContract(dpos[1], c.ID); err != nil {
		b.Fatal(err)
	}
	vaccinator := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: "vaccinator", OrgID: centre.ID,
		OrgKind: jaga.OrgVaccinationCentre, Role: jaga.RoleVaccinator})
	doses := sqlstore.NewDoseService(db)

	const people = jaga.MaxImportRows / 2
	var spent time.Duration
	for n := range b.N {
		// People of this round, inserted outside the timer.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		f := &jaga.DoseImport{Format: jaga.ImportCSV, Hash: jaga.FileHash([]byte(fmt.Sprint("bench", n)))}
		for i := range people {
			id := fmt.Sprintf("B%03dP%05d", n, i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO people (id, full_name, id_type, id_number, date_of_birth, pseudonym, created_at, updated_at)
				VALUES ($1, 'Bench Person', 'passport', $1, '1980-05-05', $1, $2, $2)`, id, time.Now().UTC()); err != nil {
				b.Fatal(err)
			}
			for d := 1; d <= 2; d++ {
				f.Rows = append(f.Rows, jaga.DoseRow{Line: len(f.Rows) + 2, Record: dose(id, "1980-05-05", d, 2, fmt.Sprintf("2021-0%d-15", d+5))})
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		rep, err := doses.ImportDoses(vaccinator, f)
		spent += time.Since(began)
		if err != nil || rep.Created != jaga.MaxImportRows {
			b.Fatalf("%v %+v", err, rep.Errors[:min(3, len(rep.Errors))])
		}
	}
	b.ReportMetric(spent.Seconds()/float64(b.N), "s/file")
	b.ReportMetric(float64(b.N*jaga.MaxImportRows)/spent.Seconds(), "doses/s")
}
