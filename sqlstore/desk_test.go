package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// deskWorld is a ministry, a contractor working tier 1 and a citizen.
type deskWorld struct {
	desk                       *sqlstore.DeskService
	ministry, contractor       *jaga.Organisation
	ministryAgent, contractAgt *jaga.Actor
	dpo1, dpo2                 *jaga.Actor
	citizen                    *jaga.Actor
	person                     *jaga.Person
}

func newDeskWorld(t *testing.T, e *env, contract bool) *deskWorld {
	t.Helper()
	w := &deskWorld{desk: sqlstore.NewDeskService(e.DB)}
	w.ministry, w.contractor = e.org(t, jaga.OrgMinistry), e.org(t, jaga.OrgContractor)
	w.ministryAgent, _ = e.staff(t, w.ministry, jaga.RoleSupportAgent)
	w.contractAgt, _ = e.staff(t, w.contractor, jaga.RoleSupportAgent)
	w.dpo1, _ = e.staff(t, w.ministry, jaga.RoleDPO)
	w.dpo2, _ = e.staff(t, w.ministry, jaga.RoleDPO)
	for q, o := range map[string]*jaga.Organisation{jaga.QueueMinistryTier2: w.ministry, jaga.QueueContractorTier1: w.contractor} {
		if err := w.desk.SetQueueOrganisation(system(), q, o.ID); err != nil {
			t.Fatalf("set queue: %v", err)
		}
	}
	if contract {
		e.contract(t, w.dpo1, w.dpo2, &jaga.Contract{OrgID: w.contractor.ID,
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryVaccination, jaga.CategorySupport},
			Purposes:   []string{jaga.PurposeSupportTicket}, ValidFrom: start.Add(-time.Hour), ValidTo: start.AddDate(1, 0, 0)})
	}
	w.citizen, w.person = e.citizen(t)
	return w
}

func boosterMissing() jaga.NewTicket {
	return jaga.NewTicket{Type: jaga.TicketDoseMissing, Description: "My booster is not in my record.",
		Form: map[string]string{"doseNumber": "3", "givenOn": "2022-02-10", "country": "MY"}}
}

func TestDeskTicketLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
		wantCode(t, err, "")
		tk := th.Ticket
		if tk.Queue != jaga.QueueContractorTier1 || tk.State != jaga.StateReceived || tk.StateLabel != "Received" {
			t.Fatalf("opened ticket = %+v", tk)
		}
		if tk.NextUpdateBy == nil || !strings.HasPrefix(tk.Reference, "JG-") {
			t.Fatalf("ticket lacks its next update or reference: %+v", tk)
		}
		msgs, _ := e.Accounts.RecentMessages(system(), 10)
		if len(msgs) == 0 || !strings.Contains(msgs[0].Body, tk.Reference) || strings.Contains(msgs[0].Body, "booster") {
			t.Fatalf("notice = %+v", msgs)
		}

		t.Run("queue lists no one", func(t *testing.T) {
			list, err := w.desk.QueueTickets(as(w.contractAgt), jaga.QueueFilter{})
			wantCode(t, err, "")
			if len(list) != 1 || list[0].ID != tk.ID || list[0].PersonID != "" || list[0].Form != nil || list[0].Description != "" {
				t.Fatalf("queue = %+v", list)
			}
			list, _ = w.desk.QueueTickets(as(w.ministryAgent), jaga.QueueFilter{})
			if len(list) != 0 {
				t.Fatalf("ministry queue holds the contractor's ticket: %+v", list)
			}
		})

		t.Run("contractor sees masked, logged", func(t *testing.T) {
			v, err := w.desk.AgentTicket(as(w.contractAgt), tk.ID, jaga.AccessReason{})
			wantCode(t, err, "")
			if !v.Masked || v.Person.IDNumber == w.person.IDNumber || v.Person.Phone != "" || v.Person.Address != "" {
				t.Fatalf("person = %+v, want masked identity only", v.Person)
			}
			accesses, err := e.Log.AccessesToMe(as(w.citizen), 10)
			wantCode(t, err, "")
			if len(accesses) == 0 || accesses[0].Purpose != jaga.PurposeSupportTicket || accesses[0].ContractRef == "" || accesses[0].Decision != jaga.DecisionAllow {
				t.Fatalf("accesses = %+v", accesses)
			}
		})

		t.Run("others see nothing", func(t *testing.T) {
			_, err := w.desk.AgentTicket(as(w.ministryAgent), tk.ID, jaga.AccessReason{})
			wantCode(t, err, jaga.ENOTFOUND)
			other, _ := e.citizen(t)
			_, err = w.desk.MyTicket(as(other), tk.ID)
			wantCode(t, err, jaga.ENOTFOUND)
			_, err = w.desk.Reply(as(other), tk.ID, jaga.Reply{Body: "hello"})
			wantCode(t, err, jaga.ENOTFOUND)
		})

		e.Clock.Advance(time.Hour)
		_, err = w.desk.Reply(as(w.contractAgt), tk.ID, jaga.Reply{Body: "Checked with the centre.", Internal: true})
		wantCode(t, err, "")
		_, err = w.desk.Reply(as(w.contractAgt), tk.ID, jaga.Reply{Body: "We are looking at your record."})
		wantCode(t, err, "")
		mine, err := w.desk.MyTicket(as(w.citizen), tk.ID)
		wantCode(t, err, "")
		if len(mine.Posts) != 1 || mine.Ticket.State != jaga.StateInReview {
			t.Fatalf("citizen's thread = %+v %+v, want one public reply, in review", mine.Ticket, mine.Posts)
		}

		t.Run("forbidden transitions", func(t *testing.T) {
			_, err := w.desk.TransitionTicket(as(w.contractAgt), tk.ID, jaga.TransitionRequest{State: jaga.StateClosed})
			wantCode(t, err, jaga.ECONFLICT)
			_, err = w.desk.TransitionTicket(as(w.contractAgt), tk.ID, jaga.TransitionRequest{State: jaga.StateWaitingCitizen})
			wantField(t, err, "message")
			_, err = w.desk.CloseTicket(as(w.citizen), tk.ID)
			wantCode(t, err, jaga.ECONFLICT)
		})

		_, err = w.desk.TransitionTicket(as(w.contractAgt), tk.ID, jaga.TransitionRequest{State: jaga.StateWaitingCitizen,
			Message: "Which centre gave the dose?"})
		wantCode(t, err, "")
		mine, _ = w.desk.MyTicket(as(w.citizen), tk.ID)
		if mine.Ticket.StateLabel != "We need something from you" || mine.Ticket.NextUpdateBy != nil {
			t.Fatalf("waiting ticket = %+v", mine.Ticket)
		}
		e.Clock.Advance(48 * time.Hour)
		_, err = w.desk.Reply(as(w.citizen), tk.ID, jaga.Reply{Body: "PPV Kajang."})
		wantCode(t, err, "")
		events, err := w.desk.SLAEvents(as(w.contractAgt), tk.ID)
		wantCode(t, err, "")
		kinds := map[string]int{}
		for _, ev := range events {
			kinds[ev.Kind]++
		}
		if kinds[jaga.SLAPaused] == 0 || kinds[jaga.SLAResumed] == 0 || kinds[jaga.SLAFulfilled] == 0 {
			t.Fatalf("events = %+v", events)
		}

		// Tier 1 hands the ticket to the ministry, which resolves it.
		_, err = w.desk.TransitionTicket(as(w.contractAgt), tk.ID, jaga.TransitionRequest{Queue: jaga.QueueMinistryTier2})
		wantCode(t, err, "")
		_, err = w.desk.AgentTicket(as(w.contractAgt), tk.ID, jaga.AccessReason{})
		wantCode(t, err, jaga.ENOTFOUND)
		v, err := w.desk.AgentTicket(as(w.ministryAgent), tk.ID, jaga.AccessReason{})
		wantCode(t, err, "")
		if v.Masked || v.Person.IDNumber != w.person.IDNumber || len(v.Posts) != 4 {
			t.Fatalf("ministry view = %+v, %d posts", v.Person, len(v.Posts))
		}
		_, err = w.desk.TransitionTicket(as(w.ministryAgent), tk.ID, jaga.TransitionRequest{State: jaga.StateResolved, Message: "The dose is in your record now."})
		wantCode(t, err, "")
		rated, err := w.desk.RateTicket(as(w.citizen), tk.ID, jaga.Rating{Score: 5})
		wantCode(t, err, "")
		if rated.State != jaga.StateClosed || rated.Rating != 5 {
			t.Fatalf("rated = %+v", rated)
		}
		_, err = w.desk.RateTicket(as(w.citizen), tk.ID, jaga.Rating{Score: 4})
		wantCode(t, err, jaga.ECONFLICT)
		_, err = w.desk.Reply(as(w.citizen), tk.ID, jaga.Reply{Body: "Thanks"})
		wantCode(t, err, jaga.ECONFLICT)
		_, err = w.desk.Reply(as(w.ministryAgent), tk.ID, jaga.Reply{Body: "Welcome"})
		wantCode(t, err, jaga.ECONFLICT)
	})
}

func TestDeskContractorWithoutContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, false)
		th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
		wantCode(t, err, "")
		_, err = w.desk.AgentTicket(as(w.contractAgt), th.Ticket.ID, jaga.AccessReason{})
		wantCode(t, err, jaga.EFORBIDDEN)
		wantNotLeaked(t, err, w.person.FullName)
		_, err = w.desk.Reply(as(w.contractAgt), th.Ticket.ID, jaga.Reply{Body: "Hello"})
		wantCode(t, err, jaga.EFORBIDDEN)
		accesses, _ := e.Log.AccessesToMe(as(w.citizen), 10)
		if len(accesses) != 2 || accesses[0].Decision != jaga.DecisionDeny || accesses[0].Policy != "contract-required" {
			t.Fatalf("accesses = %+v, want two logged denials", accesses)
		}
		if strings.Contains(e.tableText(t, "ticket_posts"), "Hello") {
			t.Fatal("a denied reply was written")
		}
	})
}

func TestDeskRoutingAndDependants(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		dep, err := e.People.AddDependant(as(w.citizen), profile(e.next()))
		wantCode(t, err, "")
		n := boosterMissing()
		n.PersonID = dep.ID
		th, err := w.desk.OpenTicket(as(w.citizen), n)
		wantCode(t, err, "")
		if th.Ticket.PersonID != dep.ID {
			t.Fatalf("ticket concerns %s, want the dependant", th.Ticket.PersonID)
		}
		other, _ := e.citizen(t)
		n.PersonID = w.person.ID
		_, err = w.desk.OpenTicket(as(other), n)
		wantField(t, err, "personId")

		// A boarding problem goes to the airline lane; with no one working
		// it, to the ministry.
		b, err := w.desk.OpenTicket(as(w.citizen), jaga.NewTicket{Type: jaga.TicketBoardingProblem,
			Form: map[string]string{"flight": "MH1", "airport": "KUL", "departureDate": "2026-03-02", "problem": "certificate_refused"}})
		wantCode(t, err, "")
		if b.Ticket.Queue != jaga.QueueMinistryTier2 || b.Ticket.Priority != jaga.PriorityUrgent {
			t.Fatalf("boarding ticket = %+v", b.Ticket)
		}
		_, err = w.desk.OpenTicket(as(w.citizen), jaga.NewTicket{Type: "complaint"})
		wantField(t, err, "type")
		_, err = w.desk.OpenTicket(as(w.contractAgt), boosterMissing())
		wantCode(t, err, jaga.EUNAUTHORIZED)
		if strings.Contains(e.tableText(t, "tickets"), "complaint") {
			t.Fatal("a refused ticket was written")
		}
	})
}

