package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
)

func TestSignedTrustList(t *testing.T) {
	p := getPKI(t)
	listKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tl := NewTrustList()
	if err := tl.AddCertificate(p.dsc.Certificate, ""); err != nil {
		t.Fatal(err)
	}
	// A bare key with its own validity, as a trust list may also carry.
	bare, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := tl.Add(TrustedKey{KID: []byte("barekey1"), Country: "SG", PublicKey: &bare.PublicKey, NotBefore: testNow, NotAfter: testNow.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	signed, err := SignTrustList(tl, listKey, testNow)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("round trip", func(t *testing.T) {
		got, err := LoadTrustList(signed, &listKey.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 2 {
			t.Fatalf("%d keys", got.Len())
		}
		keys := got.lookup(p.issuer.KID())
		if len(keys) != 1 || keys[0].Country != "MY" || keys[0].Certificate == nil || !keys[0].NotAfter.Equal(p.dsc.Certificate.NotAfter) {
			t.Fatalf("DSC entry = %+v", keys)
		}
		b := got.lookup([]byte("barekey1"))
		if len(b) != 1 || b[0].Country != "SG" || !b[0].NotBefore.Equal(testNow) {
			t.Fatalf("bare key entry = %+v", b)
		}
		s, _ := issueTest(t)
		if r := Verify(s, VerifyOptions{Trust: got, At: testNow}); !r.Valid {
			t.Errorf("Verify with the loaded list: %s", r.Reason)
		}
	})

	var env map[string]string
	if err := json.Unmarshal(signed, &env); err != nil {
		t.Fatal(err)
	}
	doc, _ := base64.StdEncoding.DecodeString(env["trustList"])
	tampered := func(f func(doc []byte) []byte) []byte {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["trustList"] = base64.StdEncoding.EncodeToString(f(bytes.Clone(doc)))
		b, _ := json.Marshal(e)
		return b
	}
	tests := []struct {
		name string
		data []byte
		key  *ecdsa.PublicKey
		msg  string
	}{
		{"wrong trust-list key", signed, &otherKey.PublicKey, "signature does not match"},
		{"no trust-list key", signed, nil, "needs the trust-list key"},
		{"document changed", tampered(func(d []byte) []byte { return bytes.Replace(d, []byte(`"MY"`), []byte(`"SG"`), 1) }), &listKey.PublicKey, "signature does not match"},
		{"not JSON", []byte("{nope"), &listKey.PublicKey, "not a signed jaga trust list"},
		{"unknown field", []byte(`{"format":"jaga-trust-list/1","alg":"ES256","trustList":"","signature":"","extra":1}`), &listKey.PublicKey, "not a signed jaga trust list"},
		{"other format", []byte(`{"format":"x","alg":"ES256","trustList":"","signature":""}`), &listKey.PublicKey, "format is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTrustList(tt.data, tt.key)
			if err == nil || jaga.ErrorCode(err) != jaga.EINVALID || !strings.Contains(jaga.ErrorMessage(err), tt.msg) {
				t.Errorf("err = %v (%q), want EINVALID with %q", err, jaga.ErrorMessage(err), tt.msg)
			}
		})
	}
	t.Run("kid must match the certificate", func(t *testing.T) {
		d := trustListDoc{Version: 1, IssuedAt: testNow, Keys: []trustListKey{{
			KID: base64.StdEncoding.EncodeToString([]byte("12345678")), Country: "MY",
			Certificate: base64.StdEncoding.EncodeToString(p.dsc.Certificate.Raw),
		}}}
		b, _ := json.Marshal(d)
		sig, _ := signES256(rand.Reader, listKey, sha256Sum(b))
		env, _ := json.Marshal(signedTrustList{Format: TrustListFormat, Alg: "ES256", TrustList: base64.StdEncoding.EncodeToString(b), Signature: base64.StdEncoding.EncodeToString(sig)})
		if _, err := ParseSignedTrustList(env, &listKey.PublicKey); err == nil || !strings.Contains(jaga.ErrorMessage(err), "first 8 bytes of the SHA-256") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseCertificates(t *testing.T) {
	p := getPKI(t)
	der := p.dsc.Certificate.Raw
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	both := append(bytes.Clone(pemBytes), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.csca.Certificate.Raw})...)
	tests := []struct {
		name string
		data []byte
		n    int
	}{
		{"DER", der, 1},
		{"PEM", pemBytes, 1},
		{"PEM with two certificates", both, 2},
		{"base64 DER (TESTCTX.CERTIFICATE)", []byte(base64.StdEncoding.EncodeToString(der)), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, err := LoadTrustList(tt.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tl.Len() != tt.n || len(tl.lookup(KIDOf(der))) != 1 {
				t.Errorf("%d keys; DSC found: %v", tl.Len(), len(tl.lookup(KIDOf(der))) == 1)
			}
		})
	}
	for _, bad := range []string{"", "not a certificate", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		if _, err := ParseCertificates([]byte(bad)); jaga.ErrorCode(err) != jaga.EINVALID {
			t.Errorf("ParseCertificates(%q) = %v", bad, err)
		}
	}
}

func TestRevocationHashes(t *testing.T) {
	ci := "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B"
	r := NewRevocationList()
	r.AddUCI("AT", ci)
	u, c := UCIHash(ci), CountryUCIHash("AT", ci)
	if !r.Contains(u[:]) || !r.Contains(c[:16]) || r.Len() != 2 {
		t.Fatal("UCI hashes not found")
	}
	// The list keeps 16 bytes: a hash that differs only after them matches.
	alt := u
	alt[31] ^= 0xff
	if !r.Contains(alt[:]) {
		t.Error("a hash differing after byte 16 did not match")
	}
	alt[0] ^= 0xff
	if r.Contains(alt[:]) || r.Contains(u[:15]) || r.Add(u[:8]) {
		t.Error("a different or short hash matched")
	}
	sig := bytes.Repeat([]byte{7}, 64)
	other := bytes.Clone(sig)
	other[40] = 9 // s differs, r the same
	if SignatureHash(AlgES256, sig) != SignatureHash(AlgES256, other) {
		t.Error("ES256 signature hash depends on s")
	}
	if SignatureHash(AlgPS256, sig) == SignatureHash(AlgPS256, other) {
		t.Error("PS256 signature hash ignores part of the signature")
	}
	var nilList *RevocationList
	if nilList.Contains(u[:]) || nilList.Len() != 0 || nilList.revokedBy("AT", ci, AlgES256, sig) != "" {
		t.Error("a nil list revokes")
	}
}

func sha256Sum(b []byte) []byte {
	d := sigSHA256(b)
	return d[:]
}
