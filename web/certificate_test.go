package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
	"github.com/jaga-health/jaga/poster"
	"github.com/jaga-health/jaga/qrscan"
	"github.com/jaga-health/jaga/sqlstore"
)

// certEnv is the dose world with certificates: a keyring and a signer, the
// certificate service, poster's PDF and QR code, and doses for the
// world's citizen (recorded before the signer existed, so that a refresh
// has something to issue), her dependant and another citizen.
type certEnv struct {
	*doseEnv
	mu      sync.Mutex
	lastDoc *CertificateDocument // the last document the PDF route printed
}

func newCertEnv(t *testing.T) *certEnv {
	t.Helper()
	e := &certEnv{doseEnv: newDoseEnv(t)}
	e.contract()
	e.recordDose(e.w.citizen, "FE6208", 1, "2021-07-12")

	ctx := context.Background()
	master := make([]byte, cert.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	kr := &cert.Keyring{Store: e.db, Master: master}
	if _, err := kr.Init(ctx); err != nil {
		t.Fatal(err)
	}
	is, err := kr.Issuer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.db.Signer = cert.NewSigner(is)
	e.svc.Certificates = sqlstore.NewCertificateService(e.db)
	e.svc.QRCode = poster.QRPNG
	e.svc.CertificatePDF = func(d CertificateDocument) ([]byte, error) {
		e.mu.Lock()
		e.lastDoc = &d
		e.mu.Unlock()
		return poster.CertificatePDF(certificateData(d))
	}
	srv, err := NewServer(e.svc, Options{Logger: e.db.Logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.server, e.http = srv, hs

	e.recordDose(e.w.dependant, "FE6209", 1, "2021-09-01")
	e.recordDose(e.tan, "FE6210", 1, "2021-08-15")
	return e
}

// certificateData is what cmd/jaga gives poster.CertificatePDF.
func certificateData(d CertificateDocument) poster.CertificateData {
	c := d.Certificate
	return poster.CertificateData{ID: c.ID, Payload: c.Payload, Status: c.Status, FullName: d.FullName,
		DateOfBirth: d.DateOfBirth, Country: c.Country, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
		Doses: d.Doses, Language: d.Language, VerifyURL: "https://jaga.test/verify"}
}

// recordDose records a Comirnaty dose for p through the vaccinator's API.
func (e *certEnv) recordDose(p *jaga.Person, batch string, n int, on string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"idNumber": p.IDNumber, "dateOfBirth": p.DateOfBirth, "fullName": p.FullName,
		"product": "EU/1/20/1528", "manufacturer": "ORG-100030215", "batch": batch, "doseNumber": n, "totalDoses": 2,
		"givenOn": on, "country": "MY"})
	if status, res := e.call(http.MethodPost, "/api/v1/doses", e.vaccinator, "application/json", body); status != http.StatusCreated {
		e.t.Fatalf("record dose: %d %s", status, res)
	}
}

func certPath(id string) string { return "/api/v1/me/certificates/" + url.PathEscape(id) }

func (e *certEnv) certificates(token string) []*jaga.Certificate {
	e.t.Helper()
	status, body := e.call(http.MethodGet, "/api/v1/me/certificates", token, "", nil)
	var l list[*jaga.Certificate]
	if status != http.StatusOK || json.Unmarshal(body, &l) != nil {
		e.t.Fatalf("list: %d %s", status, body)
	}
	return l.Items
}

func TestCertificateAPI(t *testing.T) {
	e := newCertEnv(t)
	tanToken, _, err := e.accounts.CreateSession(jaga.SystemContext(context.Background()), &jaga.Actor{Kind: jaga.ActorCitizen, ID: e.tan.ID})
	if err != nil {
		t.Fatal(err)
	}

	// The citizen's dose came before the signer: only her dependant has a
	// certificate until she refreshes.
	if cs := e.certificates(e.citizen); len(cs) != 1 || cs[0].PersonID != e.w.dependant.ID {
		t.Fatalf("before refresh: %+v, want the dependant's alone", cs)
	}

	refresh := func(t *testing.T, token, body string) (int, []byte) {
		t.Helper()
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		return e.call(http.MethodPost, "/api/v1/me/certificates/refresh", token, ct, []byte(body))
	}
	for _, tc := range []struct {
		name, token, body string
		status            int
		code              string
		changed           bool
	}{
		{"anonymous", "", "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, false},
		{"staff", e.vaccinator, "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, false},
		{"self, empty body", e.citizen, "", http.StatusOK, "", true},
		{"self again", e.citizen, `{}`, http.StatusOK, "", false},
		{"dependant", e.citizen, `{"personId":"` + e.w.dependant.ID + `"}`, http.StatusOK, "", false},
		{"someone else", e.citizen, `{"personId":"` + e.tan.ID + `"}`, http.StatusNotFound, jaga.ENOTFOUND, false},
		{"no such person", e.citizen, `{"personId":"nobody"}`, http.StatusNotFound, jaga.ENOTFOUND, false},
		{"unknown field", e.citizen, `{"person":"x"}`, http.StatusBadRequest, jaga.EINVALID, false},
	} {
		t.Run("refresh/"+tc.name, func(t *testing.T) {
			status, body := refresh(t, tc.token, tc.body)
			if tc.code != "" {
				wantError(t, status, body, tc.status, tc.code)
				lacks(t, body, e.tan.FullName, e.tan.IDNumber)
				return
			}
			var res jaga.RefreshResult
			if status != tc.status || json.Unmarshal(body, &res) != nil {
				t.Fatalf("status %d body %s", status, body)
			}
			if res.Changed != tc.changed || res.Doses != 1 || res.Certificate == nil || res.Certificate.Status != jaga.CertificateValid {
				t.Errorf("result %s, want changed=%v, 1 dose, a valid certificate", body, tc.changed)
			}
		})
	}

	cs := e.certificates(e.citizen)
	if len(cs) != 2 || cs[0].PersonID != e.w.citizen.ID || cs[1].PersonID != e.w.dependant.ID {
		t.Fatalf("after refresh: %+v, want hers, then her dependant's", cs)
	}
	own, dep := cs[0], cs[1]
	tans := e.certificates(tanToken)
	if len(tans) != 1 {
		t.Fatalf("the other citizen's certificates: %d, want 1", len(tans))
	}
	other := tans[0]

	// A second dose supersedes her certificate.
	e.recordDose(e.w.citizen, "FF2587", 2, "2021-08-02")
	cs = e.certificates(e.citizen)
	current := cs[0]
	if current.ID == own.ID || current.Replaces != own.ID {
		t.Fatalf("after dose 2: %+v, want a new certificate replacing %s", current, own.ID)
	}

	type check func(t *testing.T, res *http.Response, body []byte)
	jsonCert := func(id, status string) check {
		return func(t *testing.T, res *http.Response, body []byte) {
			var c jaga.Certificate
			if err := json.Unmarshal(body, &c); err != nil || c.ID != id || c.Status != status || !strings.HasPrefix(c.Payload, "HC1:") {
				t.Errorf("certificate %s, want %s %s", body, id, status)
			}
		}
	}
	qr := func(c *jaga.Certificate) check {
		return func(t *testing.T, res *http.Response, body []byte) {
			if ct := res.Header.Get("Content-Type"); ct != "image/png" {
				t.Errorf("Content-Type %q", ct)
			}
			if got, err := qrscan.Decode(body); err != nil || got != c.Payload {
				t.Errorf("the QR code reads %.20q, %v; want the payload", got, err)
			}
		}
	}
	pdf := func(lang string, doses ...string) check {
		return func(t *testing.T, res *http.Response, body []byte) {
			if ct := res.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
				t.Fatalf("Content-Type %q, body %.8q", ct, body)
			}
			if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename=jaga-vaccination-certificate-"+lang+".pdf" {
				t.Errorf("Content-Disposition %q", cd)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			e.mu.Lock()
			doc := e.lastDoc
			e.mu.Unlock()
			var batches []string
			for _, d := range doc.Doses {
				batches = append(batches, d.Batch)
			}
			if doc.Language != lang || strings.Join(batches, ",") != strings.Join(doses, ",") {
				t.Errorf("printed in %s with batches %v; want %s with %v", doc.Language, batches, lang, doses)
			}
		}
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
		check             check
	}{
		{"list, anonymous", "/api/v1/me/certificates", "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, nil},
		{"list, staff", "/api/v1/me/certificates", e.vaccinator, http.StatusUnauthorized, jaga.EUNAUTHORIZED, nil},
		{"show own current", certPath(current.ID), e.citizen, http.StatusOK, "", jsonCert(current.ID, jaga.CertificateValid)},
		{"show own superseded", certPath(own.ID), e.citizen, http.StatusOK, "", jsonCert(own.ID, jaga.CertificateSuperseded)},
		{"show dependant's", certPath(dep.ID), e.citizen, http.StatusOK, "", jsonCert(dep.ID, jaga.CertificateValid)},
		{"show another citizen's", certPath(other.ID), e.citizen, http.StatusNotFound, jaga.ENOTFOUND, nil},
		{"show missing", certPath("URN:UVCI:01:MY:NOSUCHCERTIFICATE#/"), e.citizen, http.StatusNotFound, jaga.ENOTFOUND, nil},
		{"show, anonymous", certPath(current.ID), "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, nil},
		{"qr", certPath(current.ID) + "/qr.png", e.citizen, http.StatusOK, "", qr(current)},
		{"qr of dependant's", certPath(dep.ID) + "/qr.png", e.citizen, http.StatusOK, "", qr(dep)},
		{"qr of another citizen's", certPath(other.ID) + "/qr.png", e.citizen, http.StatusNotFound, jaga.ENOTFOUND, nil},
		{"qr, anonymous", certPath(current.ID) + "/qr.png", "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, nil},
		{"pdf in the holder's language", certPath(current.ID) + "/certificate.pdf", e.citizen, http.StatusOK, "", pdf("ms", "FE6208", "FF2587")},
		{"pdf in english", certPath(current.ID) + "/certificate.pdf?lang=en", e.citizen, http.StatusOK, "", pdf("en", "FE6208", "FF2587")},
		{"pdf of a superseded one lists its doses", certPath(own.ID) + "/certificate.pdf?lang=ms", e.citizen, http.StatusOK, "", pdf("ms", "FE6208")},
		{"pdf of dependant's", certPath(dep.ID) + "/certificate.pdf", e.citizen, http.StatusOK, "", pdf("ms", "FE6209")},
		{"pdf, bad lang", certPath(current.ID) + "/certificate.pdf?lang=fr", e.citizen, http.StatusBadRequest, jaga.EINVALID, nil},
		{"pdf of another citizen's", certPath(other.ID) + "/certificate.pdf", e.citizen, http.StatusNotFound, jaga.ENOTFOUND, nil},
		{"pdf, anonymous", certPath(current.ID) + "/certificate.pdf", "", http.StatusUnauthorized, jaga.EUNAUTHORIZED, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.http.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			res, err := e.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(res.Body); err != nil {
				t.Fatal(err)
			}
			body := buf.Bytes()
			if tc.code != "" {
				eb := wantError(t, res.StatusCode, body, tc.status, tc.code)
				if tc.code == jaga.ENOTFOUND && eb.Message != "No such certificate." {
					t.Errorf("message %q: the request did not reach the certificate route", eb.Message)
				}
				lacks(t, body, e.tan.FullName, other.Payload)
				return
			}
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			tc.check(t, res, body)
		})
	}
}

func TestCertificateUnavailable(t *testing.T) {
	e := newDoseEnv(t)
	status, body := e.call(http.MethodGet, "/api/v1/me/certificates", e.citizen, "", nil)
	wantError(t, status, body, http.StatusServiceUnavailable, jaga.EUNAVAILABLE)
}

func TestCertificatePage(t *testing.T) {
	e := newCertEnv(t)
	b := e.browser()
	t.Run("anonymous goes to sign in", func(t *testing.T) {
		r := b.noRedirects().get("/me/certificates")
		r.expect(t, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/signin" {
			t.Errorf("Location %q", loc)
		}
	})
	me := b.signInCitizen(e.w.contact, "+60123456789")
	me.contains(t, `href="/me/certificates"`)

	var page *response
	for _, tc := range []struct {
		name     string
		lang     string
		personID string
		want     []string
	}{
		{"refresh issues her first certificate", "ms", e.w.citizen.ID, []string{"Sijil baharu telah dikeluarkan", "Sah", "Dos 1 daripada 2, Comirnaty, 2021-07-12"}},
		{"refresh again changes nothing", "ms", e.w.citizen.ID, []string{"Tiada apa-apa yang berubah: sijil sudah menunjukkan setiap dos"}},
		{"in english", "en", e.w.dependant.ID, []string{"Nothing had changed: the certificate already shows every dose", "Valid", "Dose 1 of 2, Comirnaty, 2021-09-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.setLang(tc.lang)
			r := b.submit("/me/certificates", "/me/certificates/refresh", url.Values{"personId": {tc.personID}})
			r.expect(t, http.StatusOK)
			if r.url.Path != "/me/certificates" {
				t.Fatalf("after refresh: at %s", r.url)
			}
			r.contains(t, tc.want...)
			page = r
		})
	}
	t.Run("someone else's refresh", func(t *testing.T) {
		r := b.submit("/me/certificates", "/me/certificates/refresh", url.Values{"personId": {e.tan.ID}})
		r.expect(t, http.StatusNotFound)
		r.contains(t, "The certificate could not be refreshed")
		r.lacks(t, e.tan.FullName)
	})
	t.Run("cards", func(t *testing.T) {
		cs := e.certificates(e.citizen)
		if len(cs) != 2 {
			t.Fatalf("%d certificates, want 2", len(cs))
		}
		page.contains(t, e.w.citizen.FullName, e.w.dependant.FullName, "Refresh from the registry",
			"Download the PDF in Malay", "Download the PDF in English")
		page.lacks(t, e.tan.FullName, "<script", " style=")
		if m := e.server.i18n.missingIDs(); len(m) > 0 {
			t.Errorf("the page asked for missing messages: %v", m)
		}
		for _, c := range cs {
			base := certPath(c.ID)
			page.contains(t, `src="`+base+`/qr.png"`, `href="`+base+`/certificate.pdf?lang=ms"`, c.ID)
			// The page's session fetches the image, as the browser does.
			qr := b.get(base + "/qr.png")
			qr.expect(t, http.StatusOK)
			if got, err := qrscan.Decode([]byte(qr.body)); err != nil || got != c.Payload {
				t.Errorf("the page's QR code reads %.20q, %v", got, err)
			}
		}
	})
}
