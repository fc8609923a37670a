package cert

// DCC is the payload of an EU Digital COVID Certificate (the hcert claim's
// entry 1), as the eHealth Network's schema 1.3.0 defines it. A
// certificate carries exactly one of Vaccinations, Tests or Recoveries, each
// with exactly one entry.
type DCC struct {
	Version      string        `cbor:"ver" json:"ver"`
	Name         PersonName    `cbor:"nam" json:"nam"`
	DateOfBirth  string        `cbor:"dob" json:"dob"` // YYYY, YYYY-MM or YYYY-MM-DD, or empty
	Vaccinations []Vaccination `cbor:"v,omitempty" json:"v,omitempty"`
	Tests        []Test        `cbor:"t,omitempty" json:"t,omitempty"`
	Recoveries   []Recovery    `cbor:"r,omitempty" json:"r,omitempty"`
}

// PersonName is the holder's name as on the travel document, and its
// ICAO 9303 transliteration (capital letters and "<").
type PersonName struct {
	FamilyName    string `cbor:"fn,omitempty" json:"fn,omitempty"`
	FamilyNameStd string `cbor:"fnt" json:"fnt"`
	GivenName     string `cbor:"gn,omitempty" json:"gn,omitempty"`
	GivenNameStd  string `cbor:"gnt,omitempty" json:"gnt,omitempty"`
}

// Vaccination is a vaccination entry ("v").
type Vaccination struct {
	Target        string `cbor:"tg" json:"tg"` // disease or agent targeted, value set disease-agent-targeted
	Vaccine       string `cbor:"vp" json:"vp"` // vaccine or prophylaxis, value set vaccine-prophylaxis
	Product       string `cbor:"mp" json:"mp"` // medicinal product, value set vaccine-medicinal-product
	Manufacturer  string `cbor:"ma" json:"ma"` // marketing authorisation holder, value set vaccine-mah-manf
	DoseNumber    int    `cbor:"dn" json:"dn"`
	TotalDoses    int    `cbor:"sd" json:"sd"`
	Date          string `cbor:"dt" json:"dt"` // YYYY-MM-DD
	Country       string `cbor:"co" json:"co"` // ISO 3166-1 alpha-2
	Issuer        string `cbor:"is" json:"is"`
	CertificateID string `cbor:"ci" json:"ci"` // the UVCI
}

// Test is a test entry ("t").
type Test struct {
	Target        string `cbor:"tg" json:"tg"`
	Type          string `cbor:"tt" json:"tt"`
	Name          string `cbor:"nm,omitempty" json:"nm,omitempty"`
	Device        string `cbor:"ma,omitempty" json:"ma,omitempty"`
	SampledAt     string `cbor:"sc" json:"sc"`
	ResultAt      string `cbor:"dr,omitempty" json:"dr,omitempty"` // schema 1.0 to 1.2 only
	Result        string `cbor:"tr" json:"tr"`
	Centre        string `cbor:"tc,omitempty" json:"tc,omitempty"`
	Country       string `cbor:"co" json:"co"`
	Issuer        string `cbor:"is" json:"is"`
	CertificateID string `cbor:"ci" json:"ci"`
}

// Recovery is a recovery entry ("r").
type Recovery struct {
	Target        string `cbor:"tg" json:"tg"`
	FirstPositive string `cbor:"fr" json:"fr"`
	Country       string `cbor:"co" json:"co"`
	Issuer        string `cbor:"is" json:"is"`
	ValidFrom     string `cbor:"df" json:"df"`
	ValidUntil    string `cbor:"du" json:"du"`
	CertificateID string `cbor:"ci" json:"ci"`
}

// Type returns "vaccination", "test" or "recovery" after the first group
// the certificate carries, or "" if it carries none.
func (d *DCC) Type() string {
	switch {
	case len(d.Vaccinations) > 0:
		return "vaccination"
	case len(d.Tests) > 0:
		return "test"
	case len(d.Recoveries) > 0:
		return "recovery"
	}
	return ""
}

