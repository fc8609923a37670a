package cert

import (
	"encoding/base64"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/jaga-health/jaga"
)

// Value-set codes jaga writes in the vaccination entries it issues.
const (
	TargetCOVID19     = "840539006"  // disease-agent-targeted: COVID-19
	ProphylaxisMRNA   = "1119349007" // vaccine-prophylaxis: SARS-CoV-2 mRNA vaccine
	ProphylaxisAntig  = "1119305005" // vaccine-prophylaxis: SARS-CoV-2 antigen vaccine
	ProphylaxisCOVID  = "J07BX03"    // vaccine-prophylaxis: covid-19 vaccines
	DefaultIssuerName = "Ministry of Health Malaysia"
)

// prophylaxisOf maps a medicinal product to its vaccine-prophylaxis code:
// mRNA vaccines by their technology, the rest by the ATC class.
var prophylaxisOf = map[string]string{
	"EU/1/20/1528": ProphylaxisMRNA,
	"EU/1/20/1507": ProphylaxisMRNA,
	"CVnCoV":       ProphylaxisMRNA,
}

// Signer issues jaga's certificates with one [Issuer]; it implements
// jaga.CertificateSigner. The issuer may be swapped while it is in use, as
// when a new document-signer key becomes active.
type Signer struct {
	mu     sync.RWMutex // guards issuer
	issuer *Issuer

	// IssuerName is the "is" field of each entry; DefaultIssuerName if
	// empty.
	IssuerName string
	// Validity is how long a certificate is valid;
	// jaga.CertificateValidity if zero.
	Validity time.Duration
}

// NewSigner returns a signer that issues with is (nil: none loaded yet).
func NewSigner(is *Issuer) *Signer { return &Signer{issuer: is} }

// Use makes is the issuer of every certificate from now on.
func (s *Signer) Use(is *Issuer) {
	s.mu.Lock()
	s.issuer = is
	s.mu.Unlock()
}

// Issuer returns the issuer in use, or nil.
func (s *Signer) Issuer() *Issuer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.issuer
}

// Sign implements jaga.CertificateSigner.
func (s *Signer) Sign(c *jaga.CertificateContent, iat time.Time) (*jaga.SignedCertificate, error) {
	is := s.Issuer()
	if is == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "No document-signer key is loaded; certificates cannot be issued.")
	}
	dcc, err := DCCOf(c, is.Country(), s.IssuerName)
	if err != nil {
		return nil, err
	}
	validity := s.Validity
	if validity <= 0 {
		validity = jaga.CertificateValidity
	}
	iat = iat.Truncate(time.Second)
	exp := iat.Add(validity)
	if na := is.Certificate().NotAfter; exp.After(na) {
		exp = na // a certificate never outlives the key that signs it
	}
	payload, err := is.Issue(*dcc, iat, exp)
	if err != nil {
		return nil, err
	}
	return &jaga.SignedCertificate{
		ID:        dcc.Vaccinations[0].CertificateID,
		Payload:   payload,
		KID:       base64.StdEncoding.EncodeToString(is.KID()),
		Country:   is.Country(),
		ExpiresAt: exp.UTC(),
	}, nil
}

// DCCOf returns the EU DCC of a vaccination certificate's content, with a
// new certificate identifier of country. The holder's full name is the
// family name, as on a Malaysian passport, whose machine-readable zone
// carries the whole name as the primary identifier.
func DCCOf(c *jaga.CertificateContent, country, issuerName string) (*DCC, error) {
	if issuerName == "" {
		issuerName = DefaultIssuerName
	}
	fnt := ICAOName(c.FullName)
	if fnt == "" {
		return nil, jaga.Invalid(map[string]string{"fullName": "has no letter a certificate can carry"})
	}
	ci, err := NewUVCI(country)
	if err != nil {
		return nil, err
	}
	d := &c.Dose
	vp := prophylaxisOf[d.Product]
	if vp == "" {
		vp = ProphylaxisCOVID
	}
	return &DCC{
		Version:     SchemaVersion,
		Name:        PersonName{FamilyName: truncateRunes(c.FullName, 80), FamilyNameStd: fnt},
		DateOfBirth: c.DateOfBirth,
		Vaccinations: []Vaccination{{
			Target: TargetCOVID19, Vaccine: vp, Product: d.Product, Manufacturer: d.Manufacturer,
			DoseNumber: d.DoseNumber, TotalDoses: d.TotalDoses, Date: d.GivenOn, Country: d.Country,
			Issuer: issuerName, CertificateID: ci,
		}},
	}, nil
}

// icaoSpecial are the ICAO 9303 transliterations of letters that do not
// decompose into a Latin letter and marks.
var icaoSpecial = map[rune]string{
	'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Ø': "OE", 'ø': "OE", 'Œ': "OE", 'œ': "OE",
	'Þ': "TH", 'þ': "TH", 'Đ': "D", 'đ': "D", 'Ł': "L", 'ł': "L", 'Ħ': "H", 'ħ': "H",
	'Ð': "D", 'ð': "D", 'ı': "I",
}

// ICAOName returns name as ICAO Doc 9303 writes it in a machine-readable
// zone: Latin capitals, diacritics dropped, every other character a "<",
// no "<" at either end or twice in a row, at most 80 characters. Letters
// of other scripts are dropped.
func ICAOName(name string) string {
	var b strings.Builder
	filler := false
	for _, r := range norm.NFD.String(name) {
		var s string
		switch {
		case r >= 'a' && r <= 'z':
			s = string(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z':
			s = string(r)
		case unicode.Is(unicode.Mn, r):
			continue
		case icaoSpecial[r] != "":
			s = icaoSpecial[r]
		case unicode.IsLetter(r):
			continue
		default:
			filler = b.Len() > 0
			continue
		}
		if filler {
			b.WriteByte('<')
			filler = false
		}
		b.WriteString(s)
	}
	out := b.String()
	if len(out) > 80 {
		out = strings.TrimRight(out[:80], "<")
	}
	return out
}

// truncateRunes returns s cut to at most n characters.
func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

var _ jaga.CertificateSigner = (*Signer)(nil)
