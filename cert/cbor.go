package cert

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// CBOR limits for everything read from outside. A DCC is a few hundred
// bytes; these bounds are far above any real certificate and far below what
// would cost a verifier memory or time.
const (
	maxNestedLevels  = 16
	maxArrayElements = 256
	maxMapPairs      = 256
)

// decMode decodes untrusted CBOR: duplicate map keys are errors, nesting,
// array and map sizes are bounded (indefinite-length items count against
// the same bounds), text must be valid UTF-8 and struct fields match their
// keys exactly.
var decMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   maxNestedLevels,
		MaxArrayElements:  maxArrayElements,
		MaxMapPairs:       maxMapPairs,
		IndefLength:       cbor.IndefLengthAllowed,
		TagsMd:            cbor.TagsAllowed,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		UTF8:              cbor.UTF8RejectInvalid,
		NaN:               cbor.NaNDecodeForbidden,
		Inf:               cbor.InfDecodeForbidden,
	}.DecMode()
	if err != nil {
		panic(err) // the options above are constant
	}
	return dm
}()

// encMode encodes what jaga issues: core deterministic encoding (RFC 8949
// section 4.2.1), so the same certificate always has the same bytes.
var encMode = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// cborReason turns a CBOR decoding error into a safe, precise reason.
func cborReason(what string, err error) string {
	var (
		syn  *cbor.SyntaxError
		semt *cbor.SemanticError
		typ  *cbor.UnmarshalTypeError
		dup  *cbor.DupMapKeyError
		lim  *cbor.MaxNestedLevelError
		arr  *cbor.MaxArrayElementsError
		mp   *cbor.MaxMapPairsError
		ext  *cbor.ExtraneousDataError
		ind  *cbor.IndefiniteLengthError
	)
	switch {
	case errors.As(err, &lim):
		return fmt.Sprintf("%s nests deeper than %d levels", what, maxNestedLevels)
	case errors.As(err, &arr):
		return fmt.Sprintf("%s has an array of more than %d elements", what, maxArrayElements)
	case errors.As(err, &mp):
		return fmt.Sprintf("%s has a map of more than %d pairs", what, maxMapPairs)
	case errors.As(err, &dup):
		return fmt.Sprintf("%s has a duplicate map key", what)
	case errors.As(err, &ext):
		return fmt.Sprintf("%s has extra bytes after its end", what)
	case errors.As(err, &ind):
		return fmt.Sprintf("%s uses an indefinite length where none is allowed", what)
	case errors.As(err, &typ):
		if f := typ.StructFieldName; f != "" {
			if i := strings.LastIndexByte(f, '.'); i >= 0 {
				f = f[i+1:] // "cert.DCC.v" names the field v
			}
			return fmt.Sprintf("%s: field %s holds a CBOR %s, not the expected type", what, f, typ.CBORType)
		}
		return fmt.Sprintf("%s is a CBOR %s, not the expected type", what, typ.CBORType)
	case errors.As(err, &semt):
		return fmt.Sprintf("%s is not valid CBOR: %s", what, semt.Error())
	case errors.As(err, &syn):
		return fmt.Sprintf("%s is not well-formed CBOR: %s", what, syn.Error())
	case errors.Is(err, errTruncated):
		return fmt.Sprintf("%s is truncated", what)
	}
	if err.Error() == "EOF" || err.Error() == "unexpected EOF" {
		return fmt.Sprintf("%s is truncated", what)
	}
	return fmt.Sprintf("%s is not valid CBOR", what)
}

var errTruncated = errors.New("truncated")

// CBOR major types.
const (
	majorUint  = 0
	majorNint  = 1
	majorBytes = 2
	majorText  = 3
	majorArray = 4
	majorMap   = 5
	majorTag   = 6
	majorOther = 7
)

// cborHead reads the head of the data item at b: its major type, argument
// and the length of the head. indef reports an indefinite length. It only
// reads items that fxamacker/cbor has already accepted as well-formed, but
// still checks every bound.
func cborHead(b []byte) (major int, arg uint64, n int, indef bool, err error) {
	if len(b) == 0 {
		return 0, 0, 0, false, errTruncated
	}
	major = int(b[0] >> 5)
	ai := b[0] & 0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), 1, false, nil
	case ai == 24:
		if len(b) < 2 {
			return 0, 0, 0, false, errTruncated
		}
		return major, uint64(b[1]), 2, false, nil
	case ai == 25:
		if len(b) < 3 {
			return 0, 0, 0, false, errTruncated
		}
		return major, uint64(b[1])<<8 | uint64(b[2]), 3, false, nil
	case ai == 26:
		if len(b) < 5 {
			return 0, 0, 0, false, errTruncated
		}
		return major, uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4]), 5, false, nil
	case ai == 27:
		if len(b) < 9 {
			return 0, 0, 0, false, errTruncated
		}
		var v uint64
		for i := 1; i < 9; i++ {
			v = v<<8 | uint64(b[i])
		}
		return major, v, 9, false, nil
	case ai == 31 && (major == majorBytes || major == majorText || major == majorArray || major == majorMap || major == majorOther):
		return major, 0, 1, true, nil
	}
	return 0, 0, 0, false, errors.New("reserved additional information")
}

