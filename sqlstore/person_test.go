package sqlstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

func TestUpdateProfile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		a := e.signIn(t, e.phone())

		t.Run("valid, normalized", func(t *testing.T) {
			in := jaga.Profile{
				FullName:    "  Tan   Mei   Ling ",
				IDType:      " NRIC ",
				IDNumber:    "850612-10-5544",
				DateOfBirth: "1985-06-12",
				Nationality: "my",
				Address:     " 12 Lorong Bunga, Penang ",
				Language:    "",
			}
			p, err := e.People.UpdateProfile(as(a), a.ID, in)
			wantCode(t, err, "")
			want := jaga.Profile{FullName: "Tan Mei Ling", IDType: jaga.IDTypeNRIC, IDNumber: "850612105544",
				DateOfBirth: "1985-06-12", Nationality: "MY", Address: "12 Lorong Bunga, Penang", Language: jaga.DefaultLanguage}
			got := jaga.Profile{FullName: p.FullName, IDType: p.IDType, IDNumber: p.IDNumber, DateOfBirth: p.DateOfBirth,
				Nationality: p.Nationality, Address: p.Address, Language: p.Language}
			if got != want {
				t.Fatalf("profile = %+v, want %+v", got, want)
			}
			stored, err := e.People.Person(as(a), a.ID)
			wantCode(t, err, "")
			if stored.FullName != want.FullName || stored.IDNumber != want.IDNumber || stored.Phone == "" {
				t.Errorf("stored person = %+v, want the profile and the phone kept", stored)
			}
			if !stored.UpdatedAt.Equal(start) || !stored.CreatedAt.Equal(start) {
				t.Errorf("times = %v, %v; want %v", stored.CreatedAt, stored.UpdatedAt, start)
			}
		})

		t.Run("passport", func(t *testing.T) {
			p := profile(1)
			p.IDType, p.IDNumber, p.Nationality = jaga.IDTypePassport, "k1234567", "ID"
			got, err := e.People.UpdateProfile(as(a), a.ID, p)
			wantCode(t, err, "")
			if got.IDNumber != "K1234567" {
				t.Errorf("passport number = %q, want upper case", got.IDNumber)
			}
		})

		invalid := []struct {
			name, field, value string
			change             func(p *jaga.Profile, v string)
		}{
			{"name missing", "fullName", "", func(p *jaga.Profile, v string) { p.FullName = v }},
			{"name too long", "fullName", strings.Repeat("Abdullah ", 20), func(p *jaga.Profile, v string) { p.FullName = v }},
			{"name with markup", "fullName", "Ali <script>", func(p *jaga.Profile, v string) { p.FullName = v }},
			{"unknown id type", "idType", "driving_licence", func(p *jaga.Profile, v string) { p.IDType = v }},
			{"short nric", "idNumber", "9001011", func(p *jaga.Profile, v string) { p.IDNumber = v }},
			{"nric with letters", "idNumber", "900101-14-55X5", func(p *jaga.Profile, v string) { p.IDNumber = v }},
			{"passport with symbols", "idNumber", "A12#4567", func(p *jaga.Profile, v string) { p.IDType, p.IDNumber = jaga.IDTypePassport, v }},
			{"date of birth not a date", "dateOfBirth", "12/06/1985", func(p *jaga.Profile, v string) { p.DateOfBirth = v }},
			{"date of birth in the future", "dateOfBirth", "2027-01-01", func(p *jaga.Profile, v string) { p.DateOfBirth = v }},
			{"date of birth too long ago", "dateOfBirth", "1890-01-01", func(p *jaga.Profile, v string) { p.DateOfBirth = v }},
			{"nationality not a code", "nationality", "Malaysia", func(p *jaga.Profile, v string) { p.Nationality = v }},
			{"address too long", "address", strings.Repeat("Jalan ", 60), func(p *jaga.Profile, v string) { p.Address = v }},
			{"unsupported language", "language", "fr", func(p *jaga.Profile, v string) { p.Language = v }},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				before, err := e.People.Person(as(a), a.ID)
				wantCode(t, err, "")
				p := profile(2)
				tc.change(&p, tc.value)
				_, err = e.People.UpdateProfile(as(a), a.ID, p)
				wantField(t, err, tc.field)
				if fields := jaga.ErrorFields(err); len(fields) != 1 {
					t.Errorf("fields = %v, want only %s", fields, tc.field)
				}
				if strings.TrimSpace(tc.value) != "" {
					wantNotLeaked(t, err, strings.TrimSpace(tc.value))
				}
				after, err := e.People.Person(as(a), a.ID)
				wantCode(t, err, "")
				if *after != *before {
					t.Errorf("an invalid profile changed the person: %+v, was %+v", after, before)
				}
			})
		}

		t.Run("every problem at once", func(t *testing.T) {
			_, err := e.People.UpdateProfile(as(a), a.ID, jaga.Profile{IDType: "x", DateOfBirth: "x", Nationality: "x", Language: "x"})
			for _, f := range []string{"fullName", "idType", "dateOfBirth", "nationality", "language"} {
				wantField(t, err, f)
			}
		})
	})
}

