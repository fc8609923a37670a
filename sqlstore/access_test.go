package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// ticket is how a support agent states why they read a citizen's profile.
var ticket = jaga.AccessReason{
	Purpose:      jaga.PurposeSupportTicket,
	Relationship: jaga.RelationshipCase,
	Reference:    "TICKET-2026-0042",
}

// unmasked is ticket with a typed reason to see the masked fields.
func unmasked() jaga.AccessReason {
	r := ticket
	r.Unmask, r.Reason = true, "Citizen asked us to confirm the identity number on the ticket"
	return r
}

// TestContractorReadsCitizenProfile is the platform's promise in one test: a
// contractor sees a citizen's data only under an approved contract in force,
// masked unless a reason is typed, and the citizen sees every attempt.
func TestContractorReadsCitizenProfile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ministry := e.org(t, jaga.OrgMinistry)
		contractor := &jaga.Organisation{Name: "Syarikat Khidmat Pelanggan Sdn Bhd", Kind: jaga.OrgContractor}
		wantCode(t, e.Orgs.CreateOrganisation(system(), contractor), "")
		dpo, _ := e.staff(t, ministry, jaga.RoleDPO)
		secondDPO, _ := e.staff(t, ministry, jaga.RoleDPO)
		agent, _ := e.staff(t, contractor, jaga.RoleSupportAgent)

		// The citizen: signed in by phone, with an email and a full profile.
		phone := "+60123456789"
		citizen := e.signIn(t, "012-345 6789")
		email := "nurul.aisyah@example.com"
		ch, err := e.Accounts.StartContactChange(as(citizen), email)
		wantCode(t, err, "")
		_, err = e.Accounts.VerifyContactChange(as(citizen), ch.ID, e.code(t, email))
		wantCode(t, err, "")
		full, err := e.People.UpdateProfile(as(citizen), citizen.ID, jaga.Profile{
			FullName:    "Nurul Aisyah binti Ahmad",
			IDType:      jaga.IDTypeNRIC,
			IDNumber:    "900101-14-5678",
			DateOfBirth: "1990-01-01",
			Nationality: "MY",
			Address:     "12 Jalan Ampang, 50450 Kuala Lumpur",
			Language:    "ms",
		})
		wantCode(t, err, "")
		if full.IDNumber != "900101145678" || full.Phone != phone || full.Email != email {
			t.Fatalf("citizen = %+v", full)
		}
		// Someone else, whose accesses the citizen must not see.
		_, bystander := e.citizen(t)

		var contract *jaga.Contract
		t.Run("1 no contract", func(t *testing.T) {
			p, err := e.People.ReadPerson(as(agent), citizen.ID, ticket)
			wantCode(t, err, jaga.EFORBIDDEN)
			if p != nil {
				t.Errorf("a denied read returned %+v", p)
			}
			wantNotLeaked(t, err, full.FullName)
			_, err = e.People.ReadPerson(as(agent), citizen.ID, unmasked())
			wantCode(t, err, jaga.EFORBIDDEN)
		})

		t.Run("2 contract approved by a second DPO", func(t *testing.T) {
			e.Clock.Advance(time.Hour)
			contract = &jaga.Contract{
				OrgID:      contractor.ID,
				Reference:  "KKM/DPA/2026/017",
				Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact},
				Purposes:   []string{jaga.PurposeSupportTicket},
				ValidFrom:  e.Clock.Now(),
				ValidTo:    e.Clock.Now().Add(30 * 24 * time.Hour),
			}
			wantCode(t, e.Contracts.RegisterContract(as(dpo), contract), "")
			// Registered is not approved.
			_, err := e.People.ReadPerson(as(agent), citizen.ID, ticket)
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = e.Contracts.ApproveContract(as(dpo), contract.ID)
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = e.Contracts.ApproveContract(as(secondDPO), contract.ID)
			wantCode(t, err, "")

			e.Clock.Advance(time.Minute)
			p, err := e.People.ReadPerson(as(agent), citizen.ID, ticket)
			wantCode(t, err, "")
			if !p.Masked || p.ID != citizen.ID {
				t.Fatalf("read = %+v, want %s masked", p, citizen.ID)
			}
			if p.IDNumber != "********5678" || !strings.HasSuffix(p.IDNumber, full.IDNumber[len(full.IDNumber)-4:]) {
				t.Errorf("IDNumber = %q, want only its last 4 characters", p.IDNumber)
			}
			if p.DateOfBirth != "1990" {
				t.Errorf("DateOfBirth = %q, want the year only", p.DateOfBirth)
			}
			if p.Address != "" {
				t.Errorf("Address = %q, want none", p.Address)
			}
			for name, v := range map[string]string{"phone": p.Phone, "email": p.Email} {
				for _, secret := range []string{phone, email, "123456789", "nurul.aisyah"} {
					if strings.Contains(v, secret) {
						t.Errorf("%s = %q shows %q in clear", name, v, secret)
					}
				}
			}

			_, err = e.People.ReadPerson(as(agent), citizen.ID, jaga.AccessReason{
				Purpose: ticket.Purpose, Relationship: ticket.Relationship, Reference: ticket.Reference, Unmask: true, Reason: "  too short  ",
			})
			wantField(t, err, "reason")

			e.Clock.Advance(time.Minute)
			p, err = e.People.ReadPerson(as(agent), citizen.ID, unmasked())
			wantCode(t, err, "")
			if *p != *full {
				t.Errorf("unmasked read = %+v, want %+v", p, full)
			}
		})

		t.Run("3 contract expired", func(t *testing.T) {
			e.Clock.Advance(contract.ValidTo.Sub(e.Clock.Now()) + time.Second)
			p, err := e.People.ReadPerson(as(agent), citizen.ID, ticket)
			wantCode(t, err, jaga.EFORBIDDEN)
			if p != nil {
				t.Errorf("a denied read returned %+v", p)
			}
		})

		t.Run("4 the citizen sees every attempt", func(t *testing.T) {
			views, err := e.Log.AccessesToMe(as(citizen), 100)
			wantCode(t, err, "")
			type row struct {
				decision, action, contractRef string
			}
			want := []row{ // newest first
				{jaga.DecisionDeny, jaga.ActionRead, ""},                    // 3: expired
				{jaga.DecisionAllow, jaga.ActionUnmask, contract.Reference}, // 2: unmasked
				{jaga.DecisionAllow, jaga.ActionRead, contract.Reference},   // 2: masked
				{jaga.DecisionDeny, jaga.ActionRead, ""},                    // 2: pending
				{jaga.DecisionDeny, jaga.ActionUnmask, ""},                  // 1: no contract
				{jaga.DecisionDeny, jaga.ActionRead, ""},                    // 1: no contract
			}
			if len(views) != len(want) {
				for _, v := range views {
					t.Logf("%+v", v)
				}
				t.Fatalf("%d accesses, want %d", len(views), len(want))
			}
			for i, v := range views {
				w := want[i]
				if v.Decision != w.decision || v.Action != w.action || v.ContractRef != w.contractRef {
					t.Errorf("access %d = %s %s under %q, want %s %s under %q", i, v.Decision, v.Action, v.ContractRef, w.decision, w.action, w.contractRef)
				}
				if v.Organisation != contractor.Name || v.OrganisationKind != jaga.OrgContractor || v.Role != jaga.RoleSupportAgent {
					t.Errorf("access %d by %q (%s) as %s, want %q (contractor) as support agent", i, v.Organisation, v.OrganisationKind, v.Role, contractor.Name)
				}
				if v.Purpose != jaga.PurposeSupportTicket || v.PersonID != citizen.ID || v.PersonName != full.FullName {
					t.Errorf("access %d = purpose %s to %s (%s)", i, v.Purpose, v.PersonID, v.PersonName)
				}
				if !slices.Equal(v.Categories, []string{jaga.CategoryContact, jaga.CategoryIdentity}) {
					t.Errorf("access %d categories = %v", i, v.Categories)
				}
				if !slices.Contains(v.Fields, "idNumber") || !slices.Contains(v.Fields, "phone") {
					t.Errorf("access %d fields = %v", i, v.Fields)
				}
				if i > 0 && (v.Seq >= views[i-1].Seq || v.At.After(views[i-1].At)) {
					t.Errorf("access %d (seq %d at %v) is not older than access %d (seq %d at %v)", i, v.Seq, v.At, i-1, views[i-1].Seq, views[i-1].At)
				}
			}
			if r := views[1].Reason; r != unmasked().Reason {
				t.Errorf("unmask reason = %q, want %q", r, unmasked().Reason)
			}
			if !views[0].At.Equal(e.Clock.Now()) || !views[len(views)-1].At.Equal(start) {
				t.Errorf("times = newest %v, oldest %v; want %v and %v", views[0].At, views[len(views)-1].At, e.Clock.Now(), start)
			}

			limited, err := e.Log.AccessesToMe(as(citizen), 2)
			wantCode(t, err, "")
			if len(limited) != 2 || limited[0].Seq != views[0].Seq {
				t.Errorf("AccessesToMe(2) = %d entries, want the 2 newest", len(limited))
			}
			others, err := e.Log.AccessesToMe(as(&jaga.Actor{Kind: jaga.ActorCitizen, ID: bystander.ID}), 100)
			wantCode(t, err, "")
			if len(others) != 0 {
				t.Errorf("a bystander sees %d accesses to someone else", len(others))
			}
			for _, ctx := range []context.Context{anonymous(), as(agent), system()} {
				_, err := e.Log.AccessesToMe(ctx, 10)
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
		})

		t.Run("the access log holds no name or number", func(t *testing.T) {
			text := e.tableText(t, `access_log`)
			if n := strings.Count(text, "\n"); n != 6 {
				t.Fatalf("access_log has %d rows, want 6", n)
			}
			for _, secret := range []string{full.FullName, "Nurul", full.IDNumber, "900101-14-5678", "145678", phone, email, full.Address} {
				if strings.Contains(text, secret) {
					t.Errorf("the access_log table holds %q", secret)
				}
			}
			entries, err := e.Log.AccessEntries(ctx, 0, 100)
			wantCode(t, err, "")
			if len(entries) != 6 {
				t.Fatalf("%d entries, want 6", len(entries))
			}
			for _, en := range entries {
				if en.Subject == "" || en.Subject == citizen.ID {
					t.Errorf("entry %d subject = %q, want a pseudonym", en.Seq, en.Subject)
				}
				if en.Subject != entries[0].Subject {
					t.Errorf("entry %d subject differs from entry 1's", en.Seq)
				}
			}
		})
	})
}

