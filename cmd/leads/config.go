package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/sqlite"
	"github.com/leads/leads/internal/web"
)

// Config is the service's configuration: defaults, then the environment, then
// flags, each overriding the one before.
type Config struct {
	Addr        string // LEADS_ADDR, --addr
	DatabaseURL string // LEADS_DATABASE_URL, --database-url
	// DirectURL is PostgreSQL without the pooler, when DatabaseURL goes
	// through one in transaction mode (PgBouncer): migrations use it
	// (LEADS_DATABASE_DIRECT_URL, --database-direct-url).
	DirectURL string
	// DBMaxConns sizes PostgreSQL's connection pool; 0 sizes it from the
	// machine and the server (LEADS_DB_MAX_CONNS, --db-max-conns).
	DBMaxConns int
	JWTSecret  string // LEADS_JWT_SECRET, --jwt-secret
	JWKSURL    string // LEADS_JWKS_URL, --jwks-url
	NoMigrate  bool   // --no-migrate
	Demo       bool   // --demo
	Reset      bool   // --reset: with --demo, start from an empty database
	// ContactWithin is how soon a new lead should be contacted; older PENDING
	// leads never contacted are overdue (LEADS_CONTACT_WITHIN, --contact-within).
	ContactWithin time.Duration

	// Notifications (contract §9).
	SMTPURL      string        // LEADS_SMTP_URL: smtp:// or smtps://; none: no e-mail
	MailFrom     string        // LEADS_MAIL_FROM: the sender of every e-mail
	NotifyEmail  string        // LEADS_NOTIFY_EMAIL: new leads nobody is assigned to
	PublicURL    string        // LEADS_PUBLIC_URL: the base of links in e-mails
	NudgeAfter   time.Duration // LEADS_NUDGE_AFTER
	NudgeMax     int           // LEADS_NUDGE_MAX
	AllowPrivate bool          // LEADS_WEBHOOK_ALLOW_PRIVATE

	// TrustedOrigins are origins, comma-separated, allowed to send
	// cookie-authenticated changes besides the service's own
	// (LEADS_TRUSTED_ORIGINS).
	TrustedOrigins string
	// RateLimit limits each caller (LEADS_RATE_LIMIT: RATE/s,BURST or off).
	RateLimit web.RateLimit
	// TrustedProxies are addresses or CIDRs, comma-separated, whose
	// X-Forwarded-For names the client (LEADS_TRUSTED_PROXIES).
	TrustedProxies string
	// PprofAddr, a loopback address, serves Go's profiles (net/http/pprof)
	// for operators; empty: none (LEADS_PPROF_ADDR, --pprof-addr).
	PprofAddr string
}

// The defaults of the contract.
const (
	defaultAddr        = "127.0.0.1:8080"
	defaultDatabaseURL = "sqlite:leads.db"
)

