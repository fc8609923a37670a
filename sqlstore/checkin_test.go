package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// premises registers a premises of a new premises-owner organisation and
// returns it with the organisation's premises staff.
func (e *env) premises(t *testing.T, typ string) (*jaga.Premises, *jaga.Actor, *jaga.Organisation) {
	t.Helper()
	org := e.org(t, jaga.OrgPremisesOwner)
	staff, _ := e.staff(t, org, jaga.RolePremisesStaff)
	p := &jaga.Premises{Name: fmt.Sprintf("Kedai %d", e.next()), Type: typ, Address: "1 Jalan Ujian, 43000 Kajang",
		State: "Selangor", Latitude: 2.99, Longitude: 101.79, Capacity: 50}
	if err := sqlstore.NewPremisesService(e.DB).CreatePremises(as(staff), p); err != nil {
		t.Fatalf("create premises: %v", err)
	}
	return p, staff, org
}

func (e *env) token(t *testing.T, staff *jaga.Actor, p *jaga.Premises) string {
	t.Helper()
	tok, err := sqlstore.NewPremisesService(e.DB).Token(as(staff), p.ID)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok
}

func TestCreatePremises(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ps := sqlstore.NewPremisesService(e.DB)
		org := e.org(t, jaga.OrgPremisesOwner)
		staff, _ := e.staff(t, org, jaga.RolePremisesStaff)
		other := e.org(t, jaga.OrgPremisesOwner)
		otherStaff, _ := e.staff(t, other, jaga.RolePremisesStaff)
		citizen, _ := e.citizen(t)
		good := func() *jaga.Premises {
			return &jaga.Premises{OrgID: org.ID, Name: "Restoran Ujian", Type: "restaurant", Address: "1 Jalan Ujian, Kajang",
				State: "Selangor", Latitude: 2.99, Longitude: 101.79, Capacity: 40}
		}
		tests := []struct {
			name  string
			actor *jaga.Actor
			edit  func(p *jaga.Premises)
			code  string
			field string
		}{
			{"staff of the owner", staff, nil, "", ""},
			{"staff of another owner", otherStaff, nil, jaga.EFORBIDDEN, ""},
			{"citizen", citizen, nil, jaga.EFORBIDDEN, ""},
			{"unknown type", staff, func(p *jaga.Premises) { p.Type = "casino" }, jaga.EINVALID, "type"},
			{"unknown state", staff, func(p *jaga.Premises) { p.State = "Singapore" }, jaga.EINVALID, "state"},
			{"outside Malaysia", staff, func(p *jaga.Premises) { p.Latitude, p.Longitude = 51.5, -0.1 }, jaga.EINVALID, "latitude"},
			{"no capacity", staff, func(p *jaga.Premises) { p.Capacity = 0 }, jaga.EINVALID, "capacity"},
			{"short name", staff, func(p *jaga.Premises) { p.Name = "A" }, jaga.EINVALID, "name"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := good()
				if tt.edit != nil {
					tt.edit(p)
				}
				err := ps.CreatePremises(as(tt.actor), p)
				wantCode(t, err, tt.code)
				if tt.field != "" {
					wantField(t, err, tt.field)
				}
				if err == nil && (jaga.NormalizeShortCode(p.ShortCode) != p.ShortCode || p.TokenVersion != 1) {
					t.Fatalf("premises %+v", p)
				}
			})
		}
	})
}

func TestCheckIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		listenForPeopleChanges(t, e)
		checkins := sqlstore.NewCheckInService(e.DB)
		p, staff, _ := e.premises(t, "restaurant")
		tok := e.token(t, staff, p)
		a, me := e.citizen(t)
		dep, err := e.People.AddDependant(as(a), profile(e.next()))
		if err != nil {
			t.Fatal(err)
		}
		other, _ := e.citizen(t)
		otherDep, err := e.People.AddDependant(as(other), profile(e.next()))
		if err != nil {
			t.Fatal(err)
		}

		t.Run("by token with a dependant", func(t *testing.T) {
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok, Dependants: []string{dep.ID}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Visits) != 2 || len(res.Door) != 2 || res.Visits[0].PersonID != me.ID || res.Visits[1].PersonID != dep.ID {
				t.Fatalf("result %+v", res)
			}
			if res.Visits[0].Source != jaga.SourceScan || !res.Visits[0].LeavesAt.Equal(e.Clock.Now().Add(90*time.Minute)) {
				t.Fatalf("visit %+v", res.Visits[0])
			}
			if res.Door[0].Risk != jaga.RiskLow || res.Door[0].Vaccination != jaga.VaxNotRecorded || res.Door[0].Name != me.FullName {
				t.Fatalf("door %+v", res.Door[0])
			}
		})
		t.Run("again within the window is the same visit", func(t *testing.T) {
			first, _ := checkins.Visits(as(a), 10)
			e.Clock.Advance(10 * time.Minute)
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{ShortCode: strings.ToLower(strings.ReplaceAll(p.ShortCode, "-", " "))})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Visits[0].SameVisit || res.Visits[0].ID != first[0].ID && res.Visits[0].ID != first[1].ID {
				t.Fatalf("not the same visit: %+v", res.Visits[0])
			}
		})
		t.Run("after the window is a new visit", func(t *testing.T) {
			e.Clock.Advance(jaga.SameVisitWindow + time.Minute)
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
			if err != nil || res.Visits[0].SameVisit {
				t.Fatalf("%+v %v", res, err)
			}
		})
		t.Run("door shows risk status and vaccination", func(t *testing.T) {
			now := e.Clock.Now()
			mustExec(t, e, `INSERT INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at) VALUES ($1, $2, $3, 'casual', 'test', $4, $5, $4)`,
				"rs-"+me.ID, me.ID, jaga.RiskCasual, now.Add(-time.Hour), now.Add(24*time.Hour))
			mustExec(t, e, `INSERT INTO doses (id, person_id, product, manufacturer, batch, dose_number, total_doses, booster, given_on, centre_id, country, created_at)
				VALUES ($1, $2, 'EU/1/20/1528', 'ORG-100030215', 'B1', 2, 2, $3, '2021-08-01', 'c1', 'MY', $4)`, "d-"+me.ID, me.ID, false, now)
			refreshDoor(t, e, me.ID)
			e.Clock.Advance(jaga.SameVisitWindow + time.Minute)
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			if res.Door[0].Risk != jaga.RiskCasual || res.Door[0].Vaccination != jaga.VaxComplete {
				t.Fatalf("door %+v", res.Door[0])
			}
			// Once the status ends, the door shows low risk without a refresh.
			e.Clock.Advance(25 * time.Hour)
			res, err = checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
			if err != nil || res.Door[0].Risk != jaga.RiskLow {
				t.Fatalf("door after the status ended %+v %v", res, err)
			}
		})
		bad := []struct {
			name  string
			actor *jaga.Actor
			req   jaga.CheckInRequest
			code  string
			msg   string
		}{
			{"someone else's dependant", a, jaga.CheckInRequest{Token: tok, Dependants: []string{otherDep.ID}}, jaga.EINVALID, "own dependants"},
			{"another citizen as a dependant", a, jaga.CheckInRequest{Token: tok, Dependants: []string{other.ID}}, jaga.EINVALID, "own dependants"},
			{"unknown dependant", a, jaga.CheckInRequest{Token: tok, Dependants: []string{"nobody"}}, jaga.EINVALID, "own dependants"},
			{"nobody chosen", a, jaga.CheckInRequest{Token: tok, Self: new(bool)}, jaga.EINVALID, "at least one"},
			{"no code", a, jaga.CheckInRequest{}, jaga.EINVALID, "Scan"},
			{"both token and code", a, jaga.CheckInRequest{Token: tok, ShortCode: p.ShortCode}, jaga.EINVALID, "not both"},
			{"unknown short code", a, jaga.CheckInRequest{ShortCode: "ZZZZ-ZZZZ"}, jaga.ENOTFOUND, "No premises has this code"},
			{"malformed short code", a, jaga.CheckInRequest{ShortCode: "12"}, jaga.EINVALID, "8 letters"},
			{"altered token", a, jaga.CheckInRequest{Token: tok[:len(tok)-2] + "AA"}, jaga.EINVALID, "not genuine"},
			{"forged token", a, jaga.CheckInRequest{Token: forge(t, p.ID)}, jaga.EINVALID, "not genuine"},
			{"not a token", a, jaga.CheckInRequest{Token: "https://example.com/"}, jaga.EINVALID, "not a jaga premises code"},
			{"staff cannot check in", staff, jaga.CheckInRequest{Token: tok}, jaga.EUNAUTHORIZED, ""},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				before := countRows(t, e, "checkins")
				_, err := checkins.CheckIn(as(tt.actor), tt.req)
				wantCode(t, err, tt.code)
				if !strings.Contains(jaga.ErrorMessage(err), tt.msg) {
					t.Fatalf("message %q lacks %q", jaga.ErrorMessage(err), tt.msg)
				}
				if countRows(t, e, "checkins") != before {
					t.Fatal("a refused check-in was stored")
				}
			})
		}
		t.Run("rotation invalidates the old token and code", func(t *testing.T) {
			rotated, err := sqlstore.NewPremisesService(e.DB).RotateCode(as(staff), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
			wantCode(t, err, jaga.EINVALID)
			_, err = checkins.CheckIn(as(a), jaga.CheckInRequest{ShortCode: p.ShortCode})
			wantCode(t, err, jaga.ENOTFOUND)
			e.Clock.Advance(jaga.SameVisitWindow + time.Minute)
			if _, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: e.token(t, staff, rotated)}); err != nil {
				t.Fatalf("new token: %v", err)
			}
		})
		t.Run("check out", func(t *testing.T) {
			vs, _ := checkins.Visits(as(a), 1)
			v, err := checkins.CheckOut(as(a), vs[0].ID)
			if err != nil || v.CheckedOutAt == nil {
				t.Fatalf("%+v %v", v, err)
			}
			_, err = checkins.CheckOut(as(a), vs[0].ID)
			wantCode(t, err, jaga.ECONFLICT)
			_, err = checkins.CheckOut(as(other), vs[0].ID)
			wantCode(t, err, jaga.ENOTFOUND)
			// After check-out, checking in again is a new visit.
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: e.token(t, staff, p2(t, e, staff, p))})
			if err != nil || res.Visits[0].SameVisit {
				t.Fatalf("%+v %v", res, err)
			}
		})
	})
}

