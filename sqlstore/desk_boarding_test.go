package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

func TestDeskBoardingQuery(t *testing.T) {
	yes, no := true, false
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := newCertWorld(t, e)
		if _, _, err := cw.doses.RecordDose(as(cw.vaccinator), dose("900101-14-5678", "1990-01-01", 1, 1, "2021-07-03")); err != nil {
			t.Fatal(err)
		}
		desk := sqlstore.NewDeskService(e.DB)
		ministry := e.org(t, jaga.OrgMinistry)
		if err := desk.SetQueueOrganisation(system(), jaga.QueueAirlineLiaison, ministry.ID); err != nil {
			t.Fatal(err)
		}
		airline, bareAirline := e.org(t, jaga.OrgAirline), e.org(t, jaga.OrgAirline)
		agent, _ := e.staff(t, airline, jaga.RoleAirlineAgent)
		bareAgent, _ := e.staff(t, bareAirline, jaga.RoleAirlineAgent)
		airlineAdmin, _ := e.staff(t, airline, jaga.RoleAdmin)
		contractor, _ := e.staff(t, e.org(t, jaga.OrgContractor), jaga.RoleSupportAgent)
		contract := e.contract(t, cw.dpo1, cw.dpo2, &jaga.Contract{OrgID: airline.ID,
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel},
			Purposes:   []string{jaga.PurposeAirlineQuery}, ValidFrom: start.Add(-time.Hour), ValidTo: start.AddDate(1, 0, 0)})
		aisyah, tan := citizenOf(cw.aisyah), citizenOf(cw.tan)
		code := func(holder *jaga.Actor, personID string, share jaga.ConsentShare) string {
			t.Helper()
			c, err := desk.CreateConsentCode(as(holder), jaga.NewConsentCode{PersonID: personID, Share: share})
			wantCode(t, err, "")
			if len(c.Code) != jaga.ConsentCodeLength || !c.ExpiresAt.Equal(e.Clock.Now().Add(jaga.ConsentCodeTTL)) {
				t.Fatalf("code = %+v", c)
			}
			return c.Code
		}
		both := jaga.ConsentShare{CertificateValid: true, NameMatch: true}
		query := func(c, name string) jaga.BoardingQuery {
			return jaga.BoardingQuery{Code: c[:4] + "-" + strings.ToLower(c[4:]), PassportName: name, Flight: "MH 370", Airport: "kul"}
		}

		used := code(aisyah, "", both)
		if _, err := desk.BoardingQuery(as(agent), query(used, "RAHMAN AISYAH BINTI")); err != nil {
			t.Fatal(err)
		}
		expired := code(tan, "", both)
		e.Clock.Advance(jaga.ConsentCodeTTL)
		notConsumed := code(aisyah, "", both)

		tests := []struct {
			name         string
			actor        *jaga.Actor
			q            jaga.BoardingQuery
			code         string
			message      string // part of the error's message
			cert, names  *bool
			ticket       bool
			ticketPerson *jaga.Person // whose ticket list holds it
		}{
			{name: "a valid certificate and a matching name", actor: agent, q: query(code(aisyah, "", both), "RAHMAN AISYAH BINTI"),
				cert: &yes, names: &yes},
			{name: "no certificate: a ticket in the 24-hour lane", actor: agent,
				q:    query(code(tan, "", jaga.ConsentShare{CertificateValid: true}), "TAN WEI MING"),
				cert: &no, ticket: true, ticketPerson: cw.tan},
			{name: "a married name", actor: agent, q: query(code(aisyah, "", jaga.ConsentShare{NameMatch: true}), "AISYAH BINTI ABDULLAH"),
				names: &no, ticket: true, ticketPerson: cw.aisyah},
			{name: "a dependant", actor: agent, q: query(code(aisyah, cw.adam.ID, both), "ADAM BIN HAKIM"),
				cert: &no, names: &yes, ticket: true, ticketPerson: cw.aisyah},
			{name: "a used code", actor: agent, q: query(used, "RAHMAN AISYAH BINTI"), code: jaga.ECONFLICT, message: "used already"},
			{name: "an expired code", actor: agent, q: query(expired, "TAN WEI MING"), code: jaga.ECONFLICT, message: "expired"},
			{name: "an unknown code", actor: agent, q: query("ABCDEFGH", "TAN WEI MING"), code: jaga.ENOTFOUND, message: "No such consent code"},
			{name: "no code", actor: agent, q: jaga.BoardingQuery{PassportName: "TAN", Flight: "MH1", Airport: "KUL"}, code: jaga.EINVALID},
			{name: "an airline without a contract", actor: bareAgent, q: query(notConsumed, "RAHMAN AISYAH"), code: jaga.EFORBIDDEN,
				message: "no active contract"},
			{name: "the code still works after a refused query", actor: agent, q: query(notConsumed, "AISYAH BINTI RAHMAN"), cert: &yes, names: &yes},
			{name: "an airline's admin", actor: airlineAdmin, q: query(code(aisyah, "", both), "RAHMAN AISYAH"), code: jaga.EFORBIDDEN},
			{name: "a contractor", actor: contractor, q: query(code(aisyah, "", both), "RAHMAN AISYAH"), code: jaga.EFORBIDDEN},
			{name: "a citizen", actor: tan, q: query(code(aisyah, "", both), "RAHMAN AISYAH"), code: jaga.EFORBIDDEN},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var before int
				if tc.ticketPerson != nil {
					list, _ := desk.MyTickets(as(citizenOf(tc.ticketPerson)))
					before = len(list)
				}
				ans, err := desk.BoardingQuery(as(tc.actor), tc.q)
				wantCode(t, err, tc.code)
				if tc.code != "" {
					if !strings.Contains(jaga.ErrorMessage(err), tc.message) {
						t.Fatalf("message %q lacks %q", jaga.ErrorMessage(err), tc.message)
					}
					return
				}
				same := func(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
				if !same(ans.CertificateValid, tc.cert) || !same(ans.NameMatches, tc.names) || (ans.Ticket != "") != tc.ticket ||
					!strings.HasPrefix(ans.Reference, "BQ-") {
					t.Fatalf("answer = %+v", ans)
				}
				if !tc.ticket {
					return
				}
				list, _ := desk.MyTickets(as(citizenOf(tc.ticketPerson)))
				var got *jaga.Ticket
				for _, tk := range list {
					if tk.Reference == ans.Ticket {
						got = tk
					}
				}
				if len(list) != before+1 || got == nil || got.Queue != jaga.QueueAirlineLiaison ||
					got.Priority != jaga.PriorityUrgent || got.Type != jaga.TicketBoardingProblem {
					t.Fatalf("%d tickets, the new one %+v", len(list), got)
				}
			})
		}

		t.Run("the passenger sees the airline's accesses", func(t *testing.T) {
			accesses, err := e.Log.AccessesToMe(as(aisyah), 50)
			wantCode(t, err, "")
			var allowed, denied int
			for _, a := range accesses {
				if a.Purpose != jaga.PurposeAirlineQuery {
					continue
				}
				if a.Decision == jaga.DecisionAllow && a.ContractRef == contract.Reference {
					allowed++
				}
				if a.Decision == jaga.DecisionDeny {
					denied++
				}
			}
			if allowed < 4 || denied != 1 {
				t.Fatalf("airline accesses: %d allowed under the contract, %d denied; accesses %+v", allowed, denied, accesses)
			}
		})
		t.Run("codes are kept hashed", func(t *testing.T) {
			if strings.Contains(e.tableText(t, "boarding_consents"), used) {
				t.Fatal("a consent code is stored in clear")
			}
		})
	})
}
