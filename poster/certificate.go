package poster

// The printable vaccination certificate: an A4 PDF in Malay or English
// with the holder, every dose, the certificate's identifier and dates, and
// its QR code, which holds the signed EU DCC payload ("HC1:...") that any
// verifier reads.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/jaga-health/jaga"
)

// CertificateData is what a printed vaccination certificate shows.
type CertificateData struct {
	ID          string       // the certificate identifier (UVCI)
	Payload     string       // the QR text, "HC1:..."
	Status      string       // a jaga.Certificate* status; "" for valid. Others are marked on the page.
	FullName    string       // the holder's name as the registry holds it, in any script
	DateOfBirth string       // YYYY-MM-DD
	Country     string       // the issuing country, ISO 3166-1 alpha-2
	IssuedAt    time.Time    // printed as a date in Malaysia time
	ExpiresAt   time.Time    // printed as a date in Malaysia time
	Doses       []*jaga.Dose // the holder's doses; printed by date
	Language    string       // "ms" or "en"; "" for "ms"
	VerifyURL   string       // the public verification page; if "", the page is named without an address
}

// Limits of CertificatePDF and QRPNG.
const (
	MaxQRText       = 2000 // bytes of a QR code's text; an HC1 payload is well under 1000
	MaxCertDoses    = 20   // doses on one certificate
	MaxCertName     = 150  // characters of the holder's name, as jaga.Profile allows
	qrPNGModulePx   = 8    // pixels per module of QRPNG's image
	certQRModulePx  = 6    // pixels per module of the image in the PDF
	certQRBoxMM     = 78.0 // the QR code on the page, quiet zone included
	certMargin      = 15.0
	certTextW       = pageW - 2*certMargin
	certFooterSpace = 28.0 // kept free at the bottom of each page for the verification note
)

// malaysiaTime is the zone certificate dates are printed in.
var malaysiaTime = time.FixedZone("MYT", 8*3600)

// certWords are the certificate's fixed wording.
var certWords = map[string]map[string]string{
	"ms": {
		"title":          "Sijil Vaksinasi COVID-19",
		"subtitle":       "Sijil Digital COVID EU (EU DCC)",
		"holder":         "Pemegang",
		"name":           "Nama",
		"dob":            "Tarikh lahir",
		"id":             "Pengecam sijil (UVCI)",
		"issued":         "Dikeluarkan",
		"expires":        "Tamat tempoh",
		"country":        "Negara pengeluar",
		"doses":          "Dos vaksin",
		"dose":           "Dos %d daripada %d",
		"booster":        "Dos penggalak (dos %d, siri %d dos)",
		"vaccine":        "Vaksin",
		"manufacturer":   "Pengeluar",
		"batch":          "No. kelompok",
		"dose_country":   "Negara",
		"centre":         "Pusat",
		"transliterated": "Nama dicetak dalam huruf Latin; nama penuh ada dalam kod QR.",
		"verify":         "Untuk mengesahkan: imbas kod QR dengan aplikasi pengesah EU DCC, atau tampal teksnya di %s.",
		"verify_page":    "halaman awam /verify jaga",
		"scan":           "Imbas untuk mengesahkan",
		"superseded":     "DIGANTIKAN: sijil yang lebih baharu menggantikan sijil ini.",
		"revoked":        "DIBATALKAN: sijil ini tidak lagi sah.",
		"none":           "Tiada dos dalam rekod.",
	},
	"en": {
		"title":          "COVID-19 Vaccination Certificate",
		"subtitle":       "EU Digital COVID Certificate (EU DCC)",
		"holder":         "Holder",
		"name":           "Name",
		"dob":            "Date of birth",
		"id":             "Certificate identifier (UVCI)",
		"issued":         "Issued",
		"expires":        "Expires",
		"country":        "Issuing country",
		"doses":          "Vaccine doses",
		"dose":           "Dose %d of %d",
		"booster":        "Booster (dose %d, series of %d)",
		"vaccine":        "Vaccine",
		"manufacturer":   "Manufacturer",
		"batch":          "Batch no.",
		"dose_country":   "Country",
		"centre":         "Centre",
		"transliterated": "Name printed in Latin letters; the QR code holds the full name.",
		"verify":         "To verify: scan the QR code with any EU DCC verifier app, or paste its text at %s.",
		"verify_page":    "jaga's public /verify page",
		"scan":           "Scan to verify",
		"superseded":     "SUPERSEDED: a newer certificate replaces this one.",
		"revoked":        "REVOKED: this certificate is no longer valid.",
		"none":           "No doses on record.",
	},
}

// countryNames are the issuing countries a certificate names in full.
var countryNames = map[string]string{"MY": "Malaysia"}

