package gate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// at is the time of every request.
var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Distinctive values that must never appear in a Decision.Reason.
const (
	personID   = "P-7f3a91c2"
	reference  = "CASE-2026-0042"
	goodReason = "citizen asked to correct their phone"
)

func staff(orgKind, role string) jaga.Actor {
	return jaga.Actor{
		Kind: jaga.ActorStaff, ID: "S-" + orgKind + "-" + role, OrgID: "org-" + orgKind,
		OrgKind: orgKind, Role: role, Name: "Siti Aminah",
	}
}

func apiClient(orgKind string, scopes ...string) jaga.Actor {
	return jaga.Actor{
		Kind: jaga.ActorAPIClient, ID: "K-" + orgKind, OrgID: "org-" + orgKind,
		OrgKind: orgKind, Scopes: scopes, Name: "Booking system",
	}
}

// contract returns an approved contract of the organisation of orgKind, in
// force a month either side of at, for every category, for the partner
// purposes, for every member; change adjusts it.
func contract(id, orgKind string, change ...func(*jaga.Contract)) jaga.Contract {
	c := jaga.Contract{
		ID: id, OrgID: "org-" + orgKind, Reference: "DPA-" + id,
		Categories: jaga.Categories,
		Purposes: []string{jaga.PurposeSupportTicket, jaga.PurposeAirlineQuery,
			jaga.PurposeTravelVerification, jaga.PurposeContactTracing},
		ValidFrom: at.AddDate(0, -1, 0), ValidTo: at.AddDate(0, 1, 0),
		State: jaga.ContractApproved,
	}
	for _, f := range change {
		f(&c)
	}
	return c
}

// request returns a request for an existing person with a case reference,
// and a good reason to unmask; change adjusts it.
func request(actor jaga.Actor, action, purpose string, categories []string, change ...func(*jaga.AccessRequest)) jaga.AccessRequest {
	r := jaga.AccessRequest{
		Actor: actor, Action: action, PersonID: personID, Categories: categories,
		Fields: []string{"name", "phone"}, Purpose: purpose,
		Relationship: jaga.RelationshipCase, Reference: reference,
		At: at, PersonExists: true,
	}
	if action == jaga.ActionUnmask {
		r.Reason = goodReason
	}
	for _, f := range change {
		f(&r)
	}
	return r
}

func withContracts(cs ...jaga.Contract) func(*jaga.AccessRequest) {
	return func(r *jaga.AccessRequest) { r.Contracts = cs }
}

func withReason(s string) func(*jaga.AccessRequest) {
	return func(r *jaga.AccessRequest) { r.Reason = s }
}

func withReference(s string) func(*jaga.AccessRequest) {
	return func(r *jaga.AccessRequest) { r.Reference = s }
}

func noRelationship(r *jaga.AccessRequest) { r.Relationship = "" }
func unknownPerson(r *jaga.AccessRequest)  { r.PersonExists = false }

var (
	identity            = []string{jaga.CategoryIdentity}
	identityPhone       = []string{jaga.CategoryIdentity, jaga.CategoryContact}
	tracing             = []string{jaga.CategoryHealth, jaga.CategoryCheckin, jaga.CategoryContact}
	travel              = []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel}
	checkinIdentity     = []string{jaga.CategoryIdentity, jaga.CategoryCheckin}
	premisesContract    = contract("C-premises", jaga.OrgPremisesOwner, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeAssistedCheckIn} })
	vaccineSupport      = []string{jaga.CategoryVaccination, jaga.CategorySupport}
	identityVaccination = []string{jaga.CategoryIdentity, jaga.CategoryVaccination}
	centreContract      = contract("C-centre", jaga.OrgVaccinationCentre, func(c *jaga.Contract) {
		c.Purposes, c.Categories = []string{jaga.PurposeVaccinationRecord}, identityVaccination
	})
	identityHealth = []string{jaga.CategoryIdentity, jaga.CategoryHealth}
	everything     = jaga.Categories
)

var (
	healthOfficer   = staff(jaga.OrgMinistry, jaga.RoleHealthOfficer)
	ministryAgent   = staff(jaga.OrgMinistry, jaga.RoleSupportAgent)
	ministrySuper   = staff(jaga.OrgMinistry, jaga.RoleSupervisor)
	auditor         = staff(jaga.OrgMinistry, jaga.RoleAuditor)
	dpo             = staff(jaga.OrgMinistry, jaga.RoleDPO)
	ministryAdmin   = staff(jaga.OrgMinistry, jaga.RoleAdmin)
	contractorAgent = staff(jaga.OrgContractor, jaga.RoleSupportAgent)
	contractorSuper = staff(jaga.OrgContractor, jaga.RoleSupervisor)
	airlineAgent    = staff(jaga.OrgAirline, jaga.RoleAirlineAgent)
	liaison         = staff(jaga.OrgAuthority, jaga.RoleAuthorityLiaison)
	airlineClient   = apiClient(jaga.OrgAirline, jaga.ScopePersonsRead)
	labClient       = apiClient(jaga.OrgLaboratory, jaga.ScopeCasesWrite)
	vaccinator      = staff(jaga.OrgVaccinationCentre, jaga.RoleVaccinator)
)

