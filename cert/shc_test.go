package cert

import (
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The examples' issuer moved: example 00 names the first URL, example 02
// the second; both serve the same key set.
var shcExampleIssuers = []string{"https://smarthealth.cards/examples/issuer", "https://spec.smarthealth.cards/examples/issuer"}

func shcExampleJWKS(t testing.TB) *JWKS {
	t.Helper()
	j := NewJWKS()
	for _, iss := range shcExampleIssuers {
		if err := j.Add(iss, mustRead(t, filepath.Join("testdata", "shc", "jwks.json"))); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// TestSHCExamples verifies the specification's published examples against
// their issuer's key set: the QR forms (one chunk and three) and the JWS.
func TestSHCExamples(t *testing.T) {
	jwks := shcExampleJWKS(t)
	read := func(name string) string {
		return strings.TrimSpace(string(mustRead(t, filepath.Join("testdata", "shc", name))))
	}
	// The examples' nbf is in 2021; verify as of a day after issue.
	tests := []struct {
		name    string
		payload string
		jws     string
	}{
		{"example 00, one QR code", read("example-00-f-qr-code-numeric-value-0.txt"), read("example-00-d-jws.txt")},
		{"example 02, three QR chunks", read("example-02-f-qr-code-numeric-value-0.txt") + "\n" + read("example-02-f-qr-code-numeric-value-1.txt") + "\n" + read("example-02-f-qr-code-numeric-value-2.txt"), read("example-02-d-jws.txt")},
		{"example 02, chunks out of order", read("example-02-f-qr-code-numeric-value-2.txt") + " " + read("example-02-f-qr-code-numeric-value-0.txt") + " " + read("example-02-f-qr-code-numeric-value-1.txt"), read("example-02-d-jws.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jws, err := DecodeSHCNumeric(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if jws != tt.jws {
				t.Fatal("numeric decoding differs from the published JWS")
			}
			s, err := DecodeSHC(jws)
			if err != nil {
				t.Fatal(err)
			}
			r := Verify(tt.payload, VerifyOptions{JWKS: jwks, At: s.NotBefore.Add(24 * time.Hour)})
			if !r.Valid || r.Kind != KindSHC || (r.Issuer != shcExampleIssuers[0] && r.Issuer != shcExampleIssuers[1]) {
				t.Fatalf("Verify = %+v", r)
			}
			if r.Certificate == nil {
				t.Fatal("no certificate")
			}
			// Example 00 is an immunization card; example 02 a lab report
			// (no Patient or Immunization resources).
			if strings.HasPrefix(tt.name, "example 00") {
				c := r.Certificate
				if c.FamilyName != "Anyperson" || c.DateOfBirth != "1951-01-20" || len(c.Entries) != 2 || c.Entries[0].Vaccine != "207" {
					t.Errorf("certificate = %+v", c)
				}
			}
			if EncodeSHCNumeric(jws) != tt.payload && !strings.Contains(tt.payload, "/3/") {
				t.Error("EncodeSHCNumeric does not give the published QR text")
			}
		})
	}
}

// makeSHC makes a SMART Health Card with key, for tests.
func makeSHC(t testing.TB, key *ecdsa.PrivateKey, iss string, nbf time.Time, payload map[string]any) string {
	t.Helper()
	if payload == nil {
		payload = map[string]any{
			"iss": iss, "nbf": nbf.Unix(),
			"vc": map[string]any{
				"type": []string{"https://smarthealth.cards#health-card", "https://smarthealth.cards#immunization"},
				"credentialSubject": map[string]any{"fhirVersion": "4.0.1", "fhirBundle": map[string]any{
					"resourceType": "Bundle", "type": "collection",
					"entry": []any{
						map[string]any{"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Lim", "given": []string{"Wei"}}}, "birthDate": "1980-02-02"}},
						map[string]any{"resource": map[string]any{"resourceType": "Immunization", "status": "completed", "vaccineCode": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": "208"}}}, "occurrenceDateTime": "2025-01-01", "lotNumber": "L1"}},
					},
				}},
			},
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	hdr, _ := json.Marshal(map[string]string{"zip": "DEF", "alg": "ES256", "kid": JWKThumbprint(&key.PublicKey)})
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(z.Bytes())
	d := sha256.Sum256([]byte(input))
	sig, err := signES256(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestSHCOwnKeyAndBadInput(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const iss = "https://jaga.example/issuer"
	doc, err := MarshalJWKS(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := ParseJWKS(iss, doc)
	if err != nil {
		t.Fatal(err)
	}
	nbf := testNow.Add(-time.Hour)
	good := makeSHC(t, key, iss, nbf, nil)
	parts := strings.Split(good, ".")
	bySomeoneElse := makeSHC(t, other, iss, nbf, nil)
	bomb := func() string {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestCompression)
		fw.Write(make([]byte, 10<<20))
		fw.Close()
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(z.Bytes()) + "." + parts[2]
	}()
	tests := []struct {
		name, payload string
		opts          VerifyOptions
		valid         bool
		step, reason  string
	}{
		{"valid", EncodeSHCNumeric(good), VerifyOptions{JWKS: jwks, At: testNow}, true, "", ""},
		{"upper-case prefix", "SHC:/" + EncodeSHCNumeric(good)[5:], VerifyOptions{JWKS: jwks, At: testNow}, false, StepPrefix, "must be lower case"},
		{"odd digits", EncodeSHCNumeric(good) + "1", VerifyOptions{JWKS: jwks}, false, StepNumeric, "odd number of digits"},
		{"pair above 77", "shc:/9999", VerifyOptions{JWKS: jwks}, false, StepNumeric, "digit pair 99 at position 0, above 77"},
		{"letter", "shc:/56a6", VerifyOptions{JWKS: jwks}, false, StepNumeric, "character other than a digit at position 2"},
		{"missing chunk", "shc:/1/2/5676", VerifyOptions{JWKS: jwks}, false, StepNumeric, "the card has 2 chunks but 1 were given"},
		{"bad chunk header", "shc:/3/2/5676", VerifyOptions{JWKS: jwks}, false, StepNumeric, "chunk header of part 1"},
		{"not a JWS", EncodeSHCNumeric("abc"), VerifyOptions{JWKS: jwks}, false, StepJWS, "three parts"},
		{"deflate bomb", EncodeSHCNumeric(bomb), VerifyOptions{JWKS: jwks}, false, StepZlib, "larger than 65536 bytes"},
		{"truncated deflate", EncodeSHCNumeric(parts[0] + "." + parts[1][:len(parts[1])/8*4] + "." + parts[2]), VerifyOptions{JWKS: jwks}, false, StepZlib, "truncated"},
		{"unknown key", EncodeSHCNumeric(bySomeoneElse), VerifyOptions{JWKS: jwks, At: testNow}, false, StepTrust, "unknown key"},
		{"no key set", EncodeSHCNumeric(good), VerifyOptions{At: testNow}, false, StepTrust, "unknown key"},
		{"signature over other bytes", EncodeSHCNumeric(parts[0] + "." + strings.Split(makeSHC(t, key, iss, nbf.Add(time.Second), nil), ".")[1] + "." + parts[2]), VerifyOptions{JWKS: jwks, At: testNow}, false, StepSignature, "does not match"},
		{"not yet valid", EncodeSHCNumeric(good), VerifyOptions{JWKS: jwks, At: nbf.Add(-time.Hour)}, false, StepTime, "not yet valid"},
		{"wrong issuer", EncodeSHCNumeric(makeSHC(t, key, "https://evil.example", nbf, nil)), VerifyOptions{JWKS: jwks, At: testNow}, false, StepTrust, "unknown key"},
		{"no vc", EncodeSHCNumeric(makeSHC(t, key, iss, nbf, map[string]any{"iss": iss, "nbf": nbf.Unix()})), VerifyOptions{JWKS: jwks, At: testNow}, false, StepSchema, "no vc.credentialSubject.fhirBundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify(tt.payload, tt.opts)
			if r.Valid != tt.valid || r.Step != tt.step || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("Verify = valid %v step %q reason %q; want %v %q %q", r.Valid, r.Step, r.Reason, tt.valid, tt.step, tt.reason)
			}
		})
	}
	t.Run("kid must be the thumbprint", func(t *testing.T) {
		bad := strings.Replace(string(doc), JWKThumbprint(&key.PublicKey), "not-the-thumbprint", 1)
		if _, err := ParseJWKS(iss, []byte(bad)); err == nil {
			t.Error("accepted a kid that is not the thumbprint")
		}
	})
}

func FuzzSHC(f *testing.F) {
	read := func(name string) string {
		b, _ := osReadFile(filepath.Join("testdata", "shc", name))
		return strings.TrimSpace(string(b))
	}
	f.Add(read("example-00-f-qr-code-numeric-value-0.txt"))
	f.Add(read("example-02-f-qr-code-numeric-value-1.txt"))
	f.Add("shc:/1/2/5676 shc:/2/2/5676")
	f.Add(read("example-00-d-jws.txt"))
	jwks := shcExampleJWKS(f)
	f.Fuzz(func(t *testing.T, s string) {
		r := Verify(s, VerifyOptions{JWKS: jwks})
		if !r.Valid && r.Step == "" {
			t.Fatalf("invalid without a step: %+v", r)
		}
		if strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") == 2 {
			DecodeSHC(s)
		}
	})
}
