// Package fhir reads the HL7 FHIR R4 resources jaga imports: a Bundle of
// Immunization resources, with the Patient and Location resources they
// refer to, becomes a file of doses (ParseImmunizationBundle).
//
// Each Immunization entry is one dose, read as follows:
//
//	idNumber      the Patient's identifier: a national identity number
//	              (type NNMYS, NI or NN...) before a passport number (PPN);
//	              a Patient with one identifier, that one
//	dateOfBirth   Patient.birthDate
//	fullName      Patient.name: the official one, its text or given and family names
//	product       Immunization.vaccineCode: the coding of the EU Union Register
//	              (https://ec.europa.eu/health/documents/community-register/html/),
//	              else a coding whose code is a product code
//	manufacturer  Immunization.manufacturer.identifier.value (the EMA SPOR
//	              organisation id), or the identifier of the Organization it refers to
//	batch         Immunization.lotNumber
//	doseNumber    Immunization.protocolApplied[0].doseNumber[x]
//	totalDoses    Immunization.protocolApplied[0].seriesDoses[x]
//	booster       protocolApplied[0].series naming a booster ("Booster dose")
//	givenOn       the date of Immunization.occurrenceDateTime, as written
//	country       the WHO DDCC country-of-event extension
//	              (http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent),
//	              else the address.country of the Location in Immunization.location;
//	              an alpha-2 or alpha-3 code
//
// A reference leads to a resource of the bundle by its fullUrl or by
// "Type/id", or to a contained resource by "#id". An Immunization whose
// status is not "completed", or that is marked subpotent, is skipped with a
// warning; so is an entry of another resource type that no Immunization
// refers to. A problem is reported under the entry's index in Bundle.entry
// (from 0) and the DoseRecord field it concerns.
package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jaga-health/jaga"
)

// Code systems and extensions jaga reads.
const (
	SystemEUProducts       = "https://ec.europa.eu/health/documents/community-register/html/"
	SystemSPOROrganisation = "https://spor.ema.europa.eu/v1/organisations"
	ExtensionDDCCCountry   = "http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent"
)

// bundle is the part of a FHIR Bundle jaga reads.
type bundle struct {
	ResourceType string  `json:"resourceType"`
	Type         string  `json:"type"`
	Entry        []entry `json:"entry"`
}

type entry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
}

