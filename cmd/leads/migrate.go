package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// runMigrate applies (up), rolls back (down) or reports (status) the schema
// migrations of the configured database.
func runMigrate(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("leads migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: leads migrate up|down|status [--database-url U]")
		fs.PrintDefaults()
	}
	cfg.bindFlags(fs, flagDatabaseURL)
	// Accept the action before or after the flags.
	var action string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if action == "" && fs.NArg() > 0 {
		action = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	switch action {
	case "up", "down", "status":
	case "":
		fs.Usage()
		return errors.New("migrate: missing action: up, down or status")
	default:
		fs.Usage()
		return fmt.Errorf("migrate: unknown action %q: want up, down or status", action)
	}

	st, err := openStore(ctx, cfg.DatabaseURL, cfg.DirectURL, cfg.DBMaxConns)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("migrate: close store: %w", cerr))
		}
	}()
	switch action {
	case "up":
		if err := st.MigrateUp(ctx); err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
	case "down":
		if err := st.MigrateDown(ctx); err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	fmt.Fprintln(stdout, strings.TrimRight(status, "\n"))
	return nil
}
