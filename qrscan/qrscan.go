// Package qrscan reads the text of a QR code in a PNG or JPEG image, with
// github.com/makiuchi-d/gozxing.
package qrscan

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	_ "image/jpeg" // decode JPEG photographs
	_ "image/png"  // decode PNG pictures

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNoImage is returned when the data is not a PNG or JPEG image.
var ErrNoImage = errors.New("the image cannot be decoded")

// ErrNoCode is returned when no QR code is found in the image.
var ErrNoCode = errors.New("no QR code found in the image")

// Decode reads the QR code of a PNG or JPEG image.
func Decode(data []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", ErrNoImage
	}
	return Read(img)
}

// Read finds and reads a QR code in img. A photograph is searched as it is;
// a code with too little quiet zone gets a white margin; a rendered,
// upright code is read as a pure barcode.
func Read(img image.Image) (string, error) {
	for _, try := range []struct {
		margin int
		pure   bool
	}{{0, false}, {32, false}, {8, true}} {
		src := img
		if try.margin > 0 {
			src = withMargin(img, try.margin)
		}
		if text, err := read(src, try.pure); err == nil {
			return text, nil
		}
	}
	return "", ErrNoCode
}

func read(img image.Image, pure bool) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	if pure {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// withMargin returns img on a white canvas with a margin of m pixels.
func withMargin(img image.Image, m int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()+2*m, b.Dy()+2*m))
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	draw.Draw(out, image.Rect(m, m, m+b.Dx(), m+b.Dy()), img, b.Min, draw.Src)
	return out
}
