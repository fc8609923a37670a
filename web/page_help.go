package web

// The citizen's help pages: self-service fixes first, then tickets with
// their status, the expected time of the next update, the public thread,
// replies, attachments and a rating; and the consent code a passenger
// shows an airline.

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jaga-health/jaga"
)

// personOption is the citizen or a dependant in a form's choice.
type personOption struct {
	ID, Name string
	Selected bool
}

// helpPage is /help.
type helpPage struct {
	Problems []helpProblem
	People   []personOption
	Solved   bool
	Code     *consentCodeView // a consent code just made
	CodeForm *form
}

// helpProblem is a ticket type with the fixes offered before it.
type helpProblem struct {
	Type, Name string
	Fixes      []helpFix
}

// helpFix is one self-service fix: run here, or a flow of its own.
type helpFix struct {
	Fix, Label, Hint string
	Run              bool // jaga runs it (RunnableFixes)
}

// consentCodeView is a consent code as the passenger shows it.
type consentCodeView struct {
	Code, Expires string
	Certificate   bool
	Name          bool
}

// people returns the citizen and their dependants as choices.
func (s *Server) people(r *http.Request, lang, selected string) ([]personOption, error) {
	a := jaga.ActorFromContext(r.Context())
	me, err := s.svc.People.Person(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	deps, err := s.svc.People.Dependants(r.Context())
	if err != nil {
		return nil, err
	}
	var out []personOption
	for i, p := range append([]*jaga.Person{me}, deps...) {
		name := p.FullName
		switch {
		case i == 0:
			name = s.i18n.T(lang, "help.person_self")
		case name == "":
			name = s.i18n.T(lang, "me.dependant_unnamed")
		}
		out = append(out, personOption{ID: p.ID, Name: name, Selected: p.ID == selected})
	}
	return out, nil
}

func (s *Server) loadHelpPage(r *http.Request, v *view) (*helpPage, error) {
	people, err := s.people(r, v.Lang, "")
	if err != nil {
		return nil, err
	}
	d := &helpPage{People: people, CodeForm: newForm("code")}
	for _, t := range jaga.TicketTypes {
		p := helpProblem{Type: t.Code, Name: ticketTypeName(t, v.Lang)}
		for _, f := range t.SelfService {
			p.Fixes = append(p.Fixes, helpFix{Fix: f, Label: s.i18n.T(v.Lang, "fix."+f), Hint: s.i18n.T(v.Lang, "fix."+f+"_hint"),
				Run: slices.Contains(jaga.RunnableFixes, f)})
		}
		d.Problems = append(d.Problems, p)
	}
	return d, nil
}

func ticketTypeName(t jaga.TicketType, lang string) string {
	if lang == "en" {
		return t.NameEN
	}
	return t.NameMS
}

// helpShow is /help.
func (s *Server) helpShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	if _, err := s.desk(); err != nil {
		return err
	}
	d, err := s.loadHelpPage(r, v)
	if err != nil {
		return err
	}
	d.Solved = r.URL.Query().Get("solved") == "1"
	return s.render(w, r, v, http.StatusOK, "help", d)
}

// fixPage is what a self-service fix found.
type fixPage struct {
	Type, TypeName, PersonID string
	Fix                      string // its name
	Outcome                  string // what it found, in words
	Resolved                 bool
	Certificate              string // a new or current certificate's status
	Risk                     *riskCard
	Problem                  string // why a foreign certificate is not valid
	NewTicketURL             string
}

