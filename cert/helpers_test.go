package cert

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"
)

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asStepError(err error, target **StepError) bool {
	return errors.As(err, target)
}

var osReadFile = os.ReadFile

func sigSHA256(b []byte) [32]byte { return sha256.Sum256(b) }
