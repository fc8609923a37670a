package main

// End-to-end tests of the support desk on the real program, for the cases
// behind it: a spouse's missing booster, a traveller before her
// departure, a disputed status at a shared address, a married name that is
// not on the certificate, and a passenger refused boarding at night.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// Demo organisations the desk tests act for.
const (
	demoMinistry   = "Kementerian Kesihatan Malaysia (demo)"
	demoContractor = "Sentosa Helpdesk Sdn Bhd (demo)"
	demoAirline    = "Penerbangan Nusantara (demo)"
)

// deskE2E is a demo server with a citizen's and each desk role's token.
type deskE2E struct {
	s          *server
	db         *sqlstore.DB
	contractor string // Sentosa's support agent: tier 1, under contract, masked
	ministry   string // the ministry's support agent: tier 2 and the airline lane
}

func startDeskE2E(t *testing.T, dsn string) *deskE2E {
	t.Helper()
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	e := &deskE2E{s: s, db: openTestStore(t, dsn)}
	n := time.Now().UnixNano()
	e.contractor = staffOf(t, s, e.db, demoContractor, fmt.Sprintf("agent.%d@sentosa.demo", n), jaga.RoleSupportAgent)
	e.ministry = staffOf(t, s, e.db, demoMinistry, fmt.Sprintf("agent.%d@moh.demo", n), jaga.RoleSupportAgent)
	return e
}

// must fails the test unless an API call answered want.
func must(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d", what, got, want)
	}
}

func (e *deskE2E) openTicket(t *testing.T, token string, n jaga.NewTicket) *jaga.Ticket {
	t.Helper()
	var th jaga.TicketThread
	code, _ := call(t, "POST", e.s.url+"/api/v1/me/tickets", token, n, &th)
	must(t, "open ticket", code, 201)
	return th.Ticket
}

func (e *deskE2E) fix(t *testing.T, token string, r jaga.FixRequest) *jaga.FixAttempt {
	t.Helper()
	var at jaga.FixAttempt
	code, _ := call(t, "POST", e.s.url+"/api/v1/me/fixes", token, r, &at)
	must(t, "fix "+r.Fix, code, 201)
	return &at
}

func (e *deskE2E) read(t *testing.T, token, id string, why any) (int, *jaga.AgentTicketView) {
	t.Helper()
	var v jaga.AgentTicketView
	code, _ := call(t, "POST", e.s.url+"/api/v1/desk/tickets/"+id+"/reads", token, why, &v)
	return code, &v
}

func (e *deskE2E) queue(t *testing.T, token, query string) []*jaga.Ticket {
	t.Helper()
	var l struct{ Items []*jaga.Ticket }
	code, _ := call(t, "GET", e.s.url+"/api/v1/desk/tickets?"+query, token, nil, &l)
	must(t, "queue", code, 200)
	return l.Items
}

func findTicket(ts []*jaga.Ticket, ref string) *jaga.Ticket {
	for _, t := range ts {
		if t.Reference == ref {
			return t
		}
	}
	return nil
}

func clockOf(v *jaga.AgentTicketView, metric string) *jaga.Clock {
	for i := range v.Ticket.Clocks {
		if v.Ticket.Clocks[i].Metric == metric {
			return &v.Ticket.Clocks[i]
		}
	}
	return nil
}

// recordWithoutSigner records a dose the way a centre's batch did while
// the signing keys were not loaded: it reaches the registry, not the
// certificate.
func recordWithoutSigner(t *testing.T, db *sqlstore.DB, r jaga.DoseRecord) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var id, org string
	err = tx.QueryRowContext(ctx, `SELECT id, org_id FROM staff WHERE email = $1`, "vaccinator@ppv-kajang.demo").Scan(&id, &org)
	tx.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	vaccinator := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: id, OrgID: org,
		OrgKind: jaga.OrgVaccinationCentre, Role: jaga.RoleVaccinator})
	if _, _, err := sqlstore.NewDoseService(db).RecordDose(vaccinator, r); err != nil {
		t.Fatalf("record dose: %v", err)
	}
}

