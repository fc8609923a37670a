package fhir_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/fhir"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGoodBundle(t *testing.T) {
	data := read(t, "bundle-good.json")
	f, err := fhir.ParseImmunizationBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != jaga.ImportFHIR || f.Hash != jaga.FileHash(data) || len(f.Problems) != 0 || len(f.Warnings) != 0 {
		t.Fatalf("format %q problems %+v warnings %+v", f.Format, f.Problems, f.Warnings)
	}
	want := []jaga.DoseRow{
		{Line: 3, Record: jaga.DoseRecord{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", FullName: "Hakim bin Ismail",
			Product: "EU/1/20/1507", Manufacturer: "ORG-100031184", Batch: "3002183", DoseNumber: 1, TotalDoses: 2,
			GivenOn: "2021-07-20", Country: "MY"}},
		{Line: 4, Record: jaga.DoseRecord{IDNumber: "880420-14-6021", DateOfBirth: "1988-04-20", FullName: "Hakim bin Ismail",
			Product: "EU/1/20/1507", Manufacturer: "ORG-100031184", Batch: "3002521", DoseNumber: 2, TotalDoses: 2,
			GivenOn: "2021-08-17", Country: "MY"}},
		{Line: 5, Record: jaga.DoseRecord{IDNumber: "K1234567", DateOfBirth: "1992-11-30", FullName: "Priya Raman",
			Product: "EU/1/21/1529", Manufacturer: "ORG-100001699", Batch: "ABW0412", DoseNumber: 2, TotalDoses: 2,
			GivenOn: "2021-10-01", Country: "MY"}},
	}
	if len(f.Rows) != len(want) {
		t.Fatalf("%d rows: %+v", len(f.Rows), f.Rows)
	}
	for i, w := range want {
		if got := f.Rows[i]; got.Line != w.Line || got.Record != w.Record || got.Problems != nil {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, w)
		}
		rec := f.Rows[i].Record
		rec.Normalize()
		if p := rec.Valid(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); p != nil {
			t.Errorf("row %d: %v", i, p)
		}
	}
}

