package jaga

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Person is anyone whose data jaga holds: a citizen with an account (Phone or
// Email set) or a dependant acting through a guardian (GuardianID set).
type Person struct {
	ID          string    `json:"id"`
	GuardianID  string    `json:"guardianId,omitempty"`
	Phone       string    `json:"phone,omitempty"` // E.164, e.g. +60123456789
	Email       string    `json:"email,omitempty"` // lower case
	FullName    string    `json:"fullName"`        // as on the identity document
	IDType      string    `json:"idType"`          // IDTypeNRIC or IDTypePassport
	IDNumber    string    `json:"idNumber"`
	DateOfBirth string    `json:"dateOfBirth"` // YYYY-MM-DD
	Nationality string    `json:"nationality"` // ISO 3166-1 alpha-2
	Address     string    `json:"address"`
	Language    string    `json:"language"` // a supported language tag
	Masked      bool      `json:"masked,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Identity document types.
const (
	IDTypeNRIC     = "nric"     // Malaysian identity card (MyKad), 12 digits
	IDTypePassport = "passport" // any passport
)

// Languages jaga speaks. The first is the default.
var Languages = []string{"ms", "en"}

// DefaultLanguage is the language used when none is chosen.
const DefaultLanguage = "ms"

// SupportedLanguage reports whether tag is one of Languages.
func SupportedLanguage(tag string) bool {
	for _, l := range Languages {
		if l == tag {
			return true
		}
	}
	return false
}

// Profile is the part of a Person that its owner (or guardian) edits.
type Profile struct {
	FullName    string `json:"fullName"`
	IDType      string `json:"idType"`
	IDNumber    string `json:"idNumber"`
	DateOfBirth string `json:"dateOfBirth"`
	Nationality string `json:"nationality"`
	Address     string `json:"address"`
	Language    string `json:"language"`
}

var (
	nricPattern     = regexp.MustCompile(`^\d{6}-?\d{2}-?\d{4}$`)
	passportPattern = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Normalize trims the profile's fields and brings codes to their canonical
// case, so that equal profiles compare equal.
func (p *Profile) Normalize() {
	p.FullName = strings.Join(strings.Fields(p.FullName), " ")
	p.IDType = strings.ToLower(strings.TrimSpace(p.IDType))
	p.IDNumber = strings.ToUpper(strings.TrimSpace(p.IDNumber))
	if p.IDType == IDTypeNRIC {
		p.IDNumber = strings.ReplaceAll(p.IDNumber, "-", "")
	}
	p.DateOfBirth = strings.TrimSpace(p.DateOfBirth)
	p.Nationality = strings.ToUpper(strings.TrimSpace(p.Nationality))
	p.Address = strings.TrimSpace(p.Address)
	p.Language = strings.ToLower(strings.TrimSpace(p.Language))
	if p.Language == "" {
		p.Language = DefaultLanguage
	}
}

// Valid returns each field's problem, or nil when the profile is valid.
// now bounds the date of birth. Messages never repeat the value given.
func (p *Profile) Valid(now time.Time) map[string]string {
	problems := map[string]string{}
	switch n := utf8.RuneCountInString(p.FullName); {
	case n == 0:
		problems["fullName"] = "Full name is required."
	case n > 150:
		problems["fullName"] = "Full name must be at most 150 characters."
	case !utf8.ValidString(p.FullName) || strings.ContainsAny(p.FullName, "<>\x00"):
		problems["fullName"] = "Full name has characters that are not allowed."
	}
	switch p.IDType {
	case IDTypeNRIC:
		if !nricPattern.MatchString(p.IDNumber) {
			problems["idNumber"] = "An identity card number has 12 digits."
		}
	case IDTypePassport:
		if !passportPattern.MatchString(p.IDNumber) {
			problems["idNumber"] = "A passport number has 5 to 20 letters and digits."
		}
	default:
		problems["idType"] = "Identity document type must be nric or passport."
	}
	if dob, err := time.Parse(time.DateOnly, p.DateOfBirth); err != nil {
		problems["dateOfBirth"] = "Date of birth must be a date as YYYY-MM-DD."
	} else if dob.After(now) {
		problems["dateOfBirth"] = "Date of birth cannot be in the future."
	} else if dob.Before(now.AddDate(-130, 0, 0)) {
		problems["dateOfBirth"] = "Date of birth is more than 130 years ago."
	}
	if !countryPattern.MatchString(p.Nationality) {
		problems["nationality"] = "Nationality must be a two-letter country code, such as MY."
	}
	if utf8.RuneCountInString(p.Address) > 300 {
		problems["address"] = "Address must be at most 300 characters."
	}
	if !SupportedLanguage(p.Language) {
		problems["language"] = "Language must be ms or en."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Apply copies the profile onto the person.
func (p *Profile) Apply(to *Person) {
	to.FullName, to.IDType, to.IDNumber = p.FullName, p.IDType, p.IDNumber
	to.DateOfBirth, to.Nationality, to.Address, to.Language = p.DateOfBirth, p.Nationality, p.Address, p.Language
}

// Contact kinds.
const (
	ContactPhone = "phone"
	ContactEmail = "email"
)

// Contact is a verified way to reach a citizen: a phone number or an email.
type Contact struct {
	Kind  string `json:"kind"`  // ContactPhone or ContactEmail
	Value string `json:"value"` // normalized: E.164 or lower-case address
}

var (
	phoneDigits = regexp.MustCompile(`^\+?[0-9]+$`)
	phoneJunk   = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "")
)

// ParseContact reads a phone number or an email address as a citizen types
// it. Malaysian numbers may be written locally (012-345 6789); others need
// their country code (+65...). The error names the problem, never the value.
func ParseContact(s string) (Contact, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Contact{}, Errorf(EINVALID, "Enter a phone number or an email address.")
	}
	if strings.Contains(s, "@") {
		email, err := ParseEmail(s)
		return Contact{Kind: ContactEmail, Value: email}, err
	}
	phone, err := ParsePhone(s)
	return Contact{Kind: ContactPhone, Value: phone}, err
}

// ParsePhone returns the E.164 form of a phone number.
func ParsePhone(s string) (string, error) {
	p := phoneJunk.Replace(strings.TrimSpace(s))
	if !phoneDigits.MatchString(p) {
		return "", Errorf(EINVALID, "A phone number may hold only digits, spaces, dashes and a leading +.")
	}
	switch {
	case strings.HasPrefix(p, "+"):
	case strings.HasPrefix(p, "00"):
		p = "+" + p[2:]
	case strings.HasPrefix(p, "60"):
		p = "+" + p
	case strings.HasPrefix(p, "0"):
		p = "+60" + p[1:]
	default:
		return "", Errorf(EINVALID, "Start the phone number with 0 or with + and the country code.")
	}
	digits := p[1:]
	if strings.HasPrefix(digits, "0") {
		return "", Errorf(EINVALID, "A country code cannot start with 0.")
	}
	if len(digits) < 8 || len(digits) > 15 {
		return "", Errorf(EINVALID, "A phone number has 8 to 15 digits with its country code.")
	}
	if strings.HasPrefix(digits, "60") {
		// Malaysian mobile numbers: 60 1X followed by 7 or 8 digits.
		if len(digits) < 11 || len(digits) > 12 || digits[2] != '1' {
			return "", Errorf(EINVALID, "A Malaysian mobile number starts with 01 and has 10 or 11 digits.")
		}
	}
	return p, nil
}

// ParseEmail returns the normalized form of an email address: no display
// name, domain in lower case.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 254 {
		return "", Errorf(EINVALID, "An email address must be at most 254 characters.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", Errorf(EINVALID, "Enter an email address such as name@example.com.")
	}
	at := strings.LastIndexByte(a.Address, '@')
	local, domain := a.Address[:at], strings.ToLower(a.Address[at+1:])
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.ContainsAny(domain, "[]") {
		return "", Errorf(EINVALID, "The email address needs a domain such as example.com.")
	}
	return strings.ToLower(local) + "@" + domain, nil
}

// MaskedCopy returns a copy of p with its identifying fields reduced as jaga
// shows them to contractor roles: the identity number to its last four
// characters and the date of birth to its year. Contact details are removed.
func (p Person) MaskedCopy() Person {
	p.IDNumber = MaskIDNumber(p.IDNumber)
	if len(p.DateOfBirth) >= 4 {
		p.DateOfBirth = p.DateOfBirth[:4]
	}
	p.Phone, p.Email = MaskContact(p.Phone), MaskContact(p.Email)
	p.Address = ""
	p.Masked = true
	return p
}

// MaskIDNumber keeps only the last four characters of an identity number.
func MaskIDNumber(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// MaskContact keeps only the last two characters of a phone number or email.
func MaskContact(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 2 {
		return "**"
	}
	return "****" + s[len(s)-2:]
}

// PersonService manages citizens, their profiles and their dependants.
// The caller is the Actor in ctx.
type PersonService interface {
	// Person returns a person to that person or their guardian, in full.
	// Anyone else gets ENOTFOUND; staff read through ReadPerson.
	Person(ctx context.Context, id string) (*Person, error)

	// ReadPerson returns a person to staff or an API client through the
	// gate: the decision is logged whether it allows or denies. Returns
	// EFORBIDDEN when the gate denies, ENOTFOUND for an unknown person.
	ReadPerson(ctx context.Context, id string, why AccessReason) (*Person, error)

	// UpdateProfile sets the profile of the caller or one of their
	// dependants. Returns EINVALID with fields, or ENOTFOUND.
	UpdateProfile(ctx context.Context, id string, p Profile) (*Person, error)

	// AddDependant creates a person without their own contact, under the
	// calling citizen as guardian.
	AddDependant(ctx context.Context, p Profile) (*Person, error)

	// Dependants lists the calling citizen's dependants.
	Dependants(ctx context.Context) ([]*Person, error)
}
