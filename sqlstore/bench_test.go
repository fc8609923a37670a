package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/argon2id"
	"github.com/jaga-health/jaga/gate"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// BenchmarkGatedRead measures a staff read of a person's profile — gate
// decision, access-log append and the read, in one transaction — against
// the citizen reading their own profile (no gate, no log) in the same run,
// and reports the ratio.
func BenchmarkGatedRead(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	g, err := gate.New()
	if err != nil {
		b.Fatal(err)
	}
	db.Gate, db.Passwords, db.TOTP = g, argon2id.Hasher{MemoryKiB: 1024, Time: 1}, totp.Authenticator{}
	sys := jaga.SystemContext(ctx)
	p, err := sqlstore.NewAccountService(db).RegisterCitizen(sys, jaga.Contact{Value: "+60123456789"}, jaga.Profile{
		FullName: "Bench Citizen", IDType: jaga.IDTypeNRIC, IDNumber: "900101145678", DateOfBirth: "1990-01-01", Nationality: "MY"})
	if err != nil {
		b.Fatal(err)
	}
	people := sqlstore.NewPersonService(db)
	officer := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorStaff, ID: "officer", OrgID: "", OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer})
	citizen := jaga.NewContextWithActor(ctx, &jaga.Actor{Kind: jaga.ActorCitizen, ID: p.ID})
	why := jaga.AccessReason{Purpose: jaga.PurposeContactTracing, Relationship: jaga.RelationshipCase, Reference: "CASE-1"}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := people.ReadPerson(officer, p.ID, why); err != nil {
			b.Fatal(err)
		}
	}
	gated := time.Since(start)
	b.StopTimer()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := people.Person(citizen, p.ID); err != nil {
			b.Fatal(err)
		}
	}
	own := time.Since(start)
	b.ReportMetric(float64(gated.Nanoseconds())/float64(b.N), "gated-ns/op")
	b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "own-ns/op")
	b.ReportMetric(float64(gated)/float64(own), "ratio")
	b.ReportMetric(float64(b.N)/gated.Seconds(), "gated-reads/s")
	if testing.Verbose() {
		fmt.Printf("gated_reads_per_s=%.0f own_reads_per_s=%.0f ratio=%.2f\n", float64(b.N)/gated.Seconds(), float64(b.N)/own.Seconds(), float64(gated)/float64(own))
	}
}
