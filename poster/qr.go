package poster

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the white border around a QR symbol, in modules; ISO/IEC
// 18004 asks for at least four.
const quietZone = 4

// minQRVersion keeps every poster's QR symbol the same size: a jaga token
// (56 bytes) needs version 5 at level Q, and shorter texts get it too.
const minQRVersion = 5

// encodeQR returns the modules of token's QR symbol, true for dark, without
// a quiet zone: bits[y][x]. The error correction level is Q (25% of the
// symbol may be lost), which a poster behind scuffed plastic needs.
func encodeQR(token string) ([][]bool, error) {
	q, err := qrcode.NewWith(token,
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionQuart),
		qrcode.WithMinimumVersion(minQRVersion))
	if err != nil {
		return nil, fmt.Errorf("encode qr: %w", err)
	}
	var m matrixWriter
	if err := q.Save(&m); err != nil {
		return nil, fmt.Errorf("encode qr: %w", err)
	}
	return m.bits, nil
}

// matrixWriter is a qrcode.Writer that keeps the symbol's modules.
type matrixWriter struct{ bits [][]bool }

func (w *matrixWriter) Write(m qrcode.Matrix) error {
	w.bits = m.Bitmap()
	return nil
}

func (w *matrixWriter) Close() error { return nil }

// qrPNG draws bits as a size×size PNG: modules of whole pixels, centred,
// with at least quietZone modules of white around them.
func qrPNG(bits [][]bool, size int) ([]byte, error) {
	n := len(bits)
	module := size / (n + 2*quietZone)
	if module < 1 {
		return nil, fmt.Errorf("qr png: %d pixels cannot hold %d modules", size, n+2*quietZone)
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	off := (size - n*module) / 2
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := off + y*module; py < off+(y+1)*module; py++ {
				i := img.PixOffset(off+x*module, py)
				for px := 0; px < module; px++ {
					img.Pix[i+px] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	return buf.Bytes(), nil
}
