package sqlstore_test

import (
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// TestDeskReport recomputes the figures of three tickets in the 24-hour
// lane from their clock events, under a clock the test moves.
func TestDeskReport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		if err := w.desk.SetQueueOrganisation(system(), jaga.QueueAirlineLiaison, w.ministry.ID); err != nil {
			t.Fatal(err)
		}
		super, _ := e.staff(t, w.ministry, jaga.RoleSupervisor)
		contractSuper, _ := e.staff(t, w.contractor, jaga.RoleSupervisor)
		citizen, agent := as(w.citizen), as(w.ministryAgent)
		open := func() string {
			th, err := w.desk.OpenTicket(citizen, jaga.NewTicket{Type: jaga.TicketBoardingProblem,
				Form: map[string]string{"flight": "MH1", "airport": "KUL", "departureDate": "2026-03-03", "problem": "certificate_refused"}})
			wantCode(t, err, "")
			return th.Ticket.ID
		}
		reply := func(id string) {
			_, err := w.desk.Reply(agent, id, jaga.Reply{Body: "We are checking your record now."})
			wantCode(t, err, "")
		}
		resolve := func(id string) {
			_, err := w.desk.TransitionTicket(agent, id, jaga.TransitionRequest{State: jaga.StateResolved, Message: "Checked; show a new code."})
			wantCode(t, err, "")
		}
		a, b, c := open(), open(), open()
		e.Clock.Advance(5 * time.Minute)
		reply(a)
		reply(c)
		e.Clock.Advance(15 * time.Minute)
		reply(b) // 20 minutes: the 10-minute first response is missed
		e.Clock.Advance(10 * time.Minute)
		resolve(a)
		resolve(c)
		e.Clock.Advance(10 * time.Minute)
		_, err := w.desk.RateTicket(citizen, a, jaga.Rating{Score: 5})
		wantCode(t, err, "")
		_, err = w.desk.Reply(citizen, c, jaga.Reply{Body: "It still does not work at the counter."})
		wantCode(t, err, "")
		e.Clock.Advance(20 * time.Minute)

		period := jaga.ReportFilter{From: start.Add(-time.Hour), To: start.Add(time.Hour)}
		want := jaga.ReportRow{Count: 3, FirstResponses: 3, FirstResponseMean: 600, Resolutions: 1, ResolutionMean: 1800,
			WithinSLA: 0.75, Backlog: 2, BacklogAgeMean: 3600, BacklogAgeMax: 3600, ReopenRate: 0.5, Ratings: 1, Satisfaction: 5}
		r, err := w.desk.DeskReport(as(super), period)
		wantCode(t, err, "")
		if len(r.Queues) != 1 || len(r.Agents) != 1 {
			t.Fatalf("report rows: %d queues, %d agents; want 1 and 1", len(r.Queues), len(r.Agents))
		}
		for _, got := range []jaga.ReportRow{r.Queues[0], r.Agents[0]} {
			t.Run(got.Kind, func(t *testing.T) {
				want.Kind, want.Key, want.Name = got.Kind, got.Key, got.Name
				if got != want {
					t.Errorf("row =\n%+v\nwant\n%+v", got, want)
				}
			})
		}
		if r.Queues[0].Key != jaga.QueueAirlineLiaison || r.Agents[0].Key != w.ministryAgent.ID {
			t.Errorf("rows are %s and %s", r.Queues[0].Key, r.Agents[0].Key)
		}

		tests := []struct {
			name     string
			as       *jaga.Actor
			filter   jaga.ReportFilter
			wantCode string
			queues   int
		}{
			{"an agent", w.ministryAgent, period, jaga.EFORBIDDEN, 0},
			{"a contractor's supervisor sees only its queues", contractSuper, period, "", 0},
			{"a citizen", w.citizen, period, jaga.EFORBIDDEN, 0},
			{"an empty period", super, jaga.ReportFilter{From: start, To: start}, jaga.EINVALID, 0},
			{"another period", super, jaga.ReportFilter{From: start.AddDate(0, 0, 1), To: start.AddDate(0, 0, 2)}, "", 0},
			{"one queue", super, jaga.ReportFilter{From: period.From, To: period.To, Queue: jaga.QueueAirlineLiaison}, "", 1},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r, err := w.desk.DeskReport(as(tc.as), tc.filter)
				wantCode(t, err, tc.wantCode)
				if err == nil && len(r.Queues) != tc.queues {
					t.Errorf("queues = %d, want %d", len(r.Queues), tc.queues)
				}
			})
		}
	})
}
