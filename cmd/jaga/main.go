// Command jaga runs the jaga public-health platform: its web server and API,
// database migrations, demo data and audit tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(os.Stderr, "jaga:", ex.msg)
			}
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "jaga:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a specific status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

const usage = `jaga — national public-health platform

Usage:
  jaga serve [flags]      run the web server and API (--demo for demo data)
  jaga migrate [flags]    create or upgrade the database schema
  jaga demo [flags]       fill the database with demo data and print how to sign in
  jaga audit verify       check the access log's hash chain, Merkle tree and signed checkpoints
  jaga audit checkpoint   sign a checkpoint of the access log now
  jaga loadgen seed|run   create a synthetic population; drive a running jaga over HTTP
  jaga tracebench         time contact tracing on synthetic data against one SQL query
  jaga verify [FILE|-]    verify a health certificate (EU DCC or SMART Health Card): text or QR image
  jaga keys <command>     manage the certificate signing keys: init, list, rotate, reissue, trust-list, ...
  jaga version            print the version

Every command that uses the database takes --db (or JAGA_DB): a SQLite file
path (default jaga.db) or a postgres:// URL. Run 'jaga <command> -h' for flags.
`

// run is the whole program, with the operating system passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return exitError{code: 2}
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "loadgen":
		return runLoadgen(ctx, rest, getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, getenv, stdin, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, getenv, stdout, stderr)
	case "tracebench":
		return runTracebench(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "jaga", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "jaga: unknown command %q\n\n%s", cmd, usage)
		return exitError{code: 2}
	}
}
