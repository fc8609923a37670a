package jaga_test

import (
	"math"
	"testing"

	"github.com/jaga-health/jaga"
)

func TestDistanceM(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tolerance        float64
	}{
		{"same point", 3.1390, 101.6869, 3.1390, 101.6869, 0, 0.001},
		{"a thousandth of a degree of latitude", 3.0, 101.0, 3.001, 101.0, 111.2, 0.5},
		{"Kuala Lumpur to Petaling Jaya", 3.1390, 101.6869, 3.1073, 101.6067, 9547, 100},
		{"Kuala Lumpur to Penang", 3.1390, 101.6869, 5.4164, 100.3327, 293000, 3000},
		{"across the antimeridian", 0, 179.999, 0, -179.999, 222.4, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jaga.DistanceM(tc.lat1, tc.lon1, tc.lat2, tc.lon2)
			if math.Abs(got-tc.want) > tc.tolerance {
				t.Fatalf("DistanceM = %.1f m, want %.1f ± %.1f", got, tc.want, tc.tolerance)
			}
			if back := jaga.DistanceM(tc.lat2, tc.lon2, tc.lat1, tc.lon1); math.Abs(back-got) > 1e-6 {
				t.Fatalf("not symmetric: %.3f and %.3f", got, back)
			}
		})
	}
}

func TestHotspotAreas(t *testing.T) {
	cfg := jaga.DefaultHotspots()
	cfg.AreaCases = 3
	// Points north of a centre at 3.0, 101.0: 0.001 degrees is about 111 m.
	at := func(caseID, premisesID string, north float64) jaga.CasePlace {
		return jaga.CasePlace{CaseID: caseID, PremisesID: premisesID, Latitude: 3.0 + north, Longitude: 101.0}
	}
	for _, tc := range []struct {
		name   string
		places []jaga.CasePlace
		want   []int // cases of each area, in order
	}{
		{"too few cases", []jaga.CasePlace{at("c1", "p1", 0), at("c2", "p2", 0.001)}, nil},
		{"three cases within a kilometre", []jaga.CasePlace{at("c1", "p1", 0), at("c2", "p2", 0.002), at("c3", "p3", 0.008)}, []int{3}},
		{"one case at two places counts once", []jaga.CasePlace{at("c1", "p1", 0), at("c1", "p2", 0.001), at("c2", "p2", 0.001)}, nil},
		{"a case just beyond the radius does not count", []jaga.CasePlace{at("c1", "p1", 0), at("c2", "p1", 0), at("c3", "p2", 0.0091)}, nil},
		{"a case on the radius counts", []jaga.CasePlace{at("c1", "p1", 0), at("c2", "p1", 0), at("c3", "p2", 0.0089)}, []int{3}},
		{"two clusters far apart", []jaga.CasePlace{
			at("a1", "p1", 0), at("a2", "p1", 0), at("a3", "p1", 0),
			at("b1", "q1", 0.1), at("b2", "q1", 0.1), at("b3", "q1", 0.1), at("b4", "q1", 0.1)}, []int{4, 3}},
		{"neighbouring centres do not pile up", []jaga.CasePlace{
			at("a1", "p1", 0), at("a2", "p1", 0), at("a3", "p2", 0.001), at("a4", "p2", 0.001)}, []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cfg.Areas(tc.places)
			if len(got) != len(tc.want) {
				t.Fatalf("%d areas %+v, want %d", len(got), got, len(tc.want))
			}
			for i, h := range got {
				if h.Cases != tc.want[i] || h.Kind != jaga.HotspotArea || h.RadiusM != 1000 {
					t.Errorf("area %d: %+v, want %d cases", i, h, tc.want[i])
				}
			}
		})
	}
}

func TestHotspotConfigValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*jaga.HotspotConfig)
		field string
	}{
		{"defaults", func(*jaga.HotspotConfig) {}, ""},
		{"one case is no hotspot", func(c *jaga.HotspotConfig) { c.PremisesCases = 1 }, "premisesCases"},
		{"tiny radius", func(c *jaga.HotspotConfig) { c.AreaRadius = 10 }, "areaRadius"},
		{"window too long", func(c *jaga.HotspotConfig) { c.AreaWindow *= 10 }, "areaWindow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := jaga.DefaultHotspots()
			tc.edit(&c)
			p := c.Valid()
			if (tc.field == "") != (p == nil) || (tc.field != "" && p[tc.field] == "") {
				t.Fatalf("Valid = %v, want a problem with %q", p, tc.field)
			}
		})
	}
}
