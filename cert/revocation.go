package cert

import (
	"crypto/sha256"
)

// The EU DCC revocation scheme identifies a revoked certificate by one of
// three SHA-256 hashes, truncated to their first 16 bytes in the lists:
//
//	UCI             SHA-256 of the certificate identifier (the ci field)
//	COUNTRYCODEUCI  SHA-256 of the issuing country code followed by the ci
//	SIGNATURE       SHA-256 of the COSE signature; for ECDSA only its r
//	                half, since s can be changed without invalidating it
//
// A RevocationList holds truncated hashes of any of the three kinds.

// RevocationHashSize is how many leading bytes of a hash a
// [RevocationList] keeps.
const RevocationHashSize = 16

// UCIHash returns the UCI revocation hash of the certificate identifier ci.
func UCIHash(ci string) [32]byte {
	return sha256.Sum256([]byte(ci))
}

// CountryUCIHash returns the COUNTRYCODEUCI revocation hash of the
// certificate identifier ci issued by country (ISO 3166-1 alpha-2).
func CountryUCIHash(country, ci string) [32]byte {
	return sha256.Sum256([]byte(country + ci))
}

// SignatureHash returns the SIGNATURE revocation hash of a COSE signature
// made with alg: of r alone for ES256, of the whole signature otherwise.
func SignatureHash(alg int64, sig []byte) [32]byte {
	if alg == AlgES256 && len(sig) == 64 {
		return sha256.Sum256(sig[:32])
	}
	return sha256.Sum256(sig)
}

// RevocationList is a set of revoked certificates' hashes. It is not safe
// for concurrent modification; once built, it may be read concurrently.
type RevocationList struct {
	set map[[RevocationHashSize]byte]struct{}
}

// NewRevocationList returns an empty revocation list.
func NewRevocationList() *RevocationList {
	return &RevocationList{set: map[[RevocationHashSize]byte]struct{}{}}
}

// Add adds a hash of any of the three kinds; only its first 16 bytes
// count. A hash shorter than 16 bytes is ignored and Add reports false.
func (r *RevocationList) Add(hash []byte) bool {
	if len(hash) < RevocationHashSize {
		return false
	}
	r.set[[RevocationHashSize]byte(hash[:RevocationHashSize])] = struct{}{}
	return true
}

// AddUCI revokes the certificate identifier ci: it adds its UCI hash and,
// when country is given, its COUNTRYCODEUCI hash.
func (r *RevocationList) AddUCI(country, ci string) {
	h := UCIHash(ci)
	r.Add(h[:])
	if country != "" {
		h = CountryUCIHash(country, ci)
		r.Add(h[:])
	}
}

// Merge adds every hash of o.
func (r *RevocationList) Merge(o *RevocationList) {
	if o == nil {
		return
	}
	for h := range o.set {
		r.set[h] = struct{}{}
	}
}

// Len returns the number of hashes in the list.
func (r *RevocationList) Len() int {
	if r == nil {
		return 0
	}
	return len(r.set)
}

// Contains reports whether the list holds hash (compared on its first 16
// bytes).
func (r *RevocationList) Contains(hash []byte) bool {
	if r == nil || len(hash) < RevocationHashSize {
		return false
	}
	_, ok := r.set[[RevocationHashSize]byte(hash[:RevocationHashSize])]
	return ok
}

// revokedBy returns which kind of hash of the certificate the list holds:
// "UCI", "COUNTRYCODEUCI", "SIGNATURE", or "" if none.
func (r *RevocationList) revokedBy(country, ci string, alg int64, sig []byte) string {
	if r.Len() == 0 {
		return ""
	}
	if ci != "" {
		if h := UCIHash(ci); r.Contains(h[:]) {
			return "UCI"
		}
		if country != "" {
			if h := CountryUCIHash(country, ci); r.Contains(h[:]) {
				return "COUNTRYCODEUCI"
			}
		}
	}
	if h := SignatureHash(alg, sig); r.Contains(h[:]) {
		return "SIGNATURE"
	}
	return ""
}
