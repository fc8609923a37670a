package cert

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Schema checks. The DCC schema is JSON Schema 2020-12, where "format" is
// an annotation and not an assertion; jaga checks what the schema asserts
// (required fields, types, one group of one entry, patterns, lengths) and
// reports the rest as warnings for a foreign certificate: codes missing from
// the value sets, dates that do not parse, doses below 1, an empty country.
// Issuing is strict: every warning is an error.

// schemaMaxLength is the schema's maxLength of names, issuer, certificate
// id, test name and testing centre (in characters).
const schemaMaxLength = 80

// checker collects the result of validating one DCC.
type checker struct {
	strict   bool
	at       time.Time
	warnings []string
	err      error
}

// fail records the first schema error.
func (c *checker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = stepErr(StepSchema, format, args...)
	}
}

// warn records a warning, or in strict mode an error.
func (c *checker) warn(format string, args ...any) {
	if c.strict {
		c.fail(format, args...)
		return
	}
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// validateDCC checks d, decoded from raw, against the DCC schema at time at
// (a date of birth after at is an error). In strict mode (issuing) every
// warning is an error. The error is a *StepError with step "schema".
func validateDCC(d *DCC, raw []byte, at time.Time, strict bool) ([]string, error) {
	c := &checker{strict: strict, at: at}
	var top fieldSet
	var groups int
	if raw == nil {
		// Issuing: the encoder writes every required field, so only the
		// groups need counting.
		top = fVer | fNam | fDob
		c.checkName(d, nil)
		for _, g := range []struct {
			key string
			n   int
		}{{"v", len(d.Vaccinations)}, {"t", len(d.Tests)}, {"r", len(d.Recoveries)}} {
			if g.n > 0 {
				groups++
				c.checkGroupLen(g.key, g.n)
			}
		}
	} else {
		var nam []byte
		var groupKeys [3]string
		var groupVals [3][]byte
		if err := cborMapEach(raw, func(key, val []byte) error {
			switch string(key) {
			case "ver":
				top |= fVer
			case "nam":
				top |= fNam
				nam = val
			case "dob":
				top |= fDob
			case "v", "t", "r":
				if groups < len(groupKeys) {
					groupKeys[groups], groupVals[groups] = string(key), val
				}
				groups++
			}
			return nil
		}); err != nil {
			return nil, wrapErr(StepSchema, "DCC is not a map", err)
		}
		if groups > 1 {
			c.fail("DCC has %d groups among v, t and r; exactly one is allowed", groups)
		}
		if nam != nil {
			c.checkName(d, nam)
		}
		for i := 0; i < min(groups, len(groupKeys)); i++ {
			c.checkGroup(groupKeys[i], groupVals[i])
		}
	}
	switch {
	case top&fVer == 0:
		c.fail("DCC has no schema version (ver)")
	case top&fNam == 0:
		c.fail("DCC has no name (nam)")
	case top&fDob == 0:
		c.fail("DCC has no date of birth (dob)")
	case groups == 0:
		c.fail("DCC has no vaccination, test or recovery group (v, t or r)")
	case groups > 1:
		c.fail("DCC has %d groups among v, t and r; exactly one is allowed", groups)
	}
	if !matchVersion(d.Version) {
		c.fail("ver is not a version of the form N.N.N")
	}
	c.checkDOB(d.DateOfBirth)
	for i := range d.Vaccinations {
		c.checkVaccination(i, &d.Vaccinations[i])
	}
	for i := range d.Tests {
		c.checkTest(i, &d.Tests[i])
	}
	for i := range d.Recoveries {
		c.checkRecovery(i, &d.Recoveries[i])
	}
	return c.warnings, c.err
}

// fieldSet is a set of the fields present in a CBOR map.
type fieldSet uint32

const (
	fVer fieldSet = 1 << iota
	fNam
	fDob
	fFnt
	fTg
	fVp
	fMp
	fMa
	fDn
	fSd
	fDt
	fCo
	fIs
	fCi
	fTt
	fSc
	fTr
	fFr
	fDf
	fDu
)

// entryFields maps an entry's keys to their bits.
var entryFields = map[string]fieldSet{
	"tg": fTg, "vp": fVp, "mp": fMp, "ma": fMa, "dn": fDn, "sd": fSd, "dt": fDt,
	"co": fCo, "is": fIs, "ci": fCi, "tt": fTt, "sc": fSc, "tr": fTr, "fr": fFr,
	"df": fDf, "du": fDu,
}

// required fields of each group, in the schema's order.
var requiredFields = map[string][]string{
	"v": {"tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"},
	"t": {"tg", "tt", "sc", "tr", "co", "is", "ci"},
	"r": {"tg", "fr", "co", "is", "df", "du", "ci"},
}

// checkName checks nam (val is its raw CBOR, or nil when issuing).
func (c *checker) checkName(d *DCC, val []byte) {
	if val != nil {
		var present fieldSet
		if err := cborMapEach(val, func(key, _ []byte) error {
			if string(key) == "fnt" {
				present |= fFnt
			}
			return nil
		}); err != nil {
			c.fail("nam is not a map")
			return
		}
		if present&fFnt == 0 {
			c.fail("nam has no standardised family name (fnt)")
		}
	} else if d.Name.FamilyNameStd == "" {
		c.fail("nam.fnt is empty")
	}
	n := &d.Name
	c.checkLength("nam.fn", n.FamilyName)
	c.checkLength("nam.gn", n.GivenName)
	c.checkLength("nam.fnt", n.FamilyNameStd)
	c.checkLength("nam.gnt", n.GivenNameStd)
	if !matchICAO(n.FamilyNameStd) {
		c.fail("nam.fnt has characters other than A-Z and <")
	}
	if !matchICAO(n.GivenNameStd) {
		c.fail("nam.gnt has characters other than A-Z and <")
	}
	if n.GivenName != "" && n.GivenNameStd == "" {
		c.fail("nam.gnt is empty while nam.gn is given")
	}
	if n.FamilyName != "" && n.FamilyNameStd == "" {
		c.fail("nam.fnt is empty while nam.fn is given")
	}
}

// checkGroup checks that the group key (v, t or r) is an array of exactly
// one entry, each entry a map with the schema's required fields.
func (c *checker) checkGroup(key string, val []byte) {
	n := 0
	err := cborArrayEach(val, func(i int, entry []byte) error {
		n++
		var present fieldSet
		if err := cborMapEach(entry, func(k, _ []byte) error {
			present |= entryFields[string(k)]
			return nil
		}); err != nil {
			c.fail("%s[%d] is not a map", key, i)
			return nil
		}
		for _, f := range requiredFields[key] {
			if present&entryFields[f] == 0 {
				c.fail("%s[%d] has no %s", key, i, f)
			}
		}
		return nil
	})
	if err != nil {
		c.fail("%s is not an array", key)
		return
	}
	c.checkGroupLen(key, n)
}

// checkGroupLen checks that a group has exactly one entry.
func (c *checker) checkGroupLen(key string, n int) {
	switch {
	case n == 0:
		c.fail("%s is empty; it must hold exactly one entry", key)
	case n > 1:
		c.fail("%s has %d entries; exactly one is allowed", key, n)
	}
}

// checkDOB checks the date of birth: the schema's pattern (years 1900 to
// 2099, optional month and day, or empty) and not after the check time.
func (c *checker) checkDOB(dob string) {
	if !matchDOB(dob) {
		c.fail("dob is not a date between 1900 and 2099 (YYYY, YYYY-MM or YYYY-MM-DD)")
		return
	}
	if len(dob) == 10 && dob[5:7] != "00" && dob[8:10] != "00" {
		t, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			c.warn("dob is not a calendar date")
			return
		}
		if !c.at.IsZero() && t.After(c.at) {
			c.fail("dob is after the time of the check")
		}
		return
	}
	if len(dob) >= 4 && !c.at.IsZero() {
		y := int(dob[0]-'0')*1000 + int(dob[1]-'0')*100 + int(dob[2]-'0')*10 + int(dob[3]-'0')
		if y > c.at.Year() {
			c.fail("dob is after the time of the check")
		}
	}
}