// cborSkip returns the length of the data item at the start of b.
func cborSkip(b []byte, depth int) (int, error) {
	if depth > maxNestedLevels {
		return 0, errors.New("too deep")
	}
	major, arg, n, indef, err := cborHead(b)
	if err != nil {
		return 0, err
	}
	if indef {
		if major == majorOther { // a stray "break"
			return 0, errors.New("unexpected break")
		}
		for {
			if n >= len(b) {
				return 0, errTruncated
			}
			if b[n] == 0xff {
				return n + 1, nil
			}
			k, err := cborSkip(b[n:], depth+1)
			if err != nil {
				return 0, err
			}
			n += k
			if major == majorMap {
				k, err = cborSkip(b[n:], depth+1)
				if err != nil {
					return 0, err
				}
				n += k
			}
		}
	}
	switch major {
	case majorUint, majorNint, majorOther:
		return n, nil
	case majorBytes, majorText:
		if arg > uint64(len(b)-n) {
			return 0, errTruncated
		}
		return n + int(arg), nil
	case majorTag:
		k, err := cborSkip(b[n:], depth+1)
		return n + k, err
	case majorArray, majorMap:
		items := arg
		if major == majorMap {
			if items > math.MaxUint64/2 {
				return 0, errTruncated
			}
			items *= 2
		}
		if items > uint64(len(b)) { // each item takes at least one byte
			return 0, errTruncated
		}
		for i := uint64(0); i < items; i++ {
			k, err := cborSkip(b[n:], depth+1)
			if err != nil {
				return 0, err
			}
			n += k
		}
		return n, nil
	}
	return 0, errors.New("unknown major type")
}

// cborMapEach calls fn for each entry of the map at b whose key is a text
// string, with the key's bytes and the raw value. It skips entries with
// other keys.
func cborMapEach(b []byte, fn func(key []byte, val []byte) error) error {
	return cborMapEachRaw(b, func(key, val []byte) error {
		if km, ka, kn, kindef, err := cborHead(key); err == nil && km == majorText && !kindef && uint64(len(key)-kn) == ka {
			return fn(key[kn:], val)
		}
		return nil
	})
}

// cborMapEachRaw calls fn for each entry of the map at b with the raw key
// and the raw value.
func cborMapEachRaw(b []byte, fn func(key []byte, val []byte) error) error {
	b = cborUntag(b)
	major, arg, n, indef, err := cborHead(b)
	if err != nil {
		return err
	}
	if major != majorMap {
		return errors.New("not a map")
	}
	for i := uint64(0); indef || i < arg; i++ {
		if n >= len(b) {
			return errTruncated
		}
		if indef && b[n] == 0xff {
			return nil
		}
		k, err := cborSkip(b[n:], 1)
		if err != nil {
			return err
		}
		key := b[n : n+k]
		n += k
		v, err := cborSkip(b[n:], 1)
		if err != nil {
			return err
		}
		val := b[n : n+v]
		n += v
		if err := fn(key, val); err != nil {
			return err
		}
	}
	return nil
}

// cborIntKey returns the integer that the raw item key encodes.
func cborIntKey(key []byte) (int64, bool) {
	major, arg, n, _, err := cborHead(key)
	if err != nil || n != len(key) || arg > math.MaxInt64 {
		return 0, false
	}
	switch major {
	case majorUint:
		return int64(arg), true
	case majorNint:
		return -1 - int64(arg), true
	}
	return 0, false
}

// cborTextValue returns the definite-length text string at b.
func cborTextValue(b []byte) (string, bool) {
	major, arg, n, indef, err := cborHead(b)
	if err != nil || major != majorText || indef || uint64(len(b)-n) != arg {
		return "", false
	}
	s := string(b[n:])
	if !utf8.ValidString(s) {
		return "", false
	}
	return s, true
}

// cborArrayEach calls fn for each element of the array at b.
func cborArrayEach(b []byte, fn func(i int, val []byte) error) error {
	b = cborUntag(b)
	major, arg, n, indef, err := cborHead(b)
	if err != nil {
		return err
	}
	if major != majorArray {
		return errors.New("not an array")
	}
	for i := uint64(0); indef || i < arg; i++ {
		if n >= len(b) {
			return errTruncated
		}
		if indef && b[n] == 0xff {
			return nil
		}
		k, err := cborSkip(b[n:], 1)
		if err != nil {
			return err
		}
		if err := fn(int(i), b[n:n+k]); err != nil {
			return err
		}
		n += k
	}
	return nil
}

// cborUntag strips any tags in front of the item at b.
func cborUntag(b []byte) []byte {
	for i := 0; i < maxNestedLevels; i++ {
		major, _, n, _, err := cborHead(b)
		if err != nil || major != majorTag {
			return b
		}
		b = b[n:]
	}
	return b
}

// cborMajor returns the major type of the (untagged) item at b, or -1.
func cborMajor(b []byte) int {
	major, _, _, _, err := cborHead(cborUntag(b))
	if err != nil {
		return -1
	}
	return major
}

// cborNumericDate reads a CWT NumericDate (RFC 8392): an integer or a
// floating-point number of seconds since the epoch, optionally in tag 1.
func cborNumericDate(b []byte) (int64, error) {
	b = cborUntag(b)
	major, arg, n, _, err := cborHead(b)
	if err != nil {
		return 0, err
	}
	switch major {
	case majorUint:
		if arg > math.MaxInt64 {
			return 0, errors.New("out of range")
		}
		return int64(arg), nil
	case majorNint:
		if arg > math.MaxInt64 {
			return 0, errors.New("out of range")
		}
		return -1 - int64(arg), nil
	case majorOther:
		var f float64
		switch n {
		case 3:
			f = float64(float16ToFloat32(uint16(arg)))
		case 5:
			f = float64(math.Float32frombits(uint32(arg)))
		case 9:
			f = math.Float64frombits(arg)
		default:
			return 0, errors.New("not a number")
		}
		if math.IsNaN(f) || f > math.MaxInt64/2 || f < math.MinInt64/2 {
			return 0, errors.New("out of range")
		}
		return int64(f), nil
	}
	return 0, errors.New("not a number")
}

// float16ToFloat32 converts an IEEE 754 half-precision number.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		f := float32(frac) / 1024 / 16384
		if sign != 0 {
			return -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
