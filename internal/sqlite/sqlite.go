// Package sqlite is the embedded storage engine: a leads.Store on a single SQLite
// file through the pure-Go driver modernc.org/sqlite.
//
// Writes go through one connection (SQLite has one writer anyway; queuing in Go
// is cheaper than spinning on SQLITE_BUSY) and one goroutine that commits them
// in groups (batch.go); reads go through a small read-only pool that WAL mode
// lets run alongside the writer. synchronous=FULL makes every acknowledged write
// durable even across a power cut.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// readConns is the size of the read-only pool; the machine this runs on is small.
const readConns = 4

// Checkpoints: copying the write-ahead log into the database file, and the
// fsync of the file that ends it, run in the background (checkpointer), at
// most every checkpointPause. The writer checkpoints the log itself only
// once it holds walBackstop pages (SQLite's wal_autocheckpoint; its default
// is 1,000): a log the background could not keep up with, or could not
// finish because readers held it. When the writer checkpointed every 1,000
// pages it waited on the copy and its fsync between batches; in the
// background, changing saves went 13–24 % faster in five of six interleaved
// pairs (docs/benchmarks.md, "SQLite's checkpoints in the background"). A
// backstop of 8,000 pages was faster still, but stalled the writer longer
// when reached (p99 13 ms higher).
const (
	checkpointPause = 50 * time.Millisecond
	walBackstop     = 4000 // pages: 16 MiB of log at SQLite's 4 KiB pages
)

// Store is a leads.Store on one SQLite database file.
type Store struct {
	schema.Migrator // MigrateUp, MigrateDown, MigrationStatus

	writer *sql.DB // one connection, BEGIN IMMEDIATE
	read   *sql.DB // read-only connections
	// checkpoints is the checkpointer's connection; wakeCheckpoint tells it
	// a batch committed.
	checkpoints    *sql.DB
	wakeCheckpoint chan struct{}

	writes    chan writeReq  // to the batcher; unbuffered
	quit      chan struct{}  // closed by Close
	done      sync.WaitGroup // the batcher and the checkpointer
	closeOnce sync.Once
	closeErr  error // Close's answer, for every call
	file      string
	dsn       string // the writer's, for the job queue's own connection
	// inserter queues jobs inside the writer's transactions (River, with no
	// workers of its own: StartJobs works the queue).
	inserter *river.Client[*sql.Tx]
	// broadSearch is the list's choice of how to read a search's page
	// (list.go); 0 sorts every search's matches. rowWalk likewise: 0
	// tests every walk against the trigram index's matches.
	broadSearch, rowWalk int64
}

var _ leads.Store = (*Store)(nil)

// Open opens (creating if needed) the database at the file path (the caller
// strips the sqlite: prefix of the URL). It does not migrate; call MigrateUp.
func Open(ctx context.Context, file string) (*Store, error) {
	return open(ctx, file, "FULL")
}

// open is Open with a chosen synchronous mode, so a benchmark can measure what
// FULL costs against NORMAL.
func open(ctx context.Context, file, synchronous string) (*Store, error) {
	if file == "" {
		return nil, errors.New("sqlite: empty database file")
	}
	// The file goes into a file: URI, so escape what SQLite would read as URI syntax.
	name := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
	wq := url.Values{
		"_pragma": {"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(" + synchronous + ")",
			"wal_autocheckpoint(" + strconv.Itoa(walBackstop) + ")"},
		"_txlock": {"immediate"},
	}
	dsn := name + "?" + wq.Encode()
	wc, err := newCachingConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write := sql.OpenDB(wc)
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The writer creates the file and switches it to WAL before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", file, err)
	}

	rq := url.Values{"_pragma": {"busy_timeout(5000)", "foreign_keys(1)", "query_only(1)"}, "mode": {"ro"}}
	rc, err := newCachingConnector(name + "?" + rq.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read := sql.OpenDB(rc)
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s read-only: %w", file, err)
	}
	inserter, err := river.NewClient(riversqlite.New(nil), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: job queue: %w", err)
	}
	checkpoints, err := sql.Open("sqlite", dsn)
	if err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	checkpoints.SetMaxOpenConns(1)
	s := &Store{writer: write, read: read, checkpoints: checkpoints, wakeCheckpoint: make(chan struct{}, 1),
		file: file, dsn: dsn, inserter: inserter, broadSearch: broadSearch, rowWalk: rowWalk,
		writes: make(chan writeReq), quit: make(chan struct{})}
	s.Migrator = schema.Migrator{Engine: "sqlite", Provider: s.provider}
	s.done.Add(2)
	go func() { defer s.done.Done(); s.batcher() }()
	go func() { defer s.done.Done(); s.checkpointer() }()
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}

// Close stops taking writes, lets the batch in progress commit, checkpoints the
// write-ahead log into the database file and closes both pools. Writes still
// waiting for the batcher get an error. Every acknowledged write was already
// durable; the checkpoint leaves a self-contained file behind.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		s.done.Wait()
		rerr := errors.Join(s.read.Close(), s.checkpoints.Close())
		// PASSIVE: with the readers closed it copies every frame, and the
		// writer's close then deletes the log. TRUNCATE would also wait out
		// the busy timeout (5 s) for a lock it cannot get once any other
		// connection (the migrations', the queue's) has written.
		_, cerr := s.writer.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		werr := s.writer.Close()
		s.closeErr = errors.Join(rerr, cerr, werr)
	})
	return s.closeErr
}

// provider returns the goose provider over the embedded migrations, on a
// database handle of its own to the file (closed by the release): goose holds
// one connection while it runs a migration outside a transaction (River's,
// migration 4) and records it on another, which the writer's single
// connection cannot give.
func (s *Store) provider(context.Context) (*goose.Provider, func(), error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", s.dsn)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(4)
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithGoMigrations(s.riverMigration()))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return p, func() { db.Close() }, nil
}

// timeLayout is how times are stored: fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// timeText is t as stored.
func timeText(t time.Time) string { return t.UTC().Format(timeLayout) }

// optTimeText is t as stored, or NULL.
func optTimeText(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeText(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// scanTime scans a stored time into t.
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(v any) (err error) {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("sqlite: stored time is %T, not text", v)
	}
	*s.t, err = parseTime(str)
	return err
}

// scanOptTime scans a stored time or NULL into t.
type scanOptTime struct{ t **time.Time }

func (s scanOptTime) Scan(v any) error {
	if v == nil {
		*s.t = nil
		return nil
	}
	var t time.Time
	if err := (scanTime{&t}).Scan(v); err != nil {
		return err
	}
	*s.t = &t
	return nil
}

// translate turns the constraint failures a statement can meet into the
// domain errors the caller names (nil: not expected there, kept as is), by
// SQLite's extended result code.
func translate(err, onForeignKey, onUnique error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		if onForeignKey != nil {
			return onForeignKey
		}
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		if onUnique != nil {
			return onUnique
		}
	}
	return err
}
