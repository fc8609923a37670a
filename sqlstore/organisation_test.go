package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/totp"
)

func TestCreateOrganisation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ministry := e.org(t, jaga.OrgMinistry)
		contractor := e.org(t, jaga.OrgContractor)
		ministryAdmin, _ := e.staff(t, ministry, jaga.RoleAdmin)
		ministryDPO, _ := e.staff(t, ministry, jaga.RoleDPO)
		contractorAdmin, _ := e.staff(t, contractor, jaga.RoleAdmin)
		citizen := e.signIn(t, e.phone())

		cases := []struct {
			name string
			ctx  context.Context
			code string
		}{
			{"system", system(), ""},
			{"ministry admin", as(ministryAdmin), ""},
			{"ministry data protection officer", as(ministryDPO), jaga.EFORBIDDEN},
			{"contractor admin", as(contractorAdmin), jaga.EFORBIDDEN},
			{"citizen", as(citizen), jaga.EFORBIDDEN},
			{"anonymous", anonymous(), jaga.EFORBIDDEN},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				o := &jaga.Organisation{Name: "Org of " + tc.name, Kind: jaga.OrgAirline}
				err := e.Orgs.CreateOrganisation(tc.ctx, o)
				wantCode(t, err, tc.code)
				if tc.code != "" {
					return
				}
				if o.ID == "" || !o.CreatedAt.Equal(start) {
					t.Errorf("organisation = %+v, want an id and the creation time", o)
				}
				got, err := e.Orgs.Organisation(anonymous(), o.ID)
				wantCode(t, err, "")
				if got.Name != o.Name || got.Kind != o.Kind || !got.CreatedAt.Equal(o.CreatedAt) {
					t.Errorf("Organisation() = %+v, want %+v", got, o)
				}
			})
		}

		invalid := []struct {
			name, field string
			org         jaga.Organisation
		}{
			{"name too short", "name", jaga.Organisation{Name: " X ", Kind: jaga.OrgAirline}},
			{"name too long", "name", jaga.Organisation{Name: strings.Repeat("x", 121), Kind: jaga.OrgAirline}},
			{"unknown kind", "kind", jaga.Organisation{Name: "Bank Rakyat", Kind: "bank"}},
			{"duplicate name", "name", jaga.Organisation{Name: ministry.Name, Kind: jaga.OrgMinistry}},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				o := tc.org
				wantField(t, e.Orgs.CreateOrganisation(system(), &o), tc.field)
			})
		}

		t.Run("list", func(t *testing.T) {
			list, err := e.Orgs.Organisations(anonymous())
			wantCode(t, err, "")
			if len(list) != 4 {
				t.Fatalf("%d organisations, want 4", len(list))
			}
			for i := 1; i < len(list); i++ {
				if list[i-1].Name > list[i].Name {
					t.Errorf("organisations not in name order: %q before %q", list[i-1].Name, list[i].Name)
				}
			}
			_, err = e.Orgs.Organisation(anonymous(), "no-such-org")
			wantCode(t, err, jaga.ENOTFOUND)
		})
	})
}

