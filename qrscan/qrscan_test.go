package qrscan_test

import (
	"errors"
	"image"
	"testing"

	"github.com/jaga-health/jaga/poster"
	"github.com/jaga-health/jaga/qrscan"
)

func TestDecode(t *testing.T) {
	const token = "JAGA1:AQ8PDw8PDw8PDw8PDw8PDw8AAAAHsZ3e1P7bPqkZ6wQ0v2L7Ug"
	png, err := poster.QR(token, 256)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    string
		wantErr error
	}{
		{"rendered QR", png, token, nil},
		{"not an image", []byte("HC1:not an image"), "", qrscan.ErrNoImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := qrscan.Decode(tt.data)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("blank image", func(t *testing.T) {
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = 0xff
		}
		if _, err := qrscan.Read(img); !errors.Is(err, qrscan.ErrNoCode) {
			t.Fatalf("err = %v, want ErrNoCode", err)
		}
	})
}