// fixSubmit runs a self-service fix and says what it found.
func (s *Server) fixSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	req := jaga.FixRequest{Fix: r.PostFormValue("fix"), PersonID: r.PostFormValue("personId"), Type: r.PostFormValue("type"),
		Payload: r.PostFormValue("payload")}
	at, err := d.RunFix(r.Context(), req)
	if err != nil {
		return err
	}
	p := &fixPage{Type: req.Type, PersonID: at.PersonID, Fix: s.i18n.T(v.Lang, "fix."+at.Fix),
		Outcome: s.i18n.T(v.Lang, "outcome."+at.Outcome), Resolved: at.Resolved}
	if t, ok := jaga.TicketTypeByCode(req.Type); ok {
		p.TypeName = ticketTypeName(t, v.Lang)
	}
	q := url.Values{"person": {at.PersonID}}
	if req.Type != "" {
		q.Set("type", req.Type)
	}
	p.NewTicketURL = "/help/tickets/new?" + q.Encode()
	if at.Refresh != nil && at.Refresh.Certificate != nil {
		p.Certificate = s.i18n.word(v.Lang, "certs.status_", at.Refresh.Certificate.Status)
	}
	if res := at.Verify; res != nil && !res.Valid {
		p.Problem = s.verifyCertProblem(v.Lang, res)
	}
	if rv := at.Risk; rv != nil {
		c := riskCard{Name: rv.PersonName, Status: jaga.StatusName(v.Lang, rv.Status), Tone: riskTone(rv.Status),
			Low: rv.Current == nil, Next: jaga.NextSteps(v.Lang, rv.Status)}
		if cur := rv.Current; cur != nil {
			c.Reason, c.Rule = jaga.ReasonText(v.Lang, cur), jaga.RuleName(v.Lang, cur.Rule)
			c.Window, c.Ends = s.riskWindow(v.Lang, cur), s.i18n.DateTime(v.Lang, cur.EndsAt)
		}
		p.Risk = &c
	}
	v.setPath("/help")
	return s.render(w, r, v, http.StatusOK, "help_fix", p)
}

// consentCodeSubmit makes a consent code for an airline.
func (s *Server) consentCodeSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	desk, err := s.desk()
	if err != nil {
		return err
	}
	d, err := s.loadHelpPage(r, v)
	if err != nil {
		return err
	}
	f := formFrom("code", r, "personId", "certificate", "name")
	c, err := desk.CreateConsentCode(r.Context(), jaga.NewConsentCode{PersonID: f.Values["personId"],
		Share: jaga.ConsentShare{CertificateValid: f.Values["certificate"] == "on", NameMatch: f.Values["name"] == "on"}})
	status := http.StatusOK
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		status = failStatus(err)
	} else {
		d.Code = &consentCodeView{Code: c.Code[:4] + " " + c.Code[4:], Expires: s.i18n.DateTime(v.Lang, c.ExpiresAt),
			Certificate: c.Share.CertificateValid, Name: c.Share.NameMatch}
	}
	d.CodeForm = f
	v.setPath("/help")
	return s.render(w, r, v, status, "help", d)
}

// ticketListRow is a ticket in the citizen's list.
type ticketListRow struct {
	ID, Reference, Type, State, StateCode, NextUpdate, Opened string
	Waiting                                                   bool
}

// ticketsShow is /help/tickets: the citizen's tickets.
func (s *Server) ticketsShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	ts, err := d.MyTickets(r.Context())
	if err != nil {
		return err
	}
	rows := []ticketListRow{}
	for _, t := range ts {
		rows = append(rows, s.ticketRowOf(v.Lang, t))
	}
	return s.render(w, r, v, http.StatusOK, "tickets", rows)
}

func (s *Server) ticketRowOf(lang string, t *jaga.Ticket) ticketListRow {
	row := ticketListRow{ID: t.ID, Reference: t.Reference, State: jaga.StateLabel(t.State, lang, t.Queue), StateCode: t.State,
		Opened: s.i18n.DateTime(lang, t.CreatedAt), Waiting: t.State == jaga.StateWaitingCitizen}
	if tt, ok := jaga.TicketTypeByCode(t.Type); ok {
		row.Type = ticketTypeName(tt, lang)
	}
	if t.NextUpdateBy != nil {
		row.NextUpdate = s.i18n.DateTime(lang, *t.NextUpdateBy)
	}
	return row
}

// newTicketPage is /help/tickets/new: the types, or one type's form.
type newTicketPage struct {
	Types  []helpProblem
	Type   string
	Name   string
	Fields []formFieldView
	People []personOption
	Form   *form
}

// formFieldView is one question of a ticket type's form.
type formFieldView struct {
	Name, Label, Kind, Value string
	Required, Long           bool
	Choices                  []choiceView
	Max                      int
}

type choiceView struct {
	Value, Label string
	Selected     bool
}

