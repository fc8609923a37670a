// Package poster renders jaga's printable documents: a premises' check-in
// poster (an A4 PDF and a PNG with its QR code, short code and name) and a
// vaccination certificate (an A4 PDF with its QR code, certificate.go).
//
// Both outputs come from one layout (layout.go) drawn on a canvas: the PDF
// canvas draws vectors with the PDF core fonts Helvetica and Courier, the PNG
// canvas rasterises the embedded Go fonts at 150 dpi. The core fonts know
// only Windows-1252 (Latin script), so every text on the poster is first
// brought to NFC and any character outside Windows-1252 is shown as '?';
// the PNG shows the same text, so the two posters never disagree. No font
// file is embedded in the PDF.
package poster

import (
	"fmt"
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jaga-health/jaga"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Data is what a poster shows.
type Data struct {
	Name      string // premises name, at most 120 characters; long names wrap
	Address   string // at most 300 characters; may be empty
	ShortCode string // e.g. "K7QX-M4PD", as jaga.NewShortCode makes it
	Token     string // the QR text, "JAGA1:..." (jaga.SignPremisesToken)
	// Language is "ms" or "en", or "" for "ms": the poster's headline and
	// instructions appear in both languages, this one first.
	Language string
}

// Limits on Data, checked by PDF, PNG and QR.
const (
	MaxName    = 120 // characters of Data.Name, as jaga.Premises allows
	MaxAddress = 300 // characters of Data.Address, as jaga.Premises allows
	MaxToken   = 200 // bytes of a token, as jaga.ParsePremisesToken allows
)

// The poster's fixed wording, in Malay and English.
var (
	headlines = map[string]string{
		"ms": "Imbas untuk daftar masuk",
		"en": "Scan to check in",
	}
	instructions = map[string]string{
		"ms": "Atau taip kod ini dalam aplikasi jaga",
		"en": "Or type this code in the jaga app",
	}
	footer = "jaga \u2014 rekod daftar masuk disimpan 90 hari / check-ins are kept for 90 days"
)

// Colours of the poster.
var (
	navy      = color.RGBA{0x0B, 0x2A, 0x5B, 0xFF} // header band, short-code frame
	yellow    = color.RGBA{0xF5, 0xC4, 0x00, 0xFF} // stripe under the header
	ink       = color.RGBA{0x14, 0x1B, 0x26, 0xFF} // name, short code, QR modules
	grey      = color.RGBA{0x55, 0x5E, 0x6B, 0xFF} // second language, address, footer
	paleBlue  = color.RGBA{0xD5, 0xE0, 0xF2, 0xFF} // second-language headline
	hairline  = color.RGBA{0xC8, 0xD0, 0xDC, 0xFF} // QR frame
	codeBack  = color.RGBA{0xF1, 0xF4, 0xF9, 0xFF} // behind the short code
	white     = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
	qrModules = color.RGBA{0x00, 0x00, 0x00, 0xFF}
)

// content is a validated Data: every text as the poster prints it.
type content struct {
	lang        string    // "ms" or "en"
	headline    [2]string // chosen language first
	name        string
	instruction [2]string // chosen language first
	shortCode   string
	token       string
	address     string // may be empty
	footer      string
}

// lines returns the texts of d's poster in reading order, before wrapping:
// the two headlines, the name, the two instructions, the short code, the
// address (if any) and the footer. It returns nil when d is not valid.
func lines(d Data) []string {
	c, err := newContent(d)
	if err != nil {
		return nil
	}
	return c.lines()
}

func (c content) lines() []string {
	out := []string{c.headline[0], c.headline[1], c.name, c.instruction[0], c.instruction[1], c.shortCode}
	if c.address != "" {
		out = append(out, c.address)
	}
	return append(out, c.footer)
}

// newContent validates d and returns its printable texts, or an EINVALID
// *jaga.Error naming each faulty field. Messages never repeat the input.
func newContent(d Data) (content, error) {
	problems := map[string]string{}
	var order []string
	problem := func(field, msg string) {
		problems[field] = msg
		order = append(order, msg)
	}

	name := strings.Join(strings.Fields(norm.NFC.String(d.Name)), " ")
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(d.Name):
		problem("name", "The premises name is not valid UTF-8.")
	case n == 0:
		problem("name", "A poster needs the premises name.")
	case n > MaxName:
		problem("name", fmt.Sprintf("The premises name is too long for a poster: at most %d characters.", MaxName))
	}

	address := strings.Join(strings.Fields(norm.NFC.String(d.Address)), " ")
	if !utf8.ValidString(d.Address) {
		problem("address", "The address is not valid UTF-8.")
	} else if utf8.RuneCountInString(address) > MaxAddress {
		problem("address", fmt.Sprintf("The address is too long for a poster: at most %d characters.", MaxAddress))
	}

	code := jaga.NormalizeShortCode(d.ShortCode)
	if strings.TrimSpace(d.ShortCode) == "" {
		problem("shortCode", "A poster needs the premises short code.")
	} else if code == "" {
		problem("shortCode", "The short code is not a jaga short code: it has 8 letters and digits, such as K7QX-M4PD.")
	}

	if err := checkToken(d.Token); err != nil {
		problem("token", jaga.ErrorMessage(err))
	}

	lang := d.Language
	if lang == "" {
		lang = "ms"
	}
	other := map[string]string{"ms": "en", "en": "ms"}[lang]
	if other == "" {
		problem("language", `The poster language must be "ms" or "en".`)
	}

	if len(problems) > 0 {
		return content{}, &jaga.Error{Code: jaga.EINVALID, Message: strings.Join(order, " "), Fields: problems}
	}
	return content{
		lang:        lang,
		headline:    [2]string{headlines[lang], headlines[other]},
		name:        printable(name),
		instruction: [2]string{instructions[lang], instructions[other]},
		shortCode:   code,
		token:       d.Token,
		address:     printable(address),
		footer:      footer,
	}, nil
}

