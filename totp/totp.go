// Package totp creates and checks RFC 6238 time-based one-time codes for
// staff sign-in, with github.com/pquerna/otp.
package totp

import (
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Issuer names jaga in authenticator apps.
const Issuer = "jaga"

// Authenticator implements jaga.TOTP: 6 digits, 30-second periods, SHA-1
// (what every authenticator app reads), one period of clock skew allowed.
type Authenticator struct{}

// NewSecret returns a new base32 secret and its otpauth:// URL.
func (Authenticator) NewSecret(account string) (string, string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: account})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

func opts() totp.ValidateOpts {
	return totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
}

// Validate reports whether code is valid for secret at the time.
func (Authenticator) Validate(secret, code string, at time.Time) bool {
	ok, err := totp.ValidateCustom(code, secret, at, opts())
	return err == nil && ok
}

// Code returns the code for secret at the time; the demo and tests use it.
func Code(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, opts())
}
