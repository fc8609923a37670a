package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/qrscan"
	"github.com/jaga-health/jaga/trustlist"
)

const verifyUsage = `Usage:
  jaga verify [--trust FILE|URL ...] [--trust-key PEM] [--jwks ISSUER=FILE|URL ...]
              [--at RFC3339] [--json] [FILE | -]

Verify a health certificate: an EU Digital COVID Certificate ("HC1:...") or a
SMART Health Card ("shc:/..."), read from FILE — its text, or a PNG or JPEG
image of its QR code — or from standard input ("-" or no argument).

  --trust FILE|URL    EU DCC document signers: jaga's signed trust list (with
                      --trust-key), or signer certificates in PEM, DER or
                      base64 DER; repeatable (JAGA_TRUST, space-separated)
  --trust-key PEM     file holding jaga's trust-list public key (JAGA_TRUST_KEY)
  --jwks ISSUER=FILE|URL
                      a SMART Health Card issuer (its cards' iss) and its key
                      set; repeatable (JAGA_JWKS, space-separated)
  --trust-grace D     how long a URL's cached copy is used when the URL fails,
                      before the verifier calls it stale (JAGA_TRUST_GRACE;
                      default 72h)
  --trust-cache DIR   where URLs' last good copies are kept (JAGA_TRUST_CACHE;
                      default the user's cache directory)
  --at TIME           verify as of this moment, RFC 3339 (default now)
  --json              print the result as JSON: valid, problem, step, reason,
                      kind, issuer, kid, issuedAt, expiresAt, certificate,
                      warnings

Prints VALID and what a verifier needs (name, date of birth, each entry's
type, dates and doses), or NOT VALID with the reason and the failing step.
Exit status: 0 valid, 1 not valid, 2 bad usage or unreadable input.
`

// maxVerifyInput bounds what jaga verify reads: a photograph of a QR code
// is the largest input it expects.
const maxVerifyInput = 32 << 20

// trustConfig is where a verifier's trust material comes from: defaults,
// then JAGA_TRUST* environment variables, then flags. A repeatable flag
// given once replaces its variable's list.
type trustConfig struct {
	Trust    []string      // JAGA_TRUST: files or URLs of EU DCC trust material
	TrustKey string        // JAGA_TRUST_KEY: file of jaga's trust-list public key (PEM)
	JWKS     []string      // JAGA_JWKS: ISSUER=FILE|URL of SMART Health Card issuers
	Grace    time.Duration // JAGA_TRUST_GRACE
	CacheDir string        // JAGA_TRUST_CACHE
	Refresh  time.Duration // JAGA_TRUST_REFRESH: how often serve fetches again
}

func defaultTrustConfig() trustConfig {
	c := trustConfig{Grace: trustlist.DefaultGrace, Refresh: time.Hour}
	if dir, err := os.UserCacheDir(); err == nil {
		c.CacheDir = filepath.Join(dir, "jaga", "trust")
	}
	return c
}

// fromEnv overlays the environment on c.
func (c *trustConfig) fromEnv(getenv func(string) string) error {
	if v := getenv("JAGA_TRUST"); v != "" {
		c.Trust = strings.Fields(v)
	}
	if v := getenv("JAGA_JWKS"); v != "" {
		c.JWKS = strings.Fields(v)
	}
	if v := getenv("JAGA_TRUST_KEY"); v != "" {
		c.TrustKey = v
	}
	if v := getenv("JAGA_TRUST_CACHE"); v != "" {
		c.CacheDir = v
	}
	for name, p := range map[string]*time.Duration{"JAGA_TRUST_GRACE": &c.Grace, "JAGA_TRUST_REFRESH": &c.Refresh} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: want a duration such as 72h", name)
			}
			*p = d
		}
	}
	return nil
}

// flags binds the trust flags; server adds how often to refresh.
func (c *trustConfig) flags(fs *flag.FlagSet, server bool) {
	fs.Var(&listFlag{vals: &c.Trust}, "trust", "EU DCC trust material: a signed trust list or signer certificates, FILE or URL; repeatable (JAGA_TRUST)")
	fs.StringVar(&c.TrustKey, "trust-key", c.TrustKey, "file holding jaga's trust-list public key, PEM (JAGA_TRUST_KEY)")
	fs.Var(&listFlag{vals: &c.JWKS}, "jwks", "a SMART Health Card issuer's key set, ISSUER=FILE or ISSUER=URL; repeatable (JAGA_JWKS)")
	fs.DurationVar(&c.Grace, "trust-grace", c.Grace, "how long a URL's cached copy is used when the URL fails (JAGA_TRUST_GRACE)")
	fs.StringVar(&c.CacheDir, "trust-cache", c.CacheDir, "directory of URLs' last good copies (JAGA_TRUST_CACHE)")
	if server {
		fs.DurationVar(&c.Refresh, "trust-refresh", c.Refresh, "how often to fetch trust material from URLs again (JAGA_TRUST_REFRESH)")
	}
}

