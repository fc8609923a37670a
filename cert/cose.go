package cert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// COSE algorithm identifiers (RFC 9053, RFC 8230) that jaga verifies.
const (
	AlgES256 = -7  // ECDSA P-256 with SHA-256, signature r||s
	AlgPS256 = -37 // RSASSA-PSS with SHA-256
)

// COSE header labels.
const (
	headerAlg = 1
	headerKID = 4
)

// coseSign1 is a COSE_Sign1 message (RFC 9052 section 4.2).
type coseSign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected coseHeader
	Payload     []byte
	Signature   []byte
}

// coseHeader is the part of a COSE header map that jaga reads.
type coseHeader struct {
	Alg *int64 `cbor:"1,keyasint,omitempty"`
	KID []byte `cbor:"4,keyasint,omitempty"`
}

// sign1 is a parsed COSE_Sign1: the bytes that the signature covers, the
// signature, and the algorithm and key id that the headers name.
type sign1 struct {
	protected []byte // the protected header, as a byte string's content
	payload   []byte
	signature []byte
	alg       int64
	kid       []byte
	kidSource string // "protected" or "unprotected"
}

// parseCOSE parses a COSE_Sign1 message, optionally tagged 18 and
// optionally inside the CWT tag 61. The algorithm must be in the protected
// header; the kid is taken from the protected header, or from the
// unprotected header only when the protected one has none.
func parseCOSE(b []byte) (*sign1, error) {
	if len(b) == 0 {
		return nil, stepErr(StepCOSE, "COSE message is empty")
	}
	// Only tags 61 (CWT) and 18 (COSE_Sign1) may stand before the array.
	rest := b
	for i := 0; i < 2; i++ {
		major, arg, n, _, err := cborHead(rest)
		if err != nil || major != majorTag {
			break
		}
		if arg != 18 && arg != 61 {
			return nil, stepErr(StepCOSE, "COSE message has tag %d; expected 18 (COSE_Sign1)", arg)
		}
		rest = rest[n:]
	}
	if m := cborMajor(rest); m != majorArray {
		return nil, stepErr(StepCOSE, "COSE message is not a COSE_Sign1 array")
	}
	if _, arg, _, indef, err := cborHead(rest); err == nil && !indef && arg != 4 {
		return nil, stepErr(StepCOSE, "COSE_Sign1 has %d elements; expected 4", arg)
	}
	var m coseSign1
	if err := decMode.Unmarshal(rest, &m); err != nil {
		return nil, wrapErr(StepCOSE, cborReason("COSE_Sign1", err), err)
	}
	if m.Payload == nil {
		return nil, stepErr(StepCOSE, "COSE_Sign1 has no payload (detached payloads are not supported)")
	}
	if len(m.Signature) == 0 {
		return nil, stepErr(StepCOSE, "COSE_Sign1 has an empty signature")
	}
	var prot coseHeader
	unprot := m.Unprotected
	if len(m.Protected) > 0 {
		if cborMajor(m.Protected) != majorMap {
			return nil, stepErr(StepCOSE, "COSE protected header is not a map")
		}
		if err := decMode.Unmarshal(m.Protected, &prot); err != nil {
			return nil, wrapErr(StepCOSE, cborReason("COSE protected header", err), err)
		}
	}
	s := &sign1{protected: m.Protected, payload: m.Payload, signature: m.Signature}
	switch {
	case prot.Alg != nil:
		s.alg = *prot.Alg
	case unprot.Alg != nil:
		// RFC 9052 recommends, but does not require, a protected alg;
		// the key's type still binds the algorithm.
		s.alg = *unprot.Alg
	default:
		return nil, stepErr(StepCOSE, "COSE headers name no algorithm")
	}
	if s.alg != AlgES256 && s.alg != AlgPS256 {
		return nil, stepErr(StepCOSE, "unsupported COSE algorithm %d (jaga verifies ES256 (-7) and PS256 (-37))", s.alg)
	}
	switch {
	case len(prot.KID) > 0:
		s.kid, s.kidSource = prot.KID, "protected"
	case len(unprot.KID) > 0:
		s.kid, s.kidSource = unprot.KID, "unprotected"
	}
	return s, nil
}

