// Package auditlog folds the access log into a Merkle tree and signs checkpoints.
//
// Every entry of the access log (jaga.AccessEntry) is already linked to the
// one before it by a hash chain. auditlog adds a transparency log on top, in
// the format of the Go checksum database (golang.org/x/mod/sumdb/tlog): entry
// seq is leaf seq-1 of a Merkle tree whose leaf hash is
// tlog.RecordHash(entry.Record()). The tree's stored hashes live in the
// store (table access_log_hashes) so that checkpoints and proofs cost
// O(log n) reads.
//
// A Checkpointer hashes the entries not yet in the tree and signs the new
// tree head as a note (golang.org/x/mod/sumdb/note, Ed25519):
//
//	go.sum database tree
//	1234
//	<base64 root hash>
//
//	— jaga-access-log <signature>
//
// Verify replays the whole log: it checks the hash chain, recomputes the
// Merkle tree from the entries' contents, compares it with the stored hashes
// and with every signed checkpoint. ProveEntry and VerifyEntryProof let a
// citizen check that an entry about them is in a signed checkpoint.
//
// The signer key is a server key ("access-log-signer", see LoadKeys). Its
// verifier key ("access-log-verifier") is public. An outside auditor must pin
// the verifier key they were given out of band and pass it to Verify; they
// must not read it from the database, which whoever could rewrite the log
// could also rewrite.
package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/jaga-health/jaga"
)

// Store is what auditlog needs from the database. sqlstore.AccessLog
// implements it.
type Store interface {
	// AccessEntries returns entries with Seq > after in order of Seq, at
	// most limit.
	AccessEntries(ctx context.Context, after int64, limit int) ([]*jaga.AccessEntry, error)

	// Checkpoints returns every checkpoint, smallest first.
	Checkpoints(ctx context.Context) ([]*jaga.Checkpoint, error)

	// AddCheckpoint stores a checkpoint larger than the last.
	AddCheckpoint(ctx context.Context, c *jaga.Checkpoint) error

	// StoredHashes returns the Merkle tree's stored hashes at the indexes
	// (see tlog.StoredHashIndex). For an index that has no hash the error
	// must wrap sql.ErrNoRows.
	StoredHashes(ctx context.Context, indexes []int64) ([][]byte, error)

	// AppendStoredHashes writes hashes at indexes start, start+1, ... in
	// one transaction: all of them or none.
	AppendStoredHashes(ctx context.Context, start int64, hashes [][]byte) error
}

// SignerName is the name in the checkpoints' signatures.
const SignerName = "jaga-access-log"

// batchSize is how many entries Checkpoint and Verify read at a time.
const batchSize = 1000

// A LogError is a fault in the access log, its Merkle tree or its
// checkpoints, as found by Verify or Checkpoint. Other errors (a database
// that does not answer, say) are returned as they are.
type LogError struct {
	// Seq is the first bad or missing entry, or 0 when the fault is a
	// checkpoint's alone.
	Seq int64
	// Size is the size of the bad checkpoint, or 0.
	Size int64
	msg  string
}

func (e *LogError) Error() string { return e.msg }

func entryError(seq int64, format string, args ...any) *LogError {
	return &LogError{Seq: seq, msg: fmt.Sprintf("access log entry %d: ", seq) + fmt.Sprintf(format, args...)}
}

func missingError(seq int64, format string, args ...any) *LogError {
	msg := fmt.Sprintf("access log entry %d is missing", seq)
	if format != "" {
		msg += ": " + fmt.Sprintf(format, args...)
	}
	return &LogError{Seq: seq, msg: msg}
}

func checkpointError(size int64, format string, args ...any) *LogError {
	return &LogError{Size: size, msg: fmt.Sprintf("checkpoint at size %d: ", size) + fmt.Sprintf(format, args...)}
}

// checkEntry checks that e is entry want and links to prev, the hash of the
// entry before it (jaga.ZeroHash for the first).
func checkEntry(e *jaga.AccessEntry, want int64, prev string) error {
	switch {
	case e.Seq > want:
		return missingError(want, "")
	case e.Seq != want:
		return entryError(e.Seq, "out of order: expected entry %d", want)
	case e.PrevHash != prev && want == 1:
		return entryError(want, "previous hash is not the zero hash of the first entry")
	case e.PrevHash != prev:
		return entryError(want, "previous hash does not link to entry %d", want-1)
	case e.ChainHash(e.PrevHash) != e.Hash:
		return entryError(want, "hash does not match its contents")
	}
	return nil
}

