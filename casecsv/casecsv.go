// Package casecsv reads files of confirmed cases in CSV (RFC 4180, UTF-8)
// for jaga's case import, and laboratories' JSON feeds of cases.
//
// The first line of a CSV file is a header naming the columns, in any
// order: idNumber, dateOfBirth, testedOn, onsetOn (optional) and
// reference. Names match ignoring case, spaces, dashes and underscores. A
// column outside this list is refused. Each later line is one case; blank
// lines are ignored. A problem is reported under its line and field, and
// never repeats the value.
package casecsv

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jaga-health/jaga"
)

var columns = map[string]func(r *jaga.CaseRecord, v string){
	"idnumber":    func(r *jaga.CaseRecord, v string) { r.IDNumber = v },
	"dateofbirth": func(r *jaga.CaseRecord, v string) { r.DateOfBirth = v },
	"testedon":    func(r *jaga.CaseRecord, v string) { r.TestedOn = v },
	"onseton":     func(r *jaga.CaseRecord, v string) { r.OnsetOn = v },
	"reference":   func(r *jaga.CaseRecord, v string) { r.Reference = v },
}

var required = []string{"idnumber", "dateofbirth", "testedon", "reference"}

func key(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.TrimSpace(s)))
}

// Parse reads a CSV file of cases. It returns EINVALID only for a file
// that is not CSV text at all; everything else is a problem in the result.
func Parse(data []byte) (*jaga.CaseImport, error) {
	f := &jaga.CaseImport{Source: jaga.CaseSourceCSV, Hash: jaga.FileHash(data)}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, jaga.Errorf(jaga.EINVALID, "The file is empty.")
	case bytes.IndexByte(data, 0) >= 0:
		return nil, jaga.Errorf(jaga.EINVALID, "The file is not CSV text: it holds binary data.")
	case !utf8.Valid(data):
		return nil, jaga.Errorf(jaga.EINVALID, "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and send it again.")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		f.Problems = append(f.Problems, jaga.RowError{Line: 1, Reason: "The header cannot be read as CSV."})
		return f, nil
	}
	set := make([]func(*jaga.CaseRecord, string), len(header))
	seen := map[string]bool{}
	for i, h := range header {
		k := key(h)
		fn, ok := columns[k]
		switch {
		case !ok:
			f.Problems = append(f.Problems, jaga.RowError{Line: 1, Reason: fmt.Sprintf("Column %d is not a known column.", i+1)})
		case seen[k]:
			f.Problems = append(f.Problems, jaga.RowError{Line: 1, Reason: fmt.Sprintf("Column %d repeats an earlier column.", i+1)})
		default:
			seen[k], set[i] = true, fn
		}
	}
	for _, k := range required {
		if !seen[k] {
			f.Problems = append(f.Problems, jaga.RowError{Line: 1, Reason: "The header has no " + k + " column."})
		}
	}
	if len(f.Problems) > 0 {
		return f, nil
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			f.Problems = append(f.Problems, jaga.RowError{Line: pe.StartLine, Reason: "The line cannot be read as CSV."})
			if len(f.Problems) > 100 {
				break
			}
			continue
		} else if err != nil {
			return nil, jaga.Errorf(jaga.EINVALID, "The file cannot be read.")
		}
		line, _ := r.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		row := jaga.CaseRow{Line: line}
		if len(rec) != len(header) {
			row.Problems = map[string]string{"": fmt.Sprintf("The line has %d fields; the header has %d.", len(rec), len(header))}
		}
		for i, v := range rec {
			if i < len(set) && set[i] != nil {
				set[i](&row.Record, v)
			}
		}
		f.Rows = append(f.Rows, row)
		if len(f.Rows) > jaga.MaxCaseImportRows {
			break // the store refuses the file by its count
		}
	}
	return f, nil
}

// Feed is a laboratory's JSON feed of cases.
type Feed struct {
	Cases []jaga.CaseRecord `json:"cases"`
}

// ParseFeed reads a laboratory's JSON feed: {"cases": [CaseRecord, ...]}.
// Each case is an entry numbered from 0; unknown fields are refused.
func ParseFeed(data []byte) (*jaga.CaseImport, error) {
	f := &jaga.CaseImport{Source: jaga.CaseSourceLab, Hash: jaga.FileHash(data)}
	var feed Feed
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&feed); err != nil {
		return nil, jaga.Errorf(jaga.EINVALID, "The feed is not a JSON object of the form {\"cases\": [...]} with known fields.")
	}
	if dec.More() {
		return nil, jaga.Errorf(jaga.EINVALID, "The feed has data after its JSON object.")
	}
	for i, c := range feed.Cases {
		f.Rows = append(f.Rows, jaga.CaseRow{Line: i, Record: c})
	}
	return f, nil
}