// TestDeskSpouseBooster: Hakim, Aisyah's husband, misses his booster. While
// the registry lacks it, refreshing changes nothing and his ticket, which
// shows what he tried, goes from the contractor's tier 1 to the ministry;
// once the registry has it, refreshing fixes it and no ticket is needed.
func TestDeskSpouseBooster(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			e := startDeskE2E(t, d.dsn(t))
			hakim, _ := signInCitizen(t, e.s, e.db, "hakim@example.com", "hakim@example.com")

			t.Run("not in the registry: a ticket that reaches the ministry", func(t *testing.T) {
				at := e.fix(t, hakim, jaga.FixRequest{Fix: jaga.FixRefreshRecord, Type: jaga.TicketDoseMissing})
				if at.Outcome != jaga.OutcomeUnchanged || at.Resolved {
					t.Fatalf("refresh = %+v, want unchanged", at)
				}
				tk := e.openTicket(t, hakim, jaga.NewTicket{Type: jaga.TicketDoseMissing, Description: "My booster is missing.",
					Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-20", "country": "MY", "centreName": "PPV Kajang"}})
				if tk.Queue != jaga.QueueContractorTier1 || len(tk.Tried) != 1 || tk.Tried[0] != jaga.FixRefreshRecord {
					t.Fatalf("ticket = %+v", tk)
				}
				code, v := e.read(t, e.contractor, tk.ID, nil)
				must(t, "contractor reads", code, 200)
				if !v.Masked || len(v.Attempts) != 1 || v.Attempts[0].Outcome != jaga.OutcomeUnchanged || len(v.Doses) != 2 {
					t.Fatalf("contractor view: masked %v, attempts %+v, %d doses", v.Masked, v.Attempts, len(v.Doses))
				}
				if v.Person.FullName == "Hakim bin Ismail" {
					t.Fatal("the contractor sees the name unmasked")
				}
				code, _ = call(t, "POST", e.s.url+"/api/v1/desk/tickets/"+tk.ID+"/transitions", e.contractor,
					jaga.TransitionRequest{Queue: jaga.QueueMinistryTier2, Message: "The centre's record needs the ministry."}, nil)
				must(t, "escalate", code, 200)
				if findTicket(e.queue(t, e.ministry, "queue="+jaga.QueueMinistryTier2), tk.Reference) == nil {
					t.Fatal("the ticket is not in the ministry's queue")
				}
				if findTicket(e.queue(t, e.contractor, ""), tk.Reference) != nil {
					t.Fatal("the contractor still lists the ticket")
				}
			})

			t.Run("in the registry: refresh fixes it", func(t *testing.T) {
				recordWithoutSigner(t, e.db, jaga.DoseRecord{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Product: "EU/1/21/1529",
					Manufacturer: "ORG-100001699", Batch: "ABX1201", DoseNumber: 3, TotalDoses: 2, Booster: true, GivenOn: "2022-01-20", Country: "MY"})
				at := e.fix(t, hakim, jaga.FixRequest{Fix: jaga.FixRefreshRecord, Type: jaga.TicketDoseMissing})
				if at.Outcome != jaga.OutcomeFixed || !at.Resolved || at.Refresh == nil || at.Refresh.Doses != 3 || at.Refresh.Certificate == nil {
					t.Fatalf("refresh = %+v, want a new certificate of 3 doses", at)
				}
			})
		})
	}
}

// departureAfter returns the first date whose start (Malaysia) lies more
// than d of the business calendar's working time after now.
func departureAfter(now time.Time, d time.Duration) (string, time.Time) {
	cal := jaga.Calendars[jaga.CalendarBusinessMY]
	y, m, day := now.In(jaga.Malaysia).Date()
	for i := 1; ; i++ {
		start := time.Date(y, m, day+i, 0, 0, 0, 0, jaga.Malaysia)
		if cal.Working(now, start) > d {
			return start.Format(time.DateOnly), start
		}
	}
}