// configFromEnv returns the defaults overridden by the environment, or an
// error naming each variable whose value does not parse.
func configFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Addr: defaultAddr, DatabaseURL: defaultDatabaseURL, ContactWithin: web.DefaultContactWithin,
		NudgeAfter: 72 * time.Hour, NudgeMax: 2, RateLimit: defaultRateLimit}
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"LEADS_ADDR", &c.Addr},
		{"LEADS_DATABASE_URL", &c.DatabaseURL},
		{"LEADS_DATABASE_DIRECT_URL", &c.DirectURL},
		{"LEADS_JWT_SECRET", &c.JWTSecret},
		{"LEADS_JWKS_URL", &c.JWKSURL},
		{"LEADS_SMTP_URL", &c.SMTPURL},
		{"LEADS_MAIL_FROM", &c.MailFrom},
		{"LEADS_NOTIFY_EMAIL", &c.NotifyEmail},
		{"LEADS_PUBLIC_URL", &c.PublicURL},
		{"LEADS_TRUSTED_ORIGINS", &c.TrustedOrigins},
		{"LEADS_TRUSTED_PROXIES", &c.TrustedProxies},
		{"LEADS_PPROF_ADDR", &c.PprofAddr},
	} {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			*v.dst = s
		}
	}
	var errs []error
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"LEADS_CONTACT_WITHIN", &c.ContactWithin},
		{"LEADS_NUDGE_AFTER", &c.NudgeAfter},
	} {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive Go duration such as 24h or 90m", v.name, s))
				continue
			}
			*v.dst = d
		}
	}
	if s := strings.TrimSpace(getenv("LEADS_DB_MAX_CONNS")); s != "" {
		n, err := parseMaxConns(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("LEADS_DB_MAX_CONNS=%q: %w", s, err))
		}
		c.DBMaxConns = n
	}
	if s := strings.TrimSpace(getenv("LEADS_NUDGE_MAX")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("LEADS_NUDGE_MAX=%q: want a number of nudges, 0 for none", s))
		}
		c.NudgeMax = n
	}
	switch s := strings.ToLower(strings.TrimSpace(getenv("LEADS_WEBHOOK_ALLOW_PRIVATE"))); s {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		c.AllowPrivate = true
	default:
		errs = append(errs, fmt.Errorf("LEADS_WEBHOOK_ALLOW_PRIVATE=%q: want true or false", s))
	}
	if s := strings.TrimSpace(getenv("LEADS_RATE_LIMIT")); s != "" {
		l, ok := web.ParseRateLimit(s)
		if !ok {
			errs = append(errs, fmt.Errorf("LEADS_RATE_LIMIT=%q: want RATE/s,BURST such as 10/s,30, or off", s))
		}
		c.RateLimit = l
	}
	return c, errors.Join(errs...)
}

// defaultRateLimit is LEADS_RATE_LIMIT's default: a burst of 30 requests, then
// 10 a second (contract §10).
var defaultRateLimit = web.RateLimit{Rate: 10, Burst: 30}

// urlFlag is a URL flag whose value is shown with its passwords redacted.
type urlFlag struct{ p *string }

func (f urlFlag) String() string {
	if f.p == nil {
		return ""
	}
	return redactURL(*f.p)
}

func (f urlFlag) Set(s string) error { *f.p = s; return nil }

// rateLimitFlag reads --rate-limit as LEADS_RATE_LIMIT is read.
type rateLimitFlag struct{ l *web.RateLimit }

func (f rateLimitFlag) String() string {
	if f.l == nil || f.l.Off() {
		return "off"
	}
	return strconv.FormatFloat(f.l.Rate, 'g', -1, 64) + "/s," + strconv.Itoa(f.l.Burst)
}

func (f rateLimitFlag) Set(s string) error {
	l, ok := web.ParseRateLimit(s)
	if !ok {
		return errors.New("want RATE/s,BURST such as 10/s,30, or off")
	}
	*f.l = l
	return nil
}

// trustedProxies parses LEADS_TRUSTED_PROXIES: addresses or CIDRs,
// comma-separated.
func trustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if a, err := netip.ParseAddr(p); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("LEADS_TRUSTED_PROXIES: %q is neither an address nor a CIDR such as 10.0.0.0/8", p)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// The flags each command accepts, by name.
const (
	flagAddr = 1 << iota
	flagDatabaseURL
	flagJWTSecret
	flagJWKSURL
	flagServe // --no-migrate and --demo
)