// checkToken reports why token cannot be a premises QR text, if it cannot.
// It does not check the signature: a poster has no key.
func checkToken(token string) error {
	switch {
	case token == "":
		return jaga.Errorf(jaga.EINVALID, "A poster needs the premises QR token.")
	case len(token) > MaxToken:
		return jaga.Errorf(jaga.EINVALID, "The QR token is too long to be a jaga premises code.")
	case !strings.HasPrefix(token, jaga.PremisesTokenPrefix):
		return jaga.Errorf(jaga.EINVALID, "The QR token is not a jaga premises code: it must start with %s.", jaga.PremisesTokenPrefix)
	}
	return nil
}

// printable returns s with each character that Windows-1252 cannot encode,
// and each control or format character, replaced by '?'.
func printable(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if _, ok := charmap.Windows1252.EncodeRune(r); !ok || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PDF returns d's poster as a one-page A4 PDF. It returns an EINVALID
// *jaga.Error when d is not valid.
func PDF(d Data) ([]byte, error) {
	return renderPDF(d, true)
}

// PNG returns d's poster as an A4 PNG of 1240×1754 pixels (150 dpi, which
// the file records) on a white background. It returns an EINVALID
// *jaga.Error when d is not valid.
func PNG(d Data) ([]byte, error) {
	c, err := newContent(d)
	if err != nil {
		return nil, err
	}
	bits, err := encodeQR(c.token)
	if err != nil {
		return nil, err
	}
	pc, err := newPNGCanvas()
	if err != nil {
		return nil, err
	}
	layout(pc, c, bits)
	return pc.encode()
}

// Sizes QR accepts, in pixels.
const (
	MinQRSize = 128
	MaxQRSize = 4096
)

// QR returns the QR code of token alone as a square PNG of size×size pixels:
// black modules of whole pixels on white, with a quiet zone of at least four
// modules. It returns an EINVALID *jaga.Error when token is not a premises
// token or size is outside [MinQRSize, MaxQRSize].
func QR(token string, size int) ([]byte, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	if size < MinQRSize || size > MaxQRSize {
		return nil, jaga.Errorf(jaga.EINVALID, "A QR image is %d to %d pixels wide.", MinQRSize, MaxQRSize)
	}
	bits, err := encodeQR(token)
	if err != nil {
		return nil, err
	}
	return qrPNG(bits, size)
}
