package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// parties are the organisations and staff of the contract tests.
type parties struct {
	ministry, contractor, otherContractor      *jaga.Organisation
	dpo, secondDPO, ministryAdmin, auditor     *jaga.Actor
	contractorDPO, contractorAgent, otherAgent *jaga.Actor
}

func newParties(t *testing.T, e *env) *parties {
	t.Helper()
	p := &parties{
		ministry:        e.org(t, jaga.OrgMinistry),
		contractor:      e.org(t, jaga.OrgContractor),
		otherContractor: e.org(t, jaga.OrgContractor),
	}
	p.dpo, _ = e.staff(t, p.ministry, jaga.RoleDPO)
	p.secondDPO, _ = e.staff(t, p.ministry, jaga.RoleDPO)
	p.ministryAdmin, _ = e.staff(t, p.ministry, jaga.RoleAdmin)
	p.auditor, _ = e.staff(t, p.ministry, jaga.RoleAuditor)
	p.contractorDPO, _ = e.staff(t, p.contractor, jaga.RoleDPO)
	p.contractorAgent, _ = e.staff(t, p.contractor, jaga.RoleSupportAgent)
	p.otherAgent, _ = e.staff(t, p.otherContractor, jaga.RoleSupportAgent)
	return p
}

// supportContract is a valid contract for the contractor's support desk,
// in force for 30 days from the start of the test clock.
func (p *parties) supportContract() *jaga.Contract {
	return &jaga.Contract{
		OrgID:      p.contractor.ID,
		Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact},
		Purposes:   []string{jaga.PurposeSupportTicket},
		ValidFrom:  start,
		ValidTo:    start.Add(30 * 24 * time.Hour),
	}
}

func TestPurposes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		list, err := e.Contracts.Purposes(anonymous())
		wantCode(t, err, "")
		var codes []string
		for _, p := range list {
			codes = append(codes, p.Code)
			if p.DescriptionMS == "" || p.DescriptionEN == "" {
				t.Errorf("purpose %s lacks a description: %+v", p.Code, p)
			}
		}
		for _, want := range []string{jaga.PurposeSupportTicket, jaga.PurposeRecordCorrection, jaga.PurposeContactTracing,
			jaga.PurposeTravelVerification, jaga.PurposeAirlineQuery, jaga.PurposeAudit, jaga.PurposeBreakGlass} {
			if !slices.Contains(codes, want) {
				t.Errorf("purposes %v lack %s", codes, want)
			}
		}
		if !slices.IsSorted(codes) {
			t.Errorf("purposes %v are not in code order", codes)
		}
	})
}

func TestRegisterContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		citizen := e.signIn(t, e.phone())

		t.Run("valid", func(t *testing.T) {
			c := p.supportContract()
			c.Reference = "  KKM/DPA/2026/001 "
			c.Categories = []string{"identity", "contact", "identity", " "}
			c.Personnel = []string{p.contractorAgent.ID}
			c.ValidFrom = start.In(time.FixedZone("MYT", 8*3600))
			c.State, c.ApprovedBy = jaga.ContractApproved, p.dpo.ID // ignored
			wantCode(t, e.Contracts.RegisterContract(as(p.dpo), c), "")
			if c.ID == "" || c.State != jaga.ContractPending || c.RegisteredBy != p.dpo.ID || c.ApprovedBy != "" || c.ApprovedAt != nil {
				t.Errorf("contract = %+v, want a pending contract registered by %s", c, p.dpo.ID)
			}
			if c.Reference != "KKM/DPA/2026/001" || !slices.Equal(c.Categories, []string{"contact", "identity"}) {
				t.Errorf("contract = %+v, want the reference trimmed and the categories a sorted set", c)
			}
			all, err := e.Contracts.Contracts(as(p.auditor))
			wantCode(t, err, "")
			if len(all) != 1 {
				t.Fatalf("Contracts() = %d contracts, want 1", len(all))
			}
			got := all[0]
			if got.ID != c.ID || got.OrgName != p.contractor.Name || got.State != jaga.ContractPending ||
				!got.ValidFrom.Equal(start) || !got.ValidTo.Equal(c.ValidTo) || !got.CreatedAt.Equal(start) ||
				!slices.Equal(got.Personnel, []string{p.contractorAgent.ID}) || !slices.Equal(got.Purposes, []string{jaga.PurposeSupportTicket}) {
				t.Errorf("stored contract = %+v, want %+v", got, c)
			}
		})

		t.Run("by the system", func(t *testing.T) {
			wantCode(t, e.Contracts.RegisterContract(system(), withRef(p.supportContract(), "SYS/001")), "")
		})

		invalid := []struct {
			name, field string
			change      func(c *jaga.Contract)
		}{
			{"unknown purpose", "purposes", func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeSupportTicket, "MARKETING"} }},
			{"no purpose", "purposes", func(c *jaga.Contract) { c.Purposes = nil }},
			{"unknown category", "categories", func(c *jaga.Contract) { c.Categories = []string{jaga.CategoryIdentity, "finance"} }},
			{"no category", "categories", func(c *jaga.Contract) { c.Categories = []string{" "} }},
			{"end before start", "validTo", func(c *jaga.Contract) { c.ValidTo = c.ValidFrom.Add(-time.Hour) }},
			{"end at start", "validTo", func(c *jaga.Contract) { c.ValidTo = c.ValidFrom }},
			{"no end", "validTo", func(c *jaga.Contract) { c.ValidTo = time.Time{} }},
			{"personnel of another organisation", "personnel", func(c *jaga.Contract) { c.Personnel = []string{p.otherAgent.ID} }},
			{"personnel of the ministry", "personnel", func(c *jaga.Contract) { c.Personnel = []string{p.contractorAgent.ID, p.dpo.ID} }},
			{"unknown personnel", "personnel", func(c *jaga.Contract) { c.Personnel = []string{"no-such-staff"} }},
			{"unknown organisation", "orgId", func(c *jaga.Contract) { c.OrgID = "no-such-org" }},
			{"no organisation", "orgId", func(c *jaga.Contract) { c.OrgID = "" }},
			{"short reference", "reference", func(c *jaga.Contract) { c.Reference = " K1 " }},
			{"duplicate reference", "reference", func(c *jaga.Contract) { c.Reference = "KKM/DPA/2026/001" }},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				before := countRows(t, e, `contracts`)
				c := withRef(p.supportContract(), "KKM/DPA/INVALID")
				tc.change(c)
				wantField(t, e.Contracts.RegisterContract(as(p.dpo), c), tc.field)
				if n := countRows(t, e, `contracts`); n != before {
					t.Errorf("an invalid contract was stored")
				}
			})
		}

		forbidden := []struct {
			name string
			ctx  context.Context
		}{
			{"ministry admin", as(p.ministryAdmin)},
			{"ministry auditor", as(p.auditor)},
			{"contractor's own DPO", as(p.contractorDPO)},
			{"contractor agent", as(p.contractorAgent)},
			{"citizen", as(citizen)},
			{"anonymous", anonymous()},
		}
		for _, tc := range forbidden {
			t.Run("forbidden to "+tc.name, func(t *testing.T) {
				wantCode(t, e.Contracts.RegisterContract(tc.ctx, withRef(p.supportContract(), "KKM/DPA/FORBIDDEN")), jaga.EFORBIDDEN)
			})
		}
	})
}

func withRef(c *jaga.Contract, ref string) *jaga.Contract {
	c.Reference = ref
	return c
}

func TestApproveContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		citizen := e.signIn(t, e.phone())

		cases := []struct {
			name     string
			approver context.Context
			code     string
		}{
			{"by the DPO who registered it", as(p.dpo), jaga.EFORBIDDEN},
			{"by a ministry admin", as(p.ministryAdmin), jaga.EFORBIDDEN},
			{"by a ministry auditor", as(p.auditor), jaga.EFORBIDDEN},
			{"by the contractor's DPO", as(p.contractorDPO), jaga.EFORBIDDEN},
			{"by a citizen", as(citizen), jaga.EFORBIDDEN},
			{"anonymously", anonymous(), jaga.EFORBIDDEN},
			{"by a second ministry DPO", as(p.secondDPO), ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := e.contract(t, p.dpo, nil, p.supportContract())
				e.Clock.Advance(time.Minute)
				got, err := e.Contracts.ApproveContract(tc.approver, c.ID)
				wantCode(t, err, tc.code)
				all, err := e.Contracts.Contracts(as(p.dpo))
				wantCode(t, err, "")
				stored := findContract(t, all, c.ID)
				if tc.code != "" {
					if stored.State != jaga.ContractPending || stored.ApprovedBy != "" {
						t.Errorf("a refused approval changed the contract: %+v", stored)
					}
					return
				}
				now := e.Clock.Now()
				if got.State != jaga.ContractApproved || got.ApprovedBy != p.secondDPO.ID || got.ApprovedAt == nil || !got.ApprovedAt.Equal(now) {
					t.Errorf("approved contract = %+v, want approved by %s at %v", got, p.secondDPO.ID, now)
				}
				if stored.State != jaga.ContractApproved || stored.ApprovedBy != p.secondDPO.ID || stored.ApprovedAt == nil || !stored.ApprovedAt.Equal(now) ||
					stored.RegisteredBy != p.dpo.ID {
					t.Errorf("stored contract = %+v, want approved by %s, registered by %s", stored, p.secondDPO.ID, p.dpo.ID)
				}
				_, err = e.Contracts.ApproveContract(as(p.secondDPO), c.ID)
				wantCode(t, err, jaga.ECONFLICT)
			})
		}

		t.Run("unknown contract", func(t *testing.T) {
			_, err := e.Contracts.ApproveContract(as(p.secondDPO), "no-such-contract")
			wantCode(t, err, jaga.ENOTFOUND)
		})

		t.Run("terminate", func(t *testing.T) {
			c := e.contract(t, p.dpo, p.secondDPO, p.supportContract())
			_, err := e.Contracts.TerminateContract(as(p.ministryAdmin), c.ID)
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = e.Contracts.TerminateContract(as(p.contractorDPO), c.ID)
			wantCode(t, err, jaga.EFORBIDDEN)
			got, err := e.Contracts.TerminateContract(as(p.dpo), c.ID)
			wantCode(t, err, "")
			if got.State != jaga.ContractTerminated {
				t.Errorf("state = %q, want terminated", got.State)
			}
			_, err = e.Contracts.TerminateContract(as(p.secondDPO), c.ID)
			wantCode(t, err, jaga.ECONFLICT)
			_, err = e.Contracts.ApproveContract(as(p.secondDPO), c.ID)
			wantCode(t, err, jaga.ECONFLICT)
			_, err = e.Contracts.TerminateContract(as(p.dpo), "no-such-contract")
			wantCode(t, err, jaga.ENOTFOUND)
		})

		t.Run("every contract is for ministry staff only", func(t *testing.T) {
			for _, ctx := range []context.Context{as(p.contractorDPO), as(p.contractorAgent), as(citizen), anonymous()} {
				_, err := e.Contracts.Contracts(ctx)
				wantCode(t, err, jaga.EFORBIDDEN)
			}
			for _, ctx := range []context.Context{as(p.ministryAdmin), as(p.auditor), system()} {
				_, err := e.Contracts.Contracts(ctx)
				wantCode(t, err, "")
			}
		})
	})
}

