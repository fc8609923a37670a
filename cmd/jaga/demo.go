package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
	"github.com/jaga-health/jaga/web"
)

// demoPassword is the password of every demo staff account. Demo data is
// for a laptop, never for production.
const demoPassword = "jaga-demo-password"

type demoOrg struct {
	name  string
	kind  string
	staff []demoStaff
}

type demoStaff struct {
	email, name, role string
}

// demoOrgs is the demo world's organisations and their staff.
var demoOrgs = []demoOrg{
	{"Kementerian Kesihatan Malaysia (demo)", jaga.OrgMinistry, []demoStaff{
		{"admin@moh.demo", "Nurul Huda (admin)", jaga.RoleAdmin},
		{"officer@moh.demo", "Dr. Lim Chee Keong", jaga.RoleHealthOfficer},
		{"dpo@moh.demo", "Farah Aziz (DPO)", jaga.RoleDPO},
		{"dpo2@moh.demo", "Rajesh Kumar (DPO)", jaga.RoleDPO},
		{"auditor@moh.demo", "Siti Mariam (auditor)", jaga.RoleAuditor},
		{"supervisor@moh.demo", "Wong Mei Ling (desk tier 2)", jaga.RoleSupervisor},
	}},
	{"Sentosa Helpdesk Sdn Bhd (demo)", jaga.OrgContractor, []demoStaff{
		{"agent@sentosa.demo", "Amirul Hakim", jaga.RoleSupportAgent},
		{"supervisor@sentosa.demo", "Jessica Tan", jaga.RoleSupervisor},
	}},
	{"Cahaya Outsourcing Sdn Bhd (demo)", jaga.OrgContractor, []demoStaff{
		{"agent@cahaya.demo", "Faizal Rahim", jaga.RoleSupportAgent},
	}},
	{"Penerbangan Nusantara (demo)", jaga.OrgAirline, []demoStaff{
		{"agent@nusantara-air.demo", "Kavitha Nair", jaga.RoleAirlineAgent},
	}},
	{"Jabatan Imigresen (demo)", jaga.OrgAuthority, []demoStaff{
		{"liaison@imi.demo", "Hafiz Osman", jaga.RoleAuthorityLiaison},
	}},
	{"Kopitiam Sri Melati Sdn Bhd (demo)", jaga.OrgPremisesOwner, []demoStaff{
		{"staff@kopitiam.demo", "Lee Ah Kow", jaga.RolePremisesStaff},
	}},
	{"Pusat Pemberian Vaksin Kajang (demo)", jaga.OrgVaccinationCentre, []demoStaff{
		{"vaccinator@ppv-kajang.demo", "Nur Izzati (vaccinator)", jaga.RoleVaccinator},
	}},
}

// demoPremises are the premises owner's premises.
var demoPremises = []jaga.Premises{
	{Name: "Kopitiam Sri Melati", Type: "restaurant", Address: "3 Jalan Melati, Taman Bunga Raya, 43000 Kajang", State: "Selangor",
		Latitude: 2.9927, Longitude: 101.7909, Capacity: 80},
	{Name: "Pasar Raya Sri Melati", Type: "supermarket", Address: "15 Jalan Melati, Taman Bunga Raya, 43000 Kajang", State: "Selangor",
		Latitude: 2.9931, Longitude: 101.7915, Capacity: 300},
}

type demoCitizen struct {
	contact    string
	profile    jaga.Profile
	dependants []jaga.Profile
}

const demoAddress = "12 Jalan Melati, Taman Bunga Raya, 43000 Kajang, Selangor"

