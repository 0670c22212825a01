// Package postgres is the server storage engine: a leads.Store on PostgreSQL
// through pgx and its connection pool.
//
// Every write that changes lead data is one statement (the save, a status
// change, a conversion, a delete) except CompleteOnboarding, which is one short
// transaction. List totals come from lead_counts, a sharded counter table the
// triggers of the schema keep exact.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a leads.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

var _ leads.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…). Pool settings such as
// pool_max_conns and run-time parameters such as search_path may be given in
// the URL. It does not migrate; call MigrateUp.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Close waits for borrowed connections to come back and closes the pool. Every
// acknowledged write was committed, so it is already durable.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// provider returns a goose provider over the embedded migrations; the caller
// closes it. The advisory lock that keeps two migrators apart is per schema:
// the default id is database-wide, and would make migrations of unrelated
// schemas (one per test, say) wait for each other.
func (s *Store) provider(ctx context.Context) (*goose.Provider, error) {
	var schema string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("leads goose migrations " + schema))
	// Poll each second (not every 5 s) for up to the default 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, err
	}
	return p, nil
}

// MigrateUp applies every pending migration; it refuses a database whose schema
// is newer than this binary knows.
func (s *Store) MigrateUp(ctx context.Context) error {
	return s.migrate(ctx, func(p *goose.Provider) error { return schema.Up(ctx, p) })
}

// MigrateDown rolls back the latest applied migration.
func (s *Store) MigrateDown(ctx context.Context) error {
	return s.migrate(ctx, func(p *goose.Provider) error { return schema.Down(ctx, p) })
}

// MigrationStatus returns one line per known migration: version, file, whether
// it is applied, and when.
func (s *Store) MigrationStatus(ctx context.Context) (string, error) {
	var out string
	err := s.migrate(ctx, func(p *goose.Provider) (err error) {
		out, err = schema.Status(ctx, p)
		return err
	})
	return out, err
}

// migrate runs one migration step with a fresh provider.
func (s *Store) migrate(ctx context.Context, step func(*goose.Provider) error) error {
	p, err := s.provider(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	defer p.Close()
	if err := step(p); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// SQLSTATE codes the store acts on.
const (
	codeForeignKey = "23503"
	codeUnique     = "23505"
	codeDeadlock   = "40P01"
)

// errCode returns the SQLSTATE of err, or "".
func errCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// retryDeadlock runs fn, and once more when PostgreSQL broke a deadlock by
// aborting it: the counter triggers lock their rows in key order, so a
// deadlock is unexpected, and a second try of a rolled-back statement is safe.
func retryDeadlock(fn func() error) error {
	err := fn()
	if errCode(err) == codeDeadlock {
		err = fn()
	}
	return err
}