// TestDeskTravellerDeparture: a traveller whose overseas certificate was
// not accepted declares her departure; her ticket opens with high
// priority and its resolution is due before she leaves, where a later
// departure keeps the policy's time.
func TestDeskTravellerDeparture(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			e := startDeskE2E(t, d.dsn(t))
			priya, _ := signInCitizen(t, e.s, e.db, "priya@example.com", "priya@example.com")
			high := jaga.SLAPolicyFor(jaga.TicketOverseasCertificate, jaga.PriorityHigh)
			soon, soonAt := departureAfter(time.Now(), high.FirstResponse+time.Minute)
			later := time.Now().In(jaga.Malaysia).AddDate(0, 2, 0).Format(time.DateOnly)
			open := func(departure string) (*jaga.Ticket, *jaga.Clock) {
				tk := e.openTicket(t, priya, jaga.NewTicket{Type: jaga.TicketOverseasCertificate,
					Description: "My certificate from India is on paper; my visa ends soon.",
					Form:        map[string]string{"issuingCountry": "IN", "format": "paper", "departureDate": departure}})
				code, v := e.read(t, e.ministry, tk.ID, nil)
				must(t, "ministry reads", code, 200)
				c := clockOf(v, jaga.MetricResolution)
				if c == nil || c.DueAt == nil {
					t.Fatalf("no running resolution clock: %+v", v.Ticket.Clocks)
				}
				return v.Ticket, c
			}
			tk, c := open(soon)
			if tk.Priority != jaga.PriorityHigh || tk.Queue != jaga.QueueMinistryTier2 {
				t.Errorf("ticket = %s in %s, want high in the ministry's queue", tk.Priority, tk.Queue)
			}
			// Resolution is due within the working time left before she
			// leaves, or the policy's, whichever is shorter.
			want := min(jaga.Calendars[jaga.CalendarBusinessMY].Working(tk.CreatedAt, soonAt), high.Resolution)
			if diff := c.Target - want; diff < -time.Second || diff > time.Second || c.DueAt.After(soonAt) {
				t.Errorf("resolution target %s due %s; want %s, due before the departure %s", c.Target, c.DueAt, want, soonAt)
			}
			tk2, c2 := open(later)
			if tk2.Priority != jaga.PriorityNormal || c2.Target != jaga.SLAPolicyFor(jaga.TicketOverseasCertificate, jaga.PriorityNormal).Resolution {
				t.Errorf("a departure in two months: %s, target %s; want the normal policy", tk2.Priority, c2.Target)
			}
			var mine struct{ Items []*jaga.Ticket }
			code, _ := call(t, "GET", e.s.url+"/api/v1/me/tickets", priya, nil, &mine)
			must(t, "my tickets", code, 200)
			for _, m := range mine.Items {
				if m.ID == tk.ID && (m.NextUpdateBy == nil || m.StateLabel == "") {
					t.Errorf("the traveller's ticket lacks its label or next update: %+v", m)
				}
			}
		})
	}
}

// TestDeskSharedAddressDispute: Aisyah shows close contact while Hakim, at
// the same address, shows low risk. She sees why, disputes it, and the
// ministry's agent sees what she was shown; Hakim sees none of it, and
// the contractor cannot reach the dispute.
func TestDeskSharedAddressDispute(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			e := startDeskE2E(t, dsn)
			giveCloseContact(t, dsn, "Aisyah binti Rahman")
			aisyah, _ := signInCitizen(t, e.s, e.db, "012-345 6789", "+60123456789")
			hakim, _ := signInCitizen(t, e.s, e.db, "hakim@example.com", "hakim@example.com")

			at := e.fix(t, aisyah, jaga.FixRequest{Fix: jaga.FixExplainStatus, Type: jaga.TicketRiskDispute})
			if at.Outcome != jaga.OutcomeExplained || at.Risk == nil || at.Risk.Current == nil || at.Risk.Status != jaga.RiskClose ||
				at.Risk.Current.Reason == "" || at.Risk.Current.EndsAt.IsZero() {
				t.Fatalf("explanation = %+v", at)
			}
			h := e.fix(t, hakim, jaga.FixRequest{Fix: jaga.FixExplainStatus, Type: jaga.TicketRiskDispute})
			if h.Risk == nil || h.Risk.Current != nil {
				t.Fatalf("Hakim's explanation = %+v, want low risk", h.Risk)
			}
			tk := e.openTicket(t, aisyah, jaga.NewTicket{Type: jaga.TicketRiskDispute,
				Form: map[string]string{"statusShown": "close_contact", "shownSince": time.Now().In(jaga.Malaysia).Format(time.DateOnly),
					"explanation": "My husband at the same address shows green; we were together all week."}})
			if tk.Queue != jaga.QueueMinistryTier2 {
				t.Fatalf("dispute in %s, want the ministry's queue", tk.Queue)
			}
			code, v := e.read(t, e.ministry, tk.ID, nil)
			must(t, "ministry reads", code, 200)
			if len(v.Attempts) != 1 || !strings.Contains(v.Attempts[0].Detail, "Status shown") || !contains(v.Categories, jaga.CategoryHealth) {
				t.Fatalf("ministry view: attempts %+v, categories %v", v.Attempts, v.Categories)
			}
			code, _ = e.read(t, e.contractor, tk.ID, nil)
			must(t, "contractor reads the dispute", code, 404)
			code, _ = call(t, "GET", e.s.url+"/api/v1/me/tickets/"+tk.ID, hakim, nil, nil)
			must(t, "Hakim reads Aisyah's dispute", code, 404)
		})
	}
}

