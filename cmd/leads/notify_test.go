package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/smtptest"
	"github.com/leads/leads/internal/testdb"
)

// TestMain lets the test binary be `leads` itself: with LEADS_TEST_AS_LEADS
// set it runs the command line it was given after "--", in a process of its
// own that a test can kill -9.
func TestMain(m *testing.M) {
	if os.Getenv("LEADS_TEST_AS_LEADS") != "" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		ctx, stop := signalContext()
		err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "leads:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is `leads serve` in a process of its own.
type process struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

// startProcess starts `leads serve` with env on a free port and waits until
// it answers.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "LEADS_TEST_AS_LEADS=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, base: "http://" + addr, out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.out.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("leads serve did not start:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

// kill kills the process at once (SIGKILL): no graceful anything.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// saveBody is a first save at step 1.
const saveBody = `{"profile":{"studentAddress":"1 Road"},"step":1}`

// databases name a fresh database of each engine, as LEADS_DATABASE_URL
// does; PostgreSQL's is a schema of its own, skipped (through testdb) when
// no test database is configured.
var databases = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"sqlite", sqliteURL},
	{"postgres", func(t *testing.T) string { return testdb.PostgresURL(t) }},
}

// waitFor polls until ok, or fails after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// queueCounts reads the job queue's counts from GET /readyz.
func queueCounts(t *testing.T, base string) leads.JobCounts {
	t.Helper()
	code, body := call(t, http.DefaultClient, "GET", base+"/readyz", "", "")
	jobs, _ := body["jobs"].(map[string]any)
	if code != http.StatusOK || jobs == nil {
		t.Fatalf("GET /readyz: %d %v, want 200 with the queue's counts", code, body)
	}
	n := func(k string) int { f, _ := jobs[k].(float64); return int(f) }
	return leads.JobCounts{Pending: n("pending"), Running: n("running"), Retrying: n("retrying"), Failed: n("failed")}
}

// TestEmailSurvivesKill: the service is killed (SIGKILL) after a save was
// acknowledged and before its e-mails could be sent (the SMTP server said
// "try later"); after a restart they are sent, once each. On both engines.
func TestEmailSurvivesKill(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			smtp := smtptest.Start(t)
			smtp.Refuse(1000, 451) // nothing gets through yet
			env := map[string]string{"LEADS_DATABASE_URL": db.url(t), "LEADS_JWT_SECRET": testSecret,
				"LEADS_SMTP_URL": smtp.URL(), "LEADS_NOTIFY_EMAIL": "desk@leads.test"}
			p := startProcess(t, env)
			tok := mintToken(t, auth.Principal{UserID: "u1", Role: auth.RoleStudent, Name: ptr("Ada Obi"), Email: ptr("ada@example.com")})
			if code, body := call(t, http.DefaultClient, "POST", p.base+"/leads/save-from-onboarding", tok, saveBody); code != 201 {
				t.Fatalf("save: %d %v", code, body)
			}
			// Both e-mails tried, told to try later, and waiting for their
			// retry (none is running: killing now is between save and send).
			// River counts a job retrying from its second refusal: until its
			// first retry, due within 5 s, it stays available (pending).
			waitFor(t, "both e-mails refused and waiting to be retried", 30*time.Second, func() bool {
				return queueCounts(t, p.base) == leads.JobCounts{Retrying: 2}
			})
			p.kill()
			if n := len(smtp.Messages()); n != 0 {
				t.Fatalf("%d e-mails got through a refusing server", n)
			}
			smtp.Refuse(0, 451)
			p2 := startProcess(t, env)
			msgs := smtp.Wait(t, 2, 60*time.Second)
			// Nothing left to do: no e-mail can come after this.
			waitFor(t, "the queue drained", 30*time.Second, func() bool {
				c := queueCounts(t, p2.base)
				return c.Pending+c.Running+c.Retrying == 0
			})
			if n := len(smtp.Messages()); n != 2 || msgs[0].Header.Get("Message-Id") == msgs[1].Header.Get("Message-Id") {
				t.Errorf("after the restart: %d e-mails, want the 2 of the save, once each", n)
			}
			if c := queueCounts(t, p2.base); c.Failed != 0 {
				t.Errorf("queue after the restart: %+v, want no failed job", c)
			}
		})
	}
}

