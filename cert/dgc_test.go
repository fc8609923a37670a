package cert

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	_ "image/png"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga/qrscan"
)

// dgcVector is one file of the EU dgc-testdata vectors (testdata/dgc-testdata,
// see its SOURCE.md for the fields).
type dgcVector struct {
	JSON       json.RawMessage `json:"JSON"`
	CBOR       string          `json:"CBOR"`
	COSE       string          `json:"COSE"`
	COMPRESSED string          `json:"COMPRESSED"`
	BASE45     string          `json:"BASE45"`
	PREFIX     string          `json:"PREFIX"`
	TwoDCode   string          `json:"2DCODE"`
	TESTCTX    struct {
		VERSION         any    `json:"VERSION"`
		SCHEMA          string `json:"SCHEMA"`
		CERTIFICATE     string `json:"CERTIFICATE"`
		VALIDATIONCLOCK string `json:"VALIDATIONCLOCK"`
		DESCRIPTION     string `json:"DESCRIPTION"`
	} `json:"TESTCTX"`
	EXPECTEDRESULTS map[string]bool `json:"EXPECTEDRESULTS"`
}

// errSkip marks a step that a vector names but cannot be run on it (a
// field it needs is absent).
type errSkip string

func (e errSkip) Error() string { return "skipped: " + string(e) }

// vectorDefects lists vectors whose own fields disagree, so that no
// implementation can reach the expected result of the step named; each is
// counted apart, not as a pass or a failure of jaga's.
var vectorDefects = map[string]map[string]string{
	"FR/2DCode/raw/test_pcr_ok.json": {
		"EXPECTEDVALIDJSON": "the CBOR's t[0].sc and t[0].dr are 2 hours later than the JSON's (14:34:56Z in CBOR, 12:34:56Z in JSON): local time written with a Z",
	},
}

// dgcSteps maps each EXPECTEDRESULTS key to jaga's implementation of that
// step: it returns nil when the step succeeds, an error when it fails, and
// an errSkip when the vector lacks what the step needs.
var dgcSteps = map[string]func(v *dgcVector) error{
	"EXPECTEDVALIDOBJECT":      stepValidObject,
	"EXPECTEDSCHEMAVALIDATION": stepSchemaValidation,
	"EXPECTEDENCODE":           stepEncode,
	"EXPECTEDDECODE":           stepDecode,
	"EXPECTEDVERIFY":           stepVerify,
	"EXPECTEDUNPREFIX":         stepUnprefix,
	"EXPECTEDVALIDJSON":        stepValidJSON,
	"EXPECTEDCOMPRESSION":      stepCompression,
	"EXPECTEDB45DECODE":        stepB45Decode,
	"EXPECTEDPICTUREDECODE":    stepPictureDecode,
	"EXPECTEDEXPIRATIONCHECK":  stepExpirationCheck,
	"EXPECTEDKEYUSAGE":         stepKeyUsage,
}

