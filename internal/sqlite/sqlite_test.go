package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/storetest"
	"github.com/leads/leads/internal/testdb"
)

// openMigrated opens a migrated store on a fresh file, closed when tb ends.
func openMigrated(tb testing.TB, synchronous string) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := open(ctx, testdb.SQLiteFile(tb), synchronous)
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
	storetest.Run(t, func(t *testing.T) leads.Store { return openMigrated(t, "FULL") }, reopen)
}

// TestStoreSortingEverySearch: the conformance suite's list cases with
// every search's page read by sorting its matches. TestStore's searches
// mostly walk the sort's index instead (a few dozen leads make most
// searches broad), so both ways are held to the suite. (Only the list
// reads searches; the other cases would run as in TestStore.)
func TestStoreSortingEverySearch(t *testing.T) {
	storetest.RunLists(t, func(t *testing.T) leads.Store {
		s := openMigrated(t, "FULL")
		s.broadSearch = 0
		return s
	})
}

// TestStoreWalkingMatches: the conformance suite's list cases with every
// broad search's walk testing the trigram index's matches, where
// TestStore's mostly test each lead's text (walkRows), so that way is held
// to the suite too.
func TestStoreWalkingMatches(t *testing.T) {
	storetest.RunLists(t, func(t *testing.T) leads.Store {
		s := openMigrated(t, "FULL")
		s.rowWalk = 0
		return s
	})
}

// TestSearchWays: the three ways of reading a search's page (sortMatches,
// walkMatches, walkRows) give the same leads in the same order and the same
// total, for texts where LIKE and the trigram index could part: letters
// outside ASCII, ones whose case folds to an ASCII letter (the Kelvin sign,
// the long s), a NUL, LIKE's wildcards and quotes in the leads and in q;
// page by page, from a cursor, and deeper than a thousand leads (where the
// page is read by a deferred join).
func TestSearchWays(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, "FULL")
	ctx := t.Context()
	const n = 1_100
	seed(t, s, n)
	names := []string{"Okafor Ada", "O\u212Aafor Kelvin", "ÖKAFOR Ölü", "okaFOR%_x", "Oſa Long", "Ọlá \"Q\" Adé",
		"osa plain", "Ada OKAFOR", "İbrahim Okafor", "Okafor\x00Nul", "Nul\x00Okafor"}
	for i := range 110 {
		if _, err := s.writer.ExecContext(ctx, `UPDATE leads SET full_name = ?1 WHERE rowid = ?2`, names[i%len(names)], 1+i*10); err != nil {
			t.Fatal(err)
		}
	}
	ways := []struct {
		way             searchWay
		broad, rowsUpTo int64
	}{{sortMatches, 0, rowWalk}, {walkMatches, broadSearch, 0}, {walkRows, broadSearch, rowWalk}}
	list := func(f leads.ListFilter) leads.LeadPage {
		t.Helper()
		p, err := s.ListLeads(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ids := func(p leads.LeadPage) (ids []string) {
		for _, l := range p.Leads {
			ids = append(ids, l.ID)
		}
		return ids
	}
	taken := map[searchWay]bool{}
	defer func() {
		if len(taken) != len(ways) {
			t.Errorf("the searches were read by the ways %v only", taken)
		}
	}()
	for _, q := range []string{"okafor", "kafor", "KAF", "r%_", "osa", "oſa", "\"q\"", "ada", "ölü", "Adé", "brahim", "nul", "@example", "nobody"} {
		for _, sort := range []leads.Sort{"", leads.SortOldest, leads.SortLastSavedDesc} {
			var want []string
			for i, w := range ways {
				s.broadSearch, s.rowWalk = w.broad, w.rowsUpTo
				f := leads.ListFilter{Q: q, Sort: sort, Limit: 100}
				var got []string
				total := 0
				for f.Page = 1; ; f.Page++ {
					p := list(f)
					if f.Page == 1 {
						total = p.Total
						// The way the store took: w.way for a broad search,
						// but a walk by text needs an ASCII q.
						expect := w.way
						switch {
						case int64(total)*broadSearch < n:
							expect = sortMatches
						case w.way == walkRows && !isASCII(q):
							expect = walkMatches
						}
						if took := s.searchWay(f, int64(total), n); took != expect {
							t.Errorf("q=%q: the store read it by way %d, want %d", q, took, expect)
						}
						taken[expect] = true
					}
					got = append(got, ids(p)...)
					if len(p.Leads) < f.Limit {
						break
					}
				}
				if len(got) != total {
					t.Errorf("q=%q sort=%q, way %d: %d leads in the pages, total %d", q, sort, w.way, len(got), total)
				}
				if i == 0 {
					want = got
					continue
				}
				if !slices.Equal(got, want) {
					t.Errorf("q=%q sort=%q, way %d: %d leads %v; sortMatches: %d, %v", q, sort, w.way, len(got), got, len(want), want)
				}
				// From a cursor in the middle: the leads after it.
				if len(want) > 2 {
					mid := len(want) / 2
					after := leads.ListFilter{Q: q, Sort: sort, Limit: 100, After: want[mid]}
					next := want[mid+1 : min(len(want), mid+101)]
					if got := ids(list(after)); !slices.Equal(got, next) {
						t.Errorf("q=%q sort=%q, way %d, after %s: %v, want %v", q, sort, w.way, want[mid], got, next)
					}
				}
			}
			if q == "okafor" && sort == "" && len(want) != 70 {
				t.Errorf("q=okafor: %d leads, want 70 (the Kelvin sign folds to k; NUL is a character)", len(want))
			}
			if q == "@example" && len(want) != n {
				t.Errorf("q=@example: %d leads, want all %d (11 pages, the last ones by a deferred join)", len(want), n)
			}
		}
	}
}

// reopen closes the store and opens its file again.
func reopen(t *testing.T, st leads.Store) leads.Store {
	s := st.(*Store)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), s.file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	return again
}