// resource is what every resource has, and what is kept of each entry.
type resource struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Contained    []json.RawMessage `json:"contained"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Identifier *identifier `json:"identifier"`
}

type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type identifier struct {
	Type   *codeableConcept `json:"type"`
	System string           `json:"system"`
	Value  string           `json:"value"`
}

type extension struct {
	URL         string  `json:"url"`
	ValueCode   string  `json:"valueCode"`
	ValueString string  `json:"valueString"`
	ValueCoding *coding `json:"valueCoding"`
}

type immunization struct {
	ResourceType       string            `json:"resourceType"`
	Status             string            `json:"status"`
	VaccineCode        *codeableConcept  `json:"vaccineCode"`
	Patient            *reference        `json:"patient"`
	OccurrenceDateTime string            `json:"occurrenceDateTime"`
	OccurrenceString   string            `json:"occurrenceString"`
	Location           *reference        `json:"location"`
	Manufacturer       *reference        `json:"manufacturer"`
	LotNumber          string            `json:"lotNumber"`
	IsSubpotent        bool              `json:"isSubpotent"`
	ProtocolApplied    []protocol        `json:"protocolApplied"`
	Extension          []extension       `json:"extension"`
	Contained          []json.RawMessage `json:"contained"`
}

type protocol struct {
	Series                 string       `json:"series"`
	DoseNumberPositiveInt  *json.Number `json:"doseNumberPositiveInt"`
	DoseNumberString       *string      `json:"doseNumberString"`
	SeriesDosesPositiveInt *json.Number `json:"seriesDosesPositiveInt"`
	SeriesDosesString      *string      `json:"seriesDosesString"`
}

type patient struct {
	Identifier []identifier `json:"identifier"`
	BirthDate  string       `json:"birthDate"`
	Name       []humanName  `json:"name"`
}

type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
}

type location struct {
	Address *address `json:"address"`
}

type organization struct {
	Identifier []identifier `json:"identifier"`
}

type address struct {
	Country string `json:"country"`
}

// resources finds the resources references lead to.
type resources struct {
	byRef map[string]json.RawMessage // fullUrl and Type/id
	types map[string]string          // the same keys, to the resource type
	used  map[string]bool            // entries an Immunization refers to, by index key
}

// ParseImmunizationBundle reads a FHIR R4 Bundle of Immunization resources
// in JSON. It returns EINVALID only for a body that is not a FHIR Bundle
// in JSON; every problem of an entry is in the result.
func ParseImmunizationBundle(data []byte) (*jaga.DoseImport, error) {
	f := &jaga.DoseImport{Format: jaga.ImportFHIR, Hash: jaga.FileHash(data)}
	var b bundle
	if err := decode(data, &b); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return nil, jaga.Errorf(jaga.EINVALID, "The file is not valid JSON (at byte %d).", syntax.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return nil, jaga.Errorf(jaga.EINVALID, "The file is not a FHIR Bundle: Bundle.%s has the wrong type.", typ.Field)
		default:
			return nil, jaga.Errorf(jaga.EINVALID, "The file is not a FHIR Bundle in JSON.")
		}
	}
	if b.ResourceType != "Bundle" {
		return nil, jaga.Errorf(jaga.EINVALID, "The file is not a FHIR Bundle: its resourceType must be Bundle.")
	}
	rs := &resources{byRef: map[string]json.RawMessage{}, types: map[string]string{}, used: map[string]bool{}}
	heads := make([]resource, len(b.Entry))
	for i, e := range b.Entry {
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			f.Warnings = append(f.Warnings, jaga.RowError{Line: i, Reason: "Skipped: the entry holds no resource."})
			continue
		}
		if err := json.Unmarshal(e.Resource, &heads[i]); err != nil || heads[i].ResourceType == "" {
			f.Problems = append(f.Problems, jaga.RowError{Line: i, Reason: "The entry's resource cannot be read: it needs a resourceType."})
			heads[i] = resource{}
			continue
		}
		if e.FullURL != "" {
			rs.add(e.FullURL, heads[i].ResourceType, e.Resource)
		}
		if heads[i].ID != "" {
			rs.add(heads[i].ResourceType+"/"+heads[i].ID, heads[i].ResourceType, e.Resource)
		}
	}
	var others []int
	for i, e := range b.Entry {
		switch heads[i].ResourceType {
		case "":
		case "Immunization":
			if row, ok := readImmunization(f, rs, i, e.Resource); ok {
				f.Rows = append(f.Rows, row)
			}
		default:
			others = append(others, i)
		}
	}
	for _, i := range others {
		if e := b.Entry[i]; !rs.used[e.FullURL] && !rs.used[heads[i].ResourceType+"/"+heads[i].ID] {
			f.Warnings = append(f.Warnings, jaga.RowError{Line: i,
				Reason: "Skipped: the entry is not an Immunization and no Immunization refers to it."})
		}
	}
	return f, nil
}

// decode unmarshals one JSON value, refusing trailing data.
func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func (rs *resources) add(key, typ string, raw json.RawMessage) {
	if _, dup := rs.byRef[key]; !dup {
		rs.byRef[key], rs.types[key] = raw, typ
	}
}

// resolve returns the resource of type typ that ref leads to: a contained
// resource of the Immunization ("#id") or an entry of the bundle.
func (rs *resources) resolve(ref, typ string, contained []json.RawMessage) (json.RawMessage, bool) {
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		for _, c := range contained {
			var h resource
			if json.Unmarshal(c, &h) == nil && h.ID == id && h.ResourceType == typ {
				return c, true
			}
		}
		return nil, false
	}
	raw, ok := rs.byRef[ref]
	if !ok || rs.types[ref] != typ {
		return nil, false
	}
	rs.used[ref] = true
	return raw, true
}

// fieldOf maps an element of an Immunization that failed to decode to the
// DoseRecord field it feeds.
var fieldOf = map[string]string{
	"vaccineCode": "product", "patient": "idNumber", "occurrenceDateTime": "givenOn", "occurrenceString": "givenOn",
	"location": "country", "manufacturer": "manufacturer", "lotNumber": "batch", "extension": "country",
	"protocolApplied.doseNumberPositiveInt": "doseNumber", "protocolApplied.doseNumberString": "doseNumber",
	"protocolApplied.seriesDosesPositiveInt": "totalDoses", "protocolApplied.seriesDosesString": "totalDoses",
	"protocolApplied.series": "booster",
}

// readImmunization reads entry i, an Immunization, into a row. It reports
// false for an entry it skips or cannot read, with a warning or a problem.
func readImmunization(f *jaga.DoseImport, rs *resources, i int, raw json.RawMessage) (jaga.DoseRow, bool) {
	row := jaga.DoseRow{Line: i}
	var im immunization
	if err := json.Unmarshal(raw, &im); err != nil {
		var typ *json.UnmarshalTypeError
		field, where := "", "the Immunization"
		if errors.As(err, &typ) && typ.Field != "" {
			where = "Immunization." + typ.Field
			field = fieldOf[typ.Field]
			if field == "" {
				field = fieldOf[strings.SplitN(typ.Field, ".", 2)[0]]
			}
		}
		f.Problems = append(f.Problems, jaga.RowError{Line: i, Field: field, Reason: where + " has the wrong JSON type."})
		return row, false
	}
	switch {
	case im.Status != "completed":
		f.Warnings = append(f.Warnings, jaga.RowError{Line: i,
			Reason: "Skipped: only an Immunization whose status is completed is recorded."})
		return row, false
	case im.IsSubpotent:
		f.Warnings = append(f.Warnings, jaga.RowError{Line: i, Reason: "Skipped: the dose is marked subpotent."})
		return row, false
	}
	rec := &row.Record
	problem := func(field, reason string) {
		if row.Problems == nil {
			row.Problems = map[string]string{}
		}
		if row.Problems[field] == "" {
			row.Problems[field] = reason
		}
	}

	readPatient(rs, &im, rec, problem)
	rec.Product = product(im.VaccineCode)
	if rec.Product == "" {
		problem("product", "The Immunization's vaccineCode has no coding of a vaccine product.")
	}
	rec.Manufacturer = manufacturer(rs, &im)
	if rec.Manufacturer == "" {
		problem("manufacturer", "The Immunization's manufacturer has no identifier: give the EMA SPOR organisation id.")
	}
	rec.Batch = im.LotNumber
	switch {
	case im.OccurrenceDateTime != "":
		if d, ok := datePart(im.OccurrenceDateTime); ok {
			rec.GivenOn = d
		} else {
			problem("givenOn", "Immunization.occurrenceDateTime must be a full date (YYYY-MM-DD), with or without a time.")
		}
	case im.OccurrenceString != "":
		problem("givenOn", "The date of the dose must be Immunization.occurrenceDateTime, not occurrenceString.")
	}
	if len(im.ProtocolApplied) == 0 {
		problem("doseNumber", "The Immunization has no protocolApplied with the dose number and the doses in the series.")
	} else {
		p := im.ProtocolApplied[0]
		rec.DoseNumber = positiveInt(p.DoseNumberPositiveInt, p.DoseNumberString, "doseNumber", "protocolApplied.doseNumber", problem)
		rec.TotalDoses = positiveInt(p.SeriesDosesPositiveInt, p.SeriesDosesString, "totalDoses", "protocolApplied.seriesDoses", problem)
		rec.Booster = strings.Contains(strings.ToLower(p.Series), "booster")
	}
	rec.Country = country(rs, &im, problem)
	return row, true
}

// readPatient fills in the person from the Patient the Immunization
// refers to.
func readPatient(rs *resources, im *immunization, rec *jaga.DoseRecord, problem func(field, reason string)) {
	if im.Patient == nil || im.Patient.Reference == "" {
		problem("idNumber", "The Immunization's patient must refer to a Patient of the bundle.")
		return
	}
	raw, ok := rs.resolve(im.Patient.Reference, "Patient", im.Contained)
	if !ok {
		problem("idNumber", "The Immunization's patient refers to no Patient of the bundle.")
		return
	}
	var p patient
	if err := json.Unmarshal(raw, &p); err != nil {
		problem("idNumber", "The Patient the Immunization refers to cannot be read.")
		return
	}
	rec.IDNumber = identityNumber(p.Identifier)
	if rec.IDNumber == "" {
		problem("idNumber", "The Patient has no identifier typed as a national identity number (NI) or a passport number (PPN).")
	}
	rec.DateOfBirth = p.BirthDate
	rec.FullName = name(p.Name)
}

// identityNumber picks the identity number of a Patient: a national one
// before a passport; a lone identifier whatever its type.
func identityNumber(ids []identifier) string {
	rank := func(id identifier) int {
		if id.Type == nil {
			return 0
		}
		best := 0
		for _, c := range id.Type.Coding {
			switch {
			case c.Code == "NNMYS":
				return 3
			case c.Code == "NI" || strings.HasPrefix(c.Code, "NN"):
				best = max(best, 2)
			case c.Code == "PPN":
				best = max(best, 1)
			}
		}
		return best
	}
	value, best := "", 0
	for _, id := range ids {
		if r := rank(id); r > best && strings.TrimSpace(id.Value) != "" {
			value, best = id.Value, r
		}
	}
	if value == "" && len(ids) == 1 {
		value = ids[0].Value
	}
	return value
}

// name returns the official name, or the first.
func name(names []humanName) string {
	if len(names) == 0 {
		return ""
	}
	n := names[0]
	for _, m := range names {
		if m.Use == "official" {
			n = m
			break
		}
	}
	if n.Text != "" {
		return n.Text
	}
	return strings.Join(append(append([]string{}, n.Given...), n.Family), " ")
}

// product returns the product code of a vaccineCode: the coding of the EU
// Union Register, else one whose code is a product code, else a lone
// coding's code (which validation then refuses).
func product(cc *codeableConcept) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if c.System == SystemEUProducts && c.Code != "" {
			return c.Code
		}
	}
	for _, c := range cc.Coding {
		for code := range jaga.VaccineProducts {
			if strings.EqualFold(code, strings.TrimSpace(c.Code)) {
				return c.Code
			}
		}
	}
	if len(cc.Coding) == 1 {
		return cc.Coding[0].Code
	}
	return ""
}

// manufacturer returns the manufacturer's identifier, from the reference or
// from the Organization it refers to.
func manufacturer(rs *resources, im *immunization) string {
	m := im.Manufacturer
	if m == nil {
		return ""
	}
	if m.Identifier != nil && m.Identifier.Value != "" {
		return m.Identifier.Value
	}
	if m.Reference == "" {
		return ""
	}
	raw, ok := rs.resolve(m.Reference, "Organization", im.Contained)
	if !ok {
		return ""
	}
	var o organization
	if json.Unmarshal(raw, &o) != nil {
		return ""
	}
	for _, id := range o.Identifier {
		if id.System == SystemSPOROrganisation && id.Value != "" {
			return id.Value
		}
	}
	if len(o.Identifier) == 1 {
		return o.Identifier[0].Value
	}
	return ""
}

// country returns the country of vaccination as given, in alpha-2 when it
// was alpha-3.
func country(rs *resources, im *immunization, problem func(field, reason string)) string {
	code := ""
	for _, e := range im.Extension {
		if e.URL == ExtensionDDCCCountry {
			code = e.ValueCode
			if code == "" && e.ValueCoding != nil {
				code = e.ValueCoding.Code
			}
			break
		}
	}
	if code == "" && im.Location != nil && im.Location.Reference != "" {
		raw, ok := rs.resolve(im.Location.Reference, "Location", im.Contained)
		if !ok {
			problem("country", "The Immunization's location refers to no Location of the bundle.")
			return ""
		}
		var l location
		if json.Unmarshal(raw, &l) == nil && l.Address != nil {
			code = l.Address.Country
		}
	}
	if code == "" {
		problem("country", "The country of the dose is missing: give the Immunization a location whose address has a country, or the DDCC country-of-event extension.")
		return ""
	}
	if c, ok := jaga.CountryCode(code); ok {
		return c
	}
	return code
}

var fhirDate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$`)

// datePart returns the date of a FHIR dateTime with at least a full date:
// the date as written, in the time zone of the writer.
func datePart(s string) (string, bool) {
	m := fhirDate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// positiveInt reads doseNumber[x] or seriesDoses[x]: a positiveInt, or a
// string holding one.
func positiveInt(n *json.Number, s *string, field, element string, problem func(field, reason string)) int {
	var text string
	switch {
	case n != nil:
		text = n.String()
	case s != nil:
		text = strings.TrimSpace(*s)
	default:
		problem(field, fmt.Sprintf("%s is missing: give %sPositiveInt.", element, element))
		return 0
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < 1 {
		problem(field, fmt.Sprintf("%s must be a positive whole number.", element))
		return 0
	}
	return v
}
