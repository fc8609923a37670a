package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/jaga-health/jaga"
)

// doseCreate records one dose for a vaccinator: 201 with the dose, or 200
// with the stored dose when it was recorded before exactly so.
func (s *Server) doseCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	var rec jaga.DoseRecord
	if err := decodeJSON(w, r, &rec); err != nil {
		return err
	}
	d, created, err := s.svc.Doses.RecordDose(r.Context(), rec)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, d)
	return nil
}

// doseImportCreate imports a file of doses, CSV or a FHIR bundle by its
// Content-Type: 200 with the report when every row was recorded (or was
// already), 422 with the report when any row is wrong and nothing was.
func (s *Server) doseImportCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireActor(r); err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	parse := s.svc.DoseParsers[mt]
	if err != nil || parse == nil {
		types := make([]string, 0, len(s.svc.DoseParsers))
		for t := range s.svc.DoseParsers {
			types = append(types, t)
		}
		sort.Strings(types)
		return jaga.Errorf(jaga.EINVALID, "Send the file with Content-Type %s.", strings.Join(types, " or "))
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		return jaga.Errorf(jaga.EINVALID, "Send the file in UTF-8.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, jaga.MaxImportBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return jaga.Errorf(jaga.ETOOLARGE, "A file of doses is at most %d bytes (5 MiB); split it.", jaga.MaxImportBytes)
	case err != nil:
		return jaga.Errorf(jaga.EINVALID, "The file could not be read in full.")
	}
	f, err := parse(body)
	if err != nil {
		return err
	}
	rep, err := s.svc.Doses.ImportDoses(r.Context(), f)
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

// doseList lists the signed-in citizen's and their dependants' doses.
func (s *Server) doseList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	ds, err := s.svc.Doses.Doses(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Dose]{Items: ds})
	return nil
}
