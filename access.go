package jaga

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// Data categories: the kinds of personal data a contract may cover and an
// access may touch.
const (
	CategoryIdentity    = "identity"    // name, identity number, date of birth, nationality
	CategoryContact     = "contact"     // phone, email, address
	CategoryVaccination = "vaccination" // doses and certificates
	CategoryCheckin     = "checkin"     // check-ins and visits
	CategoryHealth      = "health"      // cases, risk status
	CategoryTravel      = "travel"      // overseas certificates, travel dates
	CategorySupport     = "support"     // tickets and their threads
)

// Categories lists every data category.
var Categories = []string{CategoryIdentity, CategoryContact, CategoryVaccination, CategoryCheckin, CategoryHealth, CategoryTravel, CategorySupport}

// Purposes of use. The registry in the store describes each in Malay and English.
const (
	PurposeSupportTicket      = "SUPPORT_TICKET"
	PurposeRecordCorrection   = "RECORD_CORRECTION"
	PurposeContactTracing     = "CONTACT_TRACING"
	PurposeTravelVerification = "TRAVEL_VERIFICATION"
	PurposeAirlineQuery       = "AIRLINE_QUERY"
	PurposeAudit              = "AUDIT"
	PurposeBreakGlass         = "BREAK_GLASS"
	PurposeAssistedCheckIn    = "ASSISTED_CHECKIN"
	PurposeVaccinationRecord  = "VACCINATION_RECORD"
)

// Access actions.
const (
	ActionRead   = "read"   // read masked or, for roles that see in full, unmasked data
	ActionUnmask = "unmask" // read masked fields in full, with a typed reason
	ActionUpdate = "update" // change the person's data
)

// Relationship kinds that justify staff access to a person.
const (
	RelationshipCase = "case" // an officer's explicit case or ticket reference
)

// AccessReason is what a staff member or API client states to reach a
// person's data: the purpose, the relationship that justifies it and, to
// unmask, a typed reason.
type AccessReason struct {
	Purpose      string `json:"purpose"`
	Relationship string `json:"relationship,omitempty"` // one of Relationship*
	Reference    string `json:"reference,omitempty"`    // e.g. the case reference
	Unmask       bool   `json:"unmask,omitempty"`
	Reason       string `json:"reason,omitempty"` // required to unmask; free text, not personal data
}

