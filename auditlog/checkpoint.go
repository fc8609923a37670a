package auditlog

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/jaga-health/jaga"
)

// ErrEmptyLog is returned by Checkpoint when the access log has no entries:
// there is no tree to sign.
var ErrEmptyLog = errors.New("auditlog: the access log is empty")

// A Checkpointer adds the new access-log entries to the Merkle tree and
// signs checkpoints. Run one Checkpoint at a time per database; should two
// race, one fails on the store's unique indexes and the next run repairs.
type Checkpointer struct {
	Store  Store
	Signer note.Signer
}

// NewCheckpointer returns a Checkpointer that signs with signer.
func NewCheckpointer(store Store, signer note.Signer) *Checkpointer {
	return &Checkpointer{Store: store, Signer: signer}
}

// Checkpoint hashes every entry not yet in the tree, signs the tree at its
// new size and stores and returns that checkpoint. When there are no new
// entries it returns the last checkpoint and a nil error; when the log is
// empty it returns ErrEmptyLog.
//
// The tree's size is the number of leaves whose hashes are stored, not the
// last checkpoint's size: if a run stopped after storing hashes but before
// storing its checkpoint, the next run carries on from the stored hashes.
//
// Before hashing an entry Checkpoint checks that it links to the previous
// one; it refuses, with a *LogError, to sign a broken chain.
func (c *Checkpointer) Checkpoint(ctx context.Context) (*jaga.Checkpoint, error) {
	if c.Signer == nil {
		return nil, fmt.Errorf("checkpoint: no signer")
	}
	cps, err := c.Store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	var last *jaga.Checkpoint
	if len(cps) > 0 {
		last = cps[len(cps)-1]
	}

	// Where the stored tree ends.
	var lower int64
	if last != nil {
		lower = last.Size
		ok, err := hasLeaf(ctx, c.Store, lower-1)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, checkpointError(last.Size, "the stored Merkle hashes end before it")
		}
	}
	n, err := hashedSize(ctx, c.Store, lower)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: tree size: %w", err)
	}

	// The hash of entry n, to which entry n+1 must link.
	prev := jaga.ZeroHash
	if n > 0 {
		es, err := c.Store.AccessEntries(ctx, n-1, 1)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 || es[0].Seq != n {
			return nil, missingError(n, "the Merkle tree holds it")
		}
		if es[0].ChainHash(es[0].PrevHash) != es[0].Hash {
			return nil, entryError(n, "hash does not match its contents")
		}
		prev = es[0].Hash
	}

	// Hash the new entries, a batch at a time, each batch appended in one
	// transaction.
	r := &storeReader{ctx: ctx, store: c.Store, base: tlog.StoredHashCount(n)}
	for {
		es, err := c.Store.AccessEntries(ctx, n, batchSize)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if err := checkEntry(e, n+1, prev); err != nil {
				return nil, err
			}
			hs, err := tlog.StoredHashes(n, e.Record(), r)
			if err != nil {
				return nil, fmt.Errorf("checkpoint: hash entry %d: %w", e.Seq, err)
			}
			r.pending = append(r.pending, hs...)
			prev = e.Hash
			n++
		}
		raw := make([][]byte, len(r.pending))
		for i := range r.pending {
			raw[i] = r.pending[i][:]
		}
		if err := c.Store.AppendStoredHashes(ctx, r.base, raw); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		r.base += int64(len(r.pending))
		r.pending = nil
		if len(es) < batchSize {
			break
		}
	}

	switch {
	case n == 0:
		return nil, ErrEmptyLog
	case last != nil && last.Size == n:
		return last, nil
	}

	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: tree hash: %w", err)
	}
	tree := tlog.Tree{N: n, Hash: root}
	signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, c.Signer)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: sign: %w", err)
	}
	cp := &jaga.Checkpoint{Size: n, RootHash: root.String(), Note: string(signed)}
	if err := c.Store.AddCheckpoint(ctx, cp); err != nil {
		return nil, err
	}
	return cp, nil
}
