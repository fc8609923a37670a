package main

// Check-in in a real headless browser, with the helpers of browser_test.go:
// a demo citizen checks in herself and a dependant with the demo premises'
// short code and sees the door screen; the demo premises' staff see their
// premises and download its poster with their page session.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// demoPremisesName is the demo premises the tests check in at.
const demoPremisesName = "Kopitiam Sri Melati"

// demoShortCode reads the demo premises' short code from the database, as
// its staff would read it from the poster.
func demoShortCode(t *testing.T, dsn string) (id, code string) {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := jaga.SystemContext(context.Background())
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var orgID string
	err = tx.QueryRowContext(ctx, `SELECT org_id FROM premises WHERE name = $1`, demoPremisesName).Scan(&orgID)
	tx.Rollback()
	if err != nil {
		t.Fatalf("demo premises: %v", err)
	}
	ps, err := sqlstore.NewPremisesService(db).OrganisationPremises(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == demoPremisesName {
			return p.ID, p.ShortCode
		}
	}
	t.Fatalf("no premises %q among the owner's %d", demoPremisesName, len(ps))
	return "", ""
}

// makeCloseContact gives a person a close-contact status for a week and a
// first dose (unless the demo recorded it already), the way the tracing and vaccination registries will: rows in
// risk_statuses and doses, then the person's door status refreshed.
func makeCloseContact(t *testing.T, dsn, fullName string) {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM people WHERE full_name = $1`, fullName).Scan(&id); err != nil {
		t.Fatalf("person %s: %v", fullName, err)
	}
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO risk_statuses (id, person_id, status, rule, reason, starts_at, ends_at, created_at)
		VALUES ($1, $2, $3, 'browser-test', 'A test of the door screen.', $4, $5, $4)`,
		"risk-"+id, id, jaga.RiskClose, now.Add(-time.Hour), now.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO doses (id, person_id, product, manufacturer, batch, dose_number, total_doses, booster, given_on, centre_id, country, created_at)
		VALUES ($1, $2, 'EU/1/20/1528', 'ORG-100030215', 'BT-1', 1, 2, $3, $4, 'centre-test', 'MY', $5)
		ON CONFLICT DO NOTHING`,
		"dose-"+id, id, false, now.AddDate(0, 0, -20).Format("2006-01-02"), now); err != nil {
		t.Fatal(err)
	}
	if err := tx.RefreshDoorStatus(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// screenshotDir is where the door screen's screenshot goes: $JAGA_SCREENSHOTS
// if set, to look at, else the test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("JAGA_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// doorCardSeen is one card of the door screen as the browser renders it.
type doorCardSeen struct {
	Name, Risk, Vax            string
	RiskClass, VaxClass        string
	RiskColour, VaxColour      string // computed background colours
	RiskFontPx, NameFontPx     float64
	Checkout                   string // the check-out form's action
	RiskVisible, NameUnclipped bool
}

// TestBrowserCheckIn is a citizen's check-in: sign in with the demo phone
// number, open /checkin from the menu, type the demo premises' short code,
// tick a dependant and show the door screen, in Malay, with no script
// error or CSP violation.
func TestBrowserCheckIn(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	_, code := demoShortCode(t, dsn)
	makeCloseContact(t, dsn, "Adam bin Hakim")
	b := newBrowser(t, s.url)

	b.must(t, "sign in with phone and code", func(t *testing.T) {
		signInCitizenInBrowser(t, b, dsn, "012-345 6789", "+60123456789")
	})

	b.must(t, "check in herself and Adam", func(t *testing.T) {
		b.load("follow the check-in link", chromedp.Click(chromedp.CSS(`header nav a[href="/checkin"]`)))
		if h := b.text("main h1"); h != msg(t, "ms", "checkin.heading") {
			t.Fatalf("h1 on /checkin = %q, want %q", h, msg(t, "ms", "checkin.heading"))
		}
		if !fetch(b, "is myself ticked", chromedp.Evaluate[bool](`document.getElementById("checkin-myself").checked`)) {
			t.Errorf("myself is not ticked by default")
		}
		// Type the code as a visitor might, in lower case with a space.
		typed := strings.ToLower(strings.Replace(code, "-", " ", 1))
		b.do("type the code and tick Adam",
			chromedp.WaitVisible(chromedp.ID("checkin-shortCode")),
			chromedp.SendKeys(chromedp.ID("checkin-shortCode"), typed),
			chromedp.Click(chromedp.Search(`//main//label[normalize-space(.)="Adam bin Hakim"]`)))
		ticked := fetch(b, "ticked people", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('input[type="checkbox"]:checked'), i => i.labels[0].innerText.trim())`))
		if len(ticked) != 2 || !strings.Contains(ticked[0], "Aisyah binti Rahman") || ticked[1] != "Adam bin Hakim" {
			t.Fatalf("ticked %q, want myself (Aisyah binti Rahman) and Adam bin Hakim", ticked)
		}
		if got := b.load("submit the check-in", chromedp.Click(chromedp.CSS(`form[action="/checkin"] button[type="submit"]`))); got != 200 {
			b.fail("submit the check-in", fmt.Errorf("status %d", got))
		}
	})

	b.must(t, "door screen", func(t *testing.T) {
		if h := b.text("main h1"); h != demoPremisesName {
			t.Errorf("h1 = %q, want %q", h, demoPremisesName)
		}
		if got := b.text("main .door-banner"); got != msg(t, "ms", "door.checked_in") {
			t.Errorf("banner = %q, want %q", got, msg(t, "ms", "door.checked_in"))
		}
		when := b.text("main .door-time")
		if !regexp.MustCompile(`^\d{1,2} \S+ \d{4}, \d\d:\d\d$`).MatchString(when) {
			t.Errorf("time on the door screen = %q, want a Malay date and time", when)
		}
		cards := fetch(b, "read the door cards", chromedp.Evaluate[[]doorCardSeen](`
			Array.from(document.querySelectorAll("main .door-card"), c => {
				const risk = c.querySelector(".status.risk"), vax = c.querySelector(".status.vax"), name = c.querySelector("h2");
				const r = risk.getBoundingClientRect();
				return {
					Name: name.innerText.trim(),
					Risk: risk.querySelector("dd").innerText.trim(), Vax: vax.querySelector("dd").innerText.trim(),
					RiskClass: risk.className, VaxClass: vax.className,
					RiskColour: getComputedStyle(risk).backgroundColor, VaxColour: getComputedStyle(vax).backgroundColor,
					RiskFontPx: parseFloat(getComputedStyle(risk.querySelector("dd")).fontSize),
					NameFontPx: parseFloat(getComputedStyle(name).fontSize),
					Checkout: c.querySelector("form").getAttribute("action"),
					RiskVisible: r.width > 0 && r.height > 0 && r.top < window.innerHeight,
					NameUnclipped: name.scrollWidth <= name.clientWidth,
				};
			})`))
		green, amber := "rgb(26, 127, 55)", "rgb(245, 180, 0)"
		want := []doorCardSeen{
			{Name: "Aisyah binti Rahman", Risk: jaga.StatusName("ms", jaga.RiskLow), Vax: msg(t, "ms", "vax.booster"),
				RiskClass: "status risk tone-green", VaxClass: "status vax tone-green", RiskColour: green, VaxColour: green},
			{Name: "Adam bin Hakim", Risk: jaga.StatusName("ms", jaga.RiskClose), Vax: msg(t, "ms", "vax.partial"),
				RiskClass: "status risk tone-amber", VaxClass: "status vax tone-amber", RiskColour: amber, VaxColour: amber},
		}
		if len(cards) != len(want) {
			t.Fatalf("%d door cards, want %d: %+v", len(cards), len(want), cards)
		}
		for i, w := range want {
			c := cards[i]
			// The labels carry a symbol before them (CSS ::before); innerText leaves it out.
			if c.Name != w.Name || c.Risk != w.Risk || c.Vax != w.Vax || c.RiskClass != w.RiskClass || c.VaxClass != w.VaxClass {
				t.Errorf("card %d reads %q / %q (%s) / %q (%s), want %q / %q (%s) / %q (%s)", i,
					c.Name, c.Risk, c.RiskClass, c.Vax, c.VaxClass, w.Name, w.Risk, w.RiskClass, w.Vax, w.VaxClass)
			}
			if c.RiskColour != w.RiskColour || c.VaxColour != w.VaxColour {
				t.Errorf("card %d colours: risk %s, vaccination %s; want %s, %s", i, c.RiskColour, c.VaxColour, w.RiskColour, w.VaxColour)
			}
			if c.RiskFontPx < 24 || c.NameFontPx < 28 {
				t.Errorf("card %d: status in %.0fpx, name in %.0fpx; the door reads them from afar", i, c.RiskFontPx, c.NameFontPx)
			}
			if !c.RiskVisible || !c.NameUnclipped {
				t.Errorf("card %d: status visible without scrolling %v, name unclipped %v", i, c.RiskVisible, c.NameUnclipped)
			}
			if !regexp.MustCompile(`^/checkin/[^/]+/checkout$`).MatchString(c.Checkout) {
				t.Errorf("card %d check-out form posts to %q", i, c.Checkout)
			}
		}

		shot := fetch(b, "screenshot", chromedp.FullScreenshot(100))
		if !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) || len(shot) < 1000 {
			t.Fatalf("the screenshot is not a PNG of a page (%d bytes)", len(shot))
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(shot))
		if err != nil || cfg.Width < 1000 {
			t.Errorf("screenshot: %dx%d, %v", cfg.Width, cfg.Height, err)
		}
		file := filepath.Join(screenshotDir(t), "door.png")
		if err := os.WriteFile(file, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the door screen: %s (%dx%d, %d bytes)", file, cfg.Width, cfg.Height, len(shot))

		// The door screen is mostly shown on a phone: one card under the
		// other, nothing wider than the screen, the first status in view.
		b.do("phone-sized screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		defer b.do("desktop screen again", chromedp.EmulateReset())
		phone := fetch(b, "lay out on a phone", chromedp.Evaluate[[]float64](`[
			document.documentElement.scrollWidth, window.innerWidth,
			document.querySelector("main .door-card .status.risk").getBoundingClientRect().bottom, window.innerHeight]`))
		if len(phone) != 4 || phone[0] > phone[1] || phone[2] > phone[3] {
			t.Errorf("on a phone: page %vpx wide in a %vpx screen, first status ends at %vpx of %vpx", phone[0], phone[1], phone[2], phone[3])
		}
		shot = fetch(b, "phone screenshot", chromedp.FullScreenshot(100))
		if !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("the phone screenshot is not a PNG")
		}
		file = filepath.Join(filepath.Dir(file), "door-phone.png")
		if err := os.WriteFile(file, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the door screen on a phone: %s (%d bytes)", file, len(shot))
	})

	b.must(t, "my visits, then check out", func(t *testing.T) {
		b.load("follow the visits link", chromedp.Click(chromedp.CSS(`header nav a[href="/me/visits"]`)))
		rows := b.text("main table.visits tbody")
		for _, w := range []string{"Aisyah binti Rahman", "Adam bin Hakim", demoPremisesName} {
			if !strings.Contains(rows, w) {
				t.Errorf("/me/visits lacks %q:\n%s", w, rows)
			}
		}
		if got := b.load("check Adam out", chromedp.Click(chromedp.Search(
			`//main//table/tbody/tr[td[1][normalize-space(.)="Adam bin Hakim"]]//button`))); got != 200 {
			b.fail("check Adam out", fmt.Errorf("status %d", got))
		}
		if got := b.text(`main [role="status"]`); got != msg(t, "ms", "visits.done_checkout") {
			t.Errorf("after check-out the page says %q, want %q", got, msg(t, "ms", "visits.done_checkout"))
		}
		if n := fetch(b, "count check-out buttons", chromedp.Evaluate[int](`document.querySelectorAll("main table.visits button").length`)); n != 1 {
			t.Errorf("%d check-out buttons left, want 1 (Aisyah's)", n)
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		b.noProblems(nil)
	})
}

