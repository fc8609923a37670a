package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
	"github.com/jaga-health/jaga/sqlstore"
)

// testClock is a clock the desk tests set by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// deskEnv is a server with the support desk and every kind of caller: the
// world's citizen (the owner of the tickets) and another citizen, the
// ministry's agent and supervisor working tier 2 and the airline lane, a
// contractor's agent working tier 1 under a contract that ends an hour
// after t0, an immigration liaison under the authority's contract, an
// airline agent under the airline's contract, premises staff and a
// vaccinator.
type deskEnv struct {
	*testEnv
	w        *world
	clock    *testClock
	t0       time.Time
	desk     *sqlstore.DeskService
	owner    *jaga.Actor
	tokens   map[string]string // by role
	actors   map[string]*jaga.Actor
	ministry *jaga.Actor // the agent, to move tickets to immigration
	refs     []string    // contract references: contractor, authority, airline
}

// Roles the desk tests call as.
const (
	roleOwner      = "citizen owner"
	roleOther      = "other citizen"
	roleAnonymous  = "anonymous"
	roleMAgent     = "ministry agent"
	roleMSuper     = "ministry supervisor"
	roleCWith      = "contractor agent with a contract"
	roleCWithout   = "contractor agent without a contract"
	roleAirline    = "airline agent"
	roleLiaison    = "authority liaison"
	rolePremises   = "premises staff"
	roleVaccinator = "vaccinator"
)

var deskRoles = []string{roleOwner, roleOther, roleAnonymous, roleMAgent, roleMSuper, roleCWith, roleCWithout,
	roleAirline, roleLiaison, rolePremises, roleVaccinator}

