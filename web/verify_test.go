package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// fakeVerifier answers each payload with a fixed result; web never sees
// how certificates are verified, only the answer.
type fakeVerifier struct {
	mu       sync.Mutex
	results  map[string]*jaga.VerifyResult
	payloads []string
	ats      []time.Time
}

func (f *fakeVerifier) Verify(ctx context.Context, payload string, at time.Time) (*jaga.VerifyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payloads, f.ats = append(f.payloads, payload), append(f.ats, at)
	if r, ok := f.results[payload]; ok {
		return r, nil
	}
	return &jaga.VerifyResult{Problem: jaga.VerifyMalformed, Step: "prefix", Reason: `payload does not start with "HC1:"`}, nil
}

func (f *fakeVerifier) last() (string, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.payloads) == 0 {
		return "", time.Time{}
	}
	return f.payloads[len(f.payloads)-1], f.ats[len(f.ats)-1]
}

var (
	validCert = &jaga.VerifyResult{
		Valid: true, Reason: "valid", Kind: "eu-dcc", Issuer: "DE", KID: "DEsVUSvpFAE=",
		IssuedAt: time.Date(2021, 5, 29, 19, 21, 13, 0, time.UTC), ExpiresAt: time.Date(2022, 1, 28, 7, 47, 53, 0, time.UTC),
		Certificate: &jaga.VerifiedCertificate{
			FamilyName: "Mustermann", GivenName: "Erika", FamilyNameStd: "MUSTERMANN", GivenNameStd: "ERIKA", DateOfBirth: "1964-08-12",
			Entries: []jaga.VerifiedEntry{
				{Type: "vaccination", Product: "EU/1/20/1507", ProductName: "COVID-19 Vaccine Moderna", DoseNumber: 2, TotalDoses: 2, Date: "2021-05-29", Country: "DE", Issuer: "Robert Koch-Institut"},
				{Type: "test", TestType: "LP6464-4", TestResult: "260415000", Date: "2021-05-30T10:12:22Z"},
			},
		},
	}
	expiredCert = &jaga.VerifyResult{
		Problem: jaga.VerifyExpired, Step: "time", Reason: "the certificate expired at 2022-01-28T07:47:53Z", Kind: "eu-dcc", Issuer: "DE",
		ExpiresAt:   time.Date(2022, 1, 28, 7, 47, 53, 0, time.UTC),
		Certificate: validCert.Certificate,
	}
	unknownKeyCert = &jaga.VerifyResult{Problem: jaga.VerifyUnknownKey, Step: "trust", Reason: "unknown key: no trusted document signer has key id DEsVUSvpFAE=", Kind: "eu-dcc", Issuer: "DE"}
	staleCert      = &jaga.VerifyResult{Problem: jaga.VerifyTrustStale, Step: "trust", Reason: "the trust list is stale (last refreshed 80 hours ago)", Kind: "eu-dcc",
		TrustRefreshedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}
)