// seed bulk-inserts n users and their leads in three statements: 20 centres,
// statuses in turn, every tenth lead without a centre, one lead every 30 s.
func seed(tb testing.TB, st leads.Store, n int) {
	s := st.(*Store)
	ctx := context.Background()
	now := timeText(leads.Timestamp(time.Now()))
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
			step_reached, last_saved_at, status, source, created_at, updated_at)
		SELECT printf('%08x-0000-7000-8000-%012x', i, i), 'seed-user-' || i, 'Seed User ' || i,
			'seed' || i || '@example.com', centre, 'Seed Centre ' || (i % 20), 1 + i % 3, 1 + i % 3, ts,
			CASE i % 5 WHEN 2 THEN 'CONTACTED' WHEN 3 THEN 'LOST' WHEN 4 THEN 'CONVERTED' ELSE 'PENDING' END,
			'onboarding_save_and_exit', ts, ts
		FROM rows`,
	} {
		if _, err := s.writer.ExecContext(ctx, q, n, now); err != nil {
			tb.Fatal(err)
		}
	}
}

// seedPeople bulk-inserts n users and leads that look like people (see
// storetest.BenchMillion) in a few statements, as the PostgreSQL engine's
// seedPeople does: the same rows, in SQLite's dialect.
func seedPeople(tb testing.TB, st leads.Store, n int) {
	s := st.(*Store)
	ctx := context.Background()
	const first = `'["Mercy","Tunde","Amina","Chinedu","Ngozi","Ibrahim","Funke","Emeka","Zainab","Segun"]'`
	const last = `'["Okafor","Bakare","Yusuf","Isaiah","Adeyemi","Bello","Eze","Lawal","Nwosu","Ogunleye"]'`
	now := timeText(time.Now())
	for _, q := range []string{
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < 19)
		INSERT INTO centers (id, name) SELECT 'seed-centre-' || i, 'Seed Centre ' || i FROM seq WHERE ?1 > 0`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < 49)
		INSERT INTO courses (id, name, center_id) SELECT 'seed-course-' || i, 'Seed Course ' || i, 'seed-centre-' || (i % 20) FROM seq WHERE ?1 > 0`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < 9)
		INSERT INTO staff (id, full_name, email, active, created_at, updated_at)
		SELECT 'seed-staff-' || i, 'Staff ' || i, 'staff' || i || '@example.com', 1, ?2, ?2 FROM seq WHERE ?1 > 0`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1)
		INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
		SELECT 'person-' || i, json_extract(` + first + `, '$[' || (i % 10) || ']') || ' ' ||
			json_extract(` + last + `, '$[' || ((i / 10) % 10) || ']') || ' ' || i,
			'person' || i || '@example.com', '080' || printf('%08d', i), ?2, ?2 FROM seq`,
		`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1),
		rows(i, created, status) AS (
			SELECT i, 1733011200 + CAST(i * 63072000.0 / ?1 AS INTEGER),
				CASE i % 5 WHEN 2 THEN 'CONTACTED' WHEN 3 THEN 'LOST' WHEN 4 THEN 'CONVERTED' ELSE 'PENDING' END
			FROM seq)
		INSERT INTO leads (id, user_id, full_name, email, phone, center_id, center_name, course_id, course_name,
			onboarding_step, step_reached, last_saved_at, status, source, contacted_at, contacted_by, converted_at,
			assigned_to, assigned_at, assigned_how, created_at, updated_at)
		SELECT printf('%08x-0000-7000-8000-%012x', r.i, r.i), u.id, u.full_name, u.email, u.phone,
			CASE WHEN r.i % 10 = 9 THEN NULL ELSE 'seed-centre-' || (r.i % 20) END, 'Seed Centre ' || (r.i % 20),
			CASE WHEN r.i % 10 = 9 THEN NULL ELSE 'seed-course-' || (r.i % 50) END, 'Seed Course ' || (r.i % 50),
			1 + r.i % 3, max(1 + r.i % 3, 1 + (r.i / 3) % 3),
			strftime('%Y-%m-%dT%H:%M:%S', r.created + r.i % 86400, 'unixepoch') || '.000000Z',
			r.status, 'onboarding_save_and_exit',
			CASE WHEN r.status IN ('CONTACTED', 'CONVERTED') THEN strftime('%Y-%m-%dT%H:%M:%S', r.created + r.i % 7200, 'unixepoch') || '.000000Z' END,
			CASE WHEN r.status IN ('CONTACTED', 'CONVERTED') THEN 'seed-staff-' || (r.i % 10) END,
			CASE WHEN r.status = 'CONVERTED' THEN strftime('%Y-%m-%dT%H:%M:%S', r.created + 259200, 'unixepoch') || '.000000Z' END,
			CASE WHEN r.i % 11 = 10 THEN NULL ELSE 'seed-staff-' || (r.i % 11) END,
			CASE WHEN r.i % 11 = 10 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', r.created, 'unixepoch') || '.000000Z' END,
			CASE WHEN r.i % 11 = 10 THEN NULL ELSE 'auto' END,
			strftime('%Y-%m-%dT%H:%M:%S', r.created, 'unixepoch') || '.000000Z',
			strftime('%Y-%m-%dT%H:%M:%S', r.created, 'unixepoch') || '.000000Z'
		FROM rows r JOIN users u ON u.id = 'person-' || r.i`,
		`ANALYZE`,
	} {
		if _, err := s.writer.ExecContext(ctx, q, n, now); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkMillion(b *testing.B) {
	storetest.BenchMillion(b, func(tb testing.TB) leads.Store { return openMigrated(tb, "FULL") }, seedPeople)
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
			if _, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "U", Email: "u@example.com"}, leads.Timestamp(time.Now())); err != nil {
				b.Fatal(err)
			}
			step := 2
			for i := 0; b.Loop(); i++ {
				if _, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "u1"}, leads.SaveInput{Step: &step}, leads.Timestamp(time.Now())); err != nil {
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
	if _, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "Mercy", Email: "mercy@example.com"}, leads.Timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	addr := "12 Main St"
	saved, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "u1"}, leads.SaveInput{StudentAddress: &addr}, leads.Timestamp(time.Now()))
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
	s, err := Open(ctx, testdb.SQLiteFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.RunMigrations(t, s, func() int {
		var n int
		err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema
			WHERE name NOT LIKE 'sqlite%' AND name NOT LIKE 'goose%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}, func() error {
		_, err := s.writer.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`)
		return err
	})
}