func TestParseBadBundle(t *testing.T) {
	f, err := fhir.ParseImmunizationBundle(read(t, "bundle-bad.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range f.Rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{1, 2, 3, 7}) {
		t.Fatalf("rows of entries %v", lines)
	}
	rows := map[int]jaga.DoseRow{}
	for _, r := range f.Rows {
		rows[r.Line] = r
	}
	if r := rows[1]; r.Problems != nil || r.Record.Product != "EU/1/99/9999" || r.Record.Batch != "" {
		t.Errorf("entry 1: %+v", r)
	}
	if p := rows[2].Problems; len(p) != 2 || !strings.Contains(p["idNumber"], "no Patient") || !strings.Contains(p["givenOn"], "full date") {
		t.Errorf("entry 2: %v", p)
	}
	if p := rows[3].Problems; len(p) != 2 || !strings.Contains(p["doseNumber"], "positive") || !strings.Contains(p["totalDoses"], "missing") {
		t.Errorf("entry 3: %v", p)
	}
	if p := rows[7].Problems; len(p) != 1 || !strings.Contains(p["country"], "country") {
		t.Errorf("entry 7: %v", p)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != 6 || f.Problems[0].Field != "batch" || !strings.Contains(f.Problems[0].Reason, "lotNumber") {
		t.Errorf("problems %+v", f.Problems)
	}
	if len(f.Warnings) != 2 || f.Warnings[0].Line != 4 || !strings.Contains(f.Warnings[0].Reason, "completed") ||
		f.Warnings[1].Line != 5 || !strings.Contains(f.Warnings[1].Reason, "not an Immunization") {
		t.Errorf("warnings %+v", f.Warnings)
	}
}

// immunization returns a bundle of one Patient and one Immunization, the
// latter changed by edit.
func immunization(t *testing.T, edit func(im map[string]any)) []byte {
	t.Helper()
	im := map[string]any{
		"resourceType": "Immunization", "status": "completed",
		"vaccineCode":        map[string]any{"coding": []any{map[string]any{"code": "comirnaty-not-a-code"}, map[string]any{"code": "EU/1/20/1528"}}},
		"patient":            map[string]any{"reference": "#p"},
		"contained":          []any{map[string]any{"resourceType": "Patient", "id": "p", "birthDate": "1990-01-01", "identifier": []any{map[string]any{"value": "900101145678"}}, "name": []any{map[string]any{"given": []any{"Aisyah", "binti"}, "family": "Rahman"}}}},
		"occurrenceDateTime": "2021-08-01T23:30:00-05:00",
		"manufacturer":       map[string]any{"identifier": map[string]any{"value": "ORG-100030215"}},
		"lotNumber":          "FF2153",
		"protocolApplied":    []any{map[string]any{"doseNumberString": "3", "seriesDosesPositiveInt": 2, "series": "Booster dose"}},
		"extension":          []any{map[string]any{"url": fhir.ExtensionDDCCCountry, "valueCoding": map[string]any{"code": "SGP"}}},
	}
	if edit != nil {
		edit(im)
	}
	b, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{map[string]any{"resource": im}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseImmunizationDetails(t *testing.T) {
	f, err := fhir.ParseImmunizationBundle(immunization(t, nil))
	if err != nil || len(f.Rows) != 1 || len(f.Problems) != 0 {
		t.Fatalf("%+v %v", f, err)
	}
	want := jaga.DoseRecord{IDNumber: "900101145678", DateOfBirth: "1990-01-01", FullName: "Aisyah binti Rahman",
		Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FF2153", DoseNumber: 3, TotalDoses: 2, Booster: true,
		GivenOn: "2021-08-01", Country: "SG"}
	if got := f.Rows[0]; got.Line != 0 || got.Record != want || got.Problems != nil {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	tests := []struct {
		name  string
		edit  func(im map[string]any)
		field string
		part  string
	}{
		{"no patient", func(im map[string]any) { delete(im, "patient") }, "idNumber", "must refer"},
		{"patient of another type", func(im map[string]any) { im["patient"] = map[string]any{"reference": "#x"} }, "idNumber", "no Patient"},
		{"no vaccine code", func(im map[string]any) { delete(im, "vaccineCode") }, "product", "vaccineCode"},
		{"no manufacturer", func(im map[string]any) { delete(im, "manufacturer") }, "manufacturer", "SPOR"},
		{"no protocol", func(im map[string]any) { delete(im, "protocolApplied") }, "doseNumber", "protocolApplied"},
		{"occurrence as text", func(im map[string]any) { delete(im, "occurrenceDateTime"); im["occurrenceString"] = "last summer" }, "givenOn", "occurrenceDateTime"},
		{"dose number as a word", func(im map[string]any) {
			im["protocolApplied"] = []any{map[string]any{"doseNumberString": "two", "seriesDosesPositiveInt": 2}}
		}, "doseNumber", "positive whole number"},
		{"series doses of the wrong type", func(im map[string]any) {
			im["protocolApplied"] = []any{map[string]any{"doseNumberPositiveInt": 1, "seriesDosesPositiveInt": true}}
		}, "totalDoses", "wrong JSON type"},
		{"location missing", func(im map[string]any) {
			delete(im, "extension")
			im["location"] = map[string]any{"reference": "Location/none"}
		}, "country", "no Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fhir.ParseImmunizationBundle(immunization(t, tt.edit))
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if len(f.Rows) == 1 {
				got = f.Rows[0].Problems[tt.field]
			} else if len(f.Problems) == 1 && f.Problems[0].Field == tt.field {
				got = f.Problems[0].Reason
			}
			if !strings.Contains(got, tt.part) {
				t.Errorf("%s: %q lacks %q (rows %+v problems %+v)", tt.field, got, tt.part, f.Rows, f.Problems)
			}
		})
	}
}

func TestParseEntriesWithoutResource(t *testing.T) {
	f, err := fhir.ParseImmunizationBundle([]byte(`{"resourceType": "Bundle", "type": "transaction", "entry": [
		{"resource": null}, {"fullUrl": "urn:uuid:1", "request": {"method": "DELETE", "url": "Immunization/1"}},
		{"resource": {"id": "a"}}, {"resource": "Immunization"}, {"resource": {"resourceType": 7}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var warned, refused []int
	for _, w := range f.Warnings {
		warned = append(warned, w.Line)
	}
	for _, p := range f.Problems {
		refused = append(refused, p.Line)
	}
	if len(f.Rows) != 0 || !slices.Equal(warned, []int{0, 1}) || !slices.Equal(refused, []int{2, 3, 4}) {
		t.Errorf("rows %+v warnings %+v problems %+v", f.Rows, f.Warnings, f.Problems)
	}
}

func TestParseBundleRefuses(t *testing.T) {
	for name, data := range map[string]string{
		"empty":          "",
		"not json":       "idNumber,dateOfBirth\n",
		"truncated":      `{"resourceType": "Bundle", "entry": [`,
		"a patient":      `{"resourceType": "Patient"}`,
		"no type":        `{"entry": []}`,
		"an array":       `[{"resourceType": "Bundle"}]`,
		"entry a string": `{"resourceType": "Bundle", "entry": "x"}`,
		"two values":     `{"resourceType": "Bundle"} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := fhir.ParseImmunizationBundle([]byte(data)); jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func FuzzParseBundle(f *testing.F) {
	f.Add(read(f, "bundle-good.json"))
	f.Add(read(f, "bundle-bad.json"))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Immunization","status":"completed","patient":{"reference":"#a"},"contained":[{"resourceType":"Patient","id":"a"}],"protocolApplied":[{"doseNumberString":"1"}]}},{"fullUrl":"x","resource":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := fhir.ParseImmunizationBundle(data)
		if err != nil {
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if file.Hash != jaga.FileHash(data) || file.Format != jaga.ImportFHIR {
			t.Fatalf("hash %q format %q", file.Hash, file.Format)
		}
		seen := map[int]bool{}
		last := -1
		for _, r := range file.Rows {
			if r.Line <= last {
				t.Fatalf("entry %d after entry %d", r.Line, last)
			}
			last = r.Line
			seen[r.Line] = true
			for field, reason := range r.Problems {
				if reason == "" || !strings.Contains("idNumber dateOfBirth product manufacturer batch doseNumber totalDoses booster givenOn country", field) {
					t.Fatalf("problem %q: %q", field, reason)
				}
			}
		}
		for _, p := range append(file.Problems, file.Warnings...) {
			if p.Line < 0 || p.Reason == "" || seen[p.Line] {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}
