package cert

// Base45 (RFC 9285): two bytes become three characters of a 45-character
// alphabet that QR codes carry in their compact alphanumeric mode.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Value maps a byte to its Base45 value, or -1 if it is not in the
// alphabet.
var base45Value = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// EncodeBase45 returns the Base45 encoding of src (RFC 9285).
func EncodeBase45(src []byte) string {
	return string(AppendBase45(nil, src))
}

// AppendBase45 appends the Base45 encoding of src to dst and returns the
// extended slice.
func AppendBase45(dst, src []byte) []byte {
	n := len(src)/2*3 + len(src)%2*2
	dst = growBytes(dst, n)
	i := 0
	for ; i+1 < len(src); i += 2 {
		v := int(src[i])<<8 | int(src[i+1])
		dst = append(dst, base45Alphabet[v%45], base45Alphabet[v/45%45], base45Alphabet[v/2025])
	}
	if i < len(src) {
		v := int(src[i])
		dst = append(dst, base45Alphabet[v%45], base45Alphabet[v/45])
	}
	return dst
}

// DecodeBase45 returns the bytes that the Base45 text s encodes. The error,
// a *StepError with step "base45", names the first problem: a character
// outside the alphabet (with its 0-based position), a dangling last
// character, or a group whose value is out of range.
func DecodeBase45(s string) ([]byte, error) {
	return appendDecodeBase45(nil, s)
}

// appendDecodeBase45 appends the bytes that s encodes to dst.
func appendDecodeBase45(dst []byte, s string) ([]byte, error) {
	if len(s)%3 == 1 {
		// Report a bad character before the dangling one, if there is one.
		for i := 0; i < len(s); i++ {
			if base45Value[s[i]] < 0 {
				return nil, stepErr(StepBase45, "invalid Base45 character at position %d", i)
			}
		}
		return nil, stepErr(StepBase45, "dangling Base45 character at position %d: the length %d leaves one character over", len(s)-1, len(s))
	}
	dst = growBytes(dst, len(s)/3*2+len(s)%3/2)
	i := 0
	for ; i+2 < len(s); i += 3 {
		c, d, e := base45Value[s[i]], base45Value[s[i+1]], base45Value[s[i+2]]
		if c < 0 || d < 0 || e < 0 {
			return nil, badBase45Char(s, i)
		}
		v := int(c) + int(d)*45 + int(e)*2025
		if v > 0xffff {
			return nil, stepErr(StepBase45, "Base45 group at position %d has value %d, above 65535", i, v)
		}
		dst = append(dst, byte(v>>8), byte(v))
	}
	if i < len(s) {
		c, d := base45Value[s[i]], base45Value[s[i+1]]
		if c < 0 || d < 0 {
			return nil, badBase45Char(s, i)
		}
		v := int(c) + int(d)*45
		if v > 0xff {
			return nil, stepErr(StepBase45, "Base45 group at position %d has value %d, above 255", i, v)
		}
		dst = append(dst, byte(v))
	}
	return dst, nil
}

// badBase45Char returns the error for the first invalid character at or
// after position i of s.
func badBase45Char(s string, i int) error {
	for ; i < len(s); i++ {
		if base45Value[s[i]] < 0 {
			break
		}
	}
	return stepErr(StepBase45, "invalid Base45 character at position %d", i)
}

// growBytes returns b with room for at least n more bytes.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		return nb
	}
	return b
}
