package cert

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// PrefixHC1 is the context identifier of an EU DCC in a QR code.
const PrefixHC1 = "HC1:"

// MaxDecompressed is the most bytes that decompressing a certificate may
// produce (zlib for an EU DCC, raw DEFLATE for a SMART Health Card). A
// real certificate is well under 4 KiB; the cap stops zip bombs.
const MaxDecompressed = 64 << 10

// maxPayload bounds the text of a payload before any decoding: a QR code
// holds at most 4296 alphanumeric characters, and a multi-part SMART Health
// Card a few of those.
const maxPayload = 64 << 10

// HC1 is a decoded EU DCC whose signature has not been checked yet:
// [Verify] checks it against a trust list. Use [DecodeHC1] to read one.
type HC1 struct {
	Alg       int64     // COSE algorithm: AlgES256 or AlgPS256
	KID       []byte    // the signer's key id (8 bytes for an EU DCC)
	Issuer    string    // the CWT iss claim: the issuing country
	IssuedAt  time.Time // the CWT iat claim; zero if absent
	ExpiresAt time.Time // the CWT exp claim; zero if absent
	DCC       DCC
	Warnings  []string // what is wrong but not fatal, e.g. unknown value-set codes

	sign1  *sign1
	rawDCC []byte
}

// DecodeHC1 decodes payload ("HC1:" and Base45 text) up to and including
// the schema check at time at (a zero at skips the date-of-birth check
// against the time). It does not check the signature, the trust list, the
// validity period or revocation; [Verify] does. The error is a *StepError
// naming the step that failed.
func DecodeHC1(payload string, at time.Time) (*HC1, error) {
	b45, err := unprefixHC1(payload)
	if err != nil {
		return nil, err
	}
	buf := getBuf()
	defer putBuf(buf)
	compressed, err := appendDecodeBase45(buf.a[:0], b45)
	if err != nil {
		return nil, err
	}
	buf.a = compressed
	coseBytes, warn, err := inflateCOSE(buf.b[:0], compressed, false)
	if err != nil {
		return nil, err
	}
	buf.b = coseBytes
	h, err := decodeCOSEMessage(coseBytes, at)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		h.Warnings = append([]string{warn}, h.Warnings...)
	}
	return h, nil
}

// decodeCOSEMessage decodes a COSE_Sign1 CWT with an hcert claim, through
// the schema check. The result does not alias b.
func decodeCOSEMessage(b []byte, at time.Time) (*HC1, error) {
	s, err := parseCOSE(b)
	if err != nil {
		return nil, err
	}
	// fxamacker/cbor copies byte strings and raw messages, so nothing
	// below aliases b.
	h := &HC1{Alg: s.alg, KID: s.kid, sign1: s}
	raw, err := h.decodeClaims(s.payload)
	if err != nil {
		return nil, err
	}
	h.rawDCC = raw
	if err := decodeDCC(raw, &h.DCC); err != nil {
		return nil, err
	}
	warnings, err := validateDCC(&h.DCC, raw, at, false)
	if err != nil {
		return nil, err
	}
	h.Warnings = append(h.Warnings, warnings...)
	return h, nil
}

// unprefixHC1 checks and strips the "HC1:" context identifier.
func unprefixHC1(payload string) (string, error) {
	if len(payload) > maxPayload {
		return "", stepErr(StepPrefix, "payload is longer than %d characters", maxPayload)
	}
	if !strings.HasPrefix(payload, PrefixHC1) {
		switch {
		case len(payload) >= 4 && payload[3] == ':' && payload[:2] == "HC":
			return "", stepErr(StepPrefix, "unsupported context identifier %q; expected %q", payload[:4], PrefixHC1)
		case strings.HasPrefix(strings.ToUpper(payload), PrefixHC1):
			return "", stepErr(StepPrefix, "context identifier must be upper case %q", PrefixHC1)
		}
		return "", stepErr(StepPrefix, "payload does not start with %q", PrefixHC1)
	}
	return payload[len(PrefixHC1):], nil
}

