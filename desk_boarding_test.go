package jaga

import (
	"strings"
	"testing"
)

func TestNormalizeConsentCode(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"as shown", "K7M2-Q9XR", "K7M2Q9XR", true},
		{"typed in lower case with spaces", " k7m2 q9xr ", "K7M2Q9XR", true},
		{"too short", "K7M2Q9X", "", false},
		{"too long", "K7M2Q9XRR", "", false},
		{"an ambiguous letter", "K7M2Q9XO", "", false},
		{"a one", "K7M2Q9X1", "", false},
		{"punctuation", "K7M2.Q9XR", "", false},
		{"not ASCII", "K7M2Q9XＲ", "", false},
		{"empty", "", "", false},
		{"huge", strings.Repeat("K", 1000), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := NormalizeConsentCode(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("NormalizeConsentCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBoardingQueryValid(t *testing.T) {
	good := func() BoardingQuery {
		return BoardingQuery{Code: "k7m2-q9xr", PassportName: "  RAHMAN  AISYAH ", Flight: "mh 370", Airport: "kul"}
	}
	tests := []struct {
		name   string
		change func(q *BoardingQuery)
		field  string // "" when valid
	}{
		{"valid", func(*BoardingQuery) {}, ""},
		{"no code", func(q *BoardingQuery) { q.Code = "" }, "code"},
		{"no passport name", func(q *BoardingQuery) { q.PassportName = " " }, "passportName"},
		{"markup in the name", func(q *BoardingQuery) { q.PassportName = "<b>Aisyah</b>" }, "passportName"},
		{"bad flight", func(q *BoardingQuery) { q.Flight = "flight 7" }, "flight"},
		{"bad airport", func(q *BoardingQuery) { q.Airport = "KLIA" }, "airport"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := good()
			tc.change(&q)
			problems := q.Valid()
			if tc.field == "" {
				if problems != nil || q.Code != "K7M2Q9XR" || q.PassportName != "RAHMAN AISYAH" || q.Flight != "MH370" || q.Airport != "KUL" {
					t.Fatalf("problems %v, query %+v", problems, q)
				}
				return
			}
			if _, ok := problems[tc.field]; !ok || len(problems) != 1 {
				t.Fatalf("problems %v, want one on %s", problems, tc.field)
			}
		})
	}
}

func FuzzNormalizeConsentCode(f *testing.F) {
	for _, s := range []string{"K7M2-Q9XR", "k7m2 q9xr", "", "OOOOOOOO", "K7M2Q9XＲ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizeConsentCode(s)
		if !ok {
			return
		}
		if len(got) != ConsentCodeLength {
			t.Fatalf("%q normalizes to %q", s, got)
		}
		for _, r := range got {
			if !strings.ContainsRune(ConsentAlphabet, r) {
				t.Fatalf("%q normalizes to %q", s, got)
			}
		}
		if again, ok := NormalizeConsentCode(got); !ok || again != got {
			t.Fatalf("%q is not stable", got)
		}
	})
}
