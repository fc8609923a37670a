package jaga_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
)

// doseNow is the clock of the dose tests: 08:00 in Kuala Lumpur.
var doseNow = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func goodDose() jaga.DoseRecord {
	return jaga.DoseRecord{
		IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", FullName: "Aisyah binti Rahman",
		Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FK4421",
		DoseNumber: 2, TotalDoses: 2, GivenOn: "2021-08-01", Country: "MY",
	}
}

func TestDoseRecordValid(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *jaga.DoseRecord)
		field string // "" when valid
		msg   string // part of the problem, when set
	}{
		{"valid", nil, "", ""},
		{"passport", func(r *jaga.DoseRecord) { r.IDNumber = "k1234567" }, "", ""},
		{"no name", func(r *jaga.DoseRecord) { r.FullName = "" }, "", ""},
		{"product in another case", func(r *jaga.DoseRecord) { r.Product = "coronavac"; r.Manufacturer = "sinovac-biotech" }, "", ""},
		{"alpha-3 country", func(r *jaga.DoseRecord) { r.Country = "mys" }, "", ""},
		{"one-dose series", func(r *jaga.DoseRecord) {
			r.Product, r.Manufacturer, r.DoseNumber, r.TotalDoses = "EU/1/20/1525", "ORG-100001417", 1, 1
		}, "", ""},
		{"booster beyond the series", func(r *jaga.DoseRecord) { r.DoseNumber = 3 }, "", ""},
		{"flagged booster ending a longer series", func(r *jaga.DoseRecord) { r.DoseNumber, r.TotalDoses, r.Booster = 3, 3, true }, "", ""},
		{"first day of vaccination", func(r *jaga.DoseRecord) { r.GivenOn = jaga.FirstDoseDate }, "", ""},
		{"today in Kuala Lumpur", func(r *jaga.DoseRecord) { r.GivenOn = "2026-03-02" }, "", ""},
		{"batch of 30", func(r *jaga.DoseRecord) { r.Batch = strings.Repeat("A", 30) }, "", ""},

		{"no identity number", func(r *jaga.DoseRecord) { r.IDNumber = " " }, "idNumber", "required"},
		{"identity number with symbols", func(r *jaga.DoseRecord) { r.IDNumber = "9001/0114" }, "idNumber", "5 to 20"},
		{"no date of birth", func(r *jaga.DoseRecord) { r.DateOfBirth = "" }, "dateOfBirth", "required"},
		{"date of birth not a date", func(r *jaga.DoseRecord) { r.DateOfBirth = "01/01/1990" }, "dateOfBirth", "YYYY-MM-DD"},
		{"date of birth in the future", func(r *jaga.DoseRecord) { r.DateOfBirth = "2027-01-01" }, "dateOfBirth", "future"},
		{"name with markup", func(r *jaga.DoseRecord) { r.FullName = "<b>Aisyah</b>" }, "fullName", "not allowed"},
		{"no product", func(r *jaga.DoseRecord) { r.Product = "" }, "product", "required"},
		{"unknown product", func(r *jaga.DoseRecord) { r.Product = "EU/1/99/0000" }, "product", "EU/1/20/1528"},
		{"manufacturer code as product", func(r *jaga.DoseRecord) { r.Product = "ORG-100030215" }, "product", "value set"},
		{"no manufacturer", func(r *jaga.DoseRecord) { r.Manufacturer = "" }, "manufacturer", "required"},
		{"unknown manufacturer", func(r *jaga.DoseRecord) { r.Manufacturer = "Pfizer" }, "manufacturer", "ORG-100030215"},
		{"no batch", func(r *jaga.DoseRecord) { r.Batch = "  " }, "batch", "required"},
		{"batch of 31", func(r *jaga.DoseRecord) { r.Batch = strings.Repeat("A", 31) }, "batch", "30"},
		{"batch with a control character", func(r *jaga.DoseRecord) { r.Batch = "FK\x0744" }, "batch", "not allowed"},
		{"dose 0", func(r *jaga.DoseRecord) { r.DoseNumber = 0 }, "doseNumber", "1 to 9"},
		{"dose 10", func(r *jaga.DoseRecord) { r.DoseNumber = 10 }, "doseNumber", "1 to 9"},
		{"series of 0", func(r *jaga.DoseRecord) { r.TotalDoses = 0 }, "totalDoses", "1 to 5"},
		{"series of 6", func(r *jaga.DoseRecord) { r.TotalDoses = 6 }, "totalDoses", "1 to 5"},
		{"flagged booster within the series", func(r *jaga.DoseRecord) { r.DoseNumber, r.Booster = 1, true }, "booster", "after the primary series"},
		{"flagged first dose of a one-dose series", func(r *jaga.DoseRecord) { r.DoseNumber, r.TotalDoses, r.Booster = 1, 1, true }, "booster", "first dose"},
		{"no date", func(r *jaga.DoseRecord) { r.GivenOn = "" }, "givenOn", "required"},
		{"date not a date", func(r *jaga.DoseRecord) { r.GivenOn = "2021-02-30" }, "givenOn", "YYYY-MM-DD"},
		{"date tomorrow everywhere", func(r *jaga.DoseRecord) { r.GivenOn = "2026-03-04" }, "givenOn", "future"},
		{"date before vaccination began", func(r *jaga.DoseRecord) { r.GivenOn = "2020-11-30" }, "givenOn", "December 2020"},
		{"date before birth", func(r *jaga.DoseRecord) { r.DateOfBirth = "2022-05-01" }, "givenOn", "date of birth"},
		{"no country", func(r *jaga.DoseRecord) { r.Country = "" }, "country", "required"},
		{"unknown country", func(r *jaga.DoseRecord) { r.Country = "XX" }, "country", "MY"},
		{"country name", func(r *jaga.DoseRecord) { r.Country = "Malaysia" }, "country", "two-letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodDose()
			if tt.edit != nil {
				tt.edit(&r)
			}
			r.Normalize()
			problems := r.Valid(doseNow)
			if tt.field == "" {
				if problems != nil {
					t.Fatalf("problems %v", problems)
				}
				return
			}
			if len(problems) != 1 || problems[tt.field] == "" {
				t.Fatalf("problems %v, want one with %s", problems, tt.field)
			}
			if !strings.Contains(problems[tt.field], tt.msg) {
				t.Errorf("%s: %q lacks %q", tt.field, problems[tt.field], tt.msg)
			}
		})
	}
}

