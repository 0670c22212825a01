// Command loadgen drives a running `leads serve` with closed-loop HTTP load and
// prints one line per phase: requests, requests/s, p50/p99 latency and errors
// (any answer that is not 2xx, or no answer). It exits non-zero when a phase
// had an error.
//
//	LEADS_JWT_SECRET=… loadgen -url http://127.0.0.1:8080 -phase seed -n 200000
//	LEADS_JWT_SECRET=… loadgen -url http://127.0.0.1:8080 -phase save -clients 32 -duration 15s
//	(phases: seed, first, save, resave, list, page500, after500, get)
//
// Phases:
//   - seed: writes the demo catalogue and three staff members a centre
//     (admin PUTs), then n first saves from distinct users whose tokens
//     carry name and email claims (just-in-time users), then moves a fraction of the new leads to CONTACTED or LOST so
//     that status filters select something. Bounded by count.
//   - first: first saves from new users (firstPayload), as the pgbench
//     script of -pgbench-first makes them.
//   - save: re-saves random seeded users' leads with the guide's full payload
//     (every field, a guardian included); each user keeps their centre.
//   - list: staff GET /leads?page=P&limit=10, no filter, status or centerId,
//     P random among the first 50 pages.
//   - get: staff GET /leads/{id} over ids sampled across the table.
//
// first, save, list and get run for -duration (at most 60 s).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/leads/leads/internal/auth"
)

// phases are what -phase may name.
var phases = []string{"seed", "first", "save", "resave", "list", "page500", "after500", "get"}

// Limits that keep a run bounded on a shared machine.
const (
	maxDuration = 60 * time.Second
	// seedDeadline stops a seed that is far slower than expected. Both
	// engines seed at once and a first save queues on its centre's turn:
	// 200,000 of them took 11 to 21 minutes in runs 11 to 14.
	seedDeadline = 40 * time.Minute
	tokenTTL     = 2 * time.Hour
	// userPrefix names the load's users: load-0 … load-(n-1).
	userPrefix = "load-"
	// staffPerCenter is the roster of each centre, whose turns the first
	// saves take.
	staffPerCenter = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	baseURL  string
	secret   []byte
	phase    string
	label    string
	clients  int
	duration time.Duration
	n        int     // seed: leads to create; save: users to pick from
	moved    float64 // seed: fraction of new leads moved to CONTACTED or LOST
	claims   bool    // save: tokens carry name and email claims
	pgbench  bool    // print the pgbench script of the resave phase
	// pgbenchFirst: print the pgbench script of a first save, traced on
	// the database at db.
	pgbenchFirst bool
	db           string
}

