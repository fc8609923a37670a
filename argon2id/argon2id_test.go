package argon2id_test

import (
	"strings"
	"testing"

	"github.com/jaga-health/jaga/argon2id"
)

func TestHasher(t *testing.T) {
	h := argon2id.Hasher{MemoryKiB: 1024, Time: 1}
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("encoding = %q", enc)
	}
	tests := []struct {
		name     string
		encoded  string
		password string
		want     bool
		wantErr  bool
	}{
		{"right password", enc, "correct horse battery", true, false},
		{"wrong password", enc, "correct horse battery!", false, false},
		{"empty password", enc, "", false, false},
		{"not argon2id", strings.Replace(enc, "argon2id", "argon2i", 1), "correct horse battery", false, true},
		{"bad params", strings.Replace(enc, "m=1024", "m=x", 1), "correct horse battery", false, true},
		{"truncated", enc[:20], "correct horse battery", false, true},
		{"bad base64", enc + "!", "correct horse battery", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(tt.encoded, tt.password)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Verify = %v, %v; want %v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	again, _ := h.Hash("correct horse battery")
	if again == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func FuzzVerify(f *testing.F) {
	h := argon2id.Hasher{MemoryKiB: 64, Time: 1}
	enc, _ := h.Hash("pw")
	f.Add(enc, "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		if strings.Contains(encoded, "m=") && !strings.Contains(encoded, "m=64,") {
			t.Skip() // keep the fuzzer from asking for gigabytes of memory
		}
		_, _ = h.Verify(encoded, pw)
	})
}
