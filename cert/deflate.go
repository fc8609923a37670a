package cert

import (
	"encoding/binary"
	"hash/adler32"
)

// appendZlib appends the zlib stream (RFC 1950) of src to dst, its DEFLATE
// data (RFC 1951) in stored blocks. A certificate's COSE message is a few
// hundred bytes of compact CBOR and a random signature, which DEFLATE does
// not shrink: a 367-byte message came out of a fixed-Huffman LZ77 encoder
// as 370 bytes (and out of compress/flate at its best level no smaller),
// after 2.7 µs of work, 6 % of issuing. Stored blocks cost a copy, and any
// inflater reads them: they are plain DEFLATE.
func appendZlib(dst, src []byte) []byte {
	sum := adler32.Checksum(src)
	dst = append(dst, 0x78, 0x01) // deflate, 32 KiB window, fastest; (0x7801 % 31 == 0)
	for {
		n := min(len(src), 0xffff)
		final := byte(0)
		if n == len(src) {
			final = 1
		}
		// BFINAL and BTYPE 00 (stored), padded to the byte, then LEN and
		// its one's complement NLEN, little-endian.
		dst = append(dst, final)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		dst = binary.LittleEndian.AppendUint16(dst, ^uint16(n))
		dst = append(dst, src[:n]...)
		if final == 1 {
			break
		}
		src = src[n:]
	}
	return binary.BigEndian.AppendUint32(dst, sum)
}
