package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/storetest"
)

// freshSchema creates an empty schema, dropped with everything in it when tb
// ends, and returns the test database URL with that schema as search_path. It
// skips tb when LEADS_TEST_DATABASE_URL is unset.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LEADS_TEST_DATABASE_URL")
	if base == "" {
		tb.Skip("LEADS_TEST_DATABASE_URL is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("LEADS_TEST_DATABASE_URL: %v", err)
	}
	schema := "leads_test_" + strings.ToLower(rand.Text())
	admin := func(sql string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
	admin(`CREATE SCHEMA ` + schema)
	tb.Cleanup(func() { admin(`DROP SCHEMA ` + schema + ` CASCADE`) })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openFresh opens a store on a fresh schema, closed when tb ends.
func openFresh(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), freshSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

// openMigrated opens a migrated store on a fresh schema.
func openMigrated(tb testing.TB) *Store {
	tb.Helper()
	s := openFresh(tb)
	if err := s.MigrateUp(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leads.Store { return openMigrated(t) })
}

// seed bulk-inserts n users and their leads in three statements: 20 centres,
// statuses in turn, every tenth lead without a centre, one lead every 30 s.
// The leads go through the counter triggers like any other insert.
func seed(tb testing.TB, st leads.Store, n int) {
	s := st.(*Store)
	ctx := context.Background()
	now := leads.Timestamp(time.Now())
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO centers (id, name)
		SELECT 'seed-centre-' || i, 'Seed Centre ' || i FROM generate_series(0, 19) AS i`, nil},
		{`INSERT INTO users (id, full_name, email, created_at, updated_at)
		SELECT 'seed-user-' || i, 'Seed User ' || i, 'seed' || i || '@example.com', $2, $2
		FROM generate_series(0, $1::integer - 1) AS i`, []any{n, now}},
		{`INSERT INTO leads (id, user_id, full_name, email, center_id, center_name, onboarding_step,
			last_saved_at, status, created_at, updated_at)
		SELECT lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'),
			'seed-user-' || i, 'Seed User ' || i, 'seed' || i || '@example.com',
			CASE WHEN i % 10 = 9 THEN NULL ELSE 'seed-centre-' || (i % 20) END, 'Seed Centre ' || (i % 20),
			1 + i % 3, ts,
			CASE i % 5 WHEN 2 THEN 'CONTACTED' WHEN 3 THEN 'LOST' WHEN 4 THEN 'CONVERTED' ELSE 'PENDING' END,
			ts, ts
		FROM generate_series(0, $1::integer - 1) AS i,
			LATERAL (SELECT timestamptz '2026-01-01 00:00:00Z' + i * interval '30 seconds' AS ts) AS t`, []any{n}},
		// One transaction updated each counter row thousands of times, so no
		// old row version could be pruned on the way; saved one by one, as in
		// service, pruning and autovacuum would have kept the table small.
		{`VACUUM FULL lead_counts`, nil},
		{`VACUUM ANALYZE`, nil},
	}
	for _, st := range steps {
		if _, err := s.pool.Exec(ctx, st.sql, st.args...); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) leads.Store { return openMigrated(tb) }, seed)
}

func TestMigrations(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	steps := []struct {
		name    string
		do      func() error
		wantErr bool
		status  string // word the status line must hold
		objects bool   // whether the schema's tables and functions exist afterwards
	}{
		{"fresh", func() error { return nil }, false, "pending", false},
		{"up", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"up again is a no-op", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"down", func() error { return s.MigrateDown(ctx) }, false, "pending", false},
		{"up after down", func() error { return s.MigrateUp(ctx) }, false, "applied", true},
		{"a newer schema is refused", func() error {
			if _, err := s.pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
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
		if st.wantErr && !strings.Contains(err.Error(), "newer") {
			t.Errorf("%s: error %q does not say the schema is newer", st.name, err)
		}
		status, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("%s: status: %v", st.name, err)
		}
		if !strings.Contains(status, "00001") || !strings.Contains(status, "00001_init.sql") || !strings.Contains(status, st.status) {
			t.Errorf("%s: status %q, want version, name and %q", st.name, status, st.status)
		}
		if st.status == "applied" && !strings.Contains(status, time.Now().UTC().Format("2006-01-02")) {
			t.Errorf("%s: status %q does not say when it was applied", st.name, status)
		}
		var tables, functions int
		err = s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'),
			(SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace)`).Scan(&tables, &functions)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if want := map[bool][2]int{true: {7, 3}, false: {0, 0}}[st.objects]; tables != want[0] || functions != want[1] {
			t.Errorf("%s: %d tables and %d functions, want %v", st.name, tables, functions, want)
		}
	}
}

// TestCountsUnderConcurrentMoves moves leads between statuses and centres from
// many connections at once: no statement may fail (the counter rows are locked
// in key order), and afterwards the sharded counts agree with the leads.
func TestCountsUnderConcurrentMoves(t *testing.T) {
	s := openMigrated(t)
	ctx := t.Context()
	centres := []string{"c0", "c1", "c2"}
	for _, c := range centres {
		if _, err := s.PutCenter(ctx, leads.Center{ID: c, Name: "Centre " + c}); err != nil {
			t.Fatal(err)
		}
	}
	const users, workers, moves = 6, 8, 40
	ids := make([]string, users)
	for i := range users {
		uid := fmt.Sprintf("u%d", i)
		if _, err := s.PutUser(ctx, leads.User{ID: uid, FullName: uid, Email: uid + "@example.com"}, leads.Timestamp(time.Now())); err != nil {
			t.Fatal(err)
		}
		l, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: uid}, leads.SaveInput{}, leads.Timestamp(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = l.ID
	}
	statuses := []leads.Status{leads.StatusContacted, leads.StatusLost, leads.StatusPending}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for m := range moves {
				i := (w*7 + m) % users
				var err error
				if m%2 == 0 {
					c := centres[(w+m)%len(centres)]
					_, _, err = leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: fmt.Sprintf("u%d", i)}, leads.SaveInput{CenterID: &c}, leads.Timestamp(time.Now()))
				} else {
					_, err = leads.UpdateStatus(ctx, s, ids[i], leads.StatusChange{Status: statuses[(w+m)%len(statuses)]}, leads.Timestamp(time.Now()))
				}
				if err != nil {
					t.Errorf("worker %d move %d: %v", w, m, err)
					return
				}
			}
		})
	}
	wg.Wait()

	rows, err := s.pool.Query(ctx, `
		SELECT COALESCE(c.status, l.status), COALESCE(c.center_id, l.center_id), COALESCE(c.n, 0), COALESCE(l.n, 0)
		FROM (SELECT status, center_id, SUM(n)::bigint AS n FROM lead_counts GROUP BY 1, 2) AS c
		FULL JOIN (SELECT status, COALESCE(center_id, '') AS center_id, count(*) AS n FROM leads GROUP BY 1, 2) AS l
			ON l.status = c.status AND l.center_id = c.center_id`)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for rows.Next() {
		var status, centre string
		var counted, actual int64
		if err := rows.Scan(&status, &centre, &counted, &actual); err != nil {
			t.Fatal(err)
		}
		if counted != actual {
			t.Errorf("status %s centre %q: lead_counts says %d, leads has %d", status, centre, counted, actual)
		}
		total += actual
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if total != users {
		t.Errorf("%d leads in total, want %d", total, users)
	}
}
