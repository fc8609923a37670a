package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// TestDeskChanges checks that an agent's refresh or correction is done at
// once by the ministry and by a contractor whose contract covers record
// corrections, and is otherwise a request a ministry supervisor or health
// officer decides; each through the gate, with the outcome on the ticket.
func TestDeskChanges(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		desk := sqlstore.NewDeskService(e.DB)
		ministry := e.org(t, jaga.OrgMinistry)
		mAgent, _ := e.staff(t, ministry, jaga.RoleSupportAgent)
		mSuper, _ := e.staff(t, ministry, jaga.RoleSupervisor)
		helpdesk, trusted, bare := e.org(t, jaga.OrgContractor), e.org(t, jaga.OrgContractor), e.org(t, jaga.OrgContractor)
		cAgent, _ := e.staff(t, helpdesk, jaga.RoleSupportAgent)
		tAgent, _ := e.staff(t, trusted, jaga.RoleSupportAgent)
		bAgent, _ := e.staff(t, bare, jaga.RoleSupportAgent)
		for org, purposes := range map[*jaga.Organisation][]string{
			helpdesk: {jaga.PurposeSupportTicket},
			trusted:  {jaga.PurposeSupportTicket, jaga.PurposeRecordCorrection},
		} {
			e.contract(t, w.dpo1, w.dpo2, &jaga.Contract{OrgID: org.ID,
				Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategorySupport},
				Purposes:   purposes, ValidFrom: start.Add(-time.Hour), ValidTo: start.AddDate(1, 0, 0)})
		}
		wantCode(t, desk.SetQueueOrganisation(system(), jaga.QueueMinistryTier2, ministry.ID), "")
		work := func(o *jaga.Organisation) {
			t.Helper()
			wantCode(t, desk.SetQueueOrganisation(system(), jaga.QueueContractorTier1, o.ID), "")
		}
		// Tan's dose reached the registry while no key was loaded: his
		// certificate does not show it.
		e.DB.Signer = nil
		w.record(t, dose("950815-07-5523", "1995-08-15", 1, 1, "2021-09-01"))
		e.DB.Signer = w.signer
		tan := as(citizenOf(w.tan))
		open := func(n jaga.NewTicket) *jaga.Ticket {
			t.Helper()
			th, err := desk.OpenTicket(tan, n)
			wantCode(t, err, "")
			return th.Ticket
		}
		overseas := jaga.NewTicket{Type: jaga.TicketOverseasCertificate, Form: map[string]string{"issuingCountry": "SG", "format": "paper"}}
		refresh := jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: "dose of 2021 not on the certificate"}
		publicPosts := func(id string) string {
			t.Helper()
			th, err := desk.MyTicket(tan, id)
			wantCode(t, err, "")
			var b strings.Builder
			for _, p := range th.Posts {
				b.WriteString(p.Body + "\n")
			}
			return b.String()
		}
		accessed := func(policy, purpose, action string) bool {
			t.Helper()
			l, err := e.Log.AccessesToMe(tan, 100)
			wantCode(t, err, "")
			for _, a := range l {
				if a.Policy == policy && a.Purpose == purpose && a.Action == action && a.Decision == jaga.DecisionAllow {
					return true
				}
			}
			return false
		}

		work(helpdesk)
		tk := open(boosterMissing())
		var pending *jaga.DeskChange
		t.Run("a contractor without a record-correction contract asks", func(t *testing.T) {
			var err error
			pending, err = desk.RequestChange(as(cAgent), tk.ID, refresh)
			wantCode(t, err, "")
			if pending.Status != jaga.ChangePending || pending.TicketReference != tk.Reference {
				t.Fatalf("change = %+v, want pending on %s", pending, tk.Reference)
			}
			if strings.Contains(e.tableText(t, "certificates"), jaga.ReasonRefresh) {
				t.Fatal("a pending refresh issued a certificate")
			}
			if !accessed("contractor-support", jaga.PurposeSupportTicket, jaga.ActionRead) {
				t.Fatal("the request is not in Tan's accesses")
			}
			if accessed("contractor-record-change", jaga.PurposeRecordCorrection, jaga.ActionUpdate) {
				t.Fatal("the contractor changed the record")
			}
		})
		t.Run("the ministry sees it pending, no one else", func(t *testing.T) {
			l, err := desk.Changes(as(mSuper), jaga.ChangePending)
			wantCode(t, err, "")
			if len(l) != 1 || l[0].ID != pending.ID || l[0].RequesterName == "" {
				t.Fatalf("pending = %+v", l)
			}
			for _, a := range []*jaga.Actor{cAgent, mAgent, citizenOf(w.tan)} {
				_, err := desk.Changes(as(a), "")
				wantCode(t, err, jaga.EFORBIDDEN)
			}
		})
		t.Run("only a ministry supervisor or health officer decides", func(t *testing.T) {
			for _, a := range []*jaga.Actor{cAgent, tAgent, mAgent, citizenOf(w.tan)} {
				_, err := desk.DecideChange(as(a), pending.ID, true)
				wantCode(t, err, jaga.EFORBIDDEN)
			}
			ch, err := desk.DecideChange(as(mSuper), pending.ID, true)
			wantCode(t, err, "")
			if ch.Status != jaga.ChangeApproved || !strings.Contains(ch.Outcome, "new certificate") {
				t.Fatalf("decided = %+v", ch)
			}
			_, err = desk.DecideChange(as(w.approver), pending.ID, false)
			wantCode(t, err, jaga.ECONFLICT)
			if !accessed("ministry-support-record-change", jaga.PurposeRecordCorrection, jaga.ActionUpdate) {
				t.Fatal("the approval is not in Tan's accesses")
			}
			if posts := publicPosts(tk.ID); !strings.Contains(posts, "registry") || strings.Contains(posts, pending.Reason) {
				t.Fatalf("the citizen's thread:\n%s", posts)
			}
		})
		t.Run("a correction becomes a pending correction a health officer decides", func(t *testing.T) {
			ch, err := desk.RequestChange(as(cAgent), tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectFullName,
				NewValue: "Tan  Wei Meng", Reason: "spelling on his passport"})
			wantCode(t, err, "")
			if ch.Status != jaga.ChangePending || ch.CorrectionID == "" {
				t.Fatalf("change = %+v", ch)
			}
			c, err := w.corrections.Correction(as(w.approver), ch.CorrectionID)
			wantCode(t, err, "")
			if c.Status != jaga.CorrectionPending || c.Reference != tk.Reference || c.CreatedBy != cAgent.ID || c.NewValue != "Tan Wei Meng" {
				t.Fatalf("correction = %+v", c)
			}
			_, err = w.corrections.DecideCorrection(as(tAgent), ch.CorrectionID, true)
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = w.corrections.DecideCorrection(as(w.approver), ch.CorrectionID, true)
			wantCode(t, err, "")
			l, err := desk.Changes(as(w.approver), jaga.ChangeApproved)
			wantCode(t, err, "")
			var decided *jaga.DeskChange
			for _, c := range l {
				if c.ID == ch.ID {
					decided = c
				}
			}
			if len(l) != 2 || decided == nil || decided.DecidedBy != w.approver.ID || !strings.Contains(decided.Outcome, "corrected") {
				t.Fatalf("approved = %+v", decided)
			}
			if posts := publicPosts(tk.ID); !strings.Contains(posts, "correction of the name") || strings.Contains(posts, "Meng") {
				t.Fatalf("the citizen's thread:\n%s", posts)
			}
		})
		t.Run("a contractor whose contract covers record corrections refreshes at once", func(t *testing.T) {
			work(trusted)
			ch, err := desk.RequestChange(as(tAgent), open(boosterMissing()).ID, refresh)
			wantCode(t, err, "")
			if ch.Status != jaga.ChangeDone || ch.Outcome == "" {
				t.Fatalf("change = %+v", ch)
			}
			if !accessed("contractor-record-change", jaga.PurposeRecordCorrection, jaga.ActionUpdate) {
				t.Fatal("the refresh is not in Tan's accesses")
			}
		})
		t.Run("a ministry agent refreshes at once", func(t *testing.T) {
			ch, err := desk.RequestChange(as(mAgent), open(overseas).ID, refresh)
			wantCode(t, err, "")
			if ch.Status != jaga.ChangeDone {
				t.Fatalf("change = %+v", ch)
			}
		})

		work(helpdesk)
		risk := open(jaga.NewTicket{Type: jaga.TicketRiskDispute, Form: map[string]string{"statusShown": "close_contact",
			"shownSince": start.Format(time.DateOnly), "explanation": "I was not there."}})
		rejected := open(boosterMissing())
		_, err := desk.TransitionTicket(as(cAgent), rejected.ID, jaga.TransitionRequest{State: jaga.StateRejected, Message: "A duplicate."})
		wantCode(t, err, "")
		tests := []struct {
			name   string
			actor  *jaga.Actor
			ticket string
			req    jaga.ChangeRequest
			code   string
			field  string
		}{
			{"an unknown kind", cAgent, tk.ID, jaga.ChangeRequest{Kind: "delete", Reason: refresh.Reason}, jaga.EINVALID, "kind"},
			{"no reason", cAgent, tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: "why"}, jaga.EINVALID, "reason"},
			{"a refresh with a value", cAgent, tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeRefresh, NewValue: "x", Reason: refresh.Reason}, jaga.EINVALID, "field"},
			{"an unknown field", cAgent, tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: "phone", NewValue: "x", Reason: refresh.Reason}, jaga.EINVALID, "field"},
			{"a dose on a risk dispute", mAgent, risk.ID, jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: refresh.Reason}, jaga.EINVALID, "kind"},
			{"the value the record holds", cAgent, tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectDateOfBirth,
				NewValue: "1995-08-15", Reason: refresh.Reason}, jaga.EINVALID, "newValue"},
			{"someone else's dose", cAgent, tk.ID, jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectDoseBatch, DoseID: "nope",
				NewValue: "AB123", Reason: refresh.Reason}, jaga.EINVALID, "doseId"},
			{"a rejected ticket", cAgent, rejected.ID, refresh, jaga.ECONFLICT, ""},
			{"a ticket outside the agent's queues", cAgent, risk.ID, refresh, jaga.ENOTFOUND, ""},
			{"a citizen", citizenOf(w.tan), tk.ID, refresh, jaga.ENOTFOUND, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.tableText(t, "desk_changes") + e.tableText(t, "corrections")
				_, err := desk.RequestChange(as(tc.actor), tc.ticket, tc.req)
				wantCode(t, err, tc.code)
				if tc.field != "" {
					if fields := jaga.ErrorFields(err); fields[tc.field] == "" {
						t.Fatalf("problems %v, want one for %s", fields, tc.field)
					}
				}
				if after := e.tableText(t, "desk_changes") + e.tableText(t, "corrections"); after != before {
					t.Fatal("a refused request was written")
				}
			})
		}
		t.Run("a contractor without a contract sees and asks nothing", func(t *testing.T) {
			work(bare)
			before := e.tableText(t, "desk_changes")
			_, err := desk.RequestChange(as(bAgent), tk.ID, refresh)
			wantCode(t, err, jaga.EFORBIDDEN)
			wantNotLeaked(t, err, w.tan.FullName)
			if e.tableText(t, "desk_changes") != before {
				t.Fatal("a denied request was written")
			}
		})
	})
}
