package sqlstore

// A check-in segment is an hour of check-ins as tracing reads them:
// grouped by premises, in check-in order, a few bytes each. Segments are
// built from the checkins table once an hour has passed (segments.go) and
// stored in checkin_segments; tracing reads whole segments and looks each
// premises up in memory instead of probing checkins_premises and the
// table for every stay.
//
// The encoding, all integers unsigned varints unless said:
//
//	"JCS1" from (to-from) premises visits
//	directory, for each premises in ascending order:
//	    (premises - previous premises) visits bytes
//	visits, for each premises in turn, for each visit in check-in order:
//	    (in - previous in, from `from` at each premises' first visit)
//	    zigzag(stay - previous stay, from 0), where stay = leaves - in
//	    0 without a check-out, else zigzag(out - in) + 1
//	    person
//
// Times are Unix microseconds; premises and people are their numbers.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// segmentMagic starts every encoded segment; its last byte is the version.
const segmentMagic = "JCS1"

// segVisit is one check-in row as a segment holds it.
type segVisit struct {
	premises, person int64
	in, leaves       int64 // Unix microseconds
	out              int64 // Unix microseconds; 0 when never checked out
}

// sortSegVisits orders visits as a segment stores them: by premises, then
// check-in time, then person.
func sortSegVisits(vs []segVisit) {
	sort.Slice(vs, func(i, j int) bool {
		a, b := &vs[i], &vs[j]
		if a.premises != b.premises {
			return a.premises < b.premises
		}
		if a.in != b.in {
			return a.in < b.in
		}
		return a.person < b.person
	})
}

