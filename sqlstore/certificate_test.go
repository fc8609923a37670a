package sqlstore_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
	"github.com/jaga-health/jaga/sqlstore"
)

// certWorld is the dose world with a keyring, a signer and two of the
// ministry's health officers.
type certWorld struct {
	*doseWorld
	keyring      *cert.Keyring
	signer       *cert.Signer
	certs        *sqlstore.CertificateService
	corrections  *sqlstore.CorrectionService
	officer      *jaga.Actor
	approver     *jaga.Actor
	contractorHO *jaga.Actor
}

func newCertWorld(t *testing.T, e *env) *certWorld {
	t.Helper()
	master := make([]byte, cert.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	w := &certWorld{doseWorld: newDoseWorld(t, e),
		keyring:     &cert.Keyring{Store: e.DB, Master: master, Now: e.Clock.Now},
		certs:       sqlstore.NewCertificateService(e.DB),
		corrections: sqlstore.NewCorrectionService(e.DB)}
	if created, err := w.keyring.Init(context.Background()); err != nil || !created {
		t.Fatalf("keyring init = %v, %v; want created", created, err)
	}
	is, err := w.keyring.Issuer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.signer = cert.NewSigner(is)
	e.DB.Signer = w.signer
	ministry := e.org(t, jaga.OrgMinistry)
	w.officer, _ = e.staff(t, ministry, jaga.RoleHealthOfficer)
	w.approver, _ = e.staff(t, ministry, jaga.RoleHealthOfficer)
	w.contractorHO, _ = e.staff(t, e.org(t, jaga.OrgContractor), jaga.RoleHealthOfficer)
	w.contract(t, e)
	return w
}

// verify verifies payload against the keyring's trust list and revocation
// list as of the test's clock.
func (w *certWorld) verify(t *testing.T, e *env, payload string) cert.Result {
	t.Helper()
	ctx := context.Background()
	trust, err := w.keyring.TrustList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := e.DB.RevokedCertificates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := w.keyring.SignedRevocationList(ctx, revoked)
	if err != nil {
		t.Fatal(err)
	}
	key, err := w.keyring.TrustListKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rl, _, err := cert.ParseSignedRevocationList(signed, key)
	if err != nil {
		t.Fatalf("parse the published revocation list: %v", err)
	}
	return cert.Verify(payload, cert.VerifyOptions{Trust: trust, Revoked: rl, At: e.Clock.Now()})
}

func (w *certWorld) record(t *testing.T, r jaga.DoseRecord) *jaga.Dose {
	t.Helper()
	d, _, err := w.doses.RecordDose(as(w.vaccinator), r)
	if err != nil {
		t.Fatalf("record dose: %v", err)
	}
	return d
}

func (w *certWorld) mine(t *testing.T, who *jaga.Person) []*jaga.Certificate {
	t.Helper()
	cs, err := w.certs.Certificates(as(citizenOf(who)))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCertificateIssuedOnDose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		if cs := w.mine(t, w.aisyah); len(cs) != 0 {
			t.Fatalf("certificates before any dose = %d, want 0", len(cs))
		}
		w.record(t, dose("900101-14-5678", "1990-01-01", 1, 2, "2021-07-01"))
		cs := w.mine(t, w.aisyah)
		if len(cs) != 1 || cs[0].Status != jaga.CertificateValid || cs[0].IssueReason != jaga.ReasonNewDose {
			t.Fatalf("certificates after dose 1 = %+v, want one valid, new_dose", cs)
		}
		first := cs[0]
		if !strings.HasPrefix(first.Payload, "HC1:") || !cert.CheckUVCI(first.ID) || !strings.HasPrefix(first.ID, "URN:UVCI:01:MY:") {
			t.Fatalf("certificate id %q payload %.10q: want a MY UVCI and an HC1 payload", first.ID, first.Payload)
		}
		r := w.verify(t, e, first.Payload)
		if !r.Valid {
			t.Fatalf("verify = %s at %s, want valid", r.Reason, r.Step)
		}
		if got := r.Certificate.DCC.Name.FamilyNameStd; got != "AISYAH<BINTI<RAHMAN" {
			t.Errorf("fnt = %q, want AISYAH<BINTI<RAHMAN", got)
		}
		v := r.Certificate.DCC.Vaccinations[0]
		if v.DoseNumber != 1 || v.TotalDoses != 2 || v.Date != "2021-07-01" || v.CertificateID != first.ID || v.Vaccine != cert.ProphylaxisMRNA {
			t.Errorf("vaccination entry = %+v", v)
		}

		// The second dose supersedes the first certificate, which still
		// verifies: it is true of its dose.
		w.record(t, dose("900101-14-5678", "1990-01-01", 2, 2, "2021-07-22"))
		cs = w.mine(t, w.aisyah)
		if len(cs) != 1 || cs[0].ID == first.ID || cs[0].Replaces != first.ID {
			t.Fatalf("certificates after dose 2 = %+v, want a new one replacing %s", cs, first.ID)
		}
		old, err := w.certs.Certificate(as(citizenOf(w.aisyah)), first.ID)
		if err != nil || old.Status != jaga.CertificateSuperseded {
			t.Fatalf("first certificate = %+v, %v; want superseded", old, err)
		}
		if r := w.verify(t, e, first.Payload); !r.Valid {
			t.Errorf("superseded certificate: %s at %s, want still valid", r.Reason, r.Step)
		}

		// Recording the same dose again issues nothing new.
		w.record(t, dose("900101-14-5678", "1990-01-01", 2, 2, "2021-07-22"))
		if again := w.mine(t, w.aisyah); again[0].ID != cs[0].ID {
			t.Errorf("the same dose again issued %s, want %s kept", again[0].ID, cs[0].ID)
		}

		// A dependant's certificate shows under the guardian, and no one
		// else's.
		w.record(t, dose("160305-10-1234", "2016-03-05", 1, 2, "2022-02-01"))
		cs = w.mine(t, w.aisyah)
		if len(cs) != 2 || cs[0].PersonID != w.aisyah.ID || cs[1].PersonID != w.adam.ID {
			t.Fatalf("guardian's certificates = %d, want hers then Adam's", len(cs))
		}
		if _, err := w.certs.Certificate(as(citizenOf(w.tan)), cs[1].ID); jaga.ErrorCode(err) != jaga.ENOTFOUND {
			t.Errorf("another citizen reading Adam's certificate: %v, want not_found", err)
		}
		if _, err := w.certs.Certificates(anonymous()); jaga.ErrorCode(err) != jaga.EUNAUTHORIZED {
			t.Errorf("anonymous: %v, want unauthorized", err)
		}
	})
}

