package web

// The agent console: the queues of the signed-in agent's organisation,
// and a ticket with its thread, the person's data its type needs (through
// the gate, masked for contractors unless unmasked with a reason),
// replies and internal notes, macros, transitions, assignment, merging,
// and who else is on the ticket.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// deskQueuePage is /desk.
type deskQueuePage struct {
	Queues   []choiceView
	States   []choiceView
	Assigned []choiceView
	Rows     []deskRow
	Reports  bool // the reader may read reports
	Decides  bool // the reader decides requests to change records
	From, To string
}

// deskRow is a ticket in a queue, without personal data.
type deskRow struct {
	ID, Reference, Type, State, Priority, Queue, Due, Assignee string
	Overdue                                                    bool
}

// deskStaffPage returns the signed-in desk staff member, or answers the
// request itself.
func (s *Server) deskStaffPage(w http.ResponseWriter, r *http.Request, v *view) (*jaga.Actor, bool, error) {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return nil, false, err
	}
	if !a.HasRole(jaga.DeskRoles...) {
		_, all := jaga.CanReadDeskReports(a)
		if !all {
			return nil, false, jaga.Errorf(jaga.EFORBIDDEN, "Only support staff work the desk's queues.")
		}
	}
	if _, err := s.desk(); err != nil {
		return nil, false, err
	}
	return a, true, nil
}

