package storetest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Migrator is a store's schema management, as cmd/leads uses it.
type Migrator interface {
	MigrateUp(ctx context.Context) error
	MigrateDown(ctx context.Context) error
	MigrationStatus(ctx context.Context) (string, error)
}

// RunMigrations walks an engine's migrations up, down one by one to nothing,
// and up again, checking the status lines and whether the schema's objects
// exist at each step (objects counts the engine's own tables, functions and
// the like, not goose's); then it checks that a database whose schema is newer
// than the binary knows is refused. markNewer records such a version.
func RunMigrations(t *testing.T, m Migrator, objects func() int, markNewer func() error) {
	ctx := t.Context()
	status := func(step string) []string {
		t.Helper()
		out, err := m.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("%s: status: %v", step, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.Contains(lines[0], "00001") || !strings.Contains(lines[0], "00001_init.sql") {
			t.Errorf("%s: status %q does not start with the first migration's version and file", step, out)
		}
		return lines
	}
	applied := func(lines []string) int {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, "applied") {
				n++
				if !strings.Contains(l, time.Now().UTC().Format("2006-01-02")) {
					t.Errorf("status line %q does not say when it was applied", l)
				}
			}
		}
		return n
	}
	check := func(step string, wantApplied int, wantObjects bool) {
		t.Helper()
		lines := status(step)
		if got := applied(lines); got != wantApplied {
			t.Errorf("%s: %d migrations applied, want %d:\n%s", step, got, wantApplied, strings.Join(lines, "\n"))
		}
		if got := objects(); (got > 0) != wantObjects {
			t.Errorf("%s: %d schema objects, want them to exist: %v", step, got, wantObjects)
		}
	}

	all := len(status("fresh"))
	check("fresh", 0, false)
	if err := m.MigrateUp(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	check("up", all, true)
	if err := m.MigrateUp(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	check("up again is a no-op", all, true)
	for i := all - 1; i >= 0; i-- {
		if err := m.MigrateDown(ctx); err != nil {
			t.Fatalf("down to %d: %v", i, err)
		}
		check("down", i, i > 0)
	}
	if err := m.MigrateUp(ctx); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	check("up after down", all, true)
	if err := markNewer(); err != nil {
		t.Fatal(err)
	}
	err := m.MigrateUp(ctx)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema: MigrateUp = %v, want an error saying the schema is newer", err)
	}
}
