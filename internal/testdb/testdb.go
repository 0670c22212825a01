// Package testdb gives tests their own database: a fresh PostgreSQL schema in
// the test database, or a fresh SQLite file, gone when the test ends. Cases
// that cannot run here skip through Skip, which names the reason (so that
// tools/testreport can sum them up) and turns the skip into a failure where CI
// requires such cases to run.
package testdb

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The environment the tests read.
const (
	// EnvPostgres is the URL of the test database; PostgreSQL cases skip
	// without it.
	EnvPostgres = "LEADS_TEST_DATABASE_URL"
	// EnvRequire lists, comma-separated, the kinds of cases that must not
	// skip ("postgres", "browser"): CI sets it, so a missing service fails
	// the run instead of passing it quietly.
	EnvRequire = "LEADS_REQUIRE"
)

// Skip skips tb for the reason given, as a case of kind ("postgres",
// "browser"); when EnvRequire names kind, it fails tb instead.
func Skip(tb testing.TB, kind, reason string) {
	tb.Helper()
	if Required(kind) {
		tb.Fatalf("%s case cannot run (%s), and %s requires it", kind, reason, EnvRequire)
	}
	tb.Skip(kind + " case skipped: " + reason)
}

// Required reports whether cases of kind must run (EnvRequire).
func Required(kind string) bool {
	for _, k := range strings.Split(os.Getenv(EnvRequire), ",") {
		if strings.TrimSpace(k) == kind {
			return true
		}
	}
	return false
}

// PostgresURL creates an empty schema in the test database, dropped with
// everything in it when tb ends, and returns the database URL with that schema
// first on the search_path (then public, where extensions live: an extension
// exists once per database). It skips tb without EnvPostgres.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		Skip(tb, "postgres", EnvPostgres+" is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	schema := pgx.Identifier{"test_" + strings.ToLower(rand.Text())}.Sanitize()
	admin := func(sql string) error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		if err := admin(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", strings.Trim(schema, `"`)+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteFile returns the path of a new database file in tb's temporary
// directory.
func SQLiteFile(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "leads.db")
}
