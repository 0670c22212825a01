// Command leads runs the leads service and its administrative tasks:
//
//	leads serve [--addr A] [--database-url U] [--jwt-secret S] [--jwks-url U] [--no-migrate] [--demo [--reset]]
//	leads migrate up|down|status [--database-url U]
//	leads token --sub ID [--role student|staff|admin] [--name N] [--email E] [--phone P] [--ttl 1h]
//
// Configuration comes from LEADS_ADDR, LEADS_DATABASE_URL, LEADS_JWT_SECRET and
// LEADS_JWKS_URL; a flag of the same meaning overrides the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "leads:", err)
		os.Exit(1)
	}
}

// signalContext is cancelled by SIGINT or SIGTERM: a graceful stop.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// errUsage marks a command line that names no known command; the usage has
// already been printed.
var errUsage = errors.New("usage")

const usage = `usage:
  leads serve [--addr A] [--database-url U] [--jwt-secret S] [--jwks-url U] [--no-migrate] [--demo [--reset]]
  leads migrate up|down|status [--database-url U]
  leads token --sub ID [--role student|staff|admin] [--name N] [--email E] [--phone P] [--ttl 1h]

environment: LEADS_ADDR, LEADS_DATABASE_URL, LEADS_JWT_SECRET, LEADS_JWKS_URL, LEADS_CONTACT_WITHIN
`

// run is the whole program: it reads configuration from getenv and args, runs
// one command until it finishes or ctx is cancelled, and writes to stdout and
// stderr only. Tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, cfg, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, cfg, rest, stdout, stderr)
	case "token":
		return runToken(cfg, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "leads: unknown command %q\n%s", cmd, usage)
		return errUsage
	}
}