// parseConfig reads the flags; the secret comes from LEADS_JWT_SECRET unless
// -jwt-secret is given (the environment keeps it out of `ps`).
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := getenv("LEADS_JWT_SECRET")
	fs.StringVar(&c.baseURL, "url", "http://127.0.0.1:8080", "base URL of the running service")
	fs.Func("jwt-secret", "HS256 secret the service verifies (default $LEADS_JWT_SECRET)", func(s string) error { secret = s; return nil })
	fs.StringVar(&c.phase, "phase", "", "one of "+strings.Join(phases, ", "))
	fs.StringVar(&c.label, "label", "", "tag printed on the result line (e.g. the engine)")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients (closed loop)")
	fs.DurationVar(&c.duration, "duration", 15*time.Second, "length of save, list and get (at most 60s)")
	fs.IntVar(&c.n, "n", 200_000, "seed: leads to create; save: seeded users to pick from")
	fs.Float64Var(&c.moved, "moved", 0.05, "seed: fraction of new leads then moved to CONTACTED or LOST")
	fs.BoolVar(&c.claims, "claims", true, "save: tokens carry the user's name and email claims (false: sub and role only)")
	fs.BoolVar(&c.pgbench, "pgbench-resave", false, "print the pgbench script of the resave phase's statement and exit")
	fs.BoolVar(&c.pgbenchFirst, "pgbench-first", false, "print the pgbench script of a first save's transaction, traced from one made on -db, and exit")
	fs.StringVar(&c.db, "db", "", "-pgbench-first: the seeded load database (postgres://…); its sample lead is erased afterwards")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.secret = []byte(secret)
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.pgbench:
		return c, nil
	case c.pgbenchFirst && c.db == "":
		return c, errors.New("-pgbench-first needs -db")
	case c.pgbenchFirst:
		return c, nil
	case len(c.secret) == 0:
		return c, errors.New("no JWT secret: set LEADS_JWT_SECRET or -jwt-secret")
	case !slices.Contains(phases, c.phase):
		return c, fmt.Errorf("-phase must be one of %s, not %q", strings.Join(phases, ", "), c.phase)
	case c.clients < 1 || c.clients > 1024:
		return c, fmt.Errorf("-clients must be 1 to 1024, not %d", c.clients)
	case c.duration <= 0 || c.duration > maxDuration:
		return c, fmt.Errorf("-duration must be above 0 and at most %s, not %s", maxDuration, c.duration)
	case c.n < 1 || c.n > 10_000_000:
		return c, fmt.Errorf("-n must be 1 to 10000000, not %d", c.n)
	case c.moved < 0 || c.moved > 1:
		return c, fmt.Errorf("-moved must be 0 to 1, not %g", c.moved)
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("-url must be an http(s) URL, not %q", c.baseURL)
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if c.pgbench || c.pgbenchFirst {
		var script string
		if c.pgbench {
			script, err = pgbenchResave(demoCatalogue(), min(c.n, resaveUsers))
		} else {
			script, err = pgbenchFirstSave(ctx, c.db, demoCatalogue())
		}
		if err == nil {
			_, err = io.WriteString(stdout, script)
		}
		return err
	}
	g := &generator{cfg: c, cat: demoCatalogue(), now: time.Now(), stderr: stderr}
	var results []result
	switch c.phase {
	case "seed":
		results, err = g.seed(ctx)
	case "first":
		results, err = g.timed(ctx, "first", g.firstTargeter())
	case "save":
		results, err = g.timed(ctx, "save", g.saveTargeter())
	case "resave":
		results, err = g.timed(ctx, "resave", g.resaveTargeter())
	case "list":
		results, err = g.timed(ctx, "list", g.listTargeter())
	case "page500":
		results, err = g.timed(ctx, "page500", g.deepPageTargeter())
	case "after500":
		var t vegeta.Targeter
		if t, err = g.afterTargeter(ctx); err == nil {
			results, err = g.timed(ctx, "after500", t)
		}
	case "get":
		var t vegeta.Targeter
		if t, err = g.getTargeter(ctx); err == nil {
			results, err = g.timed(ctx, "get", t)
		}
	}
	failed := 0
	for _, r := range results {
		fmt.Fprintln(stdout, r.line(c))
		failed += r.errors
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// generator builds requests and runs attacks.
type generator struct {
	cfg    config
	cat    catalogue
	now    time.Time
	stderr io.Writer
}

// token mints a token for the principal.
func (g *generator) token(p auth.Principal) (string, error) {
	return auth.Mint(g.cfg.secret, p, tokenTTL, g.now)
}

// userToken is load user i's token, with the name and email claims that
// provision the user on the first save.
func (g *generator) userToken(i int) (string, error) {
	name, email := userName(i)
	return g.token(auth.Principal{UserID: userPrefix + strconv.Itoa(i), Role: auth.RoleStudent, Name: &name, Email: &email})
}

func (g *generator) staffHeader() (http.Header, error) {
	tok, err := g.token(auth.Principal{UserID: "load-staff", Role: auth.RoleStaff})
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"Bearer " + tok}}, nil
}

func jsonHeader(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
}

// result is the outcome of one attack.
type result struct {
	phase    string
	requests int
	elapsed  time.Duration
	p50, p99 time.Duration
	errors   int
	codes    map[int]int
	cpu      time.Duration // the load generator's own CPU time
}

