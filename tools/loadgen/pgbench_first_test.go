package main

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/testdb"
)

// TestPgbenchFirstSave: the pgbench script of a first save, traced from a
// save on a seeded database, runs under pgbench and does what the service's
// first save does: each transaction a new user's lead, assigned to the next
// staff member of its centre, with its timeline and its e-mail jobs.
func TestPgbenchFirstSave(t *testing.T) {
	ctx := t.Context()
	dbURL := testdb.PostgresDatabase(t)
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, st)
	seed := []string{"-url", srv.URL, "-jwt-secret", testSecret, "-phase", "seed", "-clients", "2", "-n", "8", "-moved", "0"}
	if err := run(ctx, seed, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}

	script, err := pgbenchFirstSave(ctx, dbURL, demoCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`\set n random(`, `\startpipeline`, `\gset`, "INSERT INTO leads", "INSERT INTO river_job",
		"('pgbench-' || :n)", "(ARRAY['abuja-center', 'lagos-center', 'kano-center', 'port-harcourt-center'])[:c]", "commit;"} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "pgbench-sample") || strings.Contains(script, "abuja-center-staff-") {
		t.Errorf("a value of the sample save is left in the script:\n%s", script)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The sample leads are erased.
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM leads WHERE user_id LIKE 'pgbench-sample-%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d sample leads left", left)
	}

	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		testdb.Skip(t, "postgres", "pgbench is missing")
	}
	file := t.TempDir() + "/first.sql"
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, pgbench, "-n", "-M", "prepared", "-c", "2", "-t", "5", "-f", file, dbURL).CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	var n, assigned, ownCentre, consistent, acts, jobs int
	err = conn.QueryRow(ctx, `SELECT count(*), count(l.assigned_to),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM staff_centers sc WHERE sc.staff_id = l.assigned_to AND sc.center_id = l.center_id)),
			count(*) FILTER (WHERE l.center_name = c.name AND l.training_location = c.location_id AND co.center_id = c.id AND l.course_name = co.name),
			(SELECT count(*) FROM activities a JOIN leads l2 ON l2.id = a.lead_id WHERE l2.user_id LIKE 'pgbench-%'),
			(SELECT count(*) FROM river_job j JOIN leads l3 ON l3.id = j.args->>'lead_id' WHERE l3.user_id LIKE 'pgbench-%')
		FROM leads l LEFT JOIN centers c ON c.id = l.center_id LEFT JOIN courses co ON co.id = l.course_id
		WHERE l.user_id LIKE 'pgbench-%'`).Scan(&n, &assigned, &ownCentre, &consistent, &acts, &jobs)
	if err != nil {
		t.Fatal(err)
	}
	// Each lead's centre, location and course belong together, as the
	// payload the service gets has them.
	if n != 10 || assigned != 10 || ownCentre != 10 || consistent != 10 || acts != 20 || jobs != 20 {
		t.Errorf("after 10 transactions: %d leads, %d assigned, %d to staff of their centre, %d with their centre's location and course, %d activities, %d jobs; want 10, 10, 10, 10, 20, 20",
			n, assigned, ownCentre, consistent, acts, jobs)
	}
}