// red marks a certificate that is no longer valid.
var red = color.RGBA{0xB0, 0x1E, 0x23, 0xFF}

// CertificatePDF returns the printable certificate of d as an A4 PDF. Texts
// go through the PDF core fonts, so characters outside Windows-1252 are
// transliterated to Latin letters where a rule is known (diacritics,
// Cyrillic, Greek) and shown as '?' otherwise, with a note that the QR
// code holds the name in full. It returns an EINVALID *jaga.Error when d
// lacks what a certificate must show.
func CertificatePDF(d CertificateData) ([]byte, error) {
	return renderCertificatePDF(d, true)
}

// QRPNG returns the QR code of text as a PNG at 8 pixels per module, with
// a quiet zone of four modules, at error correction level Q. It returns an
// EINVALID *jaga.Error for an empty text or one over MaxQRText bytes.
func QRPNG(text string) ([]byte, error) {
	bits, err := certQR(text)
	if err != nil {
		return nil, err
	}
	return qrPNG(bits, (len(bits)+2*quietZone)*qrPNGModulePx)
}

// certQR returns the modules of text's QR symbol.
func certQR(text string) ([][]bool, error) {
	switch {
	case text == "":
		return nil, jaga.Errorf(jaga.EINVALID, "A QR code needs a text.")
	case len(text) > MaxQRText:
		return nil, jaga.Errorf(jaga.EINVALID, "The text is too long for a QR code: at most %d bytes.", MaxQRText)
	}
	return encodeQR(text)
}

// checkCertificate reports what d lacks, as an EINVALID *jaga.Error.
func checkCertificate(d CertificateData) (string, error) {
	p := map[string]string{}
	if d.ID == "" {
		p["id"] = "A certificate needs its identifier."
	}
	if !strings.HasPrefix(d.Payload, "HC1:") {
		p["payload"] = "The QR text must be an EU DCC payload starting with HC1:."
	} else if len(d.Payload) > MaxQRText {
		p["payload"] = fmt.Sprintf("The QR text is too long: at most %d bytes.", MaxQRText)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(d.FullName)); n == 0 || n > MaxCertName || !utf8.ValidString(d.FullName) {
		p["fullName"] = fmt.Sprintf("The holder's name must be 1 to %d characters of UTF-8.", MaxCertName)
	}
	if len(d.Doses) > MaxCertDoses {
		p["doses"] = fmt.Sprintf("A certificate lists at most %d doses.", MaxCertDoses)
	}
	lang := d.Language
	if lang == "" {
		lang = "ms"
	}
	if certWords[lang] == nil {
		p["language"] = `The language must be "ms" or "en".`
	}
	if len(p) > 0 {
		return "", jaga.Invalid(p)
	}
	return lang, nil
}

// renderCertificatePDF renders d; tests turn compress off to read the text.
func renderCertificatePDF(d CertificateData, compress bool) ([]byte, error) {
	lang, err := checkCertificate(d)
	if err != nil {
		return nil, err
	}
	words := certWords[lang]
	bits, err := certQR(d.Payload)
	if err != nil {
		return nil, err
	}
	qrImage, err := qrGrayPNG(bits, certQRModulePx)
	if err != nil {
		return nil, err
	}
	name, lossy := latinText(d.FullName)

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.SetMargins(certMargin, certMargin, certMargin)
	pdf.SetAutoPageBreak(true, certFooterSpace)
	pdf.SetTitle(words["title"], true)
	pdf.SetCreator("jaga", true)
	pdf.SetLang(lang + "-MY")
	verifyAt := words["verify_page"]
	if d.VerifyURL != "" {
		verifyAt = d.VerifyURL
	}
	pdf.SetFooterFunc(func() {
		pdf.SetY(-certFooterSpace + 6)
		pdf.SetDrawColor(int(hairline.R), int(hairline.G), int(hairline.B))
		pdf.Line(certMargin, pdf.GetY(), pageW-certMargin, pdf.GetY())
		pdf.Ln(2)
		setColor(pdf, grey)
		pdf.SetFont("Helvetica", "", 8.5)
		pdf.MultiCell(certTextW, 4.2, pdfText(fmt.Sprintf(words["verify"], verifyAt)), "", "L", false)
		pdf.SetFont("Helvetica", "", 7.5)
		pdf.CellFormat(certTextW, 4, pdfText(d.ID), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, strconv.Itoa(pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	// Header band.
	pdf.SetFillColor(int(navy.R), int(navy.G), int(navy.B))
	pdf.Rect(0, 0, pageW, 30, "F")
	pdf.SetFillColor(int(yellow.R), int(yellow.G), int(yellow.B))
	pdf.Rect(0, 30, pageW, stripeH, "F")
	setColor(pdf, white)
	pdf.SetFont("Helvetica", "B", 20)
	pdf.Text(certMargin, 15, pdfText(words["title"]))
	setColor(pdf, paleBlue)
	pdf.SetFont("Helvetica", "", 11)
	pdf.Text(certMargin, 23, pdfText(words["subtitle"]))

	y := 38.0
	switch d.Status {
	case jaga.CertificateSuperseded, jaga.CertificateRevoked:
		pdf.SetFillColor(int(red.R), int(red.G), int(red.B))
		pdf.Rect(certMargin, y, certTextW, 10, "F")
		setColor(pdf, white)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetXY(certMargin, y)
		pdf.CellFormat(certTextW, 10, pdfText(words[d.Status]), "", 0, "C", false, 0, "")
		y += 14
	}

	// The QR code, right; the holder and the certificate, left.
	qrX := pageW - certMargin - certQRBoxMM
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrImage))
	pdf.ImageOptions("qr", qrX, y, certQRBoxMM, certQRBoxMM, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	setColor(pdf, grey)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetXY(qrX, y+certQRBoxMM)
	pdf.CellFormat(certQRBoxMM, 5, pdfText(words["scan"]), "", 0, "C", false, 0, "")

	leftW := qrX - certMargin - 6
	pdf.SetXY(certMargin, y)
	fact := func(label, value, family string, size float64) {
		setColor(pdf, grey)
		pdf.SetFont("Helvetica", "", 8.5)
		pdf.SetX(certMargin)
		pdf.CellFormat(leftW, 4.5, pdfText(label), "", 1, "L", false, 0, "")
		setColor(pdf, ink)
		pdf.SetFont(family, "B", size)
		pdf.SetX(certMargin)
		pdf.MultiCell(leftW, size*0.45, value, "", "L", false)
		pdf.Ln(2.5)
	}
	fact(words["name"], name, "Helvetica", 15)
	if lossy {
		setColor(pdf, grey)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.SetX(certMargin)
		pdf.MultiCell(leftW, 3.8, pdfText(words["transliterated"]), "", "L", false)
		pdf.Ln(2)
	}
	fact(words["dob"], pdfText(d.DateOfBirth), "Helvetica", 12)
	fact(words["id"], pdfText(d.ID), "Courier", 9.5)
	fact(words["issued"], dateOf(d.IssuedAt), "Helvetica", 11)
	fact(words["expires"], dateOf(d.ExpiresAt), "Helvetica", 11)
	country := d.Country
	if n := countryNames[country]; n != "" {
		country = n + " (" + country + ")"
	}
	fact(words["country"], pdfText(country), "Helvetica", 11)

	// The doses, by date, below both columns.
	pdf.SetY(max(pdf.GetY(), y+certQRBoxMM+8) + 2)
	setColor(pdf, navy)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(certTextW, 8, pdfText(words["doses"]), "B", 1, "L", false, 0, "")
	pdf.Ln(2)
	doses := sortedDoses(d.Doses)
	if len(doses) == 0 {
		setColor(pdf, grey)
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(certTextW, 5, pdfText(words["none"]), "", "L", false)
	}
	for _, dose := range doses {
		pdf.SetX(certMargin)
		setColor(pdf, ink)
		pdf.SetFont("Helvetica", "B", 10.5)
		pdf.MultiCell(certTextW, 5.5, pdfText(dose.GivenOn+"  \u2014  "+doseLabel(words, dose)), "", "L", false)
		setColor(pdf, grey)
		pdf.SetFont("Helvetica", "", 9.5)
		for _, line := range [][][2]string{
			{{words["vaccine"], orCode(dose.ProductName, dose.Product)}, {words["manufacturer"], orCode(dose.ManufacturerName, dose.Manufacturer)}},
			{{words["batch"], dose.Batch}, {words["dose_country"], dose.Country}, {words["centre"], dose.CentreName}},
		} {
			var parts []string
			for _, f := range line {
				if f[1] != "" {
					parts = append(parts, f[0]+": "+f[1])
				}
			}
			pdf.SetX(certMargin + 4)
			pdf.MultiCell(certTextW-4, 4.6, pdfText(strings.Join(parts, "  \u00b7  ")), "", "L", false)
		}
		pdf.Ln(3)
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func setColor(pdf *fpdf.Fpdf, c color.RGBA) { pdf.SetTextColor(int(c.R), int(c.G), int(c.B)) }

// pdfText is s transliterated and encoded for the core fonts.
func pdfText(s string) string {
	t, _ := latinText(s)
	return t
}

// dateOf is t's date in Malaysia time, or "" for the zero time.
func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(malaysiaTime).Format(time.DateOnly)
}

func orCode(name, code string) string {
	if name != "" {
		return name
	}
	return code
}

// doseLabel says which dose of the series dose is.
func doseLabel(words map[string]string, d *jaga.Dose) string {
	if d.Booster || d.DoseNumber > d.TotalDoses {
		return fmt.Sprintf(words["booster"], d.DoseNumber, d.TotalDoses)
	}
	return fmt.Sprintf(words["dose"], d.DoseNumber, d.TotalDoses)
}

// sortedDoses returns doses by date, then dose number, without nils.
func sortedDoses(doses []*jaga.Dose) []*jaga.Dose {
	out := make([]*jaga.Dose, 0, len(doses))
	for _, d := range doses {
		if d != nil {
			out = append(out, d)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (out[j].GivenOn < out[j-1].GivenOn ||
			(out[j].GivenOn == out[j-1].GivenOn && out[j].DoseNumber < out[j-1].DoseNumber)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// qrGrayPNG draws bits as an 8-bit grey PNG of module pixels per module
// with the quiet zone, for embedding in a PDF.
func qrGrayPNG(bits [][]bool, module int) ([]byte, error) {
	n := len(bits) + 2*quietZone
	img := image.NewGray(image.Rect(0, 0, n*module, n*module))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := (y + quietZone) * module; py < (y+quietZone+1)*module; py++ {
				i := img.PixOffset((x+quietZone)*module, py)
				clear(img.Pix[i : i+module])
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// latinText returns s, brought to NFC with its white space collapsed, in
// Windows-1252 bytes for the PDF core fonts. Characters the code page
// lacks are transliterated: Latin letters lose their diacritics (ł, đ and
// ı by rule), Cyrillic and Greek follow ICAO Doc 9303; anything else, and
// control characters, become '?'. lossy reports whether any character was
// changed.
func latinText(s string) (out string, lossy bool) {
	s = strings.Join(strings.Fields(norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))), " ")
	b := make([]byte, 0, len(s))
	rs := []rune(s)
	for i, r := range rs {
		if c, ok := charmap.Windows1252.EncodeRune(r); ok && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) {
			b = append(b, c)
			continue
		}
		lossy = true
		t, ok := transliterate(r)
		if !ok {
			b = append(b, '?')
			continue
		}
		if unicode.IsUpper(r) && len(t) > 1 {
			// "Ж" is "ZH" in a word of capitals, "Zh" before a small letter.
			if i+1 < len(rs) && unicode.IsLower(rs[i+1]) {
				t = t[:1] + strings.ToLower(t[1:])
			}
		}
		if unicode.IsLower(r) {
			t = strings.ToLower(t)
		}
		b = append(b, t...)
	}
	return string(b), lossy
}

// transliterate returns r in capital Latin letters (ASCII), which may be
// none (the soft sign); ok is false when no rule is known.
func transliterate(r rune) (t string, ok bool) {
	u := unicode.ToUpper(r)
	if t, ok := icao[u]; ok {
		return t, true
	}
	// A Latin letter with marks: drop them (Ș → S, ő → o).
	var base []rune
	for _, c := range norm.NFD.String(string(u)) {
		if !unicode.Is(unicode.Mn, c) {
			base = append(base, c)
		}
	}
	if len(base) == 1 && base[0] < utf8.RuneSelf && unicode.IsLetter(base[0]) {
		return string(base), true
	}
	return "", false
}

// icao are transliterations of capital letters after ICAO Doc 9303 part 3:
// Latin letters whose base letter decomposition does not give, Cyrillic
// and Greek.
var icao = map[rune]string{
	'Ł': "L", 'Đ': "D", 'Ħ': "H", 'Ŧ': "T", 'Ŀ': "L", 'Ŋ': "N", 'Ĳ': "IJ",
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "ZH", 'З': "Z", 'И': "I", 'Й': "I",
	'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U", 'Ф': "F",
	'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH", 'Щ': "SHCH", 'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU",
	'Я': "IA", 'І': "I", 'Ї': "I", 'Є': "IE", 'Ґ': "G", 'Ў': "U",
	'Α': "A", 'Β': "V", 'Γ': "G", 'Δ': "D", 'Ε': "E", 'Ζ': "Z", 'Η': "I", 'Θ': "TH", 'Ι': "I", 'Κ': "K", 'Λ': "L",
	'Μ': "M", 'Ν': "N", 'Ξ': "X", 'Ο': "O", 'Π': "P", 'Ρ': "R", 'Σ': "S", 'Τ': "T", 'Υ': "Y", 'Φ': "F", 'Χ': "CH",
	'Ψ': "PS", 'Ω': "O", 'Ά': "A", 'Έ': "E", 'Ή': "I", 'Ί': "I", 'Ό': "O", 'Ύ': "Y", 'Ώ': "O",
}
