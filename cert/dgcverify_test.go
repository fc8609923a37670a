package cert

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDGCTestdataVerify runs every vector's PREFIX through the whole of
// Verify, with the vector's certificate as the trust list and its clock as
// the time, and checks that the certificate is valid exactly when every
// step that Verify covers is expected to succeed.
func TestDGCTestdataVerify(t *testing.T) {
	covered := []string{
		"EXPECTEDUNPREFIX", "EXPECTEDB45DECODE", "EXPECTEDCOMPRESSION", "EXPECTEDDECODE",
		"EXPECTEDVERIFY", "EXPECTEDSCHEMAVALIDATION", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDKEYUSAGE",
	}
	root := filepath.Join("testdata", "dgc-testdata")
	var agree, differ, untested int
	// The expectation that covers each step of Verify.
	stepKey := map[string][]string{
		StepPrefix: {"EXPECTEDUNPREFIX"}, StepBase45: {"EXPECTEDB45DECODE"}, StepZlib: {"EXPECTEDCOMPRESSION"},
		StepCOSE: {"EXPECTEDDECODE", "EXPECTEDVERIFY"}, StepCBOR: {"EXPECTEDDECODE", "EXPECTEDVERIFY"},
		StepSchema: {"EXPECTEDSCHEMAVALIDATION"}, StepTrust: {"EXPECTEDVERIFY", "EXPECTEDKEYUSAGE"},
		StepSignature: {"EXPECTEDVERIFY"}, StepTime: {"EXPECTEDEXPIRATIONCHECK"},
	}
	steps := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		v := readVector(t, path)
		name, _ := filepath.Rel(root, path)
		if v.PREFIX == "" || v.TESTCTX.CERTIFICATE == "" {
			return nil
		}
		at, err := v.clock()
		if err != nil {
			return nil
		}
		trust, err := ParseCertificates([]byte(v.TESTCTX.CERTIFICATE))
		if err != nil {
			t.Errorf("%s: certificate: %v", name, err)
			return nil
		}
		want := true
		for _, k := range covered {
			if ok, named := v.EXPECTEDRESULTS[k]; named && !ok {
				want = false
			}
		}
		// A payload without zlib is accepted, with a warning, as the
		// specification allows a verifier to.
		lenientZlib := v.EXPECTEDRESULTS["EXPECTEDCOMPRESSION"] == false && hasOnlyFalse(v, "EXPECTEDCOMPRESSION")
		r := Verify(v.PREFIX, VerifyOptions{Trust: trust, At: at})
		if r.Valid {
			steps["valid"]++
		} else {
			steps[r.Step]++
		}
		named := false
		for _, k := range stepKey[r.Step] {
			_, ok := v.EXPECTEDRESULTS[k]
			named = named || ok
		}
		switch {
		case r.Valid == want:
			agree++
		case !r.Valid && want && !named:
			untested++ // fails at a step the vector does not test, e.g. a clock before iat
			t.Logf("%s: fails at %q, which the vector does not test: %s", name, r.Step, r.Reason)
		case r.Valid && lenientZlib && contains(r.Warnings, "payload is not compressed"):
			agree++
		default:
			differ++
			t.Errorf("%s: Verify valid=%v step=%s reason=%q; expected valid=%v (%s)", name, r.Valid, r.Step, r.Reason, want, v.TESTCTX.DESCRIPTION)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(steps))
	for k := range steps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "Verify over dgc-testdata: %d agree, %d differ, %d fail at a step the vector does not test; outcomes:", agree, differ, untested)
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%d", k, steps[k])
	}
	t.Log(sb.String())
}

// hasOnlyFalse reports whether key is the only expectation of v that is
// false.
func hasOnlyFalse(v *dgcVector, key string) bool {
	for k, ok := range v.EXPECTEDRESULTS {
		if !ok && k != key {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