// refreshDoor recomputes a person's door status as the writers of
// risk_statuses and doses do.
func refreshDoor(t *testing.T, e *env, personID string) {
	t.Helper()
	tx, err := e.DB.BeginTx(system(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.RefreshDoorStatus(system(), personID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func p2(t *testing.T, e *env, staff *jaga.Actor, p *jaga.Premises) *jaga.Premises {
	got, err := sqlstore.NewPremisesService(e.DB).Premises(as(staff), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func forge(t *testing.T, premisesID string) string {
	tok, err := jaga.SignPremisesToken([]byte("not the server's key at all....."), jaga.PremisesToken{PremisesID: premisesID, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustExec(t *testing.T, e *env, q string, args ...any) {
	t.Helper()
	if _, err := e.Raw.Exec(q, args...); err != nil {
		t.Fatalf("exec: %v", err)
	}
}

func TestOfflineUpload(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		checkins := sqlstore.NewCheckInService(e.DB)
		p, staff, _ := e.premises(t, "office")
		tok := e.token(t, staff, p)
		a, _ := e.citizen(t)
		e.Clock.Advance(3 * time.Hour)
		now := e.Clock.Now()
		batch := []jaga.OfflineCheckIn{
			{ClientID: "phone-1-0001", Token: tok, ScannedAt: now.Add(-2 * time.Hour)},
			{ClientID: "phone-1-0002", Token: tok, ScannedAt: now.Add(-1 * time.Hour)},
			{ClientID: "phone-1-0002", Token: tok, ScannedAt: now.Add(-1 * time.Hour)},
			{ClientID: "phone-1-0003", Token: tok, ScannedAt: now.Add(time.Hour)},
			{ClientID: "phone-1-0004", Token: tok, ScannedAt: now.AddDate(0, 0, -30)},
			{ClientID: "phone-1-0007", Token: tok, ScannedAt: now.Add(-4 * time.Hour)},
			{ClientID: "x", Token: tok, ScannedAt: now},
			{ClientID: "phone-1-0005", Token: "JAGA1:broken", ScannedAt: now},
			{ClientID: "phone-1-0006", Token: tok},
		}
		want := []string{"", "", "appears twice", "future", "older than", "before the premises was registered", "client id", "damaged", "missing"}
		res, err := checkins.UploadOffline(as(a), batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if (want[i] == "") != (r.Error == "") || !strings.Contains(r.Error, want[i]) {
				t.Errorf("item %d: error %q, want %q", i, r.Error, want[i])
			}
		}
		stored := countRows(t, e, "checkins")
		if stored != 2 {
			t.Fatalf("%d stored, want 2", stored)
		}
		again, err := checkins.UploadOffline(as(a), batch[:2])
		if err != nil {
			t.Fatal(err)
		}
		if again[0].Visits[0].ID != res[0].Visits[0].ID || countRows(t, e, "checkins") != stored {
			t.Fatal("a repeated upload stored again or answered another visit")
		}
		_, err = checkins.UploadOffline(as(a), make([]jaga.OfflineCheckIn, jaga.OfflineMaxBatch+1))
		wantCode(t, err, jaga.EINVALID)
		_, err = checkins.UploadOffline(as(a), nil)
		wantCode(t, err, jaga.EINVALID)
	})
}

func TestAssistedCheckIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		checkins := sqlstore.NewCheckInService(e.DB)
		p, staff, org := e.premises(t, "clinic")
		visitor, person := e.citizen(t)
		_ = visitor
		_, err := checkins.AssistedCheckIn(as(staff), p.ID, person.IDNumber, person.FullName)
		wantCode(t, err, jaga.EFORBIDDEN)

		ministry := e.org(t, jaga.OrgMinistry)
		dpo1, _ := e.staff(t, ministry, jaga.RoleDPO)
		dpo2, _ := e.staff(t, ministry, jaga.RoleDPO)
		e.contract(t, dpo1, dpo2, &jaga.Contract{OrgID: org.ID, Categories: []string{jaga.CategoryIdentity, jaga.CategoryCheckin},
			Purposes: []string{jaga.PurposeAssistedCheckIn}, ValidFrom: e.Clock.Now().Add(-time.Hour), ValidTo: e.Clock.Now().AddDate(1, 0, 0)})

		res, err := checkins.AssistedCheckIn(as(staff), p.ID, person.IDNumber, strings.ToUpper(person.FullName))
		if err != nil {
			t.Fatal(err)
		}
		if res.Visits[0].PersonID != person.ID || res.Visits[0].Source != jaga.SourceAssisted {
			t.Fatalf("%+v", res.Visits[0])
		}
		_, err = checkins.AssistedCheckIn(as(staff), p.ID, person.IDNumber, "Someone Else Entirely")
		wantCode(t, err, jaga.ENOTFOUND)
		_, err = checkins.AssistedCheckIn(as(staff), p.ID, "000000000000", person.FullName)
		wantCode(t, err, jaga.ENOTFOUND)
		other := e.org(t, jaga.OrgPremisesOwner)
		otherStaff, _ := e.staff(t, other, jaga.RolePremisesStaff)
		_, err = checkins.AssistedCheckIn(as(otherStaff), p.ID, person.IDNumber, person.FullName)
		wantCode(t, err, jaga.ENOTFOUND)

		views, err := e.Log.AccessesToMe(as(visitor), 10)
		if err != nil {
			t.Fatal(err)
		}
		var allow, deny int
		for _, v := range views {
			if v.Purpose == jaga.PurposeAssistedCheckIn {
				if v.Decision == jaga.DecisionAllow {
					allow++
				} else {
					deny++
				}
			}
		}
		if allow != 2 || deny != 1 {
			t.Fatalf("the visitor sees %d allowed and %d refused assisted check-ins, want 2 and 1", allow, deny)
		}
	})
}

func TestVisitCountsAndRetention(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		checkins := sqlstore.NewCheckInService(e.DB)
		ps := sqlstore.NewPremisesService(e.DB)
		p, staff, _ := e.premises(t, "retail")
		tok := e.token(t, staff, p)
		start := e.Clock.Now()
		for i := 0; i < 3; i++ {
			a, _ := e.citizen(t)
			if _, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok}); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(40 * time.Minute)
		}
		counts, err := ps.VisitCounts(as(staff), p.ID, "hour", start.Add(-time.Hour), start.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range counts {
			total += c.Visits
		}
		if total != 3 || len(counts) < 4 {
			t.Fatalf("counts %+v", counts)
		}
		citizen, _ := e.citizen(t)
		_, err = ps.VisitCounts(as(citizen), p.ID, "hour", start, start.Add(time.Hour))
		wantCode(t, err, jaga.ENOTFOUND)
		_, err = ps.VisitCounts(as(staff), p.ID, "week", start, start.Add(time.Hour))
		wantCode(t, err, jaga.EINVALID)

		if n, err := checkins.PurgeCheckIns(system(), 0); err != nil || n != 0 {
			t.Fatalf("purge of fresh check-ins: %d %v", n, err)
		}
		e.Clock.Advance(jaga.DefaultRetention + 48*time.Hour)
		if _, err := checkins.PurgeCheckIns(system(), 0); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, e, "checkins"); n != 0 {
			t.Fatalf("%d check-ins remain after retention", n)
		}
		_, err = checkins.PurgeCheckIns(as(staff), 0)
		wantCode(t, err, jaga.EFORBIDDEN)
	})
}

