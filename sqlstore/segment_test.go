package sqlstore

import (
	"bytes"
	"database/sql"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// someVisits returns n visits at a few premises in [from, from+hour).
func someVisits(rng *rand.Rand, n int, from int64) []segVisit {
	const hour = int64(3600e6)
	vs := make([]segVisit, n)
	for i := range vs {
		in := from + rng.Int64N(hour)
		v := segVisit{premises: 1 + rng.Int64N(20), person: rng.Int64N(1 << 40), in: in, leaves: in + 90*60e6}
		switch rng.IntN(3) {
		case 0:
			v.out = in + rng.Int64N(3*hour)
		case 1:
			v.leaves = in + rng.Int64N(24*hour)
		}
		vs[i] = v
	}
	sortSegVisits(vs)
	return vs
}

func TestSegmentRoundTrip(t *testing.T) {
	const from = int64(1638547200000000) // 2021-12-03T16:00:00Z
	const to = from + 3600e6
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		visits []segVisit
	}{
		{"empty hour", nil},
		{"one visit at the hour's first microsecond", []segVisit{{premises: 7, person: 3, in: from, leaves: from + 1}}},
		{"one visit at its last, checked out before it began", []segVisit{{premises: 1 << 40, person: 0, in: to - 1, leaves: to + 5, out: to - 2}}},
		{"many visits", someVisits(rng, 5000, from)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := encodeSegment(from, to, tc.visits)
			if err != nil {
				t.Fatal(err)
			}
			s, err := decodeSegment(data)
			if err != nil {
				t.Fatal(err)
			}
			if s.from != from || s.to != to || s.visits != len(tc.visits) {
				t.Fatalf("segment [%d, %d) of %d visits, want [%d, %d) of %d", s.from, s.to, s.visits, from, to, len(tc.visits))
			}
			var got []segVisit
			for _, p := range s.premises {
				if err := s.each(p, from, to, 0, func(v segVisit) { got = append(got, v) }); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, tc.visits) {
				t.Fatalf("read back %d visits that differ from the %d written", len(got), len(tc.visits))
			}
			// Through eachOf too, where a set of everyone is small.
			var everyone []int64
			for _, v := range tc.visits {
				if v.person >= 1<<24 {
					return
				}
				everyone = append(everyone, v.person)
			}
			got = nil
			if err := s.eachOf(newPersonSet(everyone), from, to, func(v segVisit) { got = append(got, v) }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.visits) {
				t.Fatalf("eachOf read back %d visits that differ from the %d written", len(got), len(tc.visits))
			}
		})
	}
	t.Run("eachOf keeps to the people and times asked", func(t *testing.T) {
		vs := someVisits(rand.New(rand.NewPCG(5, 6)), 2000, from)
		for i := range vs {
			vs[i].person %= 500 // a person set a bit a person
		}
		data, _ := encodeSegment(from, to, vs)
		s, _ := decodeSegment(data)
		lo, hi := from+600e6, from+1800e6
		people := []int64{vs[0].person, vs[7].person, vs[99].person}
		var want, got []segVisit
		for _, v := range vs {
			if slices.Contains(people, v.person) && v.in >= lo && v.in < hi {
				want = append(want, v)
			}
		}
		if err := s.eachOf(newPersonSet(people), lo, hi, func(v segVisit) { got = append(got, v) }); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("got %d visits, want %d", len(got), len(want))
		}
	})
	t.Run("each keeps to the times asked", func(t *testing.T) {
		vs := someVisits(rng, 2000, from)
		data, _ := encodeSegment(from, to, vs)
		s, _ := decodeSegment(data)
		lo, hi, after := from+600e6, from+1800e6, from+1200e6
		var want, got []segVisit
		for _, v := range vs {
			if v.premises == 5 && v.in >= lo && v.in < hi && v.leaves > after {
				want = append(want, v)
			}
		}
		if err := s.each(5, lo, hi, after, func(v segVisit) { got = append(got, v) }); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("got %d visits, want %d", len(got), len(want))
		}
		if err := s.each(99, from, to, 0, func(segVisit) { t.Fatal("a visit at premises with none") }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unordered or out of range visits are refused", func(t *testing.T) {
		for _, vs := range [][]segVisit{
			{{premises: 2, in: from + 5}, {premises: 1, in: from + 6}},
			{{premises: 1, in: from + 6}, {premises: 1, in: from + 5}},
			{{premises: 1, in: to}},
			{{premises: 1, in: from - 1}},
		} {
			if _, err := encodeSegment(from, to, vs); err == nil {
				t.Errorf("%v encoded", vs)
			}
		}
	})
}

