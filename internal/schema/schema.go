// Package schema runs a storage engine's embedded, numbered migrations with goose.
// Each engine builds the goose provider for its own database (dialect, locking);
// the steps and the refusal of a newer schema are the same for both, so they
// live here once.
package schema

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

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