// sigStructure1Head is the start of the Sig_structure for COSE_Sign1:
// an array of 4 and the text "Signature1".
var sigStructure1Head = []byte{0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'}

var sha256Pool = sync.Pool{New: func() any { return sha256.New() }}

// sigDigest returns the SHA-256 digest of the COSE Sig_structure
// ["Signature1", protected, h”, payload] without building it in memory.
func sigDigest(protected, payload []byte) [32]byte {
	h := sha256Pool.Get().(hash.Hash)
	h.Reset()
	var buf [16]byte
	h.Write(sigStructure1Head)
	h.Write(appendCBORHead(buf[:0], majorBytes, uint64(len(protected))))
	h.Write(protected)
	h.Write([]byte{0x40}) // external_aad: empty byte string
	h.Write(appendCBORHead(buf[:0], majorBytes, uint64(len(payload))))
	h.Write(payload)
	var d [32]byte
	h.Sum(d[:0])
	sha256Pool.Put(h)
	return d
}

// appendCBORHead appends the head of a data item of major type major with
// argument arg, in its shortest form.
func appendCBORHead(b []byte, major int, arg uint64) []byte {
	m := byte(major << 5)
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg <= 0xff:
		return append(b, m|24, byte(arg))
	case arg <= 0xffff:
		return append(b, m|25, byte(arg>>8), byte(arg))
	case arg <= 0xffffffff:
		return append(b, m|26, byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	}
	b = append(b, m|27)
	return binary.BigEndian.AppendUint64(b, arg)
}

// verifySignature checks sig over digest with key under the COSE algorithm
// alg. The error is a *StepError with step "signature".
func verifySignature(alg int64, key crypto.PublicKey, digest []byte, sig []byte) error {
	switch alg {
	case AlgES256:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return stepErr(StepSignature, "the signer's key is not an ECDSA P-256 key, as ES256 needs")
		}
		if len(sig) != 64 {
			return stepErr(StepSignature, "ES256 signature is %d bytes; expected 64", len(sig))
		}
		var der [72]byte
		if !ecdsa.VerifyASN1(pub, digest, rawToASN1(der[:0], sig)) {
			return stepErr(StepSignature, "the signature does not match the signed content")
		}
		return nil
	case AlgPS256:
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return stepErr(StepSignature, "the signer's key is not an RSA key, as PS256 needs")
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}); err != nil {
			return wrapErr(StepSignature, "the signature does not match the signed content", err)
		}
		return nil
	}
	return stepErr(StepSignature, "unsupported algorithm %d", alg)
}

// rawToASN1 appends the DER encoding of the ECDSA signature r||s (two
// 32-byte big-endian integers) to b.
func rawToASN1(b, raw []byte) []byte {
	r, s := trimInt(raw[:32]), trimInt(raw[32:])
	b = append(b, 0x30, byte(len(r)+len(s)+4), 0x02, byte(len(r)))
	b = append(b, r...)
	b = append(b, 0x02, byte(len(s)))
	return append(b, s...)
}

// trimInt returns the minimal DER content of the unsigned big-endian
// integer v (at most 32 bytes): no leading zeros, and a zero in front of a
// high bit. It may return a slice of a new 33-byte array.
func trimInt(v []byte) []byte {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > 0 && v[0]&0x80 != 0 {
		out := make([]byte, len(v)+1)
		copy(out[1:], v)
		return out
	}
	if len(v) == 0 {
		return []byte{0}
	}
	return v
}

// signES256 signs digest with key and returns the raw r||s signature.
func signES256(rand interface{ Read([]byte) (int, error) }, key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	der, err := ecdsa.SignASN1(rand, key, digest)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return asn1ToRaw(der)
}

// asn1ToRaw converts a DER ECDSA P-256 signature into r||s.
func asn1ToRaw(der []byte) ([]byte, error) {
	// SEQUENCE { INTEGER r, INTEGER s }, all lengths short for P-256.
	if len(der) < 8 || der[0] != 0x30 || int(der[1]) != len(der)-2 {
		return nil, errors.New("malformed ECDSA signature")
	}
	rest := der[2:]
	out := make([]byte, 64)
	for i := 0; i < 2; i++ {
		if len(rest) < 2 || rest[0] != 0x02 || int(rest[1]) > len(rest)-2 {
			return nil, errors.New("malformed ECDSA signature")
		}
		n := int(rest[1])
		v := rest[2 : 2+n]
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > 32 {
			return nil, errors.New("malformed ECDSA signature")
		}
		copy(out[i*32+32-len(v):(i+1)*32], v)
		rest = rest[2+n:]
	}
	return out, nil
}