// TestBrowserPremisesStaff is the demo premises' staff member's journey:
// sign in with password and TOTP, open the premises page from the menu, see
// today's count of a check-in, and download the poster with the page's
// session.
func TestBrowserPremisesStaff(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	id, code := demoShortCode(t, dsn)

	// A visitor checks in through the API, so that today's count is 1.
	token, _ := signInCitizen(t, s, openTestStore(t, dsn), "hakim@example.com", "hakim@example.com")
	if status, _ := call(t, "POST", s.url+"/api/v1/checkins", token, map[string]string{"shortCode": code}, nil); status != 201 {
		t.Fatalf("check-in through the API: status %d", status)
	}

	b := newBrowser(t, s.url)
	b.must(t, "sign in as the premises' staff", func(t *testing.T) {
		b.open("/dev/outbox", 200)
		rows := b.text(`section[aria-labelledby="outbox-staff"] tbody`)
		m := regexp.MustCompile(`staff@kopitiam\.demo\s+` + regexp.QuoteMeta(demoPassword) + `\s+(\d{6})\b`).FindStringSubmatch(rows)
		if m == nil {
			t.Fatalf("no code for staff@kopitiam.demo on /dev/outbox:\n%s", rows)
		}
		b.open("/staff/signin", 200)
		b.do("fill the staff sign-in form",
			chromedp.WaitVisible(chromedp.ID("staffsignin-email")),
			chromedp.SendKeys(chromedp.ID("staffsignin-email"), "staff@kopitiam.demo"),
			chromedp.SendKeys(chromedp.ID("staffsignin-password"), demoPassword),
			chromedp.SendKeys(chromedp.ID("staffsignin-code"), m[1]))
		if got := b.load("submit the staff sign-in form", chromedp.Click(chromedp.CSS(`form[action="/staff/signin"] button[type="submit"]`))); got != 200 {
			b.fail("submit the staff sign-in form", fmt.Errorf("status %d", got))
		}
	})

	b.must(t, "premises page", func(t *testing.T) {
		b.load("follow the premises link", chromedp.Click(chromedp.CSS(`header nav a[href="/staff/premises"]`)))
		if h := b.text("main h1"); h != msg(t, "ms", "premises.heading") {
			t.Fatalf("h1 = %q, want %q", h, msg(t, "ms", "premises.heading"))
		}
		section := b.text(`section[aria-labelledby="prem-` + id + `"]`)
		for _, w := range []string{demoPremisesName, code, msg(t, "ms", "premises.poster_pdf")} {
			if !strings.Contains(section, w) {
				t.Errorf("the premises' section lacks %q:\n%s", w, section)
			}
		}
		if strings.Contains(section, "Hakim bin Ismail") {
			t.Errorf("the premises page names a visitor")
		}
		total := fetch(b, "sum today's counts", chromedp.Evaluate[int](`Array.from(document.querySelectorAll(
			'section[aria-labelledby="prem-`+id+`"] table.hours td'), td => parseInt(td.innerText, 10)).reduce((a, b) => a + b, 0)`))
		if total != 1 {
			t.Errorf("today's counts add up to %d, want 1", total)
		}
	})

	b.must(t, "download the posters with the page session", func(t *testing.T) {
		type download struct {
			Status            int
			Type, Disposition string
			Head              []int
		}
		get := func(kind string) download {
			return fetch(b, "fetch the "+kind+" poster", chromedp.Evaluate[download](`(async () => {
				const a = document.querySelector('section[aria-labelledby="prem-`+id+`"] a[href*="/poster.`+kind+`"]');
				const r = await fetch(a.href);
				const body = new Uint8Array(await r.arrayBuffer());
				return {Status: r.status, Type: r.headers.get("content-type"), Disposition: r.headers.get("content-disposition"),
					Head: Array.from(body.slice(0, 8))};
			})()`, chromedp.EvalAwaitPromise))
		}
		head := func(d download) []byte {
			out := make([]byte, len(d.Head))
			for i, c := range d.Head {
				out[i] = byte(c)
			}
			return out
		}
		pdf := get("pdf")
		if pdf.Status != 200 || pdf.Type != "application/pdf" || !bytes.HasPrefix(head(pdf), []byte("%PDF-")) ||
			pdf.Disposition != "attachment; filename=jaga-poster-kopitiam-sri-melati-"+code+"-ms.pdf" {
			t.Errorf("PDF poster: %+v (%q)", pdf, head(pdf))
		}
		img := get("png")
		if img.Status != 200 || img.Type != "image/png" || !bytes.HasPrefix(head(img), []byte("\x89PNG\r\n\x1a\n")) ||
			!strings.HasSuffix(img.Disposition, "-ms.png") {
			t.Errorf("PNG poster: %+v", img)
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		b.noProblems(nil)
	})
}