// deskShow is /desk: the tickets of the agent's queues.
func (s *Server) deskShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	q := r.URL.Query()
	f := jaga.QueueFilter{Queue: q.Get("queue"), State: q.Get("state"), Assigned: q.Get("assigned")}
	d := &deskQueuePage{}
	_, d.Reports = jaga.CanReadDeskReports(a)
	d.Decides = jaga.CanDecideChanges(a)
	now := time.Now()
	d.To = now.In(jaga.Malaysia).Format(time.DateOnly)
	d.From = now.In(jaga.Malaysia).AddDate(0, 0, -30).Format(time.DateOnly)
	d.Queues = append(d.Queues, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.all_queues")})
	for _, qq := range jaga.Queues {
		d.Queues = append(d.Queues, choiceView{Value: qq.Code, Label: qq.Name(v.Lang), Selected: qq.Code == f.Queue})
	}
	d.States = append(d.States, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.open_states")})
	for _, st := range jaga.TicketStates {
		d.States = append(d.States, choiceView{Value: st, Label: jaga.StateLabel(st, v.Lang, ""), Selected: st == f.State})
	}
	for _, as := range []string{"", "me", "none"} {
		d.Assigned = append(d.Assigned, choiceView{Value: as, Label: s.i18n.T(v.Lang, "desk.assigned_"+map[string]string{"": "any", "me": "me", "none": "none"}[as]),
			Selected: as == f.Assigned})
	}
	if a.HasRole(jaga.DeskRoles...) {
		ts, err := s.svc.Desk.QueueTickets(r.Context(), f)
		if err != nil {
			return err
		}
		for _, t := range ts {
			row := deskRow{ID: t.ID, Reference: t.Reference, State: jaga.StateLabel(t.State, v.Lang, t.Queue),
				Priority: s.i18n.T(v.Lang, "desk.priority_"+t.Priority)}
			if tt, ok := jaga.TicketTypeByCode(t.Type); ok {
				row.Type = ticketTypeName(tt, v.Lang)
			}
			if qq, ok := jaga.QueueByCode(t.Queue); ok {
				row.Queue = qq.Name(v.Lang)
			}
			if due := earliestDue(t.Clocks); due != nil {
				row.Due, row.Overdue = s.i18n.DateTime(v.Lang, *due), due.Before(now)
			}
			switch t.AssigneeID {
			case "":
			case a.ID:
				row.Assignee = s.i18n.T(v.Lang, "desk.assigned_me")
			default:
				row.Assignee = s.i18n.T(v.Lang, "desk.assigned_other")
			}
			d.Rows = append(d.Rows, row)
		}
	}
	return s.render(w, r, v, http.StatusOK, "desk_queue", d)
}

func earliestDue(clocks []jaga.Clock) *time.Time {
	var due *time.Time
	for _, c := range clocks {
		if c.DueAt != nil && (due == nil || c.DueAt.Before(*due)) {
			due = c.DueAt
		}
	}
	return due
}

// deskTicketPage is /desk/tickets/{id}.
type deskTicketPage struct {
	ID, Reference, Type, State, Priority, Queue, Assignee string
	Mine, Final                                           bool
	Supervisor                                            bool
	Clocks                                                []clockView
	Person                                                *lookupResult
	Doses                                                 []string
	Categories                                            string
	Contract                                              string
	Attempts                                              []attemptView
	Changes                                               []changeView
	ChangeFields, DoseChoices                             []choiceView
	Tried                                                 string
	Form                                                  []resultRow
	Description                                           string
	Posts                                                 []postView
	Attachments                                           []string
	Macros                                                []choiceView
	States                                                []choiceView
	MoveQueues                                            []choiceView
	Others                                                []presenceEntry
	Replying                                              bool
	Problem                                               string
	Unmasked                                              bool
}

type clockView struct {
	Metric, State, Due string
	Breached           bool
}

type attemptView struct{ Fix, Outcome, Detail, At string }

// renderDeskTicket reads the ticket through the gate and shows it; every
// showing is an access in the person's "who accessed my data".
func (s *Server) renderDeskTicket(w http.ResponseWriter, r *http.Request, v *view, a *jaga.Actor, id string, why jaga.AccessReason, status int, problem string) error {
	tv, err := s.svc.Desk.AgentTicket(r.Context(), id, why)
	if err != nil {
		return err
	}
	now := time.Now()
	replying := r.URL.Query().Get("compose") == "1"
	s.presence.mark(id, a.ID, a.Name, replying, now)
	t := tv.Ticket
	p := &deskTicketPage{ID: t.ID, Reference: t.Reference, State: jaga.StateLabel(t.State, v.Lang, t.Queue),
		Priority: s.i18n.T(v.Lang, "desk.priority_"+t.Priority), Mine: t.AssigneeID == a.ID, Final: jaga.TicketFinal(t.State),
		Supervisor: a.Role == jaga.RoleSupervisor, Contract: tv.ContractID, Description: t.Description,
		Others: s.presence.others(id, a.ID, now), Replying: replying, Problem: problem, Unmasked: why.Unmask}
	tt, _ := jaga.TicketTypeByCode(t.Type)
	p.Type = ticketTypeName(tt, v.Lang)
	if q, ok := jaga.QueueByCode(t.Queue); ok {
		p.Queue = q.Name(v.Lang)
	}
	switch t.AssigneeID {
	case "":
		p.Assignee = s.i18n.T(v.Lang, "desk.assigned_none")
	case a.ID:
		p.Assignee = s.i18n.T(v.Lang, "desk.assigned_me")
	default:
		p.Assignee = s.i18n.T(v.Lang, "desk.assigned_other")
	}
	for _, c := range t.Clocks {
		cv := clockView{Metric: s.i18n.T(v.Lang, "desk.metric_"+c.Metric), State: s.i18n.T(v.Lang, "desk.clock_"+c.State), Breached: c.Breached}
		if c.DueAt != nil {
			cv.Due = s.i18n.DateTime(v.Lang, *c.DueAt)
		}
		p.Clocks = append(p.Clocks, cv)
	}
	if tv.Person != nil {
		p.Person = s.lookupResult(v.Lang, tv.Person)
		p.Person.Masked = tv.Masked
		p.Person.Rows = slices.DeleteFunc(p.Person.Rows, func(row resultRow) bool { return row.Value == "" && !row.Masked })
	}
	for _, d := range tv.Doses {
		p.Doses = append(p.Doses, s.doseSummary(v.Lang, d))
	}
	var cats []string
	for _, c := range tv.Categories {
		cats = append(cats, s.i18n.T(v.Lang, "category."+c))
	}
	p.Categories = strings.Join(cats, ", ")
	for _, at := range tv.Attempts {
		p.Attempts = append(p.Attempts, attemptView{Fix: s.i18n.T(v.Lang, "fix."+at.Fix), Outcome: s.i18n.T(v.Lang, "outcome."+at.Outcome),
			Detail: at.Detail, At: s.i18n.DateTime(v.Lang, at.At)})
	}
	for _, c := range tv.Changes {
		p.Changes = append(p.Changes, s.changeView(v.Lang, c))
	}
	for _, f := range jaga.CorrectionFields {
		need := jaga.CategoryIdentity
		if jaga.IsDoseField(f) {
			need = jaga.CategoryVaccination
		}
		if slices.Contains(tv.Categories, need) {
			p.ChangeFields = append(p.ChangeFields, choiceView{Value: f, Label: s.i18n.T(v.Lang, "deskchange.field_"+f)})
		}
	}
	for _, d := range tv.Doses {
		p.DoseChoices = append(p.DoseChoices, choiceView{Value: d.ID, Label: s.doseSummary(v.Lang, d)})
	}
	var tried []string
	for _, f := range t.Tried {
		tried = append(tried, s.i18n.T(v.Lang, "fix."+f))
	}
	p.Tried = strings.Join(tried, ", ")
	for _, ff := range tt.Fields {
		if val, ok := t.Form[ff.Name]; ok {
			shown := val
			if len(ff.Choices) > 0 && ff.Name != "product" {
				shown = s.i18n.T(v.Lang, "deskchoice."+val)
			}
			p.Form = append(p.Form, resultRow{Label: s.i18n.T(v.Lang, "deskfield."+ff.Name), Value: shown})
		}
	}
	for _, post := range tv.Posts {
		author := post.AuthorName
		if post.AuthorKind == jaga.ActorCitizen {
			author = s.i18n.T(v.Lang, "desk.author_citizen")
		}
		p.Posts = append(p.Posts, postView{Author: author, At: s.i18n.DateTime(v.Lang, post.CreatedAt), Body: post.Body,
			Staff: post.AuthorKind == jaga.ActorStaff, Internal: post.Internal})
	}
	for _, at := range tv.Attachments {
		p.Attachments = append(p.Attachments, at.Name)
	}
	p.Macros = append(p.Macros, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.macro_none")})
	for _, m := range jaga.MacrosFor(t.Type) {
		p.Macros = append(p.Macros, choiceView{Value: m.Code, Label: m.Name(v.Lang)})
	}
	p.States = append(p.States, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.state_keep")})
	for _, tr := range jaga.Transitions {
		if tr.From == t.State && tr.By == jaga.ByAgent && tr.To != jaga.StateMerged &&
			!slices.ContainsFunc(p.States, func(c choiceView) bool { return c.Value == tr.To }) {
			p.States = append(p.States, choiceView{Value: tr.To, Label: jaga.StateLabel(tr.To, v.Lang, "")})
		}
	}
	p.MoveQueues = append(p.MoveQueues, choiceView{Value: "", Label: s.i18n.T(v.Lang, "desk.queue_keep")})
	for _, q := range jaga.Queues {
		if q.Code != t.Queue {
			p.MoveQueues = append(p.MoveQueues, choiceView{Value: q.Code, Label: q.Name(v.Lang)})
		}
	}
	v.setPath("/desk/tickets/" + url.PathEscape(id))
	return s.render(w, r, v, status, "desk_ticket", p)
}

// deskTicketShow is /desk/tickets/{id}, masked as the gate decides.
func (s *Server) deskTicketShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	return s.renderDeskTicket(w, r, v, a, r.PathValue("id"), jaga.AccessReason{}, http.StatusOK, "")
}

// deskFormFailed shows the ticket again with the problem, or the error
// page for errors that are not the form's.
func (s *Server) deskFormFailed(w http.ResponseWriter, r *http.Request, v *view, a *jaga.Actor, id string, err error) error {
	if !formError(err) || jaga.ErrorCode(err) == jaga.ENOTFOUND {
		return err
	}
	problem := s.i18n.Error(v.Lang, err)
	for _, msg := range s.i18n.Fields(v.Lang, err) {
		problem += " " + msg
	}
	return s.renderDeskTicket(w, r, v, a, id, jaga.AccessReason{}, failStatus(err), problem)
}

// deskUnmaskSubmit shows the ticket unmasked, with the agent's reason.
func (s *Server) deskUnmaskSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	why := jaga.AccessReason{Unmask: true, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	err = s.renderDeskTicket(w, r, v, a, id, why, http.StatusOK, "")
	if err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	return nil
}

// deskPostSubmit adds a public reply or an internal note, from a macro or
// typed; a macro that moves the ticket moves it with its reply.
func (s *Server) deskPostSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	body, internal := strings.TrimSpace(r.PostFormValue("body")), r.PostFormValue("internal") == "on"
	var state string
	if code := r.PostFormValue("macro"); code != "" && !internal {
		tv, err := s.svc.Desk.AgentTicket(r.Context(), id, jaga.AccessReason{})
		if err != nil {
			return s.deskFormFailed(w, r, v, a, id, err)
		}
		m, ok := jaga.MacroByCode(tv.Ticket.Type, code)
		if !ok {
			return s.deskFormFailed(w, r, v, a, id, jaga.Invalid(map[string]string{"macro": "No such macro for this ticket type."}))
		}
		lang := jaga.DefaultLanguage
		if tv.Person != nil && jaga.SupportedLanguage(tv.Person.Language) {
			lang = tv.Person.Language
		}
		if body == "" {
			body = m.Body(lang)
		}
		if m.State != tv.Ticket.State && jaga.CheckTransition(tv.Ticket.State, m.State, jaga.ByAgent) == nil {
			state = m.State
		}
	}
	if state != "" {
		_, err = s.svc.Desk.TransitionTicket(r.Context(), id, jaga.TransitionRequest{State: state, Message: body})
	} else {
		_, err = s.svc.Desk.Reply(r.Context(), id, jaga.Reply{Body: body, Internal: internal})
	}
	if err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	s.presence.done(id, a.ID)
	redirect(w, r, "/desk/tickets/"+url.PathEscape(id))
	return nil
}

// deskTransitionSubmit moves a ticket to another state, queue or both.
func (s *Server) deskTransitionSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	req := jaga.TransitionRequest{State: r.PostFormValue("state"), Queue: r.PostFormValue("queue"), Message: r.PostFormValue("message")}
	if _, err := s.svc.Desk.TransitionTicket(r.Context(), id, req); err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	redirect(w, r, "/desk/tickets/"+url.PathEscape(id))
	return nil
}

