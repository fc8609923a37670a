package jaga

import (
	"context"
	"math"
	"sort"
	"time"
)

// Hotspot kinds.
const (
	HotspotPremises = "premises" // a premises where several cases were while infectious
	HotspotArea     = "area"     // a circle around a premises with many active cases
)

// Hotspot states: what an officer made of a premises hotspot.
const (
	HotspotOpen      = "open"      // found, not yet looked at
	HotspotConfirmed = "confirmed" // an officer confirmed it
	HotspotDismissed = "dismissed" // an officer dismissed it; it opens again with more cases
)

// HotspotConfig is how jaga finds hotspots.
type HotspotConfig struct {
	PremisesCases  int           // a premises hotspot has at least this many cases; default 3
	PremisesWindow time.Duration // counted over this much time up to now; default 14 days
	AreaRadius     float64       // an area's radius in metres; default 1000
	AreaCases      int           // an area hotspot has at least this many active cases; default 10
	AreaWindow     time.Duration // a case is active this long after it is confirmed; default 14 days
}

// DefaultHotspots returns jaga's default hotspot criteria.
func DefaultHotspots() HotspotConfig {
	return HotspotConfig{PremisesCases: 3, PremisesWindow: 14 * 24 * time.Hour, AreaRadius: 1000, AreaCases: 10, AreaWindow: 14 * 24 * time.Hour}
}