func TestCreateStaff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ministry := e.org(t, jaga.OrgMinistry)
		contractor := e.org(t, jaga.OrgContractor)
		airline := e.org(t, jaga.OrgAirline)
		ministryAdmin, _ := e.staff(t, ministry, jaga.RoleAdmin)
		contractorAdmin, _ := e.staff(t, contractor, jaga.RoleAdmin)
		contractorAgent, _ := e.staff(t, contractor, jaga.RoleSupportAgent)
		citizen := e.signIn(t, e.phone())

		cases := []struct {
			name string
			ctx  context.Context
			org  *jaga.Organisation
			code string
		}{
			{"system", system(), airline, ""},
			{"ministry admin for another organisation", as(ministryAdmin), contractor, ""},
			{"contractor admin for its own organisation", as(contractorAdmin), contractor, ""},
			{"contractor admin for another organisation", as(contractorAdmin), airline, jaga.EFORBIDDEN},
			{"contractor admin for the ministry", as(contractorAdmin), ministry, jaga.EFORBIDDEN},
			{"support agent", as(contractorAgent), contractor, jaga.EFORBIDDEN},
			{"citizen", as(citizen), contractor, jaga.EFORBIDDEN},
			{"anonymous", anonymous(), contractor, jaga.EFORBIDDEN},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				email := e.email("new.staff")
				enr, err := e.Orgs.CreateStaff(tc.ctx, jaga.NewStaff{
					OrgID: tc.org.ID, Email: strings.ToUpper(email), DisplayName: " New Staff ", Role: jaga.RoleSupportAgent, Password: staffPassword,
				})
				wantCode(t, err, tc.code)
				if tc.code != "" {
					return
				}
				st := enr.Staff
				if st.ID == "" || st.OrgID != tc.org.ID || st.Email != email || st.DisplayName != "New Staff" || st.Disabled {
					t.Errorf("staff = %+v, want an enabled member of %s with email %s", st, tc.org.ID, email)
				}
				if enr.TOTPSecret == "" || !strings.HasPrefix(enr.TOTPURL, "otpauth://totp/") {
					t.Errorf("enrolment = %+v, want a TOTP secret and URL", enr)
				}
				members, err := e.Orgs.StaffMembers(system(), tc.org.ID)
				wantCode(t, err, "")
				found := false
				for _, m := range members {
					found = found || m.ID == st.ID
				}
				if !found {
					t.Errorf("StaffMembers() does not list the new member")
				}
			})
		}

		t.Run("password stored hashed", func(t *testing.T) {
			text := e.tableText(t, `staff`)
			if strings.Contains(text, staffPassword) {
				t.Error("the staff table holds a password in clear")
			}
		})

		invalid := []struct {
			name, field string
			change      func(n *jaga.NewStaff)
		}{
			{"bad email", "email", func(n *jaga.NewStaff) { n.Email = "staff@" }},
			{"short display name", "displayName", func(n *jaga.NewStaff) { n.DisplayName = "X" }},
			{"unknown role", "role", func(n *jaga.NewStaff) { n.Role = "janitor" }},
			{"short password", "password", func(n *jaga.NewStaff) { n.Password = "hunter2" }},
			{"no organisation", "orgId", func(n *jaga.NewStaff) { n.OrgID = "" }},
			{"unknown organisation", "orgId", func(n *jaga.NewStaff) { n.OrgID = "no-such-org" }},
			{"email taken", "email", func(n *jaga.NewStaff) { n.Email = contractorAgentEmail(t, e, contractor.ID) }},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				n := jaga.NewStaff{OrgID: airline.ID, Email: e.email("valid"), DisplayName: "Valid Name", Role: jaga.RoleAirlineAgent, Password: staffPassword}
				tc.change(&n)
				_, err := e.Orgs.CreateStaff(system(), n)
				wantField(t, err, tc.field)
			})
		}
	})
}

func contractorAgentEmail(t *testing.T, e *env, orgID string) string {
	t.Helper()
	members, err := e.Orgs.StaffMembers(system(), orgID)
	if err != nil || len(members) == 0 {
		t.Fatalf("staff members: %v", err)
	}
	return members[0].Email
}

