package cert

import (
	"bytes"
	"testing"
)

// TestAppendDCCMatchesCoreDeterministic checks the hand-written encoder
// against fxamacker/cbor's core deterministic encoding of the same values.
func TestAppendDCCMatchesCoreDeterministic(t *testing.T) {
	vacc := testDCC("URN:UVCI:01:MY:ABC#D")
	noGiven := vacc
	noGiven.Name = PersonName{FamilyNameStd: "TAN"}
	test := DCC{Version: "1.3.0", Name: PersonName{FamilyName: "Tan", FamilyNameStd: "TAN"}, DateOfBirth: "1990",
		Tests: []Test{{Target: "840539006", Type: "LP6464-4", Name: "PCR", SampledAt: "2021-05-03T10:27:15Z",
			Result: "260415000", Centre: "Klinik", Country: "MY", Issuer: "KKM", CertificateID: "URN:UVCI:01:MY:X#Y"}}}
	minimalTest := test
	minimalTest.Tests = []Test{{Target: "840539006", Type: "LP217198-3", SampledAt: "2021-05-03T10:27:15Z", Result: "260415000", Country: "MY", Issuer: "KKM", CertificateID: "c"}}
	rec := DCC{Version: "1.3.0", Name: PersonName{FamilyNameStd: "LIM", GivenNameStd: "AH"}, DateOfBirth: "",
		Recoveries: []Recovery{{Target: "840539006", FirstPositive: "2021-01-10", Country: "MY", Issuer: "KKM",
			ValidFrom: "2021-01-20", ValidUntil: "2021-07-10", CertificateID: "URN:UVCI:01:MY:Z#1"}}}
	long := vacc
	long.Vaccinations = append([]Vaccination(nil), vacc.Vaccinations...)
	long.Vaccinations[0].Issuer = string(bytes.Repeat([]byte("x"), 300))
	long.Vaccinations[0].DoseNumber = 1000
	tests := []struct {
		name string
		d    DCC
	}{
		{"vaccination", vacc},
		{"no given name", noGiven},
		{"test", test},
		{"minimal test", minimalTest},
		{"recovery", rec},
		{"long strings and big numbers", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := encMode.Marshal(&tt.d)
			if err != nil {
				t.Fatal(err)
			}
			got := appendDCC(nil, &tt.d)
			if !bytes.Equal(got, want) {
				t.Fatalf("appendDCC differs from core deterministic encoding:\n got %x\nwant %x", got, want)
			}
			claims := appendClaims(nil, "MY", 1700000000, 1600000000, got)
			wantClaims, err := encMode.Marshal(map[int]any{1: "MY", 4: 1700000000, 6: 1600000000, -260: map[int]any{1: tt.d}})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(claims, wantClaims) {
				t.Fatalf("appendClaims differs:\n got %x\nwant %x", claims, wantClaims)
			}
		})
	}
}