// Contracts of each partner organisation.
var (
	contractorContract = contract("C-contractor", jaga.OrgContractor)
	airlineContract    = contract("C-airline", jaga.OrgAirline)
	authorityContract  = contract("C-authority", jaga.OrgAuthority)
	labContract        = contract("C-lab", jaga.OrgLaboratory, func(c *jaga.Contract) {
		c.Purposes, c.Categories = []string{jaga.PurposeContactTracing}, identityHealth
	})
)

type want struct {
	allow    bool
	masked   bool
	policy   string
	contract string
	reason   string // the whole reason, when not ""
}

type gateCase struct {
	name string
	req  jaga.AccessRequest
	want want
}

func allowed(policy string, masked bool) want {
	return want{allow: true, masked: masked, policy: policy}
}
func denied(policy string) want { return want{policy: policy} }

func (w want) under(contractID string) want { w.contract = contractID; return w }
func (w want) because(reason string) want   { w.reason = reason; return w }

func cases() []gateCase {
	const (
		read   = jaga.ActionRead
		unmask = jaga.ActionUnmask
		update = jaga.ActionUpdate
	)
	ticket, tracingP, correction := jaga.PurposeSupportTicket, jaga.PurposeContactTracing, jaga.PurposeRecordCorrection
	audit, airlineQ, travelV := jaga.PurposeAudit, jaga.PurposeAirlineQuery, jaga.PurposeTravelVerification

	// A contractor support agent reading identity and contact for a ticket
	// under contracts, for the contract edge cases.
	contractorRead := func(cs ...jaga.Contract) jaga.AccessRequest {
		return request(contractorAgent, read, ticket, identityPhone, withContracts(cs...))
	}
	noContract := denied("contract-required").because("no active contract covers identity and contact for SUPPORT_TICKET")
	contractorAllowed := allowed("contractor-support", true)

	return []gateCase{
		// ministry-health-officer
		{"ministry health officer reads for contact tracing",
			request(healthOfficer, read, tracingP, tracing),
			allowed("ministry-health-officer", false).because("a ministry health officer may read for CONTACT_TRACING with a case reference")},
		{"ministry health officer updates for record correction",
			request(healthOfficer, update, correction, identity), allowed("ministry-health-officer", false)},
		{"ministry health officer unmasks every category",
			request(healthOfficer, unmask, tracingP, everything), allowed("ministry-health-officer", false)},
		{"ministry health officer without case relationship",
			request(healthOfficer, read, tracingP, tracing, noRelationship), denied("default-deny")},
		{"ministry health officer with blank reference",
			request(healthOfficer, read, tracingP, tracing, withReference("   ")), denied("default-deny")},
		{"ministry health officer for a support ticket",
			request(healthOfficer, read, ticket, identity), denied("default-deny")},
		{"ministry health officer with an unknown action",
			request(healthOfficer, "delete", tracingP, tracing),
			denied("default-deny").because("no policy lets a health_officer of ministry access contact, checkin and health for CONTACT_TRACING")},

		// ministry-support
		{"ministry support agent reads identity and contact",
			request(ministryAgent, read, ticket, identityPhone), allowed("ministry-support", false)},
		{"ministry supervisor unmasks vaccination and support",
			request(ministrySuper, unmask, ticket, vaccineSupport), allowed("ministry-support", false)},
		{"ministry support agent reads every permitted category",
			request(ministryAgent, read, ticket, []string{"identity", "contact", "vaccination", "support"}), allowed("ministry-support", false)},
		{"ministry support agent reads health for a risk status dispute",
			request(ministryAgent, read, ticket, []string{jaga.CategoryIdentity, jaga.CategoryHealth, jaga.CategorySupport}), allowed("ministry-support", false)},
		{"ministry support agent reads travel for an overseas certificate",
			request(ministryAgent, read, ticket, []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel, jaga.CategorySupport}),
			allowed("ministry-support", false)},
		{"ministry supervisor unmasks health",
			request(ministrySuper, unmask, ticket, []string{jaga.CategoryHealth}), allowed("ministry-support", false)},
		{"ministry support agent cannot read check-ins",
			request(ministryAgent, read, ticket, []string{jaga.CategoryIdentity, jaga.CategoryCheckin}), denied("default-deny")},
		{"ministry support agent cannot read every category",
			request(ministryAgent, read, ticket, everything), denied("default-deny")},
		{"ministry support agent cannot update",
			request(ministryAgent, update, ticket, identity), denied("default-deny")},
		{"ministry support agent without reference",
			request(ministryAgent, read, ticket, identity, withReference("")), denied("default-deny")},
		{"ministry support agent without case relationship",
			request(ministryAgent, read, ticket, identity, noRelationship), denied("default-deny")},
		{"ministry support agent for contact tracing",
			request(ministryAgent, read, tracingP, identity), denied("default-deny")},
		{"ministry admin reads nothing",
			request(ministryAdmin, read, ticket, identity), denied("default-deny")},

		// ministry-audit
		{"ministry auditor reads masked for an audit",
			request(auditor, read, audit, everything), allowed("ministry-audit", true)},
		{"ministry data protection officer reads masked for an audit",
			request(dpo, read, audit, identity), allowed("ministry-audit", true)},
		{"ministry data protection officer unmasks with a reason",
			request(dpo, unmask, audit, identity), allowed("ministry-audit", false)},
		{"ministry auditor without reference",
			request(auditor, read, audit, identity, withReference("")), denied("default-deny")},
		{"ministry auditor cannot update",
			request(auditor, update, audit, identity), denied("default-deny")},
		{"ministry auditor for a support ticket",
			request(auditor, read, ticket, identity), denied("default-deny")},

		// contractor-support
		{"contractor support agent reads masked under contract",
			contractorRead(contractorContract),
			contractorAllowed.under("C-contractor").because("contractor support staff may read identity and contact for SUPPORT_TICKET under a contract")},
		{"contractor supervisor unmasks under contract",
			request(contractorSuper, unmask, ticket, identityPhone, withContracts(contractorContract)),
			allowed("contractor-support", false).under("C-contractor")},
		{"contractor support agent without reference",
			request(contractorAgent, read, ticket, identity, withContracts(contractorContract), withReference("")),
			denied("default-deny").under("C-contractor")},
		{"contractor support agent cannot update",
			request(contractorAgent, update, ticket, identity, withContracts(contractorContract)),
			denied("default-deny").under("C-contractor")},
		// ministry-support-record-change and contractor-record-change
		{"ministry support agent refreshes a record for a ticket",
			request(ministryAgent, update, correction, []string{jaga.CategoryVaccination}),
			allowed("ministry-support-record-change", false)},
		{"ministry supervisor reads a correction to decide it",
			request(ministrySuper, read, correction, identity), allowed("ministry-support-record-change", false)},
		{"ministry support agent cannot correct contact details",
			request(ministryAgent, update, correction, identityPhone), denied("default-deny")},
		{"ministry support agent needs a ticket reference to change a record",
			request(ministryAgent, update, correction, identity, withReference("")), denied("default-deny")},
		{"contractor support agent without a record-correction contract asks instead",
			request(contractorAgent, update, correction, identityVaccination, withContracts(contractorContract)),
			denied("contract-required")},
		{"contractor support agent under a record-correction contract",
			request(contractorAgent, update, correction, identityVaccination, withContracts(contract("C-correct", jaga.OrgContractor, func(c *jaga.Contract) {
				c.Purposes = []string{jaga.PurposeSupportTicket, jaga.PurposeRecordCorrection}
			}))),
			allowed("contractor-record-change", true).under("C-correct")},
		{"contractor support agent cannot read for record correction",
			request(contractorAgent, read, correction, identity, withContracts(contract("C-correct", jaga.OrgContractor, func(c *jaga.Contract) {
				c.Purposes = []string{jaga.PurposeRecordCorrection}
			}))),
			denied("default-deny").under("C-correct")},
		{"contractor support agent for contact tracing",
			request(contractorAgent, read, tracingP, identity, withContracts(contractorContract)),
			denied("default-deny").under("C-contractor")},
		{"contractor health officer is not a ministry health officer",
			request(staff(jaga.OrgContractor, jaga.RoleHealthOfficer), read, tracingP, tracing, withContracts(contractorContract)),
			denied("default-deny").under("C-contractor")},

		// airline-agent
		{"airline agent reads masked for an airline query",
			request(airlineAgent, read, airlineQ, travel, withContracts(airlineContract)),
			allowed("airline-agent", true).under("C-airline")},
		{"airline agent reads masked for travel verification",
			request(airlineAgent, read, travelV, travel, withContracts(airlineContract)),
			allowed("airline-agent", true).under("C-airline")},
		{"airline agent may never unmask",
			request(airlineAgent, unmask, airlineQ, travel, withContracts(airlineContract)),
			denied("default-deny").under("C-airline")},
		{"airline agent without reference",
			request(airlineAgent, read, airlineQ, travel, withContracts(airlineContract), withReference("")),
			denied("default-deny").under("C-airline")},
		{"airline agent for a support ticket",
			request(airlineAgent, read, ticket, travel, withContracts(airlineContract)),
			denied("default-deny").under("C-airline")},

		// airline-api-client
		{"airline API client with persons:read reads masked",
			request(airlineClient, read, travelV, travel, withContracts(airlineContract)),
			allowed("airline-api-client", true).under("C-airline")},
		{"airline API client may never unmask",
			request(airlineClient, unmask, travelV, travel, withContracts(airlineContract)),
			denied("default-deny").under("C-airline")},
		{"airline API client without persons:read",
			request(apiClient(jaga.OrgAirline, jaga.ScopeAccessRead), read, travelV, travel, withContracts(airlineContract)),
			denied("default-deny").under("C-airline").because("no policy lets an API client of airline read identity, vaccination and travel for TRAVEL_VERIFICATION")},
		{"airline API client without reference",
			request(airlineClient, read, travelV, travel, withContracts(airlineContract), withReference("")),
			denied("default-deny").under("C-airline")},
		{"airline staff with a persons:read scope is not an API client",
			request(func() jaga.Actor {
				a := staff(jaga.OrgAirline, jaga.RoleAdmin)
				a.Scopes = []string{jaga.ScopePersonsRead}
				return a
			}(),
				read, travelV, travel, withContracts(airlineContract)),
			denied("default-deny").under("C-airline")},
		{"contractor API client with persons:read",
			request(apiClient(jaga.OrgContractor, jaga.ScopePersonsRead), read, ticket, identity, withContracts(contractorContract)),
			denied("default-deny").under("C-contractor")},

		// authority-liaison
		{"authority liaison reads masked for travel verification",
			request(liaison, read, travelV, travel, withContracts(authorityContract)),
			allowed("authority-liaison", true).under("C-authority")},
		{"authority liaison unmasks with a reason",
			request(liaison, unmask, travelV, travel, withContracts(authorityContract)),
			allowed("authority-liaison", false).under("C-authority")},
		{"authority liaison without reference",
			request(liaison, read, travelV, travel, withContracts(authorityContract), withReference("")),
			denied("default-deny").under("C-authority")},
		{"authority liaison for an airline query",
			request(liaison, read, airlineQ, travel, withContracts(authorityContract)),
			denied("default-deny").under("C-authority")},

		// authority-support
		{"authority liaison reads an escalated ticket masked under contract",
			request(liaison, read, ticket, []string{jaga.CategoryIdentity, jaga.CategoryTravel, jaga.CategorySupport}, withContracts(authorityContract)),
			allowed("authority-support", true).under("C-authority").
				because("an authority liaison may read identity, travel and support masked for SUPPORT_TICKET under a contract")},
		{"authority liaison may not unmask a ticket",
			request(liaison, unmask, ticket, identity, withContracts(authorityContract)),
			denied("default-deny").under("C-authority")},
		{"authority liaison may not update for a ticket",
			request(liaison, update, ticket, identity, withContracts(authorityContract)),
			denied("default-deny").under("C-authority")},
		{"authority liaison reads a ticket without reference",
			request(liaison, read, ticket, identity, withContracts(authorityContract), withReference("")),
			denied("default-deny").under("C-authority")},
		{"authority liaison reads a ticket without case relationship",
			request(liaison, read, ticket, identity, withContracts(authorityContract), noRelationship),
			denied("default-deny").under("C-authority")},
		{"authority liaison reads a ticket without contract",
			request(liaison, read, ticket, identity), denied("contract-required")},
		{"authority liaison under a contract without the support purpose",
			request(liaison, read, ticket, identity, withContracts(contract("C-authority", jaga.OrgAuthority, func(c *jaga.Contract) {
				c.Purposes = []string{jaga.PurposeTravelVerification}
			}))),
			denied("contract-required")},
		{"authority staff of another role read a ticket",
			request(staff(jaga.OrgAuthority, jaga.RoleSupportAgent), read, ticket, identity, withContracts(authorityContract)),
			denied("default-deny").under("C-authority")},

		// Roles no permit names.
		{"vaccinator under contract",
			request(staff(jaga.OrgVaccinationCentre, jaga.RoleVaccinator), read, ticket, identity,
				withContracts(contract("C-centre", jaga.OrgVaccinationCentre))),
			denied("default-deny").under("C-centre")},
		{"premises staff under contract",
			request(staff(jaga.OrgPremisesOwner, jaga.RolePremisesStaff), read, ticket, identity,
				withContracts(contract("C-premises", jaga.OrgPremisesOwner))),
			denied("default-deny").under("C-premises")},

		// premises-assisted-checkin
		{"premises staff confirm a visitor for assisted check-in",
			request(staff(jaga.OrgPremisesOwner, jaga.RolePremisesStaff), read, jaga.PurposeAssistedCheckIn, checkinIdentity,
				withContracts(premisesContract)),
			allowed("premises-assisted-checkin", true).under("C-premises")},
		{"premises admin confirms a visitor",
			request(staff(jaga.OrgPremisesOwner, jaga.RoleAdmin), read, jaga.PurposeAssistedCheckIn, checkinIdentity,
				withContracts(premisesContract)),
			allowed("premises-assisted-checkin", true).under("C-premises")},
		{"premises staff may not unmask",
			request(staff(jaga.OrgPremisesOwner, jaga.RolePremisesStaff), unmask, jaga.PurposeAssistedCheckIn, checkinIdentity,
				withContracts(premisesContract)),
			denied("default-deny").under("C-premises")},
		{"premises staff without a contract",
			request(staff(jaga.OrgPremisesOwner, jaga.RolePremisesStaff), read, jaga.PurposeAssistedCheckIn, checkinIdentity),
			denied("contract-required")},
		{"premises staff without naming the premises",
			request(staff(jaga.OrgPremisesOwner, jaga.RolePremisesStaff), read, jaga.PurposeAssistedCheckIn, checkinIdentity,
				withContracts(premisesContract), withReference("")),
			denied("default-deny").under("C-premises")},
		{"contractor agent for assisted check-in",
			request(contractorAgent, read, jaga.PurposeAssistedCheckIn, checkinIdentity,
				withContracts(contract("C-contractor", jaga.OrgContractor, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeAssistedCheckIn} }))),
			denied("default-deny").under("C-contractor")},

		// vaccination-centre-record
		{"vaccinator records a dose under contract",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(centreContract), noRelationship, withReference("")),
			allowed("vaccination-centre-record", true).under("C-centre").
				because("a vaccinator may update identity and vaccination masked for VACCINATION_RECORD under a contract")},
		{"vaccinator confirms a person masked",
			request(vaccinator, read, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(centreContract)),
			allowed("vaccination-centre-record", true).under("C-centre")},
		{"vaccinator reads identity alone",
			request(vaccinator, read, jaga.PurposeVaccinationRecord, identity, withContracts(centreContract)),
			allowed("vaccination-centre-record", true).under("C-centre")},
		{"vaccinator may not unmask",
			request(vaccinator, unmask, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(centreContract)),
			denied("default-deny").under("C-centre")},
		{"vaccinator may not touch contact details",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryVaccination},
				withContracts(contract("C-centre", jaga.OrgVaccinationCentre, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeVaccinationRecord} }))),
			denied("default-deny").under("C-centre")},
		{"vaccinator without a contract",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination),
			denied("contract-required").because("no active contract covers identity and vaccination for VACCINATION_RECORD")},
		{"vaccinator under a contract for other purposes",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(contract("C-centre", jaga.OrgVaccinationCentre))),
			denied("contract-required")},
		{"vaccinator under a contract without vaccination",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination,
				withContracts(contract("C-centre", jaga.OrgVaccinationCentre, func(c *jaga.Contract) {
					c.Purposes, c.Categories = []string{jaga.PurposeVaccinationRecord}, identity
				}))),
			denied("contract-required")},
		{"vaccination centre admin may not record doses",
			request(staff(jaga.OrgVaccinationCentre, jaga.RoleAdmin), update, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(centreContract)),
			denied("default-deny").under("C-centre")},
		{"vaccinator of a premises owner",
			request(staff(jaga.OrgPremisesOwner, jaga.RoleVaccinator), update, jaga.PurposeVaccinationRecord, identityVaccination,
				withContracts(contract("C-premises", jaga.OrgPremisesOwner, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeVaccinationRecord} }))),
			denied("default-deny").under("C-premises")},
		{"vaccination centre API client",
			request(apiClient(jaga.OrgVaccinationCentre, jaga.ScopePersonsRead), update, jaga.PurposeVaccinationRecord, identityVaccination,
				withContracts(contract("C-centre", jaga.OrgVaccinationCentre, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeVaccinationRecord} }))),
			denied("default-deny").under("C-centre")},
		{"ministry health officer recording a dose",
			request(healthOfficer, update, jaga.PurposeVaccinationRecord, identityVaccination), denied("default-deny")},
		{"unknown person for a vaccinator under contract",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination, withContracts(centreContract), unknownPerson),
			denied("unknown-person").under("C-centre")},
		{"unknown person for a vaccinator without contract",
			request(vaccinator, update, jaga.PurposeVaccinationRecord, identityVaccination, unknownPerson),
			denied("contract-required")},

		// laboratory-case-feed
		{"laboratory feed records a case under contract",
			request(labClient, update, tracingP, identityHealth, withContracts(labContract)),
			allowed("laboratory-case-feed", true).under("C-lab").
				because("a laboratory's API client may update identity and health for CONTACT_TRACING under a contract")},
		{"laboratory feed records health alone",
			request(labClient, update, tracingP, []string{jaga.CategoryHealth}, withContracts(labContract)),
			allowed("laboratory-case-feed", true).under("C-lab")},
		{"laboratory feed without a contract",
			request(labClient, update, tracingP, identityHealth), denied("contract-required")},
		{"laboratory feed under a contract without contact tracing",
			request(labClient, update, tracingP, identityHealth, withContracts(contract("C-lab", jaga.OrgLaboratory, func(c *jaga.Contract) {
				c.Purposes = []string{jaga.PurposeSupportTicket}
			}))),
			denied("contract-required")},
		{"laboratory feed without cases:write",
			request(apiClient(jaga.OrgLaboratory, jaga.ScopePersonsRead), update, tracingP, identityHealth, withContracts(labContract)),
			denied("default-deny").under("C-lab")},
		{"laboratory feed may not read",
			request(labClient, read, tracingP, identityHealth, withContracts(labContract)),
			denied("default-deny").under("C-lab")},
		{"laboratory feed may not touch contact details",
			request(labClient, update, tracingP, []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryHealth},
				withContracts(contract("C-lab", jaga.OrgLaboratory))),
			denied("default-deny").under("C-lab")},
		{"laboratory feed for another purpose",
			request(labClient, update, ticket, identityHealth, withContracts(contract("C-lab", jaga.OrgLaboratory))),
			denied("default-deny").under("C-lab")},
		{"laboratory feed without the lab report",
			request(labClient, update, tracingP, identityHealth, withContracts(labContract), withReference("")),
			denied("default-deny").under("C-lab")},
		{"laboratory staff are not its feed",
			request(func() jaga.Actor {
				a := staff(jaga.OrgLaboratory, jaga.RoleAdmin)
				a.Scopes = []string{jaga.ScopeCasesWrite}
				return a
			}(), update, tracingP, identityHealth, withContracts(labContract)),
			denied("default-deny").under("C-lab")},
		{"airline API client with cases:write",
			request(apiClient(jaga.OrgAirline, jaga.ScopeCasesWrite), update, tracingP, identityHealth, withContracts(airlineContract)),
			denied("default-deny").under("C-airline")},

		// actor-kind
		{"citizen is denied",
			request(jaga.Actor{Kind: jaga.ActorCitizen, ID: "P-other"}, read, ticket, identity),
			denied("actor-kind").because("only staff and API clients may be granted access to a person's data")},
		{"citizen claiming a ministry role is denied",
			request(jaga.Actor{Kind: jaga.ActorCitizen, ID: "P-other", OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer},
				read, tracingP, tracing),
			denied("actor-kind")},
		{"system actor is denied",
			request(jaga.Actor{Kind: jaga.ActorSystem, ID: "system", OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer},
				read, tracingP, tracing),
			denied("actor-kind")},
		{"actor without kind is denied",
			request(jaga.Actor{ID: "x", OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer}, read, tracingP, tracing),
			denied("actor-kind")},
		{"citizen for an unknown person without contract reports actor-kind",
			request(jaga.Actor{Kind: jaga.ActorCitizen, ID: "P-other"}, unmask, jaga.PurposeBreakGlass, identity,
				unknownPerson, withReason("")),
			denied("actor-kind")},

		// contract-required and the contract edge cases
		{"contractor without contract", contractorRead(), noContract},
		{"contractor without contract reading identity",
			request(contractorAgent, read, ticket, identity),
			denied("contract-required").because("no active contract covers identity for SUPPORT_TICKET")},
		{"contract pending approval",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.State = jaga.ContractPending })), noContract},
		{"contract approved but not yet started",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.ValidFrom = at.Add(time.Hour) })), noContract},
		{"contract starting exactly now",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.ValidFrom = at })), contractorAllowed.under("C1")},
		{"contract expired",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.ValidTo = at.Add(-time.Hour) })), noContract},
		{"contract ending exactly now (ValidTo is exclusive)",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.ValidTo = at })), noContract},
		{"contract ending a nanosecond from now",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.ValidTo = at.Add(time.Nanosecond) })), contractorAllowed.under("C1")},
		{"contract terminated",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.State = jaga.ContractTerminated })), noContract},
		{"contract covering a different category",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Categories = []string{jaga.CategorySupport} })), noContract},
		{"contract covering only some of the categories",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Categories = identity })), noContract},
		{"contract covering a different purpose",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeAudit} })), noContract},
		{"contract personnel not naming the actor",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Personnel = []string{"S-someone-else"} })), noContract},
		{"contract personnel naming the actor",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Personnel = []string{"S-a", contractorAgent.ID} })),
			contractorAllowed.under("C1")},
		{"contract personnel empty means every member",
			contractorRead(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.Personnel = []string{} })), contractorAllowed.under("C1")},
		{"contract of another organisation",
			contractorRead(contract("C1", jaga.OrgAirline)), noContract},
		{"first covering contract is recorded",
			contractorRead(
				contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.State = jaga.ContractPending }),
				contract("C2", jaga.OrgContractor, func(c *jaga.Contract) { c.Purposes = []string{jaga.PurposeAudit} }),
				contract("C3", jaga.OrgContractor),
				contract("C4", jaga.OrgContractor)),
			contractorAllowed.under("C3")},
		{"contractor auditor without contract is denied whatever the role",
			request(staff(jaga.OrgContractor, jaga.RoleAuditor), read, audit, identity), denied("contract-required")},
		{"staff of an organisation without kind",
			request(staff("", jaga.RoleHealthOfficer), read, tracingP, tracing), denied("contract-required")},
		{"airline agent without contract",
			request(airlineAgent, read, airlineQ, travel), denied("contract-required")},
		{"airline API client without contract",
			request(airlineClient, read, travelV, travel), denied("contract-required")},
		{"authority liaison with an airline's contract",
			request(liaison, read, travelV, travel, withContracts(airlineContract)), denied("contract-required")},
		{"contract ending now in another time zone",
			request(contractorAgent, read, ticket, identity, withContracts(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) {
				c.ValidTo = at.In(time.FixedZone("MYT", 8*3600))
			}))), denied("contract-required")},

		// unknown-person
		{"unknown person for an allowed actor",
			request(healthOfficer, read, tracingP, tracing, unknownPerson),
			denied("unknown-person").because("the person does not exist")},
		{"unknown person for a contractor under contract",
			request(contractorAgent, read, ticket, identity, withContracts(contractorContract), unknownPerson),
			denied("unknown-person").under("C-contractor")},
		{"unknown person for an actor no policy allows is default-deny",
			request(ministryAdmin, read, ticket, identity, unknownPerson), denied("default-deny")},
		{"unknown person for a contractor without contract is contract-required",
			request(contractorAgent, read, ticket, identity, unknownPerson), denied("contract-required")},

		// break-glass-not-enabled
		{"break glass by a ministry health officer",
			request(healthOfficer, read, jaga.PurposeBreakGlass, tracing),
			denied("break-glass-not-enabled").because("break-glass access is not available")},
		{"break glass by a contractor under a contract naming it",
			request(contractorAgent, read, jaga.PurposeBreakGlass, identity, withContracts(contract("C1", jaga.OrgContractor, func(c *jaga.Contract) {
				c.Purposes = append(c.Purposes, jaga.PurposeBreakGlass)
			}))),
			denied("break-glass-not-enabled").under("C1")},

		// unmask-reason-required
		{"unmask without reason",
			request(healthOfficer, unmask, tracingP, tracing, withReason("")),
			denied("unmask-reason-required").because("unmasking needs a typed reason of at least 10 characters")},
		{"unmask with a 9-character reason",
			request(healthOfficer, unmask, tracingP, tracing, withReason("too short")), denied("unmask-reason-required")},
		{"unmask with a reason of spaces",
			request(healthOfficer, unmask, tracingP, tracing, withReason("            ")), denied("unmask-reason-required")},
		{"unmask with a 9-character reason padded with spaces",
			request(healthOfficer, unmask, tracingP, tracing, withReason("   too short   ")), denied("unmask-reason-required")},
		{"unmask with a 10-character reason",
			request(healthOfficer, unmask, tracingP, tracing, withReason("0123456789")), allowed("ministry-health-officer", false)},
		{"unmask with a 10-character non-ASCII reason",
			request(healthOfficer, unmask, tracingP, tracing, withReason("semakan é€")), allowed("ministry-health-officer", false)},
		{"unmask without reason is denied under a covering contract",
			request(contractorSuper, unmask, ticket, identity, withContracts(contractorContract), withReason("")),
			denied("unmask-reason-required").under("C-contractor")},
		{"read needs no reason",
			request(contractorAgent, read, ticket, identity, withContracts(contractorContract), withReason("")),
			contractorAllowed.under("C-contractor")},
	}
}

