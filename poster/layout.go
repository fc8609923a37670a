package poster

import (
	"image/color"
	"strings"
	"unicode/utf8"
)

// face is one of the poster's three type faces.
type face int

const (
	sans     face = iota // Helvetica in the PDF, Go Regular in the PNG
	sansBold             // Helvetica-Bold, Go Bold
	monoBold             // Courier-Bold, Go Mono Bold: the short code
)

// canvas is an A4 page that the layout draws on. Lengths are millimetres
// from the top-left corner; font sizes are points.
type canvas interface {
	// rect fills a rectangle whose corners are rounded with radius r (0 for
	// square corners).
	rect(x, y, w, h, r float64, c color.RGBA)
	// text draws s with its baseline starting at (x, y).
	text(x, y float64, s string, f face, pt float64, c color.RGBA)
	// width returns how wide s is drawn.
	width(s string, f face, pt float64) float64
	// capHeight returns the height of a capital letter above the baseline.
	capHeight(f face, pt float64) float64
	// qr draws the dark modules of bits (bits[y][x]) in the square of side
	// w at (x, y); the quiet zone is the caller's.
	qr(x, y, w float64, bits [][]bool, c color.RGBA)
}

// The A4 page and its layout, in millimetres. The QR box holds the symbol
// and its quiet zone; with the version-5 symbol of a jaga token the symbol
// itself is 126·37/45 ≈ 103.6 mm wide.
const (
	pageW  = 210.0
	pageH  = 297.0
	margin = 15.0
	textW  = pageW - 2*margin

	headerH = 40.0 // the navy band holding the headlines
	stripeH = 2.0  // the yellow stripe under it

	identityTop    = 46.0 // the slot the name and address are centred in
	identityBottom = 92.0
	addressGap     = 4.5 // between the name's last line and the address

	qrTop = 96.0
	qrBox = 126.0

	instructionY = 231.0 // baselines
	secondaryY   = 237.5

	codeTop = 242.0 // the framed short code
	codeH   = 19.0

	footerRuleY = 276.0
	footerY     = 282.5

	ptMM = 25.4 / 72 // millimetres in a point
)

// layout lays c's poster out on cv, with bits as the QR symbol.
func layout(cv canvas, c content, bits [][]bool) {
	cv.rect(0, 0, pageW, pageH, 0, white)

	// The headlines on a navy band, the chosen language first and larger.
	cv.rect(0, 0, pageW, headerH, 0, navy)
	cv.rect(0, headerH, pageW, stripeH, 0, yellow)
	centre(cv, 20.5, c.headline[0], sansBold, 30, white)
	centre(cv, 32.0, c.headline[1], sans, 18, paleBlue)

	// The name, as large as fits, and under it the address, small.
	slot := identityBottom - identityTop
	var addr []string
	addrPt, addrH := 11.0, 0.0
	if c.address != "" {
		addr, addrPt = fit(cv, c.address, sans, []float64{11, 10, 9, 8}, textW, 4*lineHeight(10))
		addrH = addressGap + float64(len(addr))*lineHeight(addrPt)
	}
	name, namePt := fit(cv, c.name, sansBold, []float64{34, 30, 27, 24, 21, 18, 16, 14}, textW, slot-addrH)
	nameH := float64(len(name)) * lineHeight(namePt)
	y := identityTop + (slot-nameH-addrH)/2 + (lineHeight(namePt)+cv.capHeight(sansBold, namePt))/2
	for _, l := range name {
		centre(cv, y, l, sansBold, namePt, ink)
		y += lineHeight(namePt)
	}
	y += addressGap - lineHeight(namePt) + lineHeight(addrPt)
	for _, l := range addr {
		centre(cv, y, l, sans, addrPt, grey)
		y += lineHeight(addrPt)
	}

	// The QR symbol framed by its quiet zone.
	boxX := (pageW - qrBox) / 2
	cv.rect(boxX, qrTop, qrBox, qrBox, 5, hairline)
	cv.rect(boxX+0.5, qrTop+0.5, qrBox-1, qrBox-1, 4.5, white)
	n := float64(len(bits))
	side := qrBox * n / (n + 2*quietZone)
	cv.qr((pageW-side)/2, qrTop+(qrBox-side)/2, side, bits, qrModules)

	// The short code for those who cannot scan.
	centre(cv, instructionY, c.instruction[0], sansBold, 16, ink)
	centre(cv, secondaryY, c.instruction[1], sans, 12, grey)
	const codePt = 40
	w := cv.width(c.shortCode, monoBold, codePt) + 24
	cv.rect((pageW-w)/2, codeTop, w, codeH, 3, navy)
	cv.rect((pageW-w)/2+0.8, codeTop+0.8, w-1.6, codeH-1.6, 2.2, codeBack)
	centre(cv, codeTop+(codeH+cv.capHeight(monoBold, codePt))/2, c.shortCode, monoBold, codePt, ink)

	// The footer.
	cv.rect(margin, footerRuleY, textW, 0.35, 0, navy)
	centre(cv, footerY, c.footer, sans, 8.5, grey)
}

// lineHeight returns the distance between the baselines of text of pt
// points.
func lineHeight(pt float64) float64 { return 1.18 * pt * ptMM }

// centre draws s centred on the page with its baseline at y.
func centre(cv canvas, y float64, s string, f face, pt float64, c color.RGBA) {
	cv.text((pageW-cv.width(s, f, pt))/2, y, s, f, pt, c)
}

// fit wraps s at the first of sizes whose lines fit in a box of maxW by
// maxH, or at the last size.
func fit(cv canvas, s string, f face, sizes []float64, maxW, maxH float64) ([]string, float64) {
	var lines []string
	var pt float64
	for _, pt = range sizes {
		lines = wrap(cv, s, f, pt, maxW)
		if float64(len(lines))*lineHeight(pt) <= maxH {
			break
		}
	}
	return lines, pt
}

// wrap breaks s into lines no wider than maxW, between words where it can
// and inside a word that alone is wider.
func wrap(cv canvas, s string, f face, pt, maxW float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && cv.width(line+" "+word, f, pt) <= maxW {
			line += " " + word
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = word
		for cv.width(line, f, pt) > maxW {
			head := splitAt(cv, line, f, pt, maxW)
			lines = append(lines, line[:head])
			line = line[head:]
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// splitAt returns the byte length of the longest prefix of s, at least one
// character, that is no wider than maxW.
func splitAt(cv canvas, s string, f face, pt, maxW float64) int {
	end := 0
	for i := range s {
		if i > 0 && cv.width(s[:i], f, pt) > maxW {
			break
		}
		end = i
	}
	if end == 0 {
		_, n := utf8.DecodeRuneInString(s)
		return n // one character, however wide
	}
	return end
}
