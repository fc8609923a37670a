package cert

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vectorSeeds adds the PREFIX and COSE of every dgc-testdata vector.
func vectorSeeds(f *testing.F, add func(v *dgcVector)) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", "dgc-testdata"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		v, err := loadVector(path)
		if err != nil {
			return err
		}
		add(v)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// FuzzHC1 runs the whole pipeline on any text: it must never panic, and an
// invalid result always names its step.
func FuzzHC1(f *testing.F) {
	vectorSeeds(f, func(v *dgcVector) {
		if v.PREFIX != "" {
			f.Add(v.PREFIX)
		}
	})
	good, _ := issueTest(f)
	f.Add(good)
	f.Add("HC1:")
	at := testNow
	trust := getPKI(f).trust
	f.Fuzz(func(t *testing.T, s string) {
		r := Verify(s, VerifyOptions{Trust: trust, At: at})
		if !r.Valid && (r.Step == "" || r.Reason == "") {
			t.Fatalf("invalid without a step or reason: %+v", r)
		}
		if r.Valid && r.Certificate == nil {
			t.Fatal("valid without a certificate")
		}
	})
}

// FuzzCOSE feeds raw bytes to the COSE, claims and schema steps.
func FuzzCOSE(f *testing.F) {
	vectorSeeds(f, func(v *dgcVector) {
		if b, err := v.cose(); err == nil {
			f.Add(b)
		}
	})
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40})
	f.Add([]byte{0xd8, 0x3d, 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0x41, 0xa0, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeCOSEMessage(b, time.Time{})
		if err != nil {
			var se *StepError
			if !asStepError(err, &se) || se.Step == "" || se.Reason == "" {
				t.Fatalf("error without a step: %v", err)
			}
			return
		}
		// Whatever decodes can be checked without panicking.
		h.Verify(VerifyOptions{Trust: getPKI(t).trust, At: testNow})
	})
}