// TestDGCTestdata runs every vector through each step its EXPECTEDRESULTS
// names and compares the outcome; it logs the count per step.
func TestDGCTestdata(t *testing.T) {
	root := filepath.Join("testdata", "dgc-testdata")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 379 {
		t.Fatalf("found %d vectors; expected 379", len(files))
	}
	type counts struct{ passed, failed, skipped, defect int }
	var mu sync.Mutex
	tally := map[string]*counts{}
	for key := range dgcSteps {
		tally[key] = &counts{}
	}
	unknown := map[string]int{}

	for _, path := range files {
		name, _ := filepath.Rel(root, path)
		t.Run(name, func(t *testing.T) {
			v := readVector(t, path)
			keys := make([]string, 0, len(v.EXPECTEDRESULTS))
			for k := range v.EXPECTEDRESULTS {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, key := range keys {
				want := v.EXPECTEDRESULTS[key]
				step, ok := dgcSteps[key]
				if !ok {
					mu.Lock()
					unknown[key]++
					mu.Unlock()
					continue
				}
				t.Run(strings.TrimPrefix(key, "EXPECTED"), func(t *testing.T) {
					err := step(v)
					mu.Lock()
					defer mu.Unlock()
					c := tally[key]
					if s, ok := err.(errSkip); ok {
						c.skipped++
						t.Skip(string(s))
					}
					if got := err == nil; got != want {
						if why, ok := vectorDefects[filepath.ToSlash(name)][key]; ok {
							c.defect++
							t.Logf("vector defect, not counted: %s; error: %v", why, err)
							return
						}
						c.failed++
						t.Errorf("%s: got %v, want %v (%s); error: %v", key, got, want, v.TESTCTX.DESCRIPTION, err)
						return
					}
					c.passed++
				})
			}
		})
	}

	keys := make([]string, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "dgc-testdata: %d vectors\n%-26s %7s %7s %7s %14s\n", len(files), "step", "passed", "failed", "skipped", "vector-defect")
	total := counts{}
	for _, k := range keys {
		c := tally[k]
		fmt.Fprintf(&sb, "%-26s %7d %7d %7d %14d\n", k, c.passed, c.failed, c.skipped, c.defect)
		total.passed += c.passed
		total.failed += c.failed
		total.skipped += c.skipped
		total.defect += c.defect
	}
	fmt.Fprintf(&sb, "%-26s %7d %7d %7d %14d\n", "total", total.passed, total.failed, total.skipped, total.defect)
	for k, n := range unknown {
		fmt.Fprintf(&sb, "not implemented: %s in %d vectors (skipped)\n", k, n)
	}
	t.Log("\n" + sb.String())
}

func readVector(t testing.TB, path string) *dgcVector {
	t.Helper()
	v, err := loadVector(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func loadVector(path string) (*dgcVector, error) {
	b, err := osReadFile(path)
	if err != nil {
		return nil, err
	}
	var v dgcVector
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &v, nil
}

// clock returns the vector's VALIDATIONCLOCK.
func (v *dgcVector) clock() (time.Time, error) {
	s := v.TESTCTX.VALIDATIONCLOCK
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errSkip("no VALIDATIONCLOCK")
}

// cose returns the vector's COSE bytes.
func (v *dgcVector) cose() ([]byte, error) {
	if v.COSE == "" {
		return nil, errSkip("no COSE")
	}
	return hex.DecodeString(v.COSE)
}

// isCWT reports whether b is a CBOR map with the hcert claim.
func isCWT(b []byte) bool {
	found := false
	if cborMajor(b) != majorMap {
		return false
	}
	var m map[int]any
	if err := decMode.Unmarshal(b, &m); err == nil {
		_, found = m[claimHcert]
	}
	return found
}

// claims returns the decoded CWT claims and the raw DCC: from the COSE
// payload when there is one, else from the CBOR field when it is a CWT.
// The CBOR field of some vectors is the CWT, of others the DCC alone.
func (v *dgcVector) claims() (*HC1, []byte, error) {
	var payload []byte
	switch {
	case v.COSE != "":
		b, err := v.cose()
		if err != nil {
			return nil, nil, err
		}
		s, err := parseCOSE(b)
		if err != nil {
			return nil, nil, err
		}
		payload = s.payload
	case v.CBOR != "":
		b, err := hex.DecodeString(v.CBOR)
		if err != nil {
			return nil, nil, err
		}
		if !isCWT(b) {
			return nil, nil, errSkip("CBOR is a bare DCC and there is no COSE")
		}
		payload = b
	default:
		return nil, nil, errSkip("no COSE or CBOR")
	}
	h := &HC1{}
	raw, err := h.decodeClaims(payload)
	if err != nil {
		return nil, nil, err
	}
	return h, raw, nil
}

// dccRaw returns the raw CBOR of the vector's DCC: from the CBOR field
// (a CWT or a bare DCC), else from the COSE payload.
func (v *dgcVector) dccRaw() ([]byte, error) {
	if v.CBOR != "" {
		b, err := hex.DecodeString(v.CBOR)
		if err != nil {
			return nil, err
		}
		if !isCWT(b) {
			return b, nil
		}
		h := &HC1{}
		return h.decodeClaims(b)
	}
	_, raw, err := v.claims()
	return raw, err
}

// dccFromCBOR decodes the vector's DCC.
func (v *dgcVector) dccFromCBOR() (*DCC, []byte, error) {
	raw, err := v.dccRaw()
	if err != nil {
		return nil, nil, err
	}
	var d DCC
	if err := decodeDCC(raw, &d); err != nil {
		return nil, nil, err
	}
	return &d, raw, nil
}

func stepValidObject(v *dgcVector) error {
	if len(v.JSON) == 0 || string(v.JSON) == "null" {
		return errSkip("no JSON")
	}
	var d DCC
	dec := json.NewDecoder(bytes.NewReader(v.JSON))
	return dec.Decode(&d)
}

func stepSchemaValidation(v *dgcVector) error {
	at, err := v.clock()
	if err != nil {
		return err
	}
	d, raw, err := v.dccFromCBOR()
	if err != nil {
		return err
	}
	_, err = validateDCC(d, raw, at, false)
	return err
}

func stepEncode(v *dgcVector) error {
	if len(v.JSON) == 0 || v.CBOR == "" {
		return errSkip("no JSON or CBOR")
	}
	var fromJSON DCC
	if err := json.Unmarshal(v.JSON, &fromJSON); err != nil {
		return err
	}
	// jaga's encoding of the JSON object must decode to the same DCC as
	// the vector's CBOR.
	enc, err := encMode.Marshal(&fromJSON)
	if err != nil {
		return err
	}
	var roundTrip DCC
	if err := decodeDCC(enc, &roundTrip); err != nil {
		return err
	}
	fromCBOR, _, err := v.dccFromCBOR()
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(&roundTrip, fromCBOR) {
		return fmt.Errorf("the JSON encoded as CBOR differs from the vector's CBOR")
	}
	return nil
}

func stepDecode(v *dgcVector) error {
	if v.COSE != "" && v.CBOR != "" {
		b, err := v.cose()
		if err != nil {
			return err
		}
		s, err := parseCOSE(b)
		if err != nil {
			return err
		}
		want, _ := hex.DecodeString(v.CBOR)
		if !bytes.Equal(s.payload, want) {
			// The CBOR field may be the DCC alone, or encoded otherwise:
			// compare the decoded DCCs.
			_, raw, err := v.claims()
			if err != nil {
				return err
			}
			var fromCOSE DCC
			if err := decodeDCC(raw, &fromCOSE); err != nil {
				return err
			}
			fromCBOR, _, err := v.dccFromCBOR()
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(&fromCOSE, fromCBOR) {
				return fmt.Errorf("the DCC in the COSE payload differs from the CBOR field's")
			}
		}
	}
	if v.COSE == "" && v.CBOR == "" {
		return errSkip("no COSE or CBOR")
	}
	if _, _, err := v.claims(); err != nil {
		if _, skip := err.(errSkip); !skip {
			return err
		}
	}
	_, _, err := v.dccFromCBOR()
	return err
}

func stepVerify(v *dgcVector) error {
	b, err := v.cose()
	if err != nil {
		return err
	}
	at, err := v.clock()
	if err != nil {
		return err
	}
	trust, err := ParseCertificates([]byte(v.TESTCTX.CERTIFICATE))
	if err != nil {
		return err
	}
	s, err := parseCOSE(b)
	if err != nil {
		return err
	}
	h := &HC1{Alg: s.alg, KID: s.kid, sign1: s}
	raw, err := h.decodeClaims(s.payload)
	if err != nil {
		return err
	}
	if err := decodeDCC(raw, &h.DCC); err != nil {
		return err
	}
	return h.checkSignatureOnly(trust, at)
}

// checkSignatureOnly is the cryptographic part of checkSignature: the key
// by kid and the signature, without key validity or usage (which the
// vectors test separately).
func (h *HC1) checkSignatureOnly(trust *TrustList, _ time.Time) error {
	keys := trust.lookup(h.KID)
	if len(keys) == 0 {
		return stepErr(StepTrust, "unknown key")
	}
	digest := sigDigest(h.sign1.protected, h.sign1.payload)
	var err error
	for _, k := range keys {
		if err = verifySignature(h.Alg, k.PublicKey, digest[:], h.sign1.signature); err == nil {
			return nil
		}
	}
	return err
}

func stepUnprefix(v *dgcVector) error {
	if v.PREFIX == "" {
		return errSkip("no PREFIX")
	}
	b45, err := unprefixHC1(v.PREFIX)
	if err != nil {
		return err
	}
	if v.BASE45 != "" && b45 != v.BASE45 {
		return fmt.Errorf("unprefixed text differs from BASE45")
	}
	return nil
}

func stepValidJSON(v *dgcVector) error {
	if len(v.JSON) == 0 {
		return errSkip("no JSON")
	}
	raw, err := v.dccRaw()
	if err != nil {
		return err
	}
	var fromCBOR any
	if err := decMode.Unmarshal(raw, &fromCBOR); err != nil {
		return err
	}
	got, err := normalizeJSON(fromCBOR)
	if err != nil {
		return err
	}
	var want any
	if err := json.Unmarshal(v.JSON, &want); err != nil {
		return err
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("JSON from CBOR differs from the vector's JSON: %v vs %v", got, want)
	}
	return nil
}

// normalizeJSON turns a generic CBOR value into what encoding/json would
// produce for the same JSON: maps with string keys, float64 numbers.
func normalizeJSON(v any) (any, error) {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("map key is not text")
			}
			n, err := normalizeJSON(val)
			if err != nil {
				return nil, err
			}
			m[ks] = n
		}
		return m, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case uint64:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return x.Format(time.RFC3339), nil
	}
	return v, nil
}

