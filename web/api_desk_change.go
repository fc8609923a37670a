package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

// deskChangeCreate asks for a change to the record of a ticket's person, a
// refresh or a correction: 201 with the request, done at once or pending
// for the ministry.
func (s *Server) deskChangeCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var req jaga.ChangeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := d.RequestChange(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// deskChangeList lists change requests by status, for the ministry's
// supervisors and health officers.
func (s *Server) deskChangeList(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	cs, err := d.Changes(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.DeskChange]{Items: cs})
	return nil
}

// deskChangeApprove approves a pending change request.
func (s *Server) deskChangeApprove(w http.ResponseWriter, r *http.Request) error {
	return s.decideDeskChange(w, r, true)
}

// deskChangeReject rejects a pending change request.
func (s *Server) deskChangeReject(w http.ResponseWriter, r *http.Request) error {
	return s.decideDeskChange(w, r, false)
}

func (s *Server) decideDeskChange(w http.ResponseWriter, r *http.Request, approve bool) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	c, err := d.DecideChange(r.Context(), r.PathValue("id"), approve)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
