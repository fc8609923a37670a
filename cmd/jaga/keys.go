package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/cert"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/trustlist"
)

const keysUsage = `Usage: jaga keys <command> [flags]

Manage the keys that sign vaccination certificates. Private keys are kept
in the database sealed under the master key (JAGA_MASTER_KEY_FILE), which
is never stored there.

Commands:
  init             make the country signing CA and a document signer if there are none
  list             list the keys: kind, key id, status, validity
  rotate           make a new document signer and retire the active one;
                   with --reissue, re-issue every valid certificate under it
  reissue          re-issue the valid certificates not signed by the active key
  trust-list       print the signed trust list
  revocation-list  print the signed revocation list
  trust-key        print the public key that signs both lists (PEM)
`

// runKeys runs "jaga keys".
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		fmt.Fprint(stderr, keysUsage)
		return exitError{code: 2}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "init", "list", "rotate", "reissue", "trust-list", "revocation-list", "trust-key":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, keysUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "jaga keys: unknown command %q\n\n%s", sub, keysUsage)
		return exitError{code: 2}
	}
	c := defaultConfig()
	if err := c.fromEnv(getenv); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	reissue := fs.Bool("reissue", false, "rotate: re-issue every valid certificate under the new key")
	batch := fs.Int("batch", 1000, "rotate --reissue and reissue: certificates per transaction")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{code: 2}
	}
	if err := c.validate(false); err != nil {
		return exitError{code: 2, msg: "configuration: " + err.Error()}
	}
	logger := c.logger(stderr)
	db, err := openStore(ctx, c, logger, sub == "init")
	if err != nil {
		return err
	}
	defer db.Close()
	kr, err := c.keyring(db, logger)
	if err != nil {
		return err
	}

	switch sub {
	case "init":
		created, err := kr.Init(ctx)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintln(stdout, "created signing keys")
		} else {
			fmt.Fprintln(stdout, "signing keys exist; nothing to do")
		}
		return listKeys(ctx, db, stdout)
	case "list":
		return listKeys(ctx, db, stdout)
	case "rotate":
		k, err := kr.Rotate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new document signer %s, valid until %s; the previous one is retired\n", k.KID, k.NotAfter.Format(time.DateOnly))
		if *reissue {
			return reissueAll(ctx, db, kr, *batch, stdout)
		}
		fmt.Fprintln(stdout, "running servers sign with it within a minute; run 'jaga keys reissue' to re-issue the valid certificates")
		return nil
	case "reissue":
		return reissueAll(ctx, db, kr, *batch, stdout)
	case "trust-list":
		b, err := kr.SignedTrustList(ctx)
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(b, '\n'))
		return err
	case "revocation-list":
		revoked, err := db.RevokedCertificates(ctx)
		if err != nil {
			return err
		}
		b, err := kr.SignedRevocationList(ctx, revoked)
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(b, '\n'))
		return err
	case "trust-key":
		b, err := trustKeyPEM(ctx, kr)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	return nil
}

// listKeys prints the stored keys, never their private parts.
func listKeys(ctx context.Context, db *sqlstore.DB, w io.Writer) error {
	keys, err := db.SigningKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tKID\tSTATUS\tCOUNTRY\tNOT BEFORE\tNOT AFTER")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Kind, k.KID, k.Status, k.Country,
			k.NotBefore.Format(time.DateOnly), k.NotAfter.Format(time.DateOnly))
	}
	return tw.Flush()
}

// reissueAll re-issues every valid certificate not signed by the active
// document signer and reports how long it took.
func reissueAll(ctx context.Context, db *sqlstore.DB, kr *cert.Keyring, batch int, w io.Writer) error {
	is, err := kr.Issuer(ctx)
	if err != nil {
		return err
	}
	db.Signer = cert.NewSigner(is)
	kid := base64.StdEncoding.EncodeToString(is.KID())
	start := time.Now()
	last := start
	res, err := db.ReissueCertificates(ctx, kid, batch, func(done int) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			fmt.Fprintf(w, "re-issued %d certificates (%.0f a second)\n", done, float64(done)/time.Since(start).Seconds())
		}
	})
	elapsed := time.Since(start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(res.Reissued) / elapsed.Seconds()
	}
	fmt.Fprintf(w, "reissued=%d batches=%d seconds=%.1f per_s=%.0f\n", res.Reissued, res.Batches, elapsed.Seconds(), rate)
	return err
}

// trustKeyPEM returns the trust-list key as a PEM public key.
func trustKeyPEM(ctx context.Context, kr *cert.Keyring) ([]byte, error) {
	pub, err := kr.TrustListKey(ctx)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// masterKeyPath is where the master key is read from: JAGA_MASTER_KEY_FILE,
// else a file beside the SQLite database, else jaga-master.key in the
// working directory.
func (c *config) masterKeyPath() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	if !sqlstore.IsPostgres(c.DB) && c.DB != ":memory:" && !strings.HasPrefix(c.DB, "file:") {
		return c.DB + ".master-key"
	}
	return "jaga-master.key"
}

