package dosecsv_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/dosecsv"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGood(t *testing.T) {
	data := read(t, "doses-good.csv")
	f, err := dosecsv.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != jaga.ImportCSV || f.Hash != jaga.FileHash(data) || len(f.Problems) != 0 || len(f.Rows) != 5 {
		t.Fatalf("format %q hash %q problems %v rows %d", f.Format, f.Hash, f.Problems, len(f.Rows))
	}
	want := jaga.DoseRecord{IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", FullName: "Aisyah binti Rahman",
		Product: "EU/1/20/1528", Manufacturer: "ORG-100030215", Batch: "FK5127", DoseNumber: 3, TotalDoses: 2,
		Booster: true, GivenOn: "2022-01-10", Country: "MY"}
	if r := f.Rows[2]; r.Line != 4 || r.Record != want || r.Problems != nil {
		t.Errorf("row 3: %+v\nwant record %+v", r, want)
	}
	for i, r := range f.Rows {
		if r.Line != i+2 {
			t.Errorf("row %d on line %d", i, r.Line)
		}
		rec := r.Record
		rec.Normalize()
		if p := rec.Valid(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); p != nil {
			t.Errorf("line %d: %v", r.Line, p)
		}
	}
}

func TestParseBad(t *testing.T) {
	f, err := dosecsv.Parse(read(t, "doses-bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range f.Rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{2, 3, 4, 5, 6}) {
		t.Fatalf("rows on lines %v", lines)
	}
	if p := f.Rows[2].Problems; len(p) != 1 || !strings.Contains(p["doseNumber"], "whole number") {
		t.Errorf("line 4: %v", p)
	}
	if p := f.Rows[4].Problems; len(p) != 1 || !strings.Contains(p["booster"], "yes or no") {
		t.Errorf("line 6: %v", p)
	}
	if f.Rows[0].Problems != nil || f.Rows[1].Record.Product != "Sinovac" || f.Rows[2].Record.Country != "Malaysia" {
		t.Errorf("rows %+v", f.Rows[:3])
	}
	if len(f.Problems) != 2 || f.Problems[0].Line != 7 || !strings.Contains(f.Problems[0].Reason, "10 fields; the header has 11") ||
		f.Problems[1].Line != 8 || !strings.Contains(f.Problems[1].Reason, "quote") {
		t.Errorf("problems %+v", f.Problems)
	}
	for _, p := range f.Problems {
		if strings.Contains(p.Reason, "Aisyah") || strings.Contains(p.Reason, "Tan") {
			t.Errorf("%q repeats the row", p.Reason)
		}
	}
}

func TestParseHeader(t *testing.T) {
	const row = "\n900101145678,1990-01-01,EU/1/20/1528,ORG-100030215,FE6208,1,2,2021-07-12,MY\n"
	tests := []struct {
		name   string
		header string
		want   []jaga.RowError // Reason is a part of the reason
		rows   int
	}{
		{"canonical without optional columns", "idNumber,dateOfBirth,product,manufacturer,batch,doseNumber,totalDoses,givenOn,country", nil, 1},
		{"other spellings", "ID Number,date-of-birth,PRODUCT,Manufacturer,batch,dose_number,Total Doses,given_on,country", nil, 1},
		{"missing and unknown", "idNumber,dateOfBirth,product,maker,batch,doseNumber,totalDoses,givenOn,country",
			[]jaga.RowError{{Line: 1, Reason: "Column 4 of the header is not a known column"}, {Line: 1, Field: "manufacturer", Reason: "lacks the column manufacturer"}}, 0},
		{"twice", "idNumber,dateOfBirth,product,manufacturer,batch,doseNumber,totalDoses,givenOn,country,id_number",
			[]jaga.RowError{{Line: 1, Field: "idNumber", Reason: "appears twice"}}, 0},
		{"nameless column", "idNumber,dateOfBirth,product,manufacturer,batch,doseNumber,totalDoses,givenOn,country,",
			[]jaga.RowError{{Line: 1, Reason: "Column 10 of the header has no name"}}, 0},
		{"semicolons", "idNumber;dateOfBirth;product;manufacturer;batch;doseNumber;totalDoses;givenOn;country",
			[]jaga.RowError{{Line: 1, Reason: "not semicolons"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := dosecsv.Parse([]byte(tt.header + row))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Rows) != tt.rows || len(f.Problems) != len(tt.want) {
				t.Fatalf("rows %d problems %+v", len(f.Rows), f.Problems)
			}
			for i, w := range tt.want {
				p := f.Problems[i]
				if p.Line != w.Line || p.Field != w.Field || !strings.Contains(p.Reason, w.Reason) {
					t.Errorf("problem %+v, want %+v", p, w)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for name, data := range map[string]string{
		"empty":      "",
		"spaces":     " \r\n\n",
		"bom only":   "\ufeff",
		"binary":     "idNumber\x00\x01",
		"not utf-8":  "idNumber,fullName\n1,Ren\xe9\n",
		"pdf header": "%PDF-1.4\x00",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dosecsv.Parse([]byte(data))
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	const header = "\ufeffidNumber,dateOfBirth,product,manufacturer,batch,doseNumber,totalDoses,booster,givenOn,country\r\n"
	data := header +
		"900101145678,1990-01-01,EU/1/20/1528,ORG-100030215,\"FE 62\n08\",1,2,TRUE,2021-07-12,MY\r\n" + // a quoted field over two lines
		",,,,,,,,,\r\n" + // a spreadsheet's empty line
		"\r\n" +
		"  900101145678 , 1990-01-01 ,EU/1/20/1528,ORG-100030215, FE6208 , 3 , 2 ,n,2021-07-12, my \r\n" +
		"900101145678,1990-01-01,EU/1/20/1528,ORG-100030215,FE6208,2.5,-,Y,2021-07-12,MY\r\n"
	f, err := dosecsv.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) != 0 || len(f.Rows) != 3 {
		t.Fatalf("problems %v rows %+v", f.Problems, f.Rows)
	}
	if r := f.Rows[0]; r.Line != 2 || r.Record.Batch != "FE 62\n08" || !r.Record.Booster {
		t.Errorf("row %+v", r)
	}
	if r := f.Rows[1]; r.Line != 6 || r.Record.IDNumber != "900101145678" || r.Record.DoseNumber != 3 || r.Record.Booster || r.Record.Country != "my" {
		t.Errorf("row %+v", r)
	}
	if r := f.Rows[2]; r.Line != 7 || len(r.Problems) != 2 || r.Problems["doseNumber"] == "" || r.Problems["totalDoses"] == "" || !r.Record.Booster {
		t.Errorf("row %+v", r)
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"doses-good.csv", "doses-bad.csv"} {
		f.Add(read(f, name))
	}
	f.Add([]byte("idNumber,dateOfBirth,product,manufacturer,batch,doseNumber,totalDoses,givenOn,country\n\"a\"b,\"\n"))
	f.Add([]byte("\ufeffa;b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := dosecsv.Parse(data)
		if err != nil {
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if file.Hash != jaga.FileHash(data) || file.Format != jaga.ImportCSV {
			t.Fatalf("hash %q format %q", file.Hash, file.Format)
		}
		lines := 1 + strings.Count(string(data), "\n") + strings.Count(string(data), "\r")
		last := 1
		for _, r := range file.Rows {
			if r.Line <= last || r.Line > lines {
				t.Fatalf("row on line %d after line %d (of %d)", r.Line, last, lines)
			}
			last = r.Line
			for field := range r.Problems {
				if field != "doseNumber" && field != "totalDoses" && field != "booster" {
					t.Fatalf("problem of unknown field %q", field)
				}
			}
		}
		for _, p := range file.Problems {
			if p.Line < 1 || p.Line > lines || p.Reason == "" {
				t.Fatalf("problem %+v", p)
			}
		}
		if len(file.Problems) > 0 && file.Problems[0].Line == 1 && len(file.Rows) > 0 {
			t.Fatalf("rows read under a bad header")
		}
	})
}