// Valid returns each field's problem, or nil.
func (r *AccessReason) Valid() map[string]string {
	problems := map[string]string{}
	if r.Purpose == "" {
		problems["purpose"] = "A purpose is required."
	}
	if r.Relationship != "" && r.Relationship != RelationshipCase {
		problems["relationship"] = "Relationship must be case."
	}
	if len(r.Reference) > 64 {
		problems["reference"] = "Reference must be at most 64 characters."
	}
	if r.Unmask && utf8.RuneCountInString(strings.TrimSpace(r.Reason)) < 10 {
		problems["reason"] = "To see masked fields, type a reason of at least 10 characters."
	}
	if len(r.Reason) > 500 {
		problems["reason"] = "Reason must be at most 500 characters."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// AccessRequest is one question to the gate: may this actor do this action
// to this person's data in these categories, for this purpose?
type AccessRequest struct {
	Actor        Actor
	Action       string
	PersonID     string
	Categories   []string
	Fields       []string
	Purpose      string
	Relationship string
	Reference    string
	Reason       string
	At           time.Time

	// Facts the store establishes before asking the gate.
	PersonExists bool
	Contracts    []Contract // the actor organisation's contracts, any state
}

// Decision is the gate's answer. Policy names the rule that decided; when
// the gate denies by default it is "default-deny".
type Decision struct {
	Allow      bool   `json:"allow"`
	Masked     bool   `json:"masked"`     // fields must be masked before they are shown
	Policy     string `json:"policy"`     // the policy id that decided
	ContractID string `json:"contractId"` // the contract the access relies on, if any
	Reason     string `json:"reason"`     // a safe explanation, for logs and the denied caller
}

// Gate decides every access to a person's data by anyone who is not that
// person or their guardian. It holds no state; the store gives it the facts
// and logs its decision in the same transaction as the work it guards.
type Gate interface {
	Decide(ctx context.Context, req AccessRequest) (Decision, error)
}

// AccessEntry is one row of the access log: a gate decision. Subject is a
// pseudonym of the person, never their name or number.
type AccessEntry struct {
	Seq          int64     `json:"seq"` // 1, 2, 3, ... without gaps
	At           time.Time `json:"at"`
	ActorKind    string    `json:"actorKind"`
	ActorID      string    `json:"actorId"`
	ActorRole    string    `json:"actorRole"`
	OrgID        string    `json:"orgId"`
	ContractID   string    `json:"contractId"`
	Purpose      string    `json:"purpose"`
	Relationship string    `json:"relationship"`
	Reference    string    `json:"reference"`
	Reason       string    `json:"reason"`
	Subject      string    `json:"subject"`
	Action       string    `json:"action"`
	Categories   string    `json:"categories"` // comma-separated, sorted
	Fields       string    `json:"fields"`     // comma-separated
	Decision     string    `json:"decision"`   // "allow" or "deny"
	Policy       string    `json:"policy"`
	PrevHash     string    `json:"prevHash"` // hex SHA-256 of the previous entry; zeros for the first
	Hash         string    `json:"hash"`     // hex SHA-256 of PrevHash and Record()
}

// Decisions as written in the access log.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// ZeroHash is the PrevHash of the first access-log entry.
var ZeroHash = strings.Repeat("0", 64)

// Record returns the canonical bytes of the entry that the chain and the
// Merkle tree commit to: every field but the hashes, length-prefixed, with
// the time in UTC nanoseconds.
func (e *AccessEntry) Record() []byte {
	var b []byte
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UTC().UnixNano()))
	for _, s := range []string{e.ActorKind, e.ActorID, e.ActorRole, e.OrgID, e.ContractID, e.Purpose,
		e.Relationship, e.Reference, e.Reason, e.Subject, e.Action, e.Categories, e.Fields, e.Decision, e.Policy} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// ChainHash returns the hash that links the entry to prevHash.
func (e *AccessEntry) ChainHash(prevHash string) string {
	h := sha256.New()
	h.Write([]byte("jaga-access-log-v1\n"))
	h.Write([]byte(prevHash))
	h.Write(e.Record())
	return hex.EncodeToString(h.Sum(nil))
}

// AccessView is an access-log entry as the person it concerns sees it: who,
// when, under which contract and why, in plain words.
type AccessView struct {
	Seq              int64     `json:"seq"`
	At               time.Time `json:"at"`
	PersonID         string    `json:"personId"`   // the caller or one of their dependants
	PersonName       string    `json:"personName"` // whose data, for the guardian's view
	Organisation     string    `json:"organisation"`
	OrganisationKind string    `json:"organisationKind"`
	Role             string    `json:"role"`
	ContractRef      string    `json:"contractRef"`
	Purpose          string    `json:"purpose"`
	Reason           string    `json:"reason"`
	Action           string    `json:"action"`
	Categories       []string  `json:"categories"`
	Fields           []string  `json:"fields"`
	Decision         string    `json:"decision"`
	Policy           string    `json:"policy"` // the gate policy that decided
}

// Checkpoint is a signed statement of the access log's Merkle tree at a size.
type Checkpoint struct {
	Size      int64     `json:"size"`
	RootHash  string    `json:"rootHash"` // base64, as in the signed note
	Note      string    `json:"note"`     // the signed note text
	CreatedAt time.Time `json:"createdAt"`
}

// AccessLog reads the access log. Appending happens only inside the store,
// in the transaction of the work that the entry guards.
type AccessLog interface {
	// AccessesToMe lists the accesses to the calling citizen's data and
	// their dependants', newest first.
	AccessesToMe(ctx context.Context, limit int) ([]*AccessView, error)

	// AccessEntries returns entries with Seq > after in order, at most limit.
	AccessEntries(ctx context.Context, after int64, limit int) ([]*AccessEntry, error)

	// Checkpoints returns every checkpoint, oldest first.
	Checkpoints(ctx context.Context) ([]*Checkpoint, error)

	// AddCheckpoint stores a checkpoint larger than the last.
	AddCheckpoint(ctx context.Context, c *Checkpoint) error
}
