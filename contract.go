package jaga

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Purpose is a registered purpose of use.
type Purpose struct {
	Code          string `json:"code"`
	DescriptionMS string `json:"descriptionMs"`
	DescriptionEN string `json:"descriptionEn"`
}

// Contract states.
const (
	ContractPending    = "pending"    // registered, awaiting a second DPO's approval
	ContractApproved   = "approved"   // in force between ValidFrom and ValidTo
	ContractTerminated = "terminated" // ended early
)

// Contract is a data-processing contract: it lets an organisation process
// the named categories for the named purposes, by the named personnel,
// between two dates, once a data protection officer approves it.
type Contract struct {
	ID           string     `json:"id"`
	OrgID        string     `json:"orgId"`
	OrgName      string     `json:"orgName,omitempty"`
	Reference    string     `json:"reference"`
	Categories   []string   `json:"categories"`
	Purposes     []string   `json:"purposes"`
	Personnel    []string   `json:"personnel"` // staff ids; empty means every member
	ValidFrom    time.Time  `json:"validFrom"`
	ValidTo      time.Time  `json:"validTo"`
	State        string     `json:"state"`
	RegisteredBy string     `json:"registeredBy"`
	ApprovedBy   string     `json:"approvedBy,omitempty"`
	ApprovedAt   *time.Time `json:"approvedAt,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
}

// ActiveAt reports whether the contract is approved and in force at t.
func (c *Contract) ActiveAt(t time.Time) bool {
	return c.State == ContractApproved && !t.Before(c.ValidFrom) && t.Before(c.ValidTo)
}

// Covers reports whether the contract covers every category for purpose,
// for the staff member (when it names personnel).
func (c *Contract) Covers(categories []string, purpose, staffID string) bool {
	if !contains(c.Purposes, purpose) {
		return false
	}
	for _, cat := range categories {
		if !contains(c.Categories, cat) {
			return false
		}
	}
	return len(c.Personnel) == 0 || contains(c.Personnel, staffID)
}

// Valid normalizes the contract's lists and returns each field's problem.
// purposes is the registry of known purpose codes.
func (c *Contract) Valid(purposes []string) map[string]string {
	problems := map[string]string{}
	c.Reference = strings.TrimSpace(c.Reference)
	if n := utf8.RuneCountInString(c.Reference); n < 3 || n > 64 {
		problems["reference"] = "Reference must be 3 to 64 characters."
	}
	if c.OrgID == "" {
		problems["orgId"] = "Organisation is required."
	}
	c.Categories = sortedSet(c.Categories)
	c.Purposes = sortedSet(c.Purposes)
	c.Personnel = sortedSet(c.Personnel)
	if len(c.Categories) == 0 {
		problems["categories"] = "Name at least one data category."
	}
	for _, cat := range c.Categories {
		if !contains(Categories, cat) {
			problems["categories"] = "Categories must be among " + strings.Join(Categories, ", ") + "."
		}
	}
	if len(c.Purposes) == 0 {
		problems["purposes"] = "Name at least one purpose."
	}
	for _, p := range c.Purposes {
		if !contains(purposes, p) {
			problems["purposes"] = "Purposes must be registered purpose codes."
		}
	}
	if c.ValidFrom.IsZero() || c.ValidTo.IsZero() {
		problems["validTo"] = "Both validity dates are required."
	} else if !c.ValidTo.After(c.ValidFrom) {
		problems["validTo"] = "The contract must end after it starts."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

func sortedSet(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// ContractService keeps the purposes registry and the contracts.
type ContractService interface {
	Purposes(ctx context.Context) ([]*Purpose, error)

	// RegisterContract is for data protection officers of the ministry.
	RegisterContract(ctx context.Context, c *Contract) error
	// ApproveContract is for a ministry data protection officer other than
	// the one who registered it.
	ApproveContract(ctx context.Context, id string) (*Contract, error)
	// TerminateContract ends an approved contract now.
	TerminateContract(ctx context.Context, id string) (*Contract, error)
	// Contracts lists every contract, for ministry staff.
	Contracts(ctx context.Context) ([]*Contract, error)
	// PublicContracts lists approved contracts in force, for anyone: the
	// public list of authorised organisations.
	PublicContracts(ctx context.Context) ([]*Contract, error)
}
