package totp_test

import (
	"testing"
	"time"

	"github.com/jaga-health/jaga/totp"
)

func TestAuthenticator(t *testing.T) {
	var a totp.Authenticator
	secret, url, err := a.NewSecret("officer@moh.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(url) < 20 || secret == "" {
		t.Fatalf("secret %q url %q", secret, url)
	}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	code, err := totp.Code(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		code string
		at   time.Time
		want bool
	}{
		{"same period", code, now, true},
		{"one period later", code, now.Add(30 * time.Second), true},
		{"two periods later", code, now.Add(61 * time.Second), false},
		{"wrong code", "000000", now, code == "000000"},
		{"not digits", "abcdef", now, false},
		{"empty", "", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Validate(secret, tt.code, tt.at); got != tt.want {
				t.Fatalf("Validate = %v, want %v", got, tt.want)
			}
		})
	}
}
