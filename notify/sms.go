package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jaga-health/jaga"
)

// SMS sends text messages through an HTTP gateway. Each message is one
//
//	POST <URL>
//	Authorization: Bearer <Token>
//	Content-Type: application/json
//
//	{"to": "+60123456789", "message": "...", "reference": "42"}
//
// where reference is the outbox message id, the same on every retry, so a
// gateway may use it to drop duplicates. Any 2xx status means accepted;
// anything else is a failure to be retried later.
type SMS struct {
	URL    string
	Token  string
	Client *http.Client // if nil, one with a 30 s timeout
}

// smsRequest is the body posted to the gateway.
type smsRequest struct {
	To        string `json:"to"`
	Message   string `json:"message"`
	Reference string `json:"reference"`
}

var defaultSMSClient = &http.Client{Timeout: 30 * time.Second}

// Send posts m to the gateway.
func (s *SMS) Send(ctx context.Context, m *jaga.Message) error {
	if m.Channel != jaga.ContactPhone {
		return fmt.Errorf("sms: cannot send a %s message", m.Channel)
	}
	body, err := json.Marshal(smsRequest{To: m.Destination, Message: m.Body, Reference: fmt.Sprint(m.ID)})
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	client := s.Client
	if client == nil {
		client = defaultSMSClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The error names the URL, not the destination or the token.
		return fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms: gateway answered %s", resp.Status)
	}
	return nil
}
