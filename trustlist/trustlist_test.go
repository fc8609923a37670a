package trustlist

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
)

// fixture is a document signer, a certificate it issued, jaga's
// trust-list key and the signed list that holds the signer.
type fixture struct {
	issuedAt time.Time
	payload  string
	signer   *cert.KeyPair
	listKey  *ecdsa.PrivateKey
	signed   []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	dsc, err := cert.NewDSC(nil, "MY", "jaga test DSC", now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	is, err := cert.NewIssuer(dsc.Key, dsc.Certificate, "MY")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cert.NewUVCI("MY")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := is.Issue(cert.DCC{
		Name:        cert.PersonName{FamilyName: "Tan", FamilyNameStd: "TAN", GivenName: "Mei Ling", GivenNameStd: "MEI<LING"},
		DateOfBirth: "1990-01-31",
		Vaccinations: []cert.Vaccination{{
			Target: "840539006", Vaccine: "1119349007", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215",
			DoseNumber: 2, TotalDoses: 2, Date: now.Format("2006-01-02"), Country: "MY",
			Issuer: "Kementerian Kesihatan Malaysia", CertificateID: ci,
		}},
	}, now, now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	listKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tl := cert.NewTrustList()
	if err := tl.AddCertificate(dsc.Certificate, ""); err != nil {
		t.Fatal(err)
	}
	signed, err := cert.SignTrustList(tl, listKey, now)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{issuedAt: now, payload: payload, signer: dsc, listKey: listKey, signed: signed}
}

// trustServer serves one document at /trust.json until it is stopped or
// told to fail.
type trustServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	status int
	hits   int
}

func newTrustServer(t *testing.T, body []byte) *trustServer {
	ts := &trustServer{body: body, status: http.StatusOK}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.hits++
		if r.URL.Path != "/trust.json" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(ts.status)
		w.Write(ts.body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *trustServer) set(status int, body []byte) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.status, ts.body = status, body
}

// clock is a Loader.Now that a test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLoaderURL(t *testing.T) {
	f := newFixture(t)
	ts := newTrustServer(t, f.signed)
	clk := &clock{t: f.issuedAt.Add(time.Hour)}
	cacheDir := t.TempDir()
	l := &Loader{
		Sources:  []Source{{Location: ts.URL + "/trust.json?token=secret"}},
		CacheDir: cacheDir,
		Grace:    72 * time.Hour,
		TrustKey: &f.listKey.PublicKey,
		Now:      clk.Now,
	}
	ctx := context.Background()
	kid := cert.KIDOf(f.signer.Certificate.Raw)

	t.Run("fresh fetch", func(t *testing.T) {
		trust, _, st, err := l.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if trust.Len() != 1 || !bytes.Equal(trust.Keys()[0].KID, kid) {
			t.Fatalf("trust list has %d keys", trust.Len())
		}
		if st.Stale || st.Age != 0 || len(st.Sources) != 1 || st.Sources[0].FromCache || st.Sources[0].Error != "" {
			t.Fatalf("status %+v", st)
		}
		if strings.Contains(st.Sources[0].Source, "secret") {
			t.Errorf("status shows the URL's query: %s", st.Sources[0].Source)
		}
		files, _ := filepath.Glob(filepath.Join(cacheDir, "*.json"))
		if len(files) != 1 {
			t.Fatalf("cache holds %d files", len(files))
		}
		if b, _ := os.ReadFile(files[0]); bytes.Contains(b, []byte("secret")) {
			t.Error("cache file holds the URL's query")
		}
	})

	t.Run("cache used when the server is down", func(t *testing.T) {
		ts.set(http.StatusServiceUnavailable, nil)
		clk.Add(10 * time.Hour)
		// A new loader, as after a restart: only the disk cache remains.
		l2 := &Loader{Sources: l.Sources, CacheDir: cacheDir, Grace: l.Grace, TrustKey: l.TrustKey, Now: clk.Now}
		trust, _, st, err := l2.Load(ctx)
		if err != nil {
			t.Fatalf("Load with a cached copy: %v", err)
		}
		if trust.Len() != 1 || st.Stale || st.Age != 10*time.Hour || !st.Sources[0].FromCache || !strings.Contains(st.Sources[0].Error, "503") {
			t.Fatalf("trust %d keys, status %+v", trust.Len(), st)
		}
		v := NewVerifier(l2)
		v.Refresh(ctx)
		if r, _ := v.Verify(ctx, f.payload, time.Time{}); !r.Valid {
			t.Fatalf("verify within grace: %+v", r)
		}
	})

	t.Run("stale after grace", func(t *testing.T) {
		clk.Add(63 * time.Hour) // 73 hours since the last good fetch
		_, _, st, err := l.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Stale || st.Age != 73*time.Hour {
			t.Fatalf("status %+v", st)
		}
		v := NewVerifier(l)
		v.Refresh(ctx)
		r, err := v.Verify(ctx, f.payload, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Valid || r.Problem != jaga.VerifyTrustStale || r.Step != cert.StepTrust ||
			r.Reason != "the trust list is stale (last refreshed 73 hours ago)" || r.Certificate != nil ||
			!r.TrustRefreshedAt.Equal(f.issuedAt.Add(time.Hour)) {
			t.Fatalf("verify with a stale list: %+v", r)
		}
		// Malformed input is malformed, stale list or not.
		if r, _ := v.Verify(ctx, "HC2:xyz", time.Time{}); r.Problem != jaga.VerifyMalformed || r.Step != cert.StepPrefix {
			t.Fatalf("malformed with a stale list: %+v", r)
		}
		// Back online: fresh again.
		ts.set(http.StatusOK, f.signed)
		if _, err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if r, _ := v.Verify(ctx, f.payload, time.Time{}); !r.Valid {
			t.Fatalf("verify after refresh: %+v", r)
		}
	})

	t.Run("staleness grows without a refresh", func(t *testing.T) {
		v := NewVerifier(l)
		v.Refresh(ctx)
		ts.set(http.StatusServiceUnavailable, nil)
		clk.Add(80 * time.Hour)
		if r, _ := v.Verify(ctx, f.payload, time.Time{}); r.Problem != jaga.VerifyTrustStale {
			t.Fatalf("verify 80 hours after the last refresh: %+v", r)
		}
	})
}

func TestLoaderRefusesTamperedList(t *testing.T) {
	f := newFixture(t)
	// Another signer slipped into the document, the signature unchanged.
	var env map[string]string
	if err := json.Unmarshal(f.signed, &env); err != nil {
		t.Fatal(err)
	}
	doc, _ := base64.StdEncoding.DecodeString(env["trustList"])
	evil, err := cert.NewDSC(nil, "MY", "evil", f.issuedAt.Add(-time.Hour), f.issuedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(doc, []byte(`"keys":[`), []byte(`"keys":[{"kid":"`+base64.StdEncoding.EncodeToString(cert.KIDOf(evil.Certificate.Raw))+
		`","country":"MY","certificate":"`+base64.StdEncoding.EncodeToString(evil.Certificate.Raw)+`"},`), 1)
	if bytes.Equal(tampered, doc) {
		t.Fatal("the test did not change the document")
	}
	env["trustList"] = base64.StdEncoding.EncodeToString(tampered)
	tamperedList, _ := json.Marshal(env)

	ctx := context.Background()
	clk := &clock{t: f.issuedAt}

	t.Run("no earlier copy", func(t *testing.T) {
		ts := newTrustServer(t, tamperedList)
		cacheDir := t.TempDir()
		l := &Loader{Sources: []Source{{Location: ts.URL + "/trust.json"}}, CacheDir: cacheDir, TrustKey: &f.listKey.PublicKey, Now: clk.Now}
		trust, _, st, err := l.Load(ctx)
		if err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("Load of a tampered list: %v", err)
		}
		if trust.Len() != 0 || !st.Stale {
			t.Fatalf("tampered list used: %d keys, status %+v", trust.Len(), st)
		}
		if files, _ := filepath.Glob(filepath.Join(cacheDir, "*")); len(files) != 0 {
			t.Fatalf("tampered list cached: %v", files)
		}
		v := NewVerifier(l)
		v.Refresh(ctx)
		if r, _ := v.Verify(ctx, f.payload, time.Time{}); r.Valid || r.Problem != jaga.VerifyTrustStale ||
			!strings.Contains(r.Reason, "could not be loaded") {
			t.Fatalf("verify with no usable list: %+v", r)
		}
	})

	t.Run("earlier copy kept", func(t *testing.T) {
		ts := newTrustServer(t, f.signed)
		cacheDir := t.TempDir()
		l := &Loader{Sources: []Source{{Location: ts.URL + "/trust.json"}}, CacheDir: cacheDir, TrustKey: &f.listKey.PublicKey, Now: clk.Now}
		if _, _, _, err := l.Load(ctx); err != nil {
			t.Fatal(err)
		}
		ts.set(http.StatusOK, tamperedList)
		trust, _, st, err := l.Load(ctx)
		if err != nil {
			t.Fatalf("Load with a good earlier copy: %v", err)
		}
		if trust.Len() != 1 || !st.Sources[0].FromCache || !strings.Contains(st.Sources[0].Error, "signature") {
			t.Fatalf("trust %d keys, status %+v", trust.Len(), st)
		}
	})

	t.Run("tampered cache file", func(t *testing.T) {
		ts := newTrustServer(t, f.signed)
		cacheDir := t.TempDir()
		src := Source{Location: ts.URL + "/trust.json"}
		l := &Loader{Sources: []Source{src}, CacheDir: cacheDir, TrustKey: &f.listKey.PublicKey, Now: clk.Now}
		if _, _, _, err := l.Load(ctx); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(cacheDir, cacheKey(src)+".json")
		var e entry
		b, _ := os.ReadFile(name)
		json.Unmarshal(b, &e)
		e.Data = tamperedList
		b, _ = json.Marshal(e)
		os.WriteFile(name, b, 0o600)
		ts.set(http.StatusNotFound, nil)
		fresh := &Loader{Sources: l.Sources, CacheDir: cacheDir, TrustKey: l.TrustKey, Now: clk.Now}
		if trust, _, _, err := fresh.Load(ctx); err == nil || trust.Len() != 0 {
			t.Fatalf("tampered cache used: %d keys, err %v", trust.Len(), err)
		}
	})
}

func TestLoaderSources(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "dsc.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.signer.Certificate.Raw}), 0o600)
	derFile := filepath.Join(dir, "dsc.der")
	os.WriteFile(derFile, f.signer.Certificate.Raw, 0o600)
	signedFile := filepath.Join(dir, "trust.json")
	os.WriteFile(signedFile, f.signed, 0o600)
	jwks, err := cert.MarshalJWKS(&f.listKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwksFile, jwks, 0o600)
	textFile := filepath.Join(dir, "notes.txt")
	os.WriteFile(textFile, []byte("not a certificate"), 0o600)
	ctx := context.Background()

	tests := []struct {
		name      string
		sources   []Source
		key       *ecdsa.PublicKey
		keys, shc int
		wantErr   string
	}{
		{"PEM certificate", []Source{{Location: pemFile}}, nil, 1, 0, ""},
		{"DER certificate", []Source{{Location: derFile}}, nil, 1, 0, ""},
		{"signed list", []Source{{Location: signedFile}}, &f.listKey.PublicKey, 1, 0, ""},
		{"signed list without the key", []Source{{Location: signedFile}}, nil, 0, 0, "needs the trust-list key"},
		{"signed list, another key", []Source{{Location: signedFile}}, &f.signer.Key.PublicKey, 0, 0, "signature does not match"},
		{"key set", []Source{{Location: jwksFile, Issuer: "https://issuer.example"}}, nil, 0, 1, ""},
		{"all of them", []Source{{Location: pemFile}, {Location: signedFile}, {Location: jwksFile, Issuer: "https://issuer.example"}}, &f.listKey.PublicKey, 2, 1, ""},
		{"missing file", []Source{{Location: filepath.Join(dir, "nope.pem")}, {Location: pemFile}}, nil, 1, 0, "no such file"},
		{"not trust material", []Source{{Location: textFile}}, nil, 0, 0, "neither PEM, DER nor base64"},
		{"a key set as a trust list", []Source{{Location: jwksFile}}, nil, 0, 0, "needs the trust-list key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Loader{Sources: tt.sources, TrustKey: tt.key}
			trust, keys, st, err := l.Load(ctx)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if trust.Len() != tt.keys || keys.Len() != tt.shc {
				t.Fatalf("%d signer keys and %d issuer keys, want %d and %d", trust.Len(), keys.Len(), tt.keys, tt.shc)
			}
			if st.Stale != (tt.wantErr != "") {
				t.Fatalf("status %+v", st)
			}
		})
	}

	t.Run("unsigned material over plain http", func(t *testing.T) {
		if !insecure("http://trust.example/dsc.pem") || insecure("https://trust.example/dsc.pem") || insecure("http://127.0.0.1:8080/x") || insecure("http://localhost/x") {
			t.Fatal("insecure() is wrong")
		}
		err := check(Source{Location: "http://trust.example/dsc.pem"}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.signer.Certificate.Raw}), nil)
		if err == nil || !strings.Contains(err.Error(), "https") {
			t.Fatalf("unsigned certificate over http: %v", err)
		}
		if err := check(Source{Location: "http://trust.example/trust.json"}, f.signed, &f.listKey.PublicKey); err != nil {
			t.Fatalf("signed list over http: %v", err)
		}
	})
}

