package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// TestTracingReadsSegments traces a case whose contacts' check-ins are
// in a built segment, changed after it was built (a check-out, an offline
// upload into the built hour) and in an hour not built yet: reading
// through segments finds what reading checkins finds.
func TestTracingReadsSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		w := newTraceWorld(t, e)
		office, staff, _ := e.premises(t, "office") // a 9-hour default stay
		tok := e.token(t, staff, office)
		checkIn := func(who *jaga.Person) string {
			t.Helper()
			res, err := w.checkins.CheckIn(as(citizenOf(who)), jaga.CheckInRequest{Token: tok})
			if err != nil {
				t.Fatalf("check in: %v", err)
			}
			return res.Visits[0].ID
		}
		t0 := e.Clock.Now() // 08:00 UTC
		tanVisit := checkIn(w.tan)
		e.Clock.Advance(10 * time.Minute)
		hakimVisit := checkIn(w.hakim)
		e.Clock.Advance(10 * time.Minute)
		checkIn(w.priya)
		e.Clock.Advance(t0.Add(150 * time.Minute).Sub(e.Clock.Now())) // 10:30

		built, err := e.DB.BuildCheckinSegments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		starts, err := sqlstore.SegmentsBuilt(ctx, e.DB)
		if err != nil {
			t.Fatal(err)
		}
		// 08:00-09:00 and 09:00-10:00; 10:00-11:00 has not ended.
		if built != 2 || len(starts) != 2 || !starts[0].Equal(t0) || !starts[1].Equal(t0.Add(time.Hour)) {
			t.Fatalf("built %d segments starting %v, want 2 from %v", built, starts, t0)
		}
		if again, err := e.DB.BuildCheckinSegments(ctx); err != nil || again != 0 {
			t.Fatalf("second build: %d, %v; want 0 built", again, err)
		}

		// After the build: Tan and Hakim check out, Siti uploads a scan
		// made at 08:30, Aisyah checks in at 10:45.
		for _, c := range []struct {
			who   *jaga.Person
			visit string
		}{{w.tan, tanVisit}, {w.hakim, hakimVisit}} {
			if _, err := w.checkins.CheckOut(as(citizenOf(c.who)), c.visit); err != nil {
				t.Fatalf("check out: %v", err)
			}
		}
		res, err := w.checkins.UploadOffline(as(citizenOf(w.siti)), []jaga.OfflineCheckIn{
			{ClientID: "siti-phone-0001", Token: tok, ScannedAt: t0.Add(30 * time.Minute)}})
		if err != nil || res[0].Error != "" {
			t.Fatalf("offline upload: %v %+v", err, res)
		}
		e.Clock.Advance(15 * time.Minute)
		checkIn(w.aisyah)
		e.Clock.Advance(15 * time.Minute) // 11:00

		if _, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15",
			TestedOn: "2026-03-02", Reference: "KKM-2026-0101"}); err != nil {
			t.Fatal(err)
		}
		fromCheckins, err := sqlstore.CollectDay(ctx, w.tracing, "2026-03-02", false)
		if err != nil {
			t.Fatal(err)
		}
		fromSegments, err := sqlstore.CollectDay(ctx, w.tracing, "2026-03-02", true)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(fromSegments, "\n") != strings.Join(fromCheckins, "\n") {
			t.Fatalf("through segments:\n%s\nfrom checkins:\n%s", strings.Join(fromSegments, "\n"), strings.Join(fromCheckins, "\n"))
		}
		// Tan left at 10:30; with the 30-minute buffer his stay ends at 11:00.
		for _, tc := range []struct {
			name   string
			person *jaga.Person
			want   string // the exposure, or "" for no contact
		}{
			{"in a built segment, checked out after", w.hakim, "2026-03-02T08:10:00Z/2026-03-02T10:30:00Z"},
			{"in a built segment, unchanged", w.priya, "2026-03-02T08:20:00Z/2026-03-02T11:00:00Z"},
			{"uploaded into a built hour", w.siti, "2026-03-02T08:30:00Z/2026-03-02T11:00:00Z"},
			{"in an hour not built", w.aisyah, "2026-03-02T10:45:00Z/2026-03-02T11:00:00Z"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				for _, l := range fromSegments {
					if strings.Contains(l, " "+tc.person.ID+" ") {
						got = append(got, l)
					}
				}
				if len(got) != 1 || !strings.HasSuffix(got[0], " "+tc.want) {
					t.Fatalf("statuses %q, want one with exposure %s", got, tc.want)
				}
			})
		}
	})
}

