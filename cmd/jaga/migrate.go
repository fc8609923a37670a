package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jaga-health/jaga/sqlstore"
)

// runMigrate creates or upgrades the schema.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("migrate", args, getenv, stderr, false)
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if want := db.LatestVersion(); before > want {
		return exitError{code: 1, msg: fmt.Sprintf("the database schema is newer than this program: current=v%d expected=v%d", before, want)}
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema %s: v%d -> v%d (%d applied)\n", db.Dialect(), before, db.LatestVersion(), len(applied))
	return nil
}