var demoCitizens = []demoCitizen{
	{"012-345 6789", jaga.Profile{FullName: "Aisyah binti Rahman", IDType: jaga.IDTypeNRIC, IDNumber: "900101-14-5678",
		DateOfBirth: "1990-01-01", Nationality: "MY", Address: demoAddress, Language: "ms"},
		[]jaga.Profile{
			{FullName: "Adam bin Hakim", IDType: jaga.IDTypeNRIC, IDNumber: "160305-10-1234", DateOfBirth: "2016-03-05", Nationality: "MY", Address: demoAddress, Language: "ms"},
			{FullName: "Rahman bin Yusof", IDType: jaga.IDTypeNRIC, IDNumber: "480712-03-5011", DateOfBirth: "1948-07-12", Nationality: "MY", Address: demoAddress, Language: "ms"},
		}},
	{"hakim@example.com", jaga.Profile{FullName: "Hakim bin Ismail", IDType: jaga.IDTypeNRIC, IDNumber: "880420-14-6021",
		DateOfBirth: "1988-04-20", Nationality: "MY", Address: demoAddress, Language: "en"}, nil},
	{"019-876 5432", jaga.Profile{FullName: "Tan Wei Ming", IDType: jaga.IDTypeNRIC, IDNumber: "950815-07-5523",
		DateOfBirth: "1995-08-15", Nationality: "MY", Address: "8 Lorong Kenari, 11900 Bayan Lepas, Pulau Pinang", Language: "en"}, nil},
	{"priya@example.com", jaga.Profile{FullName: "Priya Raman", IDType: jaga.IDTypePassport, IDNumber: "K1234567",
		DateOfBirth: "1992-11-30", Nationality: "IN", Address: "Suite 5-2, Jalan Ampang, 50450 Kuala Lumpur", Language: "en"}, nil},
}

