package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/jaga-health/jaga"
)

// tracing returns the tracing service, or EUNAVAILABLE when none is wired.
func (s *Server) tracing() (jaga.TracingService, error) {
	if s.svc.Tracing == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "Contact tracing is not available.")
	}
	return s.svc.Tracing, nil
}

// caseCreate confirms one case from a health officer's entry and traces
// it: 201 with the case.
func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	var rec jaga.CaseRecord
	if err := decodeJSON(w, r, &rec); err != nil {
		return err
	}
	c, err := t.ConfirmCase(r.Context(), rec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// maxCaseFeedBytes bounds a lab feed or a CSV file of cases.
const maxCaseFeedBytes = 5 << 20

// caseImport reads a lab feed or CSV body with parse and records it: 200
// with the report when accepted, 422 when any row is wrong.
func (s *Server) caseImport(w http.ResponseWriter, r *http.Request, parse jaga.CaseParser) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	if parse == nil {
		return jaga.Errorf(jaga.EUNAVAILABLE, "This import is not available.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCaseFeedBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return jaga.Errorf(jaga.ETOOLARGE, "A file of cases is at most %d bytes (5 MiB); split it.", maxCaseFeedBytes)
	case err != nil:
		return jaga.Errorf(jaga.EINVALID, "The body could not be read in full.")
	}
	f, err := parse(body)
	if err != nil {
		return err
	}
	rep, err := t.ImportCases(r.Context(), f)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !rep.Accepted() {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, rep)
	return nil
}

// caseFeedCreate records a laboratory's JSON feed of cases.
func (s *Server) caseFeedCreate(w http.ResponseWriter, r *http.Request) error {
	return s.caseImport(w, r, s.svc.CaseFeed)
}

// caseImportCreate records a CSV file of cases.
func (s *Server) caseImportCreate(w http.ResponseWriter, r *http.Request) error {
	return s.caseImport(w, r, s.svc.CaseCSV)
}

// caseContactList lists a case's contacts for a health officer.
func (s *Server) caseContactList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	cs, err := t.CaseContacts(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.CaseContact]{Items: cs})
	return nil
}

// caseContactCreate declares a contact of a case: 201 with the status.
func (s *Server) caseContactCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	var d jaga.ContactDeclaration
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	st, err := t.DeclareContact(r.Context(), r.PathValue("id"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

// traceDayCreate traces again the cases confirmed on a day.
func (s *Server) traceDayCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	rep, err := t.TraceDay(r.Context(), r.PathValue("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// riskList shows the signed-in citizen's and their dependants' risk
// status, each with its reason, rule, window, end and history.
func (s *Server) riskList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	t, err := s.tracing()
	if err != nil {
		return err
	}
	vs, err := t.MyRisk(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.RiskView]{Items: vs})
	return nil
}
