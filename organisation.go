package jaga

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Organisation kinds.
const (
	OrgMinistry          = "ministry"
	OrgContractor        = "contractor"
	OrgAirline           = "airline"
	OrgVaccinationCentre = "vaccination_centre"
	OrgPremisesOwner     = "premises_owner"
	OrgAuthority         = "authority"
	OrgLaboratory        = "laboratory" // sends confirmed cases from its own system
)

// OrgKinds lists every organisation kind.
var OrgKinds = []string{OrgMinistry, OrgContractor, OrgAirline, OrgVaccinationCentre, OrgPremisesOwner, OrgAuthority, OrgLaboratory}

// Staff roles.
const (
	RoleHealthOfficer    = "health_officer"
	RoleSupportAgent     = "support_agent"
	RoleSupervisor       = "supervisor"
	RoleDPO              = "data_protection_officer"
	RoleAuditor          = "auditor"
	RoleAirlineAgent     = "airline_agent"
	RoleAuthorityLiaison = "authority_liaison"
	RoleVaccinator       = "vaccinator"
	RolePremisesStaff    = "premises_staff"
	RoleAdmin            = "admin" // manages organisations and staff accounts
)

// Roles lists every staff role.
var Roles = []string{RoleHealthOfficer, RoleSupportAgent, RoleSupervisor, RoleDPO, RoleAuditor,
	RoleAirlineAgent, RoleAuthorityLiaison, RoleVaccinator, RolePremisesStaff, RoleAdmin}

// Organisation is a body whose members act in jaga: the ministry, its
// contractors, airlines, vaccination centres, premises owners, authorities.
type Organisation struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"createdAt"`
}

// Valid returns each field's problem, or nil.
func (o *Organisation) Valid() map[string]string {
	problems := map[string]string{}
	o.Name = strings.TrimSpace(o.Name)
	if n := utf8.RuneCountInString(o.Name); n < 2 || n > 120 {
		problems["name"] = "Name must be 2 to 120 characters."
	}
	if !contains(OrgKinds, o.Kind) {
		problems["kind"] = "Kind must be one of " + strings.Join(OrgKinds, ", ") + "."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Staff is a member of an organisation who signs in with a password and a
// time-based one-time code.
type Staff struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"orgId"`
	Email       string    `json:"email"`
	DisplayName string    `json:"displayName"`
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"createdAt"`
	Disabled    bool      `json:"disabled"`
}

// NewStaff is what an administrator gives to create a staff account.
type NewStaff struct {
	OrgID       string `json:"orgId"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
	Password    string `json:"password"`
}

// Valid returns each field's problem, or nil.
func (n *NewStaff) Valid() map[string]string {
	problems := map[string]string{}
	if email, err := ParseEmail(n.Email); err != nil {
		problems["email"] = ErrorMessage(err)
	} else {
		n.Email = email
	}
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	if l := utf8.RuneCountInString(n.DisplayName); l < 2 || l > 100 {
		problems["displayName"] = "Display name must be 2 to 100 characters."
	}
	if !contains(Roles, n.Role) {
		problems["role"] = "Role must be one of " + strings.Join(Roles, ", ") + "."
	}
	if msg := PasswordProblem(n.Password); msg != "" {
		problems["password"] = msg
	}
	if n.OrgID == "" {
		problems["orgId"] = "Organisation is required."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// PasswordProblem describes why a staff password is too weak, or returns "".
func PasswordProblem(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case n < 12:
		return "A password must be at least 12 characters."
	case n > 128:
		return "A password must be at most 128 characters."
	}
	return ""
}

// StaffEnrolment is returned once, when a staff account is created: the
// TOTP secret and its otpauth URL for an authenticator app.
type StaffEnrolment struct {
	Staff      *Staff `json:"staff"`
	TOTPSecret string `json:"totpSecret"`
	TOTPURL    string `json:"totpUrl"`
}

// APIClient is a partner organisation's program calling the API with a key.
type APIClient struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"orgId"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// API client scopes.
const (
	ScopePersonsRead = "persons:read"
	ScopeAccessRead  = "access:read"
	ScopeCasesWrite  = "cases:write" // a laboratory's feed of confirmed cases
)

// Scopes lists every API client scope.
var Scopes = []string{ScopePersonsRead, ScopeAccessRead, ScopeCasesWrite}

// PasswordHasher hashes and checks staff passwords.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(encoded, password string) (bool, error)
}

// TOTP creates secrets and checks time-based one-time codes.
type TOTP interface {
	NewSecret(account string) (secret, url string, err error)
	Validate(secret, code string, at time.Time) bool
}

// OrganisationService manages organisations, their staff and API clients.
type OrganisationService interface {
	// CreateOrganisation is for ministry admins and the system.
	CreateOrganisation(ctx context.Context, o *Organisation) error
	Organisation(ctx context.Context, id string) (*Organisation, error)
	Organisations(ctx context.Context) ([]*Organisation, error)

	// CreateStaff is for admins of the ministry or of the staff member's own
	// organisation. The enrolment is returned once.
	CreateStaff(ctx context.Context, n NewStaff) (*StaffEnrolment, error)
	StaffMembers(ctx context.Context, orgID string) ([]*Staff, error)
	// ResetTOTP gives a staff member a new TOTP secret (a lost phone) and
	// ends their sessions. The enrolment is returned once.
	ResetTOTP(ctx context.Context, staffID string) (*StaffEnrolment, error)

	// SignInStaff checks password and TOTP code together; either wrong
	// counts as one failure, and too many lock the account for a while.
	SignInStaff(ctx context.Context, email, password, code string) (*Actor, error)

	// CreateAPIClient returns the client and its key; the key is shown once.
	CreateAPIClient(ctx context.Context, orgID, name string, scopes []string) (*APIClient, string, error)
	// RevokeAPIClient ends a client's key now; for the organisation's admins.
	RevokeAPIClient(ctx context.Context, orgID, clientID string) (*APIClient, error)
	// AuthenticateAPIClient returns the actor for a key, or EUNAUTHORIZED.
	AuthenticateAPIClient(ctx context.Context, key string) (*Actor, error)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