func TestDoseRecordNormalize(t *testing.T) {
	r := jaga.DoseRecord{IDNumber: " 900101-14-5678 ", DateOfBirth: "1990-01-01", FullName: "  Aisyah   binti Rahman ", Product: "comirnaty",
		Manufacturer: "org-100030215", Batch: " FK4421 ", DoseNumber: 3, TotalDoses: 2, GivenOn: " 2022-01-05", Country: "mys"}
	r.Normalize()
	want := jaga.DoseRecord{IDNumber: "900101145678", DateOfBirth: "1990-01-01", FullName: "Aisyah binti Rahman", Product: "comirnaty",
		Manufacturer: "ORG-100030215", Batch: "FK4421", DoseNumber: 3, TotalDoses: 2, Booster: true, GivenOn: "2022-01-05", Country: "MY"}
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	// A product is a code, never its name.
	if p := r.Valid(doseNow); p["product"] == "" || len(p) != 1 {
		t.Errorf("problems %v", p)
	}
}

// TestDoseProblemsDoNotRepeatInput checks that no problem repeats what was given.
func TestDoseProblemsDoNotRepeatInput(t *testing.T) {
	r := jaga.DoseRecord{IDNumber: "SECRET#1", DateOfBirth: "SECRET2", Product: "SECRET3", Manufacturer: "SECRET4",
		Batch: "SECRET5\x01", DoseNumber: 77, TotalDoses: 88, GivenOn: "SECRET6", Country: "SECRET7"}
	r.Normalize()
	problems := r.Valid(doseNow)
	if len(problems) != 9 {
		t.Fatalf("problems %v", problems)
	}
	for f, p := range problems {
		if strings.Contains(strings.ToUpper(p), "SECRET") || strings.Contains(p, "77") || strings.Contains(p, "88") {
			t.Errorf("%s: %q repeats the input", f, p)
		}
	}
}

