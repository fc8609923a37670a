package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

func (s *Server) meShow(w http.ResponseWriter, r *http.Request) error {
	a, err := requireCitizen(r)
	if err != nil {
		return err
	}
	p, err := s.svc.People.Person(r.Context(), a.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) meProfileUpdate(w http.ResponseWriter, r *http.Request) error {
	a, err := requireCitizen(r)
	if err != nil {
		return err
	}
	return s.updateProfile(w, r, a.ID)
}

func (s *Server) dependantProfileUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	return s.updateProfile(w, r, r.PathValue("id"))
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, id string) error {
	var prof jaga.Profile
	if err := decodeJSON(w, r, &prof); err != nil {
		return err
	}
	p, err := s.svc.People.UpdateProfile(r.Context(), id, prof)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) contactChangeCreate(w http.ResponseWriter, r *http.Request) error {
	var req challengeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ch, err := s.svc.Accounts.StartContactChange(r.Context(), req.Contact)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, challengeResponse{ChallengeID: ch.ID, ExpiresAt: ch.ExpiresAt})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

func (s *Server) contactChangeVerify(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.svc.Accounts.VerifyContactChange(r.Context(), r.PathValue("id"), req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) dependantList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.svc.People.Dependants(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Person]{Items: ps})
	return nil
}

func (s *Server) dependantCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var prof jaga.Profile
	if err := decodeJSON(w, r, &prof); err != nil {
		return err
	}
	p, err := s.svc.People.AddDependant(r.Context(), prof)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) accessList(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.svc.AccessLog.AccessesToMe(r.Context(), 500)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.AccessView]{Items: vs})
	return nil
}

func (s *Server) personRead(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var why jaga.AccessReason
	if err := decodeJSON(w, r, &why); err != nil {
		return err
	}
	p, err := s.svc.People.ReadPerson(r.Context(), r.PathValue("id"), why)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
