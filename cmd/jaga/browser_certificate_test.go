package main

// Vaccination certificates in a real headless browser: the demo citizen
// opens her certificates from /me, sees her own and her dependants' QR
// codes (loaded under the page's Content-Security-Policy) and names,
// downloads a PDF with the page session, and refreshes from the registry.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/qrscan"
)

// demoPayload reads the current certificate payload of the demo person
// named fullName from the database.
func demoPayload(t *testing.T, dsn, fullName string) string {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := jaga.SystemContext(context.Background())
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var payload string
	if err := tx.QueryRowContext(ctx, `
		SELECT c.payload FROM certificates c JOIN people p ON p.id = c.person_id
		WHERE p.full_name = $1 AND c.status = 'valid'`, fullName).Scan(&payload); err != nil {
		t.Fatalf("the demo certificate of %s: %v (does the demo world issue certificates?)", fullName, err)
	}
	return payload
}

// certificateCardSeen is one card of /me/certificates as the browser
// renders it.
type certificateCardSeen struct {
	Name, Text string
	QRSrc      string
	QRWidth    int // the image's natural width: 0 if it did not load
	QRShownPx  float64
}

// TestBrowserCertificates is a citizen's certificates: sign in with the
// demo phone number, follow the link on /me, see her and her dependants'
// certificates with their QR codes, fetch the QR code and the PDF as the page does, and
// refresh from the registry, in Malay, with no script error or CSP
// violation.
func TestBrowserCertificates(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	b := newBrowser(t, s.url)

	b.must(t, "sign in with phone and code", func(t *testing.T) {
		signInCitizenInBrowser(t, b, dsn, "012-345 6789", "+60123456789")
	})

	payload := demoPayload(t, dsn, "Aisyah binti Rahman")
	b.must(t, "open the certificates from /me", func(t *testing.T) {
		b.load("follow the certificates link", chromedp.Click(chromedp.CSS(`main a[href="/me/certificates"]`)))
		if h := b.text("main h1"); h != msg(t, "ms", "certs.heading") {
			t.Fatalf("h1 = %q, want %q", h, msg(t, "ms", "certs.heading"))
		}
		if !fetch(b, "wait for the QR codes", chromedp.Evaluate[bool](`Promise.all(Array.from(document.querySelectorAll("main img.qr"),
			i => i.decode().then(() => true, () => false))).then(r => r.length > 0 && r.every(Boolean))`, chromedp.EvalAwaitPromise)) {
			t.Error("a QR image did not load")
		}
		cards := fetch(b, "read the certificate cards", chromedp.Evaluate[[]certificateCardSeen](`
			Array.from(document.querySelectorAll("main li.certificate"), c => {
				const img = c.querySelector("img.qr");
				return {
					Name: c.querySelector("h2").innerText.trim(), Text: c.innerText,
					QRSrc: img ? img.getAttribute("src") : "", QRWidth: img ? img.naturalWidth : 0,
					QRShownPx: img ? img.getBoundingClientRect().width : 0,
				};
			})`))
		names := make([]string, len(cards))
		for i, c := range cards {
			names[i] = c.Name
		}
		if len(cards) < 2 || names[0] != "Aisyah binti Rahman" || !slices.Contains(names, "Adam bin Hakim") {
			t.Fatalf("cards of %q, want Aisyah binti Rahman's first, then her dependants' with Adam bin Hakim's", names)
		}
		for _, c := range cards {
			if !strings.HasPrefix(c.QRSrc, "/api/v1/me/certificates/") || !strings.HasSuffix(c.QRSrc, "/qr.png") || c.QRWidth < 200 {
				t.Errorf("%s: QR image %q, %dpx wide; want a loaded image of the qr.png route", c.Name, c.QRSrc, c.QRWidth)
			}
			if c.QRShownPx < 200 {
				t.Errorf("%s: the QR code is shown %.0fpx wide; too small to scan from a screen", c.Name, c.QRShownPx)
			}
			for _, w := range []string{msg(t, "ms", "certs.status_valid"), "URN:UVCI:01:MY:", msg(t, "ms", "certs.pdf_ms"),
				msg(t, "ms", "certs.pdf_en"), msg(t, "ms", "certs.refresh")} {
				if !strings.Contains(c.Text, w) {
					t.Errorf("%s's card lacks %q:\n%s", c.Name, w, c.Text)
				}
			}
		}
		if !strings.Contains(cards[0].Text, "FK0108") && !strings.Contains(cards[0].Text, "2022-01-15") {
			t.Errorf("Aisyah's card does not show her booster of 2022-01-15:\n%s", cards[0].Text)
		}
	})

	b.must(t, "the QR code and the PDF, with the page session", func(t *testing.T) {
		type download struct {
			Status            int
			Type, Disposition string
			Body              []int
		}
		get := func(css string) download {
			return fetch(b, "fetch "+css, chromedp.Evaluate[download](`(async () => {
				const el = document.querySelector('`+css+`');
				const r = await fetch(el.src || el.href);
				return {Status: r.status, Type: r.headers.get("content-type"), Disposition: r.headers.get("content-disposition") || "",
					Body: Array.from(new Uint8Array(await r.arrayBuffer()))};
			})()`, chromedp.EvalAwaitPromise))
		}
		bytesOf := func(d download) []byte {
			out := make([]byte, len(d.Body))
			for i, c := range d.Body {
				out[i] = byte(c)
			}
			return out
		}
		img := get(`main li.certificate img.qr`)
		if img.Status != 200 || img.Type != "image/png" {
			t.Fatalf("QR image: status %d, type %q", img.Status, img.Type)
		}
		if got, err := qrscan.Decode(bytesOf(img)); err != nil || got != payload {
			t.Errorf("the page's QR code reads %.24q, %v; want Aisyah's certificate payload", got, err)
		}
		pdf := get(`main li.certificate a[hreflang="en"]`)
		if body := bytesOf(pdf); pdf.Status != 200 || pdf.Type != "application/pdf" || !strings.HasPrefix(string(body), "%PDF-") ||
			pdf.Disposition != "attachment; filename=jaga-vaccination-certificate-en.pdf" {
			t.Errorf("PDF: status %d, type %q, disposition %q, %d bytes", pdf.Status, pdf.Type, pdf.Disposition, len(body))
		}
	})

	b.must(t, "refresh from the registry", func(t *testing.T) {
		if got := b.load("click refresh on Aisyah's card", chromedp.Click(chromedp.CSS(
			`main li.certificate:first-child form[action="/me/certificates/refresh"] button[type="submit"]`))); got != 200 {
			b.fail("click refresh", fmt.Errorf("status %d", got))
		}
		if loc := fetch(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/me/certificates?done=unchanged") {
			t.Errorf("after refresh at %s, want /me/certificates?done=unchanged", loc)
		}
		if got := b.text(`main [role="status"]`); got != msg(t, "ms", "certs.done_unchanged") {
			t.Errorf("after refresh the page says %q, want %q", got, msg(t, "ms", "certs.done_unchanged"))
		}
		if after := demoPayload(t, dsn, "Aisyah binti Rahman"); after != payload {
			t.Error("a refresh with nothing changed issued a new certificate")
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		b.noProblems(nil)
	})
}