// masterKey returns the master key: JAGA_MASTER_KEY, or the key file,
// which is created (mode 0600) when it does not exist and no key was set
// explicitly, as on a first start in development.
func (c *config) masterKey(logger *slog.Logger) ([]byte, error) {
	if c.MasterKey != "" {
		k, err := cert.ParseMasterKey(c.MasterKey)
		if err != nil {
			return nil, exitError{code: 2, msg: "configuration: master-key: " + jaga.ErrorMessage(err)}
		}
		return k, nil
	}
	path := c.masterKeyPath()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && c.MasterKeyFile == "" {
		text, err := cert.NewMasterKey()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return c.masterKey(logger) // made by another process meanwhile
		} else if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		if _, err := f.WriteString(text + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("master key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		logger.Warn("created a master key for the signing keys; keep it safe and out of the database's backups", "path", path)
		b = []byte(text)
	} else if err != nil {
		return nil, exitError{code: 2, msg: "configuration: master-key-file: " + err.Error()}
	}
	k, err := cert.ParseMasterKey(string(b))
	if err != nil {
		return nil, exitError{code: 2, msg: "configuration: master-key-file: " + jaga.ErrorMessage(err)}
	}
	return k, nil
}

// keyring returns the keyring of db under the configured master key.
func (c *config) keyring(db *sqlstore.DB, logger *slog.Logger) (*cert.Keyring, error) {
	master, err := c.masterKey(logger)
	if err != nil {
		return nil, err
	}
	return &cert.Keyring{Store: db, Master: master, Country: c.Country, Now: db.Now}, nil
}

// certificates is the serving side of the keyring: it keeps the signer on
// the active key, the verifier's own material current, and publishes the
// signed lists, each cached for a short while.
type certificates struct {
	db       *sqlstore.DB
	keyring  *cert.Keyring
	signer   *cert.Signer
	verifier *trustlist.Verifier

	mu        sync.Mutex // guards the cached lists below
	trustAt   time.Time
	trust     []byte
	revokedAt time.Time
	revoked   []byte
}

// listCacheFor is how long a signed list is served before it is signed
// again.
const listCacheFor = 30 * time.Second

// startCertificates makes the signing keys on a first start and loads the
// active one into db.Signer.
func startCertificates(ctx context.Context, c config, db *sqlstore.DB, v *trustlist.Verifier, logger *slog.Logger) (*certificates, error) {
	kr, err := c.keyring(db, logger)
	if err != nil {
		return nil, err
	}
	created, err := kr.Init(ctx)
	if err != nil {
		if jaga.ErrorCode(err) == jaga.EINVALID {
			return nil, exitError{code: 1, msg: "signing keys: " + jaga.ErrorMessage(err) + " (is JAGA_MASTER_KEY_FILE the key they were sealed with?)"}
		}
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if created {
		logger.Info("created signing keys: a country signing CA and a document signer")
	}
	cs := &certificates{db: db, keyring: kr, signer: cert.NewSigner(nil), verifier: v}
	if err := cs.reload(ctx); err != nil {
		return nil, err
	}
	db.Signer = cs.signer
	return cs, nil
}

// reload puts the active document signer in use and gives the verifier
// the current trust list and revocations of this jaga.
func (cs *certificates) reload(ctx context.Context) error {
	is, err := cs.keyring.Issuer(ctx)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	if cur := cs.signer.Issuer(); cur == nil || !bytes.Equal(cur.KID(), is.KID()) {
		cs.signer.Use(is)
	}
	if cs.verifier == nil {
		return nil
	}
	trust, err := cs.keyring.TrustList(ctx)
	if err != nil {
		return err
	}
	revoked, err := cs.db.RevokedCertificates(ctx)
	if err != nil {
		return err
	}
	rl := cert.NewRevocationList()
	for _, r := range revoked {
		rl.AddUCI(r.Country, r.ID)
	}
	cs.verifier.SetLocal(trust, rl)
	return nil
}

// SignedTrustList implements web.TrustPublisher.
func (cs *certificates) SignedTrustList(ctx context.Context) ([]byte, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.trust == nil || time.Since(cs.trustAt) > listCacheFor {
		b, err := cs.keyring.SignedTrustList(ctx)
		if err != nil {
			return nil, err
		}
		cs.trust, cs.trustAt = b, time.Now()
	}
	return cs.trust, nil
}

// SignedRevocationList implements web.TrustPublisher.
func (cs *certificates) SignedRevocationList(ctx context.Context) ([]byte, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.revoked == nil || time.Since(cs.revokedAt) > listCacheFor {
		revoked, err := cs.db.RevokedCertificates(ctx)
		if err != nil {
			return nil, err
		}
		b, err := cs.keyring.SignedRevocationList(ctx, revoked)
		if err != nil {
			return nil, err
		}
		cs.revoked, cs.revokedAt = b, time.Now()
	}
	return cs.revoked, nil
}

// TrustListKeyPEM implements web.TrustPublisher.
func (cs *certificates) TrustListKeyPEM(ctx context.Context) ([]byte, error) {
	return trustKeyPEM(ctx, cs.keyring)
}