func TestDependantAccessShownToGuardian(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		e.contract(t, p.dpo, p.secondDPO, p.supportContract())
		guardian, guardianPerson := e.citizen(t)
		child := profile(e.next())
		child.FullName, child.DateOfBirth = "Adam bin Yusof", "2018-04-09"
		dependant, err := e.People.AddDependant(as(guardian), child)
		wantCode(t, err, "")
		other, _ := e.citizen(t)

		got, err := e.People.ReadPerson(as(p.contractorAgent), dependant.ID, ticket)
		wantCode(t, err, "")
		if !got.Masked || got.ID != dependant.ID || got.DateOfBirth != "2018" {
			t.Errorf("read = %+v, want the dependant masked", got)
		}
		e.Clock.Advance(time.Second)
		_, err = e.People.ReadPerson(as(p.otherAgent), dependant.ID, ticket) // no contract
		wantCode(t, err, jaga.EFORBIDDEN)
		e.Clock.Advance(time.Second)
		_, err = e.People.ReadPerson(as(p.contractorAgent), guardian.ID, ticket)
		wantCode(t, err, "")

		views, err := e.Log.AccessesToMe(as(guardian), 0)
		wantCode(t, err, "")
		if len(views) != 3 {
			t.Fatalf("guardian sees %d accesses, want 3", len(views))
		}
		want := []struct {
			personID, personName, org, decision string
		}{
			{guardian.ID, guardianPerson.FullName, p.contractor.Name, jaga.DecisionAllow},
			{dependant.ID, "Adam bin Yusof", p.otherContractor.Name, jaga.DecisionDeny},
			{dependant.ID, "Adam bin Yusof", p.contractor.Name, jaga.DecisionAllow},
		}
		for i, v := range views {
			w := want[i]
			if v.PersonID != w.personID || v.PersonName != w.personName || v.Organisation != w.org || v.Decision != w.decision {
				t.Errorf("access %d = %s (%s) by %s: %s; want %s (%s) by %s: %s",
					i, v.PersonID, v.PersonName, v.Organisation, v.Decision, w.personID, w.personName, w.org, w.decision)
			}
		}

		views, err = e.Log.AccessesToMe(as(other), 0)
		wantCode(t, err, "")
		if len(views) != 0 {
			t.Errorf("another citizen sees %d accesses to this family", len(views))
		}
		// A dependant has no account of their own, but if one signed in it
		// would see only the accesses to itself.
		views, err = e.Log.AccessesToMe(as(&jaga.Actor{Kind: jaga.ActorCitizen, ID: dependant.ID}), 0)
		wantCode(t, err, "")
		if len(views) != 2 {
			t.Errorf("the dependant sees %d accesses, want its own 2", len(views))
		}
	})
}

