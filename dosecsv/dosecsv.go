// Package dosecsv reads vaccination centres' files of doses in CSV
// (RFC 4180, UTF-8, comma-separated) for jaga's dose import.
//
// The first line is a header naming the columns, in any order:
//
//	idNumber, dateOfBirth, fullName, product, manufacturer, batch,
//	doseNumber, totalDoses, booster, givenOn, country
//
// fullName and booster may be left out; every other column is required.
// Names match ignoring case, spaces, dashes and underscores, so id_number
// and "ID Number" are idNumber. A column outside this list is refused: it
// is most likely a misspelt one. Each later line is one dose: dates as
// YYYY-MM-DD, dose numbers as whole numbers, booster as yes/no, true/false,
// 1/0 or blank (no). A UTF-8 byte-order mark is skipped; blank lines and
// lines of empty fields are ignored. The fields mean what jaga.DoseRecord
// says.
//
// Parse reports a problem where it finds it: the header's on line 1, a
// row's under the row's line and the field as the API names it.
package dosecsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jaga-health/jaga"
)

// column is one column jaga reads.
type column struct {
	name     string // as the API names the field
	required bool
	set      func(r *jaga.DoseRow, v string)
}

var columns = []column{
	{"idNumber", true, func(r *jaga.DoseRow, v string) { r.Record.IDNumber = v }},
	{"dateOfBirth", true, func(r *jaga.DoseRow, v string) { r.Record.DateOfBirth = v }},
	{"fullName", false, func(r *jaga.DoseRow, v string) { r.Record.FullName = v }},
	{"product", true, func(r *jaga.DoseRow, v string) { r.Record.Product = v }},
	{"manufacturer", true, func(r *jaga.DoseRow, v string) { r.Record.Manufacturer = v }},
	{"batch", true, func(r *jaga.DoseRow, v string) { r.Record.Batch = v }},
	{"doseNumber", true, func(r *jaga.DoseRow, v string) { r.Record.DoseNumber = wholeNumber(r, "doseNumber", "Dose number", v) }},
	{"totalDoses", true, func(r *jaga.DoseRow, v string) { r.Record.TotalDoses = wholeNumber(r, "totalDoses", "Total doses", v) }},
	{"booster", false, setBooster},
	{"givenOn", true, func(r *jaga.DoseRow, v string) { r.Record.GivenOn = v }},
	{"country", true, func(r *jaga.DoseRow, v string) { r.Record.Country = v }},
}

// key folds a header name for matching.
func key(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.TrimSpace(s)))
}

// Parse reads a CSV file of doses. It returns EINVALID only for a file that
// is not CSV text at all (empty, binary, not UTF-8); everything else is a
// problem of the header or of a row in the result.
func Parse(data []byte) (*jaga.DoseImport, error) {
	f := &jaga.DoseImport{Format: jaga.ImportCSV, Hash: jaga.FileHash(data)}
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
		f.Problems = append(f.Problems, jaga.RowError{Line: lineOf(err, 1), Reason: "The header cannot be read: " + csvProblem(err)})
		return f, nil
	}
	cols, ok := readHeader(f, header)
	if !ok {
		return f, nil
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			f.Problems = append(f.Problems, jaga.RowError{Line: lineOf(err, 0), Reason: "The row cannot be read: " + csvProblem(err)})
			continue
		} else if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			f.Problems = append(f.Problems, jaga.RowError{Line: line,
				Reason: fmt.Sprintf("The row has %d fields; the header has %d.", len(rec), len(header))})
			continue
		}
		row := jaga.DoseRow{Line: line}
		for i, c := range cols {
			if c != nil {
				c.set(&row, strings.TrimSpace(rec[i]))
			}
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// readHeader maps the header's columns to jaga's, noting every problem
// on line 1. It reports whether the rows can be read.
func readHeader(f *jaga.DoseImport, header []string) ([]*column, bool) {
	problem := func(field, reason string) {
		f.Problems = append(f.Problems, jaga.RowError{Line: 1, Field: field, Reason: reason})
	}
	if len(header) == 1 && strings.ContainsAny(header[0], ";\t") {
		problem("", "The header has a single column: separate the columns with commas, not semicolons or tabs.")
		return nil, false
	}
	byKey := map[string]*column{}
	for i := range columns {
		byKey[key(columns[i].name)] = &columns[i]
	}
	cols := make([]*column, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		c := byKey[key(h)]
		switch {
		case strings.TrimSpace(h) == "":
			problem("", fmt.Sprintf("Column %d of the header has no name.", i+1))
		case c == nil:
			problem("", fmt.Sprintf("Column %d of the header is not a known column; the columns are %s.", i+1, columnList()))
		case seen[c.name]:
			problem(c.name, fmt.Sprintf("The column %s appears twice in the header.", c.name))
		default:
			seen[c.name] = true
			cols[i] = c
		}
	}
	for _, c := range columns {
		if c.required && !seen[c.name] {
			problem(c.name, fmt.Sprintf("The header lacks the column %s.", c.name))
		}
	}
	return cols, len(f.Problems) == 0
}

func columnList() string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// blank reports whether every field of a record is empty, as in the
// trailing lines a spreadsheet writes.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// wholeNumber reads a whole number, noting a problem of field when it is
// none; an empty value is left to validation, which requires it.
func wholeNumber(r *jaga.DoseRow, field, label, v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		problem(r, field, label+" must be a whole number, such as 2.")
		return 0
	}
	return n
}

func setBooster(r *jaga.DoseRow, v string) {
	switch strings.ToLower(v) {
	case "", "no", "n", "false", "0":
	case "yes", "y", "true", "1":
		r.Record.Booster = true
	default:
		problem(r, "booster", "Booster must be yes or no (or true or false, 1 or 0), or blank for no.")
	}
}

func problem(r *jaga.DoseRow, field, reason string) {
	if r.Problems == nil {
		r.Problems = map[string]string{}
	}
	r.Problems[field] = reason
}

// lineOf returns the line where a CSV parse error's record starts, or def.
func lineOf(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.StartLine > 0 {
		return pe.StartLine
	}
	return def
}

// csvProblem says what is wrong with a record in words, never with its text.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return "it is not CSV."
	}
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("a quote appears inside a field that is not quoted (line %d, column %d); double it, or quote the whole field.", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("a quoted field is not closed properly (line %d, column %d).", pe.Line, pe.Column)
	default:
		return fmt.Sprintf("it is not valid CSV (line %d, column %d).", pe.Line, pe.Column)
	}
}