func TestSignInStaff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		contractor := e.org(t, jaga.OrgContractor)
		newMember := func(t *testing.T) *jaga.StaffEnrolment {
			t.Helper()
			_, enr := e.staff(t, contractor, jaga.RoleSupportAgent)
			return enr
		}

		t.Run("right password and code", func(t *testing.T) {
			enr := newMember(t)
			a, err := e.Orgs.SignInStaff(anonymous(), " "+strings.ToUpper(enr.Staff.Email)+" ", staffPassword, e.totp(t, enr.TOTPSecret))
			wantCode(t, err, "")
			want := jaga.Actor{Kind: jaga.ActorStaff, ID: enr.Staff.ID, OrgID: contractor.ID, OrgKind: jaga.OrgContractor,
				Role: jaga.RoleSupportAgent, Name: enr.Staff.DisplayName}
			if a.Kind != want.Kind || a.ID != want.ID || a.OrgID != want.OrgID || a.OrgKind != want.OrgKind || a.Role != want.Role || a.Name != want.Name {
				t.Errorf("actor = %+v, want %+v", a, want)
			}
		})

		t.Run("code of the previous period", func(t *testing.T) {
			enr := newMember(t)
			code := e.totp(t, enr.TOTPSecret)
			e.Clock.Advance(30 * time.Second)
			_, err := e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, staffPassword, code)
			wantCode(t, err, "")
		})

		type credential func(t *testing.T, enr *jaga.StaffEnrolment) string
		email := func(_ *testing.T, enr *jaga.StaffEnrolment) string { return enr.Staff.Email }
		password := func(*testing.T, *jaga.StaffEnrolment) string { return staffPassword }
		code := func(t *testing.T, enr *jaga.StaffEnrolment) string { return e.totp(t, enr.TOTPSecret) }
		wrong := []struct {
			name                  string
			email, password, code credential
		}{
			{"wrong password", email, func(*testing.T, *jaga.StaffEnrolment) string { return staffPassword + "!" }, code},
			{"wrong code", email, password, func(t *testing.T, enr *jaga.StaffEnrolment) string { return e.wrongTOTP(t, enr.TOTPSecret) }},
			{"no code", email, password, func(*testing.T, *jaga.StaffEnrolment) string { return "" }},
			{"stale code", email, password, func(t *testing.T, enr *jaga.StaffEnrolment) string {
				c, err := totp.Code(enr.TOTPSecret, e.Clock.Now().Add(-5*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				if (totp.Authenticator{}).Validate(enr.TOTPSecret, c, e.Clock.Now()) {
					return e.wrongTOTP(t, enr.TOTPSecret) // the old period's code happens to be valid now
				}
				return c
			}},
			{"unknown email", func(*testing.T, *jaga.StaffEnrolment) string { return "nobody@staff.example.org" }, password, code},
			{"malformed email", func(*testing.T, *jaga.StaffEnrolment) string { return "nobody" }, password, code},
			{"empty password", email, func(*testing.T, *jaga.StaffEnrolment) string { return "" }, code},
			{"password of another member", email, func(*testing.T, *jaga.StaffEnrolment) string { return "another staff password" }, code},
		}
		for _, tc := range wrong {
			t.Run(tc.name, func(t *testing.T) {
				enr := newMember(t)
				_, err := e.Orgs.SignInStaff(anonymous(), tc.email(t, enr), tc.password(t, enr), tc.code(t, enr))
				wantCode(t, err, jaga.EUNAUTHORIZED)
				if msg := jaga.ErrorMessage(err); msg != "The email, password or code is wrong." {
					t.Errorf("message = %q, want the one answer that tells nothing", msg)
				}
				// One failure does not lock the account.
				_, err = e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, staffPassword, e.totp(t, enr.TOTPSecret))
				wantCode(t, err, "")
			})
		}

		t.Run("lockout", func(t *testing.T) {
			enr := newMember(t)
			email, secret := enr.Staff.Email, enr.TOTPSecret
			for i := 1; i <= jaga.StaffMaxFailures; i++ {
				_, err := e.Orgs.SignInStaff(anonymous(), email, staffPassword, e.wrongTOTP(t, secret))
				want := jaga.EUNAUTHORIZED
				if i == jaga.StaffMaxFailures {
					want = jaga.ERATELIMIT
				}
				wantCode(t, err, want)
			}
			_, err := e.Orgs.SignInStaff(anonymous(), email, staffPassword, e.totp(t, secret))
			wantCode(t, err, jaga.ERATELIMIT)

			e.Clock.Advance(jaga.StaffLockout - time.Second)
			_, err = e.Orgs.SignInStaff(anonymous(), email, staffPassword, e.totp(t, secret))
			wantCode(t, err, jaga.ERATELIMIT)

			e.Clock.Advance(time.Second)
			a, err := e.Orgs.SignInStaff(anonymous(), email, staffPassword, e.totp(t, secret))
			wantCode(t, err, "")
			if a.ID != enr.Staff.ID {
				t.Errorf("actor = %+v, want %s", a, enr.Staff.ID)
			}
		})

		t.Run("failures are counted per account and reset by a success", func(t *testing.T) {
			enr := newMember(t)
			other := newMember(t)
			for range jaga.StaffMaxFailures - 1 {
				_, err := e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, "wrong password!", e.totp(t, enr.TOTPSecret))
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
			_, err := e.Orgs.SignInStaff(anonymous(), other.Staff.Email, staffPassword, e.totp(t, other.TOTPSecret))
			wantCode(t, err, "")
			_, err = e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, staffPassword, e.totp(t, enr.TOTPSecret))
			wantCode(t, err, "")
			for range jaga.StaffMaxFailures - 1 {
				_, err := e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, "wrong password!", e.totp(t, enr.TOTPSecret))
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
			_, err = e.Orgs.SignInStaff(anonymous(), enr.Staff.Email, staffPassword, e.totp(t, enr.TOTPSecret))
			wantCode(t, err, "")
		})
	})
}