func TestSegmentCorrupt(t *testing.T) {
	const from = int64(1638547200000000)
	good, err := encodeSegment(from, from+3600e6, someVisits(rand.New(rand.NewPCG(3, 4)), 300, from))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"another format", append([]byte("JCS2"), good[4:]...)},
		{"truncated", good[:len(good)-1]},
		{"a byte more", append(slices.Clone(good), 0)},
		{"header only", good[:12]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := readAll(tc.data); !errors.Is(err, errCorruptSegment) {
				t.Fatalf("err = %v, want %v", err, errCorruptSegment)
			}
		})
	}
}

// readAll decodes a segment and reads every visit in it.
func readAll(data []byte) error {
	s, err := decodeSegment(data)
	if err != nil {
		return err
	}
	for _, p := range s.premises {
		if err := s.each(p, s.from, s.to, -1<<62, func(segVisit) {}); err != nil {
			return err
		}
	}
	return s.eachOf(&personSet{}, s.from, s.to, func(segVisit) {})
}

func FuzzSegmentDecode(f *testing.F) {
	const from = int64(1638547200000000)
	for i, n := range []int{0, 1, 40} {
		data, err := encodeSegment(from, from+3600e6, someVisits(rand.New(rand.NewPCG(uint64(i), 9)), n, from))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Anything but a panic or an unbounded allocation is fine; what
		// decodes must read back through each without error or a visit
		// outside the segment.
		s, err := decodeSegment(data)
		if err != nil {
			return
		}
		inside := func(v segVisit) {
			if v.in < s.from || v.in >= s.to {
				t.Fatalf("visit at %d outside [%d, %d)", v.in, s.from, s.to)
			}
		}
		var people []int64
		for _, p := range s.premises {
			s.each(p, s.from, s.to, -1<<62, func(v segVisit) { inside(v); people = append(people, v.person) })
		}
		// Everyone's visits, through eachOf: the same number when both
		// read the whole segment without error.
		each, of := len(people), 0
		if len(people) > 0 && slices.Max(people) < 1<<24 && slices.Min(people) >= 0 {
			err := s.eachOf(newPersonSet(people), s.from, s.to, func(v segVisit) { inside(v); of++ })
			if err == nil && readAll(data) == nil && each != of {
				t.Fatalf("each read %d visits, eachOf %d", each, of)
			}
		}
	})
}

// BenchmarkSegmentScan scans an hour of the national peak's visits (1.4
// million at half a million premises) for 33,000 people, as a day's
// tracing scans every segment in its reach for its cases' visits.
func BenchmarkSegmentScan(b *testing.B) {
	const from = int64(1638547200000000)
	rng := rand.New(rand.NewPCG(1, 2))
	vs := make([]segVisit, 1400000)
	for i := range vs {
		in := from + rng.Int64N(3600e6)
		vs[i] = segVisit{premises: 1 + rng.Int64N(500000), person: 1 + rng.Int64N(11500000), in: in, leaves: in + 90*60e6}
		if rng.IntN(10) < 4 {
			vs[i].out = in + rng.Int64N(90*60e6)
		}
	}
	sortSegVisits(vs)
	data, err := encodeSegment(from, from+3600e6, vs)
	if err != nil {
		b.Fatal(err)
	}
	s, err := decodeSegment(data)
	if err != nil {
		b.Fatal(err)
	}
	want := make([]int64, 33000)
	for i := range want {
		want[i] = 1 + rng.Int64N(11500000)
	}
	set := newPersonSet(want)
	b.ResetTimer()
	for b.Loop() {
		if err := s.eachOf(set, from, from+3600e6, func(segVisit) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/visit")
}

// The SQLite driver returns every blob in memory of its own, which
// driverBlob keeps: one read's blob is untouched by the reads after it on
// the same connection.
func TestDriverBlobsAreFresh(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "blobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE b (n INTEGER PRIMARY KEY, data BLOB)`); err != nil {
		t.Fatal(err)
	}
	blob := func(n, size int) []byte { return bytes.Repeat([]byte{byte(n)}, size) }
	sizes := []int{10, 5000, 100000, 10}
	for n, size := range sizes {
		if _, err := db.Exec(`INSERT INTO b VALUES (?, ?)`, n, blob(n+1, size)); err != nil {
			t.Fatal(err)
		}
	}
	read := make([][]byte, len(sizes))
	for n := range sizes {
		if err := db.QueryRow(`SELECT data FROM b WHERE n = ?`, n).Scan((*driverBlob)(&read[n])); err != nil {
			t.Fatal(err)
		}
	}
	for n, size := range sizes {
		if !bytes.Equal(read[n], blob(n+1, size)) {
			t.Errorf("blob %d changed after the reads that followed it", n)
		}
	}
	var none []byte
	if err := db.QueryRow(`SELECT NULL`).Scan((*driverBlob)(&none)); err != nil || none != nil {
		t.Errorf("NULL read as %v, %v", none, err)
	}
	if err := db.QueryRow(`SELECT 1`).Scan((*driverBlob)(&none)); err == nil {
		t.Error("an integer read as a blob")
	}
}
