package auditlog

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/jaga-health/jaga"
)

// ProveEntry returns the proof that entry seq is in the tree of the first
// size entries, from the stored hashes. size is usually a checkpoint's.
func ProveEntry(ctx context.Context, store Store, seq, size int64) (tlog.RecordProof, error) {
	if seq < 1 || seq > size {
		return nil, fmt.Errorf("prove entry %d: not in a tree of size %d", seq, size)
	}
	p, err := tlog.ProveRecord(size, seq-1, &storeReader{ctx: ctx, store: store})
	if err != nil {
		return nil, fmt.Errorf("prove entry %d in tree of size %d: %w", seq, size, err)
	}
	return p, nil
}

// VerifyEntryProof checks that entry, as its subject sees it, is entry
// entry.Seq of the tree of size entries whose root is rootHash.
func VerifyEntryProof(proof tlog.RecordProof, size int64, rootHash tlog.Hash, entry *jaga.AccessEntry) error {
	if entry == nil || entry.Seq < 1 || entry.Seq > size {
		return fmt.Errorf("verify proof: entry not in a tree of size %d", size)
	}
	if err := tlog.CheckRecord(proof, size, rootHash, entry.Seq-1, tlog.RecordHash(entry.Record())); err != nil {
		return fmt.Errorf("access log entry %d is not in the tree of size %d: %w", entry.Seq, size, err)
	}
	return nil
}

// OpenCheckpoint checks the signature of a checkpoint's note with verifier
// and returns the tree it signs, for VerifyEntryProof.
func OpenCheckpoint(signedNote string, verifier note.Verifier) (tlog.Tree, error) {
	n, err := note.Open([]byte(signedNote), note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint signature not valid: %w", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint: %w", err)
	}
	return tree, nil
}
