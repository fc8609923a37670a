package poster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
	"github.com/jaga-health/jaga"
	"github.com/makiuchi-d/gozxing"
	zxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// testToken is a genuine premises token, as the server signs it.
func testToken(t testing.TB) string {
	t.Helper()
	tok, err := jaga.SignPremisesToken([]byte("poster test key"), jaga.PremisesToken{PremisesID: "8f14e45fceea167a5a36dedd4bea2543", Version: 7})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func validData(t testing.TB) Data {
	return Data{
		Name:      "Restoran Nasi Kandar Pelita",
		Address:   "No. 149, Jalan Ampang, 50450 Kuala Lumpur",
		ShortCode: "K7QX-M4PD",
		Token:     testToken(t),
		Language:  "ms",
	}
}

// posters are valid Data that stretch the layout.
func posters(t testing.TB) []struct {
	name string
	data Data
} {
	d := validData(t)
	with := func(f func(*Data)) Data {
		c := d
		f(&c)
		return c
	}
	return []struct {
		name string
		data Data
	}{
		{"malay", d},
		{"english", with(func(d *Data) { d.Language = "en" })},
		{"default language", with(func(d *Data) { d.Language = "" })},
		{"no address", with(func(d *Data) { d.Address = "" })},
		{"longest name of wide letters", with(func(d *Data) { d.Name = strings.Repeat("W", MaxName) })},
		{"longest name of words", with(func(d *Data) { d.Name = strings.TrimSpace(strings.Repeat("Kedai Makan ", 10)) })},
		{"longest address", with(func(d *Data) { d.Address = strings.Repeat("Jalan Wide ", 30)[:MaxAddress] })},
		{"longest name and address", with(func(d *Data) {
			d.Name = strings.Repeat("Mmmmmmmmm ", 12)
			d.Address = strings.Repeat("MMMM ", 60)
		})},
		{"name outside latin script", with(func(d *Data) { d.Name = "Kedai Kopi 好運 Café Ñoño" })},
		{"short code typed loosely", with(func(d *Data) { d.ShortCode = " k7qx m4pd " })},
	}
}

func TestPDF(t *testing.T) {
	onePage := regexp.MustCompile(`/Type\s*/Page[^s]`)
	for _, tc := range posters(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := PDF(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatalf("starts with %q, want %%PDF-", b[:min(len(b), 8)])
			}
			if n := len(onePage.FindAll(b, -1)); n != 1 {
				t.Errorf("%d page objects, want 1", n)
			}
			if !bytes.Contains(b, []byte("/Count 1")) {
				t.Error("page tree does not count one page")
			}
			if !bytes.Contains(b, []byte("/MediaBox [0 0 595.28 841.89]")) {
				t.Error("page is not A4")
			}
		})
	}
}

func TestPNG(t *testing.T) {
	for _, tc := range posters(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := PNG(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, 1240, 1754) {
				t.Fatalf("bounds %v, want 1240×1754", got)
			}
			// The background, below the header band, is white.
			for _, p := range []image.Point{{2, 400}, {1237, 400}, {2, 1751}, {1237, 1751}, {620, 1740}} {
				if r, g, b, _ := img.At(p.X, p.Y).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
					t.Errorf("pixel %v is %v, want white", p, img.At(p.X, p.Y))
				}
			}
			if dpi := pngDPI(t, b); dpi != 150 {
				t.Errorf("pHYs says %v dpi, want 150", dpi)
			}
		})
	}
}

// pngDPI returns the resolution that b's pHYs chunk records.
func pngDPI(t *testing.T, b []byte) float64 {
	t.Helper()
	i := bytes.Index(b, []byte("pHYs"))
	if i < 4 || len(b) < i+4+9 || binary.BigEndian.Uint32(b[i-4:]) != 9 || b[i+12] != 1 {
		t.Fatal("no pHYs chunk in metres")
	}
	x, y := binary.BigEndian.Uint32(b[i+4:]), binary.BigEndian.Uint32(b[i+8:])
	if x != y {
		t.Fatalf("pixels are not square: %d×%d per metre", x, y)
	}
	return float64(int(float64(x)*0.0254 + 0.5))
}

