package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/notify"
	"github.com/jaga-health/jaga/sqlstore"
)

// config is jaga's configuration: defaults, then JAGA_* environment
// variables, then flags. Secrets may come from files (JAGA_DB_FILE).
type config struct {
	DB              string        // JAGA_DB; SQLite path or postgres:// URL
	Addr            string        // JAGA_ADDR
	Demo            bool          // JAGA_DEMO
	LogLevel        string        // JAGA_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // JAGA_LOG_FORMAT: text or json
	SecureCookies   string        // JAGA_SECURE_COOKIES: auto, true or false
	CheckpointEvery time.Duration // JAGA_CHECKPOINT_EVERY
	Retention       time.Duration // JAGA_RETENTION: how long check-ins are kept
	PrintConfig     bool

	// Outbox delivery; with neither SMTP nor SMS set, nothing is sent.
	SMTPHost     string        // JAGA_SMTP_HOST; empty: no email is sent
	SMTPPort     int           // JAGA_SMTP_PORT; default 587
	SMTPUsername string        // JAGA_SMTP_USERNAME; empty: no authentication
	SMTPPassword string        // JAGA_SMTP_PASSWORD or JAGA_SMTP_PASSWORD_FILE; secret
	SMTPFrom     string        // JAGA_SMTP_FROM: the From address
	SMTPTLS      string        // JAGA_SMTP_TLS: mandatory (default), opportunistic or none
	SMSURL       string        // JAGA_SMS_URL: the SMS gateway's endpoint; empty: no SMS is sent
	SMSToken     string        // JAGA_SMS_TOKEN or JAGA_SMS_TOKEN_FILE: its bearer token; secret
	OutboxEvery  time.Duration // JAGA_OUTBOX_EVERY: how often the outbox is delivered; default 5s

	// Certificates.
	Country       string // JAGA_COUNTRY: the issuing country of certificates; default MY
	MasterKey     string // JAGA_MASTER_KEY: seals the signing keys; secret; prefer the file
	MasterKeyFile string // JAGA_MASTER_KEY_FILE; default: beside the SQLite file, or jaga-master.key
}

func defaultConfig() config {
	return config{
		DB:              "jaga.db",
		Addr:            "127.0.0.1:8080",
		LogLevel:        "info",
		LogFormat:       "text",
		SecureCookies:   "auto",
		CheckpointEvery: time.Minute,
		Retention:       jaga.DefaultRetention,
		SMTPPort:        587,
		SMTPTLS:         notify.TLSMandatory,
		OutboxEvery:     5 * time.Second,
		Country:         "MY",
	}
}

// fromEnv overlays the environment on c.
func (c *config) fromEnv(getenv func(string) string) error {
	if v := getenv("JAGA_DB_FILE"); v != "" {
		b, err := os.ReadFile(v)
		if err != nil {
			return fmt.Errorf("JAGA_DB_FILE: %w", err)
		}
		c.DB = strings.TrimSpace(string(b))
	}
	secrets := map[string]*string{"JAGA_SMTP_PASSWORD_FILE": &c.SMTPPassword, "JAGA_SMS_TOKEN_FILE": &c.SMSToken}
	for k, p := range secrets {
		if v := getenv(k); v != "" {
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			*p = strings.TrimSpace(string(b))
		}
	}
	str := map[string]*string{"JAGA_DB": &c.DB, "JAGA_ADDR": &c.Addr, "JAGA_LOG_LEVEL": &c.LogLevel,
		"JAGA_LOG_FORMAT": &c.LogFormat, "JAGA_SECURE_COOKIES": &c.SecureCookies,
		"JAGA_SMTP_HOST": &c.SMTPHost, "JAGA_SMTP_USERNAME": &c.SMTPUsername, "JAGA_SMTP_PASSWORD": &c.SMTPPassword,
		"JAGA_SMTP_FROM": &c.SMTPFrom, "JAGA_SMTP_TLS": &c.SMTPTLS, "JAGA_SMS_URL": &c.SMSURL, "JAGA_SMS_TOKEN": &c.SMSToken,
		"JAGA_COUNTRY": &c.Country, "JAGA_MASTER_KEY": &c.MasterKey, "JAGA_MASTER_KEY_FILE": &c.MasterKeyFile}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("JAGA_DEMO"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("JAGA_DEMO: want true or false")
		}
		c.Demo = b
	}
	if v := getenv("JAGA_RETENTION"); v != "" {
		d, err := parseDays(v)
		if err != nil {
			return fmt.Errorf("JAGA_RETENTION: %w", err)
		}
		c.Retention = d
	}
	if v := getenv("JAGA_CHECKPOINT_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("JAGA_CHECKPOINT_EVERY: want a duration such as 1m")
		}
		c.CheckpointEvery = d
	}
	if v := getenv("JAGA_SMTP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("JAGA_SMTP_PORT: want a port number such as 587")
		}
		c.SMTPPort = n
	}
	if v := getenv("JAGA_OUTBOX_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("JAGA_OUTBOX_EVERY: want a duration such as 5s")
		}
		c.OutboxEvery = d
	}
	return nil
}

