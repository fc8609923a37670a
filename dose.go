package jaga

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Dose is one vaccine dose as the registry holds it.
//
// TotalDoses is the number of doses in the person's primary series (1 to
// MaxSeriesDoses). A dose of the primary series has a DoseNumber from 1 to
// TotalDoses and is not a booster. A booster is a dose after the primary
// series, written either way the EU Digital COVID Certificate allows:
// numbered beyond the series (3 of 2: DoseNumber > TotalDoses, and then
// Booster is always true), or numbered as the end of a longer series and
// flagged (3 of 3 with Booster set; DoseNumber at least 2). See
// DoseRecord.Valid.
type Dose struct {
	ID               string    `json:"id"`
	PersonID         string    `json:"personId,omitempty"`   // the citizen's own view only
	PersonName       string    `json:"personName,omitempty"` // the citizen's own view: whose dose, for a guardian
	Product          string    `json:"product"`              // EU value set vaccine-medicinal-product
	ProductName      string    `json:"productName"`
	Manufacturer     string    `json:"manufacturer"` // EU value set vaccine-mah-manf
	ManufacturerName string    `json:"manufacturerName"`
	Batch            string    `json:"batch"`
	DoseNumber       int       `json:"doseNumber"`
	TotalDoses       int       `json:"totalDoses"`
	Booster          bool      `json:"booster"`
	GivenOn          string    `json:"givenOn"`  // YYYY-MM-DD, the date where the dose was given
	CentreID         string    `json:"centreId"` // the vaccination centre's organisation
	CentreName       string    `json:"centreName,omitempty"`
	Country          string    `json:"country"`            // ISO 3166-1 alpha-2, where the dose was given
	ImportID         string    `json:"importId,omitempty"` // the file that recorded it, if one did
	CreatedAt        time.Time `json:"createdAt"`
}

// Dose rules.
const (
	MaxSeriesDoses = 5  // doses in a primary series
	MaxDoseNumber  = 9  // the EU DCC schema's bound on a dose number
	MaxBatchLength = 30 // characters of a batch (lot) number

	// FirstDoseDate is the earliest date a dose may carry: COVID-19
	// vaccination began in December 2020.
	FirstDoseDate = "2020-12-01"

	// MaxImportBytes bounds a file of doses.
	MaxImportBytes = 5 << 20
	// MaxImportRows bounds the doses of one file. A file is one
	// transaction, and one this large already holds the write lock of a
	// SQLite database for 1 to 1.5 s on two cores (BenchmarkImportDoses in
	// sqlstore), during which check-ins wait.
	MaxImportRows = 5000
)

// latestZone is the time zone whose date is the latest on Earth (UTC+14):
// a dose dated after today there is in the future wherever it was given.
var latestZone = time.FixedZone("UTC+14", 14*3600)

// VaccineProducts are the codes and names of the EU DCC value set
// "vaccine-medicinal-product" (2021-04-27), the products a dose may name.
// cert/valuesets holds the same set for certificates; a test keeps the two
// equal.
var VaccineProducts = map[string]string{
	"EU/1/20/1528":                     "Comirnaty",
	"EU/1/20/1507":                     "COVID-19 Vaccine Moderna",
	"EU/1/21/1529":                     "Vaxzevria",
	"EU/1/20/1525":                     "COVID-19 Vaccine Janssen",
	"CVnCoV":                           "CVnCoV",
	"Sputnik-V":                        "Sputnik-V",
	"Convidecia":                       "Convidecia",
	"EpiVacCorona":                     "EpiVacCorona",
	"BBIBP-CorV":                       "BBIBP-CorV",
	"Inactivated-SARS-CoV-2-Vero-Cell": "Inactivated SARS-CoV-2 (Vero Cell)",
	"CoronaVac":                        "CoronaVac",
	"Covaxin":                          "Covaxin (also known as BBV152 A, B, C)",
	"Soberana-02":                      "Soberana 02 FINLAY- FR-2 anti SARS-CoV-2 (COVID-19)",
	"Abdala":                           "Abdala (CIGB-66)",
}

// VaccineManufacturers are the codes and names of the EU DCC value set
// "vaccine-mah-manf" (2021-04-27): marketing authorisation holders and
// manufacturers.
var VaccineManufacturers = map[string]string{
	"ORG-100001699":               "AstraZeneca AB",
	"ORG-100030215":               "Biontech Manufacturing GmbH",
	"ORG-100001417":               "Janssen-Cilag International",
	"ORG-100031184":               "Moderna Biotech Spain S.L.",
	"ORG-100006270":               "Curevac AG",
	"ORG-100013793":               "CanSino Biologics",
	"ORG-100020693":               "China Sinopharm International Corp. - Beijing location",
	"ORG-100010771":               "Sinopharm Weiqida Europe Pharmaceutical s.r.o. - Prague location",
	"ORG-100024420":               "Sinopharm Zhijun (Shenzhen) Pharmaceutical Co. Ltd. - Shenzhen location",
	"ORG-100032020":               "Novavax CZ AS",
	"Gamaleya-Research-Institute": "Gamaleya Research Institute",
	"Vector-Institute":            "Vector Institute",
	"Sinovac-Biotech":             "Sinovac Biotech",
	"Bharat-Biotech":              "Bharat Biotech",
	"CIGB":                        "Centro de Ingeniería Genética y Biotecnología",
	"IFV":                         "Instituto Finlay de Vacunas",
}

// canonicalCode returns the code of set that equals s but for case, or "".
func canonicalCode(set map[string]string, s string) string {
	if _, ok := set[s]; ok {
		return s
	}
	for code := range set {
		if strings.EqualFold(code, s) {
			return code
		}
	}
	return ""
}

// isoCountries is ISO 3166-1: each entry is an alpha-2 code followed by
// its alpha-3 code (from Debian's iso-codes 4.15; a test checks it against
// golang.org/x/text).
const isoCountries = "" +
	"ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO AQATA ARARG ASASM ATAUT AUAUS AWABW AXALA AZAZE " +
	"BABIH BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES BRBRA BSBHS " +
	"BTBTN BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK CLCHL CMCMR CNCHN " +
	"COCOL CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM DZDZA ECECU EEEST " +
	"EGEGY EHESH ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO GFGUF " +
	"GGGGY GHGHA GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GSSGS GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD " +
	"HNHND HRHRV HTHTI HUHUN IDIDN IEIRL ILISR IMIMN ININD IOIOT IQIRQ IRIRN ISISL ITITA JEJEY JMJAM " +
	"JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA " +
	"LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD " +
	"MLMLI MMMMR MNMNG MOMAC MPMNP MQMTQ MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM " +
	"NCNCL NENER NFNFK NGNGA NINIC NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG " +
	"PHPHL PKPAK PLPOL PMSPM PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA " +
	"SASAU SBSLB SCSYC SDSDN SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD " +
	"STSTP SVSLV SXSXM SYSYR SZSWZ TCTCA TDTCD TFATF TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON " +
	"TRTUR TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA UMUMI USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR " +
	"VNVNM VUVUT WFWLF WSWSM YEYEM YTMYT ZAZAF ZMZMB ZWZWE"

// CountryCode returns the ISO 3166-1 alpha-2 code of a country given by
// its alpha-2 or alpha-3 code in any case, and whether it is one.
func CountryCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 2 && len(s) != 3 {
		return "", false
	}
	for i := 0; i+5 <= len(isoCountries); i += 6 {
		e := isoCountries[i : i+5]
		if (len(s) == 2 && e[:2] == s) || (len(s) == 3 && e[2:] == s) {
			return e[:2], true
		}
	}
	return "", false
}