func ptr[T any](v T) *T { return &v }

// putUsers creates a user record for each id.
func putUsers(tb testing.TB, s *Store, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		if _, err := s.PutUser(context.Background(), leads.User{ID: id, FullName: "User " + id, Email: id + "@example.com"}, leads.Timestamp(time.Now())); err != nil {
			tb.Fatal(err)
		}
	}
}

// saveCase is one save and the answer it must get. A step outside 1..3 passes
// the store's Go code but breaks the table's CHECK constraint: an SQL error.
type saveCase struct {
	name      string
	user      string
	step      int
	cancelled bool                                        // the caller's context is cancelled before the save
	other     func(ctx context.Context, tx *sql.Tx) error // when set, the write instead of a save
	wantErr   error                                       // nil, or the error the save must match with errors.Is
	wantCode  int                                         // when not 0, the SQLite result code the save must fail with
}

// inTx is the store with its Update running in a transaction already open, so
// a test can put the domain's writes into a batch it runs by hand.
type inTx struct {
	*Store
	tx *sql.Tx
}

func (s inTx) Update(ctx context.Context, fn func(context.Context, leads.Tx) error) error {
	return fn(ctx, &tx{tx: s.tx, s: s.Store})
}

func (s inTx) Resave(ctx context.Context, c leads.Claims, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	return resaveIn(ctx, s.tx, c, in, now)
}

// errCode returns SQLite's extended result code of err, or 0.
func errCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// checkAnswer reports whether a save got the answer c wants.
func (c saveCase) checkAnswer(t *testing.T, err error) {
	t.Helper()
	switch {
	case c.wantCode != 0:
		if errCode(err) != c.wantCode {
			t.Errorf("%s: err = %v (code %d), want SQLite code %d", c.name, err, errCode(err), c.wantCode)
		}
	case !errors.Is(err, c.wantErr):
		t.Errorf("%s: err = %v, want %v", c.name, err, c.wantErr)
	}
}

// checkStored checks that each user's stored lead is the one its last
// successful save returned, and that users with none have no lead.
func checkStored(t *testing.T, s leads.Store, users []string, saved map[string]leads.Lead) {
	t.Helper()
	for _, u := range users {
		got, err := s.LeadByUser(t.Context(), u)
		want, ok := saved[u]
		switch {
		case !ok && !errors.Is(err, leads.ErrLeadNotFound):
			t.Errorf("%s: LeadByUser = %+v, %v; want no lead", u, got, err)
		case ok && (err != nil || got.ID != want.ID || got.OnboardingStep != want.OnboardingStep || !got.UpdatedAt.Equal(want.UpdatedAt)):
			t.Errorf("%s: LeadByUser = %+v, %v; want %+v", u, got, err, want)
		}
	}
}