// flags binds the flags a command takes; server says whether it serves.
func (c *config) flags(fs *flag.FlagSet, server bool) {
	fs.StringVar(&c.DB, "db", c.DB, "SQLite file path or postgres:// URL (JAGA_DB)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (JAGA_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (JAGA_LOG_FORMAT)")
	fs.StringVar(&c.Country, "country", c.Country, "the issuing country of certificates, ISO 3166-1 alpha-2 (JAGA_COUNTRY)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "file holding the master key that seals the signing keys; created on first use if unset (JAGA_MASTER_KEY_FILE)")
	if server {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (JAGA_ADDR)")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "fill the database with demo data and show the dev outbox (JAGA_DEMO)")
		fs.StringVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "auto, true or false: auto is false only on loopback addresses (JAGA_SECURE_COOKIES)")
		fs.DurationVar(&c.CheckpointEvery, "checkpoint-every", c.CheckpointEvery, "how often to sign an access-log checkpoint; 0 turns it off (JAGA_CHECKPOINT_EVERY)")
		fs.BoolVar(&c.PrintConfig, "print-config", false, "print the configuration, secrets redacted, and exit")
		// The SMTP password and the SMS token have no flags: a command line is visible to every user.
		fs.StringVar(&c.SMTPHost, "smtp-host", c.SMTPHost, "SMTP server that sends email; empty sends none (JAGA_SMTP_HOST)")
		fs.IntVar(&c.SMTPPort, "smtp-port", c.SMTPPort, "SMTP port (JAGA_SMTP_PORT)")
		fs.StringVar(&c.SMTPUsername, "smtp-username", c.SMTPUsername, "SMTP user; the password comes from JAGA_SMTP_PASSWORD or JAGA_SMTP_PASSWORD_FILE (JAGA_SMTP_USERNAME)")
		fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, "From address of email, such as 'jaga <no-reply@example.org>' (JAGA_SMTP_FROM)")
		fs.StringVar(&c.SMTPTLS, "smtp-tls", c.SMTPTLS, "mandatory, opportunistic or none (for a relay on the same host) (JAGA_SMTP_TLS)")
		fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL, "SMS gateway URL that takes a JSON POST; the token comes from JAGA_SMS_TOKEN or JAGA_SMS_TOKEN_FILE (JAGA_SMS_URL)")
		fs.DurationVar(&c.OutboxEvery, "outbox-every", c.OutboxEvery, "how often queued codes and notifications are delivered (JAGA_OUTBOX_EVERY)")
		fs.Func("retention", "how long check-ins are kept, in days (90d) or as a duration (JAGA_RETENTION; default 90d)", func(v string) error {
			d, err := parseDays(v)
			if err == nil {
				c.Retention = d
			}
			return err
		})
	}
}

// load builds the configuration of a command from defaults, env and args.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, server bool) (config, *flag.FlagSet, error) {
	c := defaultConfig()
	if err := c.fromEnv(getenv); err != nil {
		return c, nil, exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, server)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, fs, exitError{code: 0}
		}
		return c, fs, exitError{code: 2}
	}
	if err := c.validate(server); err != nil {
		return c, fs, exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	return c, fs, nil
}

// validate reports the first problem of the configuration.
func (c *config) validate(server bool) error {
	if c.DB == "" {
		return errors.New("db: a SQLite path or postgres:// URL is required")
	}
	if sqlstore.IsPostgres(c.DB) {
		if _, err := url.Parse(c.DB); err != nil {
			return errors.New("db: the postgres URL cannot be parsed")
		}
	}
	if cc, ok := jaga.CountryCode(c.Country); !ok || len(c.Country) != 2 {
		return errors.New("country: want an ISO 3166-1 alpha-2 code such as MY")
	} else {
		c.Country = cc
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: want debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format: want text or json")
	}
	if server {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return fmt.Errorf("addr: want host:port, such as 127.0.0.1:8080")
		}
		switch c.SecureCookies {
		case "auto", "true", "false":
		default:
			return fmt.Errorf("secure-cookies: want auto, true or false")
		}
		if c.Retention < 24*time.Hour {
			return fmt.Errorf("retention: must be at least one day")
		}
		if c.CheckpointEvery < 0 {
			return fmt.Errorf("checkpoint-every: must not be negative")
		}
		if err := c.validateOutbox(); err != nil {
			return err
		}
	}
	return nil
}