func newDeskEnv(t *testing.T) *deskEnv {
	t.Helper()
	e := &deskEnv{testEnv: newTestEnv(t, Options{}), tokens: map[string]string{}, actors: map[string]*jaga.Actor{}}
	e.t0 = time.Now().UTC().Truncate(time.Second)
	e.clock = &testClock{now: e.t0}
	e.db.Now = e.clock.Now
	e.db.AttachmentKey = []byte("jaga-web-test-attachment-key-32b") // 32 bytes
	master := make([]byte, cert.MasterKeySize)
	kr := &cert.Keyring{Store: e.db, Master: master}
	if _, err := kr.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	is, err := kr.Issuer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.db.Signer = cert.NewSigner(is)
	e.desk = sqlstore.NewDeskService(e.db)
	e.svc.Desk = e.desk
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.server, e.http = srv, hs
	e.w = e.newWorld()
	ctx := jaga.SystemContext(context.Background())

	orgs := e.svc.Organisations
	org := func(name, kind string) *jaga.Organisation {
		o := &jaga.Organisation{Name: name, Kind: kind}
		if err := orgs.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	n := 0
	staff := func(o *jaga.Organisation, role, name string) *jaga.Actor {
		n++
		en, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: o.ID, Email: fmt.Sprintf("%s.%d@desk.test", strings.ReplaceAll(role, "_", "."), n),
			DisplayName: name, Role: role, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return &jaga.Actor{Kind: jaga.ActorStaff, ID: en.Staff.ID, OrgID: o.ID, OrgKind: o.Kind, Role: role, Name: name}
	}
	helpdesk := org("Meja Bantuan Ujian Sdn Bhd", jaga.OrgContractor)
	authority := org("Jabatan Imigresen Ujian", jaga.OrgAuthority)
	airline := org("Penerbangan Ujian", jaga.OrgAirline)
	premises := org("Kedai Ujian", jaga.OrgPremisesOwner)
	centre := org("PPV Ujian", jaga.OrgVaccinationCentre)
	e.actors[roleMAgent] = staff(e.w.ministry, jaga.RoleSupportAgent, "Nadia (ministry desk)")
	e.actors[roleMSuper] = staff(e.w.ministry, jaga.RoleSupervisor, "Wong (ministry desk)")
	contractorAgent := staff(helpdesk, jaga.RoleSupportAgent, "Faizal (helpdesk)")
	e.actors[roleCWith], e.actors[roleCWithout] = contractorAgent, contractorAgent
	e.actors[roleAirline] = staff(airline, jaga.RoleAirlineAgent, "Kavitha (airline)")
	e.actors[roleLiaison] = staff(authority, jaga.RoleAuthorityLiaison, "Hafiz (immigration)")
	e.actors[rolePremises] = staff(premises, jaga.RolePremisesStaff, "Lee (kedai)")
	e.actors[roleVaccinator] = staff(centre, jaga.RoleVaccinator, "Izzati (PPV)")
	e.ministry = e.actors[roleMAgent]
	dpo1 := staff(e.w.ministry, jaga.RoleDPO, "DPO one")
	dpo2 := staff(e.w.ministry, jaga.RoleDPO, "DPO two")

	for _, c := range []*jaga.Contract{
		{OrgID: helpdesk.ID, Reference: "KKM-DPA-DESK-T1",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryVaccination, jaga.CategorySupport},
			Purposes:   []string{jaga.PurposeSupportTicket}, ValidFrom: e.t0.AddDate(0, 0, -1), ValidTo: e.t0.Add(time.Hour)},
		{OrgID: authority.ID, Reference: "KKM-DPA-DESK-IMI",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel, jaga.CategorySupport},
			Purposes:   []string{jaga.PurposeSupportTicket}, ValidFrom: e.t0.AddDate(0, 0, -1), ValidTo: e.t0.AddDate(1, 0, 0)},
		{OrgID: airline.ID, Reference: "KKM-DPA-DESK-AIR",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel},
			Purposes:   []string{jaga.PurposeAirlineQuery}, ValidFrom: e.t0.AddDate(0, 0, -1), ValidTo: e.t0.AddDate(1, 0, 0)},
	} {
		if err := e.svc.Contracts.RegisterContract(jaga.NewContextWithActor(ctx, dpo1), c); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Contracts.ApproveContract(jaga.NewContextWithActor(ctx, dpo2), c.ID); err != nil {
			t.Fatal(err)
		}
		e.refs = append(e.refs, c.Reference)
	}
	for q, o := range map[string]*jaga.Organisation{jaga.QueueContractorTier1: helpdesk, jaga.QueueMinistryTier2: e.w.ministry,
		jaga.QueueImmigration: authority, jaga.QueueAirlineLiaison: e.w.ministry} {
		if err := e.desk.SetQueueOrganisation(ctx, q, o.ID); err != nil {
			t.Fatal(err)
		}
	}

	e.owner = &jaga.Actor{Kind: jaga.ActorCitizen, ID: e.w.citizen.ID}
	e.actors[roleOwner] = e.owner
	other, err := e.accounts.RegisterCitizen(ctx, jaga.Contact{Kind: jaga.ContactPhone, Value: "+60198765432"}, jaga.Profile{
		FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC, IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Nationality: "MY", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	e.actors[roleOther] = &jaga.Actor{Kind: jaga.ActorCitizen, ID: other.ID}
	for role, a := range e.actors {
		if role == roleCWithout { // signs in when the contract has ended
			e.clock.set(e.t0.Add(2 * time.Hour))
		}
		if e.tokens[role], _, err = e.accounts.CreateSession(ctx, a); err != nil {
			t.Fatal(err)
		}
		e.clock.set(e.t0)
	}
	return e
}

// call makes one API request as role.
func (e *deskEnv) call(role, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok := e.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if len(body) > 0 && body[0] == '{' {
		req.Header.Set("Content-Type", "application/json")
	} else if len(body) > 0 {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, b
}

// Subjects: where the ticket a role works on sits.
const (
	subjectTier1       = "tier1"       // a missing booster, with the contractor
	subjectTier2       = "tier2"       // an overseas certificate, with the ministry
	subjectImmigration = "immigration" // an overseas certificate the ministry sent to immigration
)

// subjects is the ticket each role is tested on: the one its organisation
// works, if any.
var subjects = map[string]string{roleMAgent: subjectTier2, roleMSuper: subjectTier2, roleLiaison: subjectImmigration}

// ticketIDs are a subject's ticket, its twin (for merging), an attachment
// of the ticket and a pending request to refresh the owner's record, asked
// for by the contractor on another ticket.
type ticketIDs struct{ id, twin, attachment, change string }

// pngFile returns a small PNG photo.
func pngFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// subject opens a fresh ticket of the owner where kind says, with its twin
// and an attachment.
func (e *deskEnv) subject(t *testing.T, kind string) ticketIDs {
	t.Helper()
	owner := jaga.NewContextWithActor(context.Background(), e.owner)
	open := func() string {
		n := jaga.NewTicket{Type: jaga.TicketDoseMissing, Description: "My booster is missing.",
			Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-15", "country": "MY"}}
		if kind != subjectTier1 {
			n = jaga.NewTicket{Type: jaga.TicketOverseasCertificate, Description: "My certificate from Singapore is refused.",
				Form: map[string]string{"issuingCountry": "SG", "format": "paper"}}
		}
		th, err := e.desk.OpenTicket(owner, n)
		if err != nil {
			t.Fatal(err)
		}
		if kind == subjectImmigration {
			if _, err := e.desk.TransitionTicket(jaga.NewContextWithActor(context.Background(), e.ministry), th.Ticket.ID,
				jaga.TransitionRequest{State: jaga.StateWithAuthority, Queue: jaga.QueueImmigration, Message: "Immigration will confirm."}); err != nil {
				t.Fatal(err)
			}
		}
		return th.Ticket.ID
	}
	ids := ticketIDs{id: open(), twin: open()}
	a, err := e.desk.AddAttachment(owner, ids.id, pngFile(t))
	if err != nil {
		t.Fatal(err)
	}
	ids.attachment = a.ID
	at := e.clock.Now()
	e.clock.set(e.t0) // while the contractor's contract is in force
	defer e.clock.set(at)
	th, err := e.desk.OpenTicket(owner, jaga.NewTicket{Type: jaga.TicketDoseMissing,
		Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-15", "country": "MY"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.desk.RequestChange(jaga.NewContextWithActor(context.Background(), e.actors[roleCWith]), th.Ticket.ID,
		jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: "booster of January 2022 not shown"})
	if err != nil {
		t.Fatal(err)
	}
	ids.change = c.ID
	return ids
}

// TestDeskAPIRoles walks every desk endpoint as every role and checks the
// status and that nothing personal appears that the role may not see.
func TestDeskAPIRoles(t *testing.T) {
	e := newDeskEnv(t)
	p := e.w.citizen
	// Never in any answer: the owner's contact details (no ticket type
	// here needs them) and her dependant.
	never := []string{"+60123456789", "0123456789", "Jalan Melati", "Adam bin Hakim", "160305-10-1234"}
	// Only in the ministry's unmasked reads.
	identity := []string{p.FullName, p.IDNumber, "900101145678", p.DateOfBirth}

	type endpoint struct {
		name   string
		method string
		path   func(ids ticketIDs) string
		body   func(t *testing.T, role string, ids ticketIDs) []byte
		status map[string]int // by role; staff roles not named here get staffDefault
		// staffDefault is the status of staff roles the map does not name.
		staffDefault int
	}
	citizenOnly := func(own, other int) (map[string]int, int) {
		return map[string]int{roleOwner: own, roleOther: other, roleAnonymous: 401}, 401
	}
	json_ := func(v any) func(*testing.T, string, ticketIDs) []byte {
		return func(*testing.T, string, ticketIDs) []byte { b, _ := json.Marshal(v); return b }
	}
	path := func(format string) func(ticketIDs) string {
		return func(ids ticketIDs) string {
			r := strings.NewReplacer("{id}", ids.id, "{aid}", ids.attachment, "{cid}", ids.change)
			return r.Replace(format)
		}
	}
	deskStatus := func(ok, noContract, liaison int) (map[string]int, int) {
		return map[string]int{roleOwner: 404, roleOther: 404, roleAnonymous: 401, roleMAgent: ok, roleMSuper: ok,
			roleCWith: ok, roleCWithout: noContract, roleLiaison: liaison}, 404
	}
	var endpoints []endpoint
	add := func(name, method string, p func(ticketIDs) string, body func(*testing.T, string, ticketIDs) []byte, status map[string]int, def int) {
		endpoints = append(endpoints, endpoint{name, method, p, body, status, def})
	}
	noBody := func(*testing.T, string, ticketIDs) []byte { return nil }
	booster := jaga.NewTicket{Type: jaga.TicketDoseMissing, Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-15", "country": "MY"}}

	s, d := citizenOnly(200, 200)
	add("list my tickets", "GET", path("/api/v1/me/tickets"), noBody, s, d)
	s, d = citizenOnly(201, 201)
	add("open a ticket", "POST", path("/api/v1/me/tickets"), json_(booster), s, d)
	s, d = citizenOnly(200, 404)
	add("show my ticket", "GET", path("/api/v1/me/tickets/{id}"), noBody, s, d)
	s, d = citizenOnly(201, 404)
	add("reply to my ticket", "POST", path("/api/v1/me/tickets/{id}/replies"), json_(jaga.Reply{Body: "Any news?"}), s, d)
	s, d = citizenOnly(409, 404)
	add("rate my ticket", "POST", path("/api/v1/me/tickets/{id}/rating"), json_(jaga.Rating{Score: 5}), s, d)
	s, d = citizenOnly(409, 404)
	add("close my ticket", "POST", path("/api/v1/me/tickets/{id}/close"), noBody, s, d)
	s, d = citizenOnly(201, 404)
	add("attach a file", "POST", path("/api/v1/me/tickets/{id}/attachments"), func(t *testing.T, _ string, _ ticketIDs) []byte { return pngFile(t) }, s, d)
	s, d = citizenOnly(200, 404)
	add("download my attachment", "GET", path("/api/v1/me/tickets/{id}/attachments/{aid}"), noBody, s, d)
	add("list the queues", "GET", path("/api/v1/desk/tickets"), noBody, map[string]int{roleOwner: 403, roleOther: 403, roleAnonymous: 401,
		roleMAgent: 200, roleMSuper: 200, roleCWith: 200, roleCWithout: 200, roleLiaison: 200}, 403)
	s, d = deskStatus(200, 403, 200)
	add("read a ticket", "POST", path("/api/v1/desk/tickets/{id}/reads"), noBody, s, d)
	s, d = deskStatus(201, 403, 201)
	add("post to a ticket", "POST", path("/api/v1/desk/tickets/{id}/posts"), json_(jaga.Reply{Body: "We are checking."}), s, d)
	s, d = deskStatus(200, 403, 200)
	add("move a ticket", "POST", path("/api/v1/desk/tickets/{id}/transitions"),
		json_(jaga.TransitionRequest{State: jaga.StateInReview, Message: "Looking at it."}), s, d)
	s, d = deskStatus(200, 403, 200)
	add("take a ticket", "PUT", path("/api/v1/desk/tickets/{id}/assignee"), func(t *testing.T, role string, _ ticketIDs) []byte {
		id := ""
		if a := e.actors[role]; a != nil {
			id = a.ID
		}
		b, _ := json.Marshal(map[string]string{"staffId": id})
		return b
	}, s, d)
	s, d = deskStatus(200, 403, 409) // a ticket with an authority is not merged
	add("merge a duplicate", "POST", path("/api/v1/desk/tickets/{id}/merge"), func(t *testing.T, _ string, ids ticketIDs) []byte {
		b, _ := json.Marshal(map[string]string{"into": ids.twin})
		return b
	}, s, d)
	s, d = deskStatus(200, 403, 403) // a liaison's reads stay masked
	add("read an attachment", "POST", path("/api/v1/desk/tickets/{id}/attachments/{aid}/reads"),
		json_(map[string]string{"reason": "check the booster card"}), s, d)
	s, d = citizenOnly(201, 201)
	add("make a consent code", "POST", path("/api/v1/me/boarding-codes"),
		json_(jaga.NewConsentCode{Share: jaga.ConsentShare{CertificateValid: true, NameMatch: true}}), s, d)
	add("raise a boarding query", "POST", path("/api/v1/boarding-queries"), func(t *testing.T, _ string, _ ticketIDs) []byte {
		c, err := e.desk.CreateConsentCode(jaga.NewContextWithActor(context.Background(), e.owner),
			jaga.NewConsentCode{Share: jaga.ConsentShare{CertificateValid: true, NameMatch: true}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(jaga.BoardingQuery{Code: c.Code, PassportName: "RAHMAN AISYAH BINTI", Flight: "MH1", Airport: "KUL"})
		return b
	}, map[string]int{roleOwner: 403, roleOther: 403, roleAnonymous: 401, roleAirline: 200}, 403)
	s, d = citizenOnly(201, 201)
	add("run a self-service fix", "POST", path("/api/v1/me/fixes"), json_(jaga.FixRequest{Fix: jaga.FixResendCert}), s, d)
	day := e.t0.In(jaga.Malaysia).Format(time.DateOnly)
	add("read the desk report", "GET", path("/api/v1/desk/reports?from="+day+"&to="+day), noBody,
		map[string]int{roleAnonymous: 401, roleMSuper: 200}, 403)
	add("export the desk report", "GET", path("/api/v1/desk/reports.csv?from="+day+"&to="+day), noBody,
		map[string]int{roleAnonymous: 401, roleMSuper: 200}, 403)
	// The ministry refreshes at once; the contractor and the liaison, whose
	// contracts do not cover record corrections, ask.
	s, d = deskStatus(201, 403, 201)
	add("ask for a change to the record", "POST", path("/api/v1/desk/tickets/{id}/changes"),
		json_(jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: "the booster is not on the certificate"}), s, d)
	deciders := map[string]int{roleAnonymous: 401, roleMSuper: 200}
	add("list change requests", "GET", path("/api/v1/desk/changes?status=pending"), noBody, deciders, 403)
	add("approve a change request", "POST", path("/api/v1/desk/changes/{cid}/approve"), noBody, deciders, 403)
	add("reject a change request", "POST", path("/api/v1/desk/changes/{cid}/reject"), noBody, deciders, 403)

	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			for _, role := range deskRoles {
				t.Run(role, func(t *testing.T) {
					at := e.t0
					if role == roleCWithout {
						at = e.t0.Add(2 * time.Hour) // the contract ended an hour ago
					}
					e.clock.set(at)
					defer e.clock.set(e.t0)
					kind := subjects[role]
					if kind == "" {
						kind = subjectTier1
					}
					ids := e.subject(t, kind)
					want, ok := ep.status[role]
					if !ok {
						want = ep.staffDefault
					}
					status, body := e.call(role, ep.method, ep.path(ids), ep.body(t, role, ids))
					if status != want {
						t.Fatalf("%s %s = %d %s; want %d", ep.method, ep.path(ids), status, body, want)
					}
					lacks(t, body, never...)
					if !(ep.name == "read a ticket" && (role == roleMAgent || role == roleMSuper)) {
						lacks(t, body, identity...)
					}
					if ep.name != "read a ticket" || status != 200 {
						return
					}
					var v jaga.AgentTicketView
					if err := json.Unmarshal(body, &v); err != nil {
						t.Fatal(err)
					}
					switch role {
					case roleMAgent, roleMSuper:
						if v.Masked || v.Person.FullName != p.FullName || v.Person.IDNumber != p.IDNumber || v.Person.Phone != "" {
							t.Fatalf("ministry view = %+v", v.Person)
						}
					default:
						if !v.Masked || v.ContractID == "" || v.Person.FullName != "A. b. R." || !strings.HasSuffix(v.Person.IDNumber, "5678") ||
							v.Person.Phone != "" || v.Person.Address != "" || len(v.Attachments) != 1 {
							t.Fatalf("%s view = %+v, contract %q", role, v.Person, v.ContractID)
						}
					}
				})
			}
		})
	}

	t.Run("the owner sees every access, with its contract and purpose", func(t *testing.T) {
		status, body := e.call(roleOwner, "GET", "/api/v1/me/accesses", nil)
		if status != 200 {
			t.Fatalf("accesses: %d %s", status, body)
		}
		var l list[jaga.AccessView]
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range l.Items {
			seen[a.Organisation+"/"+a.ContractRef+"/"+a.Purpose+"/"+a.Decision+"/"+a.Policy] = true
		}
		for _, want := range []string{
			"Meja Bantuan Ujian Sdn Bhd/KKM-DPA-DESK-T1/SUPPORT_TICKET/allow/contractor-support",
			"Meja Bantuan Ujian Sdn Bhd//SUPPORT_TICKET/deny/contract-required",
			"Jabatan Imigresen Ujian/KKM-DPA-DESK-IMI/SUPPORT_TICKET/allow/authority-support",
			"Penerbangan Ujian/KKM-DPA-DESK-AIR/AIRLINE_QUERY/allow/airline-agent",
			"Kementerian Ujian//SUPPORT_TICKET/allow/ministry-support",
			"Kementerian Ujian//RECORD_CORRECTION/allow/ministry-support-record-change",
		} {
			if !seen[want] {
				t.Errorf("no access %s among %v", want, seen)
			}
		}
	})
}

// TestDeskAPIRiskDispute checks that the ministry reads a disputed risk
// status (the health category) and nothing of the person's contact details.
func TestDeskAPIRiskDispute(t *testing.T) {
	e := newDeskEnv(t)
	body, _ := json.Marshal(jaga.NewTicket{Type: jaga.TicketRiskDispute, Form: map[string]string{"statusShown": "close_contact",
		"shownSince": e.t0.In(jaga.Malaysia).Format(time.DateOnly), "explanation": "My husband at the same address shows low risk."}})
	status, res := e.call(roleOwner, "POST", "/api/v1/me/tickets", body)
	var th jaga.TicketThread
	if status != 201 || json.Unmarshal(res, &th) != nil || th.Ticket.Queue != jaga.QueueMinistryTier2 {
		t.Fatalf("open: %d %s", status, res)
	}
	status, res = e.call(roleMAgent, "POST", "/api/v1/desk/tickets/"+th.Ticket.ID+"/reads", nil)
	if status != 200 || !strings.Contains(string(res), `"health"`) {
		t.Fatalf("read: %d %s", status, res)
	}
	lacks(t, res, "+60123456789", "Jalan Melati")
}

// TestDeskAPIAttachmentRefusals sends files the desk must refuse, each
// with its own message, and checks that nothing was stored.
func TestDeskAPIAttachmentRefusals(t *testing.T) {
	e := newDeskEnv(t)
	ids := e.subject(t, subjectTier1)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
	tests := []struct {
		name   string
		body   []byte
		status int
		part   string
	}{
		{"a Windows program named .jpg", append([]byte("MZ\x90\x00\x03"), make([]byte, 512)...), 400, "a Windows program"},
		{"a Linux program", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 512)...), 400, "a Linux program"},
		{"a script", []byte("#!/bin/sh\necho hi\n"), 400, "a script"},
		{"HTML", []byte("<html><body onload=alert(1)></body></html>"), 400, "none of them"},
		{"oversized", append(append([]byte{}, pdf...), make([]byte, jaga.MaxAttachmentBytes)...), 413, "at most 5 MB"},
		{"empty", nil, 400, "empty"},
		{"a PDF sent as image/jpeg is fine", pdf, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/me/tickets/"+ids.id+"/attachments", bytes.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+e.tokens[roleOwner])
			req.Header.Set("Content-Type", "image/jpeg")
			res, err := e.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(b), tc.part) {
				t.Fatalf("%d %s; want %d with %q", res.StatusCode, b, tc.status, tc.part)
			}
		})
	}
	th, err := e.desk.MyTicket(jaga.NewContextWithActor(context.Background(), e.owner), ids.id)
	if err != nil || len(th.Attachments) != 2 {
		t.Fatalf("attachments = %d, %v; want the photo and the PDF only", len(th.Attachments), err)
	}
	status, body := e.call(roleOwner, "GET", "/api/v1/me/tickets/"+ids.id+"/attachments/"+th.Attachments[1].ID, nil)
	if status != 200 || !bytes.Equal(body, pdf) {
		t.Fatalf("download: %d", status)
	}
}

