package cert

import (
	"crypto/rand"
	"strings"

	"github.com/jaga-health/jaga"
)

// Unique certificate identifiers (UVCI), as the eHealth Network's
// guidelines define them (Annex 2): "URN:UVCI:", the version "01", the
// country, an opaque part, then "#" and a check character computed with
// the Luhn mod N algorithm over everything before "#", on the alphabet
// A-Z, 0-9, "/" and ":" (N = 38).

// uvciAlphabet is the Luhn mod N alphabet of UVCI check characters.
const uvciAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"

// uvciOpaqueAlphabet is the alphabet of the random opaque part: capital
// letters and digits less the ones easily misread (I, O, 0, 1).
const uvciOpaqueAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// uvciOpaqueLength gives 26 * 5 = 130 random bits.
const uvciOpaqueLength = 26

// NewUVCI returns a new unique certificate identifier for country:
// "URN:UVCI:01:" country ":" 26 random characters "#" check character.
func NewUVCI(country string) (string, error) {
	if !isCountryCode(country) {
		return "", jaga.Errorf(jaga.EINVALID, "The country must be an ISO 3166-1 alpha-2 code.")
	}
	var rnd [uvciOpaqueLength]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString("URN:UVCI:01:")
	sb.WriteString(country)
	sb.WriteByte(':')
	for _, b := range rnd {
		sb.WriteByte(uvciOpaqueAlphabet[b%byte(len(uvciOpaqueAlphabet))]) // 256 is a multiple of 32: no bias
	}
	body := sb.String()
	c, _ := LuhnModN(body)
	return body + "#" + string(c), nil
}

// LuhnModN returns the check character of s on the UVCI alphabet (A-Z,
// 0-9, "/", ":"), upper-casing s first; ok is false if s has a character
// outside the alphabet.
func LuhnModN(s string) (check byte, ok bool) {
	const n = len(uvciAlphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		cp := strings.IndexByte(uvciAlphabet, c)
		if cp < 0 {
			return 0, false
		}
		addend := factor * cp
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
		sum += addend/n + addend%n
	}
	return uvciAlphabet[(n-sum%n)%n], true
}

// CheckUVCI reports whether the UVCI ci ends in "#" and the right check
// character. A UVCI without "#" has no check character to check.
func CheckUVCI(ci string) bool {
	i := strings.LastIndexByte(ci, '#')
	if i < 0 || i != len(ci)-2 {
		return false
	}
	c, ok := LuhnModN(ci[:i])
	want := ci[i+1]
	if want >= 'a' && want <= 'z' {
		want -= 'a' - 'A'
	}
	return ok && c == want
}
