// Package postgres is the server storage engine: a leads.Store on PostgreSQL
// through pgx and its connection pool.
//
// Every change to a lead is one transaction (Update) in which the rules of
// internal/leads run over the row locks of tx. List totals come from
// lead_counts, a sharded counter table the triggers of the schema keep exact.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a leads.Store on a PostgreSQL database.
type Store struct {
	schema.Migrator // MigrateUp, MigrateDown, MigrationStatus

	pool *pgxpool.Pool
	// direct is the database without the pooler, for what needs a session
	// of its own (migrations); pool itself unless OpenPooled.
	direct *pgxpool.Pool
	// pollOnly: the job queue polls, as LISTEN does not pass a transaction
	// pooler.
	pollOnly bool
	// inserter queues jobs inside the store's transactions (River, with no
	// workers of its own: StartJobs works the queue).
	inserter *river.Client[pgx.Tx]
}

var _ leads.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…). Pool settings such as
// pool_max_conns and run-time parameters such as search_path may be given in
// the URL. Without pool_max_conns the pool is sized by PoolSize. It does not
// migrate; call MigrateUp.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	return openConfig(ctx, cfg, strings.Contains(url, "pool_max_conns"))
}

// OpenTraced is Open on one connection whose statements tracer sees, so
// that a tool can read what each of the store's paths sends (loadgen
// renders the first save's transaction as a pgbench script from it).
func OpenTraced(ctx context.Context, url string, tracer pgx.QueryTracer) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	cfg.ConnConfig.Tracer = tracer
	cfg.MaxConns = 1
	return openConfig(ctx, cfg, true)
}

// OpenPooled opens a store whose connections go through a pooler in
// transaction mode (PgBouncer) at url; direct is the same database without
// the pooler. Through the pooler each statement may meet another server
// connection, so what needs a session of its own goes elsewhere or is not
// used: migrations (goose holds an advisory lock for their whole run) take
// a small pool on direct; statements are not prepared by name (pgx caches
// their descriptions and sends them unnamed, unless url names
// default_query_exec_mode); and the job queue polls instead of listening.
// Without pool_max_conns in url the pool is PoolSize's for the cores: the
// server's limit says nothing of the pooler's.
func OpenPooled(ctx context.Context, url, direct string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	if !strings.Contains(url, "default_query_exec_mode") {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = PoolSize(runtime.GOMAXPROCS(0), 0)
	}
	dcfg, err := pgxpool.ParseConfig(direct)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse direct database URL: %w", err)
	}
	if !strings.Contains(direct, "pool_max_conns") {
		dcfg.MaxConns = 2 // goose's locked session and River's migration
	}
	dcfg.MaxConnIdleTime = time.Minute // needed at start, then idle
	s, err := openConfig(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	if s.direct, err = pgxpool.NewWithConfig(ctx, dcfg); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open direct: %w", err)
	}
	// Both must reach the same database and schema, or migrations would
	// build a schema the service never reads (a pooler that drops
	// search_path, a mistyped alias).
	const where = `SELECT current_database() || '.' || COALESCE(current_schema(), '')`
	var viaPooler, viaDirect string
	err = s.pool.QueryRow(ctx, where).Scan(&viaPooler)
	if err == nil {
		if err = s.direct.QueryRow(ctx, where).Scan(&viaDirect); err != nil {
			err = fmt.Errorf("postgres: connect direct: %w", err)
		}
	}
	if err == nil && viaPooler != viaDirect {
		err = fmt.Errorf("postgres: the database URL reaches %s and the direct URL %s: both must name the same database and schema", viaPooler, viaDirect)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.pollOnly = true
	return s, nil
}