func TestPersonVisibility(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		guardian, _ := e.citizen(t)
		other, _ := e.citizen(t)
		dependant, err := e.People.AddDependant(as(guardian), profile(e.next()))
		wantCode(t, err, "")
		ministry := e.org(t, jaga.OrgMinistry)
		officer, _ := e.staff(t, ministry, jaga.RoleHealthOfficer)

		cases := []struct {
			name   string
			ctx    context.Context
			id     string
			code   string
			update bool // whether UpdateProfile agrees with Person
		}{
			{"self", as(guardian), guardian.ID, "", true},
			{"guardian reads dependant", as(guardian), dependant.ID, "", true},
			{"other citizen reads citizen", as(other), guardian.ID, jaga.ENOTFOUND, true},
			{"other citizen reads dependant", as(other), dependant.ID, jaga.ENOTFOUND, true},
			{"dependant reads guardian", as(&jaga.Actor{Kind: jaga.ActorCitizen, ID: dependant.ID}), guardian.ID, jaga.ENOTFOUND, true},
			{"unknown person", as(guardian), "no-such-person", jaga.ENOTFOUND, true},
			{"anonymous", anonymous(), guardian.ID, jaga.ENOTFOUND, true},
			{"staff", as(officer), guardian.ID, jaga.ENOTFOUND, true},
			{"system", system(), guardian.ID, jaga.ENOTFOUND, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := e.People.Person(tc.ctx, tc.id)
				wantCode(t, err, tc.code)
				if tc.code == "" {
					if p.ID != tc.id || p.Masked || p.FullName == "" || p.IDNumber == "" || strings.Contains(p.IDNumber, "*") {
						t.Errorf("Person() = %+v, want %s in full", p, tc.id)
					}
				} else if msg := jaga.ErrorMessage(err); msg != "No such person." {
					// Not yours looks exactly like not there.
					t.Errorf("message = %q, want the message of an unknown person", msg)
				}
				if tc.update {
					_, err := e.People.UpdateProfile(tc.ctx, tc.id, profile(e.next()))
					wantCode(t, err, tc.code)
				}
			})
		}
	})
}

func TestDependants(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		guardian, _ := e.citizen(t)
		other, _ := e.citizen(t)

		t.Run("add and list", func(t *testing.T) {
			child := profile(e.next())
			child.DateOfBirth, child.FullName = "2019-05-05", " Adam  bin Yusof "
			d, err := e.People.AddDependant(as(guardian), child)
			wantCode(t, err, "")
			if d.GuardianID != guardian.ID || d.Phone != "" || d.Email != "" || d.FullName != "Adam bin Yusof" {
				t.Errorf("dependant = %+v, want guardian %s, no contact, a normalized name", d, guardian.ID)
			}
			list, err := e.People.Dependants(as(guardian))
			wantCode(t, err, "")
			if len(list) != 1 || list[0].ID != d.ID || list[0].FullName != "Adam bin Yusof" {
				t.Errorf("Dependants() = %+v, want the one dependant", list)
			}
			list, err = e.People.Dependants(as(other))
			wantCode(t, err, "")
			if len(list) != 0 {
				t.Errorf("another citizen's Dependants() = %+v, want none", list)
			}
		})

		t.Run("invalid profile", func(t *testing.T) {
			p := profile(e.next())
			p.DateOfBirth = "tomorrow"
			_, err := e.People.AddDependant(as(guardian), p)
			wantField(t, err, "dateOfBirth")
		})

		t.Run("signed out", func(t *testing.T) {
			_, err := e.People.AddDependant(anonymous(), profile(e.next()))
			wantCode(t, err, jaga.EUNAUTHORIZED)
			_, err = e.People.Dependants(anonymous())
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("a dependant cannot add dependants", func(t *testing.T) {
			list, err := e.People.Dependants(as(guardian))
			wantCode(t, err, "")
			_, err = e.People.AddDependant(as(&jaga.Actor{Kind: jaga.ActorCitizen, ID: list[0].ID}), profile(e.next()))
			wantCode(t, err, jaga.EFORBIDDEN)
		})

		t.Run("limit", func(t *testing.T) {
			list, err := e.People.Dependants(as(guardian))
			wantCode(t, err, "")
			for i := len(list); i < sqlstore.MaxDependants; i++ {
				_, err := e.People.AddDependant(as(guardian), profile(e.next()))
				wantCode(t, err, "")
			}
			_, err = e.People.AddDependant(as(guardian), profile(e.next()))
			wantCode(t, err, jaga.ECONFLICT)
			list, err = e.People.Dependants(as(guardian))
			wantCode(t, err, "")
			if len(list) != sqlstore.MaxDependants {
				t.Errorf("%d dependants, want %d", len(list), sqlstore.MaxDependants)
			}
			// The limit holds against concurrent requests too.
			family, _ := e.citizen(t)
			for range sqlstore.MaxDependants - 1 {
				_, err := e.People.AddDependant(as(family), profile(e.next()))
				wantCode(t, err, "")
			}
			const n = 6
			profiles := make([]jaga.Profile, n)
			for i := range profiles {
				profiles[i] = profile(e.next())
			}
			errs := make(chan error, n)
			var ready sync.WaitGroup
			ready.Add(n)
			for i := range n {
				go func() {
					ready.Done()
					ready.Wait()
					_, err := e.People.AddDependant(as(family), profiles[i])
					errs <- err
				}()
			}
			added := 0
			for range n {
				switch err := <-errs; jaga.ErrorCode(err) {
				case "":
					added++
				case jaga.ECONFLICT:
				default:
					t.Errorf("concurrent AddDependant: %v", err)
				}
			}
			if list, _ := e.People.Dependants(as(family)); added != 1 || len(list) != sqlstore.MaxDependants {
				t.Errorf("%d of %d concurrent adds succeeded, leaving %d dependants; want 1 and %d", added, n, len(list), sqlstore.MaxDependants)
			}

			// The limit is the guardian's, not everyone's.
			_, err = e.People.AddDependant(as(other), profile(e.next()))
			wantCode(t, err, "")
		})
	})
}
