package jaga

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Premises types and how long a visit lasts when the visitor never checks
// out: the automatic check-out comes this long after the check-in.
var PremisesTypes = map[string]time.Duration{
	"restaurant":        90 * time.Minute,
	"retail":            60 * time.Minute,
	"supermarket":       60 * time.Minute,
	"mall":              3 * time.Hour,
	"office":            9 * time.Hour,
	"factory":           9 * time.Hour,
	"school":            8 * time.Hour,
	"place_of_worship":  2 * time.Hour,
	"clinic":            2 * time.Hour,
	"hospital":          4 * time.Hour,
	"transport":         60 * time.Minute,
	"hotel":             12 * time.Hour,
	"gym":               2 * time.Hour,
	"government_office": 2 * time.Hour,
	"event":             4 * time.Hour,
	"other":             2 * time.Hour,
}

// States are Malaysia's states and federal territories, as the ministry's
// open data names them.
var States = []string{"Johor", "Kedah", "Kelantan", "Melaka", "Negeri Sembilan", "Pahang", "Perak", "Perlis",
	"Pulau Pinang", "Sabah", "Sarawak", "Selangor", "Terengganu", "W.P. Kuala Lumpur", "W.P. Labuan", "W.P. Putrajaya"}

// Premises is a place where visitors check in.
type Premises struct {
	ID           string    `json:"id"`
	OrgID        string    `json:"orgId"` // the premises owner organisation
	Name         string    `json:"name"`
	Type         string    `json:"type"`
	Address      string    `json:"address"`
	State        string    `json:"state"`
	Latitude     float64   `json:"latitude"`
	Longitude    float64   `json:"longitude"`
	Capacity     int       `json:"capacity"`
	ShortCode    string    `json:"shortCode"`    // typed by visitors who cannot scan
	TokenVersion int       `json:"tokenVersion"` // rotating the code raises it
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	// Seq is the store's number for the premises, which check-in rows
	// hold instead of the id; never shown.
	Seq int64 `json:"-"`
}

// DefaultStay is how long a visit to the premises lasts without check-out.
func (p *Premises) DefaultStay() time.Duration {
	if d, ok := PremisesTypes[p.Type]; ok {
		return d
	}
	return PremisesTypes["other"]
}

// Valid normalizes the premises' fields and returns each one's problem.
func (p *Premises) Valid() map[string]string {
	problems := map[string]string{}
	p.Name = strings.Join(strings.Fields(p.Name), " ")
	p.Address = strings.TrimSpace(p.Address)
	p.Type = strings.TrimSpace(p.Type)
	if n := utf8.RuneCountInString(p.Name); n < 2 || n > 120 {
		problems["name"] = "Name must be 2 to 120 characters."
	}
	if _, ok := PremisesTypes[p.Type]; !ok {
		problems["type"] = "Type must be a known premises type, such as restaurant or office."
	}
	if n := utf8.RuneCountInString(p.Address); n < 5 || n > 300 {
		problems["address"] = "Address must be 5 to 300 characters."
	}
	if !contains(States, p.State) {
		problems["state"] = "State must be one of Malaysia's states or federal territories."
	}
	if math.IsNaN(p.Latitude) || p.Latitude < 0.5 || p.Latitude > 7.5 || math.IsNaN(p.Longitude) || p.Longitude < 99 || p.Longitude > 120 {
		problems["latitude"] = "Coordinates must lie in Malaysia (latitude 0.5 to 7.5, longitude 99 to 120)."
	}
	if p.Capacity < 1 || p.Capacity > 200000 {
		problems["capacity"] = "Capacity must be 1 to 200000."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// shortCodeAlphabet has no letters or digits that read alike (0/O, 1/I/L).
const shortCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewShortCode returns a random short code such as "K7QX-M4PD".
func NewShortCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, shortCodeAlphabet[int(c)%len(shortCodeAlphabet)])
	}
	return string(out)
}