func TestCertificateRefresh(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		// A dose recorded while no key was loaded reaches no certificate
		// until the person refreshes.
		e.DB.Signer = nil
		w.record(t, dose("950815-07-5523", "1995-08-15", 1, 1, "2021-09-01"))
		if cs := w.mine(t, w.tan); len(cs) != 0 {
			t.Fatalf("certificates without a signer = %d, want 0", len(cs))
		}
		e.DB.Signer = w.signer
		tan := as(citizenOf(w.tan))
		res, err := w.certs.Refresh(tan, "")
		if err != nil || !res.Changed || res.Doses != 1 || res.Certificate == nil || res.Certificate.IssueReason != jaga.ReasonRefresh {
			t.Fatalf("refresh = %+v, %v; want a new certificate of 1 dose", res, err)
		}
		res2, err := w.certs.Refresh(tan, w.tan.ID)
		if err != nil || res2.Changed || res2.Certificate.ID != res.Certificate.ID {
			t.Fatalf("second refresh = %+v, %v; want unchanged", res2, err)
		}
		// Refresh of someone who is not yours looks like no one.
		if _, err := w.certs.Refresh(tan, w.adam.ID); jaga.ErrorCode(err) != jaga.ENOTFOUND {
			t.Errorf("refresh another's dependant: %v, want not_found", err)
		}
		// A guardian refreshes a dependant with no dose: nothing to issue.
		res3, err := w.certs.Refresh(as(citizenOf(w.aisyah)), w.adam.ID)
		if err != nil || res3.Changed || res3.Doses != 0 || res3.Certificate != nil {
			t.Errorf("refresh of a dependant with no dose = %+v, %v", res3, err)
		}
	})
}

