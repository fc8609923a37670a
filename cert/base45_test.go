package cert

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
)

// The examples of RFC 9285 sections 4.3 and 4.4.
func TestBase45RFC9285(t *testing.T) {
	tests := []struct {
		name, in, out string
	}{
		{"AB", "AB", "BB8"},
		{"Hello!!", "Hello!!", "%69 VD92EX0"},
		{"base-45", "base-45", "UJCLQE7W581"},
		{"ietf!", "ietf!", "QED8WEX0"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeBase45([]byte(tt.in)); got != tt.out {
				t.Errorf("EncodeBase45(%q) = %q, want %q", tt.in, got, tt.out)
			}
			got, err := DecodeBase45(tt.out)
			if err != nil {
				t.Fatalf("DecodeBase45(%q): %v", tt.out, err)
			}
			if string(got) != tt.in {
				t.Errorf("DecodeBase45(%q) = %q, want %q", tt.out, got, tt.in)
			}
		})
	}
}

func TestBase45Errors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"invalid character", "QED8WEX~", "invalid Base45 character at position 7"},
		{"lower case", "qed8WEX0", "invalid Base45 character at position 0"},
		{"dangling character", "QED8", "dangling Base45 character at position 3: the length 4 leaves one character over"},
		{"bad character before dangling", "Q~D8", "invalid Base45 character at position 1"},
		{"group above 65535 (RFC 9285 GGW)", "GGW", "Base45 group at position 0 has value 65536, above 65535"},
		{"pair above 255", "ZZ", "Base45 group at position 0 has value 1610, above 255"},
		{"later group out of range", "BB8:::", "Base45 group at position 3 has value 91124, above 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBase45(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			var se *StepError
			if !asStepError(err, &se) || se.Step != StepBase45 {
				t.Fatalf("error %v is not a base45 StepError", err)
			}
			if se.Reason != tt.reason {
				t.Errorf("reason %q, want %q", se.Reason, tt.reason)
			}
			if jaga.ErrorCode(err) != jaga.EINVALID || jaga.ErrorMessage(err) != tt.reason {
				t.Errorf("jaga error code %q message %q", jaga.ErrorCode(err), jaga.ErrorMessage(err))
			}
		})
	}
}

func FuzzBase45(f *testing.F) {
	for _, s := range []string{"BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "ZZ", "", "A", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBase45(s)
		if err != nil {
			if !strings.Contains(err.Error(), "Base45") {
				t.Fatalf("error without detail: %v", err)
			}
			return
		}
		// A text that decodes is the canonical encoding of its bytes.
		if got := EncodeBase45(b); got != s {
			t.Fatalf("EncodeBase45(DecodeBase45(%q)) = %q", s, got)
		}
		round, err := DecodeBase45(EncodeBase45([]byte(s)))
		if err != nil || !bytes.Equal(round, []byte(s)) {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
	})
}
