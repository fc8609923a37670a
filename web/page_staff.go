package web

import (
	"net/http"
	"strings"

	"github.com/jaga-health/jaga"
)

type staffSigninPage struct{ Form *form }

// staffSigninShow asks a staff member for email, password and TOTP code.
func (s *Server) staffSigninShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.Staff {
		redirect(w, r, "/staff")
		return nil
	}
	return s.render(w, r, v, http.StatusOK, "staff_signin", staffSigninPage{Form: newForm("staffsignin")})
}

// staffSigninSubmit checks password and code together and starts a session.
func (s *Server) staffSigninSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formFrom("staffsignin", r, "email")
	a, err := s.svc.Organisations.SignInStaff(r.Context(), strings.TrimSpace(f.Values["email"]),
		r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")))
	if err == nil {
		err = s.startSession(w, r, a)
	}
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		v.setPath("/staff/signin")
		s.rateLimited(w, err)
		return s.render(w, r, v, failStatus(err), "staff_signin", staffSigninPage{Form: f})
	}
	redirect(w, r, "/staff")
	return nil
}

// staffSignoutSubmit ends a staff member's session.
func (s *Server) staffSignoutSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	redirect(w, r, "/staff/signin")
	return nil
}

// staffPageData is the staff dashboard: who is signed in, the look-up
// form and, after a look-up, the record.
type staffPageData struct {
	Name, Role, OrgName, OrgKind string
	Purposes                     []purposeOption
	Lookup                       *form
	Result                       *lookupResult
}

type purposeOption struct {
	Code, Text string
	Selected   bool
}

// lookupResult is a person's record as the gate let the staff member see it.
type lookupResult struct {
	Masked bool
	Rows   []resultRow
}

type resultRow struct {
	Label, Value string
	Masked       bool
}

// staffShow is the staff dashboard.
func (s *Server) staffShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return err
	}
	d, err := s.loadStaffPage(r, v, a, newForm("lookup"))
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "staff", d)
}

func (s *Server) loadStaffPage(r *http.Request, v *view, a *jaga.Actor, f *form) (*staffPageData, error) {
	d := &staffPageData{Name: a.Name, Role: s.i18n.Role(v.Lang, a.Role), OrgKind: s.i18n.OrgKind(v.Lang, a.OrgKind), Lookup: f}
	if a.OrgID != "" {
		o, err := s.svc.Organisations.Organisation(r.Context(), a.OrgID)
		if err != nil && jaga.ErrorCode(err) != jaga.ENOTFOUND {
			return nil, err
		}
		if o != nil {
			d.OrgName = o.Name
		}
	}
	ps, err := s.svc.Contracts.Purposes(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		d.Purposes = append(d.Purposes, purposeOption{Code: p.Code, Text: s.i18n.Purpose(v.Lang, p) + " (" + p.Code + ")",
			Selected: p.Code == f.Values["purpose"]})
	}
	return d, nil
}

// personLookupSubmit reads a person's record through the gate, which logs
// the decision whether it allows or refuses.
func (s *Server) personLookupSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.staffPage(w, r, v)
	if !ok {
		return err
	}
	f := formFrom("lookup", r, "person", "purpose", "reference", "unmask", "reason")
	for k, val := range f.Values {
		f.Values[k] = strings.TrimSpace(val)
	}
	why := jaga.AccessReason{Purpose: f.Values["purpose"], Reference: f.Values["reference"],
		Unmask: f.Values["unmask"] == "on", Reason: f.Values["reason"]}
	if why.Reference != "" {
		why.Relationship = jaga.RelationshipCase
	}
	var p *jaga.Person
	if f.Values["person"] == "" {
		err = jaga.Invalid(map[string]string{"person": "Enter the person's id."})
	} else {
		p, err = s.svc.People.ReadPerson(r.Context(), f.Values["person"], why)
	}
	status := http.StatusOK
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		status = failStatus(err)
	}
	d, lerr := s.loadStaffPage(r, v, a, f)
	if lerr != nil {
		return lerr
	}
	if p != nil {
		d.Result = s.lookupResult(v.Lang, p)
	}
	v.setPath("/staff")
	return s.render(w, r, v, status, "staff", d)
}

// lookupResult lists a person's fields, marking those the gate masked.
func (s *Server) lookupResult(lang string, p *jaga.Person) *lookupResult {
	m := p.Masked
	row := func(field, value string, masked bool) resultRow {
		// Masking removes the address and keeps a trace of the rest; an
		// empty phone or email was never there.
		masked = masked && (value != "" || field == "address")
		return resultRow{Label: s.i18n.Field(lang, field), Value: value, Masked: masked}
	}
	return &lookupResult{Masked: m, Rows: []resultRow{
		row("fullName", p.FullName, false),
		row("idType", s.i18n.IDType(lang, p.IDType), false),
		row("idNumber", p.IDNumber, m),
		row("dateOfBirth", p.DateOfBirth, m),
		row("nationality", p.Nationality, false),
		row("phone", p.Phone, m),
		row("email", p.Email, m),
		row("address", p.Address, m),
		row("language", s.i18n.word(lang, "lang.", p.Language), false),
	}}
}