func TestCorrection(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		d1 := w.record(t, dose("900101-14-5678", "1990-01-01", 1, 2, "2021-07-01"))
		w.record(t, dose("900101-14-5678", "1990-01-01", 2, 2, "2021-07-22"))
		before := w.mine(t, w.aisyah)[0]
		officer, approver := as(w.officer), as(w.approver)
		ref := "CASE-2026-0042"

		t.Run("bad requests", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				req   jaga.CorrectionRequest
				field string
			}{
				{"unknown field", jaga.CorrectionRequest{PersonID: w.aisyah.ID, Field: "religion", NewValue: "x", Reason: "a good reason", Reference: ref}, "field"},
				{"short reason", jaga.CorrectionRequest{PersonID: w.aisyah.ID, Field: jaga.CorrectFullName, NewValue: "Aishah", Reason: "typo", Reference: ref}, "reason"},
				{"no reference", jaga.CorrectionRequest{PersonID: w.aisyah.ID, Field: jaga.CorrectFullName, NewValue: "Aishah", Reason: "spelling on passport"}, "reference"},
				{"dose without dose id", jaga.CorrectionRequest{PersonID: w.aisyah.ID, Field: jaga.CorrectDoseBatch, NewValue: "AB12", Reason: "batch misread", Reference: ref}, "doseId"},
				{"another's dose", jaga.CorrectionRequest{PersonID: w.tan.ID, Field: jaga.CorrectDoseBatch, DoseID: d1.ID, NewValue: "AB12", Reason: "batch misread", Reference: ref}, "doseId"},
				{"same value", jaga.CorrectionRequest{PersonID: w.aisyah.ID, Field: jaga.CorrectFullName, NewValue: "Aisyah binti Rahman", Reason: "spelling on passport", Reference: ref}, "newValue"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := w.corrections.RequestCorrection(officer, tc.req)
					wantField(t, err, tc.field)
				})
			}
			// Outside the ministry, no contract: denied, and logged.
			_, err := w.corrections.RequestCorrection(as(w.contractorHO), jaga.CorrectionRequest{PersonID: w.aisyah.ID,
				Field: jaga.CorrectFullName, NewValue: "Aishah binti Rahman", Reason: "spelling on passport", Reference: ref})
			wantCode(t, err, jaga.EFORBIDDEN)
			_, err = w.corrections.RequestCorrection(as(citizenOf(w.aisyah)), jaga.CorrectionRequest{})
			wantCode(t, err, jaga.EFORBIDDEN)
		})

		c, err := w.corrections.RequestCorrection(officer, jaga.CorrectionRequest{PersonID: w.aisyah.ID,
			Field: jaga.CorrectFullName, NewValue: "Aishah  binti Rahman", Reason: "spelling on her passport", Reference: ref})
		if err != nil || c.Status != jaga.CorrectionPending || c.OldValue != "Aisyah binti Rahman" || c.NewValue != "Aishah binti Rahman" {
			t.Fatalf("request = %+v, %v", c, err)
		}
		// Nothing changes until a second officer approves.
		if now := w.mine(t, w.aisyah)[0]; now.ID != before.ID {
			t.Fatalf("certificate changed before approval")
		}
		_, err = w.corrections.DecideCorrection(officer, c.ID, true)
		wantCode(t, err, jaga.EFORBIDDEN)
		list, err := w.corrections.Corrections(approver, jaga.CorrectionPending)
		if err != nil || len(list) != 1 || list[0].NewValue != "" {
			t.Fatalf("pending list = %+v, %v; want one, without values", list, err)
		}
		shown, err := w.corrections.Correction(approver, c.ID)
		if err != nil || shown.NewValue != "Aishah binti Rahman" {
			t.Fatalf("correction = %+v, %v", shown, err)
		}
		done, err := w.corrections.DecideCorrection(approver, c.ID, true)
		if err != nil || done.Status != jaga.CorrectionApproved || done.CertID == "" || len(done.RevokedIDs) != 2 {
			t.Fatalf("approve = %+v, %v; want approved, a new certificate, both old ones revoked", done, err)
		}
		_, err = w.corrections.DecideCorrection(approver, c.ID, false)
		wantCode(t, err, jaga.ECONFLICT)

		after := w.mine(t, w.aisyah)
		if len(after) != 1 || after[0].ID != done.CertID || after[0].IssueReason != jaga.ReasonCorrection || after[0].PersonName != "Aishah binti Rahman" {
			t.Fatalf("certificate after correction = %+v", after)
		}
		if r := w.verify(t, e, after[0].Payload); !r.Valid || r.Certificate.DCC.Name.FamilyName != "Aishah binti Rahman" {
			t.Fatalf("new certificate: valid %v (%s), name %q", r.Valid, r.Reason, r.Certificate.DCC.Name.FamilyName)
		}
		r := w.verify(t, e, before.Payload)
		if r.Valid || r.Step != cert.StepRevocation {
			t.Fatalf("old certificate: valid %v at %q (%s), want revoked", r.Valid, r.Step, r.Reason)
		}
		// The person is told, in her language.
		body := e.tableText(t, "outbox")
		if !strings.Contains(body, "Rekod vaksinasi anda telah dibetulkan") || !strings.Contains(body, w.aisyah.Phone) {
			t.Errorf("outbox holds no Malay notice to Aisyah's phone")
		}
		// Every officer's attempt is in her list of accesses.
		entries, err := e.Log.AccessesToMe(as(citizenOf(w.aisyah)), 100)
		if err != nil {
			t.Fatal(err)
		}
		var corr int
		for _, en := range entries {
			if en.Purpose == jaga.PurposeRecordCorrection {
				corr++
			}
		}
		if corr != 7 { // the "same value" request, the contractor's denial, request, self-decide, read, approve, the second decision
			t.Errorf("correction accesses in her log = %d, want 7", corr)
		}

		t.Run("dose correction with an impossible value changes nothing", func(t *testing.T) {
			c, err := w.corrections.RequestCorrection(officer, jaga.CorrectionRequest{PersonID: w.aisyah.ID,
				Field: jaga.CorrectDoseGivenOn, DoseID: d1.ID, NewValue: "1989-01-01", Reason: "date entered wrongly", Reference: ref})
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.corrections.DecideCorrection(approver, c.ID, true)
			wantField(t, err, "newValue")
			if got := w.mine(t, w.aisyah)[0].ID; got != done.CertID {
				t.Errorf("certificate changed by a refused correction")
			}
		})
		t.Run("dose batch corrected", func(t *testing.T) {
			current := w.mine(t, w.aisyah)[0]
			correct := func(doseID, batch string) *jaga.Correction {
				t.Helper()
				c, err := w.corrections.RequestCorrection(officer, jaga.CorrectionRequest{PersonID: w.aisyah.ID,
					Field: jaga.CorrectDoseBatch, DoseID: doseID, NewValue: batch, Reason: "batch from the vial label", Reference: ref})
				if err != nil {
					t.Fatal(err)
				}
				got, err := w.corrections.DecideCorrection(approver, c.ID, true)
				if err != nil || got.Status != jaga.CorrectionApproved {
					t.Fatalf("approve = %+v, %v", got, err)
				}
				return got
			}
			// Dose 1's certificates were all revoked by the name's
			// correction; the current one is of dose 2 and stays.
			got := correct(d1.ID, "FF1234")
			if len(got.RevokedIDs) != 0 || got.CertID != current.ID {
				t.Errorf("dose 1 corrected: revoked %v, certificate %s; want none revoked, %s kept", got.RevokedIDs, got.CertID, current.ID)
			}
			// Dose 2's correction revokes the current certificate and issues
			// one with the new batch.
			got = correct(current.DoseID, "FG7777")
			if len(got.RevokedIDs) != 1 || got.RevokedIDs[0] != current.ID || got.CertID == current.ID {
				t.Errorf("dose 2 corrected: revoked %v, certificate %s", got.RevokedIDs, got.CertID)
			}
			if r := w.verify(t, e, current.Payload); r.Step != cert.StepRevocation {
				t.Errorf("replaced certificate: step %q, want revocation", r.Step)
			}
		})
	})
}

