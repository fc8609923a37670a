package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga/notify/smtptest"
)

// TestServeDeliversCodesByEmail asks a running jaga for a sign-in code and
// signs in with the code that arrives at a real SMTP server.
func TestServeDeliversCodesByEmail(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			mx, err := smtptest.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer mx.Close()
			s := startServer(t, dsn, "--checkpoint-every", "0", "--outbox-every", "200ms",
				"--smtp-host", mx.Host, "--smtp-port", strconv.Itoa(mx.Port), "--smtp-tls", "none",
				"--smtp-from", "jaga <no-reply@jaga.example>")

			const email = "nurul.huda@example.com"
			var ch struct{ ChallengeID string }
			if code, _ := call(t, "POST", s.url+"/api/v1/auth/challenges", "", map[string]string{"contact": "Nurul.Huda@Example.com"}, &ch); code != 201 {
				t.Fatalf("challenge: status %d", code)
			}
			msgs := mx.Wait(1, 5*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("the SMTP server received %d messages within 5 s, want 1\nstderr:\n%s", len(msgs), s.stderr.String())
			}
			m := msgs[0]
			if strings.Join(m.To, ",") != email || m.From != "no-reply@jaga.example" || m.Subject != "Kod jaga / jaga code" {
				t.Errorf("received from %q to %v subject %q", m.From, m.To, m.Subject)
			}
			found := regexp.MustCompile(`Your jaga code: (\d{6})\.`).FindStringSubmatch(m.Body)
			if found == nil {
				t.Fatalf("no code in the email:\n%s", m.Body)
			}
			var sess struct{ Token string }
			if code, _ := call(t, "POST", s.url+"/api/v1/auth/sessions", "", map[string]string{"challengeId": ch.ChallengeID, "code": found[1]}, &sess); code != 201 || sess.Token == "" {
				t.Fatalf("sign in with the emailed code: status %d", code)
			}

			// The server has the message before jaga records it as sent.
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !strings.Contains(s.stderr.String(), "outbox delivered"); {
				time.Sleep(20 * time.Millisecond)
			}
			logs := s.stderr.String()
			if strings.Contains(strings.ToLower(logs), "nurul") || strings.Contains(logs, found[1]) {
				t.Errorf("the log shows the address or the code:\n%s", logs)
			}
			if !strings.Contains(logs, "outbox delivered") {
				t.Errorf("the log does not record the delivery:\n%s", logs)
			}
			if !strings.Contains(logs, "no SMS gateway configured") || strings.Contains(logs, "no SMTP server configured") {
				t.Errorf("want one warning, for SMS only:\n%s", logs)
			}
		})
	}
}

func TestOutboxConfig(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(pw, []byte("s3cret-smtp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		wantErr string
	}{
		{"defaults", nil, nil, []string{"smtp-host=\n", "smtp-port=587", "smtp-tls=mandatory", "smtp-password=(unset)", "outbox-every=5s"}, ""},
		{"env, secrets from files, redacted", map[string]string{
			"JAGA_SMTP_HOST": "smtp.example.org", "JAGA_SMTP_PORT": "2525", "JAGA_SMTP_USERNAME": "jaga",
			"JAGA_SMTP_PASSWORD_FILE": pw, "JAGA_SMTP_FROM": "no-reply@example.org", "JAGA_SMTP_TLS": "opportunistic",
			"JAGA_SMS_URL": "https://sms.example.org/send?key=s3cret-key", "JAGA_SMS_TOKEN": "s3cret-token", "JAGA_OUTBOX_EVERY": "200ms",
		}, []string{"--smtp-port", "465"}, []string{"smtp-host=smtp.example.org", "smtp-port=465", "smtp-username=jaga",
			"smtp-password=(set, redacted)", "smtp-tls=opportunistic", "sms-url=https://sms.example.org/send?redacted",
			"sms-token=(set, redacted)", "outbox-every=200ms"}, ""},
		{"bad from", map[string]string{"JAGA_SMTP_HOST": "smtp.example.org", "JAGA_SMTP_FROM": "nobody"}, nil, nil, "smtp-from"},
		{"bad tls", map[string]string{"JAGA_SMTP_HOST": "smtp.example.org", "JAGA_SMTP_FROM": "a@example.org"}, []string{"--smtp-tls", "maybe"}, nil, "smtp-tls"},
		{"bad sms url", map[string]string{"JAGA_SMS_URL": "ftp://sms.example.org"}, nil, nil, "sms-url"},
		{"credentials in sms url", map[string]string{"JAGA_SMS_URL": "https://u:p@sms.example.org"}, nil, nil, "sms-url"},
		{"zero interval", nil, []string{"--outbox-every", "0s"}, nil, "outbox-every"},
		{"missing password file", map[string]string{"JAGA_SMTP_PASSWORD_FILE": filepath.Join(dir, "none")}, nil, nil, "JAGA_SMTP_PASSWORD_FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			err := run(context.Background(), append([]string{"jaga", "serve", "--print-config"}, tc.args...), getenv, strings.NewReader(""), &out, &errb)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+errb.String(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v\n%s", err, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("print-config lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "s3cret") {
				t.Errorf("print-config shows a secret:\n%s", out.String())
			}
		})
	}
}