// TestReadPersonUnknownPerson checks that ReadPerson is no oracle: an actor
// with no right to anyone's data gets the same answer for an unknown person
// as for a real one, and nothing is logged against no one.
func TestReadPersonUnknownPerson(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		_, real := e.citizen(t)

		_, errReal := e.People.ReadPerson(as(p.otherAgent), real.ID, ticket)
		wantCode(t, errReal, jaga.EFORBIDDEN)
		before := countRows(t, e, `access_log`)
		_, errUnknown := e.People.ReadPerson(as(p.otherAgent), "no-such-person", ticket)
		wantCode(t, errUnknown, jaga.EFORBIDDEN)
		if jaga.ErrorMessage(errUnknown) != jaga.ErrorMessage(errReal) {
			t.Errorf("unknown person: %q; real person: %q; want the same answer", jaga.ErrorMessage(errUnknown), jaga.ErrorMessage(errReal))
		}
		if n := countRows(t, e, `access_log`); n != before {
			t.Errorf("a read of an unknown person was logged")
		}

		// An actor who would be allowed is still refused, and nothing is logged.
		e.contract(t, p.dpo, p.secondDPO, p.supportContract())
		got, err := e.People.ReadPerson(as(p.contractorAgent), "no-such-person", ticket)
		if err == nil || got != nil {
			t.Fatalf("read of an unknown person = %+v, %v; want an error", got, err)
		}
		wantCode(t, err, jaga.EFORBIDDEN)
		if n := countRows(t, e, `access_log`); n != before {
			t.Errorf("a read of an unknown person was logged")
		}
	})
}

func TestReadPersonRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		namedAgent, _ := e.staff(t, p.contractor, jaga.RoleSupportAgent)
		c := p.supportContract()
		c.Personnel = []string{namedAgent.ID}
		e.contract(t, p.dpo, p.secondDPO, c)
		ministrySupport, _ := e.staff(t, p.ministry, jaga.RoleSupportAgent)
		citizen, person := e.citizen(t)

		cases := []struct {
			name   string
			ctx    context.Context
			why    jaga.AccessReason
			code   string
			masked bool
		}{
			{"named personnel", as(namedAgent), ticket, "", true},
			{"personnel the contract does not name", as(p.contractorAgent), ticket, jaga.EFORBIDDEN, false},
			{"purpose the contract does not cover", as(namedAgent), jaga.AccessReason{Purpose: jaga.PurposeRecordCorrection, Relationship: "case", Reference: "X-1"}, jaga.EFORBIDDEN, false},
			{"no ticket reference", as(namedAgent), jaga.AccessReason{Purpose: jaga.PurposeSupportTicket}, jaga.EFORBIDDEN, false},
			{"break glass", as(ministrySupport), jaga.AccessReason{Purpose: jaga.PurposeBreakGlass, Relationship: "case", Reference: "X-1"}, jaga.EFORBIDDEN, false},
			{"ministry support sees in full", as(ministrySupport), ticket, "", false},
			{"no purpose", as(namedAgent), jaga.AccessReason{Reference: "X-1"}, jaga.EINVALID, false},
			{"unknown relationship", as(namedAgent), jaga.AccessReason{Purpose: jaga.PurposeSupportTicket, Relationship: "friend", Reference: "X-1"}, jaga.EINVALID, false},
			{"citizen", as(citizen), ticket, jaga.ENOTFOUND, false},
			{"anonymous", anonymous(), ticket, jaga.ENOTFOUND, false},
			{"system", system(), ticket, jaga.ENOTFOUND, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := countRows(t, e, `access_log`)
				got, err := e.People.ReadPerson(tc.ctx, citizen.ID, tc.why)
				wantCode(t, err, tc.code)
				logged := countRows(t, e, `access_log`) - before
				switch tc.code {
				case "":
					if got.Masked != tc.masked || (!tc.masked && *got != *person) {
						t.Errorf("read = %+v, want masked=%v", got, tc.masked)
					}
					if logged != 1 {
						t.Errorf("%d entries logged, want 1", logged)
					}
				case jaga.EFORBIDDEN:
					if logged != 1 {
						t.Errorf("%d entries logged for a denial, want 1", logged)
					}
				default:
					if logged != 0 {
						t.Errorf("%d entries logged for a request the gate never saw", logged)
					}
				}
			})
		}
	})
}

