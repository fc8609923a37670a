package casecsv_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/casecsv"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     string
		rows     int
		problems int
		code     string
	}{
		{"good", "idNumber,dateOfBirth,testedOn,reference\n900101145678,1990-01-01,2026-03-01,L1\n", 1, 0, ""},
		{"header in any case and order", "Reference,TESTED_ON,date of birth,id-number,onsetOn\nL1,2026-03-01,1990-01-01,900101145678,\n", 1, 0, ""},
		{"blank lines skipped", "idNumber,dateOfBirth,testedOn,reference\n\n,,,\n900101145678,1990-01-01,2026-03-01,L1\n", 1, 0, ""},
		{"unknown column", "idNumber,dateOfBirth,testedOn,reference,colour\n", 0, 1, ""},
		{"missing column", "idNumber,dateOfBirth,reference\n", 0, 1, ""},
		{"repeated column", "idNumber,idNumber,dateOfBirth,testedOn,reference\n", 0, 1, ""},
		{"bad quoting", "idNumber,dateOfBirth,testedOn,reference\n\"9001,1990-01-01,2026-03-01,L1\n", 0, 1, ""},
		{"empty", "  \n", 0, 0, jaga.EINVALID},
		{"binary", "a\x00b", 0, 0, jaga.EINVALID},
		{"not utf-8", "\xff\xfe", 0, 0, jaga.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := casecsv.Parse([]byte(tc.data))
			if jaga.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want code %q", err, tc.code)
			}
			if err != nil {
				return
			}
			if len(f.Rows) != tc.rows || len(f.Problems) != tc.problems || f.Source != jaga.CaseSourceCSV || len(f.Hash) != 64 {
				t.Fatalf("Parse = %d rows, problems %+v; want %d rows, %d problems", len(f.Rows), f.Problems, tc.rows, tc.problems)
			}
		})
	}
}

func TestParseFixtures(t *testing.T) {
	for name, rows := range map[string]int{"cases.csv": 2, "bad.csv": 5} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			f, err := casecsv.Parse(data)
			if err != nil || len(f.Rows) != rows {
				t.Fatalf("Parse = %v, %v; want %d rows", f, err, rows)
			}
		})
	}
}

func TestParseFeed(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		rows       int
		code       string
	}{
		{"good", `{"cases":[{"idNumber":"900101145678","dateOfBirth":"1990-01-01","testedOn":"2026-03-01","reference":"L1"}]}`, 1, ""},
		{"unknown field", `{"cases":[{"idNumber":"9","colour":"red"}]}`, 0, jaga.EINVALID},
		{"not json", `cases`, 0, jaga.EINVALID},
		{"trailing data", `{"cases":[]} {}`, 0, jaga.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := casecsv.ParseFeed([]byte(tc.data))
			if jaga.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want %q", err, tc.code)
			}
			if err == nil && (len(f.Rows) != tc.rows || f.Source != jaga.CaseSourceLab) {
				t.Fatalf("ParseFeed = %+v", f)
			}
		})
	}
}

// FuzzParse checks that no input makes the parsers panic, that a row's
// line lies within the file, and that no problem repeats a value.
func FuzzParse(f *testing.F) {
	f.Add([]byte("idNumber,dateOfBirth,testedOn,reference\n900101145678,1990-01-01,2026-03-01,L1\n"))
	f.Add([]byte("reference,testedOn\n\"a\"\"b\",x\n"))
	f.Add([]byte(`{"cases":[{"testedOn":"2026-03-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := casecsv.Parse(data); err == nil {
			lines := 1 + bytes(data)
			for _, r := range c.Rows {
				if r.Line < 2 || r.Line > lines {
					t.Fatalf("row line %d outside 2..%d", r.Line, lines)
				}
			}
		}
		_, _ = casecsv.ParseFeed(data)
	})
}

func bytes(data []byte) int {
	n := 0
	for _, b := range data {
		if b == '\n' || b == '\r' {
			n++
		}
	}
	return n
}
