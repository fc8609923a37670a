package jaga_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// kl returns a wall-clock time in Kuala Lumpur in the week of Monday
// 2 March 2026 (day 0 is that Monday).
func kl(day, hour, minute int) time.Time {
	return time.Date(2026, time.March, 2+day, hour, minute, 0, 0, jaga.Malaysia)
}

func TestDeskTransitions(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		by       string
		code     string // "" when allowed
		message  string // part of the refusal
	}{
		{"agent takes a received ticket", jaga.StateReceived, jaga.StateInReview, jaga.ByAgent, "", ""},
		{"agent asks the citizen", jaga.StateInReview, jaga.StateWaitingCitizen, jaga.ByAgent, "", ""},
		{"citizen answers", jaga.StateWaitingCitizen, jaga.StateInReview, jaga.ByCitizen, "", ""},
		{"agent escalates to an authority", jaga.StateInReview, jaga.StateWithAuthority, jaga.ByAgent, "", ""},
		{"agent resolves", jaga.StateWithAuthority, jaga.StateResolved, jaga.ByAgent, "", ""},
		{"citizen reopens", jaga.StateResolved, jaga.StateInReview, jaga.ByCitizen, "", ""},
		{"citizen closes", jaga.StateResolved, jaga.StateClosed, jaga.ByCitizen, "", ""},
		{"system closes a silent ticket", jaga.StateWaitingCitizen, jaga.StateClosed, jaga.BySystem, "", ""},
		{"closed is final", jaga.StateClosed, jaga.StateInReview, jaga.ByAgent, jaga.ECONFLICT, "Closed; it cannot change any more"},
		{"merged is final", jaga.StateMerged, jaga.StateInReview, jaga.ByCitizen, jaga.ECONFLICT, "Merged with another ticket; it cannot"},
		{"rejected is final", jaga.StateRejected, jaga.StateResolved, jaga.ByAgent, jaga.ECONFLICT, "Rejected; it cannot"},
		{"no skipping to closed", jaga.StateInReview, jaga.StateClosed, jaga.ByAgent, jaga.ECONFLICT, "In review cannot become Closed"},
		{"no going back to received", jaga.StateInReview, jaga.StateReceived, jaga.ByAgent, jaga.ECONFLICT, "cannot become Received"},
		{"agent cannot reopen", jaga.StateResolved, jaga.StateInReview, jaga.ByAgent, jaga.EFORBIDDEN, "Only the citizen can move a ticket from Resolved to In review"},
		{"citizen cannot resolve", jaga.StateInReview, jaga.StateResolved, jaga.ByCitizen, jaga.EFORBIDDEN, "Only the agent can"},
		{"same state", jaga.StateInReview, jaga.StateInReview, jaga.ByAgent, jaga.ECONFLICT, "already In review"},
		{"unknown state", jaga.StateInReview, "done", jaga.ByAgent, jaga.EINVALID, "State must be one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := jaga.CheckTransition(tc.from, tc.to, tc.by)
			if got := jaga.ErrorCode(err); got != tc.code {
				t.Fatalf("CheckTransition(%s, %s, %s) = %v, want code %q", tc.from, tc.to, tc.by, err, tc.code)
			}
			if tc.message != "" && !strings.Contains(jaga.ErrorMessage(err), tc.message) {
				t.Errorf("message %q lacks %q", jaga.ErrorMessage(err), tc.message)
			}
		})
	}
}

func TestDeskTransitionTableIsSound(t *testing.T) {
	seen := map[jaga.Transition]bool{}
	for _, tr := range jaga.Transitions {
		if seen[tr] {
			t.Errorf("transition %+v is listed twice", tr)
		}
		seen[tr] = true
		if jaga.TicketFinal(tr.From) {
			t.Errorf("transition %+v leaves a final state", tr)
		}
		if tr.From == tr.To {
			t.Errorf("transition %+v does not change state", tr)
		}
	}
	for _, s := range jaga.TicketStates {
		for _, lang := range jaga.Languages {
			if l := jaga.StateLabel(s, lang, jaga.QueueImmigration); l == "" || l == s {
				t.Errorf("state %s has no %s label", s, lang)
			}
		}
	}
}

