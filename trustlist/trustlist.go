// Package trustlist loads the trust material that health certificates are
// verified against — EU DCC document signers (jaga's signed trust list, or
// bare signer certificates) and SMART Health Card issuers' key sets — from
// files or URLs, and keeps it working offline.
//
// A URL's last good copy is kept in a cache directory with the time it was
// fetched. When a fetch fails, or what it returns does not check out (a
// tampered signed list, a key set that is not one), the cached copy is used
// while it is younger than the grace period; after that the material is
// stale, and [Verifier] says so instead of answering from it.
//
// The package reads cert's trust material; cert knows nothing of it.
package trustlist

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
)

// DefaultGrace is how long a cached copy keeps working when its URL does
// not answer, unless [Loader].Grace says otherwise.
const DefaultGrace = 72 * time.Hour

// FetchTimeout bounds one fetch of a URL by the default HTTP client.
const FetchTimeout = 10 * time.Second

// MaxSize bounds one source's material, fetched or read.
const MaxSize = 8 << 20

// Source is one place trust material comes from.
type Source struct {
	Location string // a file path, or an http:// or https:// URL
	Issuer   string // for a SMART Health Card issuer's key set (JWKS): the issuer, as its cards' iss; "" for EU DCC trust material
}

// ParseJWKSSource reads "ISSUER=FILE|URL", the form of a key-set source on
// the command line: the issuer's iss, "=", then where its JWKS is.
func ParseJWKSSource(v string) (Source, error) {
	iss, loc, ok := strings.Cut(v, "=")
	iss, loc = strings.TrimSpace(iss), strings.TrimSpace(loc)
	if !ok || iss == "" || loc == "" {
		return Source{}, fmt.Errorf("key set %q: want ISSUER=FILE or ISSUER=URL", redact(v))
	}
	return Source{Location: loc, Issuer: iss}, nil
}

// Remote reports whether the source is a URL.
func (s Source) Remote() bool {
	return strings.HasPrefix(s.Location, "https://") || strings.HasPrefix(s.Location, "http://")
}

// String returns the source for logs and status: a URL without its user
// information and query, which may hold credentials.
func (s Source) String() string {
	loc := redact(s.Location)
	if s.Issuer != "" {
		return s.Issuer + "=" + loc
	}
	return loc
}

