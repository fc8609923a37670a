package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, body, ctype string
		wantCode          string
		wantMsg           string
	}{
		{"valid", `{"contact":"0123456789"}`, "application/json", "", ""},
		{"charset", `{"contact":"0123456789"}`, "application/json; charset=utf-8", "", ""},
		{"form content type", `contact=1`, "application/x-www-form-urlencoded", jaga.EINVALID, "application/json"},
		{"empty", ``, "application/json", jaga.EINVALID, "empty"},
		{"syntax", `{"contact" "x"}`, "application/json", jaga.EINVALID, "at byte"},
		{"truncated", `{"contact":"x"`, "application/json", jaga.EINVALID, "ends too early"},
		{"type", `{"contact":[]}`, "application/json", jaga.EINVALID, `"contact"`},
		{"unknown field", `{"contact":"x","x":1}`, "application/json", jaga.EINVALID, `Unknown field "x"`},
		{"trailing object", `{"contact":"x"} {"contact":"y"}`, "application/json", jaga.EINVALID, "single JSON object"},
		{"array", `[1]`, "application/json", jaga.EINVALID, "of type"},
		{"too large", `{"contact":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "application/json", jaga.ETOOLARGE, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/auth/challenges", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			var v challengeRequest
			err := decodeJSON(httptest.NewRecorder(), r, &v)
			if jaga.ErrorCode(err) != tt.wantCode || !strings.Contains(jaga.ErrorMessage(err), tt.wantMsg) {
				t.Fatalf("err = %v (%s), want %s with %q", err, jaga.ErrorMessage(err), tt.wantCode, tt.wantMsg)
			}
		})
	}
}

// FuzzDecodeJSON checks that any body is decoded or refused with a client
// error, never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"fullName":"A","idType":"nric"}`, `{`, `[]`, `null`, `{"fullName":1}`, `{"a":{"b":[1,2,{}]}}`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/me/profile", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var p jaga.Profile
		err := decodeJSON(httptest.NewRecorder(), r, &p)
		switch jaga.ErrorCode(err) {
		case "", jaga.EINVALID, jaga.ETOOLARGE:
		default:
			t.Fatalf("body %q: %v", body, err)
		}
	})
}
