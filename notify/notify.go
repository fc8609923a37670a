// Package notify delivers the outbox's messages: email by SMTP and text
// messages through an HTTP SMS gateway.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// Sender sends one message to its destination. An error means the message
// was not accepted and may be tried again; its text may reach logs and the
// outbox's last_error, so a Sender should not put the destination in it
// (the Deliverer removes it anyway).
type Sender interface {
	Send(ctx context.Context, m *jaga.Message) error
}

// Queue is the outbox as the delivery job sees it; sqlstore.OutboxService
// implements it.
type Queue interface {
	// ClaimMessages returns up to limit due messages of the channels and
	// reserves them for this caller.
	ClaimMessages(ctx context.Context, limit int, channels ...string) ([]*jaga.Message, error)
	// MarkSent records a message as sent.
	MarkSent(ctx context.Context, id int64) error
	// MarkFailed records a failed attempt and returns when the message is
	// next due; the zero time when it will not be tried again.
	MarkFailed(ctx context.Context, id int64, reason string) (time.Time, error)
}

// Deliverer claims due messages and sends each by its channel.
type Deliverer struct {
	Queue   Queue
	Senders map[string]Sender // by channel: jaga.ContactEmail, jaga.ContactPhone
	Batch   int               // messages claimed per run; if 0, 50
	Logger  *slog.Logger      // if nil, slog.Default
}

// Result counts the messages of one run.
type Result struct {
	Sent, Failed int
}

// Channels lists the channels d has a sender for.
func (d *Deliverer) Channels() []string {
	var out []string
	for ch, s := range d.Senders {
		if s != nil {
			out = append(out, ch)
		}
	}
	return out
}

// Deliver claims one batch of due messages of the channels d can send,
// sends them one by one and marks each sent or failed. It returns the
// counts and the first error of the queue itself; a failed send is
// counted, logged by message id (never destination) and retried later.
func (d *Deliverer) Deliver(ctx context.Context) (Result, error) {
	var r Result
	channels := d.Channels()
	if len(channels) == 0 {
		return r, nil
	}
	batch := d.Batch
	if batch <= 0 {
		batch = 50
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	msgs, err := d.Queue.ClaimMessages(ctx, batch, channels...)
	if err != nil {
		return r, fmt.Errorf("deliver: %w", err)
	}
	for _, m := range msgs {
		sender := d.Senders[m.Channel]
		var sendErr error
		if sender == nil {
			sendErr = fmt.Errorf("no sender for channel %q", m.Channel)
		} else {
			sendErr = sender.Send(ctx, m)
		}
		if sendErr == nil {
			if err := d.Queue.MarkSent(ctx, m.ID); err != nil {
				// Sent but not recorded: the lease lapses and it may go twice.
				return r, fmt.Errorf("deliver: %w", err)
			}
			r.Sent++
			continue
		}
		r.Failed++
		reason := SafeReason(sendErr, m.Destination)
		next, err := d.Queue.MarkFailed(ctx, m.ID, reason)
		if err != nil {
			return r, fmt.Errorf("deliver: %w", err)
		}
		if next.IsZero() {
			logger.Error("outbox message given up", "message", m.ID, "channel", m.Channel, "reason", reason)
		} else {
			logger.Warn("outbox message failed", "message", m.ID, "channel", m.Channel, "reason", reason, "retry_at", next.UTC().Format(time.RFC3339))
		}
	}
	return r, nil
}

// SafeReason is err's text with the destination, in any letter case,
// replaced by "[destination]", fit for logs and the outbox.
func SafeReason(err error, destination string) string {
	s := err.Error()
	if destination == "" {
		return s
	}
	lower, dl := strings.ToLower(s), strings.ToLower(destination)
	var b strings.Builder
	for {
		i := strings.Index(lower, dl)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("[destination]")
		s, lower = s[i+len(dl):], lower[i+len(dl):]
	}
}
