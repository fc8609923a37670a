package jaga

import (
	"slices"
	"strings"
	"time"
)

// Self-service outcomes: what a fix found.
const (
	OutcomeFixed          = "fixed"           // the fix changed something: a dose reached the certificate
	OutcomeUnchanged      = "unchanged"       // the registry holds doses, and the certificate already says what they say
	OutcomeNoDoses        = "no_doses"        // the registry holds no dose for the person
	OutcomeExplained      = "explained"       // the status was shown with its reason, rule, window and end
	OutcomeSent           = "sent"            // a notice with a link to the certificate was queued to the citizen
	OutcomeNoCertificate  = "no_certificate"  // there is no certificate to send yet
	OutcomeVerified       = "verified"        // a foreign certificate's signature holds and it is valid
	OutcomeNotVerified    = "not_verified"    // a foreign certificate could not be verified; Detail says why
	OutcomeContactUpdated = "contact_updated" // a phone number or email was changed with a one-time code
)

// MaxCertificatePayload bounds the text of a certificate's QR code that a
// citizen submits for verification.
const MaxCertificatePayload = 8192

// FixAttemptWindow is how long a fix's attempt is carried into a ticket the
// citizen then opens about the same person.
const FixAttemptWindow = 24 * time.Hour

// RunnableFixes are the fixes that jaga runs itself. Updating a contact is
// the account's own flow, which records its attempt when the code is
// confirmed.
var RunnableFixes = []string{FixRefreshRecord, FixExplainStatus, FixResendCert, FixVerifyOverseas}

// ResolvingOutcome reports whether a fix's outcome is likely to have
// solved the problem.
func ResolvingOutcome(outcome string) bool {
	return outcome == OutcomeFixed || outcome == OutcomeSent || outcome == OutcomeVerified || outcome == OutcomeContactUpdated
}

// FixRequest is a citizen's request to run a self-service fix for
// themselves or a dependant.
type FixRequest struct {
	Fix      string `json:"fix"`
	PersonID string `json:"personId,omitempty"` // the citizen or a dependant; if empty, the citizen
	Type     string `json:"type,omitempty"`     // the ticket type the citizen came with, if any
	// Payload is the text of a foreign certificate's QR code, for
	// FixVerifyOverseas only; it is verified and never stored.
	Payload string `json:"payload,omitempty"`
}

// Valid returns the request's problems, or nil.
func (f *FixRequest) Valid() map[string]string {
	problems := map[string]string{}
	if !slices.Contains(RunnableFixes, f.Fix) {
		problems["fix"] = "Fix must be one of " + strings.Join(RunnableFixes, ", ") + "."
	}
	f.Payload = strings.TrimSpace(f.Payload)
	switch {
	case f.Fix == FixVerifyOverseas && f.Payload == "":
		problems["payload"] = "Paste the text of the certificate's QR code."
	case f.Fix == FixVerifyOverseas && len(f.Payload) > MaxCertificatePayload:
		problems["payload"] = "This is too long to be a certificate's QR code."
	case f.Fix != FixVerifyOverseas && f.Payload != "":
		problems["payload"] = "Only the overseas certificate check takes a certificate."
	}
	if f.Type != "" {
		if _, ok := TicketTypeByCode(f.Type); !ok {
			problems["type"] = "Ticket type must be one of " + strings.Join(TicketTypeCodes(), ", ") + "."
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// FixAttempt is one self-service fix as it ran. A ticket the citizen opens
// afterwards about the same person carries the attempts of its type's
// fixes from the FixAttemptWindow before, so that the agent sees what was
// tried and what it found.
type FixAttempt struct {
	ID       string    `json:"id"`
	Fix      string    `json:"fix"`
	PersonID string    `json:"personId"`
	Outcome  string    `json:"outcome"`
	Detail   string    `json:"detail"` // what it found, in English, for the agent
	At       time.Time `json:"at"`
	// Resolved reports whether the fix is likely to have solved the
	// problem; the citizen still decides whether to open a ticket.
	Resolved bool `json:"resolved"`

	// What the citizen is shown; not stored.
	Refresh *RefreshResult `json:"refresh,omitempty"`
	Risk    *RiskView      `json:"risk,omitempty"`
	Verify  *VerifyResult  `json:"verify,omitempty"`
}

// FixesFor returns the self-service fixes offered for a ticket type; for
// "" every fix.
func FixesFor(ticketType string) []string {
	if ticketType == "" {
		return []string{FixRefreshRecord, FixExplainStatus, FixResendCert, FixUpdateContact, FixVerifyOverseas}
	}
	t, _ := TicketTypeByCode(ticketType)
	return t.SelfService
}

// CertificateLinkNotice is the notice that re-sends a certificate: a link
// to it in jaga, never the certificate itself, which an SMS or an email
// would carry beyond the citizen's sight.
func CertificateLinkNotice() Notice {
	return Notice{
		Subject: map[string]string{"ms": "jaga: sijil vaksinasi anda", "en": "jaga: your vaccination certificate"},
		Body: map[string]string{
			"ms": "Sijil vaksinasi anda ada dalam aplikasi jaga, di Sijil saya (/me/certificates): tunjukkan kod QR atau muat turun PDF. Pegawai kami tidak pernah meminta sijil atau kad pengenalan anda melalui media sosial.",
			"en": "Your vaccination certificate is in the jaga app, under My certificates (/me/certificates): show its QR code or download the PDF. Our officers never ask for your certificate or identity card through social media.",
		},
	}
}
