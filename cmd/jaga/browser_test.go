package main

// Page tests in a real headless browser: jaga started in-process as in
// main_test.go, and Chromium driven over the DevTools protocol by chromedp.
// They check what only a browser can: that the pages work under their
// Content-Security-Policy, that the style sheet loads, that cookies, forms
// and redirects carry a person through sign-in, and what a page shows.
//
// Without a Chromium binary the tests skip, so that `go test ./...` passes on
// a laptop without one; JAGA_REQUIRE_BROWSER=1 (set by .ci/run) makes them
// fail instead.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// chromiumEnv names a Chrome or Chromium binary to use.
	chromiumEnv = "JAGA_CHROMIUM"
	// requireBrowserEnv, set to 1, turns a missing browser from a skip
	// into a failure. CI sets it.
	requireBrowserEnv = "JAGA_REQUIRE_BROWSER"

	// browserBudget bounds one test function: browser, tab and every step.
	browserBudget = 30 * time.Second
	// stepTimeout bounds one browser action, so that a hang fails fast.
	stepTimeout = 10 * time.Second
)

// findChromium returns chromium (or chromium-browser) on PATH, else
// /usr/bin/chromium, else "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// requireChromium returns the browser binary to drive: $JAGA_CHROMIUM, else
// the one findChromium finds. Without one it skips the test with what to
// install, or fails it when JAGA_REQUIRE_BROWSER=1.
func requireChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s names no browser: %v", chromiumEnv, err)
		}
		return p
	}
	if p := findChromium(); p != "" {
		return p
	}
	msg := "browser tests need Chromium, and there is no chromium on PATH nor at /usr/bin/chromium: " +
		"install it (Debian/Ubuntu: apt-get install chromium) or set " + chromiumEnv + " to a Chrome or Chromium binary"
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", msg, requireBrowserEnv)
	}
	t.Skip(msg)
	return ""
}

// consoleEntry is one thing the page reported: a console message, a browser
// log entry or an uncaught exception.
type consoleEntry struct {
	kind string // "exception", "console.<type>" or "log.<source>.<level>"
	text string
	url  string
}

func (e consoleEntry) String() string {
	if e.url != "" {
		return fmt.Sprintf("%s: %s (%s)", e.kind, e.text, e.url)
	}
	return e.kind + ": " + e.text
}

// problem reports whether the entry is a fault of the page: an uncaught
// exception, a console.error, a Content-Security-Policy violation or any
// other browser log entry at level error (a failed request, for one).
func (e consoleEntry) problem() bool {
	return e.kind == "exception" || strings.HasSuffix(e.kind, ".error") ||
		strings.HasPrefix(e.kind, "log.security.") || strings.Contains(e.text, "Content Security Policy")
}

// browser is one headless Chromium with one tab on a jaga server.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab
	base string          // the server's URL

	mu      sync.Mutex
	console []consoleEntry
}

// newBrowser starts Chromium for the test, with a tab whose console it
// records from the first event. The browser lives at most browserBudget.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	execPath := requireChromium(t)
	profile := t.TempDir() // before the cleanup below, so removed after the browser ends
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A Malaysian reader: jaga's pages answer in Malay unless asked.
		chromedp.Flag("accept-lang", "ms-MY,ms"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	budget, cancelBudget := context.WithTimeout(context.Background(), browserBudget)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	b := &browser{t: t, base: base}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		// Close the browser gracefully and wait for it, so that the
		// profile directory is free when t.TempDir removes it.
		closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		chromedp.Cancel(closeCtx)
		cancelTab()
		cancelAlloc()
		cancelBudget()
	})
	start := time.Now()
	// The first action starts the browser and binds its life to the
	// context it gets: the tab's, not a step's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	t.Logf("chromium %s started in %v", execPath, time.Since(start).Round(time.Millisecond))
	return b
}

// listen runs in the tab's event loop; it only records.
func (b *browser) listen(ev any) {
	var e consoleEntry
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		e = consoleEntry{kind: "exception", text: d.Text, url: d.URL}
		if d.Exception != nil && d.Exception.Description != "" {
			e.text += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			} else {
				parts = append(parts, a.Description)
			}
		}
		e = consoleEntry{kind: "console." + string(ev.Type), text: strings.Join(parts, " ")}
	case *log.EventEntryAdded:
		en := ev.Entry
		e = consoleEntry{kind: "log." + string(en.Source) + "." + string(en.Level), text: en.Text, url: en.URL}
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, e)
	b.mu.Unlock()
}