// TestAccessLogChain checks that the store links every entry to the one
// before it, on both engines, whatever the decisions.
func TestAccessLogChain(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		e.contract(t, p.dpo, p.secondDPO, p.supportContract())
		_, a := e.citizen(t)
		_, b := e.citizen(t)
		for _, actor := range []*jaga.Actor{p.contractorAgent, p.otherAgent, p.contractorAgent, p.otherAgent} {
			for _, id := range []string{a.ID, b.ID} {
				e.Clock.Advance(1500 * time.Millisecond)
				_, _ = e.People.ReadPerson(as(actor), id, ticket)
			}
		}
		// Concurrent readers append one after another.
		const n = 8
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				actor := p.contractorAgent
				if i%2 == 1 {
					actor = p.otherAgent
				}
				_, _ = e.People.ReadPerson(as(actor), a.ID, ticket)
			}()
		}
		wg.Wait()

		entries, err := e.Log.AccessEntries(context.Background(), 0, 0)
		wantCode(t, err, "")
		if len(entries) != 8+n {
			t.Fatalf("%d entries, want %d", len(entries), 8+n)
		}
		prev := jaga.ZeroHash
		for i, en := range entries {
			if en.Seq != int64(i+1) {
				t.Errorf("entry %d has seq %d", i, en.Seq)
			}
			if en.PrevHash != prev || en.Hash != en.ChainHash(prev) {
				t.Errorf("entry %d does not chain: prev %s, hash %s", en.Seq, en.PrevHash, en.Hash)
			}
			if en.At.Location() != time.UTC {
				t.Errorf("entry %d time %v is not UTC", en.Seq, en.At)
			}
			prev = en.Hash
		}
		page, err := e.Log.AccessEntries(context.Background(), 5, 2)
		wantCode(t, err, "")
		if len(page) != 2 || page[0].Seq != 6 || page[1].Seq != 7 {
			t.Errorf("AccessEntries(5, 2) = %d entries from seq %v", len(page), page)
		}
	})
}