// demoDoses are the demo citizens' doses.
var demoDoses = []jaga.DoseRecord{
	{IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FE4721", DoseNumber: 1, TotalDoses: 2, GivenOn: "2021-07-03", Country: "MY"},
	{IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FF2593", DoseNumber: 2, TotalDoses: 2, GivenOn: "2021-07-24", Country: "MY"},
	{IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FK0108", DoseNumber: 3, TotalDoses: 2, Booster: true, GivenOn: "2022-01-15", Country: "MY"},
	{IDNumber: "160305-10-1234", DateOfBirth: "2016-03-05", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FP7715", DoseNumber: 1, TotalDoses: 2, GivenOn: "2022-02-12", Country: "MY"},
	{IDNumber: "480712-03-5011", DateOfBirth: "1948-07-12", Product: "CoronaVac", Manufacturer: "Sinovac-Biotech", Batch: "J202106041", DoseNumber: 1, TotalDoses: 2, GivenOn: "2021-06-10", Country: "MY"},
	{IDNumber: "480712-03-5011", DateOfBirth: "1948-07-12", Product: "CoronaVac", Manufacturer: "Sinovac-Biotech", Batch: "J202106118", DoseNumber: 2, TotalDoses: 2, GivenOn: "2021-07-01", Country: "MY"},
	{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Product: "EU/1/21/1529", Manufacturer: "ORG-100001699", Batch: "ABV5811", DoseNumber: 1, TotalDoses: 2, GivenOn: "2021-06-20", Country: "MY"},
	{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", Product: "EU/1/21/1529", Manufacturer: "ORG-100001699", Batch: "ABW0425", DoseNumber: 2, TotalDoses: 2, GivenOn: "2021-09-12", Country: "MY"},
	{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Product: "EU/1/20/1507", Manufacturer: "ORG-100031184", Batch: "3002183", DoseNumber: 1, TotalDoses: 2, GivenOn: "2021-08-02", Country: "MY"},
	{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Product: "EU/1/20/1507", Manufacturer: "ORG-100031184", Batch: "3002541", DoseNumber: 2, TotalDoses: 2, GivenOn: "2021-08-30", Country: "MY"},
}

// demoWorld is what the demo loader made and what sign-in needs: the staff
// accounts with their TOTP secrets.
type demoWorld struct {
	mu       sync.Mutex
	staff    []demoAccount
	premises []*jaga.Premises
}

type demoAccount struct {
	email, role, org, secret string
}

// accounts returns the demo staff accounts with their current TOTP codes.
func (d *demoWorld) accounts() []web.DemoAccount {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	out := make([]web.DemoAccount, 0, len(d.staff))
	for _, s := range d.staff {
		code, _ := totp.Code(s.secret, now)
		out = append(out, web.DemoAccount{Email: s.email, Password: demoPassword, Role: s.role, Organisation: s.org, Code: code})
	}
	return out
}

func (d *demoWorld) printSignIn(w io.Writer, url string) {
	fmt.Fprintf(w, "\nDemo mode. Open %s\n", url)
	fmt.Fprintf(w, "  Citizens sign in with a phone number or email; the one-time code appears at %s/dev/outbox\n", url)
	for _, c := range demoCitizens {
		fmt.Fprintf(w, "    %-20s %s\n", c.contact, c.profile.FullName)
	}
	fmt.Fprintf(w, "  Staff sign in at %s/staff/signin with password %q and the current code from %s/dev/outbox\n", url, demoPassword, url)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range d.staff {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", a.email, a.role, a.org)
	}
	tw.Flush()
	if len(d.premises) > 0 {
		fmt.Fprintln(w, "  Premises (check in with the short code at /checkin):")
		for _, p := range d.premises {
			fmt.Fprintf(w, "    %s  %s\n", p.ShortCode, p.Name)
		}
	}
	fmt.Fprintln(w)
}

// loadDemo fills the database with the demo world if it is not there yet,
// and gives every demo staff member a fresh TOTP secret so that sign-in
// codes can be shown on the dev outbox page.
func loadDemo(ctx context.Context, db *sqlstore.DB) (*demoWorld, error) {
	ctx = jaga.SystemContext(ctx)
	orgSvc := sqlstore.NewOrganisationService(db)
	existing, err := orgSvc.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*jaga.Organisation{}
	for _, o := range existing {
		byName[o.Name] = o
	}
	fresh := byName[demoOrgs[0].name] == nil
	world := &demoWorld{}
	staffIDs := map[string]string{}
	for _, do := range demoOrgs {
		o := byName[do.name]
		if o == nil {
			o = &jaga.Organisation{Name: do.name, Kind: do.kind}
			if err := orgSvc.CreateOrganisation(ctx, o); err != nil {
				return nil, fmt.Errorf("organisation: %w", err)
			}
			byName[do.name] = o
		}
		members, err := orgSvc.StaffMembers(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		have := map[string]*jaga.Staff{}
		for _, m := range members {
			have[m.Email] = m
		}
		for _, ds := range do.staff {
			var secret string
			if m := have[ds.email]; m != nil {
				e, err := orgSvc.ResetTOTP(ctx, m.ID)
				if err != nil {
					return nil, err
				}
				secret, staffIDs[ds.email] = e.TOTPSecret, m.ID
			} else {
				e, err := orgSvc.CreateStaff(ctx, jaga.NewStaff{OrgID: o.ID, Email: ds.email, DisplayName: ds.name, Role: ds.role, Password: demoPassword})
				if err != nil {
					return nil, fmt.Errorf("staff: %w", err)
				}
				secret, staffIDs[ds.email] = e.TOTPSecret, e.Staff.ID
			}
			world.staff = append(world.staff, demoAccount{email: ds.email, role: ds.role, org: do.name, secret: secret})
		}
	}
	premisesOwner := byName[demoOrgs[5].name]
	if world.premises, err = sqlstore.NewPremisesService(db).OrganisationPremises(ctx, premisesOwner.ID); err != nil {
		return nil, err
	}
	if !fresh {
		return world, nil
	}
	for _, dp := range demoPremises {
		p := dp
		p.OrgID = premisesOwner.ID
		if err := sqlstore.NewPremisesService(db).CreatePremises(ctx, &p); err != nil {
			return nil, fmt.Errorf("premises: %w", err)
		}
		world.premises = append(world.premises, &p)
	}

	contracts := sqlstore.NewContractService(db)
	now := time.Now().UTC()
	for _, c := range []*jaga.Contract{
		{OrgID: byName[demoOrgs[1].name].ID, Reference: "KKM-DPA-2026-014",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryVaccination, jaga.CategorySupport},
			Purposes:   []string{jaga.PurposeSupportTicket}, ValidFrom: now.AddDate(0, -1, 0), ValidTo: now.AddDate(1, 0, 0)},
		{OrgID: premisesOwner.ID, Reference: "KKM-DPA-2026-077",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryCheckin},
			Purposes:   []string{jaga.PurposeAssistedCheckIn}, ValidFrom: now.AddDate(0, -1, 0), ValidTo: now.AddDate(1, 0, 0)},
		{OrgID: byName[demoOrgs[3].name].ID, Reference: "KKM-DPA-2026-031",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryContact, jaga.CategoryVaccination, jaga.CategoryTravel},
			Purposes:   []string{jaga.PurposeAirlineQuery, jaga.PurposeTravelVerification}, ValidFrom: now.AddDate(0, -1, 0), ValidTo: now.AddDate(0, 6, 0)},
		{OrgID: byName[demoOrgs[6].name].ID, Reference: "KKM-DPA-2026-052",
			Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination},
			Purposes:   []string{jaga.PurposeVaccinationRecord}, ValidFrom: now.AddDate(0, -1, 0), ValidTo: now.AddDate(1, 0, 0)},
	} {
		dpo1 := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["dpo@moh.demo"], OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO})
		dpo2 := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["dpo2@moh.demo"], OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO})
		if err := contracts.RegisterContract(dpo1, c); err != nil {
			return nil, fmt.Errorf("contract: %w", err)
		}
		if _, err := contracts.ApproveContract(dpo2, c.ID); err != nil {
			return nil, fmt.Errorf("contract: %w", err)
		}
	}

	accounts := sqlstore.NewAccountService(db)
	people := sqlstore.NewPersonService(db)
	var first *jaga.Person
	citizenIDs := map[string]string{} // by contact
	for _, dc := range demoCitizens {
		contact, err := jaga.ParseContact(dc.contact)
		if err != nil {
			return nil, err
		}
		p, err := accounts.RegisterCitizen(ctx, contact, dc.profile)
		if err != nil {
			return nil, fmt.Errorf("citizen: %w", err)
		}
		if first == nil {
			first = p
		}
		citizenIDs[dc.contact] = p.ID
		citizen := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: p.ID})
		for _, dep := range dc.dependants {
			if _, err := people.AddDependant(citizen, dep); err != nil {
				return nil, fmt.Errorf("dependant: %w", err)
			}
		}
	}

	// Doses as the vaccination centre recorded them; each reaches the
	// person's certificate when a signer is loaded. Hakim's booster is
	// missing from the registry: the support desk's first case.
	centre := byName[demoOrgs[6].name]
	vaccinator := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["vaccinator@ppv-kajang.demo"],
		OrgID: centre.ID, OrgKind: jaga.OrgVaccinationCentre, Role: jaga.RoleVaccinator})
	doses := sqlstore.NewDoseService(db)
	for _, r := range demoDoses {
		if _, _, err := doses.RecordDose(vaccinator, r); err != nil {
			return nil, fmt.Errorf("demo dose: %w", err)
		}
	}

	// Two accesses to the first citizen's data, so that "who accessed my
	// data" has something to show: one under contract, one refused.
	sentosa := byName[demoOrgs[1].name]
	agent := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["agent@sentosa.demo"], OrgID: sentosa.ID,
		OrgKind: jaga.OrgContractor, Role: jaga.RoleSupportAgent})
	if _, err := people.ReadPerson(agent, first.ID, jaga.AccessReason{Purpose: jaga.PurposeSupportTicket,
		Relationship: jaga.RelationshipCase, Reference: "TICKET-DEMO-1"}); err != nil {
		return nil, fmt.Errorf("demo access: %w", err)
	}
	cahaya := byName[demoOrgs[2].name]
	outsider := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["agent@cahaya.demo"], OrgID: cahaya.ID,
		OrgKind: jaga.OrgContractor, Role: jaga.RoleSupportAgent})
	if _, err := people.ReadPerson(outsider, first.ID, jaga.AccessReason{Purpose: jaga.PurposeSupportTicket,
		Relationship: jaga.RelationshipCase, Reference: "TICKET-DEMO-2"}); jaga.ErrorCode(err) != jaga.EFORBIDDEN {
		return nil, fmt.Errorf("demo access without contract: want forbidden, got %v", err)
	}
	if err := loadDemoDesk(ctx, db, byName, staffIDs, citizenIDs, now); err != nil {
		return nil, fmt.Errorf("demo desk: %w", err)
	}
	return world, nil
}

