package cert

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestVerifyBadInput feeds Verify broken, hostile and invalid payloads; each
// must fail at the right step with a precise reason, and none may panic.
func TestVerifyBadInput(t *testing.T) {
	p := getPKI(t)
	good, d := issueTest(t)
	b45 := good[len(PrefixHC1):]
	compressed, err := DecodeBase45(b45)
	if err != nil {
		t.Fatal(err)
	}
	cose, _, err := inflateCOSE(nil, compressed, true)
	if err != nil {
		t.Fatal(err)
	}
	kid := p.issuer.KID()
	prot := protectedES256(t, kid)
	iat, exp := testNow.Add(-time.Hour), testNow.AddDate(1, 0, 0)
	claims := claimsCBOR(t, iat, exp, d)
	signed := func(prot, payload []byte) string { return wrapHC1(t, signCOSE(t, p.dsc.Key, prot, payload, payload)) }

	// A zlib bomb: 10 MB of zeros compress to about 10 KB.
	bomb := PrefixHC1 + EncodeBase45(zlibBytes(t, make([]byte, 10<<20)))
	// Deep nesting inside the DCC: 200 arrays.
	deep := append(bytes.Repeat([]byte{0x81}, 200), 0x01)
	deepClaims := append([]byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01}, deep...) // {-260: {1: [[[...]]]}}
	// An array that claims 2^32-1 elements but holds none.
	hugeArray := []byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01, 0x9a, 0xff, 0xff, 0xff, 0xff}
	// Indefinite-length arrays nested beyond the limit, never closed.
	indefBomb := append([]byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01}, bytes.Repeat([]byte{0x9f}, 100)...)
	// A map of 1000 pairs.
	bigMap := []byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01, 0xb9, 0x03, 0xe8}
	for i := range 1000 {
		bigMap = append(bigMap, appendCBORHead(nil, majorUint, uint64(i))...)
		bigMap = append(bigMap, 0x00)
	}
	// A duplicate key in the DCC.
	dupDCC := append(appendDCC(nil, &d)[:0:0], appendDCC(nil, &d)...)
	dupDCC[0]++ // one more pair than written...
	dupDCC = append(dupDCC, appendText(appendText(nil, "ver"), "1.3.0")...)
	dupClaims := append([]byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01}, dupDCC...)
	unknownAlg := func() []byte {
		b, _ := encMode.Marshal(map[int]any{1: -8, 4: kid})
		return b
	}()
	noAlg := func() []byte {
		b, _ := encMode.Marshal(map[int]any{4: kid})
		return b
	}()
	otherClaims := claimsCBOR(t, iat, exp, testDCC("URN:UVCI:01:MY:OTHER#A"))
	overOther := wrapHC1(t, signCOSE(t, p.dsc.Key, prot, claims, otherClaims))
	unknownKID := signed(protectedES256(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}), claims)
	noDCCGroup := map[string]any{"ver": "1.3.0", "nam": map[string]any{"fnt": "X"}, "dob": "1990"}
	twoGroups := map[string]any{"ver": "1.3.0", "nam": map[string]any{"fnt": "X"}, "dob": "1990", "v": []any{d.Vaccinations[0]}, "r": []any{map[string]any{"tg": "840539006"}}}
	dnText := map[string]any{"ver": "1.3.0", "nam": map[string]any{"fnt": "X"}, "dob": "1990", "v": []any{map[string]any{"dn": "one"}}}

	revoked := NewRevocationList()
	revoked.AddUCI("", d.CertificateID())
	revokedByCountry := NewRevocationList()
	h := CountryUCIHash("MY", d.CertificateID())
	revokedByCountry.Add(h[:])
	sig := mustSign1(t, cose).signature
	revokedBySig := NewRevocationList()
	hs := SignatureHash(AlgES256, sig)
	revokedBySig.Add(hs[:])

	expiredTrust := NewTrustList()
	oldDSC, err := NewDSC(p.csca, "MY", "old DSC", testNow.AddDate(-3, 0, 0), testNow.AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := expiredTrust.AddCertificate(oldDSC.Certificate, ""); err != nil {
		t.Fatal(err)
	}
	oldIssuer, err := NewIssuer(oldDSC.Key, oldDSC.Certificate, "MY")
	if err != nil {
		t.Fatal(err)
	}
	byOldKey, err := oldIssuer.Issue(d, iat, exp)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		payload string
		opts    VerifyOptions
		step    string
		reason  string
	}{
		{"empty", "", VerifyOptions{}, StepPrefix, `payload does not start with "HC1:"`},
		{"wrong prefix HC2", "HC2:" + b45, VerifyOptions{}, StepPrefix, `unsupported context identifier "HC2:"`},
		{"lower-case prefix", "hc1:" + b45, VerifyOptions{}, StepPrefix, `context identifier must be upper case "HC1:"`},
		{"no prefix", b45, VerifyOptions{}, StepPrefix, `payload does not start with "HC1:"`},
		{"too long", PrefixHC1 + strings.Repeat("0", maxPayload), VerifyOptions{}, StepPrefix, "payload is longer than"},
		{"broken Base45 character", PrefixHC1 + b45[:10] + "~" + b45[11:], VerifyOptions{}, StepBase45, "invalid Base45 character at position 10"},
		{"Base45 dangling character", PrefixHC1 + b45 + strings.Repeat("A", (4-len(b45)%3)%3), VerifyOptions{}, StepBase45, "dangling Base45 character"},
		{"Base45 out of range", PrefixHC1 + ":::" + b45[3:], VerifyOptions{}, StepBase45, "has value 91124, above 65535"},
		{"truncated zlib", PrefixHC1 + EncodeBase45(compressed[:len(compressed)/2]), VerifyOptions{}, StepZlib, "compressed data is truncated"},
		{"zlib checksum", PrefixHC1 + EncodeBase45(append(compressed[:len(compressed)-1:len(compressed)-1], compressed[len(compressed)-1]^1)), VerifyOptions{}, StepZlib, "checksum does not match"},
		{"zlib bomb", bomb, VerifyOptions{}, StepZlib, "decompressed data is larger than 65536 bytes"},
		{"neither zlib nor COSE", PrefixHC1 + EncodeBase45([]byte("hello, world")), VerifyOptions{}, StepZlib, "data has no zlib header"},
		{"COSE not an array", wrapHC1(t, []byte{0xd2, 0xa0}), VerifyOptions{}, StepCOSE, "not a COSE_Sign1 array"},
		{"COSE wrong tag", wrapHC1(t, append([]byte{0xd8, 0x62}, cose[1:]...)), VerifyOptions{}, StepCOSE, "has tag 98; expected 18"},
		{"COSE three elements", wrapHC1(t, []byte{0xd2, 0x83, 0x40, 0xa0, 0x40}), VerifyOptions{}, StepCOSE, "COSE_Sign1 has 3 elements; expected 4"},
		{"COSE truncated", wrapHC1(t, cose[:len(cose)-20]), VerifyOptions{}, StepCOSE, "COSE_Sign1"},
		{"COSE protected not a map", signed([]byte{0x01}, claims), VerifyOptions{}, StepCOSE, "protected header is not a map"},
		{"unknown algorithm", signed(unknownAlg, claims), VerifyOptions{}, StepCOSE, "unsupported COSE algorithm -8"},
		{"no algorithm", signed(noAlg, claims), VerifyOptions{}, StepCOSE, "COSE headers name no algorithm"},
		{"claims not a map", signed(prot, []byte{0x80}), VerifyOptions{}, StepCBOR, "CWT claims are not a CBOR map"},
		{"no hcert", signed(prot, []byte{0xa1, 0x01, 0x62, 'M', 'Y'}), VerifyOptions{}, StepCBOR, "CWT has no hcert claim (-260)"},
		{"CBOR deep nesting", signed(prot, deepClaims), VerifyOptions{}, StepCBOR, "nests deeper than 16 levels"},
		{"CBOR huge array", signed(prot, hugeArray), VerifyOptions{}, StepCBOR, "array of more than 256 elements"},
		{"CBOR indefinite-length bomb", signed(prot, indefBomb), VerifyOptions{}, StepCBOR, "nests deeper than 16 levels"},
		{"CBOR big map", signed(prot, bigMap), VerifyOptions{}, StepCBOR, "map of more than 256 pairs"},
		{"CBOR duplicate key", signed(prot, dupClaims), VerifyOptions{}, StepCBOR, "duplicate map key"},
		{"schema no group", signed(prot, claimsCBOR(t, iat, exp, noDCCGroup)), VerifyOptions{}, StepSchema, "DCC has no vaccination, test or recovery group"},
		{"schema two groups", signed(prot, claimsCBOR(t, iat, exp, twoGroups)), VerifyOptions{}, StepSchema, "DCC has 2 groups among v, t and r"},
		{"schema wrong type", signed(prot, claimsCBOR(t, iat, exp, dnText)), VerifyOptions{}, StepSchema, "EU DCC: field v holds a CBOR UTF-8 text string, not the expected type"},
		{"no trust list", good, VerifyOptions{At: testNow}, StepTrust, "unknown key: no trusted document signer has key id"},
		{"unknown kid", unknownKID, VerifyOptions{Trust: p.trust, At: testNow}, StepTrust, "unknown key: no trusted document signer has key id AQIDBAUGBwg="},
		{"key outside its validity", byOldKey, VerifyOptions{Trust: expiredTrust, At: testNow}, StepTrust, "is not valid at the time of the check"},
		{"signature over other bytes", overOther, VerifyOptions{Trust: p.trust, At: testNow}, StepSignature, "the signature does not match the signed content"},
		{"expired", good, VerifyOptions{Trust: p.trust, At: exp.Add(time.Second)}, StepTime, "the certificate expired at"},
		{"not yet valid", good, VerifyOptions{Trust: p.trust, At: iat.Add(-DefaultClockSkew - time.Second)}, StepTime, "the certificate is not yet valid"},
		{"revoked by UCI", good, VerifyOptions{Trust: p.trust, At: testNow, Revoked: revoked}, StepRevocation, "revoked (its UCI hash is on the revocation list)"},
		{"revoked by country and UCI", good, VerifyOptions{Trust: p.trust, At: testNow, Revoked: revokedByCountry}, StepRevocation, "COUNTRYCODEUCI"},
		{"revoked by signature", good, VerifyOptions{Trust: p.trust, At: testNow, Revoked: revokedBySig}, StepRevocation, "SIGNATURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify(tt.payload, tt.opts)
			if r.Valid {
				t.Fatal("valid")
			}
			if r.Step != tt.step || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("step %q reason %q; want step %q reason containing %q", r.Step, r.Reason, tt.step, tt.reason)
			}
			if r.Certificate != nil && (tt.step != StepTime && tt.step != StepRevocation) {
				t.Errorf("unauthenticated content shown: %+v", r.Certificate)
			}
			// No personal data in the reason.
			for _, pd := range []string{d.Name.FamilyName, d.Name.FamilyNameStd, d.DateOfBirth} {
				if strings.Contains(r.Reason, pd) {
					t.Errorf("reason %q holds personal data", r.Reason)
				}
			}
		})
	}
	t.Run("within clock skew", func(t *testing.T) {
		if r := Verify(good, VerifyOptions{Trust: p.trust, At: iat.Add(-DefaultClockSkew + time.Second)}); !r.Valid {
			t.Errorf("not valid within the clock skew: %s", r.Reason)
		}
	})
	t.Run("uncompressed COSE is accepted with a warning", func(t *testing.T) {
		r := Verify(PrefixHC1+EncodeBase45(cose), VerifyOptions{Trust: p.trust, At: testNow})
		if !r.Valid || !contains(r.Warnings, "payload is not compressed") {
			t.Errorf("%+v", r)
		}
	})
}

// mustSign1 parses cose or fails the test.
func mustSign1(t *testing.T, cose []byte) *sign1 {
	t.Helper()
	s, err := parseCOSE(cose)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