// CertificateID returns the UVCI of the certificate's first entry.
func (d *DCC) CertificateID() string {
	switch {
	case len(d.Vaccinations) > 0:
		return d.Vaccinations[0].CertificateID
	case len(d.Tests) > 0:
		return d.Tests[0].CertificateID
	case len(d.Recoveries) > 0:
		return d.Recoveries[0].CertificateID
	}
	return ""
}

// Country returns the country of the certificate's first entry.
func (d *DCC) Country() string {
	switch {
	case len(d.Vaccinations) > 0:
		return d.Vaccinations[0].Country
	case len(d.Tests) > 0:
		return d.Tests[0].Country
	case len(d.Recoveries) > 0:
		return d.Recoveries[0].Country
	}
	return ""
}

// Certificate is what a verifier shows of a verified certificate: the
// holder's name and date of birth and the entries, nothing else.
type Certificate struct {
	FamilyName    string  `json:"familyName,omitempty"`
	GivenName     string  `json:"givenName,omitempty"`
	FamilyNameStd string  `json:"familyNameStd,omitempty"`
	GivenNameStd  string  `json:"givenNameStd,omitempty"`
	DateOfBirth   string  `json:"dateOfBirth,omitempty"`
	Entries       []Entry `json:"entries"`
	DCC           *DCC    `json:"dcc,omitempty"` // the full payload of an EU DCC; nil for a SMART Health Card
}

// Entry is one vaccination, test or recovery of a [Certificate], with the
// value-set codes and, where jaga knows them, their display names.
type Entry struct {
	Type          string `json:"type"` // "vaccination", "test" or "recovery"
	Target        string `json:"target,omitempty"`
	Vaccine       string `json:"vaccine,omitempty"` // code: vp for an EU DCC, the CVX or SNOMED code for a SMART Health Card
	Product       string `json:"product,omitempty"`
	ProductName   string `json:"productName,omitempty"`
	Manufacturer  string `json:"manufacturer,omitempty"`
	Lot           string `json:"lot,omitempty"`
	DoseNumber    int    `json:"doseNumber,omitempty"`
	TotalDoses    int    `json:"totalDoses,omitempty"`
	Date          string `json:"date,omitempty"` // vaccination, sample or first positive result
	TestType      string `json:"testType,omitempty"`
	TestResult    string `json:"testResult,omitempty"`
	ValidFrom     string `json:"validFrom,omitempty"`
	ValidUntil    string `json:"validUntil,omitempty"`
	Country       string `json:"country,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	CertificateID string `json:"certificateId,omitempty"`
	Performer     string `json:"performer,omitempty"` // SMART Health Card: who gave the dose
}

// certificateOf returns the verifier's view of d.
func certificateOf(d *DCC) *Certificate {
	c := &Certificate{
		FamilyName:    d.Name.FamilyName,
		GivenName:     d.Name.GivenName,
		FamilyNameStd: d.Name.FamilyNameStd,
		GivenNameStd:  d.Name.GivenNameStd,
		DateOfBirth:   d.DateOfBirth,
		DCC:           d,
	}
	for _, v := range d.Vaccinations {
		c.Entries = append(c.Entries, Entry{
			Type: "vaccination", Target: v.Target, Vaccine: v.Vaccine, Product: v.Product,
			ProductName: defaultValueSets.display(vsProduct, v.Product), Manufacturer: v.Manufacturer,
			DoseNumber: v.DoseNumber, TotalDoses: v.TotalDoses, Date: v.Date, Country: v.Country,
			Issuer: v.Issuer, CertificateID: v.CertificateID,
		})
	}
	for _, t := range d.Tests {
		c.Entries = append(c.Entries, Entry{
			Type: "test", Target: t.Target, TestType: t.Type, Product: t.Name, Manufacturer: t.Device,
			Date: t.SampledAt, TestResult: t.Result, Country: t.Country, Issuer: t.Issuer,
			CertificateID: t.CertificateID,
		})
	}
	for _, r := range d.Recoveries {
		c.Entries = append(c.Entries, Entry{
			Type: "recovery", Target: r.Target, Date: r.FirstPositive, ValidFrom: r.ValidFrom,
			ValidUntil: r.ValidUntil, Country: r.Country, Issuer: r.Issuer, CertificateID: r.CertificateID,
		})
	}
	return c
}
