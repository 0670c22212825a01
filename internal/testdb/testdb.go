// Package testdb gives tests their own database: a fresh PostgreSQL schema in
// the test database, or a fresh SQLite file, gone when the test ends. Cases
// that cannot run here skip through Skip, which names the reason (so that
// tools/testreport can sum them up) and turns the skip into a failure where CI
// requires such cases to run.
package testdb

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment the tests read.
const (
	// EnvPostgres is the URL of the test database; PostgreSQL cases skip
	// without it.
	EnvPostgres = "LEADS_TEST_DATABASE_URL"
	// EnvRequire lists, comma-separated, the kinds of cases that must not
	// skip ("postgres", "browser", "axe", "pgbouncer"): CI sets it, so a missing service fails
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
	u, admin := testServer(tb)
	schema := pgx.Identifier{"test_" + strings.ToLower(rand.Text())}.Sanitize()
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

// testServer returns the test database's URL (EnvPostgres), parsed, and a
// function that runs one statement on it; it skips tb without EnvPostgres.
func testServer(tb testing.TB) (*url.URL, func(sql string) error) {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		Skip(tb, "postgres", EnvPostgres+" is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	return u, func(sql string) error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
}

// SQLiteFile returns the path of a new database file in tb's temporary
// directory.
func SQLiteFile(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "leads.db")
}

// PgBouncer creates an empty database in the test server and starts a
// PgBouncer in transaction mode in front of it, both gone when tb ends. It
// returns the database's URL through the pooler and its direct URL. A
// database rather than a schema: PgBouncer 1.18 refuses search_path as a
// startup parameter. It skips tb (as kind "pgbouncer") without the
// pgbouncer program, and without EnvPostgres. A test binary killed by its
// timeout leaves the PgBouncer running (it runs as another user when the
// tests run as root, so no parent-death signal reaches it).
func PgBouncer(tb testing.TB) (pooled, direct string) {
	tb.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer" // Debian's, off a user's PATH
		if _, err := os.Stat(bin); err != nil {
			Skip(tb, "pgbouncer", "the pgbouncer program is not installed")
		}
	}
	direct = PostgresDatabase(tb)
	u, err := url.Parse(direct)
	if err != nil {
		tb.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	user := u.User.Username()
	if user == "" {
		user = "postgres"
	}
	// The auth file's password is also the one PgBouncer logs in with.
	password, _ := u.User.Password()
	// PgBouncer will not run as root; it reads its files as the user it
	// becomes, so they are readable by all.
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	listen := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 10
`, host, port, listen, filepath.Join(dir, "users.txt"))
	for name, text := range map[string]string{"pgbouncer.ini": conf, "users.txt": fmt.Sprintf("%q %q\n", user, password)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postgres"}, args...)
	}
	logPath := filepath.Join(dir, "out.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close() // the child has its own copy
	out := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start pgbouncer: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	// Cleanups run last first: PgBouncer stops before the database is
	// dropped, so it holds no connection to it.
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	p := *u
	p.Host = fmt.Sprintf("127.0.0.1:%d", listen)
	pooled = p.String()
	// Ready when a query passes through it (not merely when something
	// listens on the port, which another process could have taken).
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-done:
			tb.Fatalf("pgbouncer exited: %s", out())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, pooled)
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pgbouncer did not answer on %s: %v\n%s", p.Host, err, out())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return pooled, direct
}

// PostgresDatabase creates an empty database in the test server, dropped
// when tb ends, and returns its URL. It skips tb without EnvPostgres.
func PostgresDatabase(tb testing.TB) string {
	tb.Helper()
	u, admin := testServer(tb)
	name := "test_" + strings.ToLower(rand.Text())
	if err := admin(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if err := admin(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
