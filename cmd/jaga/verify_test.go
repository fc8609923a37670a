package main

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
	"image"
	"image/color"
	"image/png"
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

// verifyRun runs `jaga verify args...` in-process with stdin and the
// environment env, and returns what it printed and its exit status.
func verifyRun(t *testing.T, stdin string, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "JAGA_TRUST_CACHE" && env[k] == "" {
			return t.TempDir() // never the user's own cache
		}
		return env[k]
	}
	err := run(context.Background(), append([]string{"jaga", "verify"}, args...), getenv, strings.NewReader(stdin), &out, &errb)
	if err != nil && err.Error() != "" {
		errb.WriteString("jaga: " + err.Error() + "\n") // as main prints it
	}
	return out.String(), errb.String(), exitCode(err)
}

// dgcVector is the part of a dgc-testdata vector that jaga verify needs.
type dgcVector struct {
	PREFIX   string `json:"PREFIX"`
	TwoDCode string `json:"2DCODE"`
	TESTCTX  struct {
		CERTIFICATE     string `json:"CERTIFICATE"`
		VALIDATIONCLOCK string `json:"VALIDATIONCLOCK"`
	} `json:"TESTCTX"`
	EXPECTEDRESULTS map[string]bool `json:"EXPECTEDRESULTS"`
}