// scan decodes the one QR code in a PNG, as a phone would.
func scan(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code found: %v", err)
	}
	return res.GetText()
}

func TestQRRoundTrip(t *testing.T) {
	token := testToken(t)
	for _, tc := range posters(t) {
		t.Run("poster/"+tc.name, func(t *testing.T) {
			b, err := PNG(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := scan(t, b); got != tc.data.Token {
				t.Errorf("scanned %q, want %q", got, tc.data.Token)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		token string
		size  int
	}{
		{"smallest", token, MinQRSize},
		{"web page", token, 512},
		{"odd size", token, 777},
		{"largest", token, MaxQRSize},
		{"short token", jaga.PremisesTokenPrefix + "x", 512},
		{"longest token", jaga.PremisesTokenPrefix + strings.Repeat("A", MaxToken-len(jaga.PremisesTokenPrefix)), 512},
	} {
		t.Run("alone/"+tc.name, func(t *testing.T) {
			b, err := QR(tc.token, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != tc.size || cfg.Height != tc.size {
				t.Errorf("%d×%d pixels, want %d×%d", cfg.Width, cfg.Height, tc.size, tc.size)
			}
			if got := scan(t, b); got != tc.token {
				t.Errorf("scanned %q, want %q", got, tc.token)
			}
		})
	}
}

func TestQRQuietZone(t *testing.T) {
	bits, err := encodeQR(testToken(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bits); n != 37 {
		t.Errorf("symbol is %d modules, want 37 (version 5)", n)
	}
	for _, size := range []int{MinQRSize, 512, 777} {
		t.Run("size "+strconv.Itoa(size), func(t *testing.T) {
			b, err := QR(testToken(t), size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			module := size / (len(bits) + 2*quietZone)
			var dark image.Rectangle
			for y := range size {
				for x := range size {
					if r, _, _, _ := img.At(x, y).RGBA(); r == 0 {
						dark = dark.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
			if dark.Dx() != len(bits)*module || dark.Dy() != len(bits)*module {
				t.Errorf("dark modules span %v, want %d pixels square", dark, len(bits)*module)
			}
			if q := min(dark.Min.X, dark.Min.Y, size-dark.Max.X, size-dark.Max.Y); q < quietZone*module {
				t.Errorf("quiet zone is %d pixels, want at least %d", q, quietZone*module)
			}
		})
	}
}

// newTestPDF returns an A4 document with one page to measure and draw on.
func newTestPDF() *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	return pdf
}

func TestLines(t *testing.T) {
	d := validData(t)
	for _, tc := range []struct {
		name     string
		language string
		first    []string // the headline and instruction that come first
		second   []string
	}{
		{"malay first", "ms", []string{"Imbas untuk daftar masuk", "Atau taip kod ini dalam aplikasi jaga"}, []string{"Scan to check in", "Or type this code in the jaga app"}},
		{"english first", "en", []string{"Scan to check in", "Or type this code in the jaga app"}, []string{"Imbas untuk daftar masuk", "Atau taip kod ini dalam aplikasi jaga"}},
		{"malay by default", "", []string{"Imbas untuk daftar masuk", "Atau taip kod ini dalam aplikasi jaga"}, []string{"Scan to check in", "Or type this code in the jaga app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := d
			d.Language = tc.language
			want := []string{
				tc.first[0], tc.second[0],
				"Restoran Nasi Kandar Pelita",
				tc.first[1], tc.second[1],
				"K7QX-M4PD",
				"No. 149, Jalan Ampang, 50450 Kuala Lumpur",
				"jaga — rekod daftar masuk disimpan 90 hari / check-ins are kept for 90 days",
			}
			if got := lines(d); !equal(got, want) {
				t.Errorf("lines:\n got %q\nwant %q", got, want)
			}
		})
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"spaces collapse", "  Kedai\t\nKopi   Ali ", "Kedai Kopi Ali"},
		{"latin accents kept", "Café Ñoño Über", "Café Ñoño Über"},
		{"decomposed accents composed", "Cafe\u0301", "Café"},
		{"other scripts become ?", "Kedai 好運 சாப்பாடு", "Kedai ?? ????????"},
		{"format characters become ?", "Kedai\u200bKopi", "Kedai?Kopi"},
		{"cp1252 punctuation kept", "Ali’s “Best” Kopi – €1", "Ali’s “Best” Kopi – €1"},
	} {
		t.Run("name/"+tc.name, func(t *testing.T) {
			d := d
			d.Name = tc.in
			if got := lines(d)[2]; got != tc.want {
				t.Errorf("name printed as %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("no address", func(t *testing.T) {
		d := d
		d.Address = " "
		if got := lines(d); len(got) != 7 || got[6] != footer {
			t.Errorf("lines %q, want seven ending with the footer", got)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		if got := lines(Data{}); got != nil {
			t.Errorf("lines of empty Data = %q, want nil", got)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPDFText reads the page's text, uncompressed: the core fonts show it as
// Windows-1252 strings in the content stream.
func TestPDFText(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(*Data)
		want []string
	}{
		{"malay", func(d *Data) {}, []string{
			"(Imbas untuk daftar masuk) Tj", "(Scan to check in) Tj",
			"(Atau taip kod ini dalam aplikasi jaga) Tj", "(Or type this code in the jaga app) Tj",
			"(Restoran Nasi Kandar Pelita) Tj", "(K7QX-M4PD) Tj",
			"(No. 149, Jalan Ampang, 50450 Kuala Lumpur) Tj",
			"(jaga \x97 rekod daftar masuk disimpan 90 hari / check-ins are kept for 90 days) Tj",
		}},
		{"english", func(d *Data) { d.Language = "en" }, []string{
			"(Imbas untuk daftar masuk) Tj", "(Scan to check in) Tj",
			"(Atau taip kod ini dalam aplikasi jaga) Tj", "(Or type this code in the jaga app) Tj",
		}},
		{"outside latin script", func(d *Data) { d.Name = "Café 好運" }, []string{"(Caf\xe9 ??) Tj"}},
		{"parentheses escaped", func(d *Data) { d.Name = `Kedai (Ali) \ Sons` }, []string{`(Kedai \(Ali\) \\ Sons) Tj`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validData(t)
			tc.data(&d)
			b, err := renderPDF(d, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Errorf("page lacks %q", w)
				}
			}
			if tc.name == "english" {
				en, ms := bytes.Index(b, []byte("(Scan to check in)")), bytes.Index(b, []byte("(Imbas untuk daftar masuk)"))
				if en > ms {
					t.Error("English headline is not drawn first")
				}
			}
		})
	}
}

// recorder passes drawing to a real canvas and keeps where text and the QR
// symbol went.
type recorder struct {
	canvas
	texts []drawn
	qrs   []drawn
}

type drawn struct {
	s          string
	x, y, w, h float64 // for text, (x, y) is the baseline's start and h the size in mm
}

func (r *recorder) text(x, y float64, s string, f face, pt float64, c color.RGBA) {
	r.texts = append(r.texts, drawn{s, x, y, r.width(s, f, pt), pt * ptMM})
	r.canvas.text(x, y, s, f, pt, c)
}

func (r *recorder) qr(x, y, w float64, bits [][]bool, c color.RGBA) {
	r.qrs = append(r.qrs, drawn{"", x, y, w, w})
	r.canvas.qr(x, y, w, bits, c)
}

// TestLayout checks on both canvases that every text stays inside the
// margins and out of the QR box, and that the QR symbol is at least 10 cm
// wide.
func TestLayout(t *testing.T) {
	canvases := map[string]func(t *testing.T) canvas{
		"pdf": func(t *testing.T) canvas {
			return pdfCanvas{newTestPDF()}
		},
		"png": func(t *testing.T) canvas {
			pc, err := newPNGCanvas()
			if err != nil {
				t.Fatal(err)
			}
			return pc
		},
	}
	for cname, newCanvas := range canvases {
		for _, tc := range posters(t) {
			t.Run(cname+"/"+tc.name, func(t *testing.T) {
				c, err := newContent(tc.data)
				if err != nil {
					t.Fatal(err)
				}
				bits, err := encodeQR(c.token)
				if err != nil {
					t.Fatal(err)
				}
				r := &recorder{canvas: newCanvas(t)}
				layout(r, c, bits)
				if len(r.qrs) != 1 {
					t.Fatalf("%d QR symbols drawn, want 1", len(r.qrs))
				}
				if q := r.qrs[0]; q.w < 100 {
					t.Errorf("QR symbol is %.1f mm wide, want at least 100", q.w)
				}
				const eps = 0.01
				for _, d := range r.texts {
					if d.x < margin-eps || d.x+d.w > pageW-margin+eps {
						t.Errorf("%q spans x %.1f to %.1f mm, outside the margins", d.s, d.x, d.x+d.w)
					}
					if d.y > qrTop && d.y-d.h < qrTop+qrBox {
						t.Errorf("%q at y %.1f mm overlaps the QR box", d.s, d.y)
					}
					if d.y > pageH-10 {
						t.Errorf("%q at y %.1f mm is less than 1 cm from the bottom", d.s, d.y)
					}
				}
				// The name and address fit their slot above the QR code.
				var below float64
				for _, d := range r.texts[2:] {
					if d.y > qrTop {
						break
					}
					if d.y-d.h*0.75 < identityTop || d.y > identityBottom {
						t.Errorf("%q at y %.1f mm is outside the name's slot", d.s, d.y)
					}
					below = d.y
				}
				if below == 0 {
					t.Error("no name drawn above the QR code")
				}
			})
		}
	}
}

func TestWrap(t *testing.T) {
	cv := pdfCanvas{newTestPDF()}
	for _, tc := range []struct {
		name string
		in   string
		maxW float64
		want []string
	}{
		{"fits", "Kedai Kopi", 100, []string{"Kedai Kopi"}},
		{"between words", "aaaa bbbb cccc", 17, []string{"aaaa bbbb", "cccc"}},
		{"a word a line", "aaaa bbbb cccc", 15, []string{"aaaa", "bbbb", "cccc"}},
		{"inside a long word", strings.Repeat("m", 12), 20, []string{"mmmmmm", "mmmmmm"}},
		{"long word after a short one", "ab " + strings.Repeat("m", 8), 20, []string{"ab", "mmmmmm", "mm"}},
		{"one wide character per line", "MM", 1, []string{"M", "M"}},
		{"accented word split on characters", "ééééé", 8, []string{"éééé", "é"}},
		{"empty", "  ", 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Helvetica at 10 pt: m and M are 2.94 mm wide; a, b, c and é
			// 1.96 mm; a space 0.98 mm.
			if got := wrap(cv, tc.in, sans, 10, tc.maxW); !equal(got, tc.want) {
				t.Errorf("wrap(%q, %v mm) = %q, want %q", tc.in, tc.maxW, got, tc.want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    func(*Data)
		field   string
		message string
	}{
		{"empty name", func(d *Data) { d.Name = "" }, "name", "needs the premises name"},
		{"blank name", func(d *Data) { d.Name = " \t\n " }, "name", "needs the premises name"},
		{"name too long", func(d *Data) { d.Name = strings.Repeat("a", MaxName+1) }, "name", "at most 120 characters"},
		{"name too long in characters", func(d *Data) { d.Name = strings.Repeat("é", MaxName+1) }, "name", "at most 120 characters"},
		{"name not UTF-8", func(d *Data) { d.Name = "Kedai \xff" }, "name", "not valid UTF-8"},
		{"address too long", func(d *Data) { d.Address = strings.Repeat("a", MaxAddress+1) }, "address", "at most 300 characters"},
		{"empty short code", func(d *Data) { d.ShortCode = "" }, "shortCode", "needs the premises short code"},
		{"bad short code", func(d *Data) { d.ShortCode = "K7QX-M4P0" }, "shortCode", "not a jaga short code"},
		{"empty token", func(d *Data) { d.Token = "" }, "token", "needs the premises QR token"},
		{"foreign token", func(d *Data) { d.Token = "https://example.com/checkin" }, "token", "must start with JAGA1:"},
		{"lower-case prefix", func(d *Data) { d.Token = "jaga1:abc" }, "token", "must start with JAGA1:"},
		{"token too long", func(d *Data) { d.Token = jaga.PremisesTokenPrefix + strings.Repeat("A", MaxToken) }, "token", "too long"},
		{"unknown language", func(d *Data) { d.Language = "zh" }, "language", `must be "ms" or "en"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validData(t)
			tc.data(&d)
			for _, render := range []struct {
				name string
				f    func(Data) ([]byte, error)
			}{{"PDF", PDF}, {"PNG", PNG}} {
				b, err := render.f(d)
				if err == nil || b != nil {
					t.Fatalf("%s returned %d bytes and error %v, want an error", render.name, len(b), err)
				}
				var e *jaga.Error
				if !errors.As(err, &e) || e.Code != jaga.EINVALID {
					t.Fatalf("%s error %v, want an EINVALID *jaga.Error", render.name, err)
				}
				if !strings.Contains(e.Message, tc.message) || !strings.Contains(e.Fields[tc.field], tc.message) {
					t.Errorf("%s error message %q, fields %q; want %q for %s", render.name, e.Message, e.Fields, tc.message, tc.field)
				}
				if len(d.Name) > 20 && strings.Contains(e.Message, d.Name) {
					t.Errorf("%s error repeats the input", render.name)
				}
			}
		})
	}
	t.Run("every problem named", func(t *testing.T) {
		_, err := PDF(Data{Language: "fr"})
		if got := jaga.ErrorFields(err); len(got) != 4 {
			t.Errorf("fields %q, want name, shortCode, token and language", got)
		}
	})
	for _, tc := range []struct {
		name    string
		token   string
		size    int
		message string
	}{
		{"empty token", "", 512, "needs the premises QR token"},
		{"foreign token", "hello", 512, "must start with JAGA1:"},
		{"zero size", testToken(t), 0, "128 to 4096 pixels"},
		{"negative size", testToken(t), -512, "128 to 4096 pixels"},
		{"too small", testToken(t), MinQRSize - 1, "128 to 4096 pixels"},
		{"too large", testToken(t), MaxQRSize + 1, "128 to 4096 pixels"},
	} {
		t.Run("QR/"+tc.name, func(t *testing.T) {
			b, err := QR(tc.token, tc.size)
			if err == nil || b != nil {
				t.Fatalf("returned %d bytes and error %v, want an error", len(b), err)
			}
			if jaga.ErrorCode(err) != jaga.EINVALID || !strings.Contains(jaga.ErrorMessage(err), tc.message) {
				t.Errorf("error %v, want EINVALID saying %q", err, tc.message)
			}
		})
	}
}

func BenchmarkPDF(b *testing.B) {
	d := validData(b)
	for b.Loop() {
		if _, err := PDF(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	d := validData(b)
	for b.Loop() {
		if _, err := PNG(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQR(b *testing.B) {
	token := testToken(b)
	for b.Loop() {
		if _, err := QR(token, 512); err != nil {
			b.Fatal(err)
		}
	}
}
