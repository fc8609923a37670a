package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

func TestAppendCheckInResponse(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 123456000, time.UTC)
	out := at.Add(time.Hour)
	for _, tc := range []struct {
		name string
		r    checkInResponse
	}{
		{"empty", checkInResponse{}},
		{"with a dependant", func() checkInResponse {
			var r checkInResponse
			r.Premises.ID, r.Premises.Name, r.Premises.Type = "p1", "Kedai Kopi Ah Seng", "restaurant"
			r.Visits = []jaga.Visit{
				{ID: "v1", PersonID: "a", PremisesID: "p1", PremisesName: "Kedai Kopi Ah Seng", CheckedInAt: at, LeavesAt: at.Add(90 * time.Minute), Source: "scan"},
				{ID: "v2", PersonID: "b", PremisesID: "p1", CheckedInAt: at.Truncate(time.Second), LeavesAt: at, CheckedOutAt: &out, Source: "code", SameVisit: true},
			}
			r.Door = []doorEntry{
				{DoorStatus: jaga.DoorStatus{PersonID: "a", Name: "Siti", Language: "ms", Risk: jaga.RiskLow, Vaccination: jaga.VaxComplete}, RiskLabel: "Risiko rendah", VaccinationLabel: "Lengkap"},
				{DoorStatus: jaga.DoorStatus{PersonID: "b", Name: "O'Brien \"Jr\" <b>&amp;</b> \u2028 Zoë \x01", Language: "en"}, RiskLabel: "Low\\risk"},
			}
			return r
		}()},
		{"empty lists", checkInResponse{Visits: []jaga.Visit{}, Door: []doorEntry{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(true)
			if err := enc.Encode(tc.r); err != nil {
				t.Fatal(err)
			}
			got := append(appendCheckInResponse(nil, &tc.r), '\n')
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("got  %s\nwant %s", got, want.Bytes())
			}
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>", "\"\\", "\u2028\u2029", "\xff", "Zoë"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