// problems returns the faults the page has reported so far, leaving out
// those that allow says were expected.
func (b *browser) problems(allow func(consoleEntry) bool) []consoleEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []consoleEntry
	for _, e := range b.console {
		if e.problem() && (allow == nil || !allow(e)) {
			out = append(out, e)
		}
	}
	return out
}

// stepContext is the context of one action: stepTimeout, within the test's budget.
func (b *browser) stepContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// do runs actions and fails the test, saying what it was doing, on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// load runs actions that cause a navigation (a link, a form, an address),
// waits for the new page and returns its HTTP status.
func (b *browser) load(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.fail(what, err)
	}
	if resp == nil {
		b.fail(what, errors.New("no response for the page"))
	}
	return resp.Status
}

// open loads a path of the server and fails unless the status is want.
func (b *browser) open(path string, want int64) {
	b.t.Helper()
	if got := b.load("open "+path, chromedp.Navigate(b.base+path)); got != want {
		b.fail("open "+path, fmt.Errorf("status %d, want %d", got, want))
	}
}

// fetch runs one action that returns a value.
func fetch[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// text is the rendered text of the first element the CSS selector matches,
// once it is visible.
func (b *browser) text(css string) string {
	b.t.Helper()
	b.do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	return strings.TrimSpace(fetch(b, "read "+css, chromedp.Text(chromedp.CSS(css))))
}

// html is the page's document as the browser holds it.
func (b *browser) html() string {
	b.t.Helper()
	return fetch(b, "read the document", chromedp.OuterHTML(chromedp.CSS("html")))
}

// fail ends the test with what went wrong, where the browser was and what
// the page said.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	var where, said string
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		where = loc
	}
	if body, berr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); berr == nil {
		said = body
		if len(said) > 1500 {
			said = said[:1500] + "…"
		}
	}
	b.mu.Lock()
	console := fmt.Sprint(b.console)
	b.mu.Unlock()
	b.t.Fatalf("%s: %v\nat: %s\npage text:\n%s\nconsole: %s", what, err, where, said, console)
}

// noProblems fails the test if the page reported an exception, a CSP
// violation, a console error or a failed request.
func (b *browser) noProblems(allow func(consoleEntry) bool) {
	b.t.Helper()
	for _, p := range b.problems(allow) {
		b.t.Errorf("the page reported %s", p)
	}
}

// messages are the pages' texts, read from web/i18n so that the tests follow
// a change of wording.
var (
	messagesOnce sync.Once
	messages     map[string]map[string]string
	messagesErr  error
)

// msg returns the text of a message id in a language ("ms" or "en").
func msg(t *testing.T, lang, id string) string {
	t.Helper()
	messagesOnce.Do(func() {
		messages = map[string]map[string]string{}
		for _, l := range []string{"ms", "en"} {
			raw, err := os.ReadFile(filepath.Join("..", "..", "web", "i18n", l+".json"))
			if err != nil {
				messagesErr = err
				return
			}
			m := map[string]string{}
			if err := json.Unmarshal(raw, &m); err != nil {
				messagesErr = fmt.Errorf("%s.json: %w", l, err)
				return
			}
			messages[l] = m
		}
	})
	if messagesErr != nil {
		t.Fatal(messagesErr)
	}
	s, ok := messages[lang][id]
	if !ok {
		t.Fatalf("no message %q in %s.json", id, lang)
	}
	return s
}