func (r result) line(c config) string {
	codes := make([]int, 0, len(r.codes))
	for code := range r.codes {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	var cs []string
	for _, code := range codes {
		cs = append(cs, fmt.Sprintf("%d:%d", code, r.codes[code]))
	}
	rps := 0.0
	if r.elapsed > 0 {
		rps = float64(r.requests) / r.elapsed.Seconds()
	}
	label := ""
	if c.label != "" {
		label = " label=" + c.label
	}
	return fmt.Sprintf("phase=%s%s clients=%d requests=%d seconds=%.1f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d codes=%s loadgen_cpu_s=%.2f",
		r.phase, label, c.clients, r.requests, r.elapsed.Seconds(), rps, ms(r.p50), ms(r.p99), r.errors, strings.Join(cs, ","), r.cpu.Seconds())
}

// cpuTime is the user and system CPU time this process has used: on a small
// machine the load generator competes with the service for the same cores.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// attack runs a closed loop of cfg.clients workers: each sends its next request
// when the previous one is answered. It stops after du, after count requests
// when count > 0, or when ctx is done. onResult, if set, sees every answer.
func (g *generator) attack(ctx context.Context, phase string, t vegeta.Targeter, du time.Duration, count int, onResult func(*vegeta.Result)) result {
	workers := uint64(g.cfg.clients)
	a := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers),
		vegeta.Connections(g.cfg.clients), vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true))
	pacer := closedLoop{count: uint64(count)}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			a.Stop()
		case <-stopped:
		}
	}()

	var m vegeta.Metrics
	res := result{phase: phase, codes: map[int]int{}}
	shown := 0
	cpu0 := cpuTime()
	start := time.Now()
	for r := range a.Attack(t, pacer, du, phase) {
		m.Add(r)
		res.requests++
		res.codes[int(r.Code)]++
		if r.Code < 200 || r.Code > 299 {
			res.errors++
			if shown < 5 {
				shown++
				body := string(r.Body)
				if len(body) > 300 {
					body = body[:300]
				}
				fmt.Fprintf(g.stderr, "%s: %s %s: code %d %s %s\n", phase, r.Method, r.URL, r.Code, r.Error, body)
			}
		}
		if onResult != nil {
			onResult(r)
		}
	}
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	m.Close()
	res.p50, res.p99 = m.Latencies.P50, m.Latencies.P99
	return res
}

// closedLoop is a pacer that never waits (the workers' round trips set the
// pace) and, when count > 0, stops after count requests.
type closedLoop struct{ count uint64 }

// Pace never waits; it stops after count hits.
func (p closedLoop) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, p.count > 0 && hits >= p.count
}

// Rate is unbounded.
func (closedLoop) Rate(time.Duration) float64 { return 0 }

// timed runs one duration-bounded phase.
func (g *generator) timed(ctx context.Context, phase string, t vegeta.Targeter) ([]result, error) {
	return []result{g.attack(ctx, phase, t, g.cfg.duration, 0, nil)}, ctx.Err()
}

// seed writes the catalogue, cfg.n first saves and the status moves.
func (g *generator) seed(ctx context.Context) ([]result, error) {
	if err := g.putCatalogue(ctx); err != nil {
		return nil, err
	}
	var next atomic.Int64
	n := g.cfg.n
	save := func(t *vegeta.Target) error {
		i := int(next.Add(1) - 1)
		if i >= n {
			return vegeta.ErrNoTargets
		}
		tok, err := g.userToken(i)
		if err != nil {
			return err
		}
		// Seeded per user, so a rerun writes the same leads.
		r := rand.New(rand.NewPCG(uint64(i), 0x1eadbeef))
		*t = vegeta.Target{Method: http.MethodPost, URL: g.cfg.baseURL + "/leads/save-from-onboarding",
			Body: mustJSON(seedPayload(r, g.cat, g.cat.centerOf(i))), Header: jsonHeader(tok)}
		return nil
	}
	// The ids of a sample of the created leads, to move afterwards; results
	// are read by one goroutine.
	var ids []string
	pick := func(r *vegeta.Result) {
		if r.Code != http.StatusCreated || rand.Float64() >= g.cfg.moved {
			return
		}
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if json.Unmarshal(r.Body, &body) == nil && body.Data.ID != "" {
			ids = append(ids, body.Data.ID)
		}
	}
	saved := g.attack(ctx, "seed", save, seedDeadline, n, pick)
	out := []result{saved}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if saved.requests < n {
		return out, fmt.Errorf("seed: only %d of %d saves within %s", saved.requests, n, seedDeadline)
	}
	if len(ids) == 0 {
		return out, nil
	}
	hdr, err := g.staffHeader()
	if err != nil {
		return out, err
	}
	hdr.Set("Content-Type", "application/json")
	var moveNext atomic.Int64
	move := func(t *vegeta.Target) error {
		i := int(moveNext.Add(1) - 1)
		if i >= len(ids) {
			return vegeta.ErrNoTargets
		}
		status := "CONTACTED"
		if i%3 == 2 {
			status = "LOST"
		}
		*t = vegeta.Target{Method: http.MethodPut, URL: g.cfg.baseURL + "/leads/" + url.PathEscape(ids[i]) + "/status",
			Body: []byte(`{"status":"` + status + `"}`), Header: hdr}
		return nil
	}
	out = append(out, g.attack(ctx, "seed-status", move, seedDeadline, len(ids), nil))
	return out, ctx.Err()
}

