package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/totp"
)

// staffOf creates a staff member of the demo organisation named org and
// signs them in through the API.
func staffOf(t *testing.T, s *server, db *sqlstore.DB, org, email, role string) string {
	t.Helper()
	ctx := jaga.SystemContext(context.Background())
	orgs := sqlstore.NewOrganisationService(db)
	all, err := orgs.Organisations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var orgID string
	for _, o := range all {
		if o.Name == org {
			orgID = o.ID
		}
	}
	if orgID == "" {
		t.Fatalf("no organisation %q", org)
	}
	const password = "a long enough password"
	e, err := orgs.CreateStaff(ctx, jaga.NewStaff{OrgID: orgID, Email: email, DisplayName: email, Role: role, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.Code(e.TOTPSecret, time.Now())
	var sess struct{ Token string }
	if status, _ := call(t, "POST", s.url+"/api/v1/staff/sessions", "", map[string]string{"email": email, "password": password, "code": code}, &sess); status != 201 {
		t.Fatalf("staff sign-in %s: status %d", email, status)
	}
	return sess.Token
}

// getBody returns the body of a GET.
func getBody(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d: %s", u, resp.StatusCode, b)
	}
	return b
}

// TestCertificateRoundTrip records a dose through the API and finds it in
// a freshly issued certificate within a second, which `jaga verify`
// accepts against the trust list the server publishes; a correction then
// revokes it, and `jaga verify` says so from the published revocation list.
func TestCertificateRoundTrip(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			s := startServer(t, dsn, "--demo", "--checkpoint-every", "0")
			db := openTestStore(t, dsn)
			vaccinator := staffOf(t, s, db, "Pusat Pemberian Vaksin Kajang (demo)", "vaccinator2@ppv-kajang.demo", jaga.RoleVaccinator)
			tan, _ := signInCitizen(t, s, db, "019-876 5432", "+60198765432")

			type certList struct{ Items []jaga.Certificate }
			var before certList
			if code, _ := call(t, "GET", s.url+"/api/v1/me/certificates", tan, nil, &before); code != 200 || len(before.Items) != 1 {
				t.Fatalf("certificates before: %d, %d items; want the demo's one", code, len(before.Items))
			}

			booster := jaga.DoseRecord{IDNumber: "950815-07-5523", DateOfBirth: "1995-08-15", Product: "EU/1/20/1528",
				Manufacturer: "ORG-100030215", Batch: "FN9021", DoseNumber: 3, TotalDoses: 2, Booster: true,
				GivenOn: time.Now().UTC().Format(time.DateOnly), Country: "MY"}
			start := time.Now()
			if code, _ := call(t, "POST", s.url+"/api/v1/doses", vaccinator, booster, nil); code != 201 {
				t.Fatalf("record booster: status %d", code)
			}
			var after certList
			if code, _ := call(t, "GET", s.url+"/api/v1/me/certificates", tan, nil, &after); code != 200 || len(after.Items) != 1 {
				t.Fatalf("certificates after: %d, %d items", code, len(after.Items))
			}
			elapsed := time.Since(start)
			c := after.Items[0]
			if c.ID == before.Items[0].ID || c.Replaces != before.Items[0].ID || c.IssueReason != jaga.ReasonNewDose {
				t.Fatalf("certificate after the booster = %s (replaces %s, %s); want a new one replacing %s", c.ID, c.Replaces, c.IssueReason, before.Items[0].ID)
			}
			if elapsed > time.Second {
				t.Errorf("dose to certificate took %v, want within a second", elapsed)
			}
			t.Logf("dose recorded to certificate shown: %v", elapsed)

			keyFile := filepath.Join(t.TempDir(), "trust-key.pem")
			if err := os.WriteFile(keyFile, getBody(t, s.url+"/api/v1/trust-list/key"), 0o600); err != nil {
				t.Fatal(err)
			}
			verify := func(payload string, withRevocations bool) (jaga.VerifyResult, int) {
				t.Helper()
				args := []string{"--trust", s.url + "/api/v1/trust-list", "--trust-key", keyFile, "--json", "-"}
				if withRevocations {
					args = append([]string{"--trust", s.url + "/api/v1/revocation-list"}, args...)
				}
				out, errOut, code := verifyRun(t, payload, nil, args...)
				var r jaga.VerifyResult
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatalf("jaga verify output %q (%s): %v", out, errOut, err)
				}
				return r, code
			}
			r, code := verify(c.Payload, false)
			if code != 0 || !r.Valid || r.Certificate == nil {
				t.Fatalf("jaga verify: exit %d, %+v", code, r)
			}
			e := r.Certificate.Entries[0]
			if r.Certificate.FamilyName != "Tan Wei Ming" || e.DoseNumber != 3 || e.TotalDoses != 2 || e.Date != booster.GivenOn || e.Product != "EU/1/20/1528" {
				t.Errorf("verified certificate = %+v %+v", r.Certificate, e)
			}

			// A correction of the name, approved by a second officer,
			// revokes the certificate; the published list says so.
			officer1 := staffOf(t, s, db, "Kementerian Kesihatan Malaysia (demo)", "ho1@moh.example", jaga.RoleHealthOfficer)
			officer2 := staffOf(t, s, db, "Kementerian Kesihatan Malaysia (demo)", "ho2@moh.example", jaga.RoleHealthOfficer)
			var me jaga.Person
			call(t, "GET", s.url+"/api/v1/me", tan, nil, &me)
			var corr jaga.Correction
			if code, _ := call(t, "POST", s.url+"/api/v1/corrections", officer1, jaga.CorrectionRequest{PersonID: me.ID,
				Field: jaga.CorrectFullName, NewValue: "Tan Wei-Ming", Reason: "as spelt on his passport", Reference: "TICKET-E2E-7"}, &corr); code != 201 {
				t.Fatalf("request correction: status %d", code)
			}
			var denied apiError
			if code, _ := call(t, "POST", s.url+"/api/v1/corrections/"+corr.ID+"/approve", officer1, nil, &denied); code != 403 {
				t.Errorf("the requester approving: status %d, want 403", code)
			}
			if code, _ := call(t, "POST", s.url+"/api/v1/corrections/"+corr.ID+"/approve", officer2, nil, &corr); code != 200 || corr.Status != jaga.CorrectionApproved {
				t.Fatalf("approve: status %d, %+v", code, corr)
			}
			r, code = verify(c.Payload, true)
			if code == 0 || r.Valid || r.Problem != jaga.VerifyRevoked {
				t.Errorf("revoked certificate: exit %d, %+v; want revoked", code, r)
			}
			var fixed certList
			call(t, "GET", s.url+"/api/v1/me/certificates", tan, nil, &fixed)
			if len(fixed.Items) != 1 || fixed.Items[0].ID != corr.CertID {
				t.Fatalf("certificates after correction = %+v, want %s", fixed.Items, corr.CertID)
			}
			if r, code := verify(fixed.Items[0].Payload, true); code != 0 || r.Certificate.FamilyName != "Tan Wei-Ming" {
				t.Errorf("corrected certificate: exit %d, %+v", code, r)
			}
			// The trust list and the revocation list are public JSON.
			for _, path := range []string{"/api/v1/trust-list", "/api/v1/revocation-list"} {
				if b := getBody(t, s.url+path); !strings.Contains(string(b), `"signature"`) {
					t.Errorf("%s holds no signature", path)
				}
			}
		})
	}
}