func TestDeskStateLabels(t *testing.T) {
	tests := []struct {
		name, state, lang, queue, want string
	}{
		{"received in Malay", jaga.StateReceived, "ms", "", "Diterima"},
		{"waiting in English", jaga.StateWaitingCitizen, "en", "", "We need something from you"},
		{"with immigration in English", jaga.StateWithAuthority, "en", jaga.QueueImmigration, "With Immigration"},
		{"with airport health in Malay", jaga.StateWithAuthority, "ms", jaga.QueueAirportHealth, "Bersama Kesihatan Lapangan Terbang"},
		{"with an authority not named", jaga.StateWithAuthority, "en", jaga.QueueMinistryTier2, "With the authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := jaga.StateLabel(tc.state, tc.lang, tc.queue); got != tc.want {
				t.Errorf("StateLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDeskTicketTypes(t *testing.T) {
	for _, tt := range jaga.TicketTypes {
		t.Run(tt.Code, func(t *testing.T) {
			if _, ok := jaga.QueueByCode(tt.Queue); !ok {
				t.Errorf("routed to unknown queue %q", tt.Queue)
			}
			if !contains(tt.Categories, jaga.CategorySupport) {
				t.Error("categories lack support: an agent always reads the thread")
			}
			for _, c := range tt.Categories {
				if !contains(jaga.Categories, c) {
					t.Errorf("unknown category %q", c)
				}
			}
			if tt.NameMS == "" || tt.NameEN == "" {
				t.Error("a name is missing")
			}
			for _, f := range tt.Fields {
				if strings.Contains(strings.ToLower(f.Name), "screenshot") || strings.Contains(strings.ToLower(f.Name), "photo") {
					t.Errorf("field %s asks for a picture", f.Name)
				}
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func TestDeskNewTicketValid(t *testing.T) {
	now := kl(0, 10, 0)
	tests := []struct {
		name   string
		ticket jaga.NewTicket
		fields []string // problems expected; none when empty
	}{
		{"dose missing", jaga.NewTicket{Type: jaga.TicketDoseMissing,
			Form: map[string]string{"doseNumber": "3", "givenOn": "2022-02-10", "country": "mys", "product": "EU/1/20/1528"}}, nil},
		{"unknown type", jaga.NewTicket{Type: "complaint"}, []string{"type"}},
		{"missing answers", jaga.NewTicket{Type: jaga.TicketDoseMissing, Form: map[string]string{"doseNumber": " "}},
			[]string{"form.doseNumber", "form.givenOn", "form.country"}},
		{"a question the form does not ask", jaga.NewTicket{Type: jaga.TicketAccountChange,
			Form: map[string]string{"change": "lost_phone", "idScreenshot": "data:image/png;base64,AAAA"}}, []string{"form.idScreenshot"}},
		{"dose number out of range", jaga.NewTicket{Type: jaga.TicketDoseNotShown,
			Form: map[string]string{"doseNumber": "12", "givenOn": "2022-02-10", "notShownOn": "certificate"}}, []string{"form.doseNumber"}},
		{"dose given in the future", jaga.NewTicket{Type: jaga.TicketDoseNotShown,
			Form: map[string]string{"doseNumber": "1", "givenOn": "2026-03-03", "notShownOn": "certificate"}}, []string{"form.givenOn"}},
		{"unknown choice", jaga.NewTicket{Type: jaga.TicketWrongDetails,
			Form: map[string]string{"field": "religion", "correctValue": "x", "document": "nric"}}, []string{"form.field"}},
		{"married name", jaga.NewTicket{Type: jaga.TicketWrongDetails,
			Form: map[string]string{"field": "fullName", "correctValue": "  Siti   Nur Tan ", "document": "marriage_certificate"}}, nil},
		{"boarding", jaga.NewTicket{Type: jaga.TicketBoardingProblem,
			Form: map[string]string{"flight": "mh 370", "airport": "kul", "departureDate": "2026-03-02", "problem": "certificate_refused"}}, nil},
		{"boarding with a bad flight and airport", jaga.NewTicket{Type: jaga.TicketBoardingProblem,
			Form: map[string]string{"flight": "flight one", "airport": "KLIA", "departureDate": "2026-03-02", "problem": "other"}},
			[]string{"form.flight", "form.airport"}},
		{"departure more than a year ahead", jaga.NewTicket{Type: jaga.TicketOverseasCertificate,
			Form: map[string]string{"issuingCountry": "DE", "format": "eu_dcc", "departureDate": "2027-06-01"}}, []string{"form.departureDate"}},
		{"markup in text", jaga.NewTicket{Type: jaga.TicketRiskDispute,
			Form: map[string]string{"statusShown": "close_contact", "shownSince": "2026-02-27", "explanation": "<script>"}}, []string{"form.explanation"}},
		{"long description", jaga.NewTicket{Type: jaga.TicketDataRequest,
			Form: map[string]string{"request": "access", "scope": "all"}, Description: strings.Repeat("a", 2001)}, []string{"description"}},
		{"unknown fix tried", jaga.NewTicket{Type: jaga.TicketDataRequest,
			Form: map[string]string{"request": "access", "scope": "all"}, Tried: []string{"pray"}}, []string{"tried"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := tc.ticket.Valid(now)
			if len(problems) != len(tc.fields) {
				t.Fatalf("problems = %v, want problems with %v", problems, tc.fields)
			}
			for _, f := range tc.fields {
				if problems[f] == "" {
					t.Errorf("problems = %v, want one with %s", problems, f)
				}
			}
			for f, p := range problems {
				for _, v := range tc.ticket.Form {
					if len(v) > 3 && strings.Contains(p, v) {
						t.Errorf("problem of %s repeats the value %q", f, v)
					}
				}
			}
		})
	}
	n := jaga.NewTicket{Type: jaga.TicketBoardingProblem,
		Form: map[string]string{"flight": "mh 370", "airport": "kul", "departureDate": "2026-03-02", "problem": "certificate_refused"}}
	if n.Valid(now) != nil || n.Form["flight"] != "MH370" || n.Form["airport"] != "KUL" {
		t.Errorf("normalized form = %v", n.Form)
	}
}

func TestDeskTransitionRequestValid(t *testing.T) {
	tests := []struct {
		name   string
		from   string
		req    jaga.TransitionRequest
		fields []string
	}{
		{"take", jaga.StateReceived, jaga.TransitionRequest{State: jaga.StateInReview}, nil},
		{"to immigration", jaga.StateInReview, jaga.TransitionRequest{State: jaga.StateWithAuthority, Queue: jaga.QueueImmigration}, nil},
		{"to tier 2", jaga.StateInReview, jaga.TransitionRequest{Queue: jaga.QueueMinistryTier2}, nil},
		{"nothing", jaga.StateInReview, jaga.TransitionRequest{}, []string{"state"}},
		{"authority without queue", jaga.StateInReview, jaga.TransitionRequest{State: jaga.StateWithAuthority}, []string{"queue"}},
		{"authority queue without state", jaga.StateInReview, jaga.TransitionRequest{Queue: jaga.QueueAirportHealth}, []string{"queue"}},
		{"authority state with desk queue", jaga.StateInReview, jaga.TransitionRequest{State: jaga.StateWithAuthority, Queue: jaga.QueueMinistryTier2}, []string{"queue"}},
		{"unknown queue", jaga.StateInReview, jaga.TransitionRequest{Queue: "facebook"}, []string{"queue"}},
		{"ask without a message", jaga.StateInReview, jaga.TransitionRequest{State: jaga.StateWaitingCitizen, Message: "  "}, []string{"message"}},
		{"reject without a message", jaga.StateInReview, jaga.TransitionRequest{State: jaga.StateRejected}, []string{"message"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := tc.req.Valid(tc.from)
			if len(problems) != len(tc.fields) {
				t.Fatalf("problems = %v, want problems with %v", problems, tc.fields)
			}
			for _, f := range tc.fields {
				if problems[f] == "" {
					t.Errorf("problems = %v, want one with %s", problems, f)
				}
			}
		})
	}
}

func TestDeskCalendar(t *testing.T) {
	biz := jaga.Calendars[jaga.CalendarBusinessMY]
	always := jaga.Calendars[jaga.Calendar24x7]
	tests := []struct {
		name     string
		cal      jaga.Calendar
		from, to time.Time
		want     time.Duration
	}{
		{"within a working day", biz, kl(0, 9, 0), kl(0, 11, 30), 150 * time.Minute},
		{"before opening", biz, kl(0, 6, 0), kl(0, 9, 0), time.Hour},
		{"after closing", biz, kl(0, 16, 0), kl(0, 22, 0), time.Hour},
		{"overnight", biz, kl(0, 16, 0), kl(1, 9, 0), 2 * time.Hour},
		{"a whole week", biz, kl(0, 0, 0), kl(7, 0, 0), 45 * time.Hour},
		{"over the weekend", biz, kl(4, 16, 0), kl(7, 9, 0), 2 * time.Hour},
		{"weekend only", biz, kl(5, 8, 0), kl(6, 20, 0), 0},
		{"from UTC instants", biz, kl(0, 8, 0).UTC(), kl(0, 17, 0).UTC(), 9 * time.Hour},
		{"backwards", biz, kl(0, 11, 0), kl(0, 10, 0), 0},
		{"24x7 at night", always, kl(5, 23, 0), kl(6, 1, 30), 150 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.Working(tc.from, tc.to); got != tc.want {
				t.Fatalf("Working = %v, want %v", got, tc.want)
			}
			if tc.want > 0 {
				if got := tc.cal.Add(tc.from, tc.want); tc.cal.Working(tc.from, got) != tc.want || got.After(tc.to) {
					t.Errorf("Add(from, %v) = %v, not within %v", tc.want, got.In(jaga.Malaysia), tc.to.In(jaga.Malaysia))
				}
			}
		})
	}
	adds := []struct {
		name string
		cal  jaga.Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"same day", biz, kl(0, 9, 0), 4 * time.Hour, kl(0, 13, 0)},
		{"into the next day", biz, kl(0, 15, 0), 4 * time.Hour, kl(1, 10, 0)},
		{"Friday afternoon to Monday", biz, kl(4, 16, 0), 4 * time.Hour, kl(7, 11, 0)},
		{"Saturday to Monday", biz, kl(5, 12, 0), time.Hour, kl(7, 9, 0)},
		{"exactly to closing", biz, kl(0, 8, 0), 9 * time.Hour, kl(0, 17, 0)},
		{"24x7 Saturday night", always, kl(5, 23, 55), 10 * time.Minute, kl(6, 0, 5)},
	}
	for _, tc := range adds {
		t.Run("add "+tc.name, func(t *testing.T) {
			if got := tc.cal.Add(tc.from, tc.d); !got.Equal(tc.want) {
				t.Errorf("Add = %v, want %v", got.In(jaga.Malaysia), tc.want)
			}
		})
	}
}

func TestDeskSLAClocks(t *testing.T) {
	act := func(metric string, at time.Time, target time.Duration, cal string) jaga.SLAEvent {
		return jaga.SLAEvent{Metric: metric, Kind: jaga.SLAActivated, At: at, Target: target, Calendar: cal}
	}
	ev := func(metric, kind string, at time.Time) jaga.SLAEvent {
		return jaga.SLAEvent{Metric: metric, Kind: kind, At: at}
	}
	const res, first = jaga.MetricResolution, jaga.MetricFirstResponse
	biz, always := jaga.CalendarBusinessMY, jaga.Calendar24x7
	at := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name       string
		metric     string
		events     []jaga.SLAEvent
		now        time.Time
		state      string
		elapsed    time.Duration
		due        *time.Time
		breachedAt *time.Time
	}{
		{"running in business hours", res, []jaga.SLAEvent{act(res, kl(0, 9, 0), 4*time.Hour, biz)},
			kl(0, 12, 0), jaga.ClockRunning, 3 * time.Hour, at(kl(0, 13, 0)), nil},
		{"opened Friday evening, due Monday", first, []jaga.SLAEvent{act(first, kl(4, 20, 0), 4*time.Hour, biz)},
			kl(5, 12, 0), jaga.ClockRunning, 0, at(kl(7, 12, 0)), nil},
		{"breached overnight", first, []jaga.SLAEvent{act(first, kl(0, 15, 0), 4*time.Hour, biz)},
			kl(1, 12, 0), jaga.ClockRunning, 6 * time.Hour, at(kl(1, 10, 0)), at(kl(1, 10, 0))},
		{"paused while waiting for the citizen", res, []jaga.SLAEvent{
			act(res, kl(0, 9, 0), 9*time.Hour, biz), ev(res, jaga.SLAPaused, kl(0, 11, 0))},
			kl(3, 12, 0), jaga.ClockPaused, 2 * time.Hour, nil, nil},
		{"resumed after the weekend", res, []jaga.SLAEvent{
			act(res, kl(0, 9, 0), 9*time.Hour, biz), ev(res, jaga.SLAPaused, kl(0, 11, 0)), ev(res, jaga.SLAResumed, kl(5, 10, 0))},
			kl(7, 9, 0), jaga.ClockRunning, 3 * time.Hour, at(kl(7, 15, 0)), nil},
		{"paused twice", res, []jaga.SLAEvent{
			act(res, kl(0, 8, 0), 9*time.Hour, biz),
			ev(res, jaga.SLAPaused, kl(0, 10, 0)), ev(res, jaga.SLAResumed, kl(0, 14, 0)),
			ev(res, jaga.SLAPaused, kl(0, 16, 0)), ev(res, jaga.SLAResumed, kl(1, 8, 0))},
			kl(1, 9, 0), jaga.ClockRunning, 5 * time.Hour, at(kl(1, 13, 0)), nil},
		{"a pause does not stop a breach found late", res, []jaga.SLAEvent{
			act(res, kl(0, 9, 0), 2*time.Hour, biz), ev(res, jaga.SLAPaused, kl(0, 15, 0))},
			kl(2, 9, 0), jaga.ClockPaused, 6 * time.Hour, nil, at(kl(0, 11, 0))},
		{"fulfilled in time", first, []jaga.SLAEvent{
			act(first, kl(0, 9, 0), 4*time.Hour, biz), ev(first, jaga.SLAFulfilled, kl(0, 10, 30))},
			kl(3, 9, 0), jaga.ClockFulfilled, 90 * time.Minute, nil, nil},
		{"fulfilled late", first, []jaga.SLAEvent{
			act(first, kl(0, 16, 0), time.Hour, biz), ev(first, jaga.SLAFulfilled, kl(1, 9, 0))},
			kl(3, 9, 0), jaga.ClockFulfilled, 2 * time.Hour, nil, at(kl(0, 17, 0))},
		{"boarding at night, 24x7 in minutes", first, []jaga.SLAEvent{act(first, kl(5, 23, 50), 10*time.Minute, always)},
			kl(5, 23, 55), jaga.ClockRunning, 5 * time.Minute, at(kl(6, 0, 0)), nil},
		{"boarding breached after midnight", first, []jaga.SLAEvent{act(first, kl(5, 23, 50), 10*time.Minute, always)},
			kl(6, 0, 30), jaga.ClockRunning, 40 * time.Minute, at(kl(6, 0, 0)), at(kl(6, 0, 0))},
		{"24x7 paused and resumed", res, []jaga.SLAEvent{
			act(res, kl(5, 22, 0), 2*time.Hour, always), ev(res, jaga.SLAPaused, kl(5, 22, 30)), ev(res, jaga.SLAResumed, kl(6, 1, 0))},
			kl(6, 1, 30), jaga.ClockRunning, time.Hour, at(kl(6, 2, 30)), nil},
		{"a recorded breach counts", first, []jaga.SLAEvent{
			act(first, kl(0, 9, 0), 4*time.Hour, biz), ev(first, jaga.SLABreached, kl(0, 13, 1))},
			kl(0, 13, 1), jaga.ClockRunning, 4*time.Hour + time.Minute, at(kl(0, 13, 0)), at(kl(0, 13, 0))},
		{"reactivation starts a new cycle", jaga.MetricPeriodicUpdate, []jaga.SLAEvent{
			act(jaga.MetricPeriodicUpdate, kl(0, 9, 0), time.Hour, biz),
			ev(jaga.MetricPeriodicUpdate, jaga.SLAFulfilled, kl(0, 12, 0)),
			act(jaga.MetricPeriodicUpdate, kl(0, 12, 0), 2*time.Hour, biz)},
			kl(0, 13, 0), jaga.ClockRunning, time.Hour, at(kl(0, 14, 0)), nil},
		{"cancelled", res, []jaga.SLAEvent{act(res, kl(0, 9, 0), time.Hour, biz), ev(res, jaga.SLACancelled, kl(0, 9, 30))},
			kl(2, 9, 0), jaga.ClockCancelled, 30 * time.Minute, nil, nil},
		{"other metrics ignored", res, []jaga.SLAEvent{act(res, kl(0, 9, 0), time.Hour, biz), ev(first, jaga.SLAFulfilled, kl(0, 9, 30))},
			kl(0, 9, 45), jaga.ClockRunning, 45 * time.Minute, at(kl(0, 10, 0)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := jaga.ComputeClock(tc.metric, tc.events, tc.now)
			if !ok {
				t.Fatal("clock not activated")
			}
			if c.State != tc.state || c.Elapsed != tc.elapsed {
				t.Errorf("state, elapsed = %s, %v; want %s, %v", c.State, c.Elapsed, tc.state, tc.elapsed)
			}
			if !sameTime(c.DueAt, tc.due) {
				t.Errorf("due = %v, want %v", show(c.DueAt), show(tc.due))
			}
			if !sameTime(c.BreachedAt, tc.breachedAt) || c.Breached != (tc.breachedAt != nil) {
				t.Errorf("breached = %v at %v, want at %v", c.Breached, show(c.BreachedAt), show(tc.breachedAt))
			}
		})
	}
	if _, ok := jaga.ComputeClock(res, nil, kl(0, 9, 0)); ok {
		t.Error("a clock with no events is active")
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func show(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.In(jaga.Malaysia).Format("Mon 15:04")
}

// TestDeskClockLifecycle walks a ticket's clocks through its actions, as
// the store applies them, and checks what the citizen is told to expect.
func TestDeskClockLifecycle(t *testing.T) {
	tt, _ := jaga.TicketTypeByCode(jaga.TicketDoseMissing)
	cal := jaga.CalendarBusinessMY
	events := jaga.OpeningEvents(tt, jaga.PriorityNormal, cal, nil, kl(0, 9, 0))
	apply := func(action string, now time.Time) {
		events = append(events, jaga.ClockEvents(action, jaga.ComputeClocks(events, now), tt.Code, jaga.PriorityNormal, cal, now)...)
	}
	steps := []struct {
		name   string
		action string
		at     time.Time
		next   *time.Time // next expected update after the step
		states map[string]string
	}{
		{"opened", "", kl(0, 9, 0), ptr(kl(0, 13, 0)),
			map[string]string{jaga.MetricFirstResponse: jaga.ClockRunning, jaga.MetricResolution: jaga.ClockRunning}},
		{"answered", jaga.ActPublicReply, kl(0, 11, 0), ptr(kl(1, 11, 0)),
			map[string]string{jaga.MetricFirstResponse: jaga.ClockFulfilled, jaga.MetricPeriodicUpdate: jaga.ClockRunning, jaga.MetricResolution: jaga.ClockRunning}},
		{"asked the citizen", jaga.ActWaitCitizen, kl(0, 12, 0), nil,
			map[string]string{jaga.MetricPeriodicUpdate: jaga.ClockPaused, jaga.MetricResolution: jaga.ClockPaused}},
		{"citizen answered", jaga.ActCitizenReply, kl(2, 9, 0), ptr(kl(2, 17, 0)),
			map[string]string{jaga.MetricPeriodicUpdate: jaga.ClockRunning, jaga.MetricResolution: jaga.ClockRunning}},
		{"resolved", jaga.ActResolve, kl(2, 10, 0), nil,
			map[string]string{jaga.MetricFirstResponse: jaga.ClockFulfilled, jaga.MetricPeriodicUpdate: jaga.ClockFulfilled, jaga.MetricResolution: jaga.ClockFulfilled}},
		{"reopened", jaga.ActReopen, kl(3, 9, 0), ptr(kl(4, 9, 0)),
			map[string]string{jaga.MetricPeriodicUpdate: jaga.ClockRunning, jaga.MetricResolution: jaga.ClockRunning}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.action != "" {
				apply(s.action, s.at)
			}
			clocks := jaga.ComputeClocks(events, s.at)
			got := map[string]string{}
			for _, c := range clocks {
				got[c.Metric] = c.State
			}
			for m, want := range s.states {
				if got[m] != want {
					t.Errorf("%s = %s, want %s", m, got[m], want)
				}
			}
			if next := jaga.NextUpdateBy(clocks); !sameTime(next, s.next) {
				t.Errorf("next update = %v, want %v", show(next), show(s.next))
			}
		})
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestDeskOpeningFollowsDeparture(t *testing.T) {
	tt, _ := jaga.TicketTypeByCode(jaga.TicketOverseasCertificate)
	now := kl(0, 9, 0)
	form := map[string]string{"issuingCountry": "DE", "format": "eu_dcc", "departureDate": "2026-03-04"}
	if p := jaga.OpeningPriority(tt, form, now); p != jaga.PriorityHigh {
		t.Errorf("priority = %s, want high for a departure in two days", p)
	}
	events := jaga.OpeningEvents(tt, jaga.PriorityHigh, jaga.CalendarBusinessMY, form, now)
	c, _ := jaga.ComputeClock(jaga.MetricResolution, events, now)
	if c.DueAt == nil || c.DueAt.After(kl(2, 0, 0)) {
		t.Errorf("resolution due %v, want before the departure day", show(c.DueAt))
	}
	far := map[string]string{"issuingCountry": "DE", "format": "eu_dcc", "departureDate": "2026-06-01"}
	if p := jaga.OpeningPriority(tt, far, now); p != jaga.PriorityNormal {
		t.Errorf("priority = %s, want normal for a departure in months", p)
	}
	boarding, _ := jaga.TicketTypeByCode(jaga.TicketBoardingProblem)
	if p := jaga.SLAPolicyFor(boarding.Code, jaga.OpeningPriority(boarding, nil, now)); p.FirstResponse > 15*time.Minute {
		t.Errorf("boarding first response %v, want minutes", p.FirstResponse)
	}
}

func TestDeskNoticeHoldsNoThread(t *testing.T) {
	tk := &jaga.Ticket{Reference: "JG-7K2M9Q4D", State: jaga.StateWithAuthority, Queue: jaga.QueueImmigration,
		Form: map[string]string{"correctValue": "Siti Nur Tan"}, Description: "my passport K1234567"}
	for _, reply := range []bool{false, true} {
		n := jaga.TicketNotice(tk, reply)
		for _, lang := range jaga.Languages {
			subject, body := n.In(lang)
			if !strings.Contains(subject, "JG-7K2M9Q4D") || !strings.Contains(body, "JG-7K2M9Q4D") {
				t.Errorf("%s notice lacks the reference: %q %q", lang, subject, body)
			}
			if !strings.Contains(body, jaga.StateLabel(tk.State, lang, tk.Queue)) {
				t.Errorf("%s notice lacks the state: %q", lang, body)
			}
			if strings.Contains(body, "Siti") || strings.Contains(body, "K1234567") {
				t.Errorf("%s notice holds the ticket's content: %q", lang, body)
			}
		}
	}
}

func FuzzDeskForm(f *testing.F) {
	f.Add(jaga.TicketBoardingProblem, "flight", "mh 370")
	f.Add(jaga.TicketDoseMissing, "givenOn", "2022-02-30")
	f.Add(jaga.TicketWrongDetails, "correctValue", "\xff\xfe")
	f.Add("x", "doseNumber", "99999999999999999999")
	now := kl(0, 9, 0)
	f.Fuzz(func(t *testing.T, typ, key, value string) {
		n := jaga.NewTicket{Type: typ, Form: map[string]string{key: value}}
		problems := n.Valid(now)
		if _, ok := jaga.TicketTypeByCode(typ); !ok && problems["type"] == "" {
			t.Fatalf("unknown type %q accepted", typ)
		}
		for _, p := range problems {
			if len(value) > 3 && strings.Contains(p, value) {
				t.Fatalf("problem %q repeats the value", p)
			}
		}
	})
}
