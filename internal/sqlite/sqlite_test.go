package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/storetest"
)

// openMigrated opens a migrated store on a fresh file, closed when tb ends.
func openMigrated(tb testing.TB, synchronous string) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := open(ctx, filepath.Join(tb.TempDir(), "leads.db"), synchronous)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	if err := s.MigrateUp(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leads.Store { return openMigrated(t, "FULL") })
}

// seed bulk-inserts n users and their leads in three statements: 20 centres,
// statuses in turn, every tenth lead without a centre, one lead every 30 s.
func seed(tb testing.TB, st leads.Store, n int) {
	s := st.(*Store)
	ctx := context.Background()
	now := formatTime(leads.Now(time.Now()))
	for _, q := range []string{
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < 20)
		INSERT INTO centers (id, name) SELECT 'seed-centre-' || i, 'Seed Centre ' || i FROM seq
		WHERE ?1 > 0 AND ?2 <> ''`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1)
		INSERT INTO users (id, full_name, email, created_at, updated_at)
		SELECT 'seed-user-' || i, 'Seed User ' || i, 'seed' || i || '@example.com', ?2, ?2 FROM seq`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1),
		rows(i, ts, centre) AS (
			SELECT i, strftime('%Y-%m-%dT%H:%M:%S', 1767225600 + i * 30, 'unixepoch') || '.000000Z',
				CASE WHEN i % 10 = 9 THEN NULL ELSE 'seed-centre-' || (i % 20) END
			FROM seq)
		INSERT INTO leads (id, user_id, full_name, email, center_id, center_name, onboarding_step,
			last_saved_at, status, created_at, updated_at)
		SELECT printf('%08x-0000-7000-8000-%012x', i, i), 'seed-user-' || i, 'Seed User ' || i,
			'seed' || i || '@example.com', centre, 'Seed Centre ' || (i % 20), 1 + i % 3, ts,
			CASE i % 5 WHEN 2 THEN 'CONTACTED' WHEN 3 THEN 'LOST' WHEN 4 THEN 'CONVERTED' ELSE 'PENDING' END,
			ts, ts
		FROM rows`,
	} {
		if _, err := s.write.ExecContext(ctx, q, n, now); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) leads.Store { return openMigrated(tb, "FULL") }, seed)
}

// BenchmarkSynchronous measures what synchronous=FULL (every commit fsynced,
// durable across a power cut) costs against NORMAL on sequential saves.
func BenchmarkSynchronous(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run(mode, func(b *testing.B) {
			s := openMigrated(b, mode)
			ctx := context.Background()
			if _, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "U", Email: "u@example.com"}); err != nil {
				b.Fatal(err)
			}
			step := 2
			for i := 0; b.Loop(); i++ {
				if _, _, err := s.SaveFromOnboarding(ctx, "u1", leads.SaveInput{Step: &step}, leads.Now(time.Now())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	// A name with URI syntax in it still names a plain file.
	path := filepath.Join(t.TempDir(), "my leads 100%?#.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "Mercy", Email: "mercy@example.com"}); err != nil {
		t.Fatal(err)
	}
	addr := "12 Main St"
	saved, _, err := s.SaveFromOnboarding(ctx, "u1", leads.SaveInput{StudentAddress: &addr}, leads.Now(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close checkpointed the log into the database file.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL still holds %d bytes after Close", fi.Size())
	}

	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
	got, err := s.LeadByUser(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != saved.ID || got.StudentAddress == nil || *got.StudentAddress != addr || !got.UpdatedAt.Equal(saved.UpdatedAt) {
		t.Errorf("after reopen: %+v, want %+v", got, saved)
	}
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "leads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	steps := []struct {
		name    string
		do      func() error
		wantErr bool
		status  string // word the status line must hold
		tables  bool   // whether the leads table exists afterwards
	}{
		{"fresh", func() error { return nil }, false, "pending", false},
		{"up", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"up again is a no-op", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"down", func() error { return s.MigrateDown(ctx) }, false, "pending", false},
		{"up after down", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"a newer schema is refused", func() error {
			if _, err := s.write.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`); err != nil {
				return err
			}
			return s.MigrateUp(ctx)
		}, true, "applied", true},
	}
	for _, st := range steps {
		err := st.do()
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: err = %v, want error %v", st.name, err, st.wantErr)
		}
		status, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("%s: status: %v", st.name, err)
		}
		if !strings.Contains(status, "00001") || !strings.Contains(status, "00001_init.sql") || !strings.Contains(status, st.status) {
			t.Errorf("%s: status %q, want version, name and %q", st.name, status, st.status)
		}
		var n int
		err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'leads'`).Scan(&n)
		if err != nil || (n == 1) != st.tables {
			t.Errorf("%s: leads table exists = %v (err %v), want %v", st.name, n == 1, err, st.tables)
		}
	}
}
