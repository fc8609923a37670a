package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// postgresEnv names the variable that holds a PostgreSQL DSN for tests.
const postgresEnv = "JAGA_TEST_POSTGRES"

// syncBuffer is an io.Writer safe for the server goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// database is one engine's fresh, empty database for a test.
type database struct {
	name string
	dsn  func(t *testing.T) string
}

func databases() []database {
	return []database{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "jaga.db") }},
		{"postgres", freshPostgres},
	}
}

// freshPostgres returns a DSN whose search path is a new, empty schema.
func freshPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("set %s to a PostgreSQL DSN to run this test on PostgreSQL", postgresEnv)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "jaga_e2e_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// server is a jaga started in-process by run, as `jaga serve` on :0.
type server struct {
	url    string
	dsn    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// testMasterKey is the master key of the test database dsn: the same for
// every start on it, and no key file is written.
func testMasterKey(dsn string) string {
	sum := sha256.Sum256([]byte("jaga test master key " + dsn))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// startServer runs `jaga serve` with args on a free port and waits until it
// listens. It stops the server when the test ends.
func startServer(t *testing.T, dsn string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{dsn: dsn, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	getenv := func(k string) string {
		switch k {
		case "JAGA_DB":
			return dsn
		case "JAGA_ADDR":
			return "127.0.0.1:0"
		case "JAGA_MASTER_KEY":
			return testMasterKey(dsn)
		}
		return ""
	}
	go func() {
		s.done <- run(ctx, append([]string{"jaga", "serve"}, args...), getenv, strings.NewReader(""), s.stdout, s.stderr)
	}()
	listening := regexp.MustCompile(`jaga listening on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case err := <-s.done:
			t.Fatalf("jaga serve ended early: %v\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if s.url == "" {
		t.Fatalf("jaga serve did not listen within 20s\nstderr:\n%s", s.stderr.String())
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("jaga serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("jaga serve did not stop within 20s")
	}
}

// call sends a JSON request and decodes a JSON answer into out.
func call(t *testing.T, method, u, token string, body any, out any) (int, http.Header) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, u, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, u, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// openStore opens the server's database beside it, for what a test must
// arrange or read that the API does not offer (the outbox, staff secrets).
func openTestStore(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := openStore(context.Background(), config{DB: dsn}, discardLogger(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode returns the code of the newest outbox message to destination.
func lastCode(t *testing.T, db *sqlstore.DB, destination string) string {
	t.Helper()
	msgs, err := sqlstore.NewAccountService(db).RecentMessages(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Destination == destination {
			if c := sixDigits.FindString(m.Body); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code in the outbox for the destination")
	return ""
}

// signInCitizen signs in through the API and returns the bearer token.
func signInCitizen(t *testing.T, s *server, db *sqlstore.DB, contact, e164 string) (string, string) {
	t.Helper()
	var ch struct{ ChallengeID string }
	if code, _ := call(t, "POST", s.url+"/api/v1/auth/challenges", "", map[string]string{"contact": contact}, &ch); code != 201 {
		t.Fatalf("challenge: status %d", code)
	}
	var sess struct {
		Token string
		Actor jaga.Actor
	}
	if code, _ := call(t, "POST", s.url+"/api/v1/auth/sessions", "", map[string]string{"challengeId": ch.ChallengeID, "code": lastCode(t, db, e164)}, &sess); code != 201 {
		t.Fatalf("session: status %d", code)
	}
	return sess.Token, sess.Actor.ID
}

func TestServe(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			start := time.Now()
			s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
			t.Logf("started with demo data in %v", time.Since(start))
			db := openTestStore(t, dsn)

			t.Run("operations", func(t *testing.T) {
				for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/purposes", "/api/v1/public/contracts"} {
					resp, err := http.Get(s.url + path)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Errorf("GET %s: status %d", path, resp.StatusCode)
					}
					if path == "/metrics" && !strings.Contains(string(body), "jaga_http_requests_total") {
						t.Errorf("metrics lack jaga_http_requests_total")
					}
				}
			})

			token, me := signInCitizen(t, s, db, "012-345 6789", "+60123456789")
			t.Run("citizen reads own record", func(t *testing.T) {
				var p jaga.Person
				if code, _ := call(t, "GET", s.url+"/api/v1/me", token, nil, &p); code != 200 || p.ID != me || p.FullName != "Aisyah binti Rahman" {
					t.Fatalf("GET /me: %d %+v", code, p)
				}
				var deps struct{ Items []jaga.Person }
				if code, _ := call(t, "GET", s.url+"/api/v1/me/dependants", token, nil, &deps); code != 200 || len(deps.Items) != 2 {
					t.Fatalf("dependants: %d, %d items", code, len(deps.Items))
				}
			})

			t.Run("bad input", func(t *testing.T) {
				tests := []struct {
					name     string
					method   string
					path     string
					token    string
					body     any
					ctype    string
					want     int
					wantCode string
					wantMsg  string
				}{
					{"malformed phone", "POST", "/api/v1/auth/challenges", "", map[string]string{"contact": "12ab"}, "", 400, "invalid", "phone number"},
					{"malformed email", "POST", "/api/v1/auth/challenges", "", map[string]string{"contact": "a@b"}, "", 400, "invalid", "domain"},
					{"empty contact", "POST", "/api/v1/auth/challenges", "", map[string]string{"contact": ""}, "", 400, "invalid", "Enter a phone number"},
					{"truncated JSON", "POST", "/api/v1/auth/challenges", "", `{"contact":`, "", 400, "invalid", "ends too early"},
					{"not JSON", "POST", "/api/v1/auth/challenges", "", `contact=1`, "", 400, "invalid", "not valid JSON"},
					{"unknown field", "POST", "/api/v1/auth/challenges", "", `{"contact":"0123456789","admin":true}`, "", 400, "invalid", "Unknown field"},
					{"two objects", "POST", "/api/v1/auth/challenges", "", `{"contact":"0123456789"}{}`, "", 400, "invalid", "single JSON object"},
					{"wrong type", "POST", "/api/v1/auth/challenges", "", `{"contact":5}`, "", 400, "invalid", "contact"},
					{"empty body", "POST", "/api/v1/auth/challenges", "", ``, "", 400, "invalid", "empty"},
					{"oversized body", "POST", "/api/v1/auth/challenges", "", `{"contact":"` + strings.Repeat("1", 70<<10) + `"}`, "", 413, "too_large", "larger than"},
					{"wrong content type", "POST", "/api/v1/auth/challenges", "", `{"contact":"0123456789"}`, "text/plain", 400, "invalid", "application/json"},
					{"unknown challenge", "POST", "/api/v1/auth/sessions", "", map[string]string{"challengeId": "nope", "code": "123456"}, "", 401, "unauthorized", "unknown"},
					{"code not digits", "POST", "/api/v1/auth/sessions", "", map[string]string{"challengeId": "nope", "code": "12a456"}, "", 400, "invalid", ""},
					{"bad bearer", "GET", "/api/v1/me", strings.Repeat("a", 64), nil, "", 401, "unauthorized", "session"},
					{"anonymous me", "GET", "/api/v1/me", "", nil, "", 401, "unauthorized", "Sign in"},
					{"not yours", "PUT", "/api/v1/me/dependants/" + strings.Repeat("0", 32) + "/profile", token,
						jaga.Profile{FullName: "X Y", IDType: "nric", IDNumber: "900101145678", DateOfBirth: "1990-01-01", Nationality: "MY"}, "", 404, "not_found", "No such person"},
					{"invalid profile", "PUT", "/api/v1/me/profile", token, jaga.Profile{FullName: "", IDType: "nric", IDNumber: "12", DateOfBirth: "2999-01-01", Nationality: "Malaysia"}, "", 400, "invalid", ""},
					{"unknown API route", "GET", "/api/v1/nothing", "", nil, "", 404, "not_found", ""},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						var r io.Reader
						switch b := tt.body.(type) {
						case nil:
						case string:
							r = strings.NewReader(b)
						default:
							j, _ := json.Marshal(b)
							r = bytes.NewReader(j)
						}
						req, _ := http.NewRequest(tt.method, s.url+tt.path, r)
						if tt.body != nil {
							ct := tt.ctype
							if ct == "" {
								ct = "application/json"
							}
							req.Header.Set("Content-Type", ct)
						}
						if tt.token != "" {
							req.Header.Set("Authorization", "Bearer "+tt.token)
						}
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						defer resp.Body.Close()
						var e apiError
						raw, _ := io.ReadAll(resp.Body)
						if err := json.Unmarshal(raw, &e); err != nil {
							t.Fatalf("error body is not the error shape: %q", raw)
						}
						if resp.StatusCode != tt.want || e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
							t.Fatalf("got %d %s %q; want %d %s containing %q", resp.StatusCode, e.Error.Code, e.Error.Message, tt.want, tt.wantCode, tt.wantMsg)
						}
						if strings.Contains(string(raw), "12ab") || strings.Contains(string(raw), "sql") {
							t.Fatalf("error leaks input or internals: %s", raw)
						}
					})
				}
				t.Run("invalid profile names each field", func(t *testing.T) {
					var e apiError
					call(t, "PUT", s.url+"/api/v1/me/profile", token, jaga.Profile{FullName: "", IDType: "nric", IDNumber: "12", DateOfBirth: "2999-01-01", Nationality: "Malaysia"}, &e)
					for _, f := range []string{"fullName", "idNumber", "dateOfBirth", "nationality"} {
						if e.Error.Fields[f] == "" {
							t.Errorf("no problem named for %s: %+v", f, e.Error.Fields)
						}
					}
				})
			})

			t.Run("brute force of a code", func(t *testing.T) {
				var ch struct{ ChallengeID string }
				call(t, "POST", s.url+"/api/v1/auth/challenges", "", map[string]string{"contact": "tan.brute@example.com"}, &ch)
				right := lastCode(t, db, "tan.brute@example.com")
				wrong := fmt.Sprintf("%06d", (mustAtoi(right)+1)%1000000)
				for i := 1; i <= jaga.CodeMaxAttempts; i++ {
					var e apiError
					code, _ := call(t, "POST", s.url+"/api/v1/auth/sessions", "", map[string]string{"challengeId": ch.ChallengeID, "code": wrong}, &e)
					want := 401
					if i == jaga.CodeMaxAttempts {
						want = 429
					}
					if code != want {
						t.Fatalf("wrong code %d: status %d (%s), want %d", i, code, e.Error.Message, want)
					}
				}
				var e apiError
				code, hdr := call(t, "POST", s.url+"/api/v1/auth/sessions", "", map[string]string{"challengeId": ch.ChallengeID, "code": right}, &e)
				if code != 429 || hdr.Get("Retry-After") == "" {
					t.Fatalf("right code after too many wrong ones: %d %q", code, e.Error.Message)
				}
			})

			t.Run("cookie session without CSRF token is refused", func(t *testing.T) {
				req, _ := http.NewRequest("PUT", s.url+"/api/v1/me/profile", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				req.AddCookie(&http.Cookie{Name: "jaga_session", Value: token})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 403 {
					t.Fatalf("status %d, want 403", resp.StatusCode)
				}
			})

			t.Run("contractor reads a citizen through the gate", func(t *testing.T) {
				contractorReads(t, s, db, token, me)
			})

			t.Run("logs hold no personal data", func(t *testing.T) {
				logs := s.stderr.String()
				for _, secret := range []string{"Aisyah", "900101", "+60123456789", "60123456789", "hakim@example.com", token} {
					if strings.Contains(logs, secret) {
						t.Errorf("the log holds personal data or a secret: %q", secret)
					}
				}
			})
		})
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// contractorReads is the platform's promise end to end: a contractor is
// refused without a contract, sees masked data under one, is refused once
// it ends, and the citizen sees every attempt.
func contractorReads(t *testing.T, s *server, db *sqlstore.DB, citizenToken, personID string) {
	ctx := jaga.SystemContext(context.Background())
	orgs := sqlstore.NewOrganisationService(db)
	org := &jaga.Organisation{Name: "Helpdesk Kontrak E2E Sdn Bhd", Kind: jaga.OrgContractor}
	if err := orgs.CreateOrganisation(ctx, org); err != nil {
		t.Fatal(err)
	}
	enrol, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: org.ID, Email: "agent@e2e.example", DisplayName: "E2E Agent", Role: jaga.RoleSupportAgent, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	staffToken := func(email, password, secret string) string {
		code, _ := totp.Code(secret, time.Now())
		var sess struct{ Token string }
		if status, _ := call(t, "POST", s.url+"/api/v1/staff/sessions", "", map[string]string{"email": email, "password": password, "code": code}, &sess); status != 201 {
			t.Fatalf("staff sign-in %s: status %d", email, status)
		}
		return sess.Token
	}
	agent := staffToken("agent@e2e.example", "a long enough password", enrol.TOTPSecret)
	read := func(why jaga.AccessReason) (int, jaga.Person, apiError) {
		var raw json.RawMessage
		code, _ := call(t, "POST", s.url+"/api/v1/people/"+personID+"/reads", agent, why, &raw)
		var p jaga.Person
		var e apiError
		json.Unmarshal(raw, &p)
		json.Unmarshal(raw, &e)
		return code, p, e
	}
	why := jaga.AccessReason{Purpose: jaga.PurposeSupportTicket, Relationship: jaga.RelationshipCase, Reference: "TICKET-E2E-1"}

	if code, _, e := read(why); code != 403 || !strings.Contains(e.Error.Message, "contract") {
		t.Fatalf("without a contract: %d %q, want 403 naming the contract", code, e.Error.Message)
	}

	// Two ministry DPOs register and approve a contract through the API.
	ministry := findOrg(t, orgs, jaga.OrgMinistry)
	dpoTokens := make([]string, 2)
	for i := range dpoTokens {
		email := fmt.Sprintf("dpo%d@e2e.example", i)
		e, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: ministry.ID, Email: email, DisplayName: "DPO " + email, Role: jaga.RoleDPO, Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		dpoTokens[i] = staffToken(email, "a long enough password", e.TOTPSecret)
	}
	var c jaga.Contract
	if code, _ := call(t, "POST", s.url+"/api/v1/contracts", dpoTokens[0], map[string]any{
		"orgId": org.ID, "reference": "E2E-DPA-1", "categories": []string{"identity", "contact"}, "purposes": []string{"SUPPORT_TICKET"},
		"validFrom": time.Now().Add(-time.Hour), "validTo": time.Now().Add(24 * time.Hour)}, &c); code != 201 {
		t.Fatalf("register contract: %d", code)
	}
	if code, _ := call(t, "POST", s.url+"/api/v1/contracts/"+c.ID+"/approve", dpoTokens[0], nil, nil); code != 403 {
		t.Fatalf("approval by the registering DPO: %d, want 403", code)
	}
	if code, _ := call(t, "POST", s.url+"/api/v1/contracts/"+c.ID+"/approve", dpoTokens[1], nil, nil); code != 200 {
		t.Fatalf("approval by a second DPO: %d", code)
	}

	code, p, e := read(why)
	if code != 200 || !p.Masked || p.IDNumber != "********5678" || p.DateOfBirth != "1990" || p.Phone == "+60123456789" || p.Address != "" {
		t.Fatalf("under contract: %d %q masked=%v id=%q dob=%q", code, e.Error.Message, p.Masked, p.IDNumber, p.DateOfBirth)
	}
	unmask := why
	unmask.Unmask, unmask.Reason = true, "Citizen asked to confirm the NRIC on the ticket"
	if code, p, _ := read(unmask); code != 200 || p.Masked || p.IDNumber != "900101145678" {
		t.Fatalf("unmask with reason: %d masked=%v", code, p.Masked)
	}
	unmask.Reason = "short"
	if code, _, _ := read(unmask); code != 400 {
		t.Fatalf("unmask with a short reason: %d, want 400", code)
	}

	if code, _ := call(t, "POST", s.url+"/api/v1/contracts/"+c.ID+"/terminate", dpoTokens[1], nil, nil); code != 200 {
		t.Fatalf("terminate: %d", code)
	}
	if code, _, _ := read(why); code != 403 {
		t.Fatalf("after the contract ended: %d, want 403", code)
	}

	var accesses struct{ Items []jaga.AccessView }
	if code, _ := call(t, "GET", s.url+"/api/v1/me/accesses", citizenToken, nil, &accesses); code != 200 {
		t.Fatalf("accesses: %d", code)
	}
	var mine []jaga.AccessView
	for _, a := range accesses.Items {
		if a.Organisation == org.Name {
			mine = append(mine, a)
		}
	}
	want := []string{"deny", "allow", "allow", "deny"} // newest first
	if len(mine) != len(want) {
		t.Fatalf("the citizen sees %d accesses by the contractor, want %d", len(mine), len(want))
	}
	for i, a := range mine {
		if a.Decision != want[i] || a.Purpose != jaga.PurposeSupportTicket {
			t.Errorf("access %d: %s %s, want %s SUPPORT_TICKET", i, a.Decision, a.Purpose, want[i])
		}
	}
	if mine[1].ContractRef != "E2E-DPA-1" || mine[1].Action != jaga.ActionUnmask || mine[1].Reason == "" {
		t.Errorf("the unmask shows contract %q action %q reason %q", mine[1].ContractRef, mine[1].Action, mine[1].Reason)
	}
}

func findOrg(t *testing.T, orgs *sqlstore.OrganisationService, kind string) *jaga.Organisation {
	all, err := orgs.Organisations(jaga.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s organisation", kind)
	return nil
}