// DoseRecord is what a vaccination centre sends to record one dose: the
// person as their identity document names them — there is no person id on
// paper — and the dose. The centre is the caller's organisation.
type DoseRecord struct {
	IDNumber     string `json:"idNumber"`           // NRIC (dashes optional) or passport number
	DateOfBirth  string `json:"dateOfBirth"`        // YYYY-MM-DD
	FullName     string `json:"fullName,omitempty"` // optional; compared with the registry's: a mismatch only warns, in an import's report
	Product      string `json:"product"`
	Manufacturer string `json:"manufacturer"`
	Batch        string `json:"batch"`
	DoseNumber   int    `json:"doseNumber"`
	TotalDoses   int    `json:"totalDoses"`
	Booster      bool   `json:"booster,omitempty"`
	GivenOn      string `json:"givenOn"` // YYYY-MM-DD
	Country      string `json:"country"` // ISO 3166-1 alpha-2 (alpha-3 is read too)
}

var (
	idNumberPattern = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	idNumberJunk    = strings.NewReplacer(" ", "", "-", "")
)

// NormalizeIDNumber brings an identity number to its stored form: upper
// case, without spaces or dashes (a passport number has none; an NRIC is
// stored without them).
func NormalizeIDNumber(s string) string {
	return strings.ToUpper(idNumberJunk.Replace(strings.TrimSpace(s)))
}

// Normalize trims the record, brings codes to their canonical form and
// marks a dose numbered beyond its series as a booster.
func (r *DoseRecord) Normalize() {
	r.IDNumber = NormalizeIDNumber(r.IDNumber)
	r.DateOfBirth = strings.TrimSpace(r.DateOfBirth)
	r.FullName = strings.Join(strings.Fields(r.FullName), " ")
	r.Product = strings.TrimSpace(r.Product)
	if c := canonicalCode(VaccineProducts, r.Product); c != "" {
		r.Product = c
	}
	r.Manufacturer = strings.TrimSpace(r.Manufacturer)
	if c := canonicalCode(VaccineManufacturers, r.Manufacturer); c != "" {
		r.Manufacturer = c
	}
	r.Batch = strings.TrimSpace(r.Batch)
	r.GivenOn = strings.TrimSpace(r.GivenOn)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	if c, ok := CountryCode(r.Country); ok {
		r.Country = c
	}
	if r.TotalDoses >= 1 && r.DoseNumber > r.TotalDoses {
		r.Booster = true
	}
}

