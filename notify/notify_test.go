package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/notify"
	"github.com/jaga-health/jaga/notify/smtptest"
	"github.com/jaga-health/jaga/sqlstore"
)

var start = time.Date(2026, time.March, 2, 8, 0, 0, 0, time.UTC)

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// store opens a migrated SQLite store with a hand-moved clock.
func store(t *testing.T) (*sqlstore.DB, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jaga.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{now: start}
	db.Now = c.Now
	return db, c
}

func smtpServer(t *testing.T) *smtptest.Server {
	t.Helper()
	s, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func signIn(t *testing.T, db *sqlstore.DB, contact string) {
	t.Helper()
	if _, err := sqlstore.NewAccountService(db).StartSignIn(context.Background(), contact); err != nil {
		t.Fatalf("start sign-in: %v", err)
	}
}

var code = regexp.MustCompile(`Your jaga code: (\d{6})\.`)

func TestDeliverEmail(t *testing.T) {
	ctx := context.Background()
	db, clk := store(t)
	srv := smtpServer(t)
	srv.Username, srv.Password = "jaga", "relay-secret"
	var logs strings.Builder
	d := &notify.Deliverer{
		Queue: sqlstore.NewOutboxService(db),
		Senders: map[string]notify.Sender{jaga.ContactEmail: &notify.SMTP{
			Host: srv.Host, Port: srv.Port, Username: "jaga", Password: "relay-secret",
			From: "jaga <no-reply@jaga.example>", TLS: notify.TLSNone, Timeout: 5 * time.Second,
		}},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}

	t.Run("sent", func(t *testing.T) {
		signIn(t, db, "Siti.Aminah@Example.com")
		r, err := d.Deliver(ctx)
		if err != nil || r != (notify.Result{Sent: 1}) {
			t.Fatalf("Deliver = %+v, %v; want 1 sent\n%s", r, err, logs.String())
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if m.From != "no-reply@jaga.example" || strings.Join(m.To, ",") != "siti.aminah@example.com" || m.Auth != "jaga" {
			t.Errorf("envelope from %q to %v auth %q", m.From, m.To, m.Auth)
		}
		if m.Header.Get("From") != `"jaga" <no-reply@jaga.example>` || m.Header.Get("To") != "<siti.aminah@example.com>" {
			t.Errorf("headers From %q To %q", m.Header.Get("From"), m.Header.Get("To"))
		}
		if m.Subject != "Kod jaga / jaga code" {
			t.Errorf("subject %q", m.Subject)
		}
		if !code.MatchString(m.Body) || !strings.Contains(m.Body, "Kod jaga anda: ") {
			t.Errorf("body %q has no code", m.Body)
		}
		recent, _ := sqlstore.NewAccountService(db).RecentMessages(ctx, 1)
		if recent[0].SentAt == nil {
			t.Error("the message is not marked sent")
		}
		if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{}) {
			t.Fatalf("second Deliver = %+v, %v; want nothing", r, err)
		}
	})

	for _, tc := range []struct {
		name string
		code int
	}{{"temporary refusal", 451}, {"permanent refusal", 550}} {
		t.Run(tc.name+" is retried after the backoff", func(t *testing.T) {
			clk.Advance(time.Hour) // past the sign-in rate limits
			signIn(t, db, "retry@example.com")
			before := len(srv.Messages())
			srv.Refuse(tc.code, "mailbox retry@example.com unavailable")
			r, err := d.Deliver(ctx)
			if err != nil || r != (notify.Result{Failed: 1}) {
				t.Fatalf("Deliver = %+v, %v; want 1 failed", r, err)
			}
			if strings.Contains(logs.String(), "retry@example.com") {
				t.Errorf("the log names the destination:\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), "[destination]") {
				t.Errorf("the log does not give the reason:\n%s", logs.String())
			}
			clk.Advance(sqlstore.OutboxBackoff - time.Second)
			if r, _ := d.Deliver(ctx); r != (notify.Result{}) {
				t.Fatalf("Deliver before the backoff = %+v, want nothing", r)
			}
			clk.Advance(time.Second)
			if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{Sent: 1}) {
				t.Fatalf("Deliver after the backoff = %+v, %v; want 1 sent", r, err)
			}
			msgs := srv.Messages()
			if len(msgs) != before+1 || msgs[len(msgs)-1].To[0] != "retry@example.com" {
				t.Fatalf("server received %d messages, want %d", len(msgs), before+1)
			}
		})
	}

	t.Run("phone messages are left for an SMS sender", func(t *testing.T) {
		clk.Advance(time.Hour)
		signIn(t, db, "012-345 6789")
		if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{}) {
			t.Fatalf("Deliver = %+v, %v; want nothing", r, err)
		}
	})
	t.Run("wrong password fails", func(t *testing.T) {
		clk.Advance(time.Hour)
		bad := *d
		bad.Senders = map[string]notify.Sender{jaga.ContactEmail: &notify.SMTP{Host: srv.Host, Port: srv.Port,
			Username: "jaga", Password: "wrong", From: "no-reply@jaga.example", TLS: notify.TLSNone, Timeout: 5 * time.Second}}
		signIn(t, db, "auth@example.com")
		if r, err := bad.Deliver(ctx); err != nil || r != (notify.Result{Failed: 1}) {
			t.Fatalf("Deliver = %+v, %v; want 1 failed", r, err)
		}
		if strings.Contains(logs.String(), "wrong") {
			t.Errorf("the log shows the password:\n%s", logs.String())
		}
	})

}

