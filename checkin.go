package jaga

import (
	"context"
	"time"
)

// Check-in rules.
const (
	SameVisitWindow   = 30 * time.Minute // a second check-in this soon at the same premises is the same visit
	OfflineMaxAge     = 14 * 24 * time.Hour
	OfflineMaxAhead   = 5 * time.Minute // clock skew allowed for a phone's scan time
	OfflineMaxBatch   = 500
	MaxCheckInPeople  = 1 + MaxDependantsPerCheckIn
	DefaultRetention  = 90 * 24 * time.Hour
	MaxStayBeforeAuto = 24 * time.Hour // no visit lasts longer than this without check-out
)

// MaxDependantsPerCheckIn bounds the dependants checked in in one action.
const MaxDependantsPerCheckIn = 10

// Check-in sources.
const (
	SourceScan     = "scan"
	SourceCode     = "code"
	SourceOffline  = "offline"
	SourceAssisted = "assisted"
)

// Risk statuses, from lowest to highest precedence.
const (
	RiskLow          = "low_risk"
	RiskRecovered    = "recovered"
	RiskCasual       = "casual_contact"
	RiskClose        = "close_contact"
	RiskSurveillance = "person_under_surveillance"
	RiskConfirmed    = "confirmed"
)

// Vaccination statuses as the door shows them.
const (
	VaxNotRecorded = "not_recorded"
	VaxPartial     = "partial"
	VaxComplete    = "complete"
	VaxBooster     = "booster"
)

// Visit is one person's stay at a premises.
type Visit struct {
	ID           string     `json:"id"`
	PersonID     string     `json:"personId"`
	PremisesID   string     `json:"premisesId"`
	PremisesName string     `json:"premisesName,omitempty"`
	CheckedInAt  time.Time  `json:"checkedInAt"`
	LeavesAt     time.Time  `json:"leavesAt"` // the automatic check-out
	CheckedOutAt *time.Time `json:"checkedOutAt,omitempty"`
	Source       string     `json:"source"`
	SameVisit    bool       `json:"sameVisit,omitempty"` // an earlier check-in within SameVisitWindow
}

// DoorStatus is what the door shows for one visitor: their status codes;
// the web layer words them in the visitor's language.
type DoorStatus struct {
	PersonID    string `json:"personId"`
	Name        string `json:"name"`
	Language    string `json:"language"`
	Risk        string `json:"risk"`
	Vaccination string `json:"vaccination"`
}

// CheckInRequest is a check-in for the caller and, optionally, some of
// their dependants, by scanned token or typed short code.
type CheckInRequest struct {
	Token      string    `json:"token,omitempty"`
	ShortCode  string    `json:"shortCode,omitempty"`
	Dependants []string  `json:"dependants,omitempty"` // dependants' person ids
	Self       *bool     `json:"self,omitempty"`       // if nil, true
	At         time.Time `json:"-"`                    // set by the server
}

// CheckInResult is the answer to a check-in: the visits and the door screen.
type CheckInResult struct {
	Premises *Premises    `json:"premises"`
	Visits   []Visit      `json:"visits"`
	Door     []DoorStatus `json:"door"`
}

// OfflineCheckIn is a check-in made on a phone without a connection.
type OfflineCheckIn struct {
	ClientID   string    `json:"clientId"` // unique per phone and check-in
	Token      string    `json:"token"`
	Dependants []string  `json:"dependants,omitempty"`
	Self       *bool     `json:"self,omitempty"`
	ScannedAt  time.Time `json:"scannedAt"`
}

// OfflineResult is the outcome of one offline check-in.
type OfflineResult struct {
	ClientID string  `json:"clientId"`
	Visits   []Visit `json:"visits,omitempty"`
	Error    string  `json:"error,omitempty"` // a safe message when refused
}

// CheckInService records check-ins. Every write is acknowledged only once
// the batch holding it is durable.
type CheckInService interface {
	// CheckIn checks in the calling citizen and chosen dependants.
	CheckIn(ctx context.Context, req CheckInRequest) (*CheckInResult, error)
	// CheckOut ends one of the caller's (or their dependants') visits now.
	CheckOut(ctx context.Context, visitID string) (*Visit, error)
	// UploadOffline records check-ins made offline; each is judged alone
	// and a repeated client id returns the visit already stored.
	UploadOffline(ctx context.Context, batch []OfflineCheckIn) ([]OfflineResult, error)
	// Visits lists the caller's and their dependants' recent visits.
	Visits(ctx context.Context, limit int) ([]Visit, error)
	// AssistedCheckIn is for premises staff: check in a visitor without a
	// phone, found by identity number and full name, through the gate.
	AssistedCheckIn(ctx context.Context, premisesID, idNumber, fullName string) (*CheckInResult, error)
	// PurgeCheckIns removes check-ins older than the retention period.
	PurgeCheckIns(ctx context.Context, retention time.Duration) (int64, error)
}
