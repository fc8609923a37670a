package jaga

import (
	"context"
	"time"
)

// One-time code rules.
const (
	CodeDigits      = 6
	CodeTTL         = 5 * time.Minute
	CodeMaxAttempts = 5 // wrong codes before the challenge is spent
	CodeMaxSends    = 3 // codes sent to one destination per CodeSendWindow
	CodeSendWindow  = 15 * time.Minute
	CodeResendGap   = 30 * time.Second // minimum time between two sends
)

// Challenge purposes.
const (
	ChallengeSignIn        = "sign_in"
	ChallengeChangeContact = "change_contact"
)

// Challenge is a one-time code sent to a phone or email. Only its hash is
// stored; the code itself goes to the outbox.
type Challenge struct {
	ID        string    `json:"challengeId"`
	Purpose   string    `json:"purpose"`
	Contact   Contact   `json:"-"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Session lifetimes.
const (
	CitizenSessionTTL = 30 * 24 * time.Hour
	StaffSessionTTL   = 12 * time.Hour
	StaffIdleTimeout  = 15 * time.Minute
	StaffMaxFailures  = 5
	StaffLockout      = 15 * time.Minute
)

// Session is a signed-in actor's session: a web cookie or an API bearer
// token. Only the token's hash is stored.
type Session struct {
	Actor     *Actor
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AccountService signs citizens in and manages their sessions and contacts.
type AccountService interface {
	// StartSignIn sends a code to a contact; a new contact becomes a new
	// account when the code is verified. Returns ERATELIMIT when codes were
	// sent too often.
	StartSignIn(ctx context.Context, contact string) (*Challenge, error)
	// VerifySignIn checks a code and returns the citizen, creating the
	// account on first sign-in. Wrong, expired and spent codes return
	// EUNAUTHORIZED; too many wrong codes spend the challenge.
	VerifySignIn(ctx context.Context, challengeID, code string) (*Actor, error)

	// RegisterCitizen creates a citizen account with a contact already
	// verified elsewhere and a profile; for jaga itself (imports, the demo).
	RegisterCitizen(ctx context.Context, c Contact, p Profile) (*Person, error)

	// StartContactChange sends a code to the caller's new contact.
	StartContactChange(ctx context.Context, contact string) (*Challenge, error)
	// VerifyContactChange replaces the caller's phone or email.
	VerifyContactChange(ctx context.Context, challengeID, code string) (*Person, error)

	// CreateSession returns a new session token for the actor.
	CreateSession(ctx context.Context, a *Actor) (token string, s *Session, err error)
	// Session returns the live session for a token, refreshing its idle
	// clock; EUNAUTHORIZED when unknown, expired or idle too long.
	Session(ctx context.Context, token string) (*Session, error)
	// DeleteSession signs out.
	DeleteSession(ctx context.Context, token string) error
}

// Message is a notification waiting in, or sent from, the outbox.
type Message struct {
	ID          int64      `json:"id"`
	Channel     string     `json:"channel"` // ContactPhone (SMS) or ContactEmail
	Destination string     `json:"destination"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	CreatedAt   time.Time  `json:"createdAt"`
	SentAt      *time.Time `json:"sentAt,omitempty"`
}

// Outbox holds notifications until a job delivers them.
type Outbox interface {
	// RecentMessages lists the newest messages; for the demo outbox page only.
	RecentMessages(ctx context.Context, limit int) ([]*Message, error)
}