func TestDecide(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			d, err := g.Decide(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			check(t, d, tc.want)
		})
	}
}

func check(t *testing.T, d jaga.Decision, w want) {
	t.Helper()
	if d.Allow != w.allow || d.Masked != w.masked || d.Policy != w.policy || d.ContractID != w.contract {
		t.Errorf("got allow=%v masked=%v policy=%q contract=%q (%s)\nwant allow=%v masked=%v policy=%q contract=%q",
			d.Allow, d.Masked, d.Policy, d.ContractID, d.Reason, w.allow, w.masked, w.policy, w.contract)
	}
	if w.reason != "" && d.Reason != w.reason {
		t.Errorf("reason %q, want %q", d.Reason, w.reason)
	}
	if d.Reason == "" {
		t.Error("no reason")
	}
}

// TestEveryPolicyTested makes sure that the table exercises every policy of
// policies.cedar, allowing for permits and denying for forbids.
func TestEveryPolicyTested(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, tc := range cases() {
		tested[tc.want.policy] = true
	}
	for _, p := range append(g.forbids, g.permits...) {
		if !tested[p.id] {
			t.Errorf("policy %q is not tested", p.id)
		}
	}
	if !tested[PolicyDefaultDeny] {
		t.Error("default deny is not tested")
	}
	if len(g.forbids) != 5 || len(g.permits) != 13 {
		t.Errorf("%d forbids and %d permits; update the tests", len(g.forbids), len(g.permits))
	}
}

