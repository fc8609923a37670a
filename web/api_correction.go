package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

// correctionCreate asks for a correction of a person's record: 201 with
// the pending correction.
func (s *Server) correctionCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var req jaga.CorrectionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.svc.Corrections.RequestCorrection(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// correctionList lists corrections, without their values, by ?status=.
func (s *Server) correctionList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	cs, err := s.svc.Corrections.Corrections(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Correction]{Items: cs})
	return nil
}

// correctionShow shows one correction with its values, through the gate.
func (s *Server) correctionShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := s.svc.Corrections.Correction(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// correctionApprove applies a correction: a second officer's approval.
func (s *Server) correctionApprove(w http.ResponseWriter, r *http.Request) error {
	return s.decideCorrection(w, r, true)
}

// correctionReject rejects a correction.
func (s *Server) correctionReject(w http.ResponseWriter, r *http.Request) error {
	return s.decideCorrection(w, r, false)
}

func (s *Server) decideCorrection(w http.ResponseWriter, r *http.Request, approve bool) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := s.svc.Corrections.DecideCorrection(r.Context(), r.PathValue("id"), approve)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
