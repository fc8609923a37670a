// Package cert issues and verifies health certificates: EU Digital COVID
// Certificates (HC1) and SMART Health Cards.
//
// It is the format layer only: no database and no HTTP. An EU DCC travels as
// text that starts with "HC1:"; reading one goes through these steps, each
// named in a failing [Result] so that a verifier can say what was wrong:
//
//	prefix      "HC1:" (the context identifier)
//	base45      RFC 9285
//	zlib        RFC 1950, at most [MaxDecompressed] bytes out; a payload
//	            without a zlib header is read as uncompressed COSE
//	cose        COSE_Sign1 (RFC 9052): tag 18 optional, alg and kid
//	cbor        the CWT claims (iss 1, exp 4, iat 6, hcert -260 {1: DCC})
//	            and the DCC itself, decoded with strict limits
//	schema      the DCC schema (1.3.0) and value sets
//	trust       the document signer's key, by kid, from a [TrustList]
//	signature   ES256 or PS256 over the COSE Sig_structure
//	time        iat and exp against the verification time
//	revocation  the EU DCC revocation hashes against a [RevocationList]
//
// A SMART Health Card starts with "shc:/" and goes through prefix, numeric
// decoding, JWS parsing, raw DEFLATE, trust (the issuer's JWKS), signature
// and time. [Verify] dispatches on the prefix.
//
// [Issuer] makes certificates that any EU DCC verifier reads: deterministic
// CBOR, COSE_Sign1 with ES256 and the signer's kid, zlib, Base45 and "HC1:".
//
// Errors are *[StepError]; each carries a *jaga.Error with code
// jaga.EINVALID and a safe message, so [jaga.ErrorMessage] gives the reason.
// No message holds a name, a date of birth or any other payload value.
package cert