// TestMasking checks the masking rule on every allowed case: an unmask is
// never masked, a read outside the ministry always is.
func TestMasking(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases() {
		d, err := g.Decide(context.Background(), tc.req)
		if err != nil || !d.Allow {
			continue
		}
		switch {
		case tc.req.Action == jaga.ActionUnmask && d.Masked:
			t.Errorf("%s: unmask is masked", tc.name)
		case tc.req.Action == jaga.ActionRead && tc.req.Actor.OrgKind != jaga.OrgMinistry && !d.Masked:
			t.Errorf("%s: read outside the ministry is not masked", tc.name)
		}
	}
}

// TestMaskingOutsideMinistry checks that a read by an organisation other
// than the ministry is masked even when a permit says otherwise.
func TestMaskingOutsideMinistry(t *testing.T) {
	g, err := parse("test.cedar", []byte(`
@id("unmasked") @reason("r") @masked("false") permit (principal, action, resource);
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		req    jaga.AccessRequest
		masked bool
	}{
		{"contractor read", request(contractorAgent, jaga.ActionRead, jaga.PurposeSupportTicket, identity, withContracts(contractorContract)), true},
		{"contractor unmask", request(contractorAgent, jaga.ActionUnmask, jaga.PurposeSupportTicket, identity, withContracts(contractorContract)), false},
		{"ministry read", request(ministryAgent, jaga.ActionRead, jaga.PurposeSupportTicket, identity), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := g.Decide(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allow || d.Masked != tc.masked {
				t.Errorf("got %+v, want masked=%v", d, tc.masked)
			}
		})
	}
}

// TestReasonIsSafe checks that no reason repeats an identifier, a reference
// or the typed reason.
func TestReasonIsSafe(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases() {
		d, _ := g.Decide(context.Background(), tc.req)
		secrets := []string{tc.req.PersonID, tc.req.Reference, tc.req.Actor.ID, tc.req.Actor.OrgID, tc.req.Actor.Name}
		if tc.req.Reason != "" {
			secrets = append(secrets, tc.req.Reason)
		}
		for _, c := range tc.req.Contracts {
			secrets = append(secrets, c.Reference)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(d.Reason, s) {
				t.Errorf("%s: reason %q contains %q", tc.name, d.Reason, s)
			}
		}
	}

	// Free text in place of codes is not repeated either.
	req := request(jaga.Actor{Kind: jaga.ActorStaff, ID: "S-1", OrgKind: "Ali bin Abu", Role: "850101-14-5678"},
		"read Ali's file", "Ali bin Abu 850101-14-5678", []string{"Ali", jaga.CategoryIdentity})
	d, err := g.Decide(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if d.Policy != "contract-required" || strings.Contains(d.Reason, "Ali") || strings.Contains(d.Reason, "850101") {
		t.Errorf("got %+v", d)
	}
	if want := "no active contract covers identity and an unknown category for an unknown purpose"; d.Reason != want {
		t.Errorf("reason %q, want %q", d.Reason, want)
	}
	req.Actor.OrgKind = jaga.OrgMinistry
	d, _ = g.Decide(context.Background(), req)
	if want := "no policy lets a staff member of ministry access identity and an unknown category for an unknown purpose"; d.Reason != want {
		t.Errorf("reason %q, want %q", d.Reason, want)
	}
}

func TestDecideConcurrently(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	all := cases()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				for _, tc := range all {
					d, err := g.Decide(context.Background(), tc.req)
					if err != nil || d.Allow != tc.want.allow || d.Policy != tc.want.policy || d.Masked != tc.want.masked {
						t.Errorf("%s: got %+v, %v", tc.name, d, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestParseRejects(t *testing.T) {
	const permit = `permit (principal, action, resource);`
	for name, doc := range map[string]string{
		"syntax error":           `permit (principal, action, resource`,
		"no policy":              `// nothing`,
		"no id":                  `@reason("r") @masked("false") ` + permit,
		"reserved id":            `@id("default-deny") @reason("r") @masked("false") ` + permit,
		"duplicate id":           `@id("a") @reason("r") @masked("false") ` + permit + `@id("a") @reason("r") @masked("false") ` + permit,
		"no reason":              `@id("a") @masked("false") ` + permit,
		"permit without masked":  `@id("a") @reason("r") ` + permit,
		"permit with bad masked": `@id("a") @reason("r") @masked("yes") ` + permit,
		"confidential permit":    `@id("a") @reason("r") @masked("true") @confidential("true") ` + permit,
		"masked forbid":          `@id("a") @reason("r") @masked("true") forbid (principal, action, resource);`,
		"bad confidential":       `@id("a") @reason("r") @confidential("1") forbid (principal, action, resource);`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parse("test.cedar", []byte(doc)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestEvaluationErrorFailsClosed checks that a forbid that cannot be
// evaluated denies, with an error, rather than letting a permit through.
func TestEvaluationErrorFailsClosed(t *testing.T) {
	g, err := parse("test.cedar", []byte(`
@id("broken") @reason("r") forbid (principal, action, resource) when { context.noSuchFact };
@id("everyone") @reason("r") @masked("false") permit (principal, action, resource);
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(context.Background(), request(healthOfficer, jaga.ActionRead, jaga.PurposeContactTracing, tracing))
	if err == nil {
		t.Error("no error")
	}
	if d.Allow || d.Policy != PolicyError {
		t.Errorf("got %+v", d)
	}
}

func BenchmarkDecide(b *testing.B) {
	g, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		req  jaga.AccessRequest
	}{
		{"ministry", request(healthOfficer, jaga.ActionRead, jaga.PurposeContactTracing, tracing)},
		{"contractor", request(contractorAgent, jaga.ActionRead, jaga.PurposeSupportTicket, identityPhone, withContracts(
			contract("C1", jaga.OrgContractor, func(c *jaga.Contract) { c.State = jaga.ContractTerminated }),
			contract("C2", jaga.OrgContractor, func(c *jaga.Contract) { c.Personnel = []string{"S-1", "S-2", contractorAgent.ID} }),
		))},
		{"denied", request(contractorAgent, jaga.ActionRead, jaga.PurposeSupportTicket, identityPhone)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Decide(ctx, bc.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