// openConfig opens a store on a parsed pool configuration; sized says that
// its MaxConns was given.
func openConfig(ctx context.Context, cfg *pgxpool.Config, sized bool) (*Store, error) {
	if !sized {
		cfg.MaxConns = PoolSize(runtime.GOMAXPROCS(0), 0)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if sized {
		return newStore(pool)
	}
	// The connections the server allows to others than superusers; unknown
	// (0) when the settings cannot be read, as through some poolers.
	var available int
	if err := pool.QueryRow(ctx, `SELECT current_setting('max_connections')::int
		- COALESCE(current_setting('superuser_reserved_connections', true)::int, 0)
		- COALESCE(current_setting('reserved_connections', true)::int, 0)`).Scan(&available); err != nil {
		available = 0
	}
	if n := PoolSize(runtime.GOMAXPROCS(0), available); n < cfg.MaxConns {
		// The server has fewer connections to give than the cores ask for.
		pool.Close()
		cfg.MaxConns = n
		if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return nil, fmt.Errorf("postgres: open: %w", err)
		}
	}
	return newStore(pool)
}

// newStore makes the store of a connected pool.
func newStore(pool *pgxpool.Pool) (*Store, error) {
	inserter, err := river.NewClient(riverpgxv5.New(nil), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: job queue: %w", err)
	}
	s := &Store{pool: pool, direct: pool, inserter: inserter}
	s.Migrator = schema.Migrator{Engine: "postgres", Provider: s.provider}
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Close waits for borrowed connections to come back and closes the pool. Every
// acknowledged write was committed, so it is already durable.
func (s *Store) Close() error {
	s.pool.Close()
	s.direct.Close()
	return nil
}

// provider returns a goose provider over the embedded migrations, and the
// release that closes it. The advisory lock that keeps two migrators apart is per schema:
// the default id is database-wide, and would make migrations of unrelated
// schemas (one per test, say) wait for each other.
func (s *Store) provider(ctx context.Context) (*goose.Provider, func(), error) {
	var current string
	if err := s.direct.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return nil, nil, fmt.Errorf("current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("leads goose migrations " + current))
	// Poll each second (not every 5 s) for up to the default 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, nil, err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDBFromPool(s.direct)
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(s.riverMigration()))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return p, func() { p.Close() }, nil
}

// PoolSize is the pool's size unless the URL says pool_max_conns: eight
// connections a core, from 16 to 64, since a save spends most of its time
// waiting for PostgreSQL's commit rather than on a core (pgxpool's own
// default, one a core with at least 4, left saves queueing for a connection
// while PostgreSQL idled; the job queue also holds one to LISTEN); and at
// most a quarter of the connections the server allows to others than
// superusers (available; 0 when not known), so that four instances and the
// operators' tools fit. Behind PgBouncer, name the size: the server's limit
// says nothing of the pooler's.
func PoolSize(cores, available int) int32 {
	n := min(max(8*cores, 16), 64)
	if available > 0 {
		n = min(n, max(available/4, 2))
	}
	return int32(n)
}

// SQLSTATE codes the store acts on.
const (
	codeForeignKey    = "23503"
	codeUnique        = "23505"
	codeDeadlock      = "40P01"
	codeSerialization = "40001"
)

// errCode returns the SQLSTATE of err, or "".
func errCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// translate turns the constraint failures a statement can meet into the
// domain errors the caller names (nil: not expected there, kept as is), by
// SQLSTATE.
func translate(err, onForeignKey, onUnique error) error {
	switch code := errCode(err); {
	case code == codeForeignKey && onForeignKey != nil:
		return onForeignKey
	case code == codeUnique && onUnique != nil:
		return onUnique
	}
	return err
}

// retryConflict runs fn, and once more when PostgreSQL aborted it to break a
// deadlock or a serialization conflict: the transaction was rolled back, so a
// second try is safe.
func retryConflict(fn func() error) error {
	err := fn()
	if code := errCode(err); code == codeDeadlock || code == codeSerialization {
		err = fn()
	}
	return err
}

// utc puts times read from the database in UTC: pgx reads timestamptz in the
// local zone, and the contract speaks UTC.
func utc(ts ...*time.Time) {
	for _, t := range ts {
		if t != nil {
			*t = t.UTC()
		}
	}
}