// toHashes converts stored hashes to tlog hashes.
func toHashes(raw [][]byte, indexes []int64) ([]tlog.Hash, error) {
	if len(raw) != len(indexes) {
		return nil, fmt.Errorf("stored hashes: asked for %d, got %d", len(indexes), len(raw))
	}
	out := make([]tlog.Hash, len(raw))
	for i, b := range raw {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("stored hash %d: %d bytes, want %d", indexes[i], len(b), tlog.HashSize)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// storeReader is a tlog.HashReader over the store's stored hashes, plus
// the hashes computed in memory but not yet appended (from index base).
type storeReader struct {
	ctx     context.Context
	store   Store
	base    int64
	pending []tlog.Hash
}

func (r *storeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var need []int64
	var at []int
	for i, idx := range indexes {
		if idx >= r.base && idx < r.base+int64(len(r.pending)) {
			out[i] = r.pending[idx-r.base]
			continue
		}
		need = append(need, idx)
		at = append(at, i)
	}
	if len(need) == 0 {
		return out, nil
	}
	raw, err := r.store.StoredHashes(r.ctx, need)
	if err != nil {
		return nil, err
	}
	hs, err := toHashes(raw, need)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = hs[j]
	}
	return out, nil
}

// hasLeaf reports whether the store holds the hash of leaf n (entry n+1).
// A leaf's hashes are appended in the same transaction as the hashes of
// the subtrees it completes, so the leaf's presence means all are there.
func hasLeaf(ctx context.Context, s Store, n int64) (bool, error) {
	_, err := s.StoredHashes(ctx, []int64{tlog.StoredHashIndex(0, n)})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, err
	}
}

// hashedSize returns the number of leaves whose hashes are stored, given
// that the first lower are. Hashes are appended as a prefix, so it probes
// with an exponential then a binary search: O(log k) reads for k leaves
// past lower, one read when there are none.
func hashedSize(ctx context.Context, s Store, lower int64) (int64, error) {
	good := lower // leaves [0, good) are stored
	step := int64(1)
	var bad int64 // the first leaf known absent
	for {
		probe := good + step - 1
		ok, err := hasLeaf(ctx, s, probe)
		if err != nil {
			return 0, err
		}
		if !ok {
			bad = probe
			break
		}
		good = probe + 1
		if step < 1<<40 {
			step *= 2
		}
	}
	for good < bad {
		mid := good + (bad-good)/2
		ok, err := hasLeaf(ctx, s, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			good = mid + 1
		} else {
			bad = mid
		}
	}
	return good, nil
}

// memTree is a Merkle tree held in memory by its right edge alone: the
// roots of the maximal complete subtrees, at most 64 hashes. It is a
// tlog.HashReader for exactly the hashes tlog needs to add a leaf and to
// compute the tree hash.
type memTree struct {
	n        int64
	frontier []memNode // highest level first
}

type memNode struct {
	index int64 // stored hash index
	hash  tlog.Hash
}

func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
next:
	for i, idx := range indexes {
		for _, nd := range t.frontier {
			if nd.index == idx {
				out[i] = nd.hash
				continue next
			}
		}
		return nil, fmt.Errorf("memTree: hash %d not on the right edge of a tree of %d", idx, t.n)
	}
	return out, nil
}

// add appends a leaf and returns its stored hashes, as tlog.StoredHashes.
func (t *memTree) add(record []byte) ([]tlog.Hash, error) {
	hashes, err := tlog.StoredHashes(t.n, record, t)
	if err != nil {
		return nil, err
	}
	// The leaf merged with the last m subtree roots into one of level m.
	m := len(hashes) - 1
	t.frontier = append(t.frontier[:len(t.frontier)-m], memNode{
		index: tlog.StoredHashIndex(m, t.n>>uint(m)),
		hash:  hashes[m],
	})
	t.n++
	return hashes, nil
}

func (t *memTree) root() (tlog.Hash, error) { return tlog.TreeHash(t.n, t) }