// validateOutbox reports the first problem of the delivery settings.
func (c *config) validateOutbox() error {
	if c.OutboxEvery <= 0 {
		return fmt.Errorf("outbox-every: must be positive")
	}
	if c.SMTPHost != "" {
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			return fmt.Errorf("smtp-port: want a port number such as 587")
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("smtp-from: want an email address such as no-reply@example.org")
		}
		switch c.SMTPTLS {
		case notify.TLSMandatory, notify.TLSOpportunistic, notify.TLSNone:
		default:
			return fmt.Errorf("smtp-tls: want mandatory, opportunistic or none")
		}
		if c.SMTPPassword != "" && c.SMTPUsername == "" {
			return fmt.Errorf("smtp-username: required with a password")
		}
	}
	if c.SMSURL != "" {
		u, err := url.Parse(c.SMSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("sms-url: want an http:// or https:// URL")
		}
		if u.User != nil {
			return fmt.Errorf("sms-url: put the credentials in JAGA_SMS_TOKEN, not the URL")
		}
	}
	return nil
}

// senders returns the outbox senders configured, by channel; none when
// neither SMTP nor SMS is set.
func (c *config) senders() map[string]notify.Sender {
	s := map[string]notify.Sender{}
	if c.SMTPHost != "" {
		s[jaga.ContactEmail] = &notify.SMTP{Host: c.SMTPHost, Port: c.SMTPPort, Username: c.SMTPUsername,
			Password: c.SMTPPassword, From: c.SMTPFrom, TLS: c.SMTPTLS}
	}
	if c.SMSURL != "" {
		s[jaga.ContactPhone] = &notify.SMS{URL: c.SMSURL, Token: c.SMSToken}
	}
	return s
}

// redactedSecret says whether a secret is set, never what it is.
func redactedSecret(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set, redacted)"
}

// secureCookies resolves the auto setting: cookies are Secure unless jaga
// listens only on a loopback address (local development over plain HTTP).
func (c *config) secureCookies() bool {
	switch c.SecureCookies {
	case "true":
		return true
	case "false":
		return false
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// redactedDB hides the password of a postgres URL.
func redactedDB(dsn string) string {
	if !sqlstore.IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable, redacted)"
	}
	return u.Redacted()
}

// print writes the configuration, secrets redacted.
func (c *config) print(w io.Writer) {
	fmt.Fprintf(w, "db=%s\naddr=%s\ndemo=%t\nlog-level=%s\nlog-format=%s\nsecure-cookies=%s (resolved %t)\ncheckpoint-every=%s\nretention=%dd\n",
		redactedDB(c.DB), c.Addr, c.Demo, c.LogLevel, c.LogFormat, c.SecureCookies, c.secureCookies(), c.CheckpointEvery, int(c.Retention.Hours()/24))
	fmt.Fprintf(w, "smtp-host=%s\nsmtp-port=%d\nsmtp-username=%s\nsmtp-password=%s\nsmtp-from=%s\nsmtp-tls=%s\nsms-url=%s\nsms-token=%s\noutbox-every=%s\n",
		c.SMTPHost, c.SMTPPort, c.SMTPUsername, redactedSecret(c.SMTPPassword), c.SMTPFrom, c.SMTPTLS,
		redactedURL(c.SMSURL), redactedSecret(c.SMSToken), c.OutboxEvery)
	fmt.Fprintf(w, "country=%s\nmaster-key=%s\nmaster-key-file=%s\n", c.Country, redactedSecret(c.MasterKey), c.masterKeyPath())
}

func (c *config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseDays reads a number of days ("90d") or a Go duration ("2160h").
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return 0, fmt.Errorf("want a number of days such as 90d")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a number of days such as 90d, or a duration")
	}
	return d, nil
}

// redactedURL hides the query of a URL, where some gateways take keys.
func redactedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable, redacted)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.Redacted()
}