func TestParseJWKSSource(t *testing.T) {
	s, err := ParseJWKSSource("https://spec.smarthealth.cards/examples/issuer=testdata/jwks.json")
	if err != nil || s.Issuer != "https://spec.smarthealth.cards/examples/issuer" || s.Location != "testdata/jwks.json" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "jwks.json", "=jwks.json", "https://issuer="} {
		if _, err := ParseJWKSSource(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseTrustKey(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	got, err := ParseTrustKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil || !got.Equal(&k.PublicKey) {
		t.Fatalf("%v", err)
	}
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKIXPublicKey(&k384.PublicKey)
	for name, data := range map[string][]byte{
		"not PEM":  []byte("hello"),
		"P-384":    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der384}),
		"private":  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}),
		"garbage":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}),
		"bad cert": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}),
	} {
		if _, err := ParseTrustKey(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestResultProblems(t *testing.T) {
	f := newFixture(t)
	tl := cert.NewTrustList()
	tl.AddCertificate(f.signer.Certificate, "")
	rl := cert.NewRevocationList()
	tests := []struct {
		name    string
		payload string
		opts    cert.VerifyOptions
		problem string
	}{
		{"valid", f.payload, cert.VerifyOptions{Trust: tl}, ""},
		{"wrong prefix", "HC2:" + f.payload[4:], cert.VerifyOptions{Trust: tl}, jaga.VerifyMalformed},
		{"unknown key", f.payload, cert.VerifyOptions{}, jaga.VerifyUnknownKey},
		{"expired", f.payload, cert.VerifyOptions{Trust: tl, At: f.issuedAt.Add(40 * 24 * time.Hour)}, jaga.VerifyExpired},
		{"signer's key expired", f.payload, cert.VerifyOptions{Trust: tl, At: f.issuedAt.Add(400 * 24 * time.Hour)}, jaga.VerifyKeyNotValid},
		{"not yet valid", f.payload, cert.VerifyOptions{Trust: tl, At: f.issuedAt.Add(-time.Hour)}, jaga.VerifyNotYetValid},
		{"revoked", f.payload, cert.VerifyOptions{Trust: tl, Revoked: rl}, jaga.VerifyRevoked},
	}
	h, err := cert.DecodeHC1(f.payload, f.issuedAt)
	if err != nil {
		t.Fatal(err)
	}
	rl.AddUCI("", h.DCC.CertificateID())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result(cert.Verify(tt.payload, tt.opts))
			if r.Problem != tt.problem || r.Valid != (tt.problem == "") {
				t.Fatalf("%+v", r)
			}
			if tt.problem == "" {
				c := r.Certificate
				if c == nil || c.FamilyName != "Tan" || c.DateOfBirth != "1990-01-31" || len(c.Entries) != 1 || c.Entries[0].DoseNumber != 2 {
					t.Fatalf("certificate %+v", c)
				}
				b, _ := json.Marshal(r)
				if bytes.Contains(b, []byte("URN:UVCI")) || bytes.Contains(b, []byte(h.DCC.CertificateID())) {
					t.Errorf("the result shows the certificate identifier: %s", b)
				}
			}
		})
	}
	if got := problemOf(cert.StepSignature, "the signature does not match the signed content"); got != jaga.VerifyBadSignature {
		t.Errorf("signature: %s", got)
	}
}

func TestVerifierRun(t *testing.T) {
	f := newFixture(t)
	ts := newTrustServer(t, nil)
	ts.set(http.StatusServiceUnavailable, nil)
	l := &Loader{Sources: []Source{{Location: ts.URL + "/trust.json"}}, TrustKey: &f.listKey.PublicKey}
	v := NewVerifier(l)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := v.Refresh(ctx)
	if err == nil || !st.Stale {
		t.Fatalf("first load with the server down: %v %+v", err, st)
	}
	if r, _ := v.Verify(ctx, f.payload, time.Time{}); r.Problem != jaga.VerifyTrustStale {
		t.Fatalf("before any copy: %+v", r)
	}
	done := make(chan struct{})
	go func() {
		v.Run(ctx, 20*time.Millisecond, true, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	ts.set(http.StatusOK, f.signed)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r, _ := v.Verify(ctx, f.payload, time.Time{}); r.Valid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not load the list once the server answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
