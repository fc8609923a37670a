package poster

import (
	"bytes"
	"fmt"
	"image/color"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// renderPDF returns d's poster as PDF; tests turn compress off to read the
// page's text.
func renderPDF(d Data, compress bool) ([]byte, error) {
	c, err := newContent(d)
	if err != nil {
		return nil, err
	}
	bits, err := encodeQR(c.token)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(c.name, true)
	pdf.SetSubject(c.headline[0]+" / "+c.headline[1], true)
	pdf.SetCreator("jaga", true)
	pdf.SetLang(c.lang + "-MY")
	pdf.AddPage()
	layout(pdfCanvas{pdf}, c, bits)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("poster pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// pdfCanvas draws on an fpdf page in millimetres with the core fonts, which
// take Windows-1252 text.
type pdfCanvas struct{ pdf *fpdf.Fpdf }

// pdfFonts are the core fonts of each face, with their cap heights in
// thousandths of the font size (from the fonts' AFM files).
var pdfFonts = map[face]struct {
	family, style string
	capHeight     float64
}{
	sans:     {"Helvetica", "", 718},
	sansBold: {"Helvetica", "B", 718},
	monoBold: {"Courier", "B", 562},
}

func (p pdfCanvas) rect(x, y, w, h, r float64, c color.RGBA) {
	p.pdf.SetFillColor(int(c.R), int(c.G), int(c.B))
	if r > 0 {
		p.pdf.RoundedRect(x, y, w, h, r, "1234", "F")
	} else {
		p.pdf.Rect(x, y, w, h, "F")
	}
}

func (p pdfCanvas) setFont(f face, pt float64) {
	font := pdfFonts[f]
	p.pdf.SetFont(font.family, font.style, pt)
}

func (p pdfCanvas) text(x, y float64, s string, f face, pt float64, c color.RGBA) {
	p.setFont(f, pt)
	p.pdf.SetTextColor(int(c.R), int(c.G), int(c.B))
	p.pdf.Text(x, y, cp1252(s))
}

func (p pdfCanvas) width(s string, f face, pt float64) float64 {
	p.setFont(f, pt)
	return p.pdf.GetStringWidth(cp1252(s))
}

func (p pdfCanvas) capHeight(f face, pt float64) float64 {
	return pdfFonts[f].capHeight / 1000 * pt * ptMM
}

// qr fills the dark modules as one path of one rectangle per run of dark
// modules in a row, so that viewers draw no seams between modules.
func (p pdfCanvas) qr(x, y, w float64, bits [][]bool, c color.RGBA) {
	m := w / float64(len(bits))
	p.pdf.SetFillColor(int(c.R), int(c.G), int(c.B))
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
			x0, y0 := x+float64(col)*m, y+float64(row)*m
			x1, y1 := x+float64(end)*m, y0+m
			p.pdf.MoveTo(x0, y0)
			p.pdf.LineTo(x1, y0)
			p.pdf.LineTo(x1, y1)
			p.pdf.LineTo(x0, y1)
			p.pdf.ClosePath()
			col = end
		}
	}
	p.pdf.DrawPath("F")
}

// cp1252 encodes s, whose characters printable has already limited to
// Windows-1252, for the core fonts; anything else becomes '?'. It uses the
// same table as fpdf's UnicodeTranslatorFromDescriptor(""), whose
// translator would print '.' for a missing character and shares one buffer
// between calls.
func cp1252(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
