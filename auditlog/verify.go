package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/jaga-health/jaga"
)

// Report is what Verify checked.
type Report struct {
	Entries        int64            // entries in the log, all linked and hashed
	HashedEntries  int64            // entries whose Merkle hashes are stored, all matching
	Checkpoints    int              // checkpoints, all signed and matching
	RootHash       tlog.Hash        // Merkle root of all Entries
	LastCheckpoint *jaga.Checkpoint // nil when there is none
}

// Verify checks the whole access log and returns a *LogError naming the
// first fault, in order of entries:
//
//   - entries are numbered 1, 2, 3, ... without gaps ("access log entry 5
//     is missing"), including up to the largest checkpoint;
//   - each entry's PrevHash is the previous entry's Hash (jaga.ZeroHash for
//     the first) and its Hash is e.ChainHash(e.PrevHash);
//   - the Merkle tree, recomputed in memory from the entries' records, has
//     the hashes stored in the database, for every entry they cover and at
//     least up to the last checkpoint;
//   - every checkpoint's note is signed by verifier, parses as a tree of
//     the checkpoint's size and root, and that root is the recomputed one.
//
// So an edited, deleted or reordered entry, an edited checkpoint and a
// checkpoint signed by another key are all found. Deleting entries from the
// end of the log is found when a checkpoint covers them. Verify trusts
// nothing in the database but the entries it replays: pass it a verifier
// key pinned outside the database.
func Verify(ctx context.Context, store Store, verifier note.Verifier) (*Report, error) {
	if verifier == nil {
		return nil, fmt.Errorf("verify: no verifier")
	}
	verifiers := note.VerifierList(verifier)
	cps, err := store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Size < cps[j].Size })
	for i, c := range cps {
		if c.Size <= 0 {
			return nil, checkpointError(c.Size, "size must be positive")
		}
		if i > 0 && cps[i-1].Size == c.Size {
			return nil, checkpointError(c.Size, "there are two")
		}
	}
	rep := &Report{Checkpoints: len(cps)}
	if len(cps) > 0 {
		rep.LastCheckpoint = cps[len(cps)-1]
	}

	// Entries up to mustHash must have stored hashes; past it they may.
	hashed, err := hashedSize(ctx, store, 0)
	if err != nil {
		return nil, fmt.Errorf("verify: stored hashes: %w", err)
	}
	mustHash := hashed
	if rep.LastCheckpoint != nil && rep.LastCheckpoint.Size > mustHash {
		mustHash = rep.LastCheckpoint.Size
	}

	var tree memTree
	prev := jaga.ZeroHash
	ci := 0 // next checkpoint to check
	for {
		es, err := store.AccessEntries(ctx, tree.n, batchSize)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}

		// Check the chain and recompute the tree, up to the first fault.
		var steps []verifyStep
		var chainErr error
		start := tree.n
		cj := ci // the next checkpoint, in this pass
		for _, e := range es {
			if chainErr = checkEntry(e, tree.n+1, prev); chainErr != nil {
				break
			}
			hs, err := tree.add(e.Record())
			if err != nil {
				return nil, fmt.Errorf("verify: entry %d: %w", e.Seq, err)
			}
			s := verifyStep{seq: e.Seq, hashes: hs}
			if cj < len(cps) && cps[cj].Size == e.Seq {
				cj++
				root, err := tree.root()
				if err != nil {
					return nil, fmt.Errorf("verify: tree hash at %d: %w", e.Seq, err)
				}
				s.root = &root
			}
			steps = append(steps, s)
			prev = e.Hash
		}

		// Compare with the stored hashes, and check checkpoints, in order.
		stored, err := readStored(ctx, store, start, steps, mustHash)
		if err != nil {
			return nil, err
		}
		for i, s := range steps {
			if i < len(stored) {
				for j, h := range s.hashes {
					if stored[i][j] != h {
						return nil, entryError(s.seq, "stored Merkle hash %d differs from its recomputed value",
							tlog.StoredHashIndex(0, s.seq-1)+int64(j))
					}
				}
			}
			if s.root != nil {
				if err := checkCheckpoint(cps[ci], *s.root, verifiers); err != nil {
					return nil, err
				}
				ci++
			}
		}
		if chainErr != nil {
			return nil, chainErr
		}
	}

	if ci < len(cps) {
		return nil, missingError(tree.n+1, "checkpoint at size %d covers it", cps[ci].Size)
	}
	if hashed > tree.n {
		return nil, missingError(tree.n+1, "the Merkle tree holds its hashes")
	}
	root, err := tree.root()
	if err != nil {
		return nil, fmt.Errorf("verify: tree hash: %w", err)
	}
	rep.Entries, rep.HashedEntries, rep.RootHash = tree.n, hashed, root
	return rep, nil
}

// verifyStep is one entry that Verify replayed.
type verifyStep struct {
	seq    int64
	hashes []tlog.Hash // its stored hashes, recomputed
	root   *tlog.Hash  // the tree hash at seq, when a checkpoint has that size
}

// readStored reads the stored hashes of the steps' entries, the first of
// which is leaf start, for as many entries as are stored or must be. It
// returns one slice per entry read; an entry that must have hashes and has
// none is a *LogError.
func readStored(ctx context.Context, store Store, start int64, steps []verifyStep, mustHash int64) ([][]tlog.Hash, error) {
	var indexes []int64
	var count int
	idx := tlog.StoredHashIndex(0, start)
	for _, s := range steps {
		if s.seq > mustHash {
			break
		}
		for range s.hashes {
			indexes = append(indexes, idx)
			idx++
		}
		count++
	}
	if count == 0 {
		return nil, nil
	}
	raw, err := store.StoredHashes(ctx, indexes)
	if errors.Is(err, sql.ErrNoRows) {
		// Find the first entry missing hashes.
		idx := tlog.StoredHashIndex(0, start)
		for _, s := range steps[:count] {
			ix := make([]int64, len(s.hashes))
			for j := range ix {
				ix[j] = idx
				idx++
			}
			if _, err := store.StoredHashes(ctx, ix); errors.Is(err, sql.ErrNoRows) {
				return nil, entryError(s.seq, "its stored Merkle hashes are missing")
			} else if err != nil {
				return nil, err
			}
		}
	}
	if err != nil {
		return nil, err
	}
	hs, err := toHashes(raw, indexes)
	if err != nil {
		return nil, err
	}
	out := make([][]tlog.Hash, count)
	for i, s := range steps[:count] {
		out[i], hs = hs[:len(s.hashes)], hs[len(s.hashes):]
	}
	return out, nil
}

// checkCheckpoint checks a checkpoint's signature, its note's tree and the
// tree's root against the recomputed root.
func checkCheckpoint(c *jaga.Checkpoint, root tlog.Hash, verifiers note.Verifiers) error {
	n, err := note.Open([]byte(c.Note), verifiers)
	if err != nil {
		return checkpointError(c.Size, "signature not valid: %v", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return checkpointError(c.Size, "note is not a tree: %v", err)
	}
	if tree.N != c.Size {
		return checkpointError(c.Size, "the signed note is for size %d", tree.N)
	}
	if tree.Hash.String() != c.RootHash {
		return checkpointError(c.Size, "the stored root hash is not the signed one")
	}
	if tree.Hash != root {
		return checkpointError(c.Size, "root hash differs from the entries' (signed %s, recomputed %s)", tree.Hash, root)
	}
	return nil
}