func TestDeskMergeAndAssign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		a, _ := w.desk.OpenTicket(as(w.citizen), boosterMissing())
		b, _ := w.desk.OpenTicket(as(w.citizen), boosterMissing())
		other, _ := e.citizen(t)
		c, _ := w.desk.OpenTicket(as(other), boosterMissing())

		_, err := w.desk.AssignTicket(as(w.contractAgt), a.Ticket.ID, w.ministryAgent.ID)
		wantCode(t, err, jaga.EFORBIDDEN)
		got, err := w.desk.AssignTicket(as(w.contractAgt), a.Ticket.ID, w.contractAgt.ID)
		wantCode(t, err, "")
		if got.AssigneeID != w.contractAgt.ID {
			t.Fatalf("assignee = %q", got.AssigneeID)
		}
		mine, _ := w.desk.QueueTickets(as(w.contractAgt), jaga.QueueFilter{Assigned: "me"})
		if len(mine) != 1 {
			t.Fatalf("assigned to me = %d tickets, want 1", len(mine))
		}

		_, err = w.desk.MergeTicket(as(w.contractAgt), b.Ticket.ID, c.Ticket.ID)
		wantField(t, err, "into")
		merged, err := w.desk.MergeTicket(as(w.contractAgt), b.Ticket.ID, a.Ticket.ID)
		wantCode(t, err, "")
		if merged.State != jaga.StateMerged || merged.MergedInto != a.Ticket.Reference {
			t.Fatalf("merged = %+v", merged)
		}
		_, err = w.desk.MergeTicket(as(w.contractAgt), b.Ticket.ID, a.Ticket.ID)
		wantCode(t, err, jaga.ECONFLICT)
		_, err = w.desk.Reply(as(w.citizen), b.Ticket.ID, jaga.Reply{Body: "still there?"})
		wantCode(t, err, jaga.ECONFLICT)
	})
}

// TestDeskReopen checks that a citizen's reply reopens a resolved ticket
// within ReopenWindow, starting its clocks again, and is refused after it
// with nothing written; and that each change reaches the citizen through
// the outbox as a notice that holds no part of the thread.
func TestDeskReopen(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		const answer = "The dose is in your record now."
		tests := []struct {
			name  string
			after time.Duration
			code  string
			state string
			posts int
		}{
			{"within the window the reply reopens", jaga.ReopenWindow - time.Hour, "", jaga.StateInReview, 2},
			{"after the window a new ticket is needed", jaga.ReopenWindow + time.Hour, jaga.ECONFLICT, jaga.StateResolved, 1},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
				wantCode(t, err, "")
				id := th.Ticket.ID
				_, err = w.desk.TransitionTicket(as(w.contractAgt), id, jaga.TransitionRequest{State: jaga.StateResolved, Message: answer})
				wantCode(t, err, "")
				e.Clock.Advance(tc.after)
				_, err = w.desk.Reply(as(w.citizen), id, jaga.Reply{Body: "It is missing again."})
				wantCode(t, err, tc.code)
				if tc.code != "" && !strings.Contains(jaga.ErrorMessage(err), "resolved more than 14 days ago") {
					t.Fatalf("refusal = %q", jaga.ErrorMessage(err))
				}
				mine, err := w.desk.MyTicket(as(w.citizen), id)
				wantCode(t, err, "")
				if mine.Ticket.State != tc.state || len(mine.Posts) != tc.posts {
					t.Fatalf("ticket %s with %d posts, want %s with %d", mine.Ticket.State, len(mine.Posts), tc.state, tc.posts)
				}
				events, err := w.desk.SLAEvents(as(w.contractAgt), id)
				wantCode(t, err, "")
				activations := 0
				for _, ev := range events {
					if ev.Metric == jaga.MetricResolution && ev.Kind == jaga.SLAActivated {
						activations++
					}
				}
				if reopened := tc.code == ""; (activations == 2) != reopened || (mine.Ticket.NextUpdateBy != nil) != reopened {
					t.Fatalf("%d resolution clocks, next update %v; reopened %v", activations, mine.Ticket.NextUpdateBy, reopened)
				}
				outbox := e.tableText(t, "outbox")
				if !strings.Contains(outbox, mine.Ticket.Reference) || strings.Contains(outbox, answer) {
					t.Fatalf("the outbox does not hold a notice without the thread:\n%s", outbox)
				}
			})
		}
	})
}