// TestBatchIsolation runs one batch by hand (no write goes through the batcher
// meanwhile, so it is idle): every write gets its own answer, and a failing or
// cancelled write is undone alone, not its neighbours.
func TestBatchIsolation(t *testing.T) {
	s := openMigrated(t, "FULL")
	putUsers(t, s, "u1", "u2", "bad", "late")
	// Its first statement succeeds, its second fails: the write must be undone whole.
	halfDone := func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO locations (id, name) VALUES ('half', 'Half')`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO centers (id, name, location_id) VALUES ('c1', 'C', 'nowhere')`)
		return err
	}
	cases := []saveCase{
		{name: "create", user: "u1", step: 1},
		{name: "update in the same batch", user: "u1", step: 2},
		{name: "user without a record", user: "ghost", step: 1, wantErr: leads.ErrUserNotFound},
		{name: "constraint error", user: "bad", step: 9, wantCode: sqlite3.SQLITE_CONSTRAINT_CHECK},
		{name: "cancelled before its turn", user: "u2", step: 1, cancelled: true, wantErr: context.Canceled},
		{name: "write failing at its second statement", other: halfDone, wantCode: sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{name: "after the failures", user: "late", step: 3},
	}
	batch := make([]writeReq, len(cases))
	created := make([]bool, len(cases))
	got := make([]leads.Lead, len(cases))
	var users []string
	for i, c := range cases {
		ctx, cancel := context.WithCancel(t.Context())
		if c.cancelled {
			cancel()
		} else {
			defer cancel()
		}
		run := c.other
		if run == nil {
			run = func(ctx context.Context, t *sql.Tx) (err error) {
				got[i], created[i], err = leads.SaveFromOnboarding(ctx, inTx{s, t}, leads.Claims{UserID: c.user},
					leads.SaveInput{Step: ptr(c.step)}, leads.Timestamp(time.Now()))
				return err
			}
			users = append(users, c.user)
		}
		batch[i] = writeReq{ctx: ctx, run: run, reply: make(chan error, 1)}
	}
	s.commitBatch(batch)

	saved := map[string]leads.Lead{}
	for i, c := range cases {
		err := <-batch[i].reply
		c.checkAnswer(t, err)
		if err != nil || c.other != nil {
			continue
		}
		_, seen := saved[c.user]
		if created[i] == seen {
			t.Errorf("%s: created = %v, want %v", c.name, created[i], !seen)
		}
		if got[i].OnboardingStep != c.step {
			t.Errorf("%s: step %d, want %d", c.name, got[i].OnboardingStep, c.step)
		}
		saved[c.user] = got[i]
	}
	checkStored(t, s, users, saved)
	if locs, err := s.Locations(t.Context()); err != nil || len(locs) != 0 {
		t.Errorf("locations %+v, %v; want none: the failed write's first statement stays undone", locs, err)
	}
}

// TestSaveConcurrentMixed sends good and failing saves together, so they share
// batches: each gets its own answer and every good one is stored.
func TestSaveConcurrentMixed(t *testing.T) {
	s := openMigrated(t, "FULL")
	kinds := []saveCase{
		{name: "good", step: 2},
		{name: "ghost", step: 2, wantErr: leads.ErrUserNotFound},
		{name: "bad", step: 9, wantCode: sqlite3.SQLITE_CONSTRAINT_CHECK},
		{name: "cancel", step: 2, cancelled: true, wantErr: context.Canceled},
	}
	const n = 160
	cases := make([]saveCase, n)
	users := make([]string, n)
	for i := range cases {
		cases[i] = kinds[i%len(kinds)]
		cases[i].user = fmt.Sprintf("%s-%d", cases[i].name, i)
		users[i] = cases[i].user
		if cases[i].name != "ghost" {
			putUsers(t, s, cases[i].user)
		}
	}
	type answer struct {
		lead    leads.Lead
		created bool
		err     error
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if c.cancelled {
				cancel()
			}
			<-start
			l, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: c.user}, leads.SaveInput{Step: ptr(c.step)}, leads.Timestamp(time.Now()))
			answers[i] = answer{l, created, err}
		})
	}
	close(start)
	wg.Wait()

	saved := map[string]leads.Lead{}
	for i, c := range cases {
		a := answers[i]
		c.checkAnswer(t, a.err)
		if a.err == nil {
			if !a.created {
				t.Errorf("%s: created = false on a first save", c.user)
			}
			saved[c.user] = a.lead
		}
	}
	checkStored(t, s, users, saved)
	page, err := s.ListLeads(t.Context(), leads.ListFilter{Page: 1, Limit: 1})
	if err != nil || page.Total != len(saved) {
		t.Errorf("total %d, err %v; want %d", page.Total, err, len(saved))
	}
}

