package poster

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/qrscan"
)

// testPayload is an HC1 payload of a realistic length (600 characters of
// the Base45 alphabet); the PDF does not check its signature.
func testPayload() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	var b strings.Builder
	b.WriteString("HC1:")
	x := uint32(2463534242)
	for b.Len() < 600 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(alphabet[x%uint32(len(alphabet))])
	}
	return b.String()
}

func testCertificate() CertificateData {
	return CertificateData{
		ID:          "URN:UVCI:01:MY:ABCDEFGHJKLMNPQRSTUVWXYZ23#H",
		Payload:     testPayload(),
		Status:      jaga.CertificateValid,
		FullName:    "Aisyah binti Rahman",
		DateOfBirth: "1990-01-01",
		Country:     "MY",
		IssuedAt:    time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC),
		ExpiresAt:   time.Date(2027, 11, 27, 1, 0, 0, 0, time.UTC),
		Doses: []*jaga.Dose{
			{Product: "EU/1/20/1528", ProductName: "Comirnaty", Manufacturer: "ORG-100030215",
				ManufacturerName: "Biontech Manufacturing GmbH", Batch: "FF2587", DoseNumber: 2, TotalDoses: 2,
				GivenOn: "2021-08-02", Country: "MY", CentreName: "Pusat Pemberian Vaksin Kajang"},
			{Product: "EU/1/20/1528", ProductName: "Comirnaty", Manufacturer: "ORG-100030215",
				ManufacturerName: "Biontech Manufacturing GmbH", Batch: "FE6208", DoseNumber: 1, TotalDoses: 2,
				GivenOn: "2021-07-12", Country: "MY", CentreName: "Pusat Pemberian Vaksin Kajang"},
			{Product: "EU/1/20/1507", ProductName: "COVID-19 Vaccine Moderna", Manufacturer: "ORG-100031184",
				ManufacturerName: "Moderna Biotech Spain S.L.", Batch: "3004667", DoseNumber: 3, TotalDoses: 2, Booster: true,
				GivenOn: "2022-01-20", Country: "SG", CentreName: "Raffles Medical"},
		},
		Language:  "ms",
		VerifyURL: "https://jaga.example/verify",
	}
}

// checkPDF fails unless b is a PDF whose cross-reference table points at
// each of its objects, and returns the number of pages.
func checkPDF(t *testing.T, b []byte) int {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		t.Fatal("not a PDF: no header or no end-of-file marker")
	}
	i := bytes.LastIndex(b, []byte("startxref"))
	if i < 0 {
		t.Fatal("no startxref")
	}
	off, err := strconv.Atoi(strings.Fields(string(b[i+len("startxref"):]))[0])
	if err != nil || off <= 0 || off >= len(b) || !bytes.HasPrefix(b[off:], []byte("xref")) {
		t.Fatalf("startxref %q does not point at the xref table", b[i:min(len(b), i+30)])
	}
	lines := strings.Split(string(b[off:]), "\n")
	head := strings.Fields(lines[1])
	n, _ := strconv.Atoi(head[1])
	if head[0] != "0" || n < 5 {
		t.Fatalf("xref subsection %q", lines[1])
	}
	for obj := 1; obj < n; obj++ {
		f := strings.Fields(lines[2+obj])
		at, err := strconv.Atoi(f[0])
		if err != nil || f[2] != "n" || at >= len(b) || !bytes.HasPrefix(b[at:], []byte(strconv.Itoa(obj)+" 0 obj")) {
			t.Fatalf("xref entry %d (%q) does not point at object %d", obj, lines[2+obj], obj)
		}
	}
	if !bytes.Contains(b, []byte("/MediaBox [0 0 595.28 841.89]")) {
		t.Error("page is not A4")
	}
	m := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no page count")
	}
	pages, _ := strconv.Atoi(string(m[1]))
	return pages
}

var imageObject = regexp.MustCompile(`/Subtype /Image\s*/Width (\d+)\s*/Height (\d+)\s*/ColorSpace /DeviceGray\s*/BitsPerComponent 8\s*/Filter /FlateDecode[^>]*>>\s*/Length (\d+)>>\s*stream\r?\n`)

// pdfImage returns the grey image the PDF embeds, rebuilt as a PNG file:
// the PDF keeps the PNG's compressed rows as they were.
func pdfImage(t *testing.T, b []byte) []byte {
	t.Helper()
	m := imageObject.FindSubmatchIndex(b)
	if m == nil {
		t.Fatal("the PDF embeds no grey image")
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(string(b[m[2*i]:m[2*i+1]]))
		return n
	}
	w, h, length := num(1), num(2), num(3)
	data := b[m[1] : m[1]+length]
	var png bytes.Buffer
	png.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, body []byte) {
		_ = binary.Write(&png, binary.BigEndian, uint32(len(body)))
		png.WriteString(kind)
		png.Write(body)
		_ = binary.Write(&png, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), body...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 8, 0, 0, 0, 0)) // 8 bits, grey, deflate, adaptive filter, no interlace
	chunk("IDAT", data)
	chunk("IEND", nil)
	return png.Bytes()
}

