package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/jaga-health/jaga"
)

// profileFields are the form fields of a jaga.Profile.
var profileFields = []string{"fullName", "idType", "idNumber", "dateOfBirth", "nationality", "address", "language"}

// mePage is the citizen's own page: profile, contact, dependants.
type mePage struct {
	Person       *jaga.Person
	Done         string // what the last form did, in words
	NewAccount   bool   // the profile is still empty
	Profile      *form
	Contact      *form
	Dependants   []dependantView
	NewDependant *form
	NewOpen      bool // the add-a-dependant form is shown open
}

type dependantView struct {
	Person *jaga.Person
	IDType string
	Form   *form
	Open   bool
}

// profileForm is a form holding a person's profile.
func profileForm(id string, p *jaga.Person) *form {
	f := newForm(id)
	f.Values["idType"], f.Values["nationality"], f.Values["language"] = jaga.IDTypeNRIC, "MY", jaga.DefaultLanguage
	if p == nil {
		return f
	}
	for k, v := range map[string]string{"fullName": p.FullName, "idType": p.IDType, "idNumber": p.IDNumber,
		"dateOfBirth": p.DateOfBirth, "nationality": p.Nationality, "address": p.Address, "language": p.Language} {
		if v != "" {
			f.Values[k] = v
		}
	}
	return f
}

// profileFrom reads a profile from a submitted form.
func profileFrom(f *form) jaga.Profile {
	return jaga.Profile{FullName: f.Values["fullName"], IDType: f.Values["idType"], IDNumber: f.Values["idNumber"],
		DateOfBirth: f.Values["dateOfBirth"], Nationality: f.Values["nationality"], Address: f.Values["address"],
		Language: f.Values["language"]}
}

func dependantFormID(id string) string { return "dep-" + id }

// loadMePage reads what the citizen's page shows.
func (s *Server) loadMePage(r *http.Request, v *view, a *jaga.Actor) (*mePage, error) {
	ctx := r.Context()
	p, err := s.svc.People.Person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	deps, err := s.svc.People.Dependants(ctx)
	if err != nil {
		return nil, err
	}
	d := &mePage{
		Person:       p,
		NewAccount:   p.FullName == "",
		Profile:      profileForm("profile", p),
		Contact:      newForm("contact"),
		NewDependant: profileForm("newdep", nil),
	}
	for _, dep := range deps {
		d.Dependants = append(d.Dependants, dependantView{Person: dep, IDType: s.i18n.IDType(v.Lang, dep.IDType),
			Form: profileForm(dependantFormID(dep.ID), dep)})
	}
	return d, nil
}

// mePageShow is the citizen's page.
func (s *Server) mePageShow(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	d, err := s.loadMePage(r, v, a)
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && s.i18n.has(v.Lang, "me.done_"+done) {
		d.Done = s.i18n.T(v.Lang, "me.done_"+done)
	}
	return s.render(w, r, v, http.StatusOK, "me", d)
}

// meFormFailed shows the citizen's page again with one form's problems.
func (s *Server) meFormFailed(w http.ResponseWriter, r *http.Request, v *view, a *jaga.Actor, err error, place func(*mePage)) error {
	if !formError(err) {
		return err
	}
	d, lerr := s.loadMePage(r, v, a)
	if lerr != nil {
		return lerr
	}
	place(d)
	v.setPath("/me")
	s.rateLimited(w, err)
	return s.render(w, r, v, failStatus(err), "me", d)
}

// meProfileSubmit saves the citizen's own profile.
func (s *Server) meProfileSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	f := formFrom("profile", r, profileFields...)
	if _, err := s.svc.People.UpdateProfile(r.Context(), a.ID, profileFrom(f)); err != nil {
		s.fail(f, v.Lang, err)
		return s.meFormFailed(w, r, v, a, err, func(d *mePage) { d.Profile = f })
	}
	redirect(w, r, "/me?done=profile")
	return nil
}

// dependantCreateSubmit adds a dependant under the citizen.
func (s *Server) dependantCreateSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	f := formFrom("newdep", r, profileFields...)
	if _, err := s.svc.People.AddDependant(r.Context(), profileFrom(f)); err != nil {
		s.fail(f, v.Lang, err)
		return s.meFormFailed(w, r, v, a, err, func(d *mePage) { d.NewDependant, d.NewOpen = f, true })
	}
	redirect(w, r, "/me?done=dependant_added")
	return nil
}

// dependantProfileSubmit saves a dependant's profile.
func (s *Server) dependantProfileSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	f := formFrom(dependantFormID(id), r, profileFields...)
	if _, err := s.svc.People.UpdateProfile(r.Context(), id, profileFrom(f)); err != nil {
		if jaga.ErrorCode(err) == jaga.ENOTFOUND {
			return err
		}
		s.fail(f, v.Lang, err)
		return s.meFormFailed(w, r, v, a, err, func(d *mePage) {
			for i := range d.Dependants {
				if d.Dependants[i].Person.ID == id {
					d.Dependants[i].Form, d.Dependants[i].Open = f, true
				}
			}
		})
	}
	redirect(w, r, "/me?done=dependant_saved")
	return nil
}

// contactSubmit sends a code to the citizen's new phone number or email.
func (s *Server) contactSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	a, ok, err := s.citizenPage(w, r, v)
	if !ok {
		return err
	}
	f := formFrom("contact", r, "contact")
	ch, err := s.svc.Accounts.StartContactChange(r.Context(), f.Values["contact"])
	if err != nil {
		s.fail(f, v.Lang, err)
		return s.meFormFailed(w, r, v, a, err, func(d *mePage) { d.Contact = f })
	}
	redirect(w, r, "/me/contact/verify?challenge="+url.QueryEscape(ch.ID))
	return nil
}

func (s *Server) contactVerifyPage(v *view, f *form) verifyPage {
	return verifyPage{Form: f, Heading: s.i18n.T(v.Lang, "verify.heading_contact"), Action: "/me/contact/verify", Again: "/me"}
}

// contactVerifyShow asks for the code sent to the new contact.
func (s *Server) contactVerifyShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	challenge := r.URL.Query().Get("challenge")
	if challenge == "" {
		redirect(w, r, "/me")
		return nil
	}
	f := newForm("verify")
	f.Values["challenge"] = challenge
	return s.render(w, r, v, http.StatusOK, "verify", s.contactVerifyPage(v, f))
}

// contactVerifySubmit checks the code and replaces the phone or email.
func (s *Server) contactVerifySubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, ok, err := s.citizenPage(w, r, v); !ok {
		return err
	}
	f := formFrom("verify", r, "challenge", "code")
	if _, err := s.svc.Accounts.VerifyContactChange(r.Context(), f.Values["challenge"], strings.TrimSpace(f.Values["code"])); err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		v.setPath("/me/contact/verify?challenge=" + url.QueryEscape(f.Values["challenge"]))
		s.rateLimited(w, err)
		return s.render(w, r, v, failStatus(err), "verify", s.contactVerifyPage(v, f))
	}
	redirect(w, r, "/me?done=contact")
	return nil
}
