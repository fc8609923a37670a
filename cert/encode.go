package cert

// A hand-written encoder of what jaga issues, in CBOR core deterministic
// encoding (RFC 8949 section 4.2.1: shortest heads, definite lengths, map
// keys sorted by their encoded bytes, so shorter text keys come first).
// It makes the same bytes as fxamacker/cbor's CoreDetEncOptions (a test
// checks that) in a fraction of the time, which keeps issuing close to the
// cost of the signature.

// appendText appends a CBOR text string.
func appendText(b []byte, s string) []byte {
	b = appendCBORHead(b, majorText, uint64(len(s)))
	return append(b, s...)
}

// appendInt appends a CBOR integer.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendCBORHead(b, majorUint, uint64(v))
	}
	return appendCBORHead(b, majorNint, uint64(-1-v))
}

// appendOptText appends key and s if s is not empty, and counts the pair.
func appendOptText(b []byte, n *int, key, s string) []byte {
	if s == "" {
		return b
	}
	*n++
	return appendText(appendText(b, key), s)
}

// appendDCC appends the deterministic CBOR of d. Fields that the schema
// makes optional are left out when empty; required ones are always there.
func appendDCC(b []byte, d *DCC) []byte {
	n := 3 // dob, nam, ver
	for _, present := range []bool{len(d.Recoveries) > 0, len(d.Tests) > 0, len(d.Vaccinations) > 0} {
		if present {
			n++
		}
	}
	b = appendCBORHead(b, majorMap, uint64(n))
	// One-letter keys first, in byte order: r, t, v.
	if len(d.Recoveries) > 0 {
		b = appendText(b, "r")
		b = appendCBORHead(b, majorArray, uint64(len(d.Recoveries)))
		for i := range d.Recoveries {
			b = appendRecovery(b, &d.Recoveries[i])
		}
	}
	if len(d.Tests) > 0 {
		b = appendText(b, "t")
		b = appendCBORHead(b, majorArray, uint64(len(d.Tests)))
		for i := range d.Tests {
			b = appendTest(b, &d.Tests[i])
		}
	}
	if len(d.Vaccinations) > 0 {
		b = appendText(b, "v")
		b = appendCBORHead(b, majorArray, uint64(len(d.Vaccinations)))
		for i := range d.Vaccinations {
			b = appendVaccination(b, &d.Vaccinations[i])
		}
	}
	b = appendText(appendText(b, "dob"), d.DateOfBirth)
	b = appendText(b, "nam")
	b = appendName(b, &d.Name)
	return appendText(appendText(b, "ver"), d.Version)
}

// appendName appends nam: fn, gn, fnt, gnt (two-letter keys first).
func appendName(b []byte, p *PersonName) []byte {
	n := 1 // fnt
	for _, s := range []string{p.FamilyName, p.GivenName, p.GivenNameStd} {
		if s != "" {
			n++
		}
	}
	b = appendCBORHead(b, majorMap, uint64(n))
	var m int
	b = appendOptText(b, &m, "fn", p.FamilyName)
	b = appendOptText(b, &m, "gn", p.GivenName)
	b = appendText(appendText(b, "fnt"), p.FamilyNameStd)
	return appendOptText(b, &m, "gnt", p.GivenNameStd)
}

// appendVaccination appends a vaccination entry; its keys in byte order:
// ci co dn dt is ma mp sd tg vp.
func appendVaccination(b []byte, v *Vaccination) []byte {
	b = appendCBORHead(b, majorMap, 10)
	b = appendText(appendText(b, "ci"), v.CertificateID)
	b = appendText(appendText(b, "co"), v.Country)
	b = appendInt(appendText(b, "dn"), int64(v.DoseNumber))
	b = appendText(appendText(b, "dt"), v.Date)
	b = appendText(appendText(b, "is"), v.Issuer)
	b = appendText(appendText(b, "ma"), v.Manufacturer)
	b = appendText(appendText(b, "mp"), v.Product)
	b = appendInt(appendText(b, "sd"), int64(v.TotalDoses))
	b = appendText(appendText(b, "tg"), v.Target)
	return appendText(appendText(b, "vp"), v.Vaccine)
}

// appendTest appends a test entry; keys in byte order:
// ci co dr is ma nm sc tc tg tr tt.
func appendTest(b []byte, t *Test) []byte {
	n := 7 // ci co is sc tg tr tt
	for _, s := range []string{t.ResultAt, t.Device, t.Name, t.Centre} {
		if s != "" {
			n++
		}
	}
	b = appendCBORHead(b, majorMap, uint64(n))
	var m int
	b = appendText(appendText(b, "ci"), t.CertificateID)
	b = appendText(appendText(b, "co"), t.Country)
	b = appendOptText(b, &m, "dr", t.ResultAt)
	b = appendText(appendText(b, "is"), t.Issuer)
	b = appendOptText(b, &m, "ma", t.Device)
	b = appendOptText(b, &m, "nm", t.Name)
	b = appendText(appendText(b, "sc"), t.SampledAt)
	b = appendOptText(b, &m, "tc", t.Centre)
	b = appendText(appendText(b, "tg"), t.Target)
	b = appendText(appendText(b, "tr"), t.Result)
	return appendText(appendText(b, "tt"), t.Type)
}

// appendRecovery appends a recovery entry; keys in byte order:
// ci co df du fr is tg.
func appendRecovery(b []byte, r *Recovery) []byte {
	b = appendCBORHead(b, majorMap, 7)
	b = appendText(appendText(b, "ci"), r.CertificateID)
	b = appendText(appendText(b, "co"), r.Country)
	b = appendText(appendText(b, "df"), r.ValidFrom)
	b = appendText(appendText(b, "du"), r.ValidUntil)
	b = appendText(appendText(b, "fr"), r.FirstPositive)
	b = appendText(appendText(b, "is"), r.Issuer)
	return appendText(appendText(b, "tg"), r.Target)
}

// appendClaims appends the CWT claims {1: iss, 4: exp, 6: iat, -260: {1:
// dcc}} with dcc already encoded.
func appendClaims(b []byte, iss string, exp, iat int64, dcc []byte) []byte {
	b = appendCBORHead(b, majorMap, 4)
	b = appendText(appendInt(b, claimIss), iss)
	b = appendInt(appendInt(b, claimExp), exp)
	b = appendInt(appendInt(b, claimIat), iat)
	b = appendInt(b, claimHcert)
	b = append(b, 0xa1, 0x01) // {1: ...}
	return append(b, dcc...)
}
