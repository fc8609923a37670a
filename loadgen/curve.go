package loadgen

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
)

//go:embed curves/checkin_malaysia_time.csv
var checkinCurves []byte

// PeakDay is the busiest day of Malaysia's national check-in system.
const PeakDay = "2021-12-04"

// CheckInCurve returns the 48 half-hourly check-in counts of a day of
// Malaysia's national check-in system (YYYY-MM-DD), 2020-12-01 to 2022-04-01.
func CheckInCurve(day string) ([]float64, error) {
	rows, err := csv.NewReader(bytes.NewReader(checkinCurves)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("check-in curves: %w", err)
	}
	for _, row := range rows[1:] {
		if row[0] != day {
			continue
		}
		if len(row) != 49 {
			return nil, fmt.Errorf("check-in curve %s: %d columns, want 49", day, len(row))
		}
		out := make([]float64, 48)
		for i, v := range row[1:] {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("check-in curve %s slot %d: %w", day, i, err)
			}
			out[i] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("no check-in curve for %s: the data runs from 2020-12-01 to 2022-04-01", day)
}