// Valid returns the configuration's problems, or nil.
func (c *HotspotConfig) Valid() map[string]string {
	problems := map[string]string{}
	if c.PremisesCases < 2 {
		problems["premisesCases"] = "A premises hotspot needs at least 2 cases."
	}
	if c.AreaCases < 2 {
		problems["areaCases"] = "An area hotspot needs at least 2 cases."
	}
	if c.AreaRadius < 100 || c.AreaRadius > 50000 {
		problems["areaRadius"] = "The area radius must be 100 m to 50 km."
	}
	for k, w := range map[string]time.Duration{"premisesWindow": c.PremisesWindow, "areaWindow": c.AreaWindow} {
		if w < 24*time.Hour || w > 60*24*time.Hour {
			problems[k] = "The window must be 1 to 60 days."
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Hotspot is a premises or an area with many cases, as last computed. It
// holds no personal data: a place, a count and an officer's decision.
type Hotspot struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	PremisesID   string     `json:"premisesId,omitempty"` // premises hotspots; an area's centre is not named
	PremisesName string     `json:"premisesName,omitempty"`
	Latitude     float64    `json:"latitude"`
	Longitude    float64    `json:"longitude"`
	RadiusM      int        `json:"radiusM,omitempty"` // areas
	Cases        int        `json:"cases"`
	Window       Interval   `json:"window"`
	State        string     `json:"state,omitempty"` // premises hotspots
	DecidedAt    *time.Time `json:"decidedAt,omitempty"`
	FirstSeenAt  time.Time  `json:"firstSeenAt"`
	ComputedAt   time.Time  `json:"computedAt"`
	DistanceM    int        `json:"distanceM,omitempty"` // from the place asked about
}

// HotspotCriteria says what makes a hotspot, for citizens to read.
type HotspotCriteria struct {
	RadiusM    int `json:"radiusM"`
	MinCases   int `json:"minCases"`
	WindowDays int `json:"windowDays"`
}

// AreaHotspots is the answer to "which areas near here have many cases":
// as of when they were computed, and by which criteria.
type AreaHotspots struct {
	AsOf     *time.Time      `json:"asOf"` // nil before the first computation
	Criteria HotspotCriteria `json:"criteria"`
	Items    []*Hotspot      `json:"items"`
}

// HotspotDecision is an officer's decision on a premises hotspot.
type HotspotDecision struct {
	Decision string `json:"decision"` // "confirm" or "dismiss"
}

// Valid returns the decision's problems, or nil.
func (d *HotspotDecision) Valid() map[string]string {
	if d.Decision != "confirm" && d.Decision != "dismiss" {
		return map[string]string{"decision": "The decision is confirm or dismiss."}
	}
	return nil
}

// MaxHotspotSearch bounds how far from a place citizens may ask about
// area hotspots, in metres.
const MaxHotspotSearch = 50000

// HotspotService finds hotspots and lets officers decide on them.
type HotspotService interface {
	// RecomputeHotspots finds the hotspots now; for jaga's own job. It
	// returns how many are active. Errors: EFORBIDDEN.
	RecomputeHotspots(ctx context.Context) (int, error)

	// PremisesHotspots lists the active premises hotspots, most cases
	// first, for ministry health officers. Errors: EUNAUTHORIZED,
	// EFORBIDDEN.
	PremisesHotspots(ctx context.Context) ([]*Hotspot, error)

	// DecideHotspot confirms or dismisses a premises hotspot, for
	// ministry health officers. Errors: EUNAUTHORIZED, EFORBIDDEN,
	// EINVALID, ENOTFOUND.
	DecideHotspot(ctx context.Context, id string, d HotspotDecision) (*Hotspot, error)

	// AreaHotspotsNear lists the active area hotspots whose circle comes
	// within withinM metres of a place, nearest first; open to anyone.
	// Errors: EINVALID.
	AreaHotspotsNear(ctx context.Context, lat, lon, withinM float64) (*AreaHotspots, error)
}

// earthRadiusM is the mean radius of the earth in metres.
const earthRadiusM = 6371008.8

// DistanceM returns the great-circle distance in metres between two
// points in degrees, by the haversine formula.
func DistanceM(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CasePlace is a premises where an active case was while infectious.
type CasePlace struct {
	CaseID     string
	PremisesID string
	Latitude   float64
	Longitude  float64
}

// Areas returns the area hotspots among places: around each premises, the
// distinct cases with a place within AreaRadius; a premises with at least
// AreaCases is a centre, taken most cases first (then by premises id), and
// a centre within AreaRadius of one already taken is left out, so that
// areas do not pile up.
func (c *HotspotConfig) Areas(places []CasePlace) []Hotspot {
	type centre struct {
		id       string
		lat, lon float64
		cases    map[string]bool
	}
	// A grid of cells at least a radius wide finds neighbours in nine
	// cells; a degree of longitude is shortest at the highest latitude.
	maxLat := 0.0
	for _, p := range places {
		maxLat = math.Max(maxLat, math.Abs(p.Latitude))
	}
	cellLat := c.AreaRadius / 111000
	cellLon := cellLat / math.Max(0.01, math.Cos(math.Min(89, maxLat+cellLat)*math.Pi/180))
	cell := func(lat, lon float64) [2]int {
		return [2]int{int(math.Floor(lat / cellLat)), int(math.Floor(lon / cellLon))}
	}
	grid := map[[2]int][]int{}
	centres := map[string]*centre{}
	for i, p := range places {
		k := cell(p.Latitude, p.Longitude)
		grid[k] = append(grid[k], i)
		if centres[p.PremisesID] == nil {
			centres[p.PremisesID] = &centre{id: p.PremisesID, lat: p.Latitude, lon: p.Longitude, cases: map[string]bool{}}
		}
	}
	var list []*centre
	for _, ce := range centres {
		k := cell(ce.lat, ce.lon)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				for _, i := range grid[[2]int{k[0] + dy, k[1] + dx}] {
					p := places[i]
					if !ce.cases[p.CaseID] && DistanceM(ce.lat, ce.lon, p.Latitude, p.Longitude) <= c.AreaRadius {
						ce.cases[p.CaseID] = true
					}
				}
			}
		}
		if len(ce.cases) >= c.AreaCases {
			list = append(list, ce)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i].cases) != len(list[j].cases) {
			return len(list[i].cases) > len(list[j].cases)
		}
		return list[i].id < list[j].id
	})
	var out []Hotspot
	for _, ce := range list {
		near := false
		for _, h := range out {
			if DistanceM(ce.lat, ce.lon, h.Latitude, h.Longitude) <= c.AreaRadius {
				near = true
				break
			}
		}
		if !near {
			out = append(out, Hotspot{Kind: HotspotArea, PremisesID: ce.id, Latitude: ce.lat, Longitude: ce.lon,
				RadiusM: int(math.Round(c.AreaRadius)), Cases: len(ce.cases)})
		}
	}
	return out
}
