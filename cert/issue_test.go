package cert

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/jaga-health/jaga"
	"github.com/veraison/go-cose"
)

// TestIssueVerifyBothWays issues certificates and reads them back twice:
// with jaga's Verify, and on an independent path written for this test
// (its own Base45 decoder, compress/zlib, veraison/go-cose for COSE_Sign1
// and its ES256 check, fxamacker/cbor into generic maps for the claims).
func TestIssueVerifyBothWays(t *testing.T) {
	p := getPKI(t)
	ci, err := NewUVCI("MY")
	if err != nil {
		t.Fatal(err)
	}
	vacc := testDCC(ci)
	test := DCC{Name: PersonName{FamilyName: "Tan", FamilyNameStd: "TAN", GivenName: "Mei Ling", GivenNameStd: "MEI<LING"}, DateOfBirth: "1985",
		Tests: []Test{{Target: "840539006", Type: "LP6464-4", Name: "SARS-CoV-2 RT-PCR", SampledAt: "2025-05-30T08:00:00Z",
			Result: "260415000", Centre: "Klinik Kesihatan Kuala Lumpur", Country: "MY", Issuer: "Ministry of Health Malaysia", CertificateID: ci}}}
	rec := DCC{Name: PersonName{FamilyNameStd: "RAMASAMY", GivenNameStd: "KUMAR"}, DateOfBirth: "1970-01-31",
		Recoveries: []Recovery{{Target: "840539006", FirstPositive: "2025-04-01", Country: "MY", Issuer: "Ministry of Health Malaysia",
			ValidFrom: "2025-04-12", ValidUntil: "2025-10-01", CertificateID: ci}}}
	iat, exp := testNow.Add(-time.Hour), testNow.AddDate(1, 0, 0)
	for _, tt := range []struct {
		name string
		dcc  DCC
	}{{"vaccination", vacc}, {"test", test}, {"recovery", rec}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := p.issuer.Issue(tt.dcc, iat, exp)
			if err != nil {
				t.Fatal(err)
			}
			// jaga's own path.
			r := Verify(s, VerifyOptions{Trust: p.trust, At: testNow})
			if !r.Valid || r.Kind != KindEUDCC || r.Issuer != "MY" || !r.IssuedAt.Equal(iat.Truncate(time.Second)) || !r.ExpiresAt.Equal(exp.Truncate(time.Second)) {
				t.Fatalf("Verify = %+v", r)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings on a certificate jaga issued: %v", r.Warnings)
			}
			if r.Certificate == nil || r.Certificate.FamilyNameStd != tt.dcc.Name.FamilyNameStd || r.Certificate.DCC.CertificateID() != ci {
				t.Errorf("certificate = %+v", r.Certificate)
			}
			// The independent path.
			claims := independentDecode(t, s, &p.dsc.Key.PublicKey, p.issuer.KID())
			if got := claims[uint64(1)]; got != "MY" {
				t.Errorf("iss = %v", got)
			}
			if got := claims[uint64(6)]; got != uint64(iat.Unix()) {
				t.Errorf("iat = %v", got)
			}
			if got := claims[uint64(4)]; got != uint64(exp.Unix()) {
				t.Errorf("exp = %v", got)
			}
			hcert, _ := claims[int64(-260)].(map[any]any)
			dcc, _ := hcert[uint64(1)].(map[any]any)
			if dcc == nil {
				t.Fatalf("no hcert DCC in %v", claims)
			}
			if dcc["ver"] != SchemaVersion || dcc["dob"] != tt.dcc.DateOfBirth {
				t.Errorf("ver/dob = %v/%v", dcc["ver"], dcc["dob"])
			}
			nam, _ := dcc["nam"].(map[any]any)
			if nam["fnt"] != tt.dcc.Name.FamilyNameStd {
				t.Errorf("nam.fnt = %v", nam["fnt"])
			}
			group := map[string]string{"vaccination": "v", "test": "t", "recovery": "r"}[tt.name]
			entries, _ := dcc[group].([]any)
			if len(entries) != 1 {
				t.Fatalf("%s has %d entries", group, len(entries))
			}
			if e := entries[0].(map[any]any); e["ci"] != ci || e["co"] != "MY" || e["tg"] != "840539006" {
				t.Errorf("entry = %v", e)
			}
			if tt.name == "vaccination" {
				e := entries[0].(map[any]any)
				if e["dn"] != uint64(3) || e["sd"] != uint64(3) || e["mp"] != "EU/1/20/1528" {
					t.Errorf("vaccination entry = %v", e)
				}
			}
		})
	}
}