// redact drops the user information, query and fragment of a URL.
func redact(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Host == "" {
		return loc
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}

// Loader loads trust material from its sources. Its fields are set before
// the first Load and not changed after; Load may be called from several
// goroutines.
type Loader struct {
	Sources    []Source
	CacheDir   string           // where each URL's last good copy is kept; if "", copies are kept in memory only
	Grace      time.Duration    // how long a copy keeps working when its source fails; if zero, DefaultGrace
	TrustKey   *ecdsa.PublicKey // jaga's trust-list key, which signed lists must be signed with; if nil, signed lists are refused
	HTTPClient *http.Client     // if nil, a client with a FetchTimeout timeout
	Now        func() time.Time // if nil, time.Now

	mu   sync.Mutex       // guards last
	last map[string]entry // the last good copy of each source, by cacheKey
}

// entry is one source's copy: its bytes and when they were fetched.
type entry struct {
	Source    string    `json:"source"` // redacted, for a person reading the cache directory
	FetchedAt time.Time `json:"fetchedAt"`
	Data      []byte    `json:"data"`
}

// Status says how fresh the loaded material is.
type Status struct {
	Stale   bool          // some source has no copy, or only one older than the grace period
	Age     time.Duration // the age of the oldest copy in use
	Sources []SourceStatus
}

// SourceStatus is the state of one source after a load.
type SourceStatus struct {
	Source    string    // Source.String()
	SHC       bool      // a SMART Health Card issuer's key set, not EU DCC trust material
	Remote    bool      // a URL
	FetchedAt time.Time // when the copy in use was fetched or read; zero when there is none
	FromCache bool      // the copy in use is an earlier one, because the source failed now
	Error     string    // why the source could not be used now; "" when it was
}

// staleness reports, for the sources of EU DCC trust material (shc false)
// or of SMART Health Card key sets (shc true), whether one is stale at
// now, the age of the oldest copy and when that copy was fetched (zero
// when some source has none).
func (s Status) staleness(shc bool, now time.Time, grace time.Duration) (stale bool, age time.Duration, oldest time.Time) {
	for _, src := range s.Sources {
		if src.SHC != shc {
			continue
		}
		if src.FetchedAt.IsZero() {
			return true, 0, time.Time{}
		}
		if a := max(now.Sub(src.FetchedAt), 0); a >= age {
			age, oldest = a, src.FetchedAt
		}
	}
	return age > grace, age, oldest
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Loader) grace() time.Duration {
	if l.Grace > 0 {
		return l.Grace
	}
	return DefaultGrace
}

func (l *Loader) client() *http.Client {
	if l.HTTPClient != nil {
		return l.HTTPClient
	}
	return &http.Client{Timeout: FetchTimeout}
}

// Load reads every source — files from disk, URLs over the network, or
// their last good copy when they fail — and returns the EU DCC document
// signers and the SMART Health Card issuers' keys of all of them, and how
// fresh they are. The error joins each source that has no usable copy at
// all; what the other sources hold is returned with it, and such a source
// makes the status stale.
func (l *Loader) Load(ctx context.Context) (*cert.TrustList, *cert.JWKS, Status, error) {
	m, st, err := l.LoadAll(ctx)
	return m.Trust, m.JWKS, st, err
}

// Material is what a Loader loads: EU DCC document signers, SMART Health
// Card issuers' keys and the revoked certificates of signed revocation
// lists.
type Material struct {
	Trust   *cert.TrustList
	JWKS    *cert.JWKS
	Revoked *cert.RevocationList
}

// LoadAll is Load with the revocation lists among the sources as well.
func (l *Loader) LoadAll(ctx context.Context) (Material, Status, error) {
	now := l.now()
	trust, jwks := cert.NewTrustList(), cert.NewJWKS()
	m := Material{Trust: trust, JWKS: jwks, Revoked: cert.NewRevocationList()}
	st := Status{Sources: make([]SourceStatus, 0, len(l.Sources))}
	var errs []error
	for _, src := range l.Sources {
		ss := SourceStatus{Source: src.String(), SHC: src.Issuer != "", Remote: src.Remote()}
		e, fresh, err := l.loadSource(ctx, src, now)
		if err != nil {
			ss.Error = describe(err)
		}
		if e == nil {
			st.Sources = append(st.Sources, ss)
			errs = append(errs, &SourceError{Source: ss.Source, Err: err})
			continue
		}
		ss.FetchedAt, ss.FromCache = e.FetchedAt, !fresh
		if err := add(m, src, e.Data, l.TrustKey); err != nil {
			// The copy was checked when it was taken; this is a fault.
			ss.FetchedAt, ss.Error = time.Time{}, describe(err)
			errs = append(errs, &SourceError{Source: ss.Source, Err: err})
		}
		st.Sources = append(st.Sources, ss)
	}
	for _, shc := range []bool{false, true} {
		stale, age, _ := st.staleness(shc, now, l.grace())
		st.Stale = st.Stale || stale
		st.Age = max(st.Age, age)
	}
	return m, st, errors.Join(errs...)
}

// SourceError is the error of a source that has no usable copy.
type SourceError struct {
	Source string // Source.String()
	Err    error
}

// Error names the source and says what is wrong with it: the safe
// message of a *jaga.Error (a list that does not check out), else the
// error of the file system or the network.
func (e *SourceError) Error() string { return e.Source + ": " + describe(e.Err) }

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// describe says err for an operator: a *jaga.Error's safe message, else
// the error itself.
func describe(err error) string {
	var je *jaga.Error
	if errors.As(err, &je) {
		return je.Message
	}
	return err.Error()
}

// loadSource returns the copy of src to use and whether it was fetched or
// read now (fresh); err says why a fresh copy could not be had, also when
// an earlier copy is returned instead.
func (l *Loader) loadSource(ctx context.Context, src Source, now time.Time) (e *entry, fresh bool, err error) {
	var data []byte
	if src.Remote() {
		data, err = l.fetch(ctx, src.Location)
	} else {
		data, err = readFile(src.Location)
	}
	if err == nil {
		err = check(src, data, l.TrustKey)
	}
	key := cacheKey(src)
	if err == nil {
		e := entry{Source: src.String(), FetchedAt: now, Data: data}
		l.mu.Lock()
		if l.last == nil {
			l.last = map[string]entry{}
		}
		l.last[key] = e
		l.mu.Unlock()
		if src.Remote() && l.CacheDir != "" {
			if werr := l.writeCache(key, e); werr != nil {
				return &e, true, fmt.Errorf("cache: %w", werr)
			}
		}
		return &e, true, nil
	}
	// The source failed: take the newest earlier copy that still checks
	// out — the signature of a signed list is checked again, so a changed
	// cache file is refused like a changed download.
	l.mu.Lock()
	mem, ok := l.last[key]
	l.mu.Unlock()
	var best *entry
	if ok {
		best = &mem
	}
	if src.Remote() && l.CacheDir != "" {
		if disk, derr := l.readCache(key); derr == nil && (best == nil || disk.FetchedAt.After(best.FetchedAt)) {
			if check(src, disk.Data, l.TrustKey) == nil {
				best = disk
			}
		}
	}
	return best, false, err
}

// fetch gets a URL's body: status 200, at most MaxSize bytes.
func (l *Loader) fetch(ctx context.Context, loc string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/pkix-cert, application/x-pem-file, */*")
	res, err := l.client().Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // without the URL, whose query may hold a credential
		}
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch: status %d", res.StatusCode)
	}
	return readCapped(res.Body)
}

// readFile reads a file of at most MaxSize bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f)
}

func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxSize {
		return nil, jaga.Errorf(jaga.ETOOLARGE, "The trust material is larger than %d bytes.", MaxSize)
	}
	return data, nil
}

// check reports whether data is usable material of src: a key set for an
// issuer, else a signed trust list checked with key or signer
// certificates. Unsigned material must not come over plain HTTP from
// anywhere but this machine.
func check(src Source, data []byte, key *ecdsa.PublicKey) error {
	if src.Issuer == "" && cert.IsSignedRevocationList(data) {
		_, _, err := cert.ParseSignedRevocationList(bytes.TrimSpace(data), key)
		return err
	}
	if src.Issuer == "" && isSignedList(data) {
		_, err := cert.ParseSignedTrustList(bytes.TrimSpace(data), key)
		return err
	}
	if insecure(src.Location) {
		return jaga.Errorf(jaga.EINVALID, "Unsigned trust material must be fetched over https.")
	}
	if src.Issuer != "" {
		_, err := cert.ParseJWKS(src.Issuer, data)
		return err
	}
	_, err := cert.ParseCertificates(data)
	return err
}

// add adds the material of src in data to m.
func add(m Material, src Source, data []byte, key *ecdsa.PublicKey) error {
	if src.Issuer != "" {
		return m.JWKS.Add(src.Issuer, data)
	}
	if cert.IsSignedRevocationList(data) {
		rl, _, err := cert.ParseSignedRevocationList(bytes.TrimSpace(data), key)
		if err != nil {
			return err
		}
		m.Revoked.Merge(rl)
		return nil
	}
	trust := m.Trust
	t, err := cert.LoadTrustList(data, key)
	if err != nil {
		return err
	}
	for _, k := range t.Keys() {
		if err := trust.Add(k); err != nil {
			return err
		}
	}
	return nil
}

// isSignedList reports whether data looks like jaga's signed trust list
// (JSON) rather than certificates (PEM, DER or base64 DER).
func isSignedList(data []byte) bool {
	if len(data) > 0 && data[0] == 0x30 {
		return false // DER
	}
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// insecure reports whether loc is a plain-HTTP URL to another machine.
func insecure(loc string) bool {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// cacheKey names a source's copy in the cache.
func cacheKey(src Source) string {
	sum := sha256.Sum256([]byte(src.Issuer + "\n" + src.Location))
	return hex.EncodeToString(sum[:16])
}

// writeCache stores e atomically as CacheDir/<key>.json.
func (l *Loader) writeCache(key string, e entry) error {
	if err := os.MkdirAll(l.CacheDir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(l.CacheDir, key+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(l.CacheDir, key+".json")); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// readCache reads CacheDir/<key>.json.
func (l *Loader) readCache(key string) (*entry, error) {
	b, err := readFile(filepath.Join(l.CacheDir, key+".json"))
	if err != nil {
		return nil, err
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("cache %s: %w", key, err)
	}
	if e.FetchedAt.IsZero() || len(e.Data) == 0 {
		return nil, fmt.Errorf("cache %s: incomplete", key)
	}
	return &e, nil
}

// ParseTrustKey reads jaga's trust-list key: a PEM "PUBLIC KEY" block
// (SubjectPublicKeyInfo) or a "CERTIFICATE" holding it, ECDSA on P-256.
func ParseTrustKey(data []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust-list key is not PEM.")
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, jaga.Errorf(jaga.EINVALID, "The trust-list key cannot be parsed.")
		}
		pub = k
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, jaga.Errorf(jaga.EINVALID, "The trust-list key's certificate cannot be parsed.")
		}
		pub = c.PublicKey
	default:
		return nil, jaga.Errorf(jaga.EINVALID, "The trust-list key must be a PEM PUBLIC KEY or CERTIFICATE block.")
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, jaga.Errorf(jaga.EINVALID, "The trust-list key must be an ECDSA P-256 key.")
	}
	return k, nil
}