// newVerifyEnv is the test server with fake as its certificate verifier.
func newVerifyEnv(t *testing.T, fake jaga.CertificateVerifier) *testEnv {
	t.Helper()
	e := newTestEnv(t, Options{})
	svc := e.svc
	svc.Verifier = fake
	srv, err := NewServer(svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.svc, e.server, e.http = svc, srv, hs
	return e
}

func newFake() *fakeVerifier {
	return &fakeVerifier{results: map[string]*jaga.VerifyResult{
		"HC1:VALID": validCert, "HC1:EXPIRED": expiredCert, "HC1:UNKNOWN": unknownKeyCert, "HC1:STALE": staleCert,
	}}
}

// postJSON posts body to the API anonymously and returns the status and
// the raw answer.
func postJSON(t *testing.T, u, contentType string, body []byte) (int, []byte) {
	t.Helper()
	res, err := http.Post(u, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

func TestVerifyAPI(t *testing.T) {
	fake := newFake()
	e := newVerifyEnv(t, fake)
	u := e.http.URL + "/api/v1/verify"

	t.Run("results, valid or not, are 200", func(t *testing.T) {
		for payload, want := range fake.results {
			status, raw := postJSON(t, u, "application/json", []byte(`{"payload": "`+payload+`"}`))
			if status != http.StatusOK {
				t.Fatalf("%s: status %d: %s", payload, status, raw)
			}
			var got jaga.VerifyResult
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Valid != want.Valid || got.Problem != want.Problem || got.Step != want.Step || got.Reason != want.Reason {
				t.Errorf("%s: %+v", payload, got)
			}
		}
		// Malformed input is an answer too.
		status, raw := postJSON(t, u, "application/json", []byte(`{"payload": "HC2:xyz"}`))
		if status != http.StatusOK || !bytes.Contains(raw, []byte(`"step":"prefix"`)) || !bytes.Contains(raw, []byte(`"valid":false`)) {
			t.Fatalf("malformed: %d %s", status, raw)
		}
	})

	t.Run("the shape of a valid result", func(t *testing.T) {
		_, raw := postJSON(t, u, "application/json", []byte(`{"payload": "HC1:VALID"}`))
		var m map[string]any
		json.Unmarshal(raw, &m)
		for _, k := range []string{"valid", "reason", "kind", "issuer", "kid", "issuedAt", "expiresAt", "certificate"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %q in %s", k, raw)
			}
		}
		for _, k := range []string{"step", "problem", "trustRefreshedAt"} {
			if _, ok := m[k]; ok {
				t.Errorf("a valid result has %q: %s", k, raw)
			}
		}
	})

	t.Run("at", func(t *testing.T) {
		postJSON(t, u, "application/json", []byte(`{"payload": "HC1:VALID", "at": "2021-06-01T20:00:00+02:00"}`))
		if _, at := fake.last(); !at.Equal(time.Date(2021, 6, 1, 18, 0, 0, 0, time.UTC)) {
			t.Fatalf("at = %v", at)
		}
		postJSON(t, u, "application/json", []byte(`{"payload": "HC1:VALID"}`))
		if _, at := fake.last(); !at.IsZero() {
			t.Fatalf("at without at = %v; want zero (now)", at)
		}
	})

	t.Run("malformed requests are 400", func(t *testing.T) {
		tests := []struct {
			name, contentType, body, field string
			status                         int
		}{
			{"not JSON", "application/json", `HC1:VALID`, "", 400},
			{"form body", "application/x-www-form-urlencoded", `payload=HC1:VALID`, "", 400},
			{"unknown field", "application/json", `{"payload": "HC1:VALID", "trust": "x"}`, "", 400},
			{"no payload", "application/json", `{}`, "payload", 400},
			{"blank payload", "application/json", `{"payload": "  "}`, "payload", 400},
			{"bad at", "application/json", `{"payload": "HC1:VALID", "at": "yesterday"}`, "at", 400},
			{"too large", "application/json", `{"payload": "HC1:` + strings.Repeat("A", MaxBodyBytes) + `"}`, "", 413},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, raw := postJSON(t, u, tt.contentType, []byte(tt.body))
				var er ErrorResponse
				if err := json.Unmarshal(raw, &er); err != nil || status != tt.status {
					t.Fatalf("status %d: %s", status, raw)
				}
				if tt.field != "" && er.Error.Fields[tt.field] == "" {
					t.Fatalf("no problem named for %s: %s", tt.field, raw)
				}
			})
		}
	})

	t.Run("a signed-in browser needs its CSRF token", func(t *testing.T) {
		w := e.newWorld()
		b := e.browser()
		b.signInCitizen(w.contact, "+60123456789")
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"payload": "HC1:VALID"}`))
		req.Header.Set("Content-Type", "application/json")
		if r := b.do(req); r.status != http.StatusForbidden {
			t.Fatalf("without a token: %d", r.status)
		}
	})

	t.Run("unavailable without a verifier", func(t *testing.T) {
		e := newTestEnv(t, Options{})
		status, raw := postJSON(t, e.http.URL+"/api/v1/verify", "application/json", []byte(`{"payload": "HC1:VALID"}`))
		if status != http.StatusServiceUnavailable || !bytes.Contains(raw, []byte(`"unavailable"`)) {
			t.Fatalf("%d %s", status, raw)
		}
	})
}

func TestVerifyPage(t *testing.T) {
	fake := newFake()
	e := newVerifyEnv(t, fake)
	T := func(lang, id string, kv ...any) string { return e.server.i18n.T(lang, id, kv...) }

	for _, lang := range jaga.Languages {
		t.Run(lang, func(t *testing.T) {
			b := e.browser()
			b.setLang(lang)
			home := b.get("/")
			home.contains(t, `href="/verify"`, T(lang, "home.verify"))

			r := b.get("/verify")
			r.expect(t, http.StatusOK)
			r.contains(t, T(lang, "verifycert.heading"), T(lang, "verifycert.lead"), `name="payload"`)
			if strings.Contains(r.body, " style=") || strings.Contains(r.body, "<script") {
				t.Error("inline style or script")
			}

			r = b.submit("/verify", "/verify", url.Values{"payload": {"HC1:VALID"}})
			r.expect(t, http.StatusOK)
			r.contains(t, T(lang, "verifycert.valid"), T(lang, "verifycert.valid_lead"), "Erika Mustermann", "MUSTERMANN<<ERIKA", "1964-08-12",
				T(lang, "verifycert.kind_eudcc"),
				T(lang, "verifycert.entry_vaccination", "N", "2", "Total", "2", "Date", "2021-05-29", "Product", "COVID-19 Vaccine Moderna"),
				T(lang, "verifycert.entry_test", "Type", T(lang, "verifycert.testtype_naat"), "Date", "2021-05-30T10:12:22Z", "Result", T(lang, "verifycert.testresult_not_detected")),
				T(lang, "verifycert.again"))
			// Only what a verifier needs: not the key id, not the issuing
			// authority, and not the certificate text after the answer.
			r.lacks(t, "DEsVUSvpFAE=", "Robert Koch-Institut", "HC1:VALID", T(lang, "verifycert.not_valid"))
			if p, _ := fake.last(); p != "HC1:VALID" {
				t.Fatalf("verified %q", p)
			}

			for _, tc := range []struct {
				payload, problem, step string
				kv                     []any
			}{
				{"HC1:EXPIRED", "verifycert.problem_expired_at", "verifycert.step_time", []any{"Date", e.server.i18n.DateTime(lang, expiredCert.ExpiresAt)}},
				{"HC1:UNKNOWN", "verifycert.problem_unknown_key", "verifycert.step_trust", nil},
				{"HC1:STALE", "verifycert.problem_trust_stale", "verifycert.step_trust", []any{"When", e.server.i18n.DateTime(lang, staleCert.TrustRefreshedAt)}},
				{"not a certificate", "verifycert.problem_malformed", "verifycert.step_prefix", nil},
			} {
				r := b.submit("/verify", "/verify", url.Values{"payload": {tc.payload}})
				r.expect(t, http.StatusOK)
				r.contains(t, T(lang, "verifycert.not_valid"), T(lang, tc.problem, tc.kv...), T(lang, "verifycert.step_label"), T(lang, tc.step))
				// Nothing of a certificate that is not valid.
				r.lacks(t, "Mustermann", "1964-08-12", T(lang, "verifycert.valid_lead"))
			}

			r = b.submit("/verify", "/verify", url.Values{"payload": {"  "}})
			r.expect(t, http.StatusBadRequest)
			r.contains(t, T(lang, "verifycert.err_payload_required"))
		})
	}

	t.Run("CSRF", func(t *testing.T) {
		b := e.browser()
		b.get("/verify")
		r := b.post("/verify", url.Values{"payload": {"HC1:VALID"}})
		r.expect(t, http.StatusForbidden)
		r.lacks(t, "Mustermann")
	})

	if m := e.server.i18n.missingIDs(); len(m) > 0 {
		t.Errorf("missing messages: %v", m)
	}
}
