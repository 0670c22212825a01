package postgres

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/storetest"
	"github.com/leads/leads/internal/testdb"
)

// openFresh opens a store on a fresh schema, closed when tb ends.
func openFresh(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), testdb.PostgresURL(tb))
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

// openPooledMigrated opens a migrated store on a fresh database behind a
// PgBouncer of its own (OpenPooled).
func openPooledMigrated(tb testing.TB) *Store {
	tb.Helper()
	pooled, direct := testdb.PgBouncer(tb)
	s, err := OpenPooled(context.Background(), pooled, direct)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.MigrateUp(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leads.Store { return openMigrated(t) }, reopen)
}

// TestStoreThroughPgBouncer holds the store to the conformance suite through
// PgBouncer in transaction mode: each statement may meet another server
// connection, so nothing may rely on a session.
func TestStoreThroughPgBouncer(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leads.Store { return openPooledMigrated(t) }, reopen)
}

// TestOpenPooledRefusesAnotherDatabase: the direct URL must reach the
// database and schema the pooled one does, or migrations would build a
// schema the service never reads.
func TestOpenPooledRefusesAnotherDatabase(t *testing.T) {
	pooled, direct := testdb.PgBouncer(t)
	for _, c := range []struct {
		name, direct string
		ok           bool
	}{
		{"the same database", direct, true},
		{"another database", testdb.PostgresURL(t), false},
		{"a direct URL that does not answer", "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenPooled(t.Context(), pooled, c.direct)
			if err == nil {
				s.Close()
			}
			if (err == nil) != c.ok {
				t.Errorf("OpenPooled: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// reopen closes the store's pools and opens new ones on the same database.
func reopen(t *testing.T, st leads.Store) leads.Store {
	s := st.(*Store)
	url, direct, pooled := s.pool.Config().ConnString(), s.direct.Config().ConnString(), s.pollOnly
	s.Close()
	open := func() (*Store, error) { return Open(t.Context(), url) }
	if pooled {
		open = func() (*Store, error) { return OpenPooled(t.Context(), url, direct) }
	}
	again, err := open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	return again
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

// leadsByWeek counts the leads as lead_weeks does (migration 00008 writes
// its first rows with the same statement).
const leadsByWeek = `SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date, COALESCE(center_id, ''), COALESCE(course_id, ''),
	status, step_reached, count(*), count(contacted_at)
	FROM leads GROUP BY 1, 2, 3, 4, 5`

// seedPeople bulk-inserts n users and leads that look like people (see
// storetest.BenchMillion) in a few statements, with a catalogue of 20 centres
// and 50 courses and a roster of 10 staff: statuses in turn, every tenth lead
// without a centre, one in eleven unassigned, created over the two years
// before 2026-12-01.
func seedPeople(tb testing.TB, st leads.Store, n int) {
	s := st.(*Store)
	ctx := context.Background()
	steps := []string{
		`INSERT INTO centers (id, name) SELECT 'seed-centre-' || i, 'Seed Centre ' || i FROM generate_series(0, 19) AS i`,
		`INSERT INTO courses (id, name, center_id) SELECT 'seed-course-' || i, 'Seed Course ' || i, 'seed-centre-' || (i % 20)
			FROM generate_series(0, 49) AS i`,
		`INSERT INTO staff (id, full_name, email, active, created_at, updated_at)
			SELECT 'seed-staff-' || i, 'Staff ' || i, 'staff' || i || '@example.com', true, now(), now() FROM generate_series(0, 9) AS i`,
		`INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
		SELECT 'person-' || i, p.name, 'person' || i || '@example.com', '080' || lpad(i::text, 8, '0'), now(), now()
		FROM generate_series(0, $1::integer - 1) AS i,
		LATERAL (SELECT (ARRAY['Mercy','Tunde','Amina','Chinedu','Ngozi','Ibrahim','Funke','Emeka','Zainab','Segun'])[1 + i % 10]
			|| ' ' || (ARRAY['Okafor','Bakare','Yusuf','Isaiah','Adeyemi','Bello','Eze','Lawal','Nwosu','Ogunleye'])[1 + (i / 10) % 10]
			|| ' ' || i AS name) AS p`,
		`INSERT INTO leads (id, user_id, full_name, email, phone, center_id, center_name, course_id, course_name,
			onboarding_step, step_reached, last_saved_at, status, source, contacted_at, contacted_by, converted_at,
			assigned_to, assigned_at, assigned_how, created_at, updated_at)
		SELECT lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'),
			u.id, u.full_name, u.email, u.phone,
			CASE WHEN i % 10 = 9 THEN NULL ELSE 'seed-centre-' || (i % 20) END, 'Seed Centre ' || (i % 20),
			CASE WHEN i % 10 = 9 THEN NULL ELSE 'seed-course-' || (i % 50) END, 'Seed Course ' || (i % 50),
			1 + i % 3, greatest(1 + i % 3, 1 + (i / 3) % 3), t.created + (i % 86400) * interval '1 second',
			st.status, 'onboarding_save_and_exit',
			CASE WHEN st.status IN ('CONTACTED', 'CONVERTED') THEN t.created + (i % 7200) * interval '1 second' END,
			CASE WHEN st.status IN ('CONTACTED', 'CONVERTED') THEN 'seed-staff-' || (i % 10) END,
			CASE WHEN st.status = 'CONVERTED' THEN t.created + interval '3 days' END,
			CASE WHEN i % 11 = 10 THEN NULL ELSE 'seed-staff-' || (i % 11) END,
			CASE WHEN i % 11 = 10 THEN NULL ELSE t.created END,
			CASE WHEN i % 11 = 10 THEN NULL ELSE 'auto' END,
			t.created, t.created
		FROM generate_series(0, $1::integer - 1) AS i
		JOIN users u ON u.id = 'person-' || i,
		LATERAL (SELECT timestamptz '2024-12-01 00:00:00Z' + (i::float8 / $1) * interval '730 days' AS created) AS t,
		LATERAL (SELECT CASE i % 5 WHEN 2 THEN 'CONTACTED' WHEN 3 THEN 'LOST' WHEN 4 THEN 'CONVERTED' ELSE 'PENDING' END AS status) AS st`,
		`ALTER TABLE leads ENABLE TRIGGER leads_count_insert; ALTER TABLE leads ENABLE TRIGGER leads_weeks_insert`,
		`INSERT INTO lead_counts (status, center_id, shard, n)
		SELECT status, COALESCE(center_id, ''), 0, count(*) FROM leads GROUP BY 1, 2;
		INSERT INTO lead_weeks (week, center_id, course_id, status, step_reached, n, contacted) ` + leadsByWeek,
		`VACUUM ANALYZE`,
	}
	// The leads' secondary indexes (trigram, partial) are dropped for the bulk
	// insert and built again after it: one build is minutes faster than a
	// million index updates, and the result is the same index.
	rows, err := s.pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'leads'
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'leads'::regclass)`)
	if err != nil {
		tb.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			tb.Fatal(err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	var drops []string
	for _, name := range names {
		drops = append(drops, "DROP INDEX "+pgx.Identifier{name}.Sanitize())
	}
	// The count triggers are off for the insert too: a million upserts of
	// the same few lead_counts (and lead_weeks) rows in one transaction leave
	// version chains that every later upsert walks. The counts are written
	// once after it, as migration 00008 writes lead_weeks.
	drops = append(drops, `ALTER TABLE leads DISABLE TRIGGER leads_count_insert`, `ALTER TABLE leads DISABLE TRIGGER leads_weeks_insert`)
	insert := len(steps) - 4 // the leads' insert, before the trigger, the counts and VACUUM
	steps = slices.Concat(steps[:insert], drops, steps[insert:insert+1], defs, steps[insert+1:])
	for _, q := range steps {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{n}
		}
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkMillion(b *testing.B) {
	storetest.BenchMillion(b, func(tb testing.TB) leads.Store { return openMigrated(tb) }, seedPeople)
}

// BenchmarkMillionThroughPgBouncer is BenchmarkMillion behind PgBouncer in
// transaction mode (OpenPooled: statements unnamed, planned each time).
func BenchmarkMillionThroughPgBouncer(b *testing.B) {
	storetest.BenchMillion(b, func(tb testing.TB) leads.Store { return openPooledMigrated(tb) }, seedPeople)
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) leads.Store { return openMigrated(tb) }, seed)
}

func TestMigrations(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	storetest.RunMigrations(t, s, func() int {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version') +
			(SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace)`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}, func() error {
		_, err := s.pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`)
		return err
	})
}

// TestCountsUnderConcurrentMoves moves leads between statuses and centres from
// many connections at once: no statement may fail (the counter rows are locked
// in key order), and afterwards the sharded counts (lead_counts, lead_weeks)
// agree with the leads.
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
					_, err = leads.UpdateStatus(ctx, s, ids[i], leads.StatusChange{Status: statuses[(w+m)%len(statuses)]}, "staff-1", leads.Timestamp(time.Now()))
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

	// lead_weeks likewise, after the same moves (the leads began without a
	// centre, on random shards) and two data fixes made in SQL, outside the
	// service: a first contact that moves no other key, and a centre taken
	// away with the contact.
	for _, q := range []string{
		`UPDATE leads SET contacted_at = now() WHERE id = $1 AND contacted_at IS NULL`,
		`UPDATE leads SET center_id = NULL, contacted_at = NULL WHERE id = $1`,
	} {
		if _, err := s.pool.Exec(ctx, q, ids[len(ids)-1]); err != nil {
			t.Fatal(err)
		}
	}
	var differ int
	err = s.pool.QueryRow(ctx, `
		WITH counted AS (
			SELECT week, center_id, course_id, status, step_reached, sum(n) AS n, sum(contacted) AS contacted
			FROM lead_weeks GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(contacted) <> 0),
		actual AS (`+leadsByWeek+`)
		SELECT count(*) FROM ((TABLE counted EXCEPT TABLE actual) UNION ALL (TABLE actual EXCEPT TABLE counted)) AS d`).Scan(&differ)
	if err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Errorf("lead_weeks differs from the leads counted by week in %d rows", differ)
	}
}

func TestPoolSize(t *testing.T) {
	cases := []struct {
		cores, available int
		want             int32
	}{
		{1, 0, 16},
		{2, 97, 16}, // PostgreSQL's default max_connections 100, 3 reserved
		{4, 497, 32},
		{16, 0, 64},
		{16, 997, 64},
		{8, 40, 10}, // a small server: a quarter of it
		{2, 5, 2},   // never fewer than two
	}
	for _, c := range cases {
		if got := PoolSize(c.cores, c.available); got != c.want {
			t.Errorf("PoolSize(%d cores, %d available) = %d, want %d", c.cores, c.available, got, c.want)
		}
	}
}

// TestOpenSizesPool opens a store without pool_max_conns and with it.
func TestOpenSizesPool(t *testing.T) {
	s := openFresh(t)
	var available int
	if err := s.pool.QueryRow(t.Context(), `SELECT current_setting('max_connections')::int
		- current_setting('superuser_reserved_connections')::int`).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if got, want := s.pool.Config().MaxConns, PoolSize(runtime.GOMAXPROCS(0), available); got != want {
		t.Errorf("pool of %d connections, want %d", got, want)
	}
	url := s.pool.Config().ConnString()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	named, err := Open(t.Context(), url+sep+"pool_max_conns=3")
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	if got := named.pool.Config().MaxConns; got != 3 {
		t.Errorf("pool_max_conns=3 gave a pool of %d", got)
	}
}