// TestCheckInDoorFollowsChanges checks that the door shows a person's
// current name, risk and vaccination at once after each kind of change,
// although the writer keeps what check-ins need of people in memory.
func TestCheckInDoorFollowsChanges(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		checkins := sqlstore.NewCheckInService(e.DB)
		p, staff, _ := e.premises(t, "restaurant")
		tok := e.token(t, staff, p)
		a, me := e.citizen(t)
		dep, err := e.People.AddDependant(as(a), profile(e.next()))
		if err != nil {
			t.Fatal(err)
		}
		door := func(t *testing.T) []jaga.DoorStatus {
			t.Helper()
			e.Clock.Advance(time.Second) // well within the card's lifetime
			res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok, Dependants: []string{dep.ID}})
			if err != nil {
				t.Fatal(err)
			}
			return res.Door
		}
		if d := door(t); d[0].Risk != jaga.RiskLow || d[1].Name != dep.FullName {
			t.Fatalf("door %+v", d)
		}

		t.Run("door status refreshed", func(t *testing.T) {
			now := e.Clock.Now()
			mustExec(t, e, `INSERT INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at) VALUES ($1, $2, $3, 'casual', 'test', $4, $5, $4)`,
				"rs-cards-"+me.ID, me.ID, jaga.RiskCasual, now.Add(-time.Minute), now.Add(24*time.Hour))
			refreshDoor(t, e, me.ID)
			if d := door(t); d[0].Risk != jaga.RiskCasual {
				t.Fatalf("door after refresh %+v", d[0])
			}
		})
		t.Run("dependant's profile updated", func(t *testing.T) {
			prof := profile(e.next())
			prof.FullName = "Renamed Dependant"
			if _, err := e.People.UpdateProfile(as(a), dep.ID, prof); err != nil {
				t.Fatal(err)
			}
			if d := door(t); d[1].Name != prof.FullName {
				t.Fatalf("door after rename %+v", d[1])
			}
		})
		t.Run("any write to people in a transaction", func(t *testing.T) {
			tx, err := e.DB.BeginTx(system(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(system(), `UPDATE people SET vaccination_status = $1 WHERE id = $2`, jaga.VaxBooster, dep.ID); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if d := door(t); d[1].Vaccination != jaga.VaxBooster {
				t.Fatalf("door after update %+v", d[1])
			}
		})
		t.Run("a rolled-back write changes nothing", func(t *testing.T) {
			tx, err := e.DB.BeginTx(system(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(system(), `UPDATE people SET vaccination_status = $1 WHERE id = $2`, jaga.VaxPartial, dep.ID); err != nil {
				t.Fatal(err)
			}
			tx.Rollback()
			if d := door(t); d[1].Vaccination != jaga.VaxBooster {
				t.Fatalf("door after rollback %+v", d[1])
			}
		})
		t.Run("a write outside this process shows within a minute", func(t *testing.T) {
			mustExec(t, e, `UPDATE people SET full_name = 'Renamed Elsewhere' WHERE id = $1`, me.ID)
			e.Clock.Advance(time.Minute + time.Second)
			if d := door(t); d[0].Name != "Renamed Elsewhere" {
				t.Fatalf("door after an outside write %+v", d[0])
			}
		})
	})
}

// listenForPeopleChanges starts e.DB's listener on PostgreSQL and waits
// until check-ins read people from memory; stop ends it and waits.
func listenForPeopleChanges(t *testing.T, e *env) (stop func()) {
	t.Helper()
	if e.DB.Dialect() != sqlstore.Postgres {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		e.DB.ListenPeopleChanges(ctx, func(err error) { t.Logf("listen: %v", err) })
	}()
	stop = func() { cancel(); <-listening }
	t.Cleanup(stop)
	waitFor(t, "listening", func() bool { return sqlstore.CardsLive(e.DB) })
	return stop
}

// waitFor waits up to 5 s for ok.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 5 s", what)
		}
	}
}