func findContract(t *testing.T, list []*jaga.Contract, id string) *jaga.Contract {
	t.Helper()
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("contract %s not listed", id)
	return nil
}

func TestPublicContracts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := newParties(t, e)
		day := 24 * time.Hour

		inForce := e.contract(t, p.dpo, p.secondDPO, withRef(p.supportContract(), "A/IN-FORCE"))
		e.contract(t, p.dpo, nil, withRef(p.supportContract(), "B/PENDING"))
		expired := withRef(p.supportContract(), "C/EXPIRED")
		expired.ValidFrom, expired.ValidTo = start.Add(-60*day), start.Add(-day)
		e.contract(t, p.dpo, p.secondDPO, expired)
		future := withRef(p.supportContract(), "D/FUTURE")
		future.ValidFrom, future.ValidTo = start.Add(day), start.Add(90*day)
		future = e.contract(t, p.dpo, p.secondDPO, future)
		terminated := e.contract(t, p.dpo, p.secondDPO, withRef(p.supportContract(), "E/TERMINATED"))
		if _, err := e.Contracts.TerminateContract(as(p.dpo), terminated.ID); err != nil {
			t.Fatal(err)
		}
		other := p.supportContract()
		other.OrgID = p.otherContractor.ID
		other.Personnel = []string{p.otherAgent.ID}
		other = e.contract(t, p.dpo, p.secondDPO, withRef(other, "F/OTHER"))

		refs := func(t *testing.T) []string {
			t.Helper()
			list, err := e.Contracts.PublicContracts(anonymous())
			wantCode(t, err, "")
			var out []string
			for _, c := range list {
				out = append(out, c.Reference)
				if c.State != jaga.ContractApproved || c.OrgName == "" {
					t.Errorf("public contract %s = %+v, want approved with its organisation's name", c.Reference, c)
				}
				if len(c.Personnel) != 0 || c.RegisteredBy != "" || c.ApprovedBy != "" {
					t.Errorf("public contract %s shows staff: %+v", c.Reference, c)
				}
			}
			slices.Sort(out)
			return out
		}

		steps := []struct {
			name    string
			advance time.Duration
			want    []string
		}{
			{"now", 0, []string{inForce.Reference, other.Reference}},
			{"when the future one starts", future.ValidFrom.Sub(start), []string{inForce.Reference, future.Reference, other.Reference}},
			{"when the first ones end", inForce.ValidTo.Sub(future.ValidFrom), []string{future.Reference}},
			{"when the last one ends", future.ValidTo.Sub(inForce.ValidTo), nil},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				e.Clock.Advance(s.advance)
				if got := refs(t); !slices.Equal(got, s.want) {
					t.Errorf("public contracts = %v, want %v", got, s.want)
				}
			})
		}

		t.Run("names the organisation", func(t *testing.T) {
			all, err := e.Contracts.Contracts(as(p.dpo))
			wantCode(t, err, "")
			for _, c := range all {
				want := p.contractor.Name
				if strings.HasPrefix(c.Reference, "F/") {
					want = p.otherContractor.Name
				}
				if c.OrgName != want {
					t.Errorf("contract %s: organisation %q, want %q", c.Reference, c.OrgName, want)
				}
			}
		})
	})
}
