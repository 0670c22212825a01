package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/sqlite"
	"github.com/leads/leads/internal/web"
)

func TestParseConfig(t *testing.T) {
	env := func(secret string) func(string) string {
		return func(k string) string {
			if k == "LEADS_JWT_SECRET" {
				return secret
			}
			return ""
		}
	}
	cases := []struct {
		name    string
		args    []string
		secret  string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", args: []string{"-phase", "save"}, secret: "s", check: func(t *testing.T, c config) {
			if c.clients != 32 || c.duration != 15*time.Second || c.n != 200_000 || c.baseURL != "http://127.0.0.1:8080" || string(c.secret) != "s" || !c.claims {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "flag secret wins", args: []string{"-phase", "list", "-jwt-secret", "flag"}, secret: "env", check: func(t *testing.T, c config) {
			if string(c.secret) != "flag" {
				t.Errorf("secret %q, want the flag's", c.secret)
			}
		}},
		{name: "trailing slash trimmed", args: []string{"-phase", "get", "-url", "http://127.0.0.1:9/"}, secret: "s", check: func(t *testing.T, c config) {
			if c.baseURL != "http://127.0.0.1:9" {
				t.Errorf("url %q", c.baseURL)
			}
		}},
		{name: "duration at the cap", args: []string{"-phase", "save", "-duration", "60s"}, secret: "s"},
		{name: "duration over the cap", args: []string{"-phase", "save", "-duration", "61s"}, secret: "s", wantErr: "-duration"},
		{name: "no secret", args: []string{"-phase", "save"}, wantErr: "secret"},
		{name: "unknown phase", args: []string{"-phase", "soak"}, secret: "s", wantErr: "-phase"},
		{name: "no clients", args: []string{"-phase", "save", "-clients", "0"}, secret: "s", wantErr: "-clients"},
		{name: "moved above one", args: []string{"-phase", "seed", "-moved", "1.5"}, secret: "s", wantErr: "-moved"},
		{name: "not a URL", args: []string{"-phase", "save", "-url", "127.0.0.1:8080"}, secret: "s", wantErr: "-url"},
		{name: "pgbench-first without a database", args: []string{"-pgbench-first"}, wantErr: "-db"},
		{name: "pgbench-first needs no secret", args: []string{"-pgbench-first", "-db", "postgres://127.0.0.1/x"}, check: func(t *testing.T, c config) {
			if !c.pgbenchFirst || c.db != "postgres://127.0.0.1/x" {
				t.Errorf("got %+v", c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, env(tc.secret), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestClosedLoopPacer(t *testing.T) {
	cases := []struct {
		name  string
		count uint64
		hits  uint64
		stop  bool
	}{
		{"unbounded never stops", 0, 1_000_000, false},
		{"below the count", 10, 9, false},
		{"at the count", 10, 10, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, stop := closedLoop{count: tc.count}.Pace(time.Second, tc.hits)
			if wait != 0 || stop != tc.stop {
				t.Errorf("Pace = %v, %v; want 0, %v", wait, stop, tc.stop)
			}
		})
	}
}

func TestPayloads(t *testing.T) {
	cat := demoCatalogue()
	courseCenter := map[string]string{}
	for _, co := range cat.courses {
		courseCenter[co.id] = co.centerID
	}
	for i := range 200 {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		c := cat.centerOf(i)
		for name, p := range map[string]savePayload{
			"seed": seedPayload(r, cat, c),
			"full": fullPayload(r, cat, c, 1+r.IntN(3), true),
		} {
			var got map[string]any
			if err := json.Unmarshal(mustJSON(p), &got); err != nil {
				t.Fatalf("%s %d: %v", name, i, err)
			}
			if p.Step < 1 || p.Step > 3 {
				t.Errorf("%s %d: step %d", name, i, p.Step)
			}
			if p.SelectedCenter == nil || p.SelectedCenter.ID != c.id || *p.Profile.Centre != c.id || *p.Profile.TrainingLocation != c.locationID {
				t.Errorf("%s %d: centre %+v, want %s at %s", name, i, p.SelectedCenter, c.id, c.locationID)
			}
			if p.SelectedCourse != nil && courseCenter[p.SelectedCourse.ID] != c.id {
				t.Errorf("%s %d: course %s is not taught at %s", name, i, p.SelectedCourse.ID, c.id)
			}
			if p.Profile.HasGuardian && (p.Profile.GuardianName == nil || p.Profile.GuardianEmail == nil || p.Profile.GuardianAddress == nil) {
				t.Errorf("%s %d: guardian without details", name, i)
			}
		}
	}
}

// TestPhasesAgainstService runs every phase, briefly, against the real HTTP
// handler on a SQLite store and checks each reports its requests and no error.
func TestPhasesAgainstService(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "leads.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, st)
	getenv := func(string) string { return "" }
	line := regexp.MustCompile(`^phase=(\S+) label=test clients=4 requests=(\d+) seconds=\S+ rps=\S+ p50_ms=\S+ p99_ms=\S+ errors=(\d+) codes=\S+ loadgen_cpu_s=\S+$`)

	const n = 60
	steps := []struct {
		phase      string
		wantPhases []string
		wantCount  map[string]int // exact request counts, for count-bounded phases
	}{
		{"seed", []string{"seed", "seed-status"}, map[string]int{"seed": n}},
		{"save", []string{"save"}, nil},
		{"save -claims=false", []string{"save"}, nil},
		{"resave", []string{"resave"}, nil},
		{"list", []string{"list"}, nil},
		{"page500", []string{"page500"}, nil},
		{"after500", []string{"after500"}, nil},
		{"get", []string{"get"}, nil},
		{"first", []string{"first"}, nil},
	}
	firsts := 0 // leads the first phase created
	for _, s := range steps {
		t.Run(s.phase, func(t *testing.T) {
			var out bytes.Buffer
			phase, extra, _ := strings.Cut(s.phase, " ")
			args := []string{"-url", srv.URL, "-jwt-secret", testSecret, "-phase", phase, "-label", "test",
				"-clients", "4", "-duration", "300ms", "-n", strconv.Itoa(n), "-moved", "0.5"}
			if extra != "" {
				args = append(args, extra)
			}
			if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(s.wantPhases) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(s.wantPhases), out.String())
			}
			for i, l := range lines {
				m := line.FindStringSubmatch(l)
				if m == nil || m[1] != s.wantPhases[i] {
					t.Fatalf("line %q does not report phase %s", l, s.wantPhases[i])
				}
				reqs, _ := strconv.Atoi(m[2])
				if want, ok := s.wantCount[m[1]]; ok && reqs != want {
					t.Errorf("%s: %d requests, want %d", m[1], reqs, want)
				}
				if m[1] == "first" {
					firsts += reqs
				}
				if reqs == 0 || m[3] != "0" {
					t.Errorf("%s: %s requests, %s errors", m[1], m[2], m[3])
				}
			}
		})
	}
	// The seed created one lead per user, and the first phase one per
	// request on top.
	page, err := st.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != n+firsts {
		t.Errorf("%d leads after seeding %d users and %d first saves", page.Total, n, firsts)
	}
}

// TestResaveRepeatsEachUsersPayload: the resave phase sends a user the same
// body every time (Save and Exit pressed again), and draws from at most
// resaveUsers users.
func TestResaveRepeatsEachUsersPayload(t *testing.T) {
	g := &generator{cfg: config{baseURL: "http://x", secret: []byte("s"), n: 5000, claims: true}, cat: demoCatalogue(), now: time.Now()}
	next := g.resaveTargeter()
	bodies := map[string]string{}
	for range 5000 {
		var tg vegeta.Target
		if err := next(&tg); err != nil {
			t.Fatal(err)
		}
		sub := tokenSubject(t, tg.Header.Get("Authorization"))
		if prev, ok := bodies[sub]; ok && prev != string(tg.Body) {
			t.Fatalf("user %s: body changed from %s to %s", sub, prev, tg.Body)
		}
		bodies[sub] = string(tg.Body)
	}
	if len(bodies) > resaveUsers || len(bodies) < resaveUsers/2 {
		t.Errorf("%d users drawn, want up to %d", len(bodies), resaveUsers)
	}
}

// tokenSubject reads the sub claim of a bearer token without verifying it.
func tokenSubject(t *testing.T, header string) string {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(header, "Bearer "), ".")
	if len(parts) != 3 {
		t.Fatalf("not a bearer token: %q", header)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Sub string }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.Sub
}

// TestPgbenchResave: the pgbench script of the resave phase is the
// statement Store.Resave sends for the phase's payload, every value computed
// from the user's number.
func TestPgbenchResave(t *testing.T) {
	script, err := pgbenchResave(demoCatalogue(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(script), "\n")
	if lines[0] != `\set uid random(0, 999)` {
		t.Errorf("first line %q, want the users 0-999", lines[0])
	}
	statement := lines[len(lines)-1]
	for _, want := range []string{"UPDATE leads SET last_saved_at = now()", "user_id = ('load-' || :uid)",
		"guardian_phone = ('080' || lpad(:uid, 8, '0'))", "onboarding_step = 3", "RETURNING id, "} {
		if !strings.Contains(statement, want) {
			t.Errorf("the statement lacks %q:\n%s", want, statement)
		}
	}
	if strings.Contains(statement, "$") || strings.Contains(statement, "123") {
		t.Errorf("a value of the sample user or a placeholder is left:\n%s", statement)
	}
}

// testSecret is the JWT secret of serve's service.
const testSecret = "loadgen-test-secret"

// serve migrates st, serves the service on it until t ends (closing st
// then), and returns the server; tokens are signed with testSecret.
func serve(t *testing.T, st interface {
	leads.Store
	MigrateUp(context.Context) error
}) *httptest.Server {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.NewServer(web.Config{Store: st, Verifier: auth.NewVerifier([]byte(testSecret)),
		Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	return srv
}
