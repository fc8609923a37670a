package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/jaga-health/jaga"
)

// hotspots returns the hotspot service, or EUNAVAILABLE when none is wired.
func (s *Server) hotspots() (jaga.HotspotService, error) {
	if s.svc.Hotspots == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Hotspots are not available.")
	}
	return s.svc.Hotspots, nil
}

// areaHotspotList lists the area hotspots near a place (?lat=&lon=, and
// ?within= metres, default 5000), with the criteria and when they were
// computed; open to anyone.
func (s *Server) areaHotspotList(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hotspots()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	problems := map[string]string{}
	num := func(name, def, problem string) float64 {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			v = def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			problems[name] = problem
		}
		return f
	}
	lat := num("lat", "", "Give the latitude as a number of degrees.")
	lon := num("lon", "", "Give the longitude as a number of degrees.")
	within := num("within", "5000", "Give the distance as a number of metres.")
	if len(problems) > 0 {
		return jaga.Invalid(problems)
	}
	out, err := h.AreaHotspotsNear(r.Context(), lat, lon, within)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// premisesHotspotList lists the active premises hotspots for health
// officers.
func (s *Server) premisesHotspotList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	h, err := s.hotspots()
	if err != nil {
		return err
	}
	out, err := h.PremisesHotspots(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Hotspot]{Items: out})
	return nil
}

// hotspotDecisionCreate confirms or dismisses a premises hotspot.
func (s *Server) hotspotDecisionCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	h, err := s.hotspots()
	if err != nil {
		return err
	}
	var d jaga.HotspotDecision
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	out, err := h.DecideHotspot(r.Context(), r.PathValue("id"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