// encodeSegment encodes the visits that began in [from, to), which must
// be ordered by sortSegVisits.
func encodeSegment(from, to int64, vs []segVisit) ([]byte, error) {
	if to < from {
		return nil, fmt.Errorf("encode segment: ends before it starts")
	}
	var dir, body []byte
	premises := 0
	for i := 0; i < len(vs); {
		j := i
		for j < len(vs) && vs[j].premises == vs[i].premises {
			j++
		}
		start := len(body)
		prevIn, prevStay := from, int64(0)
		for _, v := range vs[i:j] {
			if v.in < prevIn || v.in >= to || v.premises < 0 || v.person < 0 {
				return nil, fmt.Errorf("encode segment: visit out of order or out of range")
			}
			stay := v.leaves - v.in
			body = binary.AppendUvarint(body, uint64(v.in-prevIn))
			body = binary.AppendVarint(body, stay-prevStay)
			if v.out == 0 {
				body = binary.AppendUvarint(body, 0)
			} else {
				body = binary.AppendUvarint(body, zigzag(v.out-v.in)+1)
			}
			body = binary.AppendUvarint(body, uint64(v.person))
			prevIn, prevStay = v.in, stay
		}
		prev := int64(0)
		if i > 0 {
			prev = vs[i-1].premises
			if vs[i].premises <= prev {
				return nil, fmt.Errorf("encode segment: premises out of order")
			}
		}
		dir = binary.AppendUvarint(dir, uint64(vs[i].premises-prev))
		dir = binary.AppendUvarint(dir, uint64(j-i))
		dir = binary.AppendUvarint(dir, uint64(len(body)-start))
		premises++
		i = j
	}
	out := make([]byte, 0, len(segmentMagic)+4*binary.MaxVarintLen64+len(dir)+len(body))
	out = append(out, segmentMagic...)
	out = binary.AppendUvarint(out, uint64(from))
	out = binary.AppendUvarint(out, uint64(to-from))
	out = binary.AppendUvarint(out, uint64(premises))
	out = binary.AppendUvarint(out, uint64(len(vs)))
	out = append(out, dir...)
	return append(out, body...), nil
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// segment is a decoded segment's directory over its encoded visits.
type segment struct {
	from, to int64
	premises []int64 // ascending
	counts   []int32 // visits of premises[i]
	offsets  []int32 // where premises[i]'s visits start in body; one more at the end
	body     []byte
	visits   int
}

var errCorruptSegment = errors.New("check-in segment is corrupt")

// decodeSegment reads a segment's header and directory; the visits are
// read as they are asked for, and checked then.
func decodeSegment(b []byte) (*segment, error) {
	if len(b) < len(segmentMagic) || len(b) > 1<<31-1 || string(b[:len(segmentMagic)]) != segmentMagic {
		return nil, errCorruptSegment
	}
	r := segReader{b: b, i: len(segmentMagic)}
	from, span, np, nv := r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()
	// Every premises and visit takes at least three and four bytes.
	if r.err || from > 1<<62 || span > 1<<62 || np > uint64(len(b))/3 || nv > uint64(len(b))/4 || np > nv {
		return nil, errCorruptSegment
	}
	s := &segment{from: int64(from), to: int64(from + span), visits: int(nv),
		premises: make([]int64, np), counts: make([]int32, np), offsets: make([]int32, np+1)}
	var prem, total, size uint64
	for i := range s.premises {
		d, n, l := r.uvarint(), r.uvarint(), r.uvarint()
		if r.err || (d == 0 && i > 0) || d > 1<<62 || n == 0 || n > nv || l < 4*n || l > uint64(len(b)) {
			return nil, errCorruptSegment
		}
		prem += d
		if prem > 1<<62 {
			return nil, errCorruptSegment
		}
		s.premises[i], s.counts[i], s.offsets[i] = int64(prem), int32(n), int32(size)
		total, size = total+n, size+l
	}
	if total != nv || size != uint64(len(b)-r.i) {
		return nil, errCorruptSegment
	}
	s.offsets[np] = int32(size)
	s.body = b[r.i:]
	return s, nil
}

// each calls f with every visit at premises that began in [from, to) and
// leaves after after (Unix microseconds), in check-in order.
func (s *segment) each(premises, from, to, after int64, f func(segVisit)) error {
	i := sort.Search(len(s.premises), func(i int) bool { return s.premises[i] >= premises })
	if i == len(s.premises) || s.premises[i] != premises {
		return nil
	}
	c := s.cursor(i)
	for c.next() {
		if c.in >= to {
			return nil
		}
		if c.in >= from && c.in+c.stay > after {
			f(c.visit())
		}
	}
	return c.err()
}

// eachOf calls f with every visit of the people want holds that began in
// [from, to) (Unix microseconds), at any premises.
func (s *segment) eachOf(want *personSet, from, to int64, f func(segVisit)) error {
	for i := range s.premises {
		c := s.cursor(i)
		for c.next() {
			if want.has(c.person) && c.in >= from && c.in < to {
				f(c.visit())
			}
		}
		if err := c.err(); err != nil {
			return err
		}
	}
	return nil
}

// visitCursor reads the visits at one of a segment's premises in turn:
// after each next that returns true, the fields hold a visit.
type visitCursor struct {
	s        *segment
	r        segReader
	premises int64
	left     int32 // visits not read yet
	corrupt  bool
	// The visit read last.
	in, stay, person int64
	out              uint64 // 0 without a check-out, else zigzag(out - in) + 1
}

// cursor returns a cursor over the visits at s.premises[i].
func (s *segment) cursor(i int) visitCursor {
	return visitCursor{s: s, r: segReader{b: s.body[s.offsets[i]:s.offsets[i+1]]}, premises: s.premises[i], left: s.counts[i], in: s.from}
}

// next reads the next visit; false after the last or at a visit that
// cannot be.
func (c *visitCursor) next() bool {
	if c.left == 0 || c.corrupt {
		return false
	}
	c.left--
	d, ds, o, person := c.r.uvarint(), c.r.varint(), c.r.uvarint(), c.r.uvarint()
	c.in += int64(d)
	c.stay += ds
	if c.r.err || d > 1<<62 || person > 1<<62 || c.in >= c.s.to || c.in < c.s.from {
		c.corrupt = true
		return false
	}
	c.person, c.out = int64(person), o
	return true
}

// err is errCorruptSegment if the cursor met a visit that cannot be, or
// bytes after the last visit it read to.
func (c *visitCursor) err() error {
	if c.corrupt || c.left == 0 && c.r.i != len(c.r.b) {
		return errCorruptSegment
	}
	return nil
}

// visit is the visit read last.
func (c *visitCursor) visit() segVisit {
	v := segVisit{premises: c.premises, person: c.person, in: c.in, leaves: c.in + c.stay}
	if c.out > 0 {
		z := c.out - 1
		v.out = c.in + (int64(z>>1) ^ -int64(z&1))
	}
	return v
}

// segReader reads varints, remembering the first failure.
type segReader struct {
	b   []byte
	i   int
	err bool
}

// uvarint reads what binary.Uvarint would, without slicing: the segment
// scan's inner loop.
func (r *segReader) uvarint() uint64 {
	var v uint64
	for k, i := 0, r.i; i < len(r.b); k, i = k+1, i+1 {
		b := r.b[i]
		if k == binary.MaxVarintLen64-1 && b > 1 {
			break // overflows 64 bits
		}
		if b < 0x80 {
			r.i = i + 1
			return v | uint64(b)<<(7*k)
		}
		v |= uint64(b&0x7f) << (7 * k)
	}
	r.err = true
	return 0
}

func (r *segReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// personSet is a set of people's numbers, a bit each up to the largest.
type personSet struct{ bits []uint64 }

func newPersonSet(seqs []int64) *personSet {
	var top int64
	for _, s := range seqs {
		top = max(top, s)
	}
	p := &personSet{bits: make([]uint64, top/64+1)}
	for _, s := range seqs {
		if s >= 0 {
			p.bits[s/64] |= 1 << (s % 64)
		}
	}
	return p
}

func (p *personSet) has(seq int64) bool {
	return seq >= 0 && seq/64 < int64(len(p.bits)) && p.bits[seq/64]&(1<<(seq%64)) != 0
}