// independentDecode reads an HC1 text without any of jaga's decoding code
// and returns its CWT claims as a generic map.
func independentDecode(t *testing.T, s string, pub *ecdsa.PublicKey, kid []byte) map[any]any {
	t.Helper()
	if !strings.HasPrefix(s, "HC1:") {
		t.Fatalf("no HC1 prefix")
	}
	compressed := base45Reference(t, s[4:])
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		t.Fatalf("go-cose: %v", err)
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil || alg != cose.AlgorithmES256 {
		t.Fatalf("alg = %v, %v", alg, err)
	}
	if got, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte); !bytes.Equal(got, kid) {
		t.Fatalf("kid = %x, want %x", got, kid)
	}
	v, err := cose.NewVerifier(cose.AlgorithmES256, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Verify(nil, v); err != nil {
		t.Fatalf("go-cose verify: %v", err)
	}
	var claims map[any]any
	if err := cbor.Unmarshal(msg.Payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// base45Reference decodes Base45 the slow, obvious way, as RFC 9285
// describes it, independently of DecodeBase45.
func base45Reference(t *testing.T, s string) []byte {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	var out []byte
	for i := 0; i < len(s); i += 3 {
		chunk := s[i:min(i+3, len(s))]
		n := 0
		for j := len(chunk) - 1; j >= 0; j-- {
			v := strings.IndexByte(alphabet, chunk[j])
			if v < 0 {
				t.Fatalf("bad character %q", chunk[j])
			}
			n = n*45 + v
		}
		if len(chunk) == 3 {
			out = append(out, byte(n/256), byte(n%256))
		} else {
			out = append(out, byte(n))
		}
	}
	return out
}

func TestIssueRefuses(t *testing.T) {
	p := getPKI(t)
	ci := "URN:UVCI:01:MY:ABCDEFGHJKLMNPQRSTUVWXYZ23#H"
	iat, exp := testNow, testNow.AddDate(1, 0, 0)
	mod := func(f func(d *DCC)) DCC {
		d := testDCC(ci)
		d.Vaccinations = append([]Vaccination(nil), d.Vaccinations...)
		f(&d)
		return d
	}
	tests := []struct {
		name  string
		dcc   DCC
		iat   time.Time
		field string
	}{
		{"unknown product", mod(func(d *DCC) { d.Vaccinations[0].Product = "EU/9/99/9999" }), iat, "v[0].mp"},
		{"unknown manufacturer", mod(func(d *DCC) { d.Vaccinations[0].Manufacturer = "ORG-0" }), iat, "v[0].ma"},
		{"unknown vaccine type", mod(func(d *DCC) { d.Vaccinations[0].Vaccine = "123" }), iat, "v[0].vp"},
		{"unknown disease", mod(func(d *DCC) { d.Vaccinations[0].Target = "1" }), iat, "v[0].tg"},
		{"unknown country", mod(func(d *DCC) { d.Vaccinations[0].Country = "XX" }), iat, "v[0].co"},
		{"dose zero", mod(func(d *DCC) { d.Vaccinations[0].DoseNumber = 0 }), iat, "v[0].dn"},
		{"bad date", mod(func(d *DCC) { d.Vaccinations[0].Date = "20-05-2025" }), iat, "v[0].dt"},
		{"two entries", mod(func(d *DCC) { d.Vaccinations = append(d.Vaccinations, d.Vaccinations[0]) }), iat, "v"},
		{"no entry", mod(func(d *DCC) { d.Vaccinations = nil }), iat, "dcc"},
		{"lower-case transliteration", mod(func(d *DCC) { d.Name.FamilyNameStd = "Abdullah" }), iat, "nam.fnt"},
		{"born after issue", mod(func(d *DCC) { d.DateOfBirth = "2026-01-01" }), iat, "dob"},
		{"no certificate id", mod(func(d *DCC) { d.Vaccinations[0].CertificateID = "" }), iat, "v[0].ci"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.issuer.Issue(tt.dcc, tt.iat, exp)
			if err == nil {
				t.Fatal("issued")
			}
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("code %q: %v", jaga.ErrorCode(err), err)
			}
			fields := jaga.ErrorFields(err)
			if _, ok := fields[tt.field]; !ok {
				t.Errorf("fields %v do not name %s", fields, tt.field)
			}
		})
	}
	if _, err := p.issuer.Issue(testDCC(ci), exp, iat); jaga.ErrorCode(err) != jaga.EINVALID {
		t.Errorf("exp before iat: %v", err)
	}
}

func TestUVCI(t *testing.T) {
	// Check characters of published identifiers (dgc-testdata AT and FR).
	for _, ci := range []string{
		"URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
		"URN:UVCI:01:AT:858CC18CFCF5965EF82F60E493349AA5#K",
		"URN:UVCI:01:FR:GGD81AAH16AZ#8",
		"URN:UVCI:01:FR:Y4996KBJ4Q3Q#:",
		"URN:UVCI:01:FR:P4LU2647E8HN#/",
	} {
		t.Run(ci, func(t *testing.T) {
			if !CheckUVCI(ci) {
				c, _ := LuhnModN(ci[:strings.IndexByte(ci, '#')])
				t.Errorf("check character %c does not match", c)
			}
		})
	}
	t.Run("new", func(t *testing.T) {
		seen := map[string]bool{}
		for range 100 {
			ci, err := NewUVCI("MY")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ci, "URN:UVCI:01:MY:") || len(ci) != len("URN:UVCI:01:MY:")+26+2 || !CheckUVCI(ci) || seen[ci] {
				t.Fatalf("bad or repeated UVCI %q", ci)
			}
			seen[ci] = true
		}
	})
	t.Run("tampered", func(t *testing.T) {
		if CheckUVCI("URN:UVCI:01:FR:GGD81AAH16AY#8") || CheckUVCI("URN:UVCI:01:FR:GGD81AAH16AZ") {
			t.Error("a wrong check character passed")
		}
	})
	if _, err := NewUVCI("Malaysia"); !errors.As(err, new(*jaga.Error)) {
		t.Errorf("NewUVCI with a bad country: %v", err)
	}
}