// TestVisitorCardsAcrossServers checks that on PostgreSQL check-ins read
// people from memory only while the server hears of every change to them,
// and that a change made elsewhere shows at the door at once.
func TestVisitorCardsAcrossServers(t *testing.T) {
	db, raw := openPostgres(t)
	e := newEnv(t, db, raw)
	checkins := sqlstore.NewCheckInService(e.DB)
	p, staff, _ := e.premises(t, "restaurant")
	tok := e.token(t, staff, p)
	a, me := e.citizen(t)
	name := func(t *testing.T) string {
		t.Helper()
		e.Clock.Advance(time.Second) // well within a card's lifetime
		res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		return res.Door[0].Name
	}
	// unheard renames the person without the notice, as if the trigger
	// were not there.
	unheard := func(t *testing.T, to string) {
		t.Helper()
		mustExec(t, e, `ALTER TABLE people DISABLE TRIGGER people_changed`)
		defer mustExec(t, e, `ALTER TABLE people ENABLE TRIGGER people_changed`)
		mustExec(t, e, `UPDATE people SET full_name = $1 WHERE id = $2`, to, me.ID)
	}
	stop := listenForPeopleChanges(t, e)
	first := name(t)

	t.Run("cards are read while listening", func(t *testing.T) {
		unheard(t, "Not Announced")
		if got := name(t); got != first {
			t.Fatalf("door shows %q, want the card's %q", got, first)
		}
	})
	t.Run("a change elsewhere is heard", func(t *testing.T) {
		mustExec(t, e, `UPDATE people SET full_name = 'Renamed Elsewhere' WHERE id = $1`, me.ID)
		waitFor(t, "renamed at the door", func() bool { return name(t) == "Renamed Elsewhere" })
	})
	t.Run("no cards when not listening", func(t *testing.T) {
		stop()
		if sqlstore.CardsLive(e.DB) {
			t.Fatal("cards still in use after listening stopped")
		}
		unheard(t, "Read Fresh")
		if got := name(t); got != "Read Fresh" {
			t.Fatalf("door shows %q, want %q read from the database", got, "Read Fresh")
		}
	})
}

