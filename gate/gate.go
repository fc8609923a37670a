// Package gate implements jaga.Gate with Cedar policies.
//
// The policies are in policies.cedar, embedded in the binary and parsed once
// by New. Decide computes the facts of a request in Go (whether a contract
// covers it, whether a reference and a reason were given, ...), passes them to
// Cedar as the principal's attributes and the request context, and turns the
// matching policies into a jaga.Decision:
//
//   - a matching forbid denies, and Decision.Policy is its @id (the first
//     matching forbid in the file). A forbid marked @confidential
//     ("unknown-person") is reported only when a permit matches too;
//     otherwise the decision is "default-deny", so that an actor with no
//     right to the data cannot learn whether a person exists;
//   - otherwise a matching permit allows, and Decision.Policy is its @id (the
//     first matching permit in the file);
//   - otherwise the request is denied with Decision.Policy "default-deny".
//
// Masking (Decision.Masked) is decided here, next to the policy that allows:
//
//   - an unmask action is never masked: the forbid "unmask-reason-required"
//     has already made sure that a reason was typed;
//   - a read by an actor of any organisation other than the ministry is always
//     masked, whatever the permit says;
//   - otherwise the allowing permit's @masked annotation decides: "true" for
//     auditors and data protection officers, "false" for the ministry's
//     operational roles.
package gate

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cedar-policy/cedar-go"

	"github.com/jaga-health/jaga"
)

//go:embed policies.cedar
var policiesCedar []byte

// PolicyDefaultDeny is the Decision.Policy of a request that no policy permits.
const PolicyDefaultDeny = "default-deny"

// PolicyError is the Decision.Policy of a request the policies could not
// evaluate; Decide then also returns an error.
const PolicyError = "policy-error"

// Entity types and names of the Cedar model; policies.cedar documents them.
const (
	typeActor  cedar.EntityType = "Actor"
	typeAction cedar.EntityType = "Action"
	typePerson cedar.EntityType = "Person"
)

// Annotations read from policies.cedar.
const (
	annID           = "id"
	annReason       = "reason"
	annMasked       = "masked"
	annConfidential = "confidential"
)

// Gate decides access to a person's data with the Cedar policies of
// policies.cedar. It holds only the parsed policies and is safe for
// concurrent use.
type Gate struct {
	forbids policyList
	permits policyList
	byID    map[cedar.PolicyID]*policy
}

var _ jaga.Gate = (*Gate)(nil)

// policy is one parsed policy and what its annotations say.
type policy struct {
	id           string
	order        int // position in the file; the lower decides
	cedar        *cedar.Policy
	reason       string // @reason, with {placeholders}
	masked       bool   // @masked, permits only
	confidential bool   // @confidential, forbids only
}

// policyList is a cedar.PolicyIterator over policies in file order.
type policyList []*policy

func (l policyList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, p := range l {
			if !yield(cedar.PolicyID(p.id), p.cedar) {
				return
			}
		}
	}
}

// New parses the embedded policies.
func New() (*Gate, error) {
	return parse("policies.cedar", policiesCedar)
}

// parse parses and checks a policy document: every policy has a unique @id
// and a @reason, every permit a @masked of "true" or "false".
func parse(name string, document []byte) (*Gate, error) {
	list, err := cedar.NewPolicyListFromBytes(name, document)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("gate: %s holds no policy", name)
	}
	g := &Gate{byID: make(map[cedar.PolicyID]*policy, len(list))}
	for i, cp := range list {
		pos := cp.Position()
		where := fmt.Sprintf("%s:%d", name, pos.Line)
		ann := cp.Annotations()
		p := &policy{
			id:     string(ann[annID]),
			order:  i,
			cedar:  cp,
			reason: string(ann[annReason]),
		}
		switch {
		case p.id == "":
			return nil, fmt.Errorf("gate: %s: policy has no @id", where)
		case p.id == PolicyDefaultDeny || p.id == PolicyError:
			return nil, fmt.Errorf("gate: %s: @id %q is reserved", where, p.id)
		case g.byID[cedar.PolicyID(p.id)] != nil:
			return nil, fmt.Errorf("gate: %s: duplicate @id %q", where, p.id)
		case p.reason == "":
			return nil, fmt.Errorf("gate: %s: policy %q has no @reason", where, p.id)
		}
		masked, hasMasked := ann[annMasked]
		confidential, hasConfidential := ann[annConfidential]
		if cp.Effect() == cedar.Permit {
			if hasConfidential {
				return nil, fmt.Errorf("gate: %s: permit %q cannot be @confidential", where, p.id)
			}
			switch masked {
			case "true":
				p.masked = true
			case "false":
			default:
				return nil, fmt.Errorf(`gate: %s: permit %q needs @masked("true") or @masked("false")`, where, p.id)
			}
			g.permits = append(g.permits, p)
		} else {
			if hasMasked {
				return nil, fmt.Errorf("gate: %s: forbid %q cannot be @masked", where, p.id)
			}
			switch confidential {
			case "true":
				p.confidential = true
			case "false":
			default:
				if hasConfidential {
					return nil, fmt.Errorf(`gate: %s: forbid %q needs @confidential("true") or @confidential("false")`, where, p.id)
				}
			}
			g.forbids = append(g.forbids, p)
		}
		g.byID[cedar.PolicyID(p.id)] = p
	}
	return g, nil
}

