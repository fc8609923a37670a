package cert

import (
	"encoding/binary"
	"hash/adler32"
	"math/bits"
)

// A small DEFLATE encoder (RFC 1951) for what jaga issues: one final block
// with the fixed Huffman codes and greedy LZ77 matching. A certificate is a
// few hundred bytes, where the fixed codes compress about as well as
// dynamic ones (whose table costs tens of bytes) and cost nothing to build;
// compress/flate spends longer building its tables than signing takes.
// Any inflater reads the result: it is plain DEFLATE.

// Length codes 257..285: base length and extra bits.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// lengthCode[l-3] is the index (0..28) of the length code of match length l.
var lengthCode = func() (t [256]uint8) {
	for code := 0; code < 29; code++ {
		for l := int(lengthBase[code]); l < int(lengthBase[code])+1<<lengthExtra[code] && l <= 258; l++ {
			t[l-3] = uint8(code)
		}
	}
	t[258-3] = 28
	return t
}()

// fixedLit[v] is the fixed Huffman code of literal/length symbol v,
// bit-reversed for writing least significant bit first, in its low bits,
// and its length in bits in the top byte.
var fixedLit = func() (t [288]uint32) {
	for v := range t {
		var code, n uint32
		switch {
		case v <= 143:
			code, n = uint32(0x30+v), 8
		case v <= 255:
			code, n = uint32(0x190+v-144), 9
		case v <= 279:
			code, n = uint32(v-256), 7
		default:
			code, n = uint32(0xc0+v-280), 8
		}
		t[v] = bits.Reverse32(code)>>(32-n) | n<<24
	}
	return t
}()

// fixedDist[d] is the fixed 5-bit code of distance code d, bit-reversed.
var fixedDist = func() (t [30]uint8) {
	for d := range t {
		t[d] = uint8(bits.Reverse32(uint32(d)) >> 27)
	}
	return t
}()

// bitWriter writes bits least significant first, as DEFLATE does.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	if w.nbits >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.nbits -= 32
	}
}

// writeLitLen writes literal or length symbol v (0..287) in the fixed code.
func (w *bitWriter) writeLitLen(v int) {
	c := fixedLit[v]
	w.write(uint64(c&0xffffff), uint(c>>24))
}

func (w *bitWriter) flush() []byte {
	for w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= min(w.nbits, 8)
	}
	return w.out
}

const (
	deflateHashBits = 10
	deflateMaxChain = 8
	deflateWindow   = 32768
	deflateMinMatch = 3
	deflateMaxMatch = 258
)

// appendDeflateFixed appends the DEFLATE encoding of src to dst.
func appendDeflateFixed(dst, src []byte) []byte {
	w := bitWriter{out: dst}
	w.write(1, 1) // BFINAL
	w.write(1, 2) // BTYPE 01: fixed Huffman codes
	// head[h] is 1 + the last position with hash h; prev[i] is the
	// position before i with the same hash, or -1.
	var head [1 << deflateHashBits]int32
	var prevArr [1024]int32
	prev := prevArr[:]
	if len(src) > len(prevArr) {
		prev = make([]int32, len(src))
	}
	last := len(src) - deflateMinMatch // the last position a match can start
	for i := 0; i < len(src); {
		bestLen, bestDist := 0, 0
		var h uint32
		if i <= last {
			h = (uint32(src[i]) | uint32(src[i+1])<<8 | uint32(src[i+2])<<16) * 0x9e3779b1 >> (32 - deflateHashBits)
			cand := int(head[h]) - 1
			maxLen := min(deflateMaxMatch, len(src)-i)
			for chain := 0; cand >= 0 && i-cand <= deflateWindow && chain < deflateMaxChain; chain++ {
				if src[cand+bestLen] == src[i+bestLen] {
					l := 0
					for l < maxLen && src[cand+l] == src[i+l] {
						l++
					}
					if l > bestLen {
						bestLen, bestDist = l, i-cand
						if l == maxLen {
							break
						}
					}
				}
				cand = int(prev[cand])
			}
			prev[i] = head[h] - 1
			head[h] = int32(i) + 1
		}
		if bestLen < deflateMinMatch {
			c := fixedLit[src[i]]
			w.write(uint64(c&0xffffff), uint(c>>24))
			i++
			continue
		}
		lc := int(lengthCode[bestLen-deflateMinMatch])
		c := fixedLit[257+lc]
		w.write(uint64(c&0xffffff), uint(c>>24))
		if e := lengthExtra[lc]; e > 0 {
			w.write(uint64(bestLen-int(lengthBase[lc])), uint(e))
		}
		dc := distCode(bestDist)
		w.write(uint64(fixedDist[dc]), 5)
		if e := distExtra[dc]; e > 0 {
			w.write(uint64(bestDist-int(distBase[dc])), uint(e))
		}
		// Index the positions inside the match too.
		for k := i + 1; k < i+bestLen && k <= last; k++ {
			hk := (uint32(src[k]) | uint32(src[k+1])<<8 | uint32(src[k+2])<<16) * 0x9e3779b1 >> (32 - deflateHashBits)
			prev[k] = head[hk] - 1
			head[hk] = int32(k) + 1
		}
		i += bestLen
	}
	w.writeLitLen(256) // end of block
	return w.flush()
}

// distCode returns the distance code (0..29) of distance d (1..32768).
func distCode(d int) int {
	lo, hi := 0, 29
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if int(distBase[mid]) <= d {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// appendZlibFixed appends the zlib stream (RFC 1950) of src, compressed
// with appendDeflateFixed, to dst.
func appendZlibFixed(dst, src []byte) []byte {
	dst = append(dst, 0x78, 0x01) // deflate, 32 KiB window, fastest; (0x7801 % 31 == 0)
	dst = appendDeflateFixed(dst, src)
	return binary.BigEndian.AppendUint32(dst, adler32.Checksum(src))
}