// bindFlags registers the chosen flags on fs with the current values as
// defaults, so parsing fs overrides only what the command line names.
func (c *Config) bindFlags(fs *flag.FlagSet, which int) {
	if which&flagAddr != 0 {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address` (LEADS_ADDR)")
	}
	if which&flagDatabaseURL != 0 {
		// Their defaults come from the environment and may hold a password:
		// -help shows them redacted.
		fs.Var(urlFlag{&c.DatabaseURL}, "database-url", "sqlite:PATH or postgres://… (LEADS_DATABASE_URL)")
		fs.Var(urlFlag{&c.DirectURL}, "database-direct-url", "PostgreSQL without the pooler, when the database URL goes through PgBouncer in transaction mode (LEADS_DATABASE_DIRECT_URL)")
		fs.Func("db-max-conns", "size of PostgreSQL's connection pool; unset: from the cores and the server (LEADS_DB_MAX_CONNS)", func(s string) (err error) {
			c.DBMaxConns, err = parseMaxConns(s)
			return err
		})
	}
	if which&flagJWTSecret != 0 {
		// The default is not shown in -help: it is a secret.
		fs.Func("jwt-secret", "HS256 `secret` (LEADS_JWT_SECRET)", func(s string) error { c.JWTSecret = s; return nil })
	}
	if which&flagJWKSURL != 0 {
		fs.StringVar(&c.JWKSURL, "jwks-url", c.JWKSURL, "also accept RS256/ES256 tokens whose key is in this JWK Set (LEADS_JWKS_URL)")
	}
	if which&flagServe != 0 {
		fs.BoolVar(&c.NoMigrate, "no-migrate", c.NoMigrate, "do not apply pending migrations on start")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "zero-setup demo: SQLite, a development secret, demo catalogue and accounts")
		fs.BoolVar(&c.Reset, "reset", c.Reset, "with --demo: delete the demo's SQLite database first, to start afresh")
		fs.DurationVar(&c.ContactWithin, "contact-within", c.ContactWithin, "how soon a new lead should be contacted; older ones are overdue (LEADS_CONTACT_WITHIN)")
		fs.Func("smtp-url", "smtp://user:pass@host:port or smtps://… to send e-mail through (LEADS_SMTP_URL)", func(s string) error { c.SMTPURL = s; return nil })
		fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "the sender of every e-mail (LEADS_MAIL_FROM)")
		fs.StringVar(&c.NotifyEmail, "notify-email", c.NotifyEmail, "where new leads nobody is assigned to are announced (LEADS_NOTIFY_EMAIL)")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the service's address as its users reach it, for links in e-mails (LEADS_PUBLIC_URL)")
		fs.DurationVar(&c.NudgeAfter, "nudge-after", c.NudgeAfter, "nudge an applicant whose lead was not saved for this long (LEADS_NUDGE_AFTER)")
		fs.IntVar(&c.NudgeMax, "nudge-max", c.NudgeMax, "at most this many nudges per lead (LEADS_NUDGE_MAX)")
		fs.BoolVar(&c.AllowPrivate, "webhook-allow-private", c.AllowPrivate, "let webhooks reach private addresses (LEADS_WEBHOOK_ALLOW_PRIVATE)")
		fs.Var(rateLimitFlag{&c.RateLimit}, "rate-limit", "requests a caller may send: RATE/s,BURST, or off (LEADS_RATE_LIMIT)")
		fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "proxies, as addresses or CIDRs, whose X-Forwarded-For names the client (LEADS_TRUSTED_PROXIES)")
		fs.StringVar(&c.TrustedOrigins, "trusted-origins", c.TrustedOrigins, "origins, comma-separated, whose pages may change data with the cookie (LEADS_TRUSTED_ORIGINS)")
		fs.StringVar(&c.PprofAddr, "pprof-addr", c.PprofAddr, "a loopback `address` to serve Go's profiles on (/debug/pprof/), for operators (LEADS_PPROF_ADDR)")
	}
}

// String shows the configuration with its secrets masked, as LogValue does, so
// printing a Config with fmt cannot leak them either.
func (c Config) String() string { return c.LogValue().String() }

// LogValue makes slog print the configuration with its secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("database_direct_url", redactURL(c.DirectURL)),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.String("jwt_secret", mask(c.JWTSecret)),
		slog.String("jwks_url", redactURL(c.JWKSURL)),
		slog.Bool("no_migrate", c.NoMigrate),
		slog.Bool("demo", c.Demo),
		slog.Bool("reset", c.Reset),
		slog.Duration("contact_within", c.ContactWithin),
		slog.String("smtp_url", redactURL(c.SMTPURL)),
		slog.String("mail_from", c.MailFrom),
		slog.String("notify_email", c.NotifyEmail),
		slog.String("public_url", c.PublicURL),
		slog.Duration("nudge_after", c.NudgeAfter),
		slog.Int("nudge_max", c.NudgeMax),
		slog.Bool("webhook_allow_private", c.AllowPrivate),
		slog.String("trusted_origins", c.TrustedOrigins),
		slog.String("rate_limit", rateLimitFlag{&c.RateLimit}.String()),
		slog.String("trusted_proxies", c.TrustedProxies),
		slog.String("pprof_addr", c.PprofAddr),
	)
}

func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "********"
}

// redactURL hides the passwords of a URL: its user info
// (postgres://user:pass@host) and query parameters such as password=.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)" // it might hold a password anywhere
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "password", "pass", "pwd", "sslpassword", "secret", "token", "apikey", "api_key":
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// store is what cmd/leads needs from a storage engine: the service's store plus
// schema management.
type store interface {
	leads.Store
	MigrateUp(ctx context.Context) error
	MigrateDown(ctx context.Context) error
	MigrationStatus(ctx context.Context) (string, error)
	// StartJobs works the job queue until stop is called.
	StartJobs(ctx context.Context, workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger) (stop func(context.Context) error, err error)
}

// resetDemo deletes the SQLite database of a demo (the file and its
// write-ahead log), so the demo starts from nothing. It refuses anything but a
// SQLite database: --reset is for the demo's own file, never a server's data.
func resetDemo(databaseURL string) error {
	path, ok := strings.CutPrefix(databaseURL, "sqlite:")
	if !ok || path == "" {
		return errors.New("--reset only resets a demo's SQLite database (sqlite:PATH)")
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reset the demo database: %w", err)
		}
	}
	return nil
}

// openStore opens the engine a database URL names: sqlite:PATH or
// postgres://… (postgresql://…). maxConns, when not 0, sizes PostgreSQL's pool
// (it overrides the URL's pool_max_conns; SQLite has one writer and a read
// pool of its own). A direct URL says that the database URL goes through a
// pooler in transaction mode (postgres.OpenPooled).
func openStore(ctx context.Context, databaseURL, directURL string, maxConns int) (store, error) {
	isPostgres := func(u string) bool {
		return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
	}
	if directURL != "" && (!isPostgres(databaseURL) || !isPostgres(directURL)) {
		return nil, errors.New("a direct database URL is for PostgreSQL behind a pooler: both URLs must be postgres://…")
	}
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" {
			return nil, errors.New("database URL sqlite: needs a file path, e.g. sqlite:leads.db")
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
		}
		return s, nil
	case isPostgres(databaseURL):
		if maxConns > 0 {
			sized, err := withPoolSize(databaseURL, maxConns)
			if err != nil {
				return nil, fmt.Errorf("open PostgreSQL database %s: %w", redactURL(databaseURL), err)
			}
			databaseURL = sized
		}
		var s *postgres.Store
		var err error
		if directURL != "" {
			s, err = postgres.OpenPooled(ctx, databaseURL, directURL)
		} else {
			s, err = postgres.Open(ctx, databaseURL)
		}
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %w", redactURL(databaseURL), err)
		}
		return s, nil
	default:
		scheme, _, _ := strings.Cut(databaseURL, ":")
		return nil, fmt.Errorf("unsupported database URL scheme %q: use sqlite:PATH or postgres://…", scheme)
	}
}

// parseMaxConns reads a pool size: a whole number, 1 or more.
func parseMaxConns(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("want a number of connections, 1 or more")
	}
	return n, nil
}

// withPoolSize sets pgxpool's pool_max_conns in a PostgreSQL URL.
func withPoolSize(databaseURL string, n int) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", errors.New("the URL does not parse")
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