// giveCloseContact gives a person a close-contact status for a week, the
// way the tracing service does: a row in risk_statuses, then the door
// status refreshed.
func giveCloseContact(t *testing.T, dsn, fullName string) {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM people WHERE full_name = $1`, fullName).Scan(&id); err != nil {
		t.Fatalf("person: %v", err)
	}
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at)
		VALUES ($1, $2, $3, 'desk-test', 'A test of a disputed status.', $4, $5, $4)`,
		"risk-"+id, id, jaga.RiskClose, now.Add(-time.Hour), now.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := tx.RefreshDoorStatus(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestDeskMarriedName: Priya's certificate carries her birth name, her
// passport her married name. She says so in a form and attaches her
// marriage certificate; the contractor's agent sees the name masked,
// opens the document only with a reason, and each access is in Priya's
// "who accessed my data" with the contract and purpose.
func TestDeskMarriedName(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			e := startDeskE2E(t, d.dsn(t))
			priya, _ := signInCitizen(t, e.s, e.db, "priya@example.com", "priya@example.com")
			tk := e.openTicket(t, priya, jaga.NewTicket{Type: jaga.TicketWrongDetails,
				Description: "My passport carries my married name.",
				Form:        map[string]string{"field": "fullName", "correctValue": "Priya Raman Nair", "document": "marriage_certificate"}})
			var img bytes.Buffer
			png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)))
			req, _ := http.NewRequest("POST", e.s.url+"/api/v1/me/tickets/"+tk.ID+"/attachments", bytes.NewReader(img.Bytes()))
			req.Header.Set("Authorization", "Bearer "+priya)
			req.Header.Set("Content-Type", "application/octet-stream")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			must(t, "attach", res.StatusCode, 201)

			code, v := e.read(t, e.contractor, tk.ID, nil)
			must(t, "contractor reads", code, 200)
			if !v.Masked || v.Person.FullName != "P. R." || len(v.Attachments) != 1 || v.ContractID == "" {
				t.Fatalf("contractor view: %+v, %d attachments", v.Person, len(v.Attachments))
			}
			code, _ = call(t, "POST", e.s.url+"/api/v1/desk/tickets/"+tk.ID+"/attachments/"+v.Attachments[0].ID+"/reads", e.contractor, map[string]any{}, nil)
			must(t, "the document without a reason", code, 403)
			code, _ = call(t, "POST", e.s.url+"/api/v1/desk/tickets/"+tk.ID+"/attachments/"+v.Attachments[0].ID+"/reads", e.contractor,
				map[string]any{"reason": "Compare the marriage certificate with the requested name."}, nil)
			must(t, "the document with a reason", code, 200)
			code, u := e.read(t, e.contractor, tk.ID, map[string]any{"unmask": true, "reason": "Compare the name with the marriage certificate."})
			must(t, "unmask", code, 200)
			if u.Masked || u.Person.FullName != "Priya Raman" {
				t.Fatalf("unmasked view: %+v", u.Person)
			}
			var acc struct{ Items []jaga.AccessView }
			code, _ = call(t, "GET", e.s.url+"/api/v1/me/accesses", priya, nil, &acc)
			must(t, "accesses", code, 200)
			n, unmasked := 0, 0
			for _, a := range acc.Items {
				if a.Organisation == demoContractor && a.ContractRef == "KKM-DPA-2026-014" && a.Purpose == jaga.PurposeSupportTicket {
					n++
					if a.Action == jaga.ActionUnmask && a.Reason != "" {
						unmasked++
					}
				}
			}
			if n < 3 || unmasked < 2 {
				t.Fatalf("Priya sees %d of the contractor's accesses (%d unmasked with a reason), want 3 and 2 or more", n, unmasked)
			}
		})
	}
}

