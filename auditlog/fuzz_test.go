package auditlog_test

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/jaga-health/jaga/auditlog"
)

// FuzzOpenCheckpoint feeds arbitrary text as a signed checkpoint: it must be
// refused or, when accepted, be a note our key really signed.
func FuzzOpenCheckpoint(f *testing.F) {
	skey, vkey, err := auditlog.NewKeys()
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := auditlog.NewSigner(skey)
	verifier, _ := auditlog.NewVerifier(vkey)
	signed, err := note.Sign(&note.Note{Text: "go.sum database tree\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(signed))
	f.Add("go.sum database tree\n3\nAAAA\n\n— jaga-access-log abc\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		tree, err := auditlog.OpenCheckpoint(text, verifier)
		if err != nil {
			return
		}
		if tree.N < 0 || !strings.HasPrefix(text, "go.sum database tree\n") {
			t.Fatalf("accepted %q as %+v", text, tree)
		}
		if _, err := note.Open([]byte(text), note.VerifierList(verifier)); err != nil {
			t.Fatalf("accepted a note that does not verify: %v", err)
		}
	})
}
