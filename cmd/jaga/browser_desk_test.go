package main

// The support desk in a real headless browser: a citizen opens a ticket
// with the structured form, an agent of the ministry answers it in the
// agent console, and the citizen sees the reply and the new status, in
// Malay, with no script error or CSP violation.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jaga-health/jaga"
)

// TestBrowserDesk drives two browsers: the citizen's and the agent's.
func TestBrowserDesk(t *testing.T) {
	requireChromium(t)
	dsn := filepath.Join(t.TempDir(), "jaga.db")
	s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
	citizen := newBrowser(t, s.url)
	const reply = "Kami telah menerima permintaan anda dan sedang menyemaknya."

	var ref string
	citizen.must(t, "the citizen opens a ticket", func(t *testing.T) {
		signInCitizenInBrowser(t, citizen, dsn, "019-876 5432", "+60198765432")
		citizen.open("/help", 200)
		if got := citizen.text("main .official-notice"); !strings.Contains(got, msg(t, "ms", "notice.title")) {
			t.Errorf("the help page lacks the standing notice: %q", got)
		}
		if got := citizen.load("follow the data request's link", chromedp.Click(chromedp.CSS(
			`#problem-`+jaga.TicketDataRequest+` a[href^="/help/tickets/new"]`))); got != 200 {
			citizen.fail("follow the link", fmt.Errorf("status %d", got))
		}
		citizen.do("fill the form",
			chromedp.WaitVisible(chromedp.ID("ticket-request")),
			chromedp.SetValue(chromedp.ID("ticket-request"), "access"),
			chromedp.SetValue(chromedp.ID("ticket-scope"), "all"),
			chromedp.SendKeys(chromedp.ID("ticket-description"), "Saya mahu salinan semua data saya."))
		if got := citizen.load("submit the ticket", chromedp.Click(chromedp.CSS(`form[action="/help/tickets"] button[type="submit"]`))); got != 200 {
			citizen.fail("submit the ticket", fmt.Errorf("status %d", got))
		}
		ref = regexp.MustCompile(`JG-[0-9A-Z]{8}`).FindString(citizen.text("main h1"))
		if ref == "" {
			t.Fatalf("no reference in %q", citizen.text("main h1"))
		}
		if got := citizen.text("#ticket-state"); got != jaga.StateLabel(jaga.StateReceived, "ms", "") {
			t.Errorf("status = %q, want %q", got, jaga.StateLabel(jaga.StateReceived, "ms", ""))
		}
	})

	agent := newBrowser(t, s.url)
	agent.must(t, "the agent answers in the console", func(t *testing.T) {
		agent.open("/dev/outbox", 200)
		rows := agent.text(`section[aria-labelledby="outbox-staff"] tbody`)
		m := regexp.MustCompile(`supervisor@moh\.demo\s+` + regexp.QuoteMeta(demoPassword) + `\s+(\d{6})\b`).FindStringSubmatch(rows)
		if m == nil {
			t.Fatalf("no code for supervisor@moh.demo on /dev/outbox:\n%s", rows)
		}
		agent.open("/staff/signin", 200)
		agent.do("fill the staff sign-in form",
			chromedp.WaitVisible(chromedp.ID("staffsignin-email")),
			chromedp.SendKeys(chromedp.ID("staffsignin-email"), "supervisor@moh.demo"),
			chromedp.SendKeys(chromedp.ID("staffsignin-password"), demoPassword),
			chromedp.SendKeys(chromedp.ID("staffsignin-code"), m[1]))
		if got := agent.load("sign in", chromedp.Click(chromedp.CSS(`form[action="/staff/signin"] button[type="submit"]`))); got != 200 {
			agent.fail("sign in", fmt.Errorf("status %d", got))
		}
		if got := agent.load("open the console", chromedp.Click(chromedp.CSS(`nav a[href="/desk"]`))); got != 200 {
			agent.fail("open the console", fmt.Errorf("status %d", got))
		}
		if got := agent.load("open the ticket", chromedp.Click(chromedp.Search(`//table[@id="desk-queue-table"]//a[text()="`+ref+`"]`))); got != 200 {
			agent.fail("open the ticket", fmt.Errorf("status %d", got))
		}
		if got := agent.text("#desk-person-fields"); !strings.Contains(got, "Tan Wei Ming") {
			t.Errorf("the ministry's agent does not see the person:\n%s", got)
		}
		agent.do("write the reply",
			chromedp.WaitVisible(chromedp.ID("desk-body")),
			chromedp.SendKeys(chromedp.ID("desk-body"), reply))
		if got := agent.load("send", chromedp.Click(chromedp.ID("desk-send"))); got != 200 {
			agent.fail("send", fmt.Errorf("status %d", got))
		}
		if got := agent.text("main ol.thread"); !strings.Contains(got, reply) {
			t.Errorf("the thread lacks the reply:\n%s", got)
		}
		if got := agent.text("#desk-state"); got != jaga.StateLabel(jaga.StateInReview, "ms", "") {
			t.Errorf("status after the reply = %q", got)
		}
	})

	citizen.must(t, "the citizen sees the reply and the new status", func(t *testing.T) {
		citizen.open("/help/tickets", 200)
		if got := citizen.text("main table tbody"); !strings.Contains(got, ref) || !strings.Contains(got, jaga.StateLabel(jaga.StateInReview, "ms", "")) {
			t.Errorf("the list does not show %s in review:\n%s", ref, got)
		}
		if got := citizen.load("open the ticket", chromedp.Click(chromedp.Search(`//main//table//a[text()="`+ref+`"]`))); got != 200 {
			citizen.fail("open the ticket", fmt.Errorf("status %d", got))
		}
		if got := citizen.text("main ol.thread"); !strings.Contains(got, reply) {
			t.Errorf("the citizen's thread lacks the reply:\n%s", got)
		}
		if got := citizen.text("#ticket-state"); got != jaga.StateLabel(jaga.StateInReview, "ms", "") {
			t.Errorf("status = %q, want %q", got, jaga.StateLabel(jaga.StateInReview, "ms", ""))
		}
	})

	citizen.subtest(t, "no script errors or CSP violations for the citizen", func(t *testing.T) { citizen.noProblems(nil) })
	agent.subtest(t, "no script errors or CSP violations for the agent", func(t *testing.T) { agent.noProblems(nil) })
}
