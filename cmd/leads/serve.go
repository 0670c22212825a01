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
	"net/url"
	"strings"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
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
	// Closed last of all, so every line is written.
	logBuf := newBufferedLog(stderr, logFlushEvery)
	defer logBuf.Close()
	log := slog.New(flushOnWarn{slog.NewJSONHandler(logBuf, nil), logBuf})

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
	st, err := openStore(ctx, cfg.DatabaseURL, cfg.DirectURL, cfg.DBMaxConns)
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

	origins, err := trustedOrigins(cfg.TrustedOrigins)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	proxies, err := trustedProxies(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if cfg.PprofAddr != "" {
		_, stopPprof, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer stopPprof()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	addr := ln.Addr().String()
	publicURL := strings.TrimRight(cfg.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + browsable(addr)
	}

	// E-mail and webhooks: the queue's workers run in this process, on the
	// store's database, until shutdown.
	mailer, mailbox, err := newMailer(cfg, log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: %w", err)
	}
	workers, periodic := notify.Workers(notify.Config{
		Store: st, Mailer: mailer, From: mailFrom(cfg.MailFrom, publicURL), Desk: cfg.NotifyEmail, PublicURL: publicURL,
		Nudges: leads.NudgePolicy{After: cfg.NudgeAfter, Max: cfg.NudgeMax}, AllowPrivate: cfg.AllowPrivate, Log: log,
	})
	// Not ctx: the queue stops when told, after the last request.
	stopJobs, err := st.StartJobs(context.WithoutCancel(ctx), workers, periodic, log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: %w", err)
	}

	srv := &http.Server{
		Handler: web.NewServer(web.Config{
			Store: st, Verifier: verifier, Logger: log, Demo: demo, ContactWithin: cfg.ContactWithin,
			TrustedOrigins: origins, AllowPrivateWebhooks: cfg.AllowPrivate, PublicURL: publicURL, Mailbox: mailbox,
			RateLimit: cfg.RateLimit, TrustedProxies: proxies,
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
			stopJobs(context.Background())
			return fmt.Errorf("serve: demo: %w", err)
		}
	}

	// The queue's counts in the log, for operators (as in GET /readyz); it
	// stops before the store closes.
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	logDone := make(chan struct{})
	ticker := time.NewTicker(queueLogEvery)
	go func() {
		defer close(logDone)
		logQueue(logCtx, st, log, ticker.C)
	}()
	defer func() {
		stopLog()
		ticker.Stop()
		<-logDone
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", addr)
	log.Info("listening", "addr", addr)

	select {
	case err := <-serveErr:
		// The workers stop before the store closes.
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		stopJobs(sctx)
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
		stopJobs(sctx)
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	// Jobs in flight finish (a job cut off runs again after a restart).
	if err := stopJobs(sctx); err != nil {
		log.Warn("stop the job queue", "error", err.Error())
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// queueLogEvery is how often serve looks at the job queue's counts for its log.
const queueLogEvery = time.Minute

// logQueue logs the job queue's counts ("job queue": pending, running,
// retrying, failed) at once, then at each tick when they changed or while
// jobs wait (pending or retrying), until ctx is done.
func logQueue(ctx context.Context, st interface {
	JobCounts(context.Context) (leads.JobCounts, error)
}, log *slog.Logger, tick <-chan time.Time) {
	var last *leads.JobCounts
	for {
		c, err := st.JobCounts(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("job queue: count jobs", "error", err.Error())
		case last == nil || c != *last || c.Pending+c.Retrying > 0:
			log.Info("job queue", "pending", c.Pending, "running", c.Running, "retrying", c.Retrying, "failed", c.Failed)
			last = &c
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// newMailer returns the mailer the configuration asks for: SMTP when
// LEADS_SMTP_URL is set, else in demo mode a mailbox the demo shows, else
// none (and it says so: no e-mail will be sent).
func newMailer(cfg Config, log *slog.Logger) (notify.Mailer, *notify.Mailbox, error) {
	switch {
	case cfg.SMTPURL != "":
		m, err := notify.NewSMTP(cfg.SMTPURL, nil)
		if err != nil {
			return nil, nil, err
		}
		log.Info("e-mail is on", "smtp", redactURL(cfg.SMTPURL))
		return m, nil, nil
	case cfg.Demo:
		box := notify.NewMailbox(200)
		log.Info("e-mail goes to the demo mailbox, /demo/mailbox")
		return box, box, nil
	}
	log.Warn("e-mail is off: LEADS_SMTP_URL is not set, so no e-mail will be sent")
	return nil, nil, nil
}

// mailFrom is the sender of e-mails: LEADS_MAIL_FROM, else an address at the
// public URL's host.
func mailFrom(from, publicURL string) string {
	if from != "" {
		return from
	}
	host := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
		host = u.Hostname()
	}
	return "Enrolment <no-reply@" + host + ">"
}

// trustedOrigins parses LEADS_TRUSTED_ORIGINS.
func trustedOrigins(list string) ([]string, error) {
	var out []string
	cop := http.NewCrossOriginProtection()
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("LEADS_TRUSTED_ORIGINS: %q is not an origin such as https://desk.example.org", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// newVerifier builds the token verifier the configuration asks for.
func newVerifier(ctx context.Context, cfg Config) (*auth.Verifier, error) {
	if cfg.JWKSURL != "" {
		return auth.NewVerifierWithJWKS(ctx, []byte(cfg.JWTSecret), cfg.JWKSURL)
	}
	return auth.NewVerifier([]byte(cfg.JWTSecret)), nil
}
