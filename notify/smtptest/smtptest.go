// Package smtptest runs a real SMTP server on loopback for tests: it
// records what it receives and can be told to refuse messages.
package smtptest

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one email the server accepted.
type Message struct {
	From    string   // envelope sender
	To      []string // envelope recipients
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded from quoted-printable or base64 when so encoded
	Auth    string // the user that authenticated, if any
}

// Server is an SMTP server on 127.0.0.1 without TLS.
type Server struct {
	Host string
	Port int

	// Username and Password, when Username is set, are the only
	// credentials accepted with AUTH PLAIN; mail is then refused without
	// authentication.
	Username, Password string

	srv *smtp.Server

	mu       sync.Mutex // guards the fields below
	messages []Message
	refusals []*smtp.SMTPError
	notify   chan struct{}
}

// Start starts a server on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, notify: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Refuse makes the server answer the next message's DATA with code (4xx
// temporary, 5xx permanent) and text, once per call.
func (s *Server) Refuse(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	enh := smtp.EnhancedCode{4, 3, 0}
	if code >= 500 {
		enh = smtp.EnhancedCode{5, 3, 0}
	}
	s.refusals = append(s.refusals, &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: text})
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until at least n messages were accepted or the timeout
// passes, and returns the messages.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		msgs, ch := append([]Message(nil), s.messages...), s.notify
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline:
			return msgs
		}
	}
}

type session struct {
	s    *Server
	user string
	from string
	to   []string
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if se.s.Username == "" || username != se.s.Username || password != se.s.Password {
			return errors.New("invalid credentials")
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.Username != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if len(se.s.refusals) > 0 {
		e := se.s.refusals[0]
		se.s.refusals = se.s.refusals[1:]
		return e
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	text := string(body)
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(text)))
		if err != nil {
			return err
		}
		text = string(b)
	case "base64":
		b, err := io.ReadAll(base64Reader(text))
		if err != nil {
			return err
		}
		text = string(b)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	se.s.messages = append(se.s.messages, Message{From: se.from, To: se.to, Header: m.Header, Subject: subject,
		Body: strings.ReplaceAll(text, "\r\n", "\n"), Auth: se.user})
	close(se.s.notify)
	se.s.notify = make(chan struct{})
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }
