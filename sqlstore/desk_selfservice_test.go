package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// TestDeskSelfService runs each fix for a citizen and a dependant, and
// carries the attempts into the ticket opened after a fix did not help.
func TestDeskSelfService(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		desk := sqlstore.NewDeskService(e.DB)
		desk.Tracing = sqlstore.NewTracingService(e.DB, jaga.DefaultTracing())
		ministry := e.org(t, jaga.OrgMinistry)
		agent, _ := e.staff(t, ministry, jaga.RoleSupportAgent)
		if err := desk.SetQueueOrganisation(system(), jaga.QueueMinistryTier2, ministry.ID); err != nil {
			t.Fatal(err)
		}
		// Tan's booster reached the registry while no key was loaded: his
		// certificate does not show it.
		e.DB.Signer = nil
		w.record(t, dose("950815-07-5523", "1995-08-15", 1, 1, "2021-09-01"))
		e.DB.Signer = w.signer
		tan, aisyah := as(citizenOf(w.tan)), as(citizenOf(w.aisyah))

		tests := []struct {
			name        string
			req         jaga.FixRequest
			wantCode    string
			wantOutcome string
		}{
			{"refresh finds the dose", jaga.FixRequest{Fix: jaga.FixRefreshRecord}, "", jaga.OutcomeFixed},
			{"refresh again changes nothing", jaga.FixRequest{Fix: jaga.FixRefreshRecord}, "", jaga.OutcomeUnchanged},
			{"re-send the certificate", jaga.FixRequest{Fix: jaga.FixResendCert}, "", jaga.OutcomeSent},
			{"explain a low risk", jaga.FixRequest{Fix: jaga.FixExplainStatus}, "", jaga.OutcomeExplained},
			{"an unknown fix", jaga.FixRequest{Fix: "reboot"}, jaga.EINVALID, ""},
			{"someone else's dependant", jaga.FixRequest{Fix: jaga.FixRefreshRecord, PersonID: w.adam.ID}, jaga.ENOTFOUND, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				at, err := desk.RunFix(tan, tc.req)
				wantCode(t, err, tc.wantCode)
				if err == nil && at.Outcome != tc.wantOutcome {
					t.Fatalf("outcome = %s (%s), want %s", at.Outcome, at.Detail, tc.wantOutcome)
				}
			})
		}
		t.Run("anonymous", func(t *testing.T) {
			_, err := desk.RunFix(anonymous(), jaga.FixRequest{Fix: jaga.FixRefreshRecord})
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})
		t.Run("the re-sent certificate is a link, not the payload", func(t *testing.T) {
			out := e.tableText(t, "outbox")
			if !strings.Contains(out, "/me/certificates") || strings.Contains(out, "HC1:") {
				t.Fatalf("outbox does not hold a link without the payload:\n%s", out)
			}
		})
		t.Run("a ticket carries what was tried", func(t *testing.T) {
			at, err := desk.RunFix(aisyah, jaga.FixRequest{Fix: jaga.FixRefreshRecord, PersonID: w.adam.ID})
			wantCode(t, err, "")
			if at.Outcome != jaga.OutcomeNoDoses || at.Resolved {
				t.Fatalf("refresh of a dependant with no dose = %+v", at)
			}
			// An attempt for another person, or a day old, is not carried.
			_, err = desk.RunFix(aisyah, jaga.FixRequest{Fix: jaga.FixRefreshRecord})
			wantCode(t, err, "")
			e.Clock.Advance(time.Hour)
			th, err := desk.OpenTicket(aisyah, jaga.NewTicket{Type: jaga.TicketDoseMissing, PersonID: w.adam.ID,
				Form: map[string]string{"doseNumber": "1", "givenOn": "2022-02-10", "country": "MY"}})
			wantCode(t, err, "")
			if got := th.Ticket.Tried; len(got) != 1 || got[0] != jaga.FixRefreshRecord {
				t.Fatalf("tried = %v, want the refresh", got)
			}
			v, err := desk.AgentTicket(as(agent), th.Ticket.ID, jaga.AccessReason{})
			wantCode(t, err, "")
			if len(v.Attempts) != 1 || v.Attempts[0].Outcome != jaga.OutcomeNoDoses || v.Attempts[0].PersonID != w.adam.ID {
				t.Fatalf("agent sees attempts %+v, want Adam's refresh with no doses", v.Attempts)
			}
			th2, err := desk.OpenTicket(aisyah, jaga.NewTicket{Type: jaga.TicketDoseMissing, PersonID: w.adam.ID,
				Form: map[string]string{"doseNumber": "1", "givenOn": "2022-02-10", "country": "MY"}})
			wantCode(t, err, "")
			if len(th2.Ticket.Tried) != 0 {
				t.Fatalf("a second ticket carries attempts already carried: %v", th2.Ticket.Tried)
			}
			// Attempts no ticket carried are purged after the window; those
			// a ticket carries stay with it.
			e.Clock.Advance(jaga.FixAttemptWindow)
			if _, err := e.DB.PurgeExpired(system()); err != nil {
				t.Fatal(err)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM desk_fix_attempts`); n != 1 {
				t.Fatalf("%d attempts left after the purge, want the carried one", n)
			}
		})
	})
}
