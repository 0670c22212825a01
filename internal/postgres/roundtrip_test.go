package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/testdb"
)

// roundTrips counts what a pool sends PostgreSQL and waits for: statements
// (BEGIN and COMMIT included), batches, prepares.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (r *roundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// TestRoundTrips counts the round trips of each request path's store calls
// on a warm pool (statements already prepared), and fails when one grows:
// the speed issue counts them, and docs/benchmarks.md states them. Lower
// them here when a path is folded.
func TestRoundTrips(t *testing.T) {
	ctx := t.Context()
	url := testdb.PostgresURL(t)
	migrated, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrated.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	migrated.Close()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	counter := &roundTrips{}
	cfg.ConnConfig.Tracer = counter
	cfg.MaxConns = 1 // one connection, so that the warm-up prepares every statement
	s, err := openConfig(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.PutCenter(ctx, leads.Center{ID: "c1", Name: "Centre 1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.PutStaff(ctx, s, leads.Staff{ID: "m1", FullName: "Ada", Email: "ada@example.com", CenterIDs: []string{"c1"}, Active: true}, leads.Timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	claims := func(uid string) leads.Claims {
		name, email := "Student "+uid, uid+"@example.com"
		return leads.Claims{UserID: uid, Name: &name, Email: &email}
	}
	centre, step2, step3 := "c1", 2, 3
	paths := []struct {
		name string
		max  int64
		run  func(i int) error
	}{
		{"first save (provisioning, assignment turn, activities, e-mail jobs)", 6, func(i int) error {
			_, _, err := leads.SaveFromOnboarding(ctx, s, claims(uidOf(i)), leads.SaveInput{CenterID: &centre, Step: &step2}, leads.Timestamp(time.Now()))
			return err
		}},
		{"save that changes fields (and its activity)", 4, func(i int) error {
			_, _, err := leads.SaveFromOnboarding(ctx, s, claims(uidOf(i)), leads.SaveInput{Step: &step3}, leads.Timestamp(time.Now()))
			return err
		}},
		{"save that changes nothing but lastSavedAt", 1, func(i int) error {
			_, _, err := leads.SaveFromOnboarding(ctx, s, claims(uidOf(i)), leads.SaveInput{Step: &step3}, leads.Timestamp(time.Now()))
			return err
		}},
		{"get the applicant's lead", 1, func(i int) error {
			_, err := s.LeadByUser(ctx, uidOf(i))
			return err
		}},
		{"get the applicant's lead, provisioning the caller (GET /leads/me)", 1, func(i int) error {
			_, err := s.LeadByUser(leads.WithProvision(ctx, claims(uidOf(i)), leads.Timestamp(time.Now())), uidOf(i))
			return err
		}},
		{"list page 1", 1, func(i int) error {
			_, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: leads.DefaultLimit})
			return err
		}},
		{"list page 1, provisioning the caller (GET /leads)", 1, func(i int) error {
			_, err := s.ListLeads(leads.WithProvision(ctx, claims("m1"), leads.Timestamp(time.Now())), leads.ListFilter{Page: 1, Limit: leads.DefaultLimit})
			return err
		}},
		{"list page 1 with q", 1, func(i int) error {
			_, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: leads.DefaultLimit, Q: "student"})
			return err
		}},
	}
	// The first user warms the connection up (each statement prepared once).
	for _, p := range paths {
		if err := p.run(0); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
	for _, p := range paths {
		before := counter.n.Load()
		if err := p.run(1); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		got := counter.n.Load() - before
		t.Logf("%s: %d round trip(s)", p.name, got)
		if got > p.max {
			t.Errorf("%s: %d round trips, at most %d before", p.name, got, p.max)
		}
	}
}

func uidOf(i int) string { return "rt-user-" + string(rune('a'+i)) }
