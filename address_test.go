package jaga_test

import (
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
)

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		same       bool
	}{
		{"case and spaces", "12 Jalan Mawar,  43000 Kajang", "12 JALAN MAWAR 43000 KAJANG", true},
		{"jln", "12, Jln. Mawar", "12 Jalan Mawar", true},
		{"jl", "12 Jl Mawar", "12 jalan mawar", true},
		{"lrg", "8 Lrg Satu, Klang", "8 Lorong Satu Klang", true},
		{"tmn", "3 Jln Bunga, Tmn Desa", "3 Jalan Bunga Taman Desa", true},
		{"no. dropped", "No. 12, Jalan Mawar", "12 Jalan Mawar", true},
		{"no without dot", "NO 12 JALAN MAWAR", "12 jalan mawar", true},
		{"kg and bkt", "Kg. Bkt Tinggi", "Kampung Bukit Tinggi", true},
		{"unit dashes", "A-3-12, Blk A", "A 3 12 Blok A", true},
		{"different number", "12 Jalan Mawar", "14 Jalan Mawar", false},
		{"different street", "12 Jalan Mawar", "12 Jalan Melati", false},
		{"no inside a word stays", "Jalan Nona 1", "Jalan 1", false},
		{"accented letters kept", "Rue Éclair 5", "rue éclair 5", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := jaga.AddressKey(tc.a), jaga.AddressKey(tc.b)
			if (ka == kb) != tc.same {
				t.Errorf("AddressKey(%q) = %q, AddressKey(%q) = %q; same = %v, want %v", tc.a, ka, tc.b, kb, ka == kb, tc.same)
			}
		})
	}
	for _, tc := range []struct{ name, in, want string }{
		{"blank", "   ", ""},
		{"punctuation only", ",.-/#", ""},
		{"no alone", "No.", ""},
		{"folded", "No. 12, Jln. Mawar, Tmn Sri", "12 jalan mawar taman sri"},
	} {
		t.Run("key "+tc.name, func(t *testing.T) {
			if got := jaga.AddressKey(tc.in); got != tc.want {
				t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzAddressKey checks that a key is its own key, in lower case, with
// single spaces between words.
func FuzzAddressKey(f *testing.F) {
	for _, s := range []string{"No. 12, Jln. Mawar", "A-3-12 Blk A", "", "  \t", "ÉCLAIR 5", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := jaga.AddressKey(s)
		if again := jaga.AddressKey(k); again != k {
			t.Fatalf("AddressKey(%q) = %q, but its key is %q", s, k, again)
		}
		if strings.Contains(k, "  ") || strings.TrimSpace(k) != k {
			t.Fatalf("AddressKey(%q) = %q has stray spaces", s, k)
		}
	})
}
