package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/casecsv"
	"github.com/jaga-health/jaga/sqlstore"
)

// traceWorld is a small town: a restaurant and a shop, a health officer,
// and people, two of them at one address.
type traceWorld struct {
	tracing        *sqlstore.TracingService
	checkins       *sqlstore.CheckInService
	officer, agent *jaga.Actor
	restaurant     *jaga.Premises
	shop           *jaga.Premises
	tokens         map[string]string

	aisyah, hakim, tan, priya, siti *jaga.Person // aisyah, hakim and siti share an address, written three ways
	adam                            *jaga.Person // Aisyah's dependant
}

const sharedAddress = "12 Jalan Mawar, 43000 Kajang"

func newTraceWorld(t *testing.T, e *env) *traceWorld {
	t.Helper()
	w := &traceWorld{tracing: sqlstore.NewTracingService(e.DB, jaga.TracingConfig{}), checkins: sqlstore.NewCheckInService(e.DB), tokens: map[string]string{}}
	w.aisyah = register(t, e, "012-345 6789", jaga.Profile{FullName: "Aisyah binti Rahman", IDType: jaga.IDTypeNRIC,
		IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Nationality: "MY", Address: sharedAddress, Language: "ms"})
	w.hakim = register(t, e, "012-345 6790", jaga.Profile{FullName: "Hakim bin Ismail", IDType: jaga.IDTypeNRIC,
		IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Nationality: "MY", Address: strings.ToUpper(sharedAddress), Language: "en"})
	w.siti = register(t, e, "siti@example.com", jaga.Profile{FullName: "Siti binti Hakim", IDType: jaga.IDTypeNRIC,
		IDNumber: "050101-14-5002", DateOfBirth: "2005-01-01", Nationality: "MY", Address: "No. 12, Jln. Mawar, 43000 Kajang", Language: "ms"})
	w.tan = register(t, e, "019-876 5432", jaga.Profile{FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC,
		IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Nationality: "MY", Address: "3 Jalan Bunga, Ipoh", Language: "en"})
	w.priya = register(t, e, "priya@example.com", jaga.Profile{FullName: "Priya Raman", IDType: jaga.IDTypePassport,
		IDNumber: "K1234567", DateOfBirth: "1992-11-30", Nationality: "IN", Address: "8 Lorong Satu, Klang", Language: "en"})
	var err error
	w.adam, err = e.People.AddDependant(as(citizenOf(w.aisyah)), jaga.Profile{FullName: "Adam bin Hakim", IDType: jaga.IDTypeNRIC,
		IDNumber: "160305-10-1234", DateOfBirth: "2016-03-05", Nationality: "MY", Language: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	ministry := e.org(t, jaga.OrgMinistry)
	w.officer, _ = e.staff(t, ministry, jaga.RoleHealthOfficer)
	w.agent, _ = e.staff(t, ministry, jaga.RoleSupportAgent)
	var staff *jaga.Actor
	w.restaurant, staff, _ = e.premises(t, "restaurant")
	w.tokens[w.restaurant.ID] = e.token(t, staff, w.restaurant)
	w.shop, staff, _ = e.premises(t, "retail")
	w.tokens[w.shop.ID] = e.token(t, staff, w.shop)
	return w
}

// checkIn checks a person (and dependants) in at a premises now.
func (w *traceWorld) checkIn(t *testing.T, who *jaga.Person, p *jaga.Premises, dependants ...string) {
	t.Helper()
	if _, err := w.checkins.CheckIn(as(citizenOf(who)), jaga.CheckInRequest{Token: w.tokens[p.ID], Dependants: dependants}); err != nil {
		t.Fatalf("check in: %v", err)
	}
}

// door checks a person in at a premises now and returns the risk status
// their door shows.
func (w *traceWorld) door(t *testing.T, who *jaga.Person, p *jaga.Premises) string {
	t.Helper()
	res, err := w.checkins.CheckIn(as(citizenOf(who)), jaga.CheckInRequest{Token: w.tokens[p.ID]})
	if err != nil {
		t.Fatalf("check in: %v", err)
	}
	return res.Door[0].Risk
}

func (e *env) riskStatus(t *testing.T, personID string) string {
	t.Helper()
	var s string
	if err := e.Raw.QueryRow(`SELECT risk_status FROM people WHERE id = $1`, personID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// myRisk returns the views of a citizen's own and dependants' risk by person.
func (w *traceWorld) myRisk(t *testing.T, who *jaga.Person) map[string]*jaga.RiskView {
	t.Helper()
	views, err := w.tracing.MyRisk(as(citizenOf(who)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*jaga.RiskView{}
	for _, v := range views {
		out[v.PersonID] = v
	}
	return out
}

// outboxTo returns the bodies of the messages to a destination.
func (e *env) outboxTo(t *testing.T, destination string) []string {
	t.Helper()
	rows, err := e.Raw.Query(`SELECT body FROM outbox WHERE destination = $1 ORDER BY id`, destination)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// A day at a restaurant: Tan (the case) 16:00-17:30 Malaysia time; Aisyah
// with her son Adam from 16:20; Priya from 18:00, when Tan's buffer ends;
// Hakim at the shop.
func (w *traceWorld) day(t *testing.T, e *env) {
	t.Helper()
	w.checkIn(t, w.tan, w.restaurant)
	e.Clock.Advance(20 * time.Minute)
	w.checkIn(t, w.aisyah, w.restaurant, w.adam.ID)
	w.checkIn(t, w.hakim, w.shop)
	e.Clock.Advance(100 * time.Minute) // 18:00: Tan left at 17:30, plus 30 minutes' buffer
	w.checkIn(t, w.priya, w.restaurant)
	e.Clock.Advance(time.Hour)
}

func TestTracingConfirmCase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		w.day(t, e)
		c, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15",
			TestedOn: "2026-03-02", Reference: "KKM-2026-0001"})
		if err != nil {
			t.Fatal(err)
		}
		if c.PersonID != w.tan.ID || c.Contacts != 2 || c.TraceRef == "" || c.Source != jaga.CaseSourceOfficer {
			t.Fatalf("case %+v", c)
		}
		for _, tc := range []struct {
			name   string
			person *jaga.Person
			want   string
		}{
			{"the case is confirmed", w.tan, jaga.RiskConfirmed},
			{"overlapping visitor is a casual contact", w.aisyah, jaga.RiskCasual},
			{"her dependant checked in with her too", w.adam, jaga.RiskCasual},
			{"touching visit is no contact", w.priya, jaga.RiskLow},
			{"elsewhere is no contact", w.hakim, jaga.RiskLow},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := e.riskStatus(t, tc.person.ID); got != tc.want {
					t.Fatalf("door status = %s, want %s", got, tc.want)
				}
			})
		}
		t.Run("every door shows what the door-status refresh would", func(t *testing.T) {
			for _, p := range []*jaga.Person{w.tan, w.aisyah, w.adam, w.priya, w.hakim} {
				var status, after string
				var until, afterUntil sql.NullTime
				if err := e.Raw.QueryRow(`SELECT risk_status, risk_until FROM people WHERE id = $1`, p.ID).Scan(&status, &until); err != nil {
					t.Fatal(err)
				}
				tx, err := e.DB.BeginTx(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.RefreshDoorStatus(context.Background(), p.ID); err != nil {
					tx.Rollback()
					t.Fatal(err)
				}
				err = tx.QueryRow(`SELECT risk_status, risk_until FROM people WHERE id = $1`, p.ID).Scan(&after, &afterUntil)
				tx.Rollback()
				if err != nil {
					t.Fatal(err)
				}
				if status != after || until.Valid != afterUntil.Valid || !until.Time.Equal(afterUntil.Time) {
					t.Errorf("%s: door %s until %v, the refresh gives %s until %v", p.FullName, status, until, after, afterUntil)
				}
			}
		})
		t.Run("the status carries its reason, rule, window, end and case reference", func(t *testing.T) {
			v := w.myRisk(t, w.aisyah)[w.aisyah.ID]
			cur := v.Current
			if v.Status != jaga.RiskCasual || cur == nil || cur.Rule != jaga.RuleCheckIn || cur.PremisesName != w.restaurant.Name ||
				cur.CaseRef != c.TraceRef || cur.Exposure == nil || !cur.Exposure.From.Equal(start.Add(20*time.Minute)) ||
				!cur.Exposure.To.Equal(start.Add(110*time.Minute)) || !cur.EndsAt.Equal(cur.Exposure.To.Add(10*24*time.Hour)) {
				t.Fatalf("view %+v current %+v", v, cur)
			}
			if !strings.Contains(cur.Reason, w.restaurant.Name) || !strings.Contains(cur.Reason, "16:20") || strings.Contains(cur.Reason, "Tan") {
				t.Fatalf("reason %q", cur.Reason)
			}
		})
		t.Run("the guardian sees the dependant's status", func(t *testing.T) {
			v := w.myRisk(t, w.aisyah)[w.adam.ID]
			if v == nil || v.Status != jaga.RiskCasual || len(v.History) != 1 {
				t.Fatalf("dependant's view %+v", v)
			}
		})
		t.Run("notified in their language, the guardian for the dependant", func(t *testing.T) {
			msgs := e.outboxTo(t, "+60123456789")
			var own, forAdam bool
			for _, m := range msgs {
				own = own || strings.HasPrefix(m, "Status risiko jaga anda kini Kontak kasual")
				forAdam = forAdam || strings.HasPrefix(m, "Untuk Adam bin Hakim: Status risiko jaga anda kini Kontak kasual")
			}
			if !own || !forAdam {
				t.Fatalf("messages to Aisyah: %q", msgs)
			}
			if msgs := e.outboxTo(t, "+60198765432"); len(msgs) != 1 || !strings.Contains(msgs[0], "Confirmed case") {
				t.Fatalf("messages to Tan: %q", msgs)
			}
		})
		t.Run("the officer reads the contacts through the gate, one entry each", func(t *testing.T) {
			before := e.count(t, `SELECT count(*) FROM access_log WHERE purpose = 'CONTACT_TRACING' AND action = 'read'`)
			contacts, err := w.tracing.CaseContacts(as(w.officer), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(contacts) != 2 {
				t.Fatalf("contacts %+v", contacts)
			}
			if got := e.count(t, `SELECT count(*) FROM access_log WHERE purpose = 'CONTACT_TRACING' AND action = 'read'`) - before; got != 2 {
				t.Fatalf("%d access-log entries, want 2", got)
			}
			views, err := e.Log.AccessesToMe(as(citizenOf(w.aisyah)), 100)
			if err != nil || len(views) == 0 || views[0].Purpose != jaga.PurposeContactTracing {
				t.Fatalf("Aisyah's accesses %+v, %v", views, err)
			}
		})
		t.Run("a support agent may not read the contacts", func(t *testing.T) {
			_, err := w.tracing.CaseContacts(as(w.agent), c.ID)
			wantCode(t, err, jaga.EFORBIDDEN)
		})
		t.Run("tracing the day again gives no one a second status", func(t *testing.T) {
			n := e.count(t, `SELECT count(*) FROM risk_statuses`)
			rep, err := w.tracing.TraceDay(as(w.officer), "2026-03-02")
			if err != nil || rep.Cases != 1 || rep.Contacts != 2 {
				t.Fatalf("TraceDay = %+v, %v", rep, err)
			}
			if added, err := w.tracing.ApplyTraces(as(w.officer)); err != nil || added != 0 {
				t.Fatalf("ApplyTraces = %d, %v", added, err)
			}
			if got := e.count(t, `SELECT count(*) FROM risk_statuses`); got != n {
				t.Fatalf("%d statuses, want %d", got, n)
			}
		})
		t.Run("an officer declares a close contact", func(t *testing.T) {
			st, err := w.tracing.DeclareContact(as(w.officer), c.ID, jaga.ContactDeclaration{PersonID: w.priya.ID, Status: jaga.RiskClose})
			if err != nil || st.Rule != jaga.RuleDeclared || st.DeclaredBy == "" {
				t.Fatalf("DeclareContact = %+v, %v", st, err)
			}
			if got := e.riskStatus(t, w.priya.ID); got != jaga.RiskClose {
				t.Fatalf("door status %s", got)
			}
			_, err = w.tracing.DeclareContact(as(w.officer), c.ID, jaga.ContactDeclaration{PersonID: w.priya.ID, Status: jaga.RiskClose})
			wantCode(t, err, jaga.ECONFLICT)
		})
		t.Run("statuses expire by the job; the case recovers", func(t *testing.T) {
			e.Clock.Advance(11 * 24 * time.Hour)
			n, err := w.tracing.ExpireStatuses(system())
			if err != nil || n != 4 {
				t.Fatalf("ExpireStatuses = %d, %v; want 4", n, err)
			}
			for p, want := range map[*jaga.Person]string{w.aisyah: jaga.RiskLow, w.adam: jaga.RiskLow, w.priya: jaga.RiskLow, w.tan: jaga.RiskRecovered} {
				if got := e.riskStatus(t, p.ID); got != want {
					t.Errorf("%s: door status %s, want %s", p.FullName, got, want)
				}
			}
			v := w.myRisk(t, w.tan)[w.tan.ID]
			if v.Status != jaga.RiskRecovered || len(v.History) != 2 || v.History[0].Rule != jaga.RuleRecovered {
				t.Fatalf("Tan's view %+v", v)
			}
			if n, err := w.tracing.ExpireStatuses(system()); err != nil || n != 0 {
				t.Fatalf("ExpireStatuses again = %d, %v", n, err)
			}
			_, err = w.tracing.ExpireStatuses(as(w.officer))
			wantCode(t, err, jaga.EFORBIDDEN)
		})
	})
}

func TestTracingSameAddressDifferentStatus(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		w.day(t, e)
		if _, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: w.tan.ID, TestedOn: "2026-03-02", Reference: "KKM-1"}); err != nil {
			t.Fatal(err)
		}
		t.Run("two people at one address, each status with its reason", func(t *testing.T) {
			a, h := w.myRisk(t, w.aisyah)[w.aisyah.ID], w.myRisk(t, w.hakim)[w.hakim.ID]
			if a.Status != jaga.RiskCasual || a.Current == nil || !strings.Contains(a.Current.Reason, w.restaurant.Name) {
				t.Fatalf("Aisyah %+v", a)
			}
			if h.Status != jaga.RiskLow || h.Current != nil || len(h.History) != 0 {
				t.Fatalf("Hakim %+v", h)
			}
		})
		e.Clock.Advance(time.Hour)
		c, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: w.siti.ID, TestedOn: "2026-03-02", Reference: "KKM-2"})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a household case makes both close contacts", func(t *testing.T) {
			for _, p := range []*jaga.Person{w.aisyah, w.hakim} {
				v := w.myRisk(t, p)[p.ID]
				if v.Status != jaga.RiskClose || v.Current.Rule != jaga.RuleHousehold || v.Current.Link != jaga.LinkSameAddress || v.Current.CaseRef != c.TraceRef {
					t.Fatalf("%s: %+v current %+v", p.FullName, v, v.Current)
				}
				if e.riskStatus(t, p.ID) != jaga.RiskClose {
					t.Fatalf("%s: door shows %s", p.FullName, e.riskStatus(t, p.ID))
				}
			}
			a := w.myRisk(t, w.aisyah)[w.aisyah.ID]
			if len(a.History) != 2 || a.Current.Reason != "Seseorang yang berdaftar di alamat anda ialah kes positif." {
				t.Fatalf("Aisyah's history %+v", a.History)
			}
			if h := w.myRisk(t, w.hakim)[w.hakim.ID]; h.Current.Reason != "Someone registered at your address is a positive case." {
				t.Fatalf("Hakim's reason %q", h.Current.Reason)
			}
		})
		t.Run("a guardian's case makes the dependant a close contact", func(t *testing.T) {
			e.Clock.Advance(time.Hour)
			if _, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: w.aisyah.ID, TestedOn: "2026-03-02", Reference: "KKM-3"}); err != nil {
				t.Fatal(err)
			}
			v := w.myRisk(t, w.aisyah)[w.adam.ID]
			if v.Status != jaga.RiskClose || v.Current.Link != jaga.LinkGuardian {
				t.Fatalf("Adam %+v", v.Current)
			}
		})
	})
}

func TestTracingBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		good := jaga.CaseRecord{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", TestedOn: "2026-03-02", Reference: "R-1"}
		for _, tc := range []struct {
			name  string
			actor *jaga.Actor
			edit  func(*jaga.CaseRecord)
			code  string
			field string
		}{
			{"unknown person", w.officer, func(r *jaga.CaseRecord) { r.IDNumber = "111111-11-1111" }, jaga.ENOTFOUND, "idNumber"},
			{"unknown person id", w.officer, func(r *jaga.CaseRecord) { r.PersonID = strings.Repeat("ab", 16) }, jaga.ENOTFOUND, "personId"},
			{"onset after test", w.officer, func(r *jaga.CaseRecord) { r.OnsetOn = "2026-03-03" }, jaga.EINVALID, "onsetOn"},
			{"test in the future", w.officer, func(r *jaga.CaseRecord) { r.TestedOn = "2026-03-09" }, jaga.EINVALID, "testedOn"},
			{"a support agent", w.agent, nil, jaga.EFORBIDDEN, ""},
			{"a citizen", citizenOf(w.tan), nil, jaga.EFORBIDDEN, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := good
				if tc.edit != nil {
					tc.edit(&r)
				}
				_, err := w.tracing.ConfirmCase(as(tc.actor), r)
				wantCode(t, err, tc.code)
				if tc.field != "" {
					if _, ok := jaga.ErrorFields(err)[tc.field]; !ok {
						t.Fatalf("fields %v, want %s", jaga.ErrorFields(err), tc.field)
					}
				}
				wantNotLeaked(t, err, "111111")
			})
		}
		if n := e.count(t, `SELECT count(*) FROM cases`) + e.count(t, `SELECT count(*) FROM risk_statuses`); n != 0 {
			t.Fatalf("%d rows written by refused cases", n)
		}
		t.Run("a taken reference", func(t *testing.T) {
			if _, err := w.tracing.ConfirmCase(as(w.officer), good); err != nil {
				t.Fatal(err)
			}
			r := good
			r.PersonID, r.IDNumber, r.DateOfBirth = w.priya.ID, "", ""
			_, err := w.tracing.ConfirmCase(as(w.officer), r)
			wantCode(t, err, jaga.ECONFLICT)
			r.Reference = "R-2"
			r.PersonID = w.tan.ID
			_, err = w.tracing.ConfirmCase(as(w.officer), r)
			wantCode(t, err, jaga.ECONFLICT) // Tan is in isolation already
		})
		t.Run("a CSV with duplicates and malformed rows is refused whole", func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "casecsv", "testdata", "bad.csv"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := casecsv.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			cases := e.count(t, `SELECT count(*) FROM cases`)
			rep, err := w.tracing.ImportCases(as(w.officer), f)
			if err != nil {
				t.Fatal(err)
			}
			wantErrors(t, rep.Errors, "2 onsetOn", "3 testedOn", "4 reference", "5 idNumber", "6 ", "6 reference")
			if rep.Accepted() || rep.Created != 0 || e.count(t, `SELECT count(*) FROM cases`) != cases {
				t.Fatalf("report %+v", rep)
			}
		})
		t.Run("a lab feed: unknown people and duplicates named by entry", func(t *testing.T) {
			f, err := casecsv.ParseFeed([]byte(`{"cases":[
				{"idNumber":"880420146021","dateOfBirth":"1988-04-20","testedOn":"2026-03-02","reference":"LAB-9"},
				{"idNumber":"880420146021","dateOfBirth":"1988-04-20","testedOn":"2026-03-02","reference":"LAB-10"},
				{"idNumber":"222222222222","dateOfBirth":"1988-04-20","testedOn":"2026-03-02","reference":"LAB-11"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := w.tracing.ImportCases(as(w.officer), f)
			if err != nil {
				t.Fatal(err)
			}
			wantErrors(t, rep.Errors, "1 idNumber", "2 idNumber")
			if !strings.Contains(rep.Errors[0].Reason, "entry 0") {
				t.Fatalf("reason %q", rep.Errors[0].Reason)
			}
		})
		t.Run("a good CSV is recorded and traced; sent again it is unchanged", func(t *testing.T) {
			data := []byte("idNumber,dateOfBirth,testedOn,onsetOn,reference\n880420-14-6021,1988-04-20,2026-03-02,2026-03-01,LAB-20\n")
			f, err := casecsv.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := w.tracing.ImportCases(as(w.officer), f)
			if err != nil || !rep.Accepted() || rep.Created != 1 || len(rep.Cases) != 1 {
				t.Fatalf("ImportCases = %+v, %v", rep, err)
			}
			if got := e.riskStatus(t, w.hakim.ID); got != jaga.RiskConfirmed {
				t.Fatalf("door status %s", got)
			}
			rep, err = w.tracing.ImportCases(as(w.officer), f)
			if err != nil || !rep.Accepted() || rep.Created != 0 || rep.Unchanged != 1 {
				t.Fatalf("ImportCases again = %+v, %v", rep, err)
			}
		})
	})
}

func TestTracingRetraceExtends(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		// Tan at the restaurant from 16:00 to 17:30 (its default stay);
		// Aisyah there 16:20 to 16:30.
		w.checkIn(t, w.tan, w.restaurant)
		e.Clock.Advance(20 * time.Minute)
		res, err := w.checkins.CheckIn(as(citizenOf(w.aisyah)), jaga.CheckInRequest{Token: w.tokens[w.restaurant.ID]})
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(10 * time.Minute)
		if _, err := w.checkins.CheckOut(as(citizenOf(w.aisyah)), res.Visits[0].ID); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(3 * time.Hour)
		c, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: w.tan.ID, TestedOn: "2026-03-02", Reference: "KKM-9"})
		if err != nil || c.Contacts != 1 {
			t.Fatalf("ConfirmCase = %+v, %v", c, err)
		}
		first := w.myRisk(t, w.aisyah)[w.aisyah.ID].Current
		if first == nil || !first.Exposure.To.Equal(start.Add(30*time.Minute)) {
			t.Fatalf("first status %+v", first)
		}
		// Her phone uploads a check-in it took offline at 17:00.
		out, err := w.checkins.UploadOffline(as(citizenOf(w.aisyah)), []jaga.OfflineCheckIn{{ClientID: "offline-0001",
			Token: w.tokens[w.restaurant.ID], ScannedAt: start.Add(time.Hour)}})
		if err != nil || out[0].Error != "" {
			t.Fatalf("UploadOffline = %+v, %v", out, err)
		}
		rep, err := w.tracing.TraceDay(as(w.officer), "2026-03-02")
		if err != nil {
			t.Fatal(err)
		}
		extended := func() bool {
			v := w.myRisk(t, w.aisyah)[w.aisyah.ID]
			cur := v.Current
			return len(v.History) == 1 && cur.ID == first.ID && cur.Exposure.From.Equal(first.Exposure.From) &&
				cur.Exposure.To.Equal(start.Add(2*time.Hour)) && cur.EndsAt.Equal(start.Add(2*time.Hour+10*24*time.Hour))
		}
		inForce := extended() // before it is written out
		added, err := w.tracing.ApplyTraces(as(w.officer))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			ok   func() bool
		}{
			{"the status is found again", func() bool { return rep.Contacts == 1 }},
			{"in force, extended, before it is written out", func() bool { return inForce }},
			{"no new status is given", func() bool { return added == 0 }},
			{"the same status, extended", extended},
			{"the door shows the new end", func() bool {
				var until time.Time
				if err := e.Raw.QueryRow(`SELECT risk_until FROM people WHERE id = $1`, w.aisyah.ID).Scan(&until); err != nil {
					t.Fatal(err)
				}
				return until.UTC().Equal(start.Add(2*time.Hour + 10*24*time.Hour))
			}},
			{"she is told of the new end", func() bool { return len(e.outboxTo(t, "+60123456789")) == 2 }},
			{"tracing again changes nothing", func() bool {
				if _, err := w.tracing.TraceDay(as(w.officer), "2026-03-02"); err != nil {
					t.Fatal(err)
				}
				added, err := w.tracing.ApplyTraces(as(w.officer))
				return err == nil && added == 0 && len(e.outboxTo(t, "+60123456789")) == 2
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !tc.ok() {
					t.Fatal("not so")
				}
			})
		}
	})
}

func TestTracingKeyAddresses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		if _, err := e.Raw.Exec(`UPDATE people SET address_key = ''`); err != nil {
			t.Fatal(err)
		}
		n, err := w.tracing.KeyAddresses(context.Background())
		if err != nil || n != 5 {
			t.Fatalf("KeyAddresses = %d, %v; want 5", n, err)
		}
		for _, tc := range []struct {
			name   string
			person *jaga.Person
			want   string
		}{
			{"written out", w.aisyah, "12 jalan mawar 43000 kajang"},
			{"upper case", w.hakim, "12 jalan mawar 43000 kajang"},
			{"abbreviated", w.siti, "12 jalan mawar 43000 kajang"},
			{"lorong", w.priya, "8 lorong satu klang"},
			{"no address", w.adam, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var key string
				if err := e.Raw.QueryRow(`SELECT address_key FROM people WHERE id = $1`, tc.person.ID).Scan(&key); err != nil {
					t.Fatal(err)
				}
				if key != tc.want {
					t.Fatalf("address_key = %q, want %q", key, tc.want)
				}
			})
		}
	})
}

func TestTracingLabFeedClient(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		lab := e.org(t, jaga.OrgLaboratory)
		_, key, err := e.Orgs.CreateAPIClient(system(), lab.ID, "LIS", []string{jaga.ScopeCasesWrite})
		if err != nil {
			t.Fatal(err)
		}
		client, err := e.Orgs.AuthenticateAPIClient(anonymous(), key)
		if err != nil {
			t.Fatal(err)
		}
		feed := func(ref string) *jaga.CaseImport {
			f, err := casecsv.ParseFeed([]byte(`{"cases":[{"idNumber":"950815075523","dateOfBirth":"1995-08-15","testedOn":"2026-03-02","reference":"` + ref + `"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		t.Run("without a contract the feed is refused and nothing is written", func(t *testing.T) {
			_, err := w.tracing.ImportCases(as(client), feed("LAB-A1"))
			wantCode(t, err, jaga.EFORBIDDEN)
			if n := e.count(t, `SELECT count(*) FROM cases`); n != 0 {
				t.Fatalf("%d cases", n)
			}
		})
		ministry := e.org(t, jaga.OrgMinistry)
		dpo1, _ := e.staff(t, ministry, jaga.RoleDPO)
		dpo2, _ := e.staff(t, ministry, jaga.RoleDPO)
		e.contract(t, dpo1, dpo2, &jaga.Contract{OrgID: lab.ID,
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryHealth}, Purposes: []string{jaga.PurposeContactTracing},
			ValidFrom: e.Clock.Now().Add(-time.Hour), ValidTo: e.Clock.Now().AddDate(1, 0, 0)})
		t.Run("under the lab's contract the case is recorded and logged", func(t *testing.T) {
			rep, err := w.tracing.ImportCases(as(client), feed("LAB-A2"))
			if err != nil || !rep.Accepted() || rep.Created != 1 {
				t.Fatalf("ImportCases = %+v, %v", rep, err)
			}
			if got := e.riskStatus(t, w.tan.ID); got != jaga.RiskConfirmed {
				t.Fatalf("door status %s", got)
			}
			if n := e.count(t, `SELECT count(*) FROM access_log WHERE purpose = 'CONTACT_TRACING' AND action = 'update' AND decision = 'allow'`); n != 1 {
				t.Fatalf("%d allowed access-log entries, want 1", n)
			}
		})
		t.Run("the lab may not read the contacts", func(t *testing.T) {
			var id string
			if err := e.Raw.QueryRow(`SELECT id FROM cases`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			_, err := w.tracing.CaseContacts(as(client), id)
			wantCode(t, err, jaga.EFORBIDDEN)
		})
	})
}