// validate reports the first problem of the configuration; server says
// whether it serves.
func (c *trustConfig) validate(server bool) error {
	if c.Grace <= 0 {
		return errors.New("trust-grace: must be positive")
	}
	if server && c.Refresh < time.Minute {
		return errors.New("trust-refresh: must be at least 1m")
	}
	for _, v := range c.JWKS {
		if _, err := trustlist.ParseJWKSSource(v); err != nil {
			return fmt.Errorf("jwks: %w", err)
		}
	}
	return nil
}

// sources lists the configured sources.
func (c *trustConfig) sources() []trustlist.Source {
	var out []trustlist.Source
	for _, v := range c.Trust {
		out = append(out, trustlist.Source{Location: v})
	}
	for _, v := range c.JWKS {
		s, _ := trustlist.ParseJWKSSource(v) // checked by validate
		out = append(out, s)
	}
	return out
}

// loader returns the loader of the configured sources.
func (c *trustConfig) loader() (*trustlist.Loader, error) {
	l := &trustlist.Loader{Sources: c.sources(), CacheDir: c.CacheDir, Grace: c.Grace}
	if c.TrustKey != "" {
		b, err := os.ReadFile(c.TrustKey)
		if err != nil {
			return nil, fmt.Errorf("trust-key: %w", err)
		}
		if l.TrustKey, err = trustlist.ParseTrustKey(b); err != nil {
			return nil, fmt.Errorf("trust-key: %s", jaga.ErrorMessage(err))
		}
	}
	return l, nil
}

// print writes the configuration, URLs without their queries.
func (c *trustConfig) print(w io.Writer) {
	var names []string
	for _, s := range c.sources() {
		names = append(names, s.String())
	}
	fmt.Fprintf(w, "trust=%s\ntrust-key=%s\ntrust-grace=%s\ntrust-cache=%s\ntrust-refresh=%s\n",
		strings.Join(names, " "), c.TrustKey, c.Grace, c.CacheDir, c.Refresh)
}

// listFlag is a repeatable flag; its first use replaces the list that the
// environment gave.
type listFlag struct {
	vals *[]string
	set  bool
}

func (f *listFlag) String() string {
	if f.vals == nil {
		return ""
	}
	return strings.Join(*f.vals, " ")
}

func (f *listFlag) Set(v string) error {
	if !f.set {
		*f.vals, f.set = nil, true
	}
	*f.vals = append(*f.vals, v)
	return nil
}

// runVerify verifies one certificate; its exit status is 0 only for a
// valid one.
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	tc := defaultTrustConfig()
	if err := tc.fromEnv(getenv); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	var at string
	var asJSON bool
	fs := flag.NewFlagSet("jaga verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage) }
	tc.flags(fs, false)
	fs.StringVar(&at, "at", "", "verify as of this moment, RFC 3339")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{code: 2}
	}
	if err := tc.validate(false); err != nil {
		return exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	if fs.NArg() > 1 {
		return exitError{code: 2, msg: "verify: give one FILE, or - for standard input"}
	}
	var when time.Time
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return exitError{code: 2, msg: "at: want an RFC 3339 time such as 2021-06-01T20:00:00+02:00"}
		}
		when = t
	}
	payload, err := readPayload(fs.Arg(0), stdin)
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}

	loader, err := tc.loader()
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	v := trustlist.NewVerifier(loader)
	if _, err := v.Refresh(ctx); err != nil {
		return exitError{code: 2, msg: "trust: " + err.Error()}
	}
	res, err := v.Verify(ctx, payload, when)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printResult(stdout, res)
	}
	if !res.Valid {
		return exitError{code: 1}
	}
	return nil
}

// readPayload reads the certificate's text from the file name, or stdin
// for "" and "-"; an image is read as a QR code.
func readPayload(name string, stdin io.Reader) (string, error) {
	r, what := stdin, "standard input"
	if name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("read: %w", err)
		}
		defer f.Close()
		r, what = f, name
	}
	data, err := io.ReadAll(io.LimitReader(r, maxVerifyInput+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	if len(data) > maxVerifyInput {
		return "", fmt.Errorf("read %s: larger than %d bytes", what, maxVerifyInput)
	}
	if isImage(data) {
		text, err := decodeQR(data)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return text, nil
	}
	payload := strings.TrimSpace(string(data))
	if payload == "" {
		return "", fmt.Errorf("%s is empty: give the certificate's text (HC1:... or shc:/...) or an image of its QR code", what)
	}
	return payload, nil
}

// isImage reports whether data starts as a PNG or a JPEG does.
func isImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff})
}

// decodeQR reads the text of the QR code in a PNG or JPEG image.
func decodeQR(data []byte) (string, error) { return qrscan.Decode(data) }

