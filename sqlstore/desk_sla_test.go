package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// TestDeskSLAJob runs the breach job at chosen instants of the test clock.
// The clock starts on Monday 2 March 2026 at 16:00 in Malaysia, an hour
// before the business-hours queues close.
func TestDeskSLAJob(t *testing.T) {
	type step struct {
		at   time.Duration // since start
		want jaga.SLAReport
	}
	tests := []struct {
		name string
		// open opens the ticket and does what the case needs before the
		// job runs.
		open  func(t *testing.T, e *env, w *deskWorld) string
		steps []step
		// check looks at the ticket after the last step.
		check func(t *testing.T, e *env, w *deskWorld, id string)
	}{
		{
			name: "first response warned then breached raises the priority",
			open: func(t *testing.T, e *env, w *deskWorld) string {
				th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
				wantCode(t, err, "")
				return th.Ticket.ID
			},
			// 4 counted hours: 1 on Monday, 3 on Tuesday from 08:00, due
			// Tuesday 11:00 (03:00 UTC); warned 48 minutes before.
			steps: []step{
				{at: 18 * time.Hour, want: jaga.SLAReport{}},
				{at: 18*time.Hour + 20*time.Minute, want: jaga.SLAReport{Checked: 1, Warned: 1}},
				{at: 18*time.Hour + 40*time.Minute, want: jaga.SLAReport{}},
				{at: 19*time.Hour + time.Minute, want: jaga.SLAReport{Checked: 1, Breached: 1, Raised: 1}},
				{at: 19*time.Hour + 30*time.Minute, want: jaga.SLAReport{}},
			},
			check: func(t *testing.T, e *env, w *deskWorld, id string) {
				v, err := w.desk.AgentTicket(as(w.contractAgt), id, jaga.AccessReason{})
				wantCode(t, err, "")
				if v.Ticket.Priority != jaga.PriorityHigh || v.Ticket.Queue != jaga.QueueContractorTier1 {
					t.Fatalf("ticket = %s in %s, want high in tier 1", v.Ticket.Priority, v.Ticket.Queue)
				}
				for _, c := range v.Ticket.Clocks {
					if c.Metric == jaga.MetricFirstResponse && (!c.Breached || !c.BreachRecorded || !c.Warned) {
						t.Fatalf("first response clock = %+v", c)
					}
				}
				mail := e.tableText(t, "outbox")
				if !strings.Contains(mail, "nears its first response target") || !strings.Contains(mail, "missed its first response target") {
					t.Fatalf("outbox lacks the staff notices:\n%s", mail)
				}
				if strings.Contains(mail, w.person.FullName) || strings.Contains(mail, w.person.IDNumber) {
					t.Fatal("a staff notice names the person")
				}
			},
		},
		{
			name: "a missed resolution goes to the next tier",
			open: func(t *testing.T, e *env, w *deskWorld) string {
				th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
				wantCode(t, err, "")
				_, err = w.desk.AssignTicket(as(w.contractAgt), th.Ticket.ID, w.contractAgt.ID)
				wantCode(t, err, "")
				_, err = w.desk.Reply(as(w.contractAgt), th.Ticket.ID, jaga.Reply{Body: "We are looking at your record."})
				wantCode(t, err, "")
				return th.Ticket.ID
			},
			// A week on: the periodic update (raise) and the resolution
			// (escalate) both breached.
			steps: []step{{at: 7 * 24 * time.Hour, want: jaga.SLAReport{Checked: 1, Breached: 2, Raised: 1, Escalated: 1}}},
			check: func(t *testing.T, e *env, w *deskWorld, id string) {
				_, err := w.desk.AgentTicket(as(w.contractAgt), id, jaga.AccessReason{})
				wantCode(t, err, jaga.ENOTFOUND)
				v, err := w.desk.AgentTicket(as(w.ministryAgent), id, jaga.AccessReason{})
				wantCode(t, err, "")
				if v.Ticket.Queue != jaga.QueueMinistryTier2 || v.Ticket.AssigneeID != "" || v.Ticket.Priority != jaga.PriorityHigh {
					t.Fatalf("escalated ticket = %+v", v.Ticket)
				}
				if h := e.tableText(t, "ticket_history"); !strings.Contains(h, "actor_id=sla") {
					t.Fatalf("history lacks the job's move:\n%s", h)
				}
			},
		},
		{
			name: "the 24-hour lane counts minutes, at night",
			open: func(t *testing.T, e *env, w *deskWorld) string {
				if err := w.desk.SetQueueOrganisation(system(), jaga.QueueAirlineLiaison, w.ministry.ID); err != nil {
					t.Fatal(err)
				}
				e.Clock.Advance(7 * time.Hour) // 23:00 in Malaysia
				th, err := w.desk.OpenTicket(as(w.citizen), jaga.NewTicket{Type: jaga.TicketBoardingProblem,
					Form: map[string]string{"flight": "MH1", "airport": "KUL", "departureDate": "2026-03-03", "problem": "certificate_refused"}})
				wantCode(t, err, "")
				return th.Ticket.ID
			},
			// 10 minutes to a first response, warned 2 minutes before;
			// already urgent, so nothing to raise.
			steps: []step{
				{at: 7*time.Hour + 7*time.Minute, want: jaga.SLAReport{}},
				{at: 7*time.Hour + 9*time.Minute, want: jaga.SLAReport{Checked: 1, Warned: 1}},
				{at: 7*time.Hour + 11*time.Minute, want: jaga.SLAReport{Checked: 1, Breached: 1}},
			},
		},
		{
			name: "a clock paused for the citizen does not breach",
			open: func(t *testing.T, e *env, w *deskWorld) string {
				th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
				wantCode(t, err, "")
				_, err = w.desk.TransitionTicket(as(w.contractAgt), th.Ticket.ID, jaga.TransitionRequest{State: jaga.StateWaitingCitizen,
					Message: "Which centre gave the dose?"})
				wantCode(t, err, "")
				return th.Ticket.ID
			},
			steps: []step{{at: 30 * 24 * time.Hour, want: jaga.SLAReport{}}},
		},
		{
			name: "a resolved ticket has no clock to check",
			open: func(t *testing.T, e *env, w *deskWorld) string {
				th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
				wantCode(t, err, "")
				_, err = w.desk.TransitionTicket(as(w.contractAgt), th.Ticket.ID, jaga.TransitionRequest{State: jaga.StateResolved,
					Message: "Your booster is in your record now."})
				wantCode(t, err, "")
				return th.Ticket.ID
			},
			steps: []step{{at: 30 * 24 * time.Hour, want: jaga.SLAReport{}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, e *env) {
				w := newDeskWorld(t, e, true)
				e.staff(t, w.contractor, jaga.RoleSupervisor)
				id := tc.open(t, e, w)
				for _, s := range tc.steps {
					e.Clock.Advance(start.Add(s.at).Sub(e.Clock.Now()))
					got, err := w.desk.CheckSLAs(system())
					wantCode(t, err, "")
					if got != s.want {
						t.Fatalf("at +%s: report %+v, want %+v", s.at, got, s.want)
					}
				}
				if tc.check != nil {
					tc.check(t, e, w, id)
				}
			})
		})
	}
}