// TestCheckInConcurrentSameVisit checks that check-ins of one person at
// one premises that meet in one group-commit batch are one visit.
func TestCheckInConcurrentSameVisit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		checkins := sqlstore.NewCheckInService(e.DB)
		p, staff, _ := e.premises(t, "restaurant")
		tok := e.token(t, staff, p)
		a, me := e.citizen(t)
		const n = 24
		ids := make(chan string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- res.Visits[0].ID
			}()
		}
		wg.Wait()
		close(ids)
		first := ""
		for id := range ids {
			if first == "" {
				first = id
			} else if id != first {
				t.Fatalf("visits %s and %s: want one visit", first, id)
			}
		}
		if got := e.count(t, `SELECT count(*) FROM checkins c JOIN people pe ON pe.seq = c.person WHERE pe.id = $1`, me.ID); got != 1 {
			t.Fatalf("%d visits stored, want 1", got)
		}
	})
}

// TestCheckInsInOneBatch checks that a person's check-ins written in one
// batch are judged in order: the same premises again is the same visit,
// other premises a new one, and back to the first premises a new one.
func TestCheckInsInOneBatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p1, _, _ := e.premises(t, "restaurant")
		p2, _, _ := e.premises(t, "retail")
		_, me := e.citizen(t)
		now := e.Clock.Now()
		ps := []*jaga.Premises{p1, p1, p2, p1}
		vs := make([]*jaga.Visit, len(ps))
		for i, p := range ps {
			vs[i] = &jaga.Visit{PersonID: me.ID, PremisesID: p.ID, CheckedInAt: now, Source: jaga.SourceScan}
		}
		if err := sqlstore.RecordVisitsTogether(system(), e.DB, ps, vs); err != nil {
			t.Fatal(err)
		}
		same := []bool{false, true, false, false}
		for i, v := range vs {
			if v.SameVisit != same[i] || v.ID == "" || v.LeavesAt.IsZero() {
				t.Errorf("visit %d: %+v, want same visit %v", i, v, same[i])
			}
		}
		if vs[1].ID != vs[0].ID || vs[2].ID == vs[0].ID || vs[3].ID == vs[0].ID || vs[3].ID == vs[2].ID {
			t.Errorf("visit ids %s %s %s %s", vs[0].ID, vs[1].ID, vs[2].ID, vs[3].ID)
		}
		if got := e.count(t, `SELECT count(*) FROM checkins c JOIN people pe ON pe.seq = c.person WHERE pe.id = $1`, me.ID); got != 3 {
			t.Fatalf("%d visits stored, want 3", got)
		}
	})
}

// TestPremisesAcrossServers checks that on PostgreSQL a premises changed
// by another server is forgotten at once by a server that listens: its
// rotated code is refused here straight away, not after the cache's TTL.
func TestPremisesAcrossServers(t *testing.T) {
	db, raw := openPostgres(t)
	e := newEnv(t, db, raw)
	checkins := sqlstore.NewCheckInService(e.DB)
	p, staff, _ := e.premises(t, "restaurant")
	tok := e.token(t, staff, p)
	a, _ := e.citizen(t)
	listenForPeopleChanges(t, e)
	if _, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, e, `UPDATE premises SET token_version = token_version + 1 WHERE id = $1`, p.ID)
	waitFor(t, "the old code refused", func() bool {
		e.Clock.Advance(time.Hour) // a new visit, not the same one
		_, err := checkins.CheckIn(as(a), jaga.CheckInRequest{Token: tok})
		return jaga.ErrorCode(err) == jaga.EINVALID
	})
}
