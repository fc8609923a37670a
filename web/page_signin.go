package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/jaga-health/jaga"
)

type signinPage struct{ Form *form }

// verifyPage is the page that asks for a one-time code: to sign in, or to
// confirm a new phone number or email.
type verifyPage struct {
	Form    *form
	Heading string
	Action  string // where the code is posted
	Again   string // where to ask for a new code
}

// signinShow asks a citizen for their phone number or email.
func (s *Server) signinShow(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.Citizen {
		redirect(w, r, "/me")
		return nil
	}
	return s.render(w, r, v, http.StatusOK, "signin", signinPage{Form: newForm("signin")})
}

// signinSubmit sends a one-time code to the contact given.
func (s *Server) signinSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formFrom("signin", r, "contact")
	ch, err := s.svc.Accounts.StartSignIn(r.Context(), f.Values["contact"])
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		v.setPath("/signin")
		s.rateLimited(w, err)
		return s.render(w, r, v, failStatus(err), "signin", signinPage{Form: f})
	}
	redirect(w, r, "/signin/verify?challenge="+url.QueryEscape(ch.ID))
	return nil
}

// signinVerifyShow asks for the code sent by signinSubmit.
func (s *Server) signinVerifyShow(w http.ResponseWriter, r *http.Request, v *view) error {
	challenge := r.URL.Query().Get("challenge")
	if challenge == "" {
		redirect(w, r, "/signin")
		return nil
	}
	f := newForm("verify")
	f.Values["challenge"] = challenge
	return s.render(w, r, v, http.StatusOK, "verify", s.signinVerifyPage(v, f))
}

func (s *Server) signinVerifyPage(v *view, f *form) verifyPage {
	return verifyPage{Form: f, Heading: s.i18n.T(v.Lang, "verify.heading_signin"), Action: "/signin/verify", Again: "/signin"}
}

// signinVerifySubmit checks the code, starts a session and sets its cookie.
func (s *Server) signinVerifySubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	f := formFrom("verify", r, "challenge", "code")
	a, err := s.svc.Accounts.VerifySignIn(ctx, f.Values["challenge"], strings.TrimSpace(f.Values["code"]))
	if err == nil {
		err = s.startSession(w, r, a)
	}
	if err != nil {
		if !formError(err) {
			return err
		}
		s.fail(f, v.Lang, err)
		v.setPath("/signin/verify?challenge=" + url.QueryEscape(f.Values["challenge"]))
		s.rateLimited(w, err)
		return s.render(w, r, v, failStatus(err), "verify", s.signinVerifyPage(v, f))
	}
	redirect(w, r, "/me")
	return nil
}

// startSession ends the browser's current session, if any, and starts one
// for a.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, a *jaga.Actor) error {
	ctx := r.Context()
	if old := authFrom(ctx); old.via == "cookie" && old.token != "" {
		if err := s.svc.Accounts.DeleteSession(ctx, old.token); err != nil && jaga.ErrorCode(err) != jaga.EUNAUTHORIZED {
			return err
		}
	}
	token, sess, err := s.svc.Accounts.CreateSession(ctx, a)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token, sess)
	return nil
}

// signoutSubmit ends a citizen's session.
func (s *Server) signoutSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	redirect(w, r, "/")
	return nil
}

// endSession deletes the cookie session, if any, and clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if a := authFrom(r.Context()); a.via == "cookie" && a.token != "" {
		if err := s.svc.Accounts.DeleteSession(r.Context(), a.token); err != nil && jaga.ErrorCode(err) != jaga.EUNAUTHORIZED {
			return err
		}
	}
	s.clearCookie(w, sessionCookie)
	return nil
}

// rateLimited tells the browser when to try again after ERATELIMIT.
func (s *Server) rateLimited(w http.ResponseWriter, err error) {
	if jaga.ErrorCode(err) == jaga.ERATELIMIT {
		w.Header().Set("Retry-After", "60")
	}
}