// printResult writes the result for a person: VALID and what a verifier
// needs, or NOT VALID with the reason and the step.
func printResult(w io.Writer, r *jaga.VerifyResult) {
	if !r.Valid {
		fmt.Fprintf(w, "NOT VALID: %s (step %s)\n", r.Reason, r.Step)
		return
	}
	fmt.Fprintln(w, "VALID")
	switch r.Kind {
	case "eu-dcc":
		fmt.Fprintf(w, "Certificate: EU Digital COVID Certificate, issued by %s\n", r.Issuer)
	case "shc":
		fmt.Fprintf(w, "Certificate: SMART Health Card, issued by %s\n", r.Issuer)
	}
	if c := r.Certificate; c != nil {
		name := strings.TrimSpace(c.GivenName + " " + c.FamilyName)
		if std := strings.Trim(c.FamilyNameStd+"<<"+c.GivenNameStd, "<"); std != "" {
			if name == "" {
				name = std
			} else {
				name += " (" + std + ")"
			}
		}
		fmt.Fprintf(w, "Name: %s\n", name)
		fmt.Fprintf(w, "Date of birth: %s\n", orDash(c.DateOfBirth))
		for _, e := range c.Entries {
			fmt.Fprintf(w, "%s\n", describeEntry(e))
		}
	}
	if !r.ExpiresAt.IsZero() {
		fmt.Fprintf(w, "Expires: %s\n", r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warn)
	}
}

// describeEntry says one entry in a line: type, dates and doses.
func describeEntry(e jaga.VerifiedEntry) string {
	product := e.ProductName
	if product == "" {
		product = e.Product
	}
	if product == "" {
		product = e.Vaccine
	}
	switch e.Type {
	case "vaccination":
		s := "Vaccination: "
		if e.DoseNumber > 0 {
			s += fmt.Sprintf("dose %d of %d, ", e.DoseNumber, e.TotalDoses)
		}
		s += orDash(e.Date)
		if product != "" {
			s += ", " + product
		}
		return s
	case "test":
		return fmt.Sprintf("Test: %s, sampled %s, result %s", testTypes.name(e.TestType), orDash(e.Date), testResults.name(e.TestResult))
	case "recovery":
		return fmt.Sprintf("Recovery: first positive %s, valid %s to %s", orDash(e.Date), orDash(e.ValidFrom), orDash(e.ValidUntil))
	}
	return e.Type + ": " + orDash(e.Date)
}

// codeNames names the codes of a small value set the embedded ones lack.
type codeNames map[string]string

func (n codeNames) name(code string) string {
	if s, ok := n[code]; ok {
		return s
	}
	return orDash(code)
}

// The EU DCC test-type and test-result value sets.
var (
	testTypes   = codeNames{"LP6464-4": "NAAT (such as PCR)", "LP217198-3": "rapid antigen test"}
	testResults = codeNames{"260415000": "not detected", "260373001": "detected"}
)

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// loadServeConfig is loadConfig for serve, which takes the trust flags as
// well: defaults, then the environment, then flags, for both.
func loadServeConfig(args []string, getenv func(string) string, stderr io.Writer) (config, trustConfig, error) {
	c, tc := defaultConfig(), defaultTrustConfig()
	if err := c.fromEnv(getenv); err != nil {
		return c, tc, exitError{code: 2, msg: err.Error()}
	}
	if err := tc.fromEnv(getenv); err != nil {
		return c, tc, exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, true)
	tc.flags(fs, true)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, tc, exitError{code: 0}
		}
		return c, tc, exitError{code: 2}
	}
	if err := c.validate(true); err != nil {
		return c, tc, exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	if err := tc.validate(true); err != nil {
		return c, tc, exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	return c, tc, nil
}

// trustStartTimeout bounds how long serve waits for trust URLs at start;
// a URL slower than that is used from its cached copy until the next
// refresh.
const trustStartTimeout = 5 * time.Second

// startVerifier returns the certificate verifier of serve, its trust
// material loaded — URLs for at most trustStartTimeout — and the loop that
// refreshes it, to run until serve stops. With no trust sources it trusts
// no one, and every certificate's key is unknown. (jaga's own document
// signers join here once jaga issues certificates.)
func startVerifier(ctx context.Context, tc trustConfig, logger *slog.Logger) (*trustlist.Verifier, func(context.Context), error) {
	loader, err := tc.loader()
	if err != nil {
		return nil, nil, exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	v := trustlist.NewVerifier(loader)
	if len(loader.Sources) == 0 {
		logger.Info("no trust sources: only this server's own certificates verify; other issuers' answer unknown key")
		return v, func(context.Context) {}, nil
	}
	loadCtx, cancel := context.WithTimeout(ctx, trustStartTimeout)
	defer cancel()
	st, err := v.Refresh(loadCtx)
	trustlist.LogStatus(logger, st, err)
	failed := err != nil || st.Stale
	return v, func(ctx context.Context) { v.Run(ctx, tc.Refresh, failed, logger) }, nil
}