// Valid returns each field's problem, or nil. Call Normalize first. now
// bounds the dates. Messages never repeat the value given.
//
// The booster rule: a dose numbered beyond its series (3 of 2) is a
// booster whatever the flag says (Normalize sets it); a flagged booster
// numbered within its series must be its last dose and not the first
// (3 of 3, not 1 of 2 or 1 of 1).
func (r *DoseRecord) Valid(now time.Time) map[string]string {
	problems := map[string]string{}
	switch {
	case r.IDNumber == "":
		problems["idNumber"] = "Identity number is required."
	case !idNumberPattern.MatchString(r.IDNumber):
		problems["idNumber"] = "An identity number has 5 to 20 letters and digits (an identity card number has 12 digits)."
	}
	dob, dobErr := time.Parse(time.DateOnly, r.DateOfBirth)
	switch {
	case r.DateOfBirth == "":
		problems["dateOfBirth"] = "Date of birth is required."
	case dobErr != nil:
		problems["dateOfBirth"] = "Date of birth must be a date as YYYY-MM-DD."
	case dob.After(now):
		problems["dateOfBirth"] = "Date of birth cannot be in the future."
	case dob.Before(now.AddDate(-130, 0, 0)):
		problems["dateOfBirth"] = "Date of birth is more than 130 years ago."
	}
	switch n := utf8.RuneCountInString(r.FullName); {
	case n > 150:
		problems["fullName"] = "Full name must be at most 150 characters."
	case !utf8.ValidString(r.FullName) || strings.ContainsAny(r.FullName, "<>\x00"):
		problems["fullName"] = "Full name has characters that are not allowed."
	}
	switch {
	case r.Product == "":
		problems["product"] = "Product is required."
	case VaccineProducts[r.Product] == "":
		problems["product"] = "Product must be a code of the EU value set of vaccine products, such as EU/1/20/1528 for Comirnaty."
	}
	switch {
	case r.Manufacturer == "":
		problems["manufacturer"] = "Manufacturer is required."
	case VaccineManufacturers[r.Manufacturer] == "":
		problems["manufacturer"] = "Manufacturer must be a code of the EU value set of vaccine manufacturers, such as ORG-100030215 for BioNTech."
	}
	switch n := utf8.RuneCountInString(r.Batch); {
	case n == 0:
		problems["batch"] = "Batch number is required."
	case n > MaxBatchLength:
		problems["batch"] = "Batch number must be at most 30 characters."
	case !printable(r.Batch):
		problems["batch"] = "Batch number has characters that are not allowed."
	}
	if r.TotalDoses < 1 || r.TotalDoses > MaxSeriesDoses {
		problems["totalDoses"] = "Total doses in the series must be 1 to 5."
	}
	switch {
	case r.DoseNumber < 1 || r.DoseNumber > MaxDoseNumber:
		problems["doseNumber"] = "Dose number must be 1 to 9."
	case problems["totalDoses"] != "":
	case r.Booster && r.DoseNumber < r.TotalDoses:
		problems["booster"] = "A booster comes after the primary series: its dose number must be at least the total in the series."
	case r.Booster && r.DoseNumber == 1:
		problems["booster"] = "A first dose cannot be a booster."
	}
	given, givenErr := time.Parse(time.DateOnly, r.GivenOn)
	switch {
	case r.GivenOn == "":
		problems["givenOn"] = "Date of the dose is required."
	case givenErr != nil:
		problems["givenOn"] = "Date of the dose must be a date as YYYY-MM-DD."
	case r.GivenOn > now.In(latestZone).Format(time.DateOnly):
		problems["givenOn"] = "Date of the dose cannot be in the future."
	case r.GivenOn < FirstDoseDate:
		problems["givenOn"] = "Date of the dose cannot be before 1 December 2020, when vaccination began."
	case problems["dateOfBirth"] == "" && given.Before(dob):
		problems["givenOn"] = "Date of the dose cannot be before the date of birth."
	}
	switch {
	case r.Country == "":
		problems["country"] = "Country is required."
	case len(r.Country) != 2:
		problems["country"] = "Country must be a two-letter ISO 3166-1 code, such as MY."
	default:
		if _, ok := CountryCode(r.Country); !ok {
			problems["country"] = "Country must be a two-letter ISO 3166-1 code, such as MY."
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// printable reports whether s has only printable characters and spaces.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Dose returns the dose the record describes, with the display names of
// its codes.
func (r *DoseRecord) Dose() Dose {
	return Dose{
		Product: r.Product, ProductName: VaccineProducts[r.Product],
		Manufacturer: r.Manufacturer, ManufacturerName: VaccineManufacturers[r.Manufacturer],
		Batch: r.Batch, DoseNumber: r.DoseNumber, TotalDoses: r.TotalDoses, Booster: r.Booster,
		GivenOn: r.GivenOn, Country: r.Country,
	}
}

// NamesMatch reports whether two names are the same but for case, spaces,
// punctuation and the order of their words ("TAN Wei-Ming" and "Wei Ming
// Tan"). It is the soft check of a supplied name against the registry's.
func NamesMatch(a, b string) bool {
	words := func(s string) []string {
		w := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		sort.Strings(w)
		return w
	}
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wa) != len(wb) {
		return false
	}
	for i := range wa {
		if wa[i] != wb[i] {
			return false
		}
	}
	return true
}

// Dose import formats.
const (
	ImportCSV  = "csv"
	ImportFHIR = "fhir"
)

// DoseImport is a file of doses, parsed: every row the parser could read,
// with what it could not.
type DoseImport struct {
	Format   string     // ImportCSV or ImportFHIR
	Hash     string     // FileHash of the file's bytes
	Rows     []DoseRow  // in file order
	Problems []RowError // problems outside any one row, such as the CSV header's
	Warnings []RowError // what the parser skipped, and why
}

// DoseRow is one dose of a file. Problems names the fields the parser could
// not read (a dose number that is no number); the rest of the record is
// validated as any other.
type DoseRow struct {
	Line     int // CSV: the row's line, the header being line 1; FHIR: the bundle entry's index, from 0
	Record   DoseRecord
	Problems map[string]string
}

// DoseParser reads a file of doses. It returns EINVALID only for a file it
// cannot read at all (not CSV, not a FHIR bundle); problems of rows are in
// the DoseImport.
type DoseParser func(data []byte) (*DoseImport, error)

// FileHash returns the hex SHA-256 of a file's bytes, which identifies an
// imported file.
func FileHash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// RowError is one problem of an imported file: where, which field, why.
// Field is a DoseRecord field as the API names it ("batch"), or "" for a
// problem of the whole row. Reason never repeats the value given.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ImportReport is the outcome of an import. A file with any error is
// refused as a whole: nothing is written, and Created and Unchanged are 0.
type ImportReport struct {
	ImportID        string     `json:"importId,omitempty"` // set when the file was accepted
	Format          string     `json:"format"`
	FileHash        string     `json:"fileHash"`
	Rows            int        `json:"rows"`
	Created         int        `json:"created"`
	Unchanged       int        `json:"unchanged"`                 // doses recorded before, exactly as the file has them
	FirstImportedAt *time.Time `json:"firstImportedAt,omitempty"` // the centre imported this file before, first at this time
	Errors          []RowError `json:"errors"`
	Warnings        []RowError `json:"warnings"` // accepted anyway, e.g. a name that differs from the registry's
}

// Accepted reports whether the file was imported: it had no error.
func (r *ImportReport) Accepted() bool { return len(r.Errors) == 0 }

// DoseFields names the fields of a DoseRecord as the API, the CSV header
// and import reports name them, in their order.
var DoseFields = []string{"idNumber", "dateOfBirth", "fullName", "product", "manufacturer", "batch",
	"doseNumber", "totalDoses", "booster", "givenOn", "country"}

// SortRowErrors orders problems by line, then field in the order of
// DoseFields (a problem of the whole row first), keeping the order of
// problems of the same line and field.
func SortRowErrors(errs []RowError) {
	rank := func(field string) int {
		if field == "" {
			return -1
		}
		for i, f := range DoseFields {
			if f == field {
				return i
			}
		}
		return len(DoseFields)
	}
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return rank(errs[i].Field) < rank(errs[j].Field)
	})
}