// TestServeWithoutSMTP: without LEADS_SMTP_URL the service runs, says at
// start that e-mail is off, and takes saves (their e-mail jobs end quietly).
// The log also carries the job queue's counts from the start.
func TestServeWithoutSMTP(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, map[string]string{"LEADS_JWT_SECRET": testSecret},
				"--addr", "127.0.0.1:0", "--database-url", db.url(t))
			var off, queue bool
			scan := func() {
				for _, line := range strings.Split(s.stderr.String(), "\n") {
					var rec struct{ Level, Msg string }
					if json.Unmarshal([]byte(line), &rec) != nil {
						continue
					}
					off = off || rec.Level == "WARN" && strings.Contains(rec.Msg, "e-mail is off") && strings.Contains(rec.Msg, "LEADS_SMTP_URL")
					queue = queue || rec.Msg == "job queue"
				}
			}
			// Said before it listens.
			if scan(); !off {
				t.Errorf("start output: no warning that e-mail is off:\n%s", s.stderr.String())
			}
			// The queue's counts come from a goroutine of their own.
			waitFor(t, "the job queue's counts in the log", 30*time.Second, func() bool { scan(); return queue })
			tok := mintToken(t, auth.Principal{UserID: "u1", Role: auth.RoleStudent, Name: ptr("Ada Obi"), Email: ptr("ada@example.com")})
			if code, body := call(t, http.DefaultClient, "POST", s.base+"/leads/save-from-onboarding", tok, saveBody); code != 201 {
				t.Fatalf("save without SMTP: %d %v", code, body)
			}
			waitFor(t, "the e-mail jobs done (dropped)", 30*time.Second, func() bool {
				return queueCounts(t, s.base) == leads.JobCounts{}
			})
			if err := s.stop(t); err != nil {
				t.Fatalf("stop: %v", err)
			}
		})
	}
}

// TestLogQueue: the job queue's counts are logged at start, then at a tick
// only when they changed or while jobs wait; on both engines. The test
// drives the ticks: a tick is taken only once the round before it is
// logged, so no sleep decides anything.
func TestLogQueue(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := openStore(ctx, db.url(t), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			out := &syncBuffer{}
			tick := make(chan time.Time)
			lctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				logQueue(lctx, st, slog.New(slog.NewJSONHandler(out, nil)), tick)
			}()
			t.Cleanup(func() { cancel(); <-done })
			step := func(n int) {
				for range n {
					select {
					case tick <- time.Now():
					case <-time.After(30 * time.Second):
						t.Fatal("logQueue took no tick in 30s")
					}
				}
			}
			logged := func() []leads.JobCounts {
				var got []leads.JobCounts
				for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
					var rec struct {
						Msg string
						leads.JobCounts
					}
					if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "job queue" {
						got = append(got, rec.JobCounts)
					}
				}
				return got
			}

			step(2) // the round at start and that of the first tick are done
			if got := logged(); len(got) != 1 || got[0] != (leads.JobCounts{}) {
				t.Fatalf("an idle queue, two rounds: logged %+v, want one line of zeros", got)
			}
			// A save queues two e-mails; no worker runs them: they wait.
			if _, _, err := leads.SaveFromOnboarding(ctx, st, leads.Claims{UserID: "u1", Name: ptr("Ada Obi"), Email: ptr("ada@example.com")},
				leads.SaveInput{Step: ptr(1)}, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			step(3) // two more rounds surely after the save
			got := logged()
			waiting := leads.JobCounts{Pending: 2}
			if n := len(got); n < 3 || got[0] != (leads.JobCounts{}) || got[n-1] != waiting || got[n-2] != waiting {
				t.Errorf("after a save: logged %+v, want the zeros, then %+v at every round while they wait", got, waiting)
			}
		})
	}
}

// TestTwoProcessesSendOnce: two `leads serve` on one PostgreSQL database
// share the queue; every e-mail is sent once. Directly, and through
// PgBouncer in transaction mode (LEADS_DATABASE_DIRECT_URL for migrations),
// where each instance's job queue polls.
func TestTwoProcessesSendOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		db   func(t *testing.T) map[string]string
	}{
		{"direct", func(t *testing.T) map[string]string {
			return map[string]string{"LEADS_DATABASE_URL": testdb.PostgresURL(t)}
		}},
		{"pgbouncer", func(t *testing.T) map[string]string {
			pooled, direct := testdb.PgBouncer(t)
			return map[string]string{"LEADS_DATABASE_URL": pooled, "LEADS_DATABASE_DIRECT_URL": direct}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			smtp := smtptest.Start(t)
			env := c.db(t)
			maps.Copy(env, map[string]string{"LEADS_JWT_SECRET": testSecret, "LEADS_SMTP_URL": smtp.URL(),
				"LEADS_NOTIFY_EMAIL": "desk@leads.test"})
			a := startProcess(t, env)
			b := startProcess(t, env)
			const n = 20
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					base := []string{a.base, b.base}[i%2]
					tok := mintToken(t, auth.Principal{UserID: fmt.Sprintf("u%d", i), Role: auth.RoleStudent,
						Name: ptr(fmt.Sprintf("Applicant %d", i)), Email: ptr(fmt.Sprintf("u%d@example.com", i))})
					if code, body := call(t, http.DefaultClient, "POST", base+"/leads/save-from-onboarding", tok, saveBody); code != 201 {
						t.Errorf("save %d: %d %v", i, code, body)
					}
				})
			}
			wg.Wait()
			smtp.Wait(t, 2*n, 60*time.Second)
			time.Sleep(2 * time.Second) // room for a duplicate
			seen := map[string]int{}
			for _, m := range smtp.Messages() {
				seen[m.Header.Get("Message-Id")]++
			}
			if len(smtp.Messages()) != 2*n || len(seen) != 2*n {
				t.Errorf("%d e-mails, %d different, want %d once each", len(smtp.Messages()), len(seen), 2*n)
			}
		})
	}
}

// mintToken signs a token with the tests' secret.
func mintToken(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := auth.Mint([]byte(testSecret), p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