func stepCompression(v *dgcVector) error {
	if v.COMPRESSED == "" {
		return errSkip("no COMPRESSED")
	}
	data, err := hex.DecodeString(v.COMPRESSED)
	if err != nil {
		return err
	}
	out, _, err := inflateCOSE(nil, data, true)
	if err != nil {
		return err
	}
	if v.COSE != "" {
		want, _ := hex.DecodeString(v.COSE)
		if !bytes.Equal(out, want) {
			return fmt.Errorf("decompressed data differs from COSE")
		}
	}
	return nil
}

func stepB45Decode(v *dgcVector) error {
	if v.BASE45 == "" {
		return errSkip("no BASE45")
	}
	out, err := DecodeBase45(v.BASE45)
	if err != nil {
		return err
	}
	if v.COMPRESSED != "" {
		want, _ := hex.DecodeString(v.COMPRESSED)
		if !bytes.Equal(out, want) {
			return fmt.Errorf("Base45-decoded data differs from COMPRESSED")
		}
	}
	return nil
}

func stepPictureDecode(v *dgcVector) error {
	if v.TwoDCode == "" {
		return errSkip("no 2DCODE")
	}
	png, err := base64.StdEncoding.DecodeString(v.TwoDCode)
	if err != nil {
		return err
	}
	text, err := decodeQR(png)
	if err != nil {
		return err
	}
	if text != v.PREFIX {
		return fmt.Errorf("QR text differs from PREFIX")
	}
	return nil
}

// decodeQR reads the text of the QR code in a PNG.
func decodeQR(png []byte) (string, error) { return qrscan.Decode(png) }

func stepExpirationCheck(v *dgcVector) error {
	at, err := v.clock()
	if err != nil {
		return err
	}
	h, _, err := v.claims()
	if err != nil {
		return err
	}
	return checkTimes(h.IssuedAt, h.ExpiresAt, at, DefaultClockSkew)
}

func stepKeyUsage(v *dgcVector) error {
	trust, err := ParseCertificates([]byte(v.TESTCTX.CERTIFICATE))
	if err != nil {
		return err
	}
	d, _, err := v.dccFromCBOR()
	if err != nil {
		return err
	}
	for _, k := range trust.Keys() {
		if !keyUsageAllows(k.Certificate, d.Type()) {
			return fmt.Errorf("the signer may not sign %s certificates", d.Type())
		}
	}
	return nil
}
