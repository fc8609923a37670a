package jaga_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jaga-health/jaga"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{"local with spaces and dash", "012-345 6789", "+60123456789", ""},
		{"local 11 digits", "011-2345 6789", "+601123456789", ""},
		{"with country code", "+60 12 345 6789", "+60123456789", ""},
		{"country code without plus", "60123456789", "+60123456789", ""},
		{"international 00 prefix", "0065 9123 4567", "+6591234567", ""},
		{"Singapore", "+65 9123 4567", "+6591234567", ""},
		{"parentheses and dots", "(012) 345.6789", "+60123456789", ""},
		{"letters", "012-ABC-6789", "", "only digits"},
		{"plus in the middle", "01+23456789", "", "only digits"},
		{"no prefix", "123456789", "", "Start the phone number"},
		{"country code zero", "+0123456789", "", "cannot start with 0"},
		{"too short", "+6512345", "", "8 to 15 digits"},
		{"too long", "+1234567890123456", "", "8 to 15 digits"},
		{"Malaysian landline", "03-2345 6789", "", "Malaysian mobile"},
		{"Malaysian too short", "012-345 678", "", "Malaysian mobile"},
		{"empty", "", "", "only digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jaga.ParsePhone(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(jaga.ErrorMessage(err), tt.wantErr) || jaga.ErrorCode(err) != jaga.EINVALID {
					t.Fatalf("ParsePhone(%q) = %q, %v; want error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "aisyah@example.com", "aisyah@example.com", true},
		{"upper case", "Aisyah@Example.COM", "aisyah@example.com", true},
		{"spaces around", "  a@example.my ", "a@example.my", true},
		{"plus tag", "a+jaga@example.com", "a+jaga@example.com", true},
		{"no domain dot", "a@example", "", false},
		{"display name", "Aisyah <a@example.com>", "", false},
		{"two at", "a@b@example.com", "", false},
		{"no local", "@example.com", "", false},
		{"trailing dot", "a@example.com.", "", false},
		{"ip literal", "a@[127.0.0.1]", "", false},
		{"too long", strings.Repeat("a", 250) + "@example.com", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jaga.ParseEmail(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseEmail(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestProfileValid(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	good := jaga.Profile{FullName: "  Aisyah   binti Rahman ", IDType: "NRIC", IDNumber: "900101-14-5678", DateOfBirth: "1990-01-01", Nationality: "my", Language: ""}
	good.Normalize()
	if problems := good.Valid(now); problems != nil {
		t.Fatalf("valid profile: %v", problems)
	}
	if good.FullName != "Aisyah binti Rahman" || good.IDNumber != "900101145678" || good.Nationality != "MY" || good.Language != "ms" {
		t.Fatalf("normalized: %+v", good)
	}
	tests := []struct {
		name  string
		edit  func(p *jaga.Profile)
		field string
	}{
		{"no name", func(p *jaga.Profile) { p.FullName = "" }, "fullName"},
		{"long name", func(p *jaga.Profile) { p.FullName = strings.Repeat("a", 151) }, "fullName"},
		{"markup in name", func(p *jaga.Profile) { p.FullName = "<script>" }, "fullName"},
		{"unknown id type", func(p *jaga.Profile) { p.IDType = "licence" }, "idType"},
		{"short nric", func(p *jaga.Profile) { p.IDNumber = "90010114567" }, "idNumber"},
		{"passport with symbols", func(p *jaga.Profile) { p.IDType, p.IDNumber = "passport", "A12-345" }, "idNumber"},
		{"date format", func(p *jaga.Profile) { p.DateOfBirth = "01/01/1990" }, "dateOfBirth"},
		{"future birth", func(p *jaga.Profile) { p.DateOfBirth = "2027-01-01" }, "dateOfBirth"},
		{"too old", func(p *jaga.Profile) { p.DateOfBirth = "1890-01-01" }, "dateOfBirth"},
		{"nationality name", func(p *jaga.Profile) { p.Nationality = "MALAYSIA" }, "nationality"},
		{"long address", func(p *jaga.Profile) { p.Address = strings.Repeat("x", 301) }, "address"},
		{"unknown language", func(p *jaga.Profile) { p.Language = "fr" }, "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			tt.edit(&p)
			problems := p.Valid(now)
			if len(problems) != 1 || problems[tt.field] == "" {
				t.Fatalf("problems = %v, want exactly %s", problems, tt.field)
			}
		})
	}
}

func TestMaskedCopy(t *testing.T) {
	p := jaga.Person{FullName: "Aisyah binti Rahman", IDNumber: "900101145678", DateOfBirth: "1990-01-01",
		Phone: "+60123456789", Email: "a@example.com", Address: "12 Jalan Melati"}
	m := p.MaskedCopy()
	tests := []struct{ name, got, want string }{
		{"id number", m.IDNumber, "********5678"},
		{"date of birth", m.DateOfBirth, "1990"},
		{"phone", m.Phone, "****89"},
		{"email", m.Email, "****om"},
		{"address", m.Address, ""},
		{"name kept", m.FullName, "Aisyah binti Rahman"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if !m.Masked || p.Masked || p.IDNumber != "900101145678" {
		t.Fatal("MaskedCopy must mark the copy and leave the original alone")
	}
}

func TestAccessEntryChainHash(t *testing.T) {
	e := jaga.AccessEntry{Seq: 1, At: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ActorKind: "staff", Purpose: "AUDIT", Decision: "allow"}
	h := e.ChainHash(jaga.ZeroHash)
	if len(h) != 64 {
		t.Fatalf("hash %q", h)
	}
	changed := []struct {
		name string
		edit func(e *jaga.AccessEntry)
	}{
		{"seq", func(e *jaga.AccessEntry) { e.Seq = 2 }},
		{"time", func(e *jaga.AccessEntry) { e.At = e.At.Add(time.Microsecond) }},
		{"purpose", func(e *jaga.AccessEntry) { e.Purpose = "AUDITX" }},
		{"field boundary", func(e *jaga.AccessEntry) { e.ActorKind, e.ActorID = "staf", "f" }},
	}
	for _, tt := range changed {
		t.Run(tt.name, func(t *testing.T) {
			c := e
			tt.edit(&c)
			if c.ChainHash(jaga.ZeroHash) == h {
				t.Fatal("hash did not change")
			}
		})
	}
	if e.ChainHash(h) == h {
		t.Fatal("hash does not depend on the previous hash")
	}
	local := e
	local.At = e.At.In(time.FixedZone("MYT", 8*3600))
	if local.ChainHash(jaga.ZeroHash) != h {
		t.Fatal("hash depends on the time zone of the same instant")
	}
}

// FuzzParseContact checks that any input is either refused with a message
// that does not echo it, or normalized to a form that parses to itself.
func FuzzParseContact(f *testing.F) {
	for _, s := range []string{"012-345 6789", "+60123456789", "a@example.com", "Aisyah <a@b.com>", "0065 9123 4567", "@", "+", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := jaga.ParseContact(s)
		if err != nil {
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("code %s", jaga.ErrorCode(err))
			}
			if len(strings.TrimSpace(s)) > 20 && strings.Contains(jaga.ErrorMessage(err), strings.TrimSpace(s)) {
				t.Fatalf("message echoes the input: %q", jaga.ErrorMessage(err))
			}
			return
		}
		again, err := jaga.ParseContact(c.Value)
		if err != nil || again != c {
			t.Fatalf("normalized %q to %+v, which parses to %+v, %v", s, c, again, err)
		}
		if !utf8.ValidString(c.Value) {
			t.Fatalf("invalid UTF-8 accepted: %q", c.Value)
		}
	})
}

// FuzzProfile checks that validation never panics and that a profile that
// passes stays valid after normalizing again.
func FuzzProfile(f *testing.F) {
	f.Add("Aisyah binti Rahman", "nric", "900101-14-5678", "1990-01-01", "MY", "Kajang", "ms")
	f.Add("", "passport", "", "2999-99-99", "", "", "xx")
	f.Fuzz(func(t *testing.T, name, idType, idNumber, dob, nat, addr, lang string) {
		p := jaga.Profile{FullName: name, IDType: idType, IDNumber: idNumber, DateOfBirth: dob, Nationality: nat, Address: addr, Language: lang}
		p.Normalize()
		now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		if p.Valid(now) != nil {
			return
		}
		q := p
		q.Normalize()
		if q != p || q.Valid(now) != nil {
			t.Fatalf("normalize is not idempotent: %+v -> %+v", p, q)
		}
	})
}

// FuzzParsePremisesToken checks that any scanned text is refused with a
// client error or, when accepted, is exactly what the key signed.
func FuzzParsePremisesToken(f *testing.F) {
	key := []byte("fuzz key for premises tokens.....")
	good, _ := jaga.SignPremisesToken(key, jaga.PremisesToken{PremisesID: strings.Repeat("ab", 16), Version: 3})
	f.Add(good)
	f.Add("JAGA1:")
	f.Add("JAGA1:" + strings.Repeat("A", 50))
	f.Add("https://example.com/checkin?x=1")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := jaga.ParsePremisesToken(key, s)
		if err != nil {
			if jaga.ErrorCode(err) != jaga.EINVALID {
				t.Fatalf("code %s", jaga.ErrorCode(err))
			}
			return
		}
		again, err := jaga.SignPremisesToken(key, tok)
		if err != nil || again != strings.TrimSpace(s) {
			t.Fatalf("accepted %q, which signs as %q", s, again)
		}
	})
}

func TestPremisesToken(t *testing.T) {
	key := []byte("test key for premises tokens....")
	id := strings.Repeat("0f", 16)
	good, err := jaga.SignPremisesToken(key, jaga.PremisesToken{PremisesID: id, Version: 7})
	if err != nil {
		t.Fatal(err)
	}
	flip := []byte(good)
	flip[10] ^= 1
	tests := []struct {
		name, in, msg string
	}{
		{"genuine", good, ""},
		{"surrounding spaces", " " + good + "\n", ""},
		{"other key", mustSign(t, []byte("another key entirely, 32 bytes.."), id), "not genuine"},
		{"altered", string(flip), ""},
		{"no prefix", strings.TrimPrefix(good, jaga.PremisesTokenPrefix), "not a jaga premises code"},
		{"truncated", good[:len(good)-4], "wrong length"},
		{"bad base64", jaga.PremisesTokenPrefix + "!!!", "base64url"},
		{"too long", good + strings.Repeat("A", 200), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jaga.ParsePremisesToken(key, tt.in)
			switch {
			case tt.name == "altered":
				if err == nil {
					t.Fatal("an altered token was accepted")
				}
			case tt.msg == "":
				if err != nil || tok.PremisesID != id || tok.Version != 7 {
					t.Fatalf("%+v %v", tok, err)
				}
			default:
				if err == nil || !strings.Contains(jaga.ErrorMessage(err), tt.msg) {
					t.Fatalf("error %v, want %q", err, tt.msg)
				}
			}
		})
	}
}

func mustSign(t *testing.T, key []byte, id string) string {
	s, err := jaga.SignPremisesToken(key, jaga.PremisesToken{PremisesID: id, Version: 7})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