// vector reads a dgc-testdata vector and writes its payload and signer
// certificate to files.
func vector(t *testing.T, name string) (v dgcVector, payloadFile, certFile string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cert", "testdata", "dgc-testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	payloadFile, certFile = filepath.Join(dir, "payload.txt"), filepath.Join(dir, "signer.b64")
	writeFile(t, payloadFile, []byte(v.PREFIX))
	writeFile(t, certFile, []byte(v.TESTCTX.CERTIFICATE))
	return v, payloadFile, certFile
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDGCVectors(t *testing.T) {
	de, dePayload, deCert := vector(t, "DE/2DCode/raw/1.json")
	if !de.EXPECTEDRESULTS["EXPECTEDVERIFY"] {
		t.Fatal("DE/1 is not a valid vector")
	}
	clock := de.TESTCTX.VALIDATIONCLOCK

	t.Run("valid vaccination", func(t *testing.T) {
		out, errOut, code := verifyRun(t, "", nil, "--trust", deCert, "--at", clock, dePayload)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		want := []string{"VALID\n", "EU Digital COVID Certificate, issued by DE", "Name: Erika Mustermann (MUSTERMANN<<ERIKA)",
			"Date of birth: 1964-08-12", "Vaccination: dose 2 of 2, 2021-05-29, COVID-19 Vaccine Moderna"}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
		if !strings.HasPrefix(out, "VALID\n") {
			t.Errorf("output does not start with VALID:\n%s", out)
		}
		// Never more than a verifier needs.
		for _, no := range []string{"URN:UVCI", "Robert Koch", "ORG-100031184"} {
			if strings.Contains(out, no) {
				t.Errorf("output shows %q:\n%s", no, out)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		out, _, code := verifyRun(t, "", nil, "--trust", deCert, "--at", clock, "--json", dePayload)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		var r jaga.VerifyResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !r.Valid || r.Kind != "eu-dcc" || r.Issuer != "DE" || r.KID == "" || r.IssuedAt.IsZero() || r.ExpiresAt.IsZero() ||
			r.Certificate == nil || r.Certificate.DateOfBirth != "1964-08-12" || len(r.Certificate.Entries) != 1 {
			t.Fatalf("%+v", r)
		}
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		for _, k := range []string{"valid", "reason", "kind", "issuer", "kid", "issuedAt", "expiresAt", "certificate"} {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if strings.Contains(out, "URN:UVCI") {
			t.Error("JSON shows the certificate identifier")
		}
	})

	t.Run("QR code image", func(t *testing.T) {
		png, err := base64.StdEncoding.DecodeString(de.TwoDCode)
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(t.TempDir(), "qr.png")
		writeFile(t, img, png)
		text, err := decodeQR(png)
		if err != nil || text != de.PREFIX {
			t.Fatalf("QR text differs from PREFIX: %v", err)
		}
		out, _, code := verifyRun(t, "", nil, "--trust", deCert, "--at", clock, img)
		if code != 0 || !strings.HasPrefix(out, "VALID\n") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		for _, args := range [][]string{{"-"}, {}} {
			out, _, code := verifyRun(t, de.PREFIX+"\n", nil, append([]string{"--trust", deCert, "--at", clock}, args...)...)
			if code != 0 || !strings.HasPrefix(out, "VALID\n") {
				t.Fatalf("%v: exit %d\n%s", args, code, out)
			}
		}
	})

	t.Run("trust from the environment", func(t *testing.T) {
		out, _, code := verifyRun(t, "", map[string]string{"JAGA_TRUST": deCert}, "--at", clock, dePayload)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("not valid", func(t *testing.T) {
		tests := []struct {
			vector, expected, step, reason string
		}{
			{"common/2DCode/raw/CO5.json", "EXPECTEDVERIFY", "signature", "signature"},
			{"common/2DCode/raw/CBO2.json", "EXPECTEDVERIFY", "cose", "COSE_Sign1"},
			{"common/2DCode/raw/CO22.json", "EXPECTEDVERIFY", "trust", "unknown key"},
			{"common/2DCode/raw/CO17.json", "EXPECTEDEXPIRATIONCHECK", "trust", "not valid at the time of the check"},
		}
		for _, tt := range tests {
			t.Run(tt.vector, func(t *testing.T) {
				v, payload, signer := vector(t, tt.vector)
				if want, ok := v.EXPECTEDRESULTS[tt.expected]; !ok || want {
					t.Fatalf("the vector does not expect %s false", tt.expected)
				}
				out, _, code := verifyRun(t, "", nil, "--trust", signer, "--at", v.TESTCTX.VALIDATIONCLOCK, payload)
				if code != 1 || !strings.HasPrefix(out, "NOT VALID: ") || !strings.Contains(out, "(step "+tt.step+")") || !strings.Contains(out, tt.reason) {
					t.Fatalf("exit %d\n%s", code, out)
				}
			})
		}
	})

	t.Run("expired", func(t *testing.T) {
		// The DE vector checked a year after its expiry, with a trust list
		// that knows its signer without limits of validity.
		out, _, code := verifyRun(t, "", nil, "--trust", deCert, "--at", "2023-06-01T00:00:00Z", "--json", dePayload)
		var r jaga.VerifyResult
		json.Unmarshal([]byte(out), &r)
		if code != 1 || r.Valid || r.Step == "" || r.Reason == "" {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("malformed", func(t *testing.T) {
		tests := []struct{ name, payload, step string }{
			{"wrong prefix", "HC2:" + strings.TrimPrefix(de.PREFIX, "HC1:"), "prefix"},
			{"not a certificate", "hello", "prefix"},
			{"broken base45", "HC1:" + strings.Repeat("%", 10) + "{}", "base45"},
			{"truncated zlib", de.PREFIX[:4+(len(de.PREFIX)-4)/2/3*3], "zlib"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, _, code := verifyRun(t, tt.payload, nil, "--trust", deCert, "--at", clock)
				if code != 1 || !strings.HasPrefix(out, "NOT VALID: ") || !strings.Contains(out, "(step "+tt.step+")") {
					t.Fatalf("exit %d\n%s", code, out)
				}
			})
		}
	})

	t.Run("no trust: unknown key", func(t *testing.T) {
		out, _, code := verifyRun(t, "", nil, "--at", clock, dePayload)
		if code != 1 || !strings.Contains(out, "NOT VALID: unknown key") || !strings.Contains(out, "(step trust)") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("bad usage and unreadable input", func(t *testing.T) {
		noQR := filepath.Join(t.TempDir(), "blank.png")
		var buf bytes.Buffer
		blank := image.NewGray(image.Rect(0, 0, 64, 64))
		for i := range blank.Pix {
			blank.Pix[i] = 0xff
		}
		blank.Set(10, 10, color.Black)
		png.Encode(&buf, blank)
		writeFile(t, noQR, buf.Bytes())
		tests := []struct {
			name  string
			stdin string
			args  []string
			want  string
		}{
			{"bad time", "", []string{"--at", "yesterday", dePayload}, "RFC 3339"},
			{"two files", "", []string{dePayload, dePayload}, "one FILE"},
			{"missing file", "", []string{filepath.Join(t.TempDir(), "nope.txt")}, "no such file"},
			{"empty stdin", "", []string{"-"}, "empty"},
			{"unknown flag", "", []string{"--nope"}, ""},
			{"image without a QR code", "", []string{noQR}, "no QR code"},
			{"missing trust file", "", []string{"--trust", filepath.Join(t.TempDir(), "nope.pem"), dePayload}, "trust"},
			{"bad key set", "", []string{"--jwks", "jwks.json", dePayload}, "ISSUER="},
			{"missing trust key", "", []string{"--trust-key", filepath.Join(t.TempDir(), "nope.pem"), dePayload}, "trust-key"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, errOut, code := verifyRun(t, tt.stdin, nil, tt.args...)
				if code != 2 || !strings.Contains(errOut, tt.want) {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
				}
			})
		}
	})

	t.Run("help", func(t *testing.T) {
		_, errOut, code := verifyRun(t, "", nil, "-h")
		if code != 0 || !strings.Contains(errOut, "jaga verify [--trust FILE|URL ...]") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
	})
}

func TestVerifySMARTHealthCards(t *testing.T) {
	dir := filepath.Join("..", "..", "cert", "testdata", "shc")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	jwks := filepath.Join(dir, "jwks.json")
	keySets := []string{
		"--jwks", "https://smarthealth.cards/examples/issuer=" + jwks,
		"--jwks", "https://spec.smarthealth.cards/examples/issuer=" + jwks,
	}
	// The examples were issued in 2021: verify as of a day after.
	at := func(jws string) string {
		s, err := cert.DecodeSHC(jws)
		if err != nil {
			t.Fatal(err)
		}
		return s.NotBefore.Add(24 * time.Hour).Format(time.RFC3339)
	}

	t.Run("example 00, one QR code", func(t *testing.T) {
		f := filepath.Join(dir, "example-00-f-qr-code-numeric-value-0.txt")
		out, errOut, code := verifyRun(t, "", nil, append(keySets, "--at", at(read("example-00-d-jws.txt")), f)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		for _, w := range []string{"VALID\n", "SMART Health Card, issued by https://smarthealth.cards/examples/issuer", "Anyperson", "Date of birth: 1951-01-20", "Vaccination: "} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})

	t.Run("example 02, three chunks on stdin", func(t *testing.T) {
		chunks := read("example-02-f-qr-code-numeric-value-0.txt") + "\n" + read("example-02-f-qr-code-numeric-value-1.txt") + "\n" + read("example-02-f-qr-code-numeric-value-2.txt")
		out, _, code := verifyRun(t, chunks, nil, append(keySets, "--at", at(read("example-02-d-jws.txt")), "--json")...)
		if code != 0 || !strings.Contains(out, `"kind": "shc"`) {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("no key set: unknown key", func(t *testing.T) {
		f := filepath.Join(dir, "example-00-f-qr-code-numeric-value-0.txt")
		out, _, code := verifyRun(t, "", nil, "--at", at(read("example-00-d-jws.txt")), f)
		if code != 1 || !strings.Contains(out, "NOT VALID: unknown key") || !strings.Contains(out, "(step trust)") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("another issuer's key set", func(t *testing.T) {
		f := filepath.Join(dir, "example-00-f-qr-code-numeric-value-0.txt")
		out, _, code := verifyRun(t, "", nil, "--jwks", "https://other.example/issuer="+jwks, "--at", at(read("example-00-d-jws.txt")), f)
		if code != 1 || !strings.Contains(out, "unknown key") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
}

// signedTrust is a document signer, a certificate it issued, and jaga's
// signed trust list holding the signer, with the list's public key in PEM.
type signedTrust struct {
	payload string
	list    []byte
	keyPEM  []byte
}

func newSignedTrust(t *testing.T) *signedTrust {
	t.Helper()
	now := time.Now().UTC()
	dsc, err := cert.NewDSC(nil, "MY", "jaga test DSC", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	is, err := cert.NewIssuer(dsc.Key, dsc.Certificate, "MY")
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := cert.NewUVCI("MY")
	payload, err := is.Issue(cert.DCC{
		Name:        cert.PersonName{FamilyName: "Tan", FamilyNameStd: "TAN", GivenName: "Mei Ling", GivenNameStd: "MEI<LING"},
		DateOfBirth: "1990-01-31",
		Vaccinations: []cert.Vaccination{{Target: "840539006", Vaccine: "1119349007", Product: "EU/1/20/1528", Manufacturer: "ORG-100030215",
			DoseNumber: 1, TotalDoses: 2, Date: now.Format("2006-01-02"), Country: "MY", Issuer: "KKM", CertificateID: ci}},
	}, now.Add(-time.Minute), now.Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	listKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tl := cert.NewTrustList()
	tl.AddCertificate(dsc.Certificate, "")
	list, err := cert.SignTrustList(tl, listKey, now)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&listKey.PublicKey)
	return &signedTrust{payload: payload, list: list, keyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

func TestVerifySignedTrustList(t *testing.T) {
	st := newSignedTrust(t)
	dir := t.TempDir()
	list, key, payload := filepath.Join(dir, "trust.json"), filepath.Join(dir, "trust-key.pem"), filepath.Join(dir, "cert.txt")
	writeFile(t, list, st.list)
	writeFile(t, key, st.keyPEM)
	writeFile(t, payload, []byte(st.payload))

	out, errOut, code := verifyRun(t, "", nil, "--trust", list, "--trust-key", key, payload)
	if code != 0 || !strings.Contains(out, "Vaccination: dose 1 of 2") || !strings.Contains(out, "issued by MY") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	other := newSignedTrust(t)
	otherKey := filepath.Join(dir, "other-key.pem")
	writeFile(t, otherKey, other.keyPEM)
	if _, errOut, code := verifyRun(t, "", nil, "--trust", list, "--trust-key", otherKey, payload); code != 2 || !strings.Contains(errOut, "signature") {
		t.Fatalf("another trust-list key: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := verifyRun(t, "", nil, "--trust", list, payload); code != 2 || !strings.Contains(errOut, "trust-list key") {
		t.Fatalf("no trust-list key: exit %d\n%s", code, errOut)
	}

	t.Run("from a URL, then offline from the cache", func(t *testing.T) {
		var mu sync.Mutex
		up := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if !up {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			w.Write(st.list)
		}))
		defer srv.Close()
		env := map[string]string{"JAGA_TRUST_CACHE": t.TempDir(), "JAGA_TRUST_KEY": key}
		if out, errOut, code := verifyRun(t, st.payload, env, "--trust", srv.URL+"/trust.json"); code != 0 {
			t.Fatalf("online: exit %d\n%s%s", code, out, errOut)
		}
		mu.Lock()
		up = false
		mu.Unlock()
		if out, errOut, code := verifyRun(t, st.payload, env, "--trust", srv.URL+"/trust.json"); code != 0 {
			t.Fatalf("offline with a cached copy: exit %d\n%s%s", code, out, errOut)
		}
		env["JAGA_TRUST_CACHE"] = t.TempDir()
		if _, errOut, code := verifyRun(t, st.payload, env, "--trust", srv.URL+"/trust.json"); code != 2 || !strings.Contains(errOut, "503") {
			t.Fatalf("offline without a cached copy: exit %d\n%s", code, errOut)
		}
	})
}

// TestServeVerify verifies through the API of a running jaga: with the
// trust given on the command line, and with none.
func TestServeVerify(t *testing.T) {
	de, _, deCert := vector(t, "DE/2DCode/raw/1.json")
	type result struct {
		Valid   bool   `json:"valid"`
		Problem string `json:"problem"`
		Step    string `json:"step"`
		Reason  string `json:"reason"`
	}

	s := startServer(t, filepath.Join(t.TempDir(), "jaga.db"), "--trust", deCert)
	var r result
	status, _ := call(t, "POST", s.url+"/api/v1/verify", "", map[string]string{"payload": de.PREFIX, "at": de.TESTCTX.VALIDATIONCLOCK}, &r)
	if status != http.StatusOK || !r.Valid {
		t.Fatalf("%d %+v", status, r)
	}
	status, _ = call(t, "POST", s.url+"/api/v1/verify", "", map[string]string{"payload": "HC1:%%%"}, &r)
	if status != http.StatusOK || r.Valid || r.Step != "base45" || r.Problem != jaga.VerifyMalformed {
		t.Fatalf("%d %+v", status, r)
	}
	var e apiError
	if status, _ := call(t, "POST", s.url+"/api/v1/verify", "", `{"payload": 1}`, &e); status != http.StatusBadRequest || e.Error.Code != jaga.EINVALID {
		t.Fatalf("%d %+v", status, e)
	}

	none := startServer(t, filepath.Join(t.TempDir(), "jaga.db"))
	status, _ = call(t, "POST", none.url+"/api/v1/verify", "", map[string]string{"payload": de.PREFIX, "at": de.TESTCTX.VALIDATIONCLOCK}, &r)
	if status != http.StatusOK || r.Valid || r.Problem != jaga.VerifyUnknownKey || !strings.HasPrefix(r.Reason, "unknown key") {
		t.Fatalf("%d %+v", status, r)
	}

	var out, errb bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"JAGA_DB": filepath.Join(t.TempDir(), "jaga.db"), "JAGA_TRUST": "https://user:pw@trust.example/list.json?token=secret"}[k]
	}
	if err := run(context.Background(), []string{"jaga", "serve", "--print-config", "--trust-grace", "24h"}, getenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "trust=https://trust.example/list.json\n") || !strings.Contains(out.String(), "trust-grace=24h0m0s") ||
		strings.Contains(out.String(), "secret") || strings.Contains(out.String(), "pw") {
		t.Fatalf("print-config:\n%s", out.String())
	}
}