// bufs are pooled scratch buffers for one decode.
type bufs struct{ a, b []byte }

var bufPool = sync.Pool{New: func() any { return &bufs{a: make([]byte, 0, 2048), b: make([]byte, 0, 4096)} }}

func getBuf() *bufs { return bufPool.Get().(*bufs) }

func putBuf(b *bufs) {
	if cap(b.a) <= MaxDecompressed && cap(b.b) <= 2*MaxDecompressed {
		bufPool.Put(b)
	}
}

// zlibReaders pools zlib readers: a new one allocates tens of kilobytes.
var zlibReaders sync.Pool

// hasZlibHeader reports whether b starts with a zlib header (RFC 1950):
// deflate, a window of at most 32 KiB, and a valid header check.
func hasZlibHeader(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// looksLikeCOSE reports whether b starts like a COSE_Sign1: tag 18 or the
// CWT tag 61, or an array of four.
func looksLikeCOSE(b []byte) bool {
	return len(b) > 0 && (b[0] == 0xd2 || b[0] == 0x84 || (len(b) > 1 && b[0] == 0xd8 && b[1] == 0x3d))
}

// inflateCOSE appends to dst the COSE bytes inside data: data inflated if it
// has a zlib header, or data itself if it has none and looks like COSE (the
// EU DCC specification lets a verifier accept an uncompressed payload; the
// second result is then a warning). In strict mode a missing zlib header is
// an error.
func inflateCOSE(dst, data []byte, strict bool) ([]byte, string, error) {
	if !hasZlibHeader(data) {
		if len(data) == 0 {
			return nil, "", stepErr(StepZlib, "compressed data is empty")
		}
		if !strict && looksLikeCOSE(data) {
			return append(dst, data...), "payload is not compressed", nil
		}
		return nil, "", stepErr(StepZlib, "data has no zlib header")
	}
	r, _ := zlibReaders.Get().(io.ReadCloser)
	br := bytes.NewReader(data)
	var err error
	if r == nil {
		r, err = zlib.NewReader(br)
	} else {
		err = r.(zlib.Resetter).Reset(br, nil)
	}
	if err != nil {
		return nil, "", zlibErr(err)
	}
	defer zlibReaders.Put(r)
	out, err := readCapped(dst, r, MaxDecompressed)
	if err != nil {
		return nil, "", zlibErr(err)
	}
	if br.Len() > 0 {
		return nil, "", stepErr(StepZlib, "%d bytes follow the end of the zlib stream", br.Len())
	}
	return out, "", nil
}

// errTooLarge is returned by readCapped when the output passes its cap.
var errTooLarge = errors.New("decompressed data too large")

// readCapped appends all of r to dst, failing with errTooLarge past max
// bytes.
func readCapped(dst []byte, r io.Reader, max int) ([]byte, error) {
	start := len(dst)
	for {
		if len(dst)-start > max {
			return nil, errTooLarge
		}
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			if len(dst)-start > max {
				return nil, errTooLarge
			}
			return dst, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// zlibErr maps an inflate error to a precise step error.
func zlibErr(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, errTooLarge):
		return wrapErr(StepZlib, fmt.Sprintf("decompressed data is larger than %d bytes", MaxDecompressed), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return wrapErr(StepZlib, "compressed data is truncated", err)
	case errors.Is(err, zlib.ErrChecksum):
		return wrapErr(StepZlib, "zlib checksum does not match the data", err)
	case errors.Is(err, zlib.ErrHeader):
		return wrapErr(StepZlib, "zlib header is not valid", err)
	case errors.Is(err, zlib.ErrDictionary):
		return wrapErr(StepZlib, "zlib data needs a preset dictionary", err)
	case errors.As(err, &corrupt):
		return wrapErr(StepZlib, fmt.Sprintf("compressed data is corrupt at byte %d", int64(corrupt)), err)
	}
	return wrapErr(StepZlib, "compressed data cannot be decompressed", err)
}

// CWT claim keys (RFC 8392) and the hcert claim of the EU DCC.
const (
	claimIss   = 1
	claimExp   = 4
	claimIat   = 6
	claimHcert = -260
)

// decodeClaims decodes the CWT claims of payload into h and returns the raw
// CBOR of the DCC. The claims are checked for well-formedness and the
// decoder's limits first, then read without reflection: this is on the
// path of every verification.
func (h *HC1) decodeClaims(payload []byte) ([]byte, error) {
	if cborMajor(payload) != majorMap {
		return nil, stepErr(StepCBOR, "CWT claims are not a CBOR map")
	}
	if err := decMode.Wellformed(payload); err != nil {
		return nil, wrapErr(StepCBOR, cborReason("CWT claims", err), err)
	}
	var hcert []byte
	var seen [][]byte // raw keys, to reject duplicates
	err := cborMapEachRaw(payload, func(key, val []byte) error {
		for _, k := range seen {
			if bytes.Equal(k, key) {
				return stepErr(StepCBOR, "CWT claims have a duplicate map key")
			}
		}
		seen = append(seen, key)
		label, ok := cborIntKey(key)
		if !ok {
			return nil // a text-keyed private claim
		}
		switch label {
		case claimIss:
			s, ok := cborTextValue(val)
			if !ok {
				return stepErr(StepCBOR, "CWT iss (1) is not a text string")
			}
			h.Issuer = s
		case claimIat:
			v, err := cborNumericDate(val)
			if err != nil {
				return stepErr(StepCBOR, "CWT iat (6) is not a NumericDate")
			}
			h.IssuedAt = time.Unix(v, 0).UTC()
		case claimExp:
			v, err := cborNumericDate(val)
			if err != nil {
				return stepErr(StepCBOR, "CWT exp (4) is not a NumericDate")
			}
			h.ExpiresAt = time.Unix(v, 0).UTC()
		case claimHcert:
			hcert = val
		}
		return nil
	})
	if err != nil {
		var se *StepError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, wrapErr(StepCBOR, cborReason("CWT claims", err), err)
	}
	if hcert == nil {
		return nil, stepErr(StepCBOR, "CWT has no hcert claim (-260)")
	}
	if cborMajor(hcert) != majorMap {
		return nil, stepErr(StepCBOR, "hcert claim (-260) is not a map")
	}
	var dcc []byte
	seen = seen[:0]
	err = cborMapEachRaw(hcert, func(key, val []byte) error {
		for _, k := range seen {
			if bytes.Equal(k, key) {
				return stepErr(StepCBOR, "hcert claim has a duplicate map key")
			}
		}
		seen = append(seen, key)
		if label, ok := cborIntKey(key); ok && label == 1 {
			dcc = val
		}
		return nil
	})
	if err != nil {
		var se *StepError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, wrapErr(StepCBOR, cborReason("hcert claim", err), err)
	}
	if dcc == nil {
		return nil, stepErr(StepCBOR, "hcert claim has no EU DCC (key 1)")
	}
	return dcc, nil
}

// decodeDCC decodes the raw CBOR of a DCC into d. A value of the wrong
// type is a schema error; anything else is a CBOR error.
func decodeDCC(raw []byte, d *DCC) error {
	if cborMajor(raw) != majorMap {
		return stepErr(StepSchema, "EU DCC is not a map")
	}
	if err := decMode.Unmarshal(raw, d); err != nil {
		var typ *cbor.UnmarshalTypeError
		if errors.As(err, &typ) {
			return wrapErr(StepSchema, cborReason("EU DCC", err), err)
		}
		return wrapErr(StepCBOR, cborReason("EU DCC", err), err)
	}
	return nil
}
