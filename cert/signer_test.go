package cert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

func TestICAOName(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"malay", "Aisyah binti Rahman", "AISYAH<BINTI<RAHMAN"},
		{"punctuation", "Tan Wei-Ming", "TAN<WEI<MING"},
		{"apostrophe and spaces", "  Nur  'Ain   A/P Kumar ", "NUR<AIN<A<P<KUMAR"},
		{"diacritics", "José Müller-Lüdenscheidt", "JOSE<MULLER<LUDENSCHEIDT"},
		{"special letters", "Ørsted Straße Æsir", "OERSTED<STRASSE<AESIR"},
		{"other scripts dropped", "李 Wei", "WEI"},
		{"nothing latin", "李伟", ""},
		{"long", "Abcdefghij Abcdefghij Abcdefghij Abcdefghij Abcdefghij Abcdefghij Abcdefghij Abcdefghij", "ABCDEFGHIJ<ABCDEFGHIJ<ABCDEFGHIJ<ABCDEFGHIJ<ABCDEFGHIJ<ABCDEFGHIJ<ABCDEFGHIJ<ABC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ICAOName(tc.in); got != tc.want {
				t.Errorf("ICAOName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if len(ICAOName(tc.in)) > 80 {
				t.Errorf("longer than 80")
			}
		})
	}
}

func TestSealKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	master, err := NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMasterKey(master)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := SealKey(m, "dsc:abc", key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenKey(m, "dsc:abc", sealed)
	if err != nil || !got.Equal(key) {
		t.Fatalf("open = %v, want the key", err)
	}
	other := make([]byte, MasterKeySize)
	tampered := append([]byte{}, sealed...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name   string
		master []byte
		label  string
		sealed []byte
	}{
		{"wrong master key", other, "dsc:abc", sealed},
		{"another row's label", m, "dsc:xyz", sealed},
		{"tampered", m, "dsc:abc", tampered},
		{"truncated", m, "dsc:abc", sealed[:10]},
		{"unknown version", m, "dsc:abc", append([]byte{9}, sealed[1:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := OpenKey(tc.master, tc.label, tc.sealed); jaga.ErrorCode(err) != jaga.EINVALID {
				t.Errorf("open = %v, want invalid", err)
			}
		})
	}
	for _, bad := range []string{"", "c2hvcnQ=", "not base64!"} {
		if _, err := ParseMasterKey(bad); jaga.ErrorCode(err) != jaga.EINVALID {
			t.Errorf("ParseMasterKey(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestSignerDCC(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	csca, err := NewCSCA("MY", "test CSCA", now.Add(-time.Hour), now.Add(24*time.Hour*400))
	if err != nil {
		t.Fatal(err)
	}
	dsc, err := NewDSC(csca, "MY", "test DSC", now.Add(-time.Hour), now.Add(24*time.Hour*100))
	if err != nil {
		t.Fatal(err)
	}
	is, err := NewIssuer(dsc.Key, dsc.Certificate, "")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigner(nil)
	content := &jaga.CertificateContent{FullName: "Tan Wei Ming", DateOfBirth: "1995-08-15", Dose: jaga.Dose{
		ID: "d1", Product: "EU/1/21/1529", Manufacturer: "ORG-100001699", Batch: "AB1", DoseNumber: 2, TotalDoses: 2,
		GivenOn: "2021-08-01", Country: "MY"}}
	if _, err := s.Sign(content, now); jaga.ErrorCode(err) != jaga.EUNAVAILABLE {
		t.Fatalf("sign without an issuer = %v, want unavailable", err)
	}
	s.Use(is)
	sc, err := s.Sign(content, now)
	if err != nil {
		t.Fatal(err)
	}
	// The certificate never outlives its signer.
	if !sc.ExpiresAt.Equal(dsc.Certificate.NotAfter.UTC()) {
		t.Errorf("expires %v, want the signer's end %v", sc.ExpiresAt, dsc.Certificate.NotAfter)
	}
	trust := NewTrustList()
	if err := trust.AddCertificate(dsc.Certificate, "MY"); err != nil {
		t.Fatal(err)
	}
	r := Verify(sc.Payload, VerifyOptions{Trust: trust, At: now})
	if !r.Valid {
		t.Fatalf("verify: %s at %s", r.Reason, r.Step)
	}
	v := r.Certificate.DCC.Vaccinations[0]
	if v.Vaccine != ProphylaxisCOVID || v.Issuer != DefaultIssuerName || v.CertificateID != sc.ID || r.Certificate.DCC.Name.FamilyNameStd != "TAN<WEI<MING" {
		t.Errorf("entry = %+v, name %+v", v, r.Certificate.DCC.Name)
	}
	content.FullName = "李伟"
	if _, err := s.Sign(content, now); jaga.ErrorCode(err) != jaga.EINVALID {
		t.Errorf("a name with no Latin letter: %v, want invalid", err)
	}
}