func (s *Server) newTicketPage(r *http.Request, v *view, typ, person string, f *form) (*newTicketPage, error) {
	people, err := s.people(r, v.Lang, person)
	if err != nil {
		return nil, err
	}
	d := &newTicketPage{People: people, Form: f}
	t, ok := jaga.TicketTypeByCode(typ)
	if !ok {
		for _, t := range jaga.TicketTypes {
			d.Types = append(d.Types, helpProblem{Type: t.Code, Name: ticketTypeName(t, v.Lang)})
		}
		return d, nil
	}
	d.Type, d.Name = t.Code, ticketTypeName(t, v.Lang)
	for _, ff := range t.Fields {
		fv := formFieldView{Name: ff.Name, Label: s.i18n.T(v.Lang, "deskfield."+ff.Name), Kind: ff.Kind,
			Value: f.Values["form."+ff.Name], Required: ff.Required, Max: ff.Max, Long: ff.Kind == jaga.FieldText && ff.Max > 200}
		for _, c := range ff.Choices {
			label := c
			if ff.Name == "product" {
				label = jaga.VaccineProducts[c]
			} else {
				label = s.i18n.T(v.Lang, "deskchoice."+c)
			}
			fv.Choices = append(fv.Choices, choiceView{Value: c, Label: label, Selected: c == fv.Value})
		}
		d.Fields = append(d.Fields, fv)
	}
	return d, nil
}

// ticketNewShow is /help/tickets/new.
func (s *Server) ticketNewShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	if _, err := s.desk(); err != nil {
		return err
	}
	q := r.URL.Query()
	d, err := s.newTicketPage(r, v, q.Get("type"), q.Get("person"), newForm("ticket"))
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "ticket_new", d)
}

// ticketCreateSubmit opens a ticket from the type's form.
func (s *Server) ticketCreateSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	desk, err := s.desk()
	if err != nil {
		return err
	}
	n := jaga.NewTicket{Type: r.PostFormValue("type"), PersonID: r.PostFormValue("personId"),
		Description: r.PostFormValue("description"), Form: map[string]string{}}
	f := formFrom("ticket", r, "description")
	if t, ok := jaga.TicketTypeByCode(n.Type); ok {
		for _, ff := range t.Fields {
			val := r.PostFormValue("form." + ff.Name)
			f.Values["form."+ff.Name] = val
			f.order = append(f.order, "form."+ff.Name)
			n.Form[ff.Name] = val
		}
	}
	th, err := desk.OpenTicket(r.Context(), n)
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		// The form's answers are named form.<question>; their inputs'
		// ids are ticket-<question>, which the list of problems links to.
		for k, msg := range f.Errors {
			if q, ok := strings.CutPrefix(k, "form."); ok {
				delete(f.Errors, k)
				f.Errors[q] = msg
			}
		}
		for i, k := range f.order {
			f.order[i] = strings.TrimPrefix(k, "form.")
		}
		d, lerr := s.newTicketPage(r, v, n.Type, n.PersonID, f)
		if lerr != nil {
			return lerr
		}
		v.setPath("/help/tickets/new?type=" + url.QueryEscape(n.Type))
		return s.render(w, r, v, failStatus(err), "ticket_new", d)
	}
	redirect(w, r, "/help/tickets/"+url.PathEscape(th.Ticket.ID))
	return nil
}

// ticketPage is /help/tickets/{id}: a citizen's ticket and its thread.
type ticketPage struct {
	Ticket      ticketListRow
	Type        string
	Final       bool
	Resolved    bool
	Rated       bool
	Rating      int
	Attachable  bool
	Posts       []postView
	Attachments []attachmentView
	Problem     string
	Reply       *form
	Scores      []string // a rating's choices, 1 to 5
}

type postView struct {
	Author, At, Body string
	Staff, Internal  bool
}

type attachmentView struct{ Name, URL, Expires string }

func (s *Server) renderTicket(w http.ResponseWriter, r *http.Request, v *view, id string, status int, problem string, reply *form) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	th, err := d.MyTicket(r.Context(), id)
	if err != nil {
		return err
	}
	t := th.Ticket
	p := &ticketPage{Ticket: s.ticketRowOf(v.Lang, t), Final: jaga.TicketFinal(t.State), Resolved: t.State == jaga.StateResolved,
		Rated: t.Rating > 0, Rating: t.Rating, Problem: problem, Reply: reply,
		Scores: []string{"1", "2", "3", "4", "5"}}
	if reply == nil {
		p.Reply = newForm("reply")
	}
	if tt, ok := jaga.TicketTypeByCode(t.Type); ok {
		p.Type = ticketTypeName(tt, v.Lang)
		p.Attachable = tt.Attachments && !p.Final
	}
	for _, post := range th.Posts {
		author := post.AuthorName
		if post.AuthorKind == jaga.ActorCitizen {
			author = s.i18n.T(v.Lang, "help.author_you")
		}
		p.Posts = append(p.Posts, postView{Author: author, At: s.i18n.DateTime(v.Lang, post.CreatedAt), Body: post.Body,
			Staff: post.AuthorKind == jaga.ActorStaff})
	}
	for _, a := range th.Attachments {
		p.Attachments = append(p.Attachments, attachmentView{Name: a.Name,
			URL:     "/api/v1/me/tickets/" + url.PathEscape(t.ID) + "/attachments/" + url.PathEscape(a.ID),
			Expires: s.i18n.Date(v.Lang, a.ExpiresAt)})
	}
	v.setPath("/help/tickets/" + url.PathEscape(id))
	return s.render(w, r, v, status, "ticket", p)
}

