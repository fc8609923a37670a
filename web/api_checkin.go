package web

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

// doorEntry is one visitor as the door screen shows them, worded in the
// visitor's language.
type doorEntry struct {
	jaga.DoorStatus
	RiskLabel        string `json:"riskLabel"`
	VaccinationLabel string `json:"vaccinationLabel"`
}

type checkInResponse struct {
	Premises struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"premises"`
	Visits []jaga.Visit `json:"visits"`
	Door   []doorEntry  `json:"door"`
}

func (s *Server) checkInResponse(res *jaga.CheckInResult) checkInResponse {
	var out checkInResponse
	out.Premises.ID, out.Premises.Name, out.Premises.Type = res.Premises.ID, res.Premises.Name, res.Premises.Type
	out.Visits = res.Visits
	out.Door = make([]doorEntry, len(res.Door))
	for i, d := range res.Door {
		out.Door[i] = doorEntry{DoorStatus: d,
			RiskLabel:        jaga.StatusName(d.Language, d.Risk),
			VaccinationLabel: s.i18n.T(d.Language, "vax."+d.Vaccination)}
	}
	return out
}

func (s *Server) checkInCreate(w http.ResponseWriter, r *http.Request) error {
	at := time.Now()
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var req jaga.CheckInRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	req.At = at
	res, err := s.svc.CheckIns.CheckIn(r.Context(), req)
	if err != nil {
		return err
	}
	out := s.checkInResponse(res)
	writeCheckIn(w, http.StatusCreated, &out)
	return nil
}

func (s *Server) checkOutCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	v, err := s.svc.CheckIns.CheckOut(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type offlineRequest struct {
	CheckIns []jaga.OfflineCheckIn `json:"checkIns"`
}

// offlineMaxBody is the body limit of an offline batch: larger than other
// requests, as it carries up to jaga.OfflineMaxBatch check-ins.
const offlineMaxBody = 512 << 10

func (s *Server) offlineCheckInCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var req offlineRequest
	if err := decodeJSONLimit(w, r, &req, offlineMaxBody); err != nil {
		return err
	}
	res, err := s.svc.CheckIns.UploadOffline(r.Context(), req.CheckIns)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[jaga.OfflineResult]{Items: res})
	return nil
}

func (s *Server) visitList(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.svc.CheckIns.Visits(r.Context(), 200)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[jaga.Visit]{Items: vs})
	return nil
}

type assistedRequest struct {
	IDNumber string `json:"idNumber"`
	FullName string `json:"fullName"`
}

func (s *Server) assistedCheckInCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var req assistedRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := s.svc.CheckIns.AssistedCheckIn(r.Context(), r.PathValue("id"), req.IDNumber, req.FullName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.checkInResponse(res))
	return nil
}

func (s *Server) premisesCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var p jaga.Premises
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	p.ID, p.ShortCode, p.TokenVersion = "", "", 0
	if err := s.svc.Premises.CreatePremises(r.Context(), &p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) premisesShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	p, err := s.svc.Premises.Premises(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) organisationPremisesList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	ps, err := s.svc.Premises.OrganisationPremises(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Premises]{Items: ps})
	return nil
}

func (s *Server) premisesRotate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	p, err := s.svc.Premises.RotateCode(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type tokenResponse struct {
	Token string `json:"token"`
}

func (s *Server) premisesToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.svc.Premises.Token(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenResponse{Token: t})
	return nil
}

func (s *Server) premisesVisitCounts(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	q := r.URL.Query()
	unit := q.Get("unit")
	if unit == "" {
		unit = "hour"
	}
	to := time.Now()
	from := to.Add(-24 * time.Hour)
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return jaga.Invalid(map[string]string{"from": "from must be a time in RFC 3339, such as 2026-11-27T00:00:00+08:00."})
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return jaga.Invalid(map[string]string{"to": "to must be a time in RFC 3339, such as 2026-11-28T00:00:00+08:00."})
		}
	}
	counts, err := s.svc.Premises.VisitCounts(r.Context(), r.PathValue("id"), unit, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[jaga.VisitCount]{Items: counts})
	return nil
}
