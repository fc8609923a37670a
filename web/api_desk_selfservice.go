package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/jaga-health/jaga"
)

// fixCreate runs a self-service fix for the citizen or a dependant: 201
// with what it found.
func (s *Server) fixCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var f jaga.FixRequest
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	at, err := d.RunFix(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, at)
	return nil
}

// reportFilter reads a report's period, days in Malaysia with the last
// included, and queue from the query.
func reportFilter(r *http.Request) (jaga.ReportFilter, error) {
	q := r.URL.Query()
	f := jaga.ReportFilter{Queue: q.Get("queue")}
	problems := map[string]string{}
	from, err := time.ParseInLocation(time.DateOnly, q.Get("from"), jaga.Malaysia)
	if err != nil {
		problems["from"] = "Give the first day as YYYY-MM-DD."
	}
	to, err := time.ParseInLocation(time.DateOnly, q.Get("to"), jaga.Malaysia)
	if err != nil {
		problems["to"] = "Give the last day as YYYY-MM-DD."
	}
	if len(problems) > 0 {
		return f, jaga.Invalid(problems)
	}
	f.From, f.To = from.UTC(), to.AddDate(0, 0, 1).UTC()
	return f, nil
}

// deskReportShow returns the desk's figures per queue and per agent.
func (s *Server) deskReportShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	f, err := reportFilter(r)
	if err != nil {
		return err
	}
	rep, err := d.DeskReport(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// reportColumns are the CSV export's columns.
var reportColumns = []string{"kind", "key", "name", "tickets", "first_responses", "first_response_mean_seconds",
	"resolutions", "resolution_mean_seconds", "within_sla", "backlog", "backlog_age_mean_seconds", "backlog_age_max_seconds",
	"reopen_rate", "ratings", "satisfaction"}

// deskReportCSV returns the desk report as CSV.
func (s *Server) deskReportCSV(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	f, err := reportFilter(r)
	if err != nil {
		return err
	}
	rep, err := d.DeskReport(r.Context(), f)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="jaga-desk-report.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(reportColumns)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, row := range append(rep.Queues, rep.Agents...) {
		cw.Write([]string{row.Kind, row.Key, csvSafe(row.Name), strconv.Itoa(row.Count), strconv.Itoa(row.FirstResponses),
			num(row.FirstResponseMean), strconv.Itoa(row.Resolutions), num(row.ResolutionMean), num(row.WithinSLA),
			strconv.Itoa(row.Backlog), num(row.BacklogAgeMean), num(row.BacklogAgeMax), num(row.ReopenRate),
			strconv.Itoa(row.Ratings), num(row.Satisfaction)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