// putCatalogue writes the demo catalogue with admin PUTs (create or replace).
func (g *generator) putCatalogue(ctx context.Context) error {
	tok, err := g.token(auth.Principal{UserID: "load-admin", Role: auth.RoleAdmin})
	if err != nil {
		return err
	}
	put := func(path string, body any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, g.cfg.baseURL+path, strings.NewReader(string(mustJSON(body))))
		if err != nil {
			return err
		}
		req.Header = jsonHeader(tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("PUT %s: %d %s", path, resp.StatusCode, b)
		}
		return nil
	}
	for _, l := range g.cat.locations {
		if err := put("/locations/"+l.id, map[string]string{"name": l.name}); err != nil {
			return err
		}
	}
	for _, c := range g.cat.centers {
		if err := put("/centers/"+c.id, map[string]string{"name": c.name, "locationId": c.locationID}); err != nil {
			return err
		}
	}
	for _, c := range g.cat.courses {
		if err := put("/courses/"+c.id, map[string]string{"name": c.name, "centerId": c.centerID}); err != nil {
			return err
		}
	}
	// Each centre's staff, so that a first save takes a real turn (with no
	// active staff the turn assigns no one and writes nothing).
	for _, c := range g.cat.centers {
		for k := 1; k <= staffPerCenter; k++ {
			id := fmt.Sprintf("%s-staff-%d", c.id, k)
			body := map[string]any{"fullName": fmt.Sprintf("%s staff %d", c.name, k), "email": id + "@example.com", "centerIds": []string{c.id}}
			if err := put("/roster/"+id, body); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveTargeter re-saves a random seeded user's lead with the full payload.
func (g *generator) saveTargeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		i := rand.IntN(g.cfg.n)
		tok, err := g.userToken(i)
		if !g.cfg.claims {
			tok, err = g.token(auth.Principal{UserID: userPrefix + strconv.Itoa(i), Role: auth.RoleStudent})
		}
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		*t = vegeta.Target{Method: http.MethodPost, URL: g.cfg.baseURL + "/leads/save-from-onboarding",
			Body: mustJSON(fullPayload(r, g.cat, g.cat.centerOf(i), 1+r.IntN(3), true)), Header: jsonHeader(tok)}
		return nil
	}
}

// firstTargeter is first saves for a duration: each request from a user the
// database has not seen (ids of this run's own, so that phases on one
// database do not meet), with firstPayload, the save pgbenchFirstSave
// writes down, so that the two compare like for like.
func (g *generator) firstTargeter() vegeta.Targeter {
	run := strconv.FormatInt(g.now.UnixNano(), 36)
	var next atomic.Int64
	return func(t *vegeta.Target) error {
		i := int(next.Add(1))
		name, _ := userName(i)
		email := "load.first." + run + "." + strconv.Itoa(i) + "@example.com"
		tok, err := g.token(auth.Principal{UserID: userPrefix + "first-" + run + "-" + strconv.Itoa(i), Role: auth.RoleStudent, Name: &name, Email: &email})
		if err != nil {
			return err
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: g.cfg.baseURL + "/leads/save-from-onboarding",
			Body: mustJSON(firstPayload(g.cat, i)), Header: jsonHeader(tok)}
		return nil
	}
}

// resaveUsers is how many users the resave phase draws from.
const resaveUsers = 1000

// resaveTargeter is Save and Exit pressed again: one of the first
// resaveUsers users (fewer if n is smaller) sends the same full payload each
// time (resavePayload), so after the user's first save of the phase nothing
// changes but lastSavedAt.
func (g *generator) resaveTargeter() vegeta.Targeter {
	users := min(g.cfg.n, resaveUsers)
	return func(t *vegeta.Target) error {
		i := rand.IntN(users)
		tok, err := g.userToken(i)
		if err != nil {
			return err
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: g.cfg.baseURL + "/leads/save-from-onboarding",
			Body: mustJSON(resavePayload(g.cat, i)), Header: jsonHeader(tok)}
		return nil
	}
}