// TestSaveCancelled: a save whose context is cancelled before it runs returns
// the context's error and changes nothing. Repeated, since the caller's select
// picks at random between handing it over and noticing the cancellation.
func TestSaveCancelled(t *testing.T) {
	s := openMigrated(t, "FULL")
	putUsers(t, s, "u1")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 50 {
		if _, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "u1"}, leads.SaveInput{Step: ptr(2)}, leads.Timestamp(time.Now())); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	if l, err := s.LeadByUser(t.Context(), "u1"); !errors.Is(err, leads.ErrLeadNotFound) {
		t.Errorf("LeadByUser = %+v, %v; want no lead", l, err)
	}
}

// TestCloseWithSavesInFlight closes the store under a stream of saves: every
// save acknowledged before Close is on disk after re-opening, and every save
// after it fails.
func TestCloseWithSavesInFlight(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "leads.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	const workers, enough = 32, 300
	users := make([]string, workers)
	for w := range users {
		users[w] = fmt.Sprintf("w%d", w)
	}
	putUsers(t, s, users...)

	acked := make([]leads.Lead, workers) // each worker's last acknowledged save
	ends := make([]error, workers)       // the error that stopped each worker
	var total atomic.Int64
	reached := make(chan struct{})
	finished := make(chan struct{})
	var wg sync.WaitGroup
	base := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				now := leads.Timestamp(base.Add(time.Duration(i) * time.Millisecond))
				l, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: users[w]}, leads.SaveInput{Step: ptr(1 + i%3)}, now)
				if err != nil {
					ends[w] = err
					return
				}
				acked[w] = l
				if total.Add(1) == enough {
					close(reached)
				}
			}
		})
	}
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-reached:
	case <-finished:
		t.Fatalf("workers stopped before %d saves: %v", enough, errors.Join(ends...))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	<-finished
	for w, err := range ends {
		if !errors.Is(err, errClosed) {
			t.Errorf("worker %d stopped with %v, want errClosed", w, err)
		}
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	saved := map[string]leads.Lead{}
	for w, l := range acked {
		if l.ID != "" {
			saved[users[w]] = l
		}
	}
	checkStored(t, s, users, saved)
}

// clients runs op from 32 concurrent clients, whatever -cpu says: the load
// that group commit serves. i counts the calls from 1. It reports the 99th
// percentile latency of a call.
func clients(b *testing.B, op func(i int64) error) {
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  []time.Duration
	)
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := op(next.Add(1)); err != nil {
				b.Error(err)
				break
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkSaveClients measures re-saves of existing leads from 32 clients.
func BenchmarkSaveClients(b *testing.B) {
	s := openMigrated(b, "FULL")
	const n = 1000
	seed(b, s, n)
	ctx := context.Background()
	in := leads.SaveInput{Step: ptr(2), StudentAddress: ptr("12 Main St")}
	clock := time.Now()
	clients(b, func(i int64) error {
		now := leads.Timestamp(clock.Add(time.Duration(i) * time.Microsecond))
		if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: fmt.Sprintf("seed-user-%d", i%n)}, in, now); err != nil || created {
			return fmt.Errorf("created=%v err=%v", created, err)
		}
		return nil
	})
}

// BenchmarkFirstSaveClients measures first saves from 32 clients, each
// provisioning its user from token claims in the same transaction, as the web
// layer does.
func BenchmarkFirstSaveClients(b *testing.B) {
	s := openMigrated(b, "FULL")
	ctx := context.Background()
	in := leads.SaveInput{Step: ptr(1), StudentAddress: ptr("12 Main St")}
	clients(b, func(i int64) error {
		id, name, email := fmt.Sprintf("new-user-%d", i), "New User", fmt.Sprintf("new%d@example.com", i)
		c := leads.Claims{UserID: id, Name: &name, Email: &email}
		if _, created, err := leads.SaveFromOnboarding(ctx, s, c, in, leads.Timestamp(time.Now())); err != nil || !created {
			return fmt.Errorf("created=%v err=%v", created, err)
		}
		return nil
	})
}

// BenchmarkStatusClients measures status changes from 32 clients.
func BenchmarkStatusClients(b *testing.B) {
	s := openMigrated(b, "FULL")
	const n = 1000
	seed(b, s, n)
	ctx := context.Background()
	statuses := []leads.Status{leads.StatusContacted, leads.StatusLost, leads.StatusPending}
	clients(b, func(i int64) error {
		j := i % n
		if j%5 == 4 {
			j-- // seed converts every fifth lead, and a converted lead's status is final
		}
		id := fmt.Sprintf("%08x-0000-7000-8000-%012x", j, j)
		_, err := leads.UpdateStatus(ctx, s, id, leads.StatusChange{Status: statuses[i%3], ContactedBy: "agent"}, "staff-1", leads.Timestamp(time.Now()))
		return err
	})
}

// mixedOp is one kind of write in TestWriteConcurrentMixed, done for a key k
// of its own: setup before the start signal, write together with every other
// kind, check on the stored state afterwards. Each returns what is wrong.
type mixedOp struct {
	name  string
	setup func(ctx context.Context, s *Store, k string) error
	write func(ctx context.Context, s *Store, k string) error
	check func(ctx context.Context, s *Store, k string) error
}

