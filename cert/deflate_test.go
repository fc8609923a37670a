package cert

import (
	"bytes"
	"compress/zlib"
	"io"
	"testing"
)

func TestZlibRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("jaga HC1 certificate "), 3000)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0xd2}},
		{"high bytes", []byte{0xff, 0xfe, 0x90, 0x8f, 0x00, 0x01}},
		{"repeats", bytes.Repeat([]byte{'a'}, 1000)},
		{"long match", append(bytes.Repeat([]byte("xyz"), 200), bytes.Repeat([]byte("xyz"), 200)...)},
		{"beyond window", big},
		{"more than one stored block", bytes.Repeat([]byte{7}, 0xffff*2+3)},
		{"exactly one full block", bytes.Repeat([]byte{9}, 0xffff)},
		{"cbor", mustHex(t, "a4041a625eef58061a607dbbd801624154390103a101590207bf63737562bf62676e684761627269656c6562666e6a4d7573746572667261756364")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := appendZlib(nil, tt.in)
			r, err := zlib.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, tt.in) {
				t.Fatalf("round trip differs: %d bytes in, %d out", len(tt.in), len(out))
			}
		})
	}
}

func FuzzZlib(f *testing.F) {
	f.Add([]byte("HC1 HC1 HC1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		z := appendZlib(nil, in)
		r, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
