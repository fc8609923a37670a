package web

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

func (s *Server) purposeList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.svc.Contracts.Purposes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Purpose]{Items: ps})
	return nil
}

func (s *Server) contractList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	cs, err := s.svc.Contracts.Contracts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Contract]{Items: cs})
	return nil
}

type contractRequest struct {
	OrgID      string    `json:"orgId"`
	Reference  string    `json:"reference"`
	Categories []string  `json:"categories"`
	Purposes   []string  `json:"purposes"`
	Personnel  []string  `json:"personnel"`
	ValidFrom  time.Time `json:"validFrom"`
	ValidTo    time.Time `json:"validTo"`
}

func (s *Server) contractCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var req contractRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c := &jaga.Contract{OrgID: req.OrgID, Reference: req.Reference, Categories: req.Categories, Purposes: req.Purposes,
		Personnel: req.Personnel, ValidFrom: req.ValidFrom, ValidTo: req.ValidTo}
	if err := s.svc.Contracts.RegisterContract(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) contractApprove(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := s.svc.Contracts.ApproveContract(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) contractTerminate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := s.svc.Contracts.TerminateContract(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) publicContractList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.svc.Contracts.PublicContracts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Contract]{Items: cs})
	return nil
}

func (s *Server) checkpointList(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.svc.AccessLog.Checkpoints(r.Context())
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*jaga.Checkpoint{}
	}
	writeJSON(w, http.StatusOK, list[*jaga.Checkpoint]{Items: cs})
	return nil
}

func (s *Server) checkpointCreate(w http.ResponseWriter, r *http.Request) error {
	a, err := requireActor(r)
	if err != nil {
		return err
	}
	if !a.HasRole(jaga.RoleAuditor, jaga.RoleDPO) || a.OrgKind != jaga.OrgMinistry {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's auditors and data protection officers sign checkpoints on demand.")
	}
	if s.svc.Checkpoint == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "Checkpoints are not configured.")
	}
	c, err := s.svc.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) organisationList(w http.ResponseWriter, r *http.Request) error {
	a, err := requireActor(r)
	if err != nil {
		return err
	}
	if !a.IsStaff() {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only staff list organisations.")
	}
	os, err := s.svc.Organisations.Organisations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Organisation]{Items: os})
	return nil
}

func (s *Server) organisationCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var o jaga.Organisation
	if err := decodeJSON(w, r, &o); err != nil {
		return err
	}
	o.ID = ""
	if err := s.svc.Organisations.CreateOrganisation(r.Context(), &o); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) staffList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	st, err := s.svc.Organisations.StaffMembers(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Staff]{Items: st})
	return nil
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var n jaga.NewStaff
	if err := decodeJSON(w, r, &n); err != nil {
		return err
	}
	n.OrgID = r.PathValue("id")
	e, err := s.svc.Organisations.CreateStaff(r.Context(), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

type apiClientRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type apiClientResponse struct {
	Client *jaga.APIClient `json:"client"`
	Key    string          `json:"key"` // shown once
}

func (s *Server) apiClientCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var req apiClientRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, key, err := s.svc.Organisations.CreateAPIClient(r.Context(), r.PathValue("id"), req.Name, req.Scopes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiClientResponse{Client: c, Key: key})
	return nil
}

func (s *Server) apiClientRevoke(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := s.svc.Organisations.RevokeAPIClient(r.Context(), r.PathValue("id"), r.PathValue("clientID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