func TestCertificatePDF(t *testing.T) {
	base := testCertificate()
	with := func(f func(*CertificateData)) CertificateData {
		d := base
		f(&d)
		return d
	}
	for _, tc := range []struct {
		name  string
		data  CertificateData
		pages int
		want  []string
		lacks []string
	}{
		{"malay", base, 1, []string{"(Sijil Vaksinasi COVID-19)", "(Aisyah binti Rahman)", "(1990-01-01)",
			"Dos 2 daripada 2", "Dos penggalak \\(dos 3, siri 2 dos\\)", "No. kelompok: FE6208", "No. kelompok: 3004667",
			"Pengeluar: Biontech Manufacturing GmbH", "Vaksin: COVID-19 Vaccine Moderna", "Pusat: Raffles Medical",
			"Negara: SG", "(Malaysia \\(MY\\))", "(2026-11-27)", "(2027-11-27)", "https://jaga.example/verify"},
			[]string{"Dose 2 of 2", "DIGANTIKAN"}},
		{"english", with(func(d *CertificateData) { d.Language = "en" }), 1, []string{"(COVID-19 Vaccination Certificate)",
			"Dose 1 of 2", "Booster \\(dose 3, series of 2\\)", "Batch no.: FF2587", "Manufacturer: Moderna Biotech Spain S.L.",
			"scan the QR code with any EU DCC verifier app"}, []string{"Dos 1 daripada 2"}},
		{"default language", with(func(d *CertificateData) { d.Language = "" }), 1, []string{"Dos 1 daripada 2"}, nil},
		{"superseded", with(func(d *CertificateData) { d.Status = jaga.CertificateSuperseded }), 1,
			[]string{"(DIGANTIKAN: sijil yang lebih baharu menggantikan sijil ini.)"}, nil},
		{"revoked in english", with(func(d *CertificateData) { d.Status, d.Language = jaga.CertificateRevoked, "en" }), 1,
			[]string{"(REVOKED: this certificate is no longer valid.)"}, nil},
		{"no doses", with(func(d *CertificateData) { d.Doses = nil }), 1, []string{"Tiada dos dalam rekod."}, nil},
		{"no verify address", with(func(d *CertificateData) { d.VerifyURL = "" }), 1, []string{"di halaman awam /verify jaga."}, nil},
		{"name in Latin letters with marks", with(func(d *CertificateData) { d.FullName = "Łukasz Żółć-Nguyễn" }), 1,
			[]string{"(Lukasz Z\xf3lc-Nguyen)", "nama penuh ada dalam kod QR"}, nil},
		{"name in Han characters", with(func(d *CertificateData) { d.FullName = "陈伟明 Tan Wei Ming" }), 1,
			[]string{"(??? Tan Wei Ming)", "nama penuh ada dalam kod QR"}, nil},
		{"name in Cyrillic", with(func(d *CertificateData) { d.FullName, d.Language = "Дмитрий ЖУКОВ", "en" }), 1,
			[]string{"(Dmitrii ZHUKOV)", "the QR code holds the full name"}, nil},
		{"name in Windows-1252", with(func(d *CertificateData) { d.FullName = "José Ñúñez (Zé)" }), 1,
			[]string{"(Jos\xe9 \xd1\xfa\xf1ez \\(Z\xe9\\))"}, []string{"nama penuh ada dalam kod QR"}},
		{"many doses", with(func(d *CertificateData) {
			d.Doses = nil
			for i := range MaxCertDoses {
				d.Doses = append(d.Doses, &jaga.Dose{ProductName: "Comirnaty", Batch: "LOT" + strconv.Itoa(i), DoseNumber: min(i+1, 9),
					TotalDoses: 2, Booster: i >= 2, GivenOn: time.Date(2021, 7, 1+i*20, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
					Country: "MY", CentreName: "Klinik Kesihatan Kajang"})
			}
		}), 2, []string{"No. kelompok: LOT0", "No. kelompok: LOT19"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, compress := range []bool{true, false} {
				b, err := renderCertificatePDF(tc.data, compress)
				if err != nil {
					t.Fatal(err)
				}
				if pages := checkPDF(t, b); pages != tc.pages {
					t.Errorf("%d pages, want %d", pages, tc.pages)
				}
				got, err := qrscan.Decode(pdfImage(t, b))
				if err != nil {
					t.Fatalf("the QR code in the PDF does not scan: %v", err)
				}
				if got != tc.data.Payload {
					t.Errorf("the QR code in the PDF reads %.20q..., want the payload", got)
				}
				if compress {
					continue
				}
				for _, w := range append(tc.want, "("+tc.data.ID+")") {
					if !bytes.Contains(b, []byte(w)) {
						t.Errorf("the PDF lacks %q", w)
					}
				}
				for _, u := range tc.lacks {
					if bytes.Contains(b, []byte(u)) {
						t.Errorf("the PDF holds %q", u)
					}
				}
			}
		})
	}
}

// TestCertificatePDFDoseOrder checks that doses are printed by date.
func TestCertificatePDFDoseOrder(t *testing.T) {
	b, err := renderCertificatePDF(testCertificate(), false)
	if err != nil {
		t.Fatal(err)
	}
	first, second, booster := bytes.Index(b, []byte("FE6208")), bytes.Index(b, []byte("FF2587")), bytes.Index(b, []byte("3004667"))
	if first < 0 || !(first < second && second < booster) {
		t.Errorf("doses at %d, %d, %d; want by date", first, second, booster)
	}
}

func TestCertificatePDFInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		change      func(*CertificateData)
	}{
		{"no id", "id", func(d *CertificateData) { d.ID = "" }},
		{"not an HC1 payload", "payload", func(d *CertificateData) { d.Payload = "shc:/56762909" }},
		{"payload too long", "payload", func(d *CertificateData) { d.Payload = "HC1:" + strings.Repeat("A", MaxQRText) }},
		{"no name", "fullName", func(d *CertificateData) { d.FullName = " " }},
		{"name too long", "fullName", func(d *CertificateData) { d.FullName = strings.Repeat("N", MaxCertName+1) }},
		{"too many doses", "doses", func(d *CertificateData) { d.Doses = make([]*jaga.Dose, MaxCertDoses+1) }},
		{"unknown language", "language", func(d *CertificateData) { d.Language = "fr" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testCertificate()
			tc.change(&d)
			_, err := CertificatePDF(d)
			if jaga.ErrorCode(err) != jaga.EINVALID || jaga.ErrorFields(err)[tc.field] == "" {
				t.Fatalf("err = %v (fields %v), want EINVALID on %s", err, jaga.ErrorFields(err), tc.field)
			}
			if strings.Contains(jaga.ErrorMessage(err)+strings.Join(mapValues(jaga.ErrorFields(err)), " "), d.FullName) && d.FullName != " " {
				t.Error("the error repeats the name")
			}
		})
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestLatinText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		lossy    bool
	}{
		{"Aisyah binti Rahman", "Aisyah binti Rahman", false},
		{"  Tan   Wei\tMing ", "Tan Wei Ming", false},
		{"Café Ñoño", "Caf\xe9 \xd1o\xf1o", false},
		{"Cafe\u0301", "Caf\xe9", false}, // NFD brought to NFC
		{"Łukasz Żółć", "Lukasz Z\xf3lc", true},
		{"Ștefan Dragoș", "Stefan Dragos", true},
		{"Nguyễn Thị Đào", "Nguyen Thi D\xe0o", true},
		{"Dmitrii Дмитрий", "Dmitrii Dmitrii", true},
		{"Жанна ЖУКОВА", "Zhanna ZHUKOVA", true},
		{"Юлия Ильина", "Iuliia Ilina", true}, // the soft sign is dropped
		{"Ελένη Δημητριάδη", "Eleni Dimitriadi", true},
		{"陈伟明", "???", true},
		{"முருகன்", "", true}, // Tamil: one '?' per character, checked below
		{"Ali\u200bAbu", "Ali?Abu", true},
		{"bad \xff byte", "bad ? byte", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, lossy := latinText(tc.in)
			if tc.want == "" {
				tc.want = strings.Repeat("?", len([]rune(tc.in)))
			}
			if got != tc.want || lossy != tc.lossy {
				t.Errorf("latinText(%q) = %q, %v; want %q, %v", tc.in, got, lossy, tc.want, tc.lossy)
			}
		})
	}
}

func TestQRPNG(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"hc1 payload", testPayload()},
		{"short text", "HC1:6BFA70"},
		{"longest text", "HC1:" + strings.Repeat("6BF", (MaxQRText-4)/3)},
		{"shc", "shc:/5676290952432060346029243740446031222959532654603460292540772804336028702864716745222809286133314564376531415906402203064504590856435503414245413640370636654171372412363803043756220467374075323239254334433260573601064529315312707424283950386922127667682"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := QRPNG(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			got, err := qrscan.Decode(b)
			if err != nil || got != tc.text {
				t.Fatalf("decoded %.20q, %v; want the text", got, err)
			}
		})
	}
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"too long", strings.Repeat("A", MaxQRText+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := QRPNG(tc.text); jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}
