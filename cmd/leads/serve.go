package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/web"
)

// shutdownTimeout bounds how long in-flight requests may run after a stop signal.
const shutdownTimeout = 20 * time.Second

// runServe runs the HTTP service until ctx is cancelled, then shuts it down
// gracefully: stop accepting, finish in-flight requests, close the store.
func runServe(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("leads serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.bindFlags(fs, flagAddr|flagDatabaseURL|flagJWTSecret|flagJWKSURL|flagServe)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	var demoSecret []byte
	withDevSecret := cfg.Demo && cfg.JWTSecret == ""
	if withDevSecret {
		cfg.JWTSecret = devSecret
		log.Warn("demo mode: using a fixed development JWT secret; it is for development only")
	}
	if cfg.Demo {
		demoSecret = []byte(cfg.JWTSecret)
	}
	if cfg.JWTSecret == "" && cfg.JWKSURL == "" {
		return errors.New("serve: no token verification configured: set LEADS_JWT_SECRET (or --jwt-secret) " +
			"and/or LEADS_JWKS_URL (or --jwks-url), or try `leads serve --demo` for a local demo")
	}
	log.Info("starting", "config", cfg)
	if cfg.Reset {
		if !cfg.Demo {
			return errors.New("serve: --reset is for the demo: use it with --demo")
		}
		if err := resetDemo(cfg.DatabaseURL); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		log.Info("demo database reset", "database_url", redactURL(cfg.DatabaseURL))
	}

	verifier, err := newVerifier(ctx, cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	st, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// Closed last, after the HTTP server has finished every request, so every
	// acknowledged write is flushed.
	defer func() {
		if cerr := st.Close(); cerr != nil {
			log.Error("close store", "error", cerr)
			err = errors.Join(err, fmt.Errorf("serve: close store: %w", cerr))
		}
	}()
	if !cfg.NoMigrate {
		if err := st.MigrateUp(ctx); err != nil {
			return fmt.Errorf("serve: migrate: %w", err)
		}
		log.Info("migrations applied")
	}

	var demo *web.Demo
	if cfg.Demo {
		if demo, err = seedDemo(ctx, st, demoSecret); err != nil {
			return fmt.Errorf("serve: demo: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler: web.NewServer(web.Config{
			Store: st, Verifier: verifier, Logger: log, Demo: demo, ContactWithin: cfg.ContactWithin,
		}).Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if demo != nil {
		if err := printDemo(stdout, addr, demo, withDevSecret); err != nil {
			ln.Close()
			return fmt.Errorf("serve: demo: %w", err)
		}
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", addr)
	log.Info("listening", "addr", addr)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// The signal's context is done, so the deadline hangs off a fresh one.
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// In-flight requests outlived the deadline: cut them off so Close below
		// does not race with handlers still using the store.
		srv.Close()
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newVerifier builds the token verifier the configuration asks for.
func newVerifier(ctx context.Context, cfg Config) (*auth.Verifier, error) {
	if cfg.JWKSURL != "" {
		return auth.NewVerifierWithJWKS(ctx, []byte(cfg.JWTSecret), cfg.JWKSURL)
	}
	return auth.NewVerifier([]byte(cfg.JWTSecret)), nil
}