// signInCitizenInBrowser signs in through the pages: /signin, the code from
// the outbox, /signin/verify, and lands on /me.
func signInCitizenInBrowser(t *testing.T, b *browser, dsn, contact, destination string) {
	t.Helper()
	b.open("/signin", 200)
	b.do("type the contact",
		chromedp.WaitVisible(chromedp.ID("signin-contact")),
		chromedp.SendKeys(chromedp.ID("signin-contact"), contact))
	if got := b.load("submit the sign-in form", chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`))); got != 200 {
		b.fail("submit the sign-in form", fmt.Errorf("status %d", got))
	}
	if loc := fetch(b, "location", chromedp.Location()); !strings.Contains(loc, "/signin/verify") {
		b.fail("submit the sign-in form", fmt.Errorf("at %s, want /signin/verify", loc))
	}
	code := lastCode(t, openTestStore(t, dsn), destination)
	b.do("type the code",
		chromedp.WaitVisible(chromedp.ID("verify-code")),
		chromedp.SendKeys(chromedp.ID("verify-code"), code))
	if got := b.load("submit the code", chromedp.Click(chromedp.CSS(`form[action="/signin/verify"] button[type="submit"]`))); got != 200 {
		b.fail("submit the code", fmt.Errorf("status %d", got))
	}
	if loc := fetch(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/me") {
		b.fail("submit the code", fmt.Errorf("at %s, want /me", loc))
	}
}

// subtest runs f as the subtest name of t, with the browser reporting to it.
func (b *browser) subtest(t *testing.T, name string, f func(t *testing.T)) bool {
	t.Helper()
	defer func() { b.t = t }()
	return t.Run(name, func(t *testing.T) {
		b.t = t
		f(t)
	})
}

// must runs a step of a journey as a subtest and ends the journey when it
// fails, since every step starts where the one before ended.
func (b *browser) must(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !b.subtest(t, name, f) {
		t.FailNow()
	}
}

// TestBrowserCitizen is a citizen's journey: sign in with the demo phone
// number and a one-time code, see their data and who accessed it, in Malay
// and English, with no script error or CSP violation on any page.
func TestBrowserCitizen(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	b := newBrowser(t, s.url)

	b.must(t, "sign in with phone and code", func(t *testing.T) {
		signInCitizenInBrowser(t, b, dsn, "012-345 6789", "+60123456789")
		if h := b.text("main h1"); h != msg(t, "ms", "me.heading") {
			t.Errorf("h1 on /me = %q, want %q", h, msg(t, "ms", "me.heading"))
		}
		if got := fetch(b, "read the name", chromedp.Value(chromedp.ID("profile-fullName"))); got != "Aisyah binti Rahman" {
			t.Errorf("full name field = %q, want Aisyah binti Rahman", got)
		}
		if !strings.Contains(b.html(), "Aisyah binti Rahman") {
			t.Errorf("/me does not show Aisyah binti Rahman")
		}
	})

	b.must(t, "style sheet applies", func(t *testing.T) {
		// jaga.css paints the header in --brand, #0b5a7a; without the sheet
		// it is transparent.
		style := fetch(b, "computed style of the header", chromedp.ComputedStyle(chromedp.CSS("header.site")))
		bg := ""
		for _, p := range style {
			if p.Name == "background-color" {
				bg = p.Value
			}
		}
		if bg != "rgb(11, 90, 122)" {
			t.Errorf("header background = %q, want rgb(11, 90, 122) from /static/jaga.css", bg)
		}
		sheets := fetch(b, "style sheets", chromedp.Evaluate[[]string](
			`Array.from(document.styleSheets, s => new URL(s.href).pathname + " " + s.cssRules.length)`))
		if len(sheets) != 1 || !strings.HasPrefix(sheets[0], "/static/jaga.css ") || strings.HasSuffix(sheets[0], " 0") {
			t.Errorf("style sheets = %q, want /static/jaga.css with rules", sheets)
		}
	})

	b.must(t, "who accessed my data", func(t *testing.T) {
		b.load("follow the accesses link", chromedp.Click(chromedp.CSS(`main a[href="/me/accesses"]`)))
		if h := b.text("main h1"); h != msg(t, "ms", "accesses.heading") {
			t.Errorf("h1 = %q, want %q", h, msg(t, "ms", "accesses.heading"))
		}
		// Rows by organisation (third cell) and decision (ninth cell's class).
		row := func(org, decision string) chromedp.Search {
			return chromedp.Search(fmt.Sprintf(`//main//table/tbody/tr[td[3][contains(., %q)]]/td[9][contains(concat(" ", @class, " "), " %s ")]`, org, decision))
		}
		b.do("an allowed access by the demo contractor", chromedp.WaitVisible(row("Sentosa Helpdesk Sdn Bhd (demo)", "allowed")))
		b.do("a refused access by the outsider", chromedp.WaitVisible(row("Cahaya Outsourcing Sdn Bhd (demo)", "denied")))
		if got := b.text(`main table tbody td.denied`); !strings.HasPrefix(got, msg(t, "ms", "decision.deny")) {
			t.Errorf("refused access reads %q, want it to start with %q", got, msg(t, "ms", "decision.deny"))
		}

		png := fetch(b, "screenshot", chromedp.FullScreenshot(100))
		file := filepath.Join(t.TempDir(), "accesses.png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(file); err != nil || fi.Size() < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("screenshot %s is not a PNG of a page (%d bytes)", file, len(png))
		}
		t.Logf("screenshot of /me/accesses: %d bytes", len(png))
	})

	b.must(t, "switch to English and back", func(t *testing.T) {
		lang := func() string {
			return fetch(b, "page language", chromedp.Evaluate[string](`document.documentElement.lang`))
		}
		if l := lang(); l != "ms" {
			t.Fatalf("page language %q before the switch, want ms", l)
		}
		b.load("follow the language switch", chromedp.Click(chromedp.CSS(`header a.lang`)))
		if l, h := lang(), b.text("main h1"); l != "en" || h != msg(t, "en", "accesses.heading") {
			t.Errorf("after the switch: lang %q, h1 %q; want en, %q", l, h, msg(t, "en", "accesses.heading"))
		}
		if loc := fetch(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/me/accesses") {
			t.Errorf("after the switch at %s, want /me/accesses without ?lang", loc)
		}
		b.open("/me?lang=ms", 200)
		if l, h := lang(), b.text("main h1"); l != "ms" || h != msg(t, "ms", "me.heading") {
			t.Errorf("back in Malay: lang %q, h1 %q; want ms, %q", l, h, msg(t, "ms", "me.heading"))
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		b.noProblems(nil)
	})

	b.subtest(t, "a CSP violation would be caught", func(t *testing.T) {
		// The check above means something only if the listener sees a
		// violation: an inline style attribute, which style-src 'self'
		// blocks, added through DevTools.
		before := len(b.problems(nil))
		b.do("add an inline style", chromedp.Evaluate[chromedp.Void](
			`document.querySelector("main").insertAdjacentHTML("beforeend", '<p style="color: red">csp canary</p>')`))
		deadline := time.Now().Add(3 * time.Second)
		for {
			ps := b.problems(nil)
			if len(ps) > before && strings.Contains(ps[len(ps)-1].text, "Content Security Policy") {
				t.Logf("caught: %s", ps[len(ps)-1].kind)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no CSP violation reported for an inline style; the check above proves nothing")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestBrowserStaff is a support agent's journey: the current TOTP code from
// the demo outbox page, sign-in with password and code, and a look-up of the
// demo citizen that shows the ID number masked.
func TestBrowserStaff(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	b := newBrowser(t, s.url)

	var code string
	b.must(t, "code from the demo outbox", func(t *testing.T) {
		b.open("/dev/outbox", 200)
		rows := b.text(`section[aria-labelledby="outbox-staff"] tbody`)
		m := regexp.MustCompile(`agent@sentosa\.demo\s+` + regexp.QuoteMeta(demoPassword) + `\s+(\d{6})\b`).FindStringSubmatch(rows)
		if m == nil {
			t.Fatalf("no code for agent@sentosa.demo on /dev/outbox:\n%s", rows)
		}
		code = m[1]
	})

	b.must(t, "sign in with password and TOTP", func(t *testing.T) {
		b.open("/staff/signin", 200)
		b.do("fill the staff sign-in form",
			chromedp.WaitVisible(chromedp.ID("staffsignin-email")),
			chromedp.SendKeys(chromedp.ID("staffsignin-email"), "agent@sentosa.demo"),
			chromedp.SendKeys(chromedp.ID("staffsignin-password"), demoPassword),
			chromedp.SendKeys(chromedp.ID("staffsignin-code"), code))
		if got := b.load("submit the staff sign-in form", chromedp.Click(chromedp.CSS(`form[action="/staff/signin"] button[type="submit"]`))); got != 200 {
			b.fail("submit the staff sign-in form", fmt.Errorf("status %d", got))
		}
		if h := b.text("main h1"); h != msg(t, "ms", "staff.heading") {
			t.Fatalf("h1 after staff sign-in = %q, want %q", h, msg(t, "ms", "staff.heading"))
		}
		if org := b.text("main dl.facts"); !strings.Contains(org, "Sentosa Helpdesk Sdn Bhd (demo)") {
			t.Errorf("the dashboard does not name the agent's organisation:\n%s", org)
		}
	})

	b.must(t, "look up the demo citizen masked", func(t *testing.T) {
		id := citizenID(t, dsn, "+60123456789")
		b.do("fill the look-up form",
			chromedp.WaitVisible(chromedp.ID("lookup-person")),
			chromedp.SendKeys(chromedp.ID("lookup-person"), id),
			chromedp.SetValue(chromedp.ID("lookup-purpose"), "SUPPORT_TICKET"),
			chromedp.SendKeys(chromedp.ID("lookup-reference"), "TICKET-BROWSER-1"))
		if got := b.load("submit the look-up", chromedp.Click(chromedp.CSS(`form[action="/staff/people/lookup"] button[type="submit"]`))); got != 200 {
			b.fail("submit the look-up", fmt.Errorf("status %d", got))
		}
		if h := b.text("#staff-result"); h != msg(t, "ms", "staff.result_heading") {
			t.Fatalf("result heading = %q, want %q", h, msg(t, "ms", "staff.result_heading"))
		}
		record := b.text(`section[aria-labelledby="staff-result"] dl.facts`)
		if !strings.Contains(record, "Aisyah binti Rahman") || !strings.Contains(record, "********5678") {
			t.Errorf("the record does not show the name and the masked ID number:\n%s", record)
		}
		html := b.html()
		for _, secret := range []string{"900101145678", "900101-14-5678", "1990-01-01"} {
			if strings.Contains(html, secret) {
				t.Errorf("the page's HTML holds the unmasked %q", secret)
			}
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		b.noProblems(nil)
	})
}

// citizenID reads a citizen's id by phone number straight from the database.
func citizenID(t *testing.T, dsn, phone string) string {
	t.Helper()
	db := openTestStore(t, dsn)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM people WHERE phone = '`+strings.ReplaceAll(phone, "'", "")+`'`).Scan(&id); err != nil {
		t.Fatalf("citizen with phone: %v", err)
	}
	return id
}

// TestBrowserCSRF posts forms whose hidden csrf field was removed in the
// page, before and after sign-in: jaga refuses them with 403 and says the
// form has expired.
func TestBrowserCSRF(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--checkpoint-every", "0")
	b := newBrowser(t, s.url)

	// dropToken removes the form's csrf field through DevTools: the page's
	// CSP forbids inline scripts, not the protocol.
	dropToken := func(form string) {
		b.t.Helper()
		n := fetch(b, "remove the csrf field", chromedp.Evaluate[int](fmt.Sprintf(
			`(() => { const f = document.querySelector(%q); const i = f.querySelectorAll('input[name="csrf"]'); i.forEach(e => e.remove()); return i.length })()`, form)))
		if n != 1 {
			b.t.Fatalf("removed %d csrf fields from %s, want 1", n, form)
		}
	}
	refused := func(t *testing.T, what string, click chromedp.Action[chromedp.Void]) {
		t.Helper()
		if got := b.load(what, click); got != 403 {
			b.fail(what, fmt.Errorf("status %d, want 403", got))
		}
		if got, want := b.text(`main [role="alert"]`), msg(t, "en", "err.csrf"); got != want {
			t.Errorf("the refusal says %q, want %q", got, want)
		}
	}

	b.must(t, "sign-in form without its token", func(t *testing.T) {
		b.open("/signin?lang=en", 200)
		b.do("type the contact",
			chromedp.WaitVisible(chromedp.ID("signin-contact")),
			chromedp.SendKeys(chromedp.ID("signin-contact"), "csrf.browser@example.com"))
		dropToken(`form[action="/signin"]`)
		refused(t, "submit the sign-in form without its token", chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)))
	})

	b.must(t, "profile form of a session without its token", func(t *testing.T) {
		signInCitizenInBrowser(t, b, dsn, "csrf.browser@example.com", "csrf.browser@example.com")
		b.do("type a name",
			chromedp.WaitVisible(chromedp.ID("profile-fullName")),
			chromedp.SendKeys(chromedp.ID("profile-fullName"), "Nama Yang Tidak Disimpan"))
		dropToken(`form[action="/me/profile"]`)
		refused(t, "submit the profile form without its token", chromedp.Click(chromedp.CSS(`form[action="/me/profile"] button[type="submit"]`)))
		b.open("/me", 200)
		if got := fetch(b, "read the name", chromedp.Value(chromedp.ID("profile-fullName"))); got != "" {
			t.Errorf("the refused form changed the name to %q", got)
		}
	})

	b.subtest(t, "no script errors or CSP violations", func(t *testing.T) {
		// The refusals themselves are failed loads of the document (403).
		b.noProblems(func(e consoleEntry) bool {
			return e.kind == "log.network.error" && strings.Contains(e.text, "status of 403")
		})
	})
}