// checkLength checks the schema's maxLength of 80 characters.
func (c *checker) checkLength(field, s string) {
	if utf8.RuneCountInString(s) > schemaMaxLength {
		c.fail("%s is longer than %d characters", field, schemaMaxLength)
	}
}

// checkCode warns when code is not in the value set vs.
func (c *checker) checkCode(field, vs, code string) {
	if !defaultValueSets.has(vs, code) {
		if code == "" {
			c.warn("%s is empty", field)
			return
		}
		c.warn("%s is not a code of the value set %s", field, vs)
	}
}

// checkDate warns when s is not a date (YYYY-MM-DD, or a date-time whose
// date part is one, which some issuers write).
func (c *checker) checkDate(field, s string) {
	if len(s) >= 10 {
		if _, err := time.Parse(time.DateOnly, s[:10]); err == nil && (len(s) == 10 || s[10] == 'T') {
			return
		}
	}
	c.warn("%s is not a date (YYYY-MM-DD)", field)
}

// checkDateTime warns when s is not an RFC 3339 date-time.
func (c *checker) checkDateTime(field, s string) {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		c.warn("%s is not a date and time (RFC 3339)", field)
	}
}

// checkEntryCommon checks what every entry shares.
func (c *checker) checkEntryCommon(p, tg, co, is, ci string) {
	c.checkCode(p+".tg", vsDisease, tg)
	c.checkCode(p+".co", vsCountry, co)
	c.checkLength(p+".is", is)
	c.checkLength(p+".ci", ci)
}

