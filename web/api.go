package web

import (
	"net/http"

	"github.com/jaga-health/jaga"
)

// apiFunc is an API handler: it writes a response or returns an error that
// the adapter renders in the one error shape.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts an apiFunc: it checks CSRF on state-changing requests made
// with a session cookie and renders returned errors.
func (s *Server) api(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if authFrom(r.Context()).via == "cookie" {
				if err := checkCSRF(r); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
		}
		if err := f(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return jaga.Errorf(jaga.ENOTFOUND, "No such API route.")
}

// requireActor returns the caller, or EUNAUTHORIZED for an anonymous one.
func requireActor(r *http.Request) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(r.Context())
	if a == nil {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in first.")
	}
	return a, nil
}

// requireCitizen returns the signed-in citizen.
func requireCitizen(r *http.Request) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(r.Context())
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in as a citizen first.")
	}
	return a, nil
}

// list wraps a slice in an object, so the API can add fields later.
type list[T any] struct {
	Items []T `json:"items"`
}
