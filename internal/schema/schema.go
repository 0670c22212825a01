// Package schema runs a storage engine's embedded, numbered migrations with goose.
// Each engine builds the goose provider for its own database (dialect, locking);
// the steps and the refusal of a newer schema are the same for both, so they
// live here once, with the few SQL text helpers both engines write alike
// (sqltext.go).
package schema

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

// Migrator gives a store its migration methods. A store embeds it, so both
// engines offer MigrateUp, MigrateDown and MigrationStatus with one body.
type Migrator struct {
	// Engine prefixes errors ("sqlite", "postgres").
	Engine string
	// Provider returns a goose provider over the engine's embedded migrations,
	// and a release func to call when the step is done.
	Provider func(ctx context.Context) (p *goose.Provider, release func(), err error)
}

// MigrateUp applies every pending migration; it refuses a database whose schema
// is newer than this binary knows.
func (m Migrator) MigrateUp(ctx context.Context) error {
	return m.run(ctx, func(p *goose.Provider) error { return Up(ctx, p) })
}

// MigrateDown rolls back the latest applied migration.
func (m Migrator) MigrateDown(ctx context.Context) error {
	return m.run(ctx, func(p *goose.Provider) error { return Down(ctx, p) })
}

// MigrationStatus returns one line per known migration: version, file, whether
// it is applied, and when.
func (m Migrator) MigrationStatus(ctx context.Context) (string, error) {
	var out string
	err := m.run(ctx, func(p *goose.Provider) (err error) {
		out, err = Status(ctx, p)
		return err
	})
	return out, err
}

// run runs one migration step with a fresh provider.
func (m Migrator) run(ctx context.Context, step func(*goose.Provider) error) error {
	p, release, err := m.Provider(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrations: %w", m.Engine, err)
	}
	defer release()
	if err := step(p); err != nil {
		return fmt.Errorf("%s: %w", m.Engine, err)
	}
	return nil
}

// Up applies every pending migration. It refuses a database whose schema is
// newer than the migrations this binary carries: an older binary must not run
// against data it does not understand.
func Up(ctx context.Context, p *goose.Provider) error {
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	sources := p.ListSources()
	if known := sources[len(sources)-1].Version; current > known {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d); upgrade the binary", current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down rolls back the latest applied migration.
func Down(ctx context.Context, p *goose.Provider) error {
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Status returns one line per known migration: version, file, whether it is
// applied, and when.
func Status(ctx context.Context, p *goose.Provider) (string, error) {
	st, err := p.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("migration status: %w", err)
	}
	var b strings.Builder
	for _, m := range st {
		when := "-"
		if m.State == goose.StateApplied {
			when = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "%05d  %-24s %-8s %s\n", m.Source.Version, path.Base(m.Source.Path), m.State, when)
	}
	return b.String(), nil
}
