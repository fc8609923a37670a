package jaga

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Boarding consent codes: a passenger shows one at the gate so that an
// airline learns only what the passenger chose to share.
const (
	// ConsentCodeTTL is how long a consent code may be used.
	ConsentCodeTTL = 10 * time.Minute
	// ConsentCodeLength is the characters of a consent code.
	ConsentCodeLength = 8
	// ConsentAlphabet spells consent codes without characters that are
	// misread aloud or on a screen (0 and O, 1, I and L, U and V).
	ConsentAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
)

// ConsentShare is what a passenger lets an airline learn.
type ConsentShare struct {
	// CertificateValid shares whether the passenger's certificate is valid
	// for travel.
	CertificateValid bool `json:"certificateValid"`
	// NameMatch shares whether the name on the passport matches the
	// passenger's record.
	NameMatch bool `json:"nameMatch"`
}

// NewConsentCode is a citizen's request for a consent code.
type NewConsentCode struct {
	PersonID string       `json:"personId,omitempty"` // the citizen or a dependant; if empty, the citizen
	Share    ConsentShare `json:"share"`
}

// Valid returns the request's problems, or nil.
func (n *NewConsentCode) Valid() map[string]string {
	if !n.Share.CertificateValid && !n.Share.NameMatch {
		return map[string]string{"share": "Choose at least one thing to share with the airline."}
	}
	return nil
}

// ConsentCode is a code a passenger shows at the gate. Code is returned
// once, when it is made; jaga keeps only its hash.
type ConsentCode struct {
	Code      string       `json:"code"`
	PersonID  string       `json:"personId"`
	Share     ConsentShare `json:"share"`
	ExpiresAt time.Time    `json:"expiresAt"`
}

// NormalizeConsentCode returns a typed code in its canonical form: capital
// letters, without spaces or dashes, and false if it cannot be a consent
// code.
func NormalizeConsentCode(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-':
		case r < utf8.RuneSelf && strings.IndexByte(ConsentAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != ConsentCodeLength {
		return "", false
	}
	return b.String(), true
}

// BoardingQuery is an airline agent's question at the gate.
type BoardingQuery struct {
	Code         string `json:"code"`         // the passenger's consent code
	PassportName string `json:"passportName"` // the name as printed on the passport
	Flight       string `json:"flight"`       // e.g. MH370
	Airport      string `json:"airport"`      // e.g. KUL
}

// Valid normalizes the query and returns its problems, or nil. Messages
// never repeat the values.
func (q *BoardingQuery) Valid() map[string]string {
	problems := map[string]string{}
	code, ok := NormalizeConsentCode(q.Code)
	if !ok {
		problems["code"] = "A consent code is 8 letters and digits, as the passenger's jaga app shows it."
	}
	q.Code = code
	q.PassportName = strings.Join(strings.Fields(q.PassportName), " ")
	if n := utf8.RuneCountInString(q.PassportName); n < 2 || n > 150 || !utf8.ValidString(q.PassportName) || strings.ContainsAny(q.PassportName, "<>\x00") {
		problems["passportName"] = "Give the name as printed on the passport."
	}
	q.Flight = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(q.Flight), " ", ""))
	if !flightPattern.MatchString(q.Flight) {
		problems["flight"] = "Give the flight number as on the boarding pass, such as MH370."
	}
	q.Airport = strings.ToUpper(strings.TrimSpace(q.Airport))
	if !airportPattern.MatchString(q.Airport) {
		problems["airport"] = "Give the airport's three-letter code, such as KUL."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// BoardingAnswer is all an airline learns: the answers the passenger
// consented to, nil where they did not, and the reference of the ticket
// opened in the 24-hour lane when an answer is no.
type BoardingAnswer struct {
	Reference        string `json:"reference"`                  // the query's own reference, as in the access log
	CertificateValid *bool  `json:"certificateValid,omitempty"` // shared only with consent
	NameMatches      *bool  `json:"nameMatches,omitempty"`      // shared only with consent
	Ticket           string `json:"ticket,omitempty"`           // a ticket's reference, when an answer is no
}