// TestDeskBoardingAtNight: a passenger without a valid certificate is
// refused at the gate; the airline's query with her consent code opens a
// ticket in the 24-hour airline lane, whose first response is due in
// minutes on a calendar that counts the night.
func TestDeskBoardingAtNight(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			e := startDeskE2E(t, d.dsn(t))
			airline := staffOf(t, e.s, e.db, demoAirline, fmt.Sprintf("gate.%d@nusantara-air.demo", time.Now().UnixNano()), jaga.RoleAirlineAgent)
			priya, _ := signInCitizen(t, e.s, e.db, "priya@example.com", "priya@example.com")
			var cc jaga.ConsentCode
			code, _ := call(t, "POST", e.s.url+"/api/v1/me/boarding-codes", priya, jaga.NewConsentCode{Share: jaga.ConsentShare{CertificateValid: true, NameMatch: true}}, &cc)
			must(t, "consent code", code, 201)
			var ans jaga.BoardingAnswer
			code, _ = call(t, "POST", e.s.url+"/api/v1/boarding-queries", airline,
				jaga.BoardingQuery{Code: cc.Code, PassportName: "PRIYA RAMAN", Flight: "MH 1", Airport: "KUL"}, &ans)
			must(t, "boarding query", code, 200)
			if ans.CertificateValid == nil || *ans.CertificateValid || ans.Ticket == "" {
				t.Fatalf("answer = %+v, want certificate not valid and a ticket", ans)
			}
			tk := findTicket(e.queue(t, e.ministry, "queue="+jaga.QueueAirlineLiaison), ans.Ticket)
			if tk == nil {
				t.Fatal("the ticket is not in the 24-hour lane")
			}
			var fr *jaga.Clock
			for i := range tk.Clocks {
				if tk.Clocks[i].Metric == jaga.MetricFirstResponse {
					fr = &tk.Clocks[i]
				}
			}
			if fr == nil || fr.Calendar != jaga.Calendar24x7 || fr.Target > 15*time.Minute || fr.DueAt == nil ||
				fr.DueAt.Sub(tk.CreatedAt) != fr.Target {
				t.Fatalf("first response clock = %+v, want minutes on the 24x7 calendar", fr)
			}
			// At 23:00 in Malaysia the same clock is due at 23:xx, where a
			// business-hours queue would wait for the morning.
			night := time.Date(2026, 3, 2, 23, 0, 0, 0, jaga.Malaysia)
			if due := jaga.Calendars[fr.Calendar].Add(night, fr.Target); due.Sub(night) != fr.Target {
				t.Errorf("at night the first response is due %s, want %s later", due, fr.Target)
			}
			if due := jaga.Calendars[jaga.CalendarBusinessMY].Add(night, fr.Target); due.Hour() != 8 {
				t.Errorf("business hours would be due %s; the test expects the next morning", due)
			}
			code, _ = call(t, "POST", e.s.url+"/api/v1/boarding-queries", airline,
				jaga.BoardingQuery{Code: cc.Code, PassportName: "PRIYA RAMAN", Flight: "MH 1", Airport: "KUL"}, nil)
			must(t, "the same code again", code, 409)
		})
	}
}