// Decide decides req. It never does I/O and is safe for concurrent use.
//
// Decision.ContractID is the first contract of req.Contracts that covers
// the request, whether the request is allowed or not, so that the access log
// shows it; it is "" when none does. Decide returns an error, with a deny
// decision, only when a policy cannot be evaluated, which is a bug in the
// policies or in this package.
func (g *Gate) Decide(_ context.Context, req jaga.AccessRequest) (jaga.Decision, error) {
	contractID := coveringContract(&req)
	principal := principalEntity(&req.Actor)
	creq := cedar.Request{
		Principal: principal.UID,
		Action:    cedar.NewEntityUID(typeAction, cedar.String(req.Action)),
		Resource:  cedar.NewEntityUID(typePerson, cedar.String(req.PersonID)),
		Context:   requestContext(&req, contractID != ""),
	}
	entities := oneEntity{principal}

	// Forbids and permits are authorized separately: Cedar reports only
	// the forbids when one matches, but a @confidential forbid is reported
	// only when a permit matches too. The permits need no evaluation when
	// a forbid that is not confidential matches.
	_, forbidDiag := cedar.Authorize(g.forbids, entities, creq)
	if err := evaluationError(forbidDiag); err != nil {
		return failClosed(contractID), err
	}
	forbid := g.first(forbidDiag.Reasons, func(p *policy) bool { return !p.confidential })
	var permit *policy
	if forbid == nil {
		_, permitDiag := cedar.Authorize(g.permits, entities, creq)
		if err := evaluationError(permitDiag); err != nil {
			return failClosed(contractID), err
		}
		permit = g.first(permitDiag.Reasons, func(*policy) bool { return true })
		if permit != nil {
			forbid = g.first(forbidDiag.Reasons, func(*policy) bool { return true })
		}
	}

	switch {
	case forbid != nil:
		return jaga.Decision{
			Policy:     forbid.id,
			ContractID: contractID,
			Reason:     explain(forbid.reason, &req),
		}, nil
	case permit != nil:
		return jaga.Decision{
			Allow:      true,
			Masked:     masked(permit, &req),
			Policy:     permit.id,
			ContractID: contractID,
			Reason:     explain(permit.reason, &req),
		}, nil
	default:
		return jaga.Decision{
			Policy:     PolicyDefaultDeny,
			ContractID: contractID,
			Reason:     explain(defaultDenyReason, &req),
		}, nil
	}
}

// evaluationError returns the errors of an authorization, or nil.
func evaluationError(diag cedar.Diagnostic) error {
	if len(diag.Errors) == 0 {
		return nil
	}
	msgs := make([]string, len(diag.Errors))
	for i, e := range diag.Errors {
		msgs[i] = e.String()
	}
	return errors.New("gate: " + strings.Join(msgs, "; "))
}

// failClosed is the decision when a policy could not be evaluated: deny,
// for a forbid that failed to evaluate must not let a permit through.
func failClosed(contractID string) jaga.Decision {
	return jaga.Decision{
		Policy:     PolicyError,
		ContractID: contractID,
		Reason:     "the access policies could not be evaluated",
	}
}

const defaultDenyReason = "no policy lets {actor} {action} {categories} for {purpose}"

// masked applies the masking rule of the package documentation.
func masked(p *policy, req *jaga.AccessRequest) bool {
	switch {
	case req.Action == jaga.ActionUnmask:
		return false
	case req.Action == jaga.ActionRead && req.Actor.OrgKind != jaga.OrgMinistry:
		return true
	default:
		return p.masked
	}
}

// first returns the matching policy that comes first in the file among those
// ok accepts, or nil.
func (g *Gate) first(reasons []cedar.DiagnosticReason, ok func(*policy) bool) *policy {
	var best *policy
	for _, r := range reasons {
		if p := g.byID[r.PolicyID]; p != nil && ok(p) && (best == nil || p.order < best.order) {
			best = p
		}
	}
	return best
}

