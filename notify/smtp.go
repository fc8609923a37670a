package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/jaga-health/jaga"
)

// TLS policies of an SMTP sender.
const (
	TLSMandatory     = "mandatory"     // STARTTLS or fail
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSNone          = "none"          // plain text, for a relay on the same host
)

// SMTP sends email through an SMTP server (submission with STARTTLS).
type SMTP struct {
	Host     string
	Port     int    // if 0, 587
	Username string // if empty, no authentication
	Password string
	From     string        // the From address, e.g. "jaga <no-reply@jaga.gov.my>"
	TLS      string        // TLSMandatory, TLSOpportunistic or TLSNone; if empty, TLSMandatory
	Timeout  time.Duration // per connection; if 0, 30 s
}

// Send sends m as a plain-text email, one connection per message.
func (s *SMTP) Send(ctx context.Context, m *jaga.Message) error {
	if m.Channel != jaga.ContactEmail {
		return fmt.Errorf("smtp: cannot send a %s message", m.Channel)
	}
	policy := mail.TLSMandatory
	switch s.TLS {
	case TLSMandatory, "":
	case TLSOpportunistic:
		policy = mail.TLSOpportunistic
	case TLSNone:
		policy = mail.NoTLS
	default:
		return fmt.Errorf("smtp: unknown TLS policy %q", s.TLS)
	}
	port, timeout := s.Port, s.Timeout
	if port == 0 {
		port = 587
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTLSPolicy(policy), mail.WithPort(port), mail.WithTimeout(timeout)}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("smtp: from address: %w", err)
	}
	if err := msg.To(m.Destination); err != nil {
		return errors.New("smtp: the destination is not an email address")
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
