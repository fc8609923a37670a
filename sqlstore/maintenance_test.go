package sqlstore_test

import (
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

func TestRevokeAPIClient(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		org := e.org(t, jaga.OrgAirline)
		other := e.org(t, jaga.OrgAirline)
		c, key, err := e.Orgs.CreateAPIClient(system(), org.ID, "Gate scanner", []string{jaga.ScopePersonsRead})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Orgs.AuthenticateAPIClient(system(), key); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
		otherAdmin, _ := e.staff(t, other, jaga.RoleAdmin)
		if _, err := e.Orgs.RevokeAPIClient(as(otherAdmin), other.ID, c.ID); jaga.ErrorCode(err) != jaga.ENOTFOUND {
			t.Fatalf("another organisation's admin: %v, want not found", err)
		}
		if _, err := e.Orgs.RevokeAPIClient(as(otherAdmin), org.ID, c.ID); jaga.ErrorCode(err) != jaga.EFORBIDDEN {
			t.Fatalf("admin of another organisation naming this one: %v, want forbidden", err)
		}
		rc, err := e.Orgs.RevokeAPIClient(system(), org.ID, c.ID)
		if err != nil || rc.RevokedAt == nil {
			t.Fatalf("revoke: %+v %v", rc, err)
		}
		if _, err := e.Orgs.AuthenticateAPIClient(system(), key); jaga.ErrorCode(err) != jaga.EUNAUTHORIZED {
			t.Fatalf("after revocation: %v, want unauthorized", err)
		}
		if _, err := e.Orgs.RevokeAPIClient(system(), org.ID, c.ID); jaga.ErrorCode(err) != jaga.ECONFLICT {
			t.Fatalf("second revocation: %v, want conflict", err)
		}
	})
}

func TestPurgeExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		a := e.signIn(t, e.phone())
		if _, _, err := e.Accounts.CreateSession(system(), a); err != nil {
			t.Fatal(err)
		}
		count := func(table string) int {
			var n int
			if err := e.Raw.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := map[string]int{"challenges": count("challenges"), "sessions": count("sessions"), "outbox": count("outbox")}
		for table, n := range before {
			if n == 0 {
				t.Fatalf("no %s to purge", table)
			}
		}
		if n, err := e.DB.PurgeExpired(system()); err != nil || n != 0 {
			t.Fatalf("purge of fresh rows removed %d (%v)", n, err)
		}
		e.Clock.Advance(jaga.CitizenSessionTTL + time.Hour)
		n, err := e.DB.PurgeExpired(system())
		if err != nil {
			t.Fatal(err)
		}
		if want := before["challenges"] + before["sessions"] + before["outbox"]; int(n) != want {
			t.Fatalf("purged %d rows, want %d", n, want)
		}
		for table := range before {
			if count(table) != 0 {
				t.Errorf("%s still has rows", table)
			}
		}
	})
}