func TestDeliverSMS(t *testing.T) {
	ctx := context.Background()
	db, clk := store(t)
	type request struct {
		auth, contentType string
		body              map[string]string
	}
	var mu sync.Mutex
	var got []request
	status := http.StatusAccepted
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]string
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("gateway got %q: %v", b, err)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, request{r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
			t.Errorf("gateway got %s %s", r.Method, r.URL.Path)
		}
		w.WriteHeader(status)
	}))
	defer gw.Close()
	var logs strings.Builder
	d := &notify.Deliverer{
		Queue:   sqlstore.NewOutboxService(db),
		Senders: map[string]notify.Sender{jaga.ContactPhone: &notify.SMS{URL: gw.URL + "/v1/messages", Token: "gw-token"}},
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}

	signIn(t, db, "012-345 6789")
	if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{Sent: 1}) {
		t.Fatalf("Deliver = %+v, %v; want 1 sent", r, err)
	}
	if len(got) != 1 {
		t.Fatalf("gateway got %d requests", len(got))
	}
	g := got[0]
	if g.auth != "Bearer gw-token" || g.contentType != "application/json" || g.body["to"] != "+60123456789" ||
		!code.MatchString(g.body["message"]) || g.body["reference"] == "" {
		t.Errorf("gateway got %+v", g)
	}

	clk.Advance(time.Hour)
	signIn(t, db, "+60 11-2345 6789")
	status = http.StatusServiceUnavailable
	if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{Failed: 1}) {
		t.Fatalf("Deliver = %+v, %v; want 1 failed", r, err)
	}
	if !strings.Contains(logs.String(), "503") || strings.Contains(logs.String(), "601123456789") || strings.Contains(logs.String(), "gw-token") {
		t.Errorf("log:\n%s", logs.String())
	}
	status = http.StatusOK
	clk.Advance(sqlstore.OutboxBackoff)
	if r, err := d.Deliver(ctx); err != nil || r != (notify.Result{Sent: 1}) {
		t.Fatalf("Deliver after the backoff = %+v, %v; want 1 sent", r, err)
	}
	if len(got) != 3 || got[1].body["reference"] != got[2].body["reference"] {
		t.Errorf("a retry should carry the same reference: %+v", got)
	}
}

func TestSafeReason(t *testing.T) {
	for _, tc := range []struct{ err, dest, want string }{
		{"550 <Siti@Example.com>: no such user", "siti@example.com", "550 <[destination]>: no such user"},
		{"to +60123456789 and +60123456789", "+60123456789", "to [destination] and [destination]"},
		{"timeout", "a@b.example", "timeout"},
	} {
		if got := notify.SafeReason(errString(tc.err), tc.dest); got != tc.want {
			t.Errorf("SafeReason(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
