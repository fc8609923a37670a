package web

import (
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

type challengeRequest struct {
	Contact string `json:"contact"`
}

type challengeResponse struct {
	ChallengeID string    `json:"challengeId"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (s *Server) challengeCreate(w http.ResponseWriter, r *http.Request) error {
	var req challengeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ch, err := s.svc.Accounts.StartSignIn(r.Context(), req.Contact)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, challengeResponse{ChallengeID: ch.ID, ExpiresAt: ch.ExpiresAt})
	return nil
}

type verifyRequest struct {
	ChallengeID string `json:"challengeId"`
	Code        string `json:"code"`
}

type sessionResponse struct {
	Token     string      `json:"token"`
	ExpiresAt time.Time   `json:"expiresAt"`
	Actor     *jaga.Actor `json:"actor"`
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request) error {
	var req verifyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a, err := s.svc.Accounts.VerifySignIn(r.Context(), req.ChallengeID, req.Code)
	if err != nil {
		return err
	}
	token, sess, err := s.svc.Accounts.CreateSession(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sessionResponse{Token: token, ExpiresAt: sess.ExpiresAt, Actor: a})
	return nil
}

func (s *Server) sessionDelete(w http.ResponseWriter, r *http.Request) error {
	a := authFrom(r.Context())
	if a.token == "" || a.via == "" {
		return jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in first.")
	}
	if err := s.svc.Accounts.DeleteSession(r.Context(), a.token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type staffSignInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (s *Server) staffSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var req staffSignInRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a, err := s.svc.Organisations.SignInStaff(r.Context(), req.Email, req.Password, req.Code)
	if err != nil {
		return err
	}
	token, sess, err := s.svc.Accounts.CreateSession(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sessionResponse{Token: token, ExpiresAt: sess.ExpiresAt, Actor: a})
	return nil
}
