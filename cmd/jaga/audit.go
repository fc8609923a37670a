package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/auditlog"
	"github.com/jaga-health/jaga/sqlstore"
)

// checkpointFunc signs a checkpoint of the access log now.
type checkpointFunc func(ctx context.Context) (*jaga.Checkpoint, error)

// newCheckpointer loads (or creates) the checkpoint keys and returns a
// function that signs checkpoints one at a time.
func newCheckpointer(ctx context.Context, db *sqlstore.DB) (checkpointFunc, error) {
	keys, err := auditlog.LoadKeys(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("access log keys: %w", err)
	}
	cp := auditlog.NewCheckpointer(sqlstore.NewAccessLog(db), keys.Signer)
	var mu sync.Mutex
	return func(ctx context.Context) (*jaga.Checkpoint, error) {
		mu.Lock()
		defer mu.Unlock()
		c, err := cp.Checkpoint(ctx)
		if errors.Is(err, auditlog.ErrEmptyLog) {
			return nil, jaga.Errorf(jaga.ECONFLICT, "The access log is empty; there is nothing to sign yet.")
		}
		return c, err
	}, nil
}

const auditUsage = `Usage:
  jaga audit verify [--db DSN] [--verifier-key KEY|@FILE]
      Recompute the access log's hash chain and Merkle tree and check every
      signed checkpoint. Exits 1 naming the first entry that does not hold.
  jaga audit checkpoint [--db DSN]
      Sign a checkpoint of the access log now and print it.
  jaga audit key [--db DSN]
      Print the verifier key that checks the log's checkpoints, to publish
      and to pin with --verifier-key.
`

// runAudit dispatches the audit subcommands.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return exitError{code: 2}
	}
	sub, rest := args[0], args[1:]
	var verifierKey string
	extra := func(fs *flag.FlagSet) {}
	if sub == "verify" {
		extra = func(fs *flag.FlagSet) {
			fs.StringVar(&verifierKey, "verifier-key", "", "the verifier key to trust, or @file holding it; default: the key stored in the database")
		}
	}
	c := defaultConfig()
	if err := c.fromEnv(getenv); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga audit "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	extra(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{code: 2}
	}
	if err := c.validate(false); err != nil {
		return exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	switch sub {
	case "verify", "checkpoint", "key":
	default:
		fmt.Fprintf(stderr, "jaga audit: unknown command %q\n\n%s", sub, auditUsage)
		return exitError{code: 2}
	}
	db, err := openStore(ctx, c, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "checkpoint":
		cp, err := newCheckpointer(ctx, db)
		if err != nil {
			return err
		}
		ck, err := cp(ctx)
		if err != nil {
			return exitError{code: 1, msg: jaga.ErrorMessage(err)}
		}
		fmt.Fprintf(stdout, "checkpoint size=%d root=%s\n%s", ck.Size, ck.RootHash, ck.Note)
		return nil
	case "key":
		keys, err := auditlog.LoadKeys(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, keys.VerifierKey)
		return nil
	}
	return auditVerify(ctx, db, verifierKey, stdout, stderr)
}

func auditVerify(ctx context.Context, db *sqlstore.DB, verifierKey string, stdout, stderr io.Writer) error {
	var verifier note.Verifier
	if verifierKey == "" {
		keys, err := auditlog.LoadKeys(ctx, db)
		if err != nil {
			return err
		}
		verifier = keys.Verifier
		fmt.Fprintln(stderr, "note: trusting the verifier key stored in the database; pin the published key with --verifier-key for an independent check")
	} else {
		if file, ok := strings.CutPrefix(verifierKey, "@"); ok {
			b, err := os.ReadFile(file)
			if err != nil {
				return exitError{code: 2, msg: fmt.Sprintf("verifier key: %v", err)}
			}
			verifierKey = strings.TrimSpace(string(b))
		}
		v, err := auditlog.NewVerifier(verifierKey)
		if err != nil {
			return exitError{code: 2, msg: err.Error()}
		}
		verifier = v
	}
	rep, err := auditlog.Verify(ctx, sqlstore.NewAccessLog(db), verifier)
	if err != nil {
		var le *auditlog.LogError
		if errors.As(err, &le) {
			fmt.Fprintf(stdout, "FAIL: %s\n", le.Error())
			return exitError{code: 1, msg: "access log verification failed: " + le.Error()}
		}
		return err
	}
	fmt.Fprintf(stdout, "OK: %d entries linked and hashed, %d checkpoints signed and matching", rep.Entries, rep.Checkpoints)
	if rep.LastCheckpoint != nil {
		fmt.Fprintf(stdout, ", last at size %d", rep.LastCheckpoint.Size)
		if unsigned := rep.Entries - rep.LastCheckpoint.Size; unsigned > 0 {
			fmt.Fprintf(stdout, " (%d newer entries not yet in a checkpoint)", unsigned)
		}
	}
	fmt.Fprintln(stdout)
	return nil
}