func TestAPIClients(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		airline := e.org(t, jaga.OrgAirline)
		other := e.org(t, jaga.OrgAirline)
		airlineAdmin, _ := e.staff(t, airline, jaga.RoleAdmin)
		citizen := e.signIn(t, e.phone())

		var key string
		t.Run("create", func(t *testing.T) {
			c, k, err := e.Orgs.CreateAPIClient(as(airlineAdmin), airline.ID, " Boarding gate ", []string{jaga.ScopePersonsRead})
			wantCode(t, err, "")
			if c.ID == "" || c.OrgID != airline.ID || c.Name != "Boarding gate" || len(c.Scopes) != 1 || c.RevokedAt != nil {
				t.Errorf("client = %+v", c)
			}
			if !strings.HasPrefix(k, "jaga_") || len(k) < 40 {
				t.Errorf("key = %q, want a long key starting jaga_", k)
			}
			key = k
			if strings.Contains(e.tableText(t, `api_clients`), k) {
				t.Error("the api_clients table holds the key in clear")
			}
		})

		t.Run("authenticate", func(t *testing.T) {
			a, err := e.Orgs.AuthenticateAPIClient(anonymous(), key)
			wantCode(t, err, "")
			if a.Kind != jaga.ActorAPIClient || a.OrgID != airline.ID || a.OrgKind != jaga.OrgAirline || a.Name != "Boarding gate" ||
				!a.HasScope(jaga.ScopePersonsRead) || a.HasScope(jaga.ScopeAccessRead) {
				t.Errorf("actor = %+v", a)
			}
		})

		for _, k := range []struct{ name, key string }{
			{"wrong key", "jaga_" + strings.Repeat("0", 64)},
			{"key with one character changed", func() string {
				if key == "" {
					return ""
				}
				last := key[len(key)-1]
				repl := byte('0')
				if last == '0' {
					repl = '1'
				}
				return key[:len(key)-1] + string(repl)
			}()},
			{"no prefix", strings.TrimPrefix(key, "jaga_")},
			{"empty", ""},
			{"too long", key + "0"},
		} {
			t.Run(k.name, func(t *testing.T) {
				_, err := e.Orgs.AuthenticateAPIClient(anonymous(), k.key)
				wantCode(t, err, jaga.EUNAUTHORIZED)
			})
		}

		cases := []struct {
			name, orgID string
			ctx         context.Context
			scopes      []string
			code, field string
		}{
			{"system", other.ID, system(), []string{jaga.ScopeAccessRead}, "", ""},
			{"admin of another organisation", other.ID, as(airlineAdmin), []string{jaga.ScopePersonsRead}, jaga.EFORBIDDEN, ""},
			{"citizen", airline.ID, as(citizen), []string{jaga.ScopePersonsRead}, jaga.EFORBIDDEN, ""},
			{"no scope", airline.ID, as(airlineAdmin), nil, jaga.EINVALID, "scopes"},
			{"unknown scope", airline.ID, as(airlineAdmin), []string{"persons:write"}, jaga.EINVALID, "scopes"},
			{"unknown organisation", "no-such-org", system(), []string{jaga.ScopePersonsRead}, jaga.EINVALID, "orgId"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, k, err := e.Orgs.CreateAPIClient(tc.ctx, tc.orgID, fmt.Sprintf("Client %d", i), tc.scopes)
				wantCode(t, err, tc.code)
				if tc.field != "" {
					wantField(t, err, tc.field)
				}
				if tc.code == "" {
					if _, err := e.Orgs.AuthenticateAPIClient(anonymous(), k); err != nil {
						t.Errorf("authenticate the new key: %v", err)
					}
				}
			})
		}
	})
}
