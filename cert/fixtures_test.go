package cert

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/rand"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed "now" of the tests.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testPKI is a CSCA, a DSC it signed and an issuer with that DSC, made once.
type testPKI struct {
	csca, dsc *KeyPair
	issuer    *Issuer
	trust     *TrustList
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func getPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		var err error
		pki.csca, err = NewCSCA("MY", "jaga test CSCA", testNow.AddDate(-1, 0, 0), testNow.AddDate(10, 0, 0))
		if err != nil {
			panic(err)
		}
		pki.dsc, err = NewDSC(pki.csca, "MY", "jaga test DSC", testNow.AddDate(0, -1, 0), testNow.AddDate(2, 0, 0))
		if err != nil {
			panic(err)
		}
		pki.issuer, err = NewIssuer(pki.dsc.Key, pki.dsc.Certificate, "")
		if err != nil {
			panic(err)
		}
		pki.trust = NewTrustList()
		if err := pki.trust.AddCertificate(pki.dsc.Certificate, ""); err != nil {
			panic(err)
		}
	})
	return &pki
}

// testDCC returns a valid vaccination DCC with UVCI ci.
func testDCC(ci string) DCC {
	return DCC{
		Version:     SchemaVersion,
		Name:        PersonName{FamilyName: "Abdullah", FamilyNameStd: "ABDULLAH", GivenName: "Siti Aminah", GivenNameStd: "SITI<AMINAH"},
		DateOfBirth: "1990-04-12",
		Vaccinations: []Vaccination{{
			Target: "840539006", Vaccine: "1119349007", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215",
			DoseNumber: 3, TotalDoses: 3, Date: "2025-05-20", Country: "MY",
			Issuer: "Ministry of Health Malaysia", CertificateID: ci,
		}},
	}
}

// issueTest issues testDCC at testNow for a year.
func issueTest(t testing.TB) (string, DCC) {
	t.Helper()
	p := getPKI(t)
	ci, err := NewUVCI("MY")
	if err != nil {
		t.Fatal(err)
	}
	d := testDCC(ci)
	s, err := p.issuer.Issue(d, testNow.Add(-time.Hour), testNow.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// signCOSE builds a COSE_Sign1 (tag 18) over payload with protected
// header bytes prot, signing with key (ES256) the Sig_structure of
// sigPayload (normally payload itself).
func signCOSE(t testing.TB, key *ecdsa.PrivateKey, prot, payload, sigPayload []byte) []byte {
	t.Helper()
	d := sigDigest(prot, sigPayload)
	sig, err := signES256(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	msg, err := encMode.Marshal([]any{prot, map[any]any{}, payload, sig})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{0xd2}, msg...)
}

// protectedES256 is the protected header {1: -7, 4: kid}.
func protectedES256(t testing.TB, kid []byte) []byte {
	t.Helper()
	b, err := encMode.Marshal(map[int]any{1: -7, 4: kid})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// claimsCBOR encodes CWT claims with a DCC value of any shape.
func claimsCBOR(t testing.TB, iat, exp time.Time, dcc any) []byte {
	t.Helper()
	b, err := encMode.Marshal(map[int]any{1: "MY", 4: exp.Unix(), 6: iat.Unix(), -260: map[int]any{1: dcc}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wrapHC1 compresses cose and returns its "HC1:" text.
func wrapHC1(t testing.TB, cose []byte) string {
	t.Helper()
	return PrefixHC1 + EncodeBase45(zlibBytes(t, cose))
}

func zlibBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
