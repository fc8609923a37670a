package jaga

import "context"

// Actor kinds.
const (
	ActorCitizen   = "citizen"
	ActorStaff     = "staff"
	ActorAPIClient = "api_client"
	ActorSystem    = "system"
)

// Actor is whoever makes a request: a signed-in citizen, a staff member, a
// partner's API client or jaga itself (jobs, the demo loader).
type Actor struct {
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`                // person id, staff id or API client id
	OrgID   string   `json:"orgId,omitempty"`   // staff and API clients
	OrgKind string   `json:"orgKind,omitempty"` // staff and API clients
	Role    string   `json:"role,omitempty"`    // staff: one of the Role* constants
	Scopes  []string `json:"scopes,omitempty"`  // API clients
	Name    string   `json:"name,omitempty"`    // display name of staff or client; never a citizen's
}

// IsCitizen reports whether the actor is a signed-in citizen.
func (a *Actor) IsCitizen() bool { return a != nil && a.Kind == ActorCitizen }

// IsStaff reports whether the actor is a signed-in staff member.
func (a *Actor) IsStaff() bool { return a != nil && a.Kind == ActorStaff }

// HasRole reports whether the actor is staff with one of roles.
func (a *Actor) HasRole(roles ...string) bool {
	if !a.IsStaff() {
		return false
	}
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// HasScope reports whether the actor is an API client granted scope.
func (a *Actor) HasScope(scope string) bool {
	if a == nil || a.Kind != ActorAPIClient {
		return false
	}
	for _, s := range a.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

type actorKey struct{}

// NewContextWithActor returns a context that carries the actor.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor of ctx, or nil for an anonymous caller.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// SystemContext returns a context acting as jaga itself, for jobs and the
// demo loader. It never reaches a request handler.
func SystemContext(ctx context.Context) context.Context {
	return NewContextWithActor(ctx, &Actor{Kind: ActorSystem, ID: "system", Name: "jaga"})
}