// TestDeskRecordChange: Hakim's booster reached the registry but not his
// certificate, and he opens a ticket without trying the refresh. Sentosa's
// agent, whose contract does not cover record corrections, asks for one;
// it waits until a ministry supervisor approves it. Then his thread says
// so, and his accesses list the request and the change with their
// contract and purpose.
func TestDeskRecordChange(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			e := startDeskE2E(t, d.dsn(t))
			super := staffOf(t, e.s, e.db, demoMinistry, fmt.Sprintf("super.%d@moh.demo", time.Now().UnixNano()), jaga.RoleSupervisor)
			hakim, _ := signInCitizen(t, e.s, e.db, "hakim@example.com", "hakim@example.com")
			recordWithoutSigner(t, e.db, jaga.DoseRecord{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Product: "EU/1/21/1529",
				Manufacturer: "ORG-100001699", Batch: "ABX1201", DoseNumber: 3, TotalDoses: 2, Booster: true, GivenOn: "2022-01-20", Country: "MY"})
			tk := e.openTicket(t, hakim, jaga.NewTicket{Type: jaga.TicketDoseMissing, Description: "My booster is missing.",
				Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-20", "country": "MY"}})

			var ch jaga.DeskChange
			code, _ := call(t, "POST", e.s.url+"/api/v1/desk/tickets/"+tk.ID+"/changes", e.contractor,
				jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: "The centre says the booster was given."}, &ch)
			must(t, "the contractor asks", code, 201)
			if ch.Status != jaga.ChangePending {
				t.Fatalf("change = %+v, want pending", ch)
			}
			for who, token := range map[string]string{"the contractor": e.contractor, "the ministry's agent": e.ministry, "Hakim": hakim} {
				code, _ := call(t, "POST", e.s.url+"/api/v1/desk/changes/"+ch.ID+"/approve", token, nil, nil)
				must(t, who+" approves", code, 403)
			}
			var pending struct{ Items []*jaga.DeskChange }
			code, _ = call(t, "GET", e.s.url+"/api/v1/desk/changes?status=pending", super, nil, &pending)
			must(t, "pending changes", code, 200)
			if len(pending.Items) != 1 || pending.Items[0].ID != ch.ID || pending.Items[0].TicketReference != tk.Reference {
				t.Fatalf("pending = %+v", pending.Items)
			}
			code, _ = call(t, "POST", e.s.url+"/api/v1/desk/changes/"+ch.ID+"/approve", super, nil, &ch)
			must(t, "the supervisor approves", code, 200)
			if ch.Status != jaga.ChangeApproved || !strings.Contains(ch.Outcome, "new certificate") {
				t.Fatalf("approved = %+v", ch)
			}
			code, _ = call(t, "POST", e.s.url+"/api/v1/desk/changes/"+ch.ID+"/reject", super, nil, nil)
			must(t, "decide again", code, 409)

			var th jaga.TicketThread
			code, _ = call(t, "GET", e.s.url+"/api/v1/me/tickets/"+tk.ID, hakim, nil, &th)
			must(t, "Hakim's ticket", code, 200)
			last := th.Posts[len(th.Posts)-1]
			if last.AuthorKind != jaga.ActorSystem || !(strings.Contains(last.Body, "daftar") || strings.Contains(last.Body, "registry")) {
				t.Fatalf("last post = %+v", last)
			}
			var accesses struct{ Items []jaga.AccessView }
			code, _ = call(t, "GET", e.s.url+"/api/v1/me/accesses", hakim, nil, &accesses)
			must(t, "Hakim's accesses", code, 200)
			seen := map[string]bool{}
			for _, a := range accesses.Items {
				seen[a.Organisation+"/"+a.Purpose+"/"+a.Action+"/"+a.Policy+"/"+fmt.Sprint(a.ContractRef != "")] = true
			}
			for _, want := range []string{
				demoContractor + "/SUPPORT_TICKET/read/contractor-support/true",
				demoMinistry + "/RECORD_CORRECTION/update/ministry-support-record-change/false",
			} {
				if !seen[want] {
					t.Errorf("no access %s among %v", want, seen)
				}
			}
		})
	}
}