// TestDeskAPIBoardingCodes checks the airline channel's refusals over HTTP:
// no code, no data.
func TestDeskAPIBoardingCodes(t *testing.T) {
	e := newDeskEnv(t)
	status, res := e.call(roleOwner, "POST", "/api/v1/me/boarding-codes", []byte(`{"share":{"certificateValid":true}}`))
	var c jaga.ConsentCode
	if status != 201 || json.Unmarshal(res, &c) != nil || len(c.Code) != jaga.ConsentCodeLength {
		t.Fatalf("code: %d %s", status, res)
	}
	query := func(code string) []byte {
		b, _ := json.Marshal(jaga.BoardingQuery{Code: code, PassportName: "AISYAH BINTI RAHMAN", Flight: "MH1", Airport: "KUL"})
		return b
	}
	tests := []struct {
		name    string
		advance time.Duration
		code    string
		status  int
		want    string
	}{
		{"no code", 0, "", 400, "8 letters and digits"},
		{"an unknown code", 0, "ABCDEFGH", 404, "No such consent code"},
		{"the passenger's code: no certificate, so a ticket", 0, c.Code, 200, `"certificateValid":false`},
		{"the same code again", 0, c.Code, 409, "used already"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, res := e.call(roleAirline, "POST", "/api/v1/boarding-queries", query(tc.code))
			if status != tc.status || !strings.Contains(string(res), tc.want) {
				t.Fatalf("%d %s; want %d with %q", status, res, tc.status, tc.want)
			}
			lacks(t, res, "nameMatches", e.w.citizen.IDNumber, e.w.citizen.FullName)
		})
	}
	t.Run("an expired code", func(t *testing.T) {
		_, res := e.call(roleOwner, "POST", "/api/v1/me/boarding-codes", []byte(`{"share":{"nameMatch":true}}`))
		json.Unmarshal(res, &c)
		e.clock.set(e.t0.Add(jaga.ConsentCodeTTL))
		defer e.clock.set(e.t0)
		status, res := e.call(roleAirline, "POST", "/api/v1/boarding-queries", query(c.Code))
		if status != 409 || !strings.Contains(string(res), "expired") {
			t.Fatalf("%d %s", status, res)
		}
	})
	t.Run("the passenger sees the ticket in the 24-hour lane", func(t *testing.T) {
		status, res := e.call(roleOwner, "GET", "/api/v1/me/tickets", nil)
		if status != 200 || !strings.Contains(string(res), `"queue":"airline_liaison"`) || !strings.Contains(string(res), `"priority":"urgent"`) {
			t.Fatalf("%d %s", status, res)
		}
	})
}