// deskAssignSubmit takes a ticket, gives it to someone or unassigns it.
func (s *Server) deskAssignSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	staffID := strings.TrimSpace(r.PostFormValue("staffId"))
	if staffID == "me" {
		staffID = a.ID
	}
	if _, err := s.svc.Desk.AssignTicket(r.Context(), id, staffID); err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	redirect(w, r, "/desk/tickets/"+url.PathEscape(id))
	return nil
}

// deskMergeSubmit merges the ticket into another of the agent's queues,
// named by its reference.
func (s *Server) deskMergeSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.deskStaffPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	ref := strings.ToUpper(strings.TrimSpace(r.PostFormValue("into")))
	ts, err := s.svc.Desk.QueueTickets(r.Context(), jaga.QueueFilter{Limit: 200})
	if err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	into := ""
	for _, t := range ts {
		if t.Reference == ref {
			into = t.ID
		}
	}
	if into == "" {
		return s.deskFormFailed(w, r, v, a, id, jaga.Invalid(map[string]string{"into": "No open ticket with that reference in your queues."}))
	}
	if _, err := s.svc.Desk.MergeTicket(r.Context(), id, into); err != nil {
		return s.deskFormFailed(w, r, v, a, id, err)
	}
	redirect(w, r, "/desk/tickets/"+url.PathEscape(into))
	return nil
}
