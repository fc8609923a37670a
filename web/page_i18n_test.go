package web

import "testing"

// TestTranslatorRemembersPlainMessages checks that a message asked for
// without template data is the same from memory as localized, and that
// asking for it plain does not change it with data.
func TestTranslatorRemembersPlainMessages(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, lang, id string
		kv             []any
		want           string
	}{
		{"plain, English", "en", "vax.booster", nil, tr.localize("en", "vax.booster", nil)},
		{"plain again, from memory", "en", "vax.booster", nil, tr.localize("en", "vax.booster", nil)},
		{"plain, Malay", "ms", "vax.booster", nil, tr.localize("ms", "vax.booster", nil)},
		{"with data after a plain call", "en", "err.code_wrong", []any{"N", 2}, "The code is wrong. 2 attempts left."},
		{"unknown id", "en", "no.such.message", nil, "no.such.message"},
	}
	tr.T("en", "err.code_wrong") // remembered plain
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tr.T(tt.lang, tt.id, tt.kv...); got != tt.want {
				t.Errorf("T(%q, %q) = %q, want %q", tt.lang, tt.id, got, tt.want)
			}
		})
	}
	if en, ms := tr.T("en", "vax.booster"), tr.T("ms", "vax.booster"); en == ms || en == "" {
		t.Errorf("English %q and Malay %q: want two different messages", en, ms)
	}
}