// NormalizeShortCode brings a typed short code to its stored form, or
// returns "" when it cannot be one.
func NormalizeShortCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(s) != 8 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(shortCodeAlphabet, r) {
			return ""
		}
	}
	return s[:4] + "-" + s[4:]
}

// PremisesTokenPrefix starts every premises QR code.
const PremisesTokenPrefix = "JAGA1:"

const (
	tokenVersionByte = 1
	tokenMACLen      = 16
	tokenLen         = 1 + 16 + 4 + tokenMACLen
)

// PremisesToken is what a premises QR code carries: the premises and the
// version of its code, authenticated with the server's token key.
type PremisesToken struct {
	PremisesID string // 32 hex characters
	Version    int
}

// SignPremisesToken returns the QR text of a premises token.
func SignPremisesToken(key []byte, t PremisesToken) (string, error) {
	id, err := hex.DecodeString(t.PremisesID)
	if err != nil || len(id) != 16 {
		return "", Errorf(EINVALID, "A premises id has 32 hexadecimal characters.")
	}
	b := make([]byte, 0, tokenLen)
	b = append(b, tokenVersionByte)
	b = append(b, id...)
	b = binary.BigEndian.AppendUint32(b, uint32(t.Version))
	b = append(b, tokenMAC(key, b)...)
	return PremisesTokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("jaga premises token\n"))
	m.Write(msg)
	return m.Sum(nil)[:tokenMACLen]
}

// ParsePremisesToken checks a scanned QR text and returns the token. Each
// kind of fault has its own message; none repeats the input.
func ParsePremisesToken(key []byte, s string) (PremisesToken, error) {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return PremisesToken{}, Errorf(EINVALID, "This QR code is too long to be a jaga premises code.")
	}
	rest, ok := strings.CutPrefix(s, PremisesTokenPrefix)
	if !ok {
		return PremisesToken{}, Errorf(EINVALID, "This QR code is not a jaga premises code.")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return PremisesToken{}, Errorf(EINVALID, "This premises code is damaged: it is not valid base64url.")
	}
	if len(b) != tokenLen {
		return PremisesToken{}, Errorf(EINVALID, "This premises code is damaged: it has the wrong length.")
	}
	if b[0] != tokenVersionByte {
		return PremisesToken{}, Errorf(EINVALID, "This premises code is of an unknown format version.")
	}
	if !hmac.Equal(tokenMAC(key, b[:tokenLen-tokenMACLen]), b[tokenLen-tokenMACLen:]) {
		return PremisesToken{}, Errorf(EINVALID, "This premises code is not genuine: its signature does not match.")
	}
	return PremisesToken{PremisesID: hex.EncodeToString(b[1:17]), Version: int(binary.BigEndian.Uint32(b[17:21]))}, nil
}

// Visit counts a premises owner sees: never identities.
type VisitCount struct {
	Start  time.Time `json:"start"` // the hour or day, in Malaysia time
	Visits int       `json:"visits"`
}

// PremisesService registers premises and their codes.
type PremisesService interface {
	// CreatePremises is for premises staff of a premises-owner organisation.
	CreatePremises(ctx context.Context, p *Premises) error
	// Premises returns one premises to its owner's staff and the ministry.
	Premises(ctx context.Context, id string) (*Premises, error)
	// OrganisationPremises lists an organisation's premises for its staff.
	OrganisationPremises(ctx context.Context, orgID string) ([]*Premises, error)
	// RotateCode gives the premises a new token version and short code;
	// the old QR code and short code stop working at once.
	RotateCode(ctx context.Context, id string) (*Premises, error)
	// Token returns the premises' current signed QR text.
	Token(ctx context.Context, id string) (string, error)
	// VisitCounts returns visits per hour or per day ("hour", "day") in
	// [from, to), for the owner's staff.
	VisitCounts(ctx context.Context, id, unit string, from, to time.Time) ([]VisitCount, error)
}