// coveringContract returns the ID of the first contract in req.Contracts
// that is in force at req.At and covers the request's categories and
// purpose for the actor, or "". A contract of another organisation than the
// actor's never covers, should the store ever pass one.
func coveringContract(req *jaga.AccessRequest) string {
	for i := range req.Contracts {
		c := &req.Contracts[i]
		if c.OrgID != "" && c.OrgID != req.Actor.OrgID {
			continue
		}
		if c.ActiveAt(req.At) && c.Covers(req.Categories, req.Purpose, req.Actor.ID) {
			return c.ID
		}
	}
	return ""
}

// Precomputed Cedar values.
var (
	emptySet   = cedar.NewSet()
	actorAttrs = [...]cedar.String{"kind", "role", "orgKind", "scopes"}
)

// principalEntity returns the actor as a Cedar entity with the attributes
// the policies read.
func principalEntity(a *jaga.Actor) cedar.Entity {
	scopes := emptySet
	if len(a.Scopes) > 0 {
		scopes = stringSet(a.Scopes)
	}
	return cedar.Entity{
		UID: cedar.NewEntityUID(typeActor, cedar.String(a.ID)),
		Attributes: cedar.NewRecord(cedar.RecordMap{
			actorAttrs[0]: cedar.String(a.Kind),
			actorAttrs[1]: cedar.String(a.Role),
			actorAttrs[2]: cedar.String(a.OrgKind),
			actorAttrs[3]: scopes,
		}),
	}
}

// requestContext returns the Cedar context: the facts of the request.
func requestContext(req *jaga.AccessRequest, contractCovers bool) cedar.Record {
	categories := emptySet
	if len(req.Categories) > 0 {
		categories = stringSet(req.Categories)
	}
	return cedar.NewRecord(cedar.RecordMap{
		"purpose":        cedar.String(req.Purpose),
		"categories":     categories,
		"relationship":   cedar.String(req.Relationship),
		"hasReference":   cedar.Boolean(strings.TrimSpace(req.Reference) != ""),
		"reasonLength":   cedar.Long(utf8.RuneCountInString(strings.TrimSpace(req.Reason))),
		"personExists":   cedar.Boolean(req.PersonExists),
		"contractCovers": cedar.Boolean(contractCovers),
	})
}

func stringSet(ss []string) cedar.Set {
	vs := make([]cedar.Value, len(ss))
	for i, s := range ss {
		vs[i] = cedar.String(s)
	}
	return cedar.NewSet(vs...)
}

// oneEntity is a cedar.EntityGetter holding only the principal: the
// policies read no other entity.
type oneEntity struct{ e cedar.Entity }

func (o oneEntity) Get(uid cedar.EntityUID) (cedar.Entity, bool) {
	if uid == o.e.UID {
		return o.e, true
	}
	return cedar.Entity{}, false
}

// explain fills the {placeholders} of a @reason. It writes only codes from
// known lists, so that no personal data or free text reaches the reason.
func explain(template string, req *jaga.AccessRequest) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(template, '{')
		if open < 0 {
			break
		}
		n := strings.IndexByte(template[open:], '}')
		if n < 0 {
			break
		}
		b.WriteString(template[:open])
		b.WriteString(placeholder(template[open+1:open+n], req))
		template = template[open+n+1:]
	}
	if b.Len() == 0 {
		return template
	}
	b.WriteString(template)
	return b.String()
}

// placeholder returns the value of one placeholder of a @reason.
func placeholder(name string, req *jaga.AccessRequest) string {
	switch name {
	case "action":
		return known(req.Action, actions, "access")
	case "purpose":
		if isCode(req.Purpose) {
			return req.Purpose
		}
		return "an unknown purpose"
	case "categories":
		return categoryList(req.Categories)
	case "actor":
		org := known(req.Actor.OrgKind, jaga.OrgKinds, "no known organisation")
		switch req.Actor.Kind {
		case jaga.ActorStaff:
			return "a " + known(req.Actor.Role, jaga.Roles, "staff member") + " of " + org
		case jaga.ActorAPIClient:
			return "an API client of " + org
		}
		return "this actor"
	}
	return "{" + name + "}"
}

var actions = []string{jaga.ActionRead, jaga.ActionUnmask, jaga.ActionUpdate}

func known(s string, list []string, otherwise string) string {
	if slices.Contains(list, s) {
		return s
	}
	return otherwise
}

// isCode reports whether s looks like a purpose code: 1 to 40 upper-case
// ASCII letters, digits and underscores, starting with a letter.
func isCode(s string) bool {
	if s == "" || len(s) > 40 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// categoryList names the categories in the order of jaga.Categories, e.g.
// "identity and contact", with "an unknown category" for any other.
func categoryList(categories []string) string {
	var names []string
	for _, c := range jaga.Categories {
		if slices.Contains(categories, c) {
			names = append(names, c)
		}
	}
	for _, c := range categories {
		if !slices.Contains(jaga.Categories, c) {
			names = append(names, "an unknown category")
			break
		}
	}
	switch len(names) {
	case 0:
		return "no data category"
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}