// ticketPageShow is /help/tickets/{id}.
func (s *Server) ticketPageShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	return s.renderTicket(w, r, v, r.PathValue("id"), http.StatusOK, "", nil)
}

// ticketFormFailed shows the ticket again with what went wrong, or the
// error page for errors that are not the form's.
func (s *Server) ticketFormFailed(w http.ResponseWriter, r *http.Request, v *view, id string, err error, reply *form) error {
	if !formError(err) || jaga.ErrorCode(err) == jaga.ENOTFOUND {
		return err
	}
	if reply != nil {
		s.fail(reply, v.Lang, err)
	}
	return s.renderTicket(w, r, v, id, failStatus(err), s.i18n.Error(v.Lang, err), reply)
}

// ticketReplySubmit adds the citizen's reply.
func (s *Server) ticketReplySubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	f := formFrom("reply", r, "body")
	if _, err := d.Reply(r.Context(), id, jaga.Reply{Body: f.Values["body"]}); err != nil {
		return s.ticketFormFailed(w, r, v, id, err, f)
	}
	redirect(w, r, "/help/tickets/"+url.PathEscape(id))
	return nil
}

// ticketRateSubmit records the citizen's rating, which closes the ticket.
func (s *Server) ticketRateSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	score, _ := strconv.Atoi(r.PostFormValue("score"))
	if _, err := d.RateTicket(r.Context(), id, jaga.Rating{Score: score, Comment: r.PostFormValue("comment")}); err != nil {
		return s.ticketFormFailed(w, r, v, id, err, nil)
	}
	redirect(w, r, "/help/tickets/"+url.PathEscape(id))
	return nil
}

// ticketCloseSubmit closes a resolved ticket.
func (s *Server) ticketCloseSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := d.CloseTicket(r.Context(), id); err != nil {
		return s.ticketFormFailed(w, r, v, id, err, nil)
	}
	redirect(w, r, "/help/tickets/"+url.PathEscape(id))
	return nil
}

// upload adapts a multipart form handler: it caps the body at an
// attachment's size and checks the CSRF token before the handler runs.
func (s *Server) upload(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.newView(w, r, s.pageLang(r))
		v.setPath("/")
		r.Body = http.MaxBytesReader(w, r.Body, jaga.MaxAttachmentBytes+64<<10)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				err = jaga.Errorf(jaga.ETOOLARGE, "A file may be at most %d MB.", jaga.MaxAttachmentBytes>>20)
			} else {
				err = jaga.Errorf(jaga.EINVALID, "The form could not be read.")
			}
			s.renderError(w, r, v, err)
			return
		}
		defer r.MultipartForm.RemoveAll()
		if err := checkCSRF(r); err != nil {
			s.renderError(w, r, v, err)
			return
		}
		if err := f(w, r, v); err != nil {
			s.renderError(w, r, v, err)
		}
	})
}

// ticketAttachSubmit attaches an uploaded file to the citizen's ticket.
func (s *Server) ticketAttachSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	d, err := s.desk()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	file, _, err := r.FormFile("file")
	if err != nil {
		return s.ticketFormFailed(w, r, v, id, jaga.Invalid(map[string]string{"file": "Choose a file to attach."}), nil)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, jaga.MaxAttachmentBytes+1))
	if err != nil {
		return jaga.Errorf(jaga.EINVALID, "The file could not be read in full.")
	}
	if _, err := d.AddAttachment(r.Context(), id, data); err != nil {
		return s.ticketFormFailed(w, r, v, id, err, nil)
	}
	redirect(w, r, "/help/tickets/"+url.PathEscape(id))
	return nil
}
