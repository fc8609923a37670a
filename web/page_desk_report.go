package web

// The desk's pages for supervisors and the ministry: the report's figures
// per queue and per agent, the same as the CSV export; and the requests to
// change a record that the ministry decides, with the form an agent asks
// with from a ticket.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jaga-health/jaga"
)

// deskReportPage is /desk/reports.
type deskReportPage struct {
	From, To, Queue string
	Queues          []choiceView
	CSV             string // the same report as CSV
	Generated       string
	Tables          []reportTable // per queue, then per agent
	Problem         string
}

// reportTable is one table of the report.
type reportTable struct {
	ID, Caption, First string // First heads the first column
	Rows               []reportRowView
}

// reportRowView is one row of the report, in the page's words.
type reportRowView struct {
	Name                                       string
	Tickets, FirstResponses, Resolutions       int
	FirstResponse, Resolution                  string
	WithinSLA, Backlog, BacklogAgeMean, Reopen string
	BacklogAgeMax, Satisfaction                string
}

// deskReportsShow is /desk/reports: the figures of GET
// /api/v1/desk/reports.csv as tables, for supervisors and the ministry.
func (s *Server) deskReportsShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return err
	}
	if _, ok := jaga.CanReadDeskReports(a); !ok {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only supervisors and the ministry read the desk's reports.")
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := time.Now().In(jaga.Malaysia)
	p := &deskReportPage{From: q.Get("from"), To: q.Get("to"), Queue: q.Get("queue")}
	if p.From == "" && p.To == "" {
		p.From, p.To = now.AddDate(0, 0, -30).Format(time.DateOnly), now.Format(time.DateOnly)
	}
	p.Queues = append(p.Queues, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.all_queues")})
	for _, qq := range jaga.Queues {
		p.Queues = append(p.Queues, choiceView{Value: qq.Code, Label: qq.Name(v.Lang), Selected: qq.Code == p.Queue})
	}
	p.CSV = "/api/v1/desk/reports.csv?" + url.Values{"from": {p.From}, "to": {p.To}, "queue": {p.Queue}}.Encode()
	rq := r.Clone(r.Context())
	rq.URL = &url.URL{RawQuery: url.Values{"from": {p.From}, "to": {p.To}, "queue": {p.Queue}}.Encode()}
	f, err := reportFilter(rq)
	var rep *jaga.DeskReport
	if err == nil {
		rep, err = d.DeskReport(r.Context(), f)
	}
	status := http.StatusOK
	switch {
	case err != nil && jaga.ErrorCode(err) == jaga.EINVALID:
		p.Problem, status = s.i18n.Error(v.Lang, err), http.StatusBadRequest
		for _, msg := range s.i18n.Fields(v.Lang, err) {
			p.Problem += " " + msg
		}
	case err != nil:
		return err
	default:
		p.Generated = s.i18n.DateTime(v.Lang, rep.GeneratedAt)
		queues := reportTable{ID: "report-queues", Caption: s.i18n.T(v.Lang, "deskreport.queues"), First: s.i18n.T(v.Lang, "desk.queue")}
		for _, row := range rep.Queues {
			row.Name = queueLabel(v.Lang, row.Key, row.Name)
			queues.Rows = append(queues.Rows, s.reportRow(v.Lang, row))
		}
		agents := reportTable{ID: "report-agents", Caption: s.i18n.T(v.Lang, "deskreport.agents"), First: s.i18n.T(v.Lang, "deskreport.agent")}
		for _, row := range rep.Agents {
			agents.Rows = append(agents.Rows, s.reportRow(v.Lang, row))
		}
		p.Tables = []reportTable{queues, agents}
	}
	return s.render(w, r, v, status, "desk_reports", p)
}

// queueLabel names a queue in lang, or keeps name.
func queueLabel(lang, code, name string) string {
	if q, ok := jaga.QueueByCode(code); ok {
		return q.Name(lang)
	}
	return name
}

// reportRow words a report row: counted durations in hours and minutes,
// shares in per cent, "–" where there is nothing to count.
func (s *Server) reportRow(lang string, row jaga.ReportRow) reportRowView {
	dur := func(secs float64, n int) string {
		if n == 0 {
			return "–"
		}
		m := int(secs/60 + 0.5)
		return s.i18n.T(lang, "deskreport.duration", "H", strconv.Itoa(m/60), "M", fmt.Sprintf("%02d", m%60))
	}
	pct := func(v float64) string {
		if v < 0 {
			return "–"
		}
		return strconv.Itoa(int(v*100+0.5)) + "%"
	}
	out := reportRowView{Name: row.Name, Tickets: row.Count, FirstResponses: row.FirstResponses, Resolutions: row.Resolutions,
		FirstResponse: dur(row.FirstResponseMean, row.FirstResponses), Resolution: dur(row.ResolutionMean, row.Resolutions),
		WithinSLA: pct(row.WithinSLA), Backlog: strconv.Itoa(row.Backlog),
		BacklogAgeMean: dur(row.BacklogAgeMean, row.Backlog), BacklogAgeMax: dur(row.BacklogAgeMax, row.Backlog),
		Reopen: pct(row.ReopenRate), Satisfaction: "–"}
	if row.Ratings > 0 {
		out.Satisfaction = strconv.FormatFloat(row.Satisfaction, 'f', 1, 64) + " / 5 (" + strconv.Itoa(row.Ratings) + ")"
	}
	return out
}

// deskChangesPage is /desk/changes.
type deskChangesPage struct {
	Changes []changeView
	Pending bool // only pending requests are listed
}

// changeView is a change request in the page's words.
type changeView struct {
	ID, Ticket, Kind, Field, Status, Reason, Outcome, Requester, At string
	Pending                                                         bool
}

func (s *Server) changeView(lang string, c *jaga.DeskChange) changeView {
	cv := changeView{ID: c.ID, Ticket: c.TicketReference, Kind: s.i18n.T(lang, "deskchange.kind_"+c.Kind),
		Status: s.i18n.T(lang, "deskchange.status_"+c.Status), Reason: c.Reason, Outcome: c.Outcome,
		Requester: c.RequesterName, At: s.i18n.DateTime(lang, c.CreatedAt), Pending: c.Status == jaga.ChangePending}
	if c.Field != "" {
		cv.Field = s.i18n.T(lang, "deskchange.field_"+c.Field)
	}
	return cv
}

// deskChangesShow is /desk/changes: the requests to change a record that
// the ministry's supervisors and health officers decide.
func (s *Server) deskChangesShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.staffPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	p := &deskChangesPage{Pending: r.URL.Query().Get("all") != "1"}
	status := jaga.ChangePending
	if !p.Pending {
		status = ""
	}
	cs, err := d.Changes(r.Context(), status)
	if err != nil {
		return err
	}
	for _, c := range cs {
		p.Changes = append(p.Changes, s.changeView(v.Lang, c))
	}
	return s.render(w, r, v, http.StatusOK, "desk_changes", p)
}

// deskChangeDecideSubmit approves or rejects a change request.
func (s *Server) deskChangeDecideSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.staffPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	decision := r.PostFormValue("decision")
	if decision != "approve" && decision != "reject" {
		return jaga.Invalid(map[string]string{"decision": "Decision must be approve or reject."})
	}
	if _, err := d.DecideChange(r.Context(), r.PathValue("id"), decision == "approve"); err != nil {
		return err
	}
	redirect(w, r, "/desk/changes")
	return nil
}

// deskChangeSubmit asks, from the ticket's page, for a change to the
// record of the ticket's person.
func (s *Server) deskChangeSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	req := jaga.ChangeRequest{Kind: r.PostFormValue("kind"), Field: r.PostFormValue("field"), DoseID: r.PostFormValue("doseId"),
		NewValue: r.PostFormValue("newValue"), Reason: r.PostFormValue("reason")}
	if req.Kind == jaga.ChangeRefresh {
		req.Field, req.DoseID, req.NewValue = "", "", ""
	}
	if _, err := s.svc.Desk.RequestChange(r.Context(), id, req); err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	redirect(w, r, "/desk/tickets/"+url.PathEscape(id))
	return nil
}