// withLead gives user k a record and a lead at step 1.
func withLead(ctx context.Context, s *Store, k string) error {
	if _, err := s.PutUser(ctx, leads.User{ID: k, FullName: "User " + k, Email: k + "@example.com"}, leads.Timestamp(time.Now())); err != nil {
		return err
	}
	_, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: k}, leads.SaveInput{Step: ptr(1)}, leads.Timestamp(time.Now()))
	return err
}

// want returns an error unless err matches target (nil for success).
func want(err, target error) error {
	if (target == nil && err != nil) || !errors.Is(err, target) {
		return fmt.Errorf("err = %v, want %v", err, target)
	}
	return nil
}

// wantField returns an error unless err is an Invalid error naming field.
func wantField(err error, field string) error {
	var e *leads.Error
	if !errors.As(err, &e) || e.Code != leads.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != field {
		return fmt.Errorf("err = %v, want invalid %s", err, field)
	}
	return nil
}

// wantLead returns an error unless l has the status and, for a converted
// lead, is converted to student ("" for any).
func wantLead(l leads.Lead, err error, status leads.Status, student string) error {
	switch {
	case err != nil:
		return err
	case l.Status != status:
		return fmt.Errorf("status %s, want %s", l.Status, status)
	case (status == leads.StatusConverted) != (l.ConvertedToStudentID != nil):
		return fmt.Errorf("converted to %v with status %s", l.ConvertedToStudentID, status)
	case student != "" && *l.ConvertedToStudentID != student:
		return fmt.Errorf("converted to %s, want %s", *l.ConvertedToStudentID, student)
	}
	return nil
}

// statusOf returns a mixedOp check that the user's lead has status.
func statusOf(status leads.Status, student func(k string) string) func(ctx context.Context, s *Store, k string) error {
	return func(ctx context.Context, s *Store, k string) error {
		l, err := s.LeadByUser(ctx, k)
		return wantLead(l, err, status, student(k))
	}
}

func anyStudent(string) string  { return "" }
func studentOf(k string) string { return "student-" + k }
func noLead(ctx context.Context, s *Store, k string) error {
	_, err := s.LeadByUser(ctx, k)
	return want(err, leads.ErrLeadNotFound)
}

