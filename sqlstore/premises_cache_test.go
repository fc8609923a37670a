package sqlstore

import (
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// TestPremisesCacheReload checks that an expired premises is read again by
// one caller while the others keep the old copy, within a grace.
func TestPremisesCacheReload(t *testing.T) {
	byID := func(c *premisesCache) map[string]*cachedPremises { return c.byID }
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	p := &jaga.Premises{ID: "prm_1", ShortCode: "K7QXM4PD"}
	steps := []struct {
		name   string
		key    string
		at     time.Duration // after the put
		cached bool          // the caller gets the cached copy, not nil
	}{
		{"unknown key", "prm_2", 0, false},
		{"fresh", "prm_1", premisesCacheTTL - time.Millisecond, true},
		{"expired: the first caller reads it again", "prm_1", premisesCacheTTL, false},
		{"expired: the next callers keep the old copy", "prm_1", premisesCacheTTL + time.Second, true},
		{"past the grace: read again", "prm_1", premisesCacheTTL + premisesReloadGrace, false},
	}
	var c premisesCache
	c.put(p, t0, c.generation())
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := c.get(byID, s.key, t0.Add(s.at), premisesCacheTTL)
			if (got != nil) != s.cached {
				t.Fatalf("cached copy returned: %v, want %v", got != nil, s.cached)
			}
		})
	}
	t.Run("a new copy is fresh again", func(t *testing.T) {
		now := t0.Add(time.Minute)
		c.put(p, now, c.generation())
		if c.get(byID, "prm_1", now.Add(time.Second), premisesCacheTTL) == nil {
			t.Fatal("the new copy is not served")
		}
		if c.get(func(c *premisesCache) map[string]*cachedPremises { return c.byCode }, "K7QXM4PD", now, premisesCacheTTL) == nil {
			t.Fatal("the new copy is not served by short code")
		}
	})
	t.Run("no TTL: never expires", func(t *testing.T) {
		if c.get(byID, "prm_1", t0.Add(24*time.Hour), 0) == nil {
			t.Fatal("a premises without TTL expired")
		}
	})
	t.Run("forgotten under both keys", func(t *testing.T) {
		c.forget("prm_1")
		if c.get(byID, "prm_1", t0, 0) != nil || c.get(func(c *premisesCache) map[string]*cachedPremises { return c.byCode }, "K7QXM4PD", t0, 0) != nil {
			t.Fatal("a forgotten premises is still served")
		}
	})
	t.Run("a read from before a forget is not kept", func(t *testing.T) {
		gen := c.generation()
		c.forget("prm_other")
		c.put(p, t0, gen)
		if c.get(byID, "prm_1", t0, 0) != nil {
			t.Fatal("a premises read before a forget was kept")
		}
	})
}