// listTargeter asks for a random page among the first 50, a third of the
// time unfiltered, a third by status, a third by centre.
func (g *generator) listTargeter() vegeta.Targeter {
	hdr, err := g.staffHeader()
	return func(t *vegeta.Target) error {
		if err != nil {
			return err
		}
		q := url.Values{"page": {strconv.Itoa(1 + rand.IntN(50))}, "limit": {"10"}}
		switch rand.IntN(3) {
		case 1:
			q.Set("status", []string{"PENDING", "PENDING", "CONTACTED", "LOST"}[rand.IntN(4)])
		case 2:
			q.Set("centerId", g.cat.centers[rand.IntN(len(g.cat.centers))].id)
		}
		*t = vegeta.Target{Method: http.MethodGet, URL: g.cfg.baseURL + "/leads?" + q.Encode(), Header: hdr}
		return nil
	}
}

// deepPageTargeter asks for page 500 of the unfiltered list, 10 a page: the
// 4,991st to 5,000th newest leads, which an OFFSET reaches by walking past
// the 4,990 before them.
func (g *generator) deepPageTargeter() vegeta.Targeter {
	hdr, err := g.staffHeader()
	return func(t *vegeta.Target) error {
		if err != nil {
			return err
		}
		*t = vegeta.Target{Method: http.MethodGet, URL: g.cfg.baseURL + "/leads?page=500&limit=10", Header: hdr}
		return nil
	}
}

// afterTargeter asks for the same deep page as deepPageTargeter (the 4,991st
// to 5,000th newest leads) by the keyset cursor instead of page: after the id
// of the lead before them, which it reads once at the start. On a list of
// 5,000 leads or fewer, where page 500 is empty, it asks for the leads after
// the last full page instead, so that the phase still reads some.
func (g *generator) afterTargeter(ctx context.Context) (vegeta.Targeter, error) {
	hdr, err := g.staffHeader()
	if err != nil {
		return nil, err
	}
	_, total, err := g.listPage(ctx, hdr, 1, 10)
	if err != nil {
		return nil, err
	}
	p := min(499, (total-1)/10) // the page before the deep one
	if p < 1 {
		return nil, errors.New("after500: fewer than 11 leads; run the seed phase first")
	}
	ids, _, err := g.listPage(ctx, hdr, p, 10)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("after500: page %d is empty", p)
	}
	u := g.cfg.baseURL + "/leads?limit=10&after=" + url.QueryEscape(ids[len(ids)-1])
	return func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodGet, URL: u, Header: hdr}
		return nil
	}, nil
}

// listPage reads page p of the unfiltered list: its leads' ids and the total.
func (g *generator) listPage(ctx context.Context, hdr http.Header, p, limit int) (ids []string, total int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/leads?page=%d&limit=%d", g.cfg.baseURL, p, limit), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("list page %d: status %d", p, resp.StatusCode)
	}
	var body struct {
		Data struct {
			Leads []struct {
				ID string `json:"id"`
			} `json:"leads"`
			Total int `json:"total"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, 0, fmt.Errorf("list page %d: %w", p, err)
	}
	for _, l := range body.Data.Leads {
		ids = append(ids, l.ID)
	}
	return ids, body.Data.Total, nil
}

// getTargeter samples lead ids across the table (100 per page of 20 pages
// spread over the total), then asks for random ones.
func (g *generator) getTargeter(ctx context.Context) (vegeta.Targeter, error) {
	hdr, err := g.staffHeader()
	if err != nil {
		return nil, err
	}
	page := func(p int) ([]string, int, error) { return g.listPage(ctx, hdr, p, 100) }
	ids, total, err := page(1)
	if err != nil {
		return nil, err
	}
	pages := (total + 99) / 100
	for k := 1; k < 20 && pages > 1; k++ {
		more, _, err := page(1 + k*(pages-1)/19)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	if len(ids) == 0 {
		return nil, errors.New("get: no leads to read; run the seed phase first")
	}
	return func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodGet, URL: g.cfg.baseURL + "/leads/" + url.PathEscape(ids[rand.IntN(len(ids))]), Header: hdr}
		return nil
	}, nil
}
