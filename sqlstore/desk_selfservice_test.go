package sqlstore_test

import (
	"context"
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

// fakeVerifier answers every certificate with its result.
type fakeVerifier struct{ res jaga.VerifyResult }

func (f fakeVerifier) Verify(context.Context, string, time.Time) (*jaga.VerifyResult, error) {
	r := f.res
	return &r, nil
}

// TestDeskSelfServiceRecorded checks that verifying an overseas certificate
// and changing a contact are attempts that a ticket of their type carries,
// holding neither the certificate nor the new contact.
func TestDeskSelfServiceRecorded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		desk := sqlstore.NewDeskService(e.DB)
		ministry := e.org(t, jaga.OrgMinistry)
		agent, _ := e.staff(t, ministry, jaga.RoleSupportAgent)
		for _, q := range []string{jaga.QueueMinistryTier2, jaga.QueueContractorTier1} {
			wantCode(t, desk.SetQueueOrganisation(system(), q, ministry.ID), "")
		}
		citizen := e.signIn(t, "012-345 6789")
		const payload = "HC1:6BFOXN%TSMAHN-HWWK2RL99TEZP3Z9M52N651WGRJPTWG%E5EM5K:3.UAXCVEM7F/8X*G-O9 WUQRELS4"
		valid := fakeVerifier{jaga.VerifyResult{Valid: true, Kind: "eu-dcc", Issuer: "SG"}}
		unknown := fakeVerifier{jaga.VerifyResult{Problem: jaga.VerifyUnknownKey, Step: "trust", Kind: "eu-dcc", Issuer: "SG",
			Reason: "No trusted key matches the signer's key id."}}
		tests := []struct {
			name     string
			verifier jaga.CertificateVerifier
			payload  string
			code     string
			outcome  string
		}{
			{"no verifier", nil, payload, jaga.EUNAVAILABLE, ""},
			{"no certificate", valid, "  ", jaga.EINVALID, ""},
			{"too long to be a certificate", valid, strings.Repeat("A", jaga.MaxCertificatePayload+1), jaga.EINVALID, ""},
			{"a valid certificate", valid, payload, "", jaga.OutcomeVerified},
			{"an unknown signer", unknown, payload, "", jaga.OutcomeNotVerified},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				desk.Verifier = tc.verifier
				at, err := desk.RunFix(as(citizen), jaga.FixRequest{Fix: jaga.FixVerifyOverseas, Payload: tc.payload,
					Type: jaga.TicketOverseasCertificate})
				wantCode(t, err, tc.code)
				if err == nil && (at.Outcome != tc.outcome || at.Resolved != (tc.outcome == jaga.OutcomeVerified) || at.Verify == nil) {
					t.Fatalf("attempt = %+v, want %s", at, tc.outcome)
				}
			})
		}
		t.Run("a certificate goes to no other fix", func(t *testing.T) {
			_, err := desk.RunFix(as(citizen), jaga.FixRequest{Fix: jaga.FixResendCert, Payload: payload})
			wantCode(t, err, jaga.EINVALID)
		})

		email := "wei.ming@example.com"
		ch, err := e.Accounts.StartContactChange(as(citizen), email)
		wantCode(t, err, "")
		_, err = e.Accounts.VerifyContactChange(as(citizen), ch.ID, e.code(t, email))
		wantCode(t, err, "")

		for _, tc := range []struct {
			name  string
			n     jaga.NewTicket
			fix   string
			count int
		}{
			{"an overseas certificate ticket carries both checks", jaga.NewTicket{Type: jaga.TicketOverseasCertificate,
				Form: map[string]string{"issuingCountry": "SG", "format": "eu_dcc"}}, jaga.FixVerifyOverseas, 2},
			{"an account ticket carries the contact change", jaga.NewTicket{Type: jaga.TicketAccountChange,
				Form: map[string]string{"change": "lost_phone"}}, jaga.FixUpdateContact, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				th, err := desk.OpenTicket(as(citizen), tc.n)
				wantCode(t, err, "")
				if len(th.Ticket.Tried) != 1 || th.Ticket.Tried[0] != tc.fix {
					t.Fatalf("tried = %v, want %s", th.Ticket.Tried, tc.fix)
				}
				v, err := desk.AgentTicket(as(agent), th.Ticket.ID, jaga.AccessReason{})
				wantCode(t, err, "")
				if len(v.Attempts) != tc.count {
					t.Fatalf("attempts = %+v, want %d", v.Attempts, tc.count)
				}
				for _, at := range v.Attempts {
					if at.Fix != tc.fix || at.Detail == "" {
						t.Fatalf("attempt = %+v", at)
					}
				}
			})
		}
		t.Run("neither the certificate nor the new contact is kept", func(t *testing.T) {
			stored := e.tableText(t, "desk_fix_attempts")
			for _, secret := range []string{payload[:20], email} {
				if strings.Contains(stored, secret) {
					t.Fatalf("the attempts hold %q:\n%s", secret, stored)
				}
			}
		})
	})
}