// TestCaseVisitsThroughSegments reads a day's cases' own visits in one
// pass over the segments and person by person from checkins: a visit in
// a built hour and checked out after the build, and visits in the hours
// not yet built (an hour of them read in check-in order, three read by
// person) are found both ways, and no one else's.
func TestCaseVisitsThroughSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		w := newTraceWorld(t, e)
		office, staff, _ := e.premises(t, "office")
		tok := e.token(t, staff, office)
		t0 := e.Clock.Now() // 08:00 UTC
		res, err := w.checkins.CheckIn(as(citizenOf(w.tan)), jaga.CheckInRequest{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.checkins.CheckIn(as(citizenOf(w.priya)), jaga.CheckInRequest{Token: tok}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(150 * time.Minute) // 10:30
		if built, err := e.DB.BuildCheckinSegments(ctx); err != nil || built != 2 {
			t.Fatalf("built %d segments, %v; want 2", built, err)
		}
		if _, err := w.checkins.CheckOut(as(citizenOf(w.tan)), res.Visits[0].ID); err != nil {
			t.Fatal(err)
		}
		checkInAt := func(at time.Time, p *jaga.Premises) {
			t.Helper()
			e.Clock.Advance(at.Sub(e.Clock.Now()))
			if _, err := w.checkins.CheckIn(as(citizenOf(w.tan)), jaga.CheckInRequest{Token: w.tokens[p.ID]}); err != nil {
				t.Fatal(err)
			}
		}
		checkInAt(t0.Add(160*time.Minute), w.restaurant) // 10:40
		e.Clock.Advance(t0.Add(3 * time.Hour).Sub(e.Clock.Now()))
		if _, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15",
			TestedOn: "2026-03-02", Reference: "KKM-2026-0102"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			at   time.Time // the check-in before reading, if any
			want []string
		}{
			{"an hour not built", time.Time{}, []string{
				t0.Format(time.RFC3339) + "/",                          // built, then checked out:
				" out " + t0.Add(150*time.Minute).Format(time.RFC3339), // the change read over the segment's copy
				t0.Add(160 * time.Minute).Format(time.RFC3339),         // the hour not built
			}},
			{"three hours not built", t0.Add(280 * time.Minute), []string{
				t0.Add(160 * time.Minute).Format(time.RFC3339),
				t0.Add(280 * time.Minute).Format(time.RFC3339),
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !tc.at.IsZero() {
					checkInAt(tc.at, w.shop)
				}
				scanned, probed, err := sqlstore.CaseVisitsBothWays(ctx, w.tracing, "2026-03-02")
				if err != nil {
					t.Fatal(err)
				}
				all := strings.Join(scanned, "\n")
				if all != strings.Join(probed, "\n") {
					t.Fatalf("through segments:\n%s\nperson by person:\n%s", all, strings.Join(probed, "\n"))
				}
				for _, line := range scanned {
					if !strings.HasPrefix(line, w.tan.ID+" ") {
						t.Errorf("visit %q is not the case's", line)
					}
				}
				for _, s := range tc.want {
					if !strings.Contains(all, s) {
						t.Errorf("visits:\n%s\nhave nothing with %q", all, s)
					}
				}
			})
		}
	})
}