// loadDemoDesk names the organisations that work the desk's queues, gives
// the immigration department its contract for escalated tickets, and opens
// two tickets: Hakim's booster, missing from the registry (tier 1, the
// contractor), and Priya's overseas certificate before her departure
// (tier 2, the ministry). The airline lane is the ministry's: an airline
// raises boarding queries but never works tickets, which would show it
// more than the passenger consented to.
func loadDemoDesk(ctx context.Context, db *sqlstore.DB, byName map[string]*jaga.Organisation, staffIDs, citizenIDs map[string]string, now time.Time) error {
	ministry, sentosa, immigration := byName[demoOrgs[0].name], byName[demoOrgs[1].name], byName[demoOrgs[4].name]
	desk := sqlstore.NewDeskService(db)
	for _, q := range []struct {
		queue string
		org   *jaga.Organisation
	}{
		{jaga.QueueContractorTier1, sentosa},
		{jaga.QueueMinistryTier2, ministry},
		{jaga.QueueImmigration, immigration},
		{jaga.QueueAirlineLiaison, ministry},
	} {
		if err := desk.SetQueueOrganisation(ctx, q.queue, q.org.ID); err != nil {
			return err
		}
	}
	contracts := sqlstore.NewContractService(db)
	c := &jaga.Contract{OrgID: immigration.ID, Reference: "KKM-DPA-2026-045",
		Categories: []string{jaga.CategoryIdentity, jaga.CategoryVaccination, jaga.CategoryTravel, jaga.CategorySupport},
		Purposes:   []string{jaga.PurposeSupportTicket, jaga.PurposeTravelVerification}, ValidFrom: now.AddDate(0, -1, 0), ValidTo: now.AddDate(1, 0, 0)}
	dpo1 := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["dpo@moh.demo"], OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO})
	dpo2 := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: staffIDs["dpo2@moh.demo"], OrgKind: jaga.OrgMinistry, Role: jaga.RoleDPO})
	if err := contracts.RegisterContract(dpo1, c); err != nil {
		return err
	}
	if _, err := contracts.ApproveContract(dpo2, c.ID); err != nil {
		return err
	}
	departure := now.In(jaga.Malaysia).AddDate(0, 0, 5).Format(time.DateOnly)
	for _, t := range []struct {
		contact string
		ticket  jaga.NewTicket
	}{
		{"hakim@example.com", jaga.NewTicket{Type: jaga.TicketDoseMissing, Tried: []string{jaga.FixRefreshRecord},
			Description: "My booster dose is not in my record; my doses 1 and 2 show.",
			Form:        map[string]string{"doseNumber": "3", "givenOn": "2022-01-20", "country": "MY", "product": "EU/1/21/1529", "centreName": "PPV Kajang"}}},
		{"priya@example.com", jaga.NewTicket{Type: jaga.TicketOverseasCertificate, Tried: []string{jaga.FixVerifyOverseas},
			Description: "My certificate from India is on paper and was not accepted; I fly before my visa ends.",
			Form:        map[string]string{"issuingCountry": "IN", "format": "paper", "departureDate": departure}}},
	} {
		citizen := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: citizenIDs[t.contact]})
		if _, err := desk.OpenTicket(citizen, t.ticket); err != nil {
			return err
		}
	}
	return nil
}

// runDemo loads the demo world into the database and prints how to sign in.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("demo", args, getenv, stderr, false)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, c, c.logger(stderr), true)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := startCertificates(ctx, c, db, nil, c.logger(stderr)); err != nil {
		return err
	}
	world, err := loadDemo(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo data is in %s. Start it with: jaga serve --demo --db %s\n", redactedDB(c.DB), c.DB)
	world.printSignIn(stdout, "http://127.0.0.1:8080")
	return nil
}