func TestKeyRotationReissues(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCertWorld(t, e)
		w.record(t, dose("900101-14-5678", "1990-01-01", 1, 2, "2021-07-01"))
		w.record(t, dose("950815-07-5523", "1995-08-15", 1, 1, "2021-09-01"))
		old := w.mine(t, w.aisyah)[0]
		ctx := context.Background()
		k, err := w.keyring.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		is, err := w.keyring.Issuer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.signer.Use(is)
		res, err := e.DB.ReissueCertificates(ctx, k.KID, 1, nil)
		if err != nil || res.Reissued != 2 || res.Batches != 2 {
			t.Fatalf("reissue = %+v, %v; want 2 in 2 batches", res, err)
		}
		now := w.mine(t, w.aisyah)[0]
		if now.KID != k.KID || now.IssueReason != jaga.ReasonKeyRotation || now.Replaces != old.ID {
			t.Fatalf("after rotation = %+v", now)
		}
		// Both keys are on the trust list: the retired one still verifies
		// what it signed.
		for _, p := range []string{old.Payload, now.Payload} {
			if r := w.verify(t, e, p); !r.Valid {
				t.Errorf("verify: %s at %s", r.Reason, r.Step)
			}
		}
		// A second run finds nothing left.
		if res, err := e.DB.ReissueCertificates(ctx, k.KID, 10, nil); err != nil || res.Reissued != 0 {
			t.Errorf("second reissue = %+v, %v", res, err)
		}
		// The wrong master key opens nothing.
		bad := &cert.Keyring{Store: e.DB, Master: make([]byte, cert.MasterKeySize), Now: e.Clock.Now}
		if _, err := bad.Issuer(ctx); jaga.ErrorCode(err) != jaga.EINVALID {
			t.Errorf("issuer with the wrong master key: %v, want invalid", err)
		}
		// Nothing of a key is stored in the clear.
		keys, err := e.DB.SigningKeys(ctx)
		if err != nil || len(keys) != 3 {
			t.Fatalf("signing keys = %d, %v; want a CA and two signers", len(keys), err)
		}
		active := 0
		for _, sk := range keys {
			if sk.Status == jaga.SigningKeyActive {
				active++
			}
		}
		if active != 2 {
			t.Errorf("active keys = %d, want the CA and the new signer", active)
		}
	})
}
