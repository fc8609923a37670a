package poster

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The PNG poster: A4 at 150 dpi.
const (
	dpi  = 150
	pngW = 1240
	pngH = 1754
	ppm  = dpi / 25.4 // pixels in a millimetre
)

// goFonts parses the embedded Go fonts once; a parsed font is safe for
// concurrent use, its faces are not.
var goFonts = sync.OnceValues(func() (map[face]*opentype.Font, error) {
	fonts := map[face]*opentype.Font{}
	for f, ttf := range map[face][]byte{sans: goregular.TTF, sansBold: gobold.TTF, monoBold: gomonobold.TTF} {
		parsed, err := opentype.Parse(ttf)
		if err != nil {
			return nil, fmt.Errorf("parse go font: %w", err)
		}
		fonts[f] = parsed
	}
	return fonts, nil
})

// pngCanvas draws on an RGBA image with the Go fonts.
type pngCanvas struct {
	img   *image.RGBA
	fonts map[face]*opentype.Font
	faces map[faceSize]font.Face
	err   error // the first failure to make a face
}

type faceSize struct {
	f  face
	pt float64
}

func newPNGCanvas() (*pngCanvas, error) {
	fonts, err := goFonts()
	if err != nil {
		return nil, err
	}
	return &pngCanvas{
		img:   image.NewRGBA(image.Rect(0, 0, pngW, pngH)),
		fonts: fonts,
		faces: map[faceSize]font.Face{},
	}, nil
}

// face returns the face of f at pt points. Should the Go font fail to make
// one, which it does not, the canvas keeps the error for encode and draws
// with a bitmap font meanwhile.
func (p *pngCanvas) face(f face, pt float64) font.Face {
	k := faceSize{f, pt}
	if fc, ok := p.faces[k]; ok {
		return fc
	}
	fc, err := opentype.NewFace(p.fonts[f], &opentype.FaceOptions{Size: pt, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("poster png: go font face: %w", err)
		}
		fc = basicfont.Face7x13
	}
	p.faces[k] = fc
	return fc
}

func px(mm float64) int { return int(math.Round(mm * ppm)) }

func (p *pngCanvas) rect(x, y, w, h, r float64, c color.RGBA) {
	src := image.NewUniform(c)
	if r <= 0 {
		draw.Draw(p.img, image.Rect(px(x), px(y), px(x+w), px(y+h)), src, image.Point{}, draw.Src)
		return
	}
	// A rounded rectangle, anti-aliased, on a rasteriser the size of its
	// bounding box.
	b := image.Rect(int(math.Floor(x*ppm)), int(math.Floor(y*ppm)), int(math.Ceil((x+w)*ppm)), int(math.Ceil((y+h)*ppm)))
	z := vector.NewRasterizer(b.Dx(), b.Dy())
	x0, y0 := float32(x*ppm)-float32(b.Min.X), float32(y*ppm)-float32(b.Min.Y)
	x1, y1 := x0+float32(w*ppm), y0+float32(h*ppm)
	rr := float32(r * ppm)
	k := rr * 0.4477 // 1 - 0.5523, the cubic approximation of a quarter circle
	z.MoveTo(x0+rr, y0)
	z.LineTo(x1-rr, y0)
	z.CubeTo(x1-k, y0, x1, y0+k, x1, y0+rr)
	z.LineTo(x1, y1-rr)
	z.CubeTo(x1, y1-k, x1-k, y1, x1-rr, y1)
	z.LineTo(x0+rr, y1)
	z.CubeTo(x0+k, y1, x0, y1-k, x0, y1-rr)
	z.LineTo(x0, y0+rr)
	z.CubeTo(x0, y0+k, x0+k, y0, x0+rr, y0)
	z.ClosePath()
	z.Draw(p.img, b, src, image.Point{})
}

func (p *pngCanvas) text(x, y float64, s string, f face, pt float64, c color.RGBA) {
	d := font.Drawer{
		Dst:  p.img,
		Src:  image.NewUniform(c),
		Face: p.face(f, pt),
		Dot:  fixed.Point26_6{X: fixed.Int26_6(math.Round(x * ppm * 64)), Y: fixed.Int26_6(math.Round(y * ppm * 64))},
	}
	d.DrawString(s)
}

func (p *pngCanvas) width(s string, f face, pt float64) float64 {
	return float64(font.MeasureString(p.face(f, pt), s)) / 64 / ppm
}

func (p *pngCanvas) capHeight(f face, pt float64) float64 {
	b, _, _ := p.face(f, pt).GlyphBounds('H')
	return float64(-b.Min.Y) / 64 / ppm
}

// qr draws modules of whole pixels, as large as fit w, centred in it, so a
// scanner sees sharp edges.
func (p *pngCanvas) qr(x, y, w float64, bits [][]bool, c color.RGBA) {
	n := len(bits)
	m := int(w*ppm) / n
	ox := px(x) + (px(w)-n*m)/2
	oy := px(y) + (px(w)-n*m)/2
	src := image.NewUniform(c)
	for row, line := range bits {
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			end := col
			for end < len(line) && line[end] {
				end++
			}
			draw.Draw(p.img, image.Rect(ox+col*m, oy+row*m, ox+end*m, oy+(row+1)*m), src, image.Point{}, draw.Src)
			col = end
		}
	}
}

// encode returns the image as PNG, with a pHYs chunk saying it is 150 dpi
// so that it prints at A4.
func (p *pngCanvas) encode() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, p.img); err != nil {
		return nil, fmt.Errorf("poster png: %w", err)
	}
	return withDPI(buf.Bytes(), dpi), nil
}

// withDPI returns the PNG b with a pHYs chunk of dpi inserted after its
// header chunk, which the PNG signature (8 bytes) and IHDR (25) make the
// first 33 bytes.
func withDPI(b []byte, dpi float64) []byte {
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	perMetre := uint32(math.Round(dpi / 0.0254))
	chunk := binary.BigEndian.AppendUint32(nil, 9)
	chunk = append(chunk, "pHYs"...)
	chunk = binary.BigEndian.AppendUint32(chunk, perMetre)
	chunk = binary.BigEndian.AppendUint32(chunk, perMetre)
	chunk = append(chunk, 1) // the unit is the metre
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, b[afterIHDR:]...)
}