// DoseService records vaccine doses and shows them to their person.
type DoseService interface {
	// RecordDose is for vaccinators of a vaccination centre: it finds the
	// person by identity number and date of birth and records one dose,
	// through the gate (purpose VaccinationRecord), logging the decision.
	// It returns the dose and whether it was created; recording the same
	// dose again returns the stored one. Errors: EUNAUTHORIZED,
	// EFORBIDDEN (the gate denies), EINVALID with fields, ENOTFOUND (no
	// person with this identity number and date of birth), ECONFLICT (the
	// dose is recorded with other details).
	RecordDose(ctx context.Context, r DoseRecord) (*Dose, bool, error)

	// ImportDoses records a parsed file of doses for vaccinators, all or
	// nothing, in one transaction: with any error nothing is written and
	// the report lists every problem. Doses already recorded exactly so
	// count as unchanged, so importing a file again changes no dose. Each
	// row's gate decision is logged, also for a refused file. Errors:
	// EUNAUTHORIZED, EFORBIDDEN (the gate denies), EINVALID (an empty or
	// oversized file).
	ImportDoses(ctx context.Context, f *DoseImport) (*ImportReport, error)

	// Doses lists the calling citizen's and their dependants' doses,
	// without the gate: it is their own data. Errors: EUNAUTHORIZED.
	Doses(ctx context.Context) ([]*Dose, error)
}
