package jaga

import (
	"slices"
	"strings"
	"time"
)

// Kinds of change an agent asks for on a ticket.
const (
	ChangeRefresh    = "refresh"    // re-read the person's doses from the registry and re-issue the certificate
	ChangeCorrection = "correction" // correct a detail of the record (see Correction)
)

// Statuses of a desk's change request.
const (
	ChangePending  = "pending"  // waits for a ministry supervisor or health officer
	ChangeApproved = "approved" // decided and applied
	ChangeRejected = "rejected" // decided and not applied
	ChangeDone     = "done"     // applied at once: the agent's role or contract allowed it
)

// ChangeRequest is an agent's request to change the record of a ticket's
// person. A refresh needs nothing more; a correction names the field, the
// dose for a dose's field, and the new value. Reason says why, for the
// approver and the access log.
type ChangeRequest struct {
	Kind     string `json:"kind"`
	Field    string `json:"field,omitempty"`  // a correction: one of CorrectionFields
	DoseID   string `json:"doseId,omitempty"` // a correction of a dose's field
	NewValue string `json:"newValue,omitempty"`
	Reason   string `json:"reason"`
}

// Valid normalizes the request and returns its problems, or nil.
func (r *ChangeRequest) Valid() map[string]string {
	r.Kind = strings.TrimSpace(r.Kind)
	r.Reason = strings.TrimSpace(r.Reason)
	problems := map[string]string{}
	switch r.Kind {
	case ChangeRefresh:
		if r.Field != "" || r.DoseID != "" || r.NewValue != "" {
			problems["field"] = "A refresh changes no field; leave field, dose and value empty."
		}
	case ChangeCorrection:
		c := CorrectionRequest{PersonID: "-", Field: r.Field, DoseID: r.DoseID, NewValue: r.NewValue, Reason: r.Reason, Reference: "-"}
		c.Normalize()
		r.Field, r.DoseID, r.NewValue = c.Field, c.DoseID, c.NewValue
		for k := range c.Valid() {
			switch {
			case k == "field":
				problems[k] = "Choose a field of the record to correct."
			case k == "doseId" && IsDoseField(r.Field):
				problems[k] = "Choose the dose to correct."
			case k == "doseId":
				problems[k] = "Choose a dose only to correct a dose's detail."
			case k == "newValue":
				problems[k] = "Give the correct value, in at most 200 printable characters."
			}
		}
	default:
		problems["kind"] = "Kind must be refresh or correction."
	}
	switch {
	case len([]rune(r.Reason)) < MinCorrectionReason:
		problems["reason"] = "Say why, in at least 10 characters."
	case len([]rune(r.Reason)) > 500:
		problems["reason"] = "The reason must be at most 500 characters."
	case !printable(r.Reason):
		problems["reason"] = "The reason has characters that are not allowed."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Categories returns the record categories the change touches.
func (r *ChangeRequest) Categories() []string {
	if r.Kind == ChangeCorrection && !IsDoseField(r.Field) {
		return []string{CategoryIdentity}
	}
	return []string{CategoryVaccination}
}

// DeskChange is a change request as it stands. It names no one and holds
// no value of the record: a correction's values are read through the
// correction, by the gate.
type DeskChange struct {
	ID              string     `json:"id"`
	TicketID        string     `json:"ticketId"`
	TicketReference string     `json:"ticketReference"`
	Kind            string     `json:"kind"`
	Field           string     `json:"field,omitempty"`
	CorrectionID    string     `json:"correctionId,omitempty"` // the pending correction a correction became
	Status          string     `json:"status"`
	Reason          string     `json:"reason"`
	Outcome         string     `json:"outcome,omitempty"` // what the change did, in English, for staff
	RequestedBy     string     `json:"requestedBy"`       // staff id
	RequesterName   string     `json:"requesterName"`     // display name and organisation
	DecidedBy       string     `json:"decidedBy,omitempty"`
	CreatedAt       time.Time  `json:"createdAt"`
	DecidedAt       *time.Time `json:"decidedAt,omitempty"`
}

// CanDecideChanges reports whether a may decide desk change requests and
// corrections: the ministry's supervisors and health officers.
func CanDecideChanges(a *Actor) bool {
	return a != nil && a.IsStaff() && a.OrgKind == OrgMinistry && slices.Contains([]string{RoleSupervisor, RoleHealthOfficer}, a.Role)
}
