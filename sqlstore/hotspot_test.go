package sqlstore_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

func TestHotspots(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		cfg := jaga.DefaultHotspots()
		cfg.PremisesCases, cfg.AreaCases = 3, 3
		hs := sqlstore.NewHotspotService(e.DB, cfg)
		// Tan, Aisyah and Priya at the restaurant; Hakim at the shop 1.5 km
		// north.
		if _, err := e.Raw.Exec(`UPDATE premises SET latitude = 3.0035, longitude = 101.79 WHERE id = $1`, w.shop.ID); err != nil {
			t.Fatal(err)
		}
		w.day(t, e)
		confirm := func(p *jaga.Person, ref string) {
			t.Helper()
			if _, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: p.ID, TestedOn: "2026-03-02", Reference: ref}); err != nil {
				t.Fatal(err)
			}
		}
		recompute := func(want int) {
			t.Helper()
			if n, err := hs.RecomputeHotspots(system()); err != nil || n != want {
				t.Fatalf("RecomputeHotspots = %d, %v; want %d", n, err, want)
			}
		}
		confirm(w.tan, "H-1")
		confirm(w.aisyah, "H-2")
		recompute(0)
		confirm(w.priya, "H-3")
		recompute(2)
		list, err := hs.PremisesHotspots(as(w.officer))
		if err != nil || len(list) != 1 {
			t.Fatalf("PremisesHotspots = %+v, %v", list, err)
		}
		h := list[0]
		t.Run("the restaurant is a premises hotspot of three cases", func(t *testing.T) {
			if h.PremisesID != w.restaurant.ID || h.Cases != 3 || h.State != jaga.HotspotOpen || h.Kind != jaga.HotspotPremises {
				t.Fatalf("hotspot %+v", h)
			}
		})
		for _, tc := range []struct {
			name    string
			lat     float64
			within  float64
			want    int
			problem string
		}{
			{"at the restaurant", 2.99, 0, 1, ""},
			{"at the shop, 1.5 km away, looking 1 km round", 3.0035, 1000, 1, ""},
			{"at the shop, looking nowhere else", 3.0035, 0, 0, ""},
			{"10 km away", 3.08, 1000, 0, ""},
			{"a latitude off the earth", 91, 1000, 0, "lat"},
			{"too far to look", 2.99, 60000, 0, "within"},
		} {
			t.Run("near "+tc.name, func(t *testing.T) {
				got, err := hs.AreaHotspotsNear(anonymous(), tc.lat, 101.79, tc.within)
				if tc.problem != "" {
					wantCode(t, err, jaga.EINVALID)
					if jaga.ErrorFields(err)[tc.problem] == "" {
						t.Fatalf("fields %v", jaga.ErrorFields(err))
					}
					return
				}
				if err != nil || len(got.Items) != tc.want || got.AsOf == nil || got.Criteria != (jaga.HotspotCriteria{RadiusM: 1000, MinCases: 3, WindowDays: 14}) {
					t.Fatalf("AreaHotspotsNear = %+v, %v", got, err)
				}
				b, _ := json.Marshal(got)
				for _, secret := range []string{w.restaurant.ID, w.restaurant.Name, w.tan.ID, "Tan"} {
					if strings.Contains(string(b), secret) {
						t.Fatalf("%s names %q", b, secret)
					}
				}
			})
		}
		t.Run("only health officers see and decide premises hotspots", func(t *testing.T) {
			_, err := hs.PremisesHotspots(as(w.agent))
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = hs.DecideHotspot(as(w.agent), h.ID, jaga.HotspotDecision{Decision: "confirm"})
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = hs.PremisesHotspots(anonymous())
			wantCode(t, err, jaga.EUNAUTHORIZED)
			_, err = hs.RecomputeHotspots(as(w.officer))
			wantCode(t, err, jaga.EFORBIDDEN)
		})
		t.Run("decisions", func(t *testing.T) {
			for _, tc := range []struct {
				name, id, decision, code, state string
			}{
				{"an unknown decision", h.ID, "ignore", jaga.EINVALID, ""},
				{"an unknown hotspot", strings.Repeat("ab", 16), "confirm", jaga.ENOTFOUND, ""},
				{"confirm", h.ID, "confirm", "", jaga.HotspotConfirmed},
				{"dismiss", h.ID, "dismiss", "", jaga.HotspotDismissed},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := hs.DecideHotspot(as(w.officer), tc.id, jaga.HotspotDecision{Decision: tc.decision})
					wantCode(t, err, tc.code)
					if tc.code == "" && (got.State != tc.state || got.DecidedAt == nil) {
						t.Fatalf("hotspot %+v", got)
					}
				})
			}
		})
		t.Run("a dismissed hotspot stays dismissed with the same cases", func(t *testing.T) {
			e.Clock.Advance(time.Minute)
			recompute(2)
			if l, _ := hs.PremisesHotspots(as(w.officer)); len(l) != 1 || l[0].State != jaga.HotspotDismissed {
				t.Fatalf("hotspots %+v", l)
			}
		})
		t.Run("and opens again with another case", func(t *testing.T) {
			if _, err := e.Raw.Exec(`UPDATE premises SET latitude = 2.99 WHERE id = $1`, w.shop.ID); err != nil {
				t.Fatal(err)
			}
			w.checkIn(t, w.hakim, w.restaurant)
			e.Clock.Advance(time.Hour)
			confirm(w.hakim, "H-4")
			recompute(2)
			l, _ := hs.PremisesHotspots(as(w.officer))
			if len(l) != 1 || l[0].State != jaga.HotspotOpen || l[0].Cases != 4 || l[0].ID != h.ID {
				t.Fatalf("hotspots %+v", l)
			}
		})
		t.Run("hotspots end when the cases' windows leave the window", func(t *testing.T) {
			e.Clock.Advance(30 * 24 * time.Hour)
			recompute(0)
			if l, _ := hs.PremisesHotspots(as(w.officer)); len(l) != 0 {
				t.Fatalf("hotspots %+v", l)
			}
		})
	})
}