func TestCountryCode(t *testing.T) {
	for in, want := range map[string]string{"MY": "MY", "my": "MY", "MYS": "MY", " sgp ": "SG", "GB": "GB", "GBR": "GB", "XK": "", "UK": "", "": "", "M": "", "MYSS": "", "ADA": "", "ND": ""} {
		got, ok := jaga.CountryCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("CountryCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestCountriesAgreeWithXText checks the ISO 3166-1 table against the
// region data of golang.org/x/text: every code a country, the alpha-3
// codes right, none twice.
func TestCountriesAgreeWithXText(t *testing.T) {
	seen2, seen3 := map[string]bool{}, map[string]bool{}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			got, ok := jaga.CountryCode(code)
			if !ok {
				continue
			}
			if got != code || seen2[code] {
				t.Fatalf("CountryCode(%q) = %q", code, got)
			}
			seen2[code] = true
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() {
				t.Errorf("%s is not a country in x/text: %v", code, err)
				continue
			}
			if back, ok := jaga.CountryCode(r.ISO3()); !ok || back != code {
				t.Errorf("%s: alpha-3 %s gives %q", code, r.ISO3(), back)
			}
			seen3[r.ISO3()] = true
		}
	}
	if len(seen2) != 249 || len(seen3) != 249 {
		t.Errorf("%d alpha-2 and %d alpha-3 codes, want 249 of each", len(seen2), len(seen3))
	}
}

// TestVaccineCodesMatchCertValueSets keeps the domain's product and
// manufacturer codes equal to the value sets the certificates use.
func TestVaccineCodesMatchCertValueSets(t *testing.T) {
	for _, tc := range []struct {
		set    string
		domain map[string]string
	}{
		{"vaccine-medicinal-product", jaga.VaccineProducts},
		{"vaccine-mah-manf", jaga.VaccineManufacturers},
	} {
		t.Run(tc.set, func(t *testing.T) {
			for code, name := range tc.domain {
				if d, ok := cert.ValueSetDisplay(tc.set, code); !ok || d != name {
					t.Errorf("%s: cert has %q, %v; the domain %q", code, d, ok, name)
				}
			}
			b, err := os.ReadFile("cert/valuesets/" + tc.set + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var vs struct {
				Values map[string]string `json:"values"`
			}
			if err := json.Unmarshal(b, &vs); err != nil {
				t.Fatal(err)
			}
			for code := range vs.Values {
				if _, ok := tc.domain[code]; !ok {
					t.Errorf("%s is in cert's value set and not in the domain's", code)
				}
			}
		})
	}
}

func TestNamesMatch(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Aisyah binti Rahman", "AISYAH  BINTI RAHMAN", true},
		{"Tan Wei-Ming", "Wei Ming Tan", true},
		{"Muthu a/l Raman", "Muthu A L Raman", true},
		{"Aisyah binti Rahman", "Aisyah Rahman", false},
		{"Aisyah binti Rahman", "Aishah binti Rahman", false},
		{"", "", false},
		{"...", "---", false},
	} {
		if got := jaga.NamesMatch(tc.a, tc.b); got != tc.want {
			t.Errorf("NamesMatch(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestSortRowErrors(t *testing.T) {
	errs := []jaga.RowError{{Line: 3, Field: "batch", Reason: "a"}, {Line: 2, Field: "batch"}, {Line: 3, Field: "batch", Reason: "b"}, {Line: 2, Field: "product"}, {Line: 2}}
	jaga.SortRowErrors(errs)
	want := []jaga.RowError{{Line: 2}, {Line: 2, Field: "product"}, {Line: 2, Field: "batch"}, {Line: 3, Field: "batch", Reason: "a"}, {Line: 3, Field: "batch", Reason: "b"}}
	for i := range want {
		if errs[i] != want[i] {
			t.Fatalf("got %v", errs)
		}
	}
	if jaga.FileHash([]byte("abc")) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Error("FileHash is not SHA-256")
	}
}