// TestWriteConcurrentMixed sends every kind of write, good and failing, from
// many goroutines at once, so they share batches: each gets its own answer and
// leaves its own change, and a failing one undoes nothing of its neighbours.
func TestWriteConcurrentMixed(t *testing.T) {
	s := openMigrated(t, "FULL")
	now := func() time.Time { return leads.Timestamp(time.Now()) }
	leadID := func(ctx context.Context, s *Store, k string) string {
		l, _ := s.LeadByUser(ctx, k) // a missing lead fails the write under test
		return l.ID
	}
	withStudent := func(ctx context.Context, s *Store, k string) error {
		if err := withLead(ctx, s, k); err != nil {
			return err
		}
		_, err := s.PutStudent(ctx, leads.Student{ID: studentOf(k), UserID: &k}, leads.Timestamp(time.Now()))
		return err
	}
	none := func(context.Context, *Store, string) error { return nil }
	ops := []mixedOp{
		{"provision then first save", none, func(ctx context.Context, s *Store, k string) error {
			name, email := "Name "+k, k+"@example.com"
			if err := s.ProvisionUser(ctx, leads.Claims{UserID: k, Name: &name, Email: &email}, now()); err != nil {
				return err
			}
			l, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: k}, leads.SaveInput{Step: ptr(2)}, now())
			if err != nil || !created || l.FullName != name || l.OnboardingStep != 2 {
				return fmt.Errorf("save = %+v, %v, %v; want a new lead of %s at step 2", l, created, err, name)
			}
			return nil
		}, statusOf(leads.StatusPending, anyStudent)},
		{"re-save", withLead, func(ctx context.Context, s *Store, k string) error {
			l, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: k}, leads.SaveInput{Step: ptr(3)}, now())
			if err != nil || created || l.OnboardingStep != 3 {
				return fmt.Errorf("save = %+v, %v, %v; want the lead at step 3", l, created, err)
			}
			return nil
		}, func(ctx context.Context, s *Store, k string) error {
			if l, err := s.LeadByUser(ctx, k); err != nil || l.OnboardingStep != 3 {
				return fmt.Errorf("stored %+v, %v; want step 3", l, err)
			}
			return nil
		}},
		{"save without a user", none, func(ctx context.Context, s *Store, k string) error {
			_, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: k}, leads.SaveInput{}, now())
			return want(err, leads.ErrUserNotFound)
		}, noLead},
		{"status to contacted", withLead, func(ctx context.Context, s *Store, k string) error {
			l, err := leads.UpdateStatus(ctx, s, leadID(ctx, s, k), leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "agent-" + k}, "staff-1", now())
			if err == nil && (l.ContactedBy == nil || *l.ContactedBy != "agent-"+k) {
				return fmt.Errorf("contacted by %v, want agent-%s", l.ContactedBy, k)
			}
			return wantLead(l, err, leads.StatusContacted, "")
		}, statusOf(leads.StatusContacted, anyStudent)},
		{"status of a converted lead", func(ctx context.Context, s *Store, k string) error {
			if err := withStudent(ctx, s, k); err != nil {
				return err
			}
			_, err := leads.Convert(ctx, s, leadID(ctx, s, k), studentOf(k), "staff-1", now())
			return err
		}, func(ctx context.Context, s *Store, k string) error {
			_, err := leads.UpdateStatus(ctx, s, leadID(ctx, s, k), leads.StatusChange{Status: leads.StatusLost}, "staff-1", now())
			return want(err, leads.ErrLeadConverted)
		}, statusOf(leads.StatusConverted, studentOf)},
		{"status of a missing lead", none, func(ctx context.Context, s *Store, k string) error {
			_, err := leads.UpdateStatus(ctx, s, "missing-"+k, leads.StatusChange{Status: leads.StatusLost}, "staff-1", now())
			return want(err, leads.ErrLeadNotFound)
		}, noLead},
		{"convert", withStudent, func(ctx context.Context, s *Store, k string) error {
			l, err := leads.Convert(ctx, s, leadID(ctx, s, k), studentOf(k), "staff-1", now())
			return wantLead(l, err, leads.StatusConverted, studentOf(k))
		}, statusOf(leads.StatusConverted, studentOf)},
		{"convert to a missing student", withLead, func(ctx context.Context, s *Store, k string) error {
			_, err := leads.Convert(ctx, s, leadID(ctx, s, k), studentOf(k), "staff-1", now())
			return want(err, leads.ErrStudentNotFound)
		}, statusOf(leads.StatusPending, anyStudent)},
		{"complete onboarding", withLead, func(ctx context.Context, s *Store, k string) error {
			l, err := leads.CompleteOnboarding(ctx, s, k, now())
			return wantLead(l, err, leads.StatusConverted, "")
		}, statusOf(leads.StatusConverted, anyStudent)},
		{"delete", withLead, func(ctx context.Context, s *Store, k string) error {
			return want(leads.DeleteLead(ctx, s, leadID(ctx, s, k), leads.Timestamp(time.Now())), nil)
		}, noLead},
		{"delete a missing lead", none, func(ctx context.Context, s *Store, k string) error {
			return want(leads.DeleteLead(ctx, s, "missing-"+k, leads.Timestamp(time.Now())), leads.ErrLeadNotFound)
		}, noLead},
		{"put user again", withLead, func(ctx context.Context, s *Store, k string) error {
			created, err := s.PutUser(ctx, leads.User{ID: k, FullName: "Renamed " + k, Email: k + "@example.com"}, leads.Timestamp(time.Now()))
			if err != nil || created {
				return fmt.Errorf("created = %v, err = %v; want a replacement", created, err)
			}
			return nil
		}, func(ctx context.Context, s *Store, k string) error {
			var name string
			if err := s.read.QueryRowContext(ctx, `SELECT full_name FROM users WHERE id = ?`, k).Scan(&name); err != nil || name != "Renamed "+k {
				return fmt.Errorf("stored name %q, %v; want Renamed %s", name, err, k)
			}
			return nil
		}},
		{"put location, centre and course", none, func(ctx context.Context, s *Store, k string) error {
			for _, put := range []func() (bool, error){
				func() (bool, error) { return s.PutLocation(ctx, leads.Location{ID: "loc-" + k, Name: k}) },
				func() (bool, error) {
					return s.PutCenter(ctx, leads.Center{ID: "centre-" + k, Name: k, LocationID: ptr("loc-" + k)})
				},
				func() (bool, error) {
					return s.PutCourse(ctx, leads.Course{ID: "course-" + k, Name: k, CenterID: ptr("centre-" + k)})
				},
			} {
				if created, err := put(); err != nil || !created {
					return fmt.Errorf("created = %v, err = %v; want created", created, err)
				}
			}
			return nil
		}, func(ctx context.Context, s *Store, k string) error {
			if cs, err := s.Courses(ctx, "centre-"+k); err != nil || len(cs) != 1 || cs[0].ID != "course-"+k {
				return fmt.Errorf("courses %+v, %v; want course-%s", cs, err, k)
			}
			return nil
		}},
		{"centre in a missing location", none, func(ctx context.Context, s *Store, k string) error {
			_, err := s.PutCenter(ctx, leads.Center{ID: "bad-centre-" + k, Name: k, LocationID: ptr("nowhere")})
			return wantField(err, "locationId")
		}, func(ctx context.Context, s *Store, k string) error {
			if cs, err := s.Centers(ctx, "nowhere"); err != nil || len(cs) != 0 {
				return fmt.Errorf("centres %+v, %v; want none", cs, err)
			}
			return nil
		}},
		{"student of a missing user", none, func(ctx context.Context, s *Store, k string) error {
			_, err := s.PutStudent(ctx, leads.Student{ID: studentOf(k), UserID: &k}, leads.Timestamp(time.Now()))
			return wantField(err, "userId")
		}, noLead},
	}
	const reps = 6
	ctx := t.Context()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, op := range ops {
		for r := range reps {
			k := fmt.Sprintf("%s-%d", strings.ReplaceAll(op.name, " ", "-"), r)
			wg.Go(func() {
				if err := op.setup(ctx, s, k); err != nil {
					t.Errorf("%s: setup: %v", k, err)
				}
				<-start
				if err := op.write(ctx, s, k); err != nil {
					t.Errorf("%s: %v", k, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for _, op := range ops {
		for r := range reps {
			k := fmt.Sprintf("%s-%d", strings.ReplaceAll(op.name, " ", "-"), r)
			if err := op.check(ctx, s, k); err != nil {
				t.Errorf("%s: stored: %v", k, err)
			}
		}
	}
}

// TestStatsPlans holds the stats to the indexes made for them: the day
// counts come off idx_leads_stats in group order (no sort), the overdue
// leads are counted from idx_leads_overdue alone, and a percentile is an
// ordered read of idx_leads_first_contact. An edit to one of the
// expressions that lost its index would pass every other test and take
// seconds at a million leads.
func TestStatsPlans(t *testing.T) {
	s := openMigrated(t, "FULL")
	cases := []struct {
		name, query, want string
	}{
		{"days", fmt.Sprintf(statsDaySQL, ""), "USING COVERING INDEX idx_leads_stats"},
		{"days in a range", fmt.Sprintf(statsDaySQL, " WHERE created_at >= ?1 AND substr(created_at, 1, 10) >= ?2"), "USING COVERING INDEX idx_leads_stats"},
		{"overdue", `SELECT count(*) FROM leads WHERE status = 'PENDING' AND contacted_at IS NULL AND created_at < ?1`, "USING COVERING INDEX idx_leads_overdue"},
		{"delays", `SELECT ` + firstContactSeconds + ` FROM leads WHERE contacted_at IS NOT NULL ORDER BY ` + firstContactSeconds + ` LIMIT 2 OFFSET 10`, "idx_leads_first_contact"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, "2026-01-01", "2026-01-01")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			text := strings.Join(plan, "; ")
			if !strings.Contains(text, c.want) || strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("plan %q, want %q and no temporary b-tree", text, c.want)
			}
		})
	}
}

// TestSaveWithReadsBusy holds every connection of the read pool (as long
// CSV exports do): a save that changes nothing, whose short way reads first,
// still answers at once, by the full way on the writer.
func TestSaveWithReadsBusy(t *testing.T) {
	s := openMigrated(t, "FULL")
	ctx := t.Context()
	putUsers(t, s, "u1")
	in := leads.SaveInput{Step: ptr(2)}
	if _, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "u1"}, in, leads.Timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	var held []*sql.Conn
	for range readConns {
		c, err := s.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	start := time.Now()
	now := leads.Timestamp(time.Now())
	l, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "u1"}, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second || !l.LastSavedAt.Equal(now) {
		t.Errorf("save with the read pool busy: %v, lastSavedAt %v; want it at once, at %v", took, l.LastSavedAt, now)
	}
}

// BenchmarkChangedSaveClients measures saves that change a field (a new
// address each time, so each writes the lead and a lead.saved activity)
// from 32 clients, over LEADS_BENCH_LEADS leads (default 1,000).
func BenchmarkChangedSaveClients(b *testing.B) {
	s := openMigrated(b, "FULL")
	n := storetest.BenchLeads(1000)
	seed(b, s, n)
	ctx := context.Background()
	clock := time.Now()
	b.ResetTimer()
	clients(b, func(i int64) error {
		in := leads.SaveInput{Step: ptr(2), StudentAddress: ptr(fmt.Sprintf("%d Main St", i))}
		now := leads.Timestamp(clock.Add(time.Duration(i) * time.Microsecond))
		if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: fmt.Sprintf("seed-user-%d", i%int64(n))}, in, now); err != nil || created {
			return fmt.Errorf("created=%v err=%v", created, err)
		}
		return nil
	})
}

// TestCheckpointsInBackground: after a write through the batcher, the
// write-ahead log reaches the database file without the writer's own
// checkpoint (which waits for walBackstop pages) and without Close.
func TestCheckpointsInBackground(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, "FULL")
	size := func() int64 {
		fi, err := os.Stat(s.file)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	seed(t, s, 3000) // by the writer's connection, not the batcher: into the log only
	before := size()
	in := leads.SaveInput{Step: ptr(2), StudentAddress: ptr("3 Checkpoint Road")}
	if _, _, err := leads.SaveFromOnboarding(context.Background(), s, leads.Claims{UserID: "seed-user-1"}, in, leads.Timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes, %d before 3,000 leads: the log was not checkpointed", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