// entryPath returns "g[i]" without formatting for the usual i of 0.
func entryPath(g string, i int) string {
	if i == 0 {
		return g + "[0]"
	}
	return fmt.Sprintf("%s[%d]", g, i)
}

func (c *checker) checkVaccination(i int, v *Vaccination) {
	p := entryPath("v", i)
	c.checkEntryCommon(p, v.Target, v.Country, v.Issuer, v.CertificateID)
	c.checkCode(p+".vp", vsProphylaxis, v.Vaccine)
	c.checkCode(p+".mp", vsProduct, v.Product)
	c.checkCode(p+".ma", vsManufacturer, v.Manufacturer)
	if v.DoseNumber < 1 {
		c.warn("%s.dn is below 1", p)
	}
	if v.TotalDoses < 1 {
		c.warn("%s.sd is below 1", p)
	}
	c.checkDate(p+".dt", v.Date)
}

func (c *checker) checkTest(i int, t *Test) {
	p := entryPath("t", i)
	c.checkEntryCommon(p, t.Target, t.Country, t.Issuer, t.CertificateID)
	c.checkLength(p+".nm", t.Name)
	c.checkLength(p+".tc", t.Centre)
	c.checkDateTime(p+".sc", t.SampledAt)
}

func (c *checker) checkRecovery(i int, r *Recovery) {
	p := entryPath("r", i)
	c.checkEntryCommon(p, r.Target, r.Country, r.Issuer, r.CertificateID)
	c.checkDate(p+".fr", r.FirstPositive)
	c.checkDate(p+".df", r.ValidFrom)
	c.checkDate(p+".du", r.ValidUntil)
}

// matchVersion reports whether s matches the schema's ^\d+.\d+.\d+$ (the
// dots there match any character).
func matchVersion(s string) bool {
	i := 0
	for part := 0; part < 3; part++ {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			// The schema's "." matches any character, including a digit, so
			// "1.0.0" style is the real form; be exact about digits.
			return false
		}
		if part < 2 {
			if i >= len(s) {
				return false
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return i == len(s)
}

// matchICAO reports whether s matches ^[A-Z<]*$.
func matchICAO(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && s[i] != '<' {
			return false
		}
	}
	return true
}

// matchDOB reports whether s matches ^((19|20)\d\d(-\d\d){0,2}){0,1}$.
func matchDOB(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 4 && len(s) != 7 && len(s) != 10 {
		return false
	}
	if !(s[:2] == "19" || s[:2] == "20") || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	for i := 4; i < len(s); i += 3 {
		if s[i] != '-' || !isDigit(s[i+1]) || !isDigit(s[i+2]) {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
