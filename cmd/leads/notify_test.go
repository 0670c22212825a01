package main

import (
	"fmt"
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

// TestEmailSurvivesKill: the service is killed (SIGKILL) after a save was
// acknowledged and before its e-mails could be sent (the SMTP server said
// "try later"); after a restart they are sent, once each.
func TestEmailSurvivesKill(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	smtp.Refuse(1000, 451) // nothing gets through yet
	env := map[string]string{"LEADS_DATABASE_URL": sqliteURL(t), "LEADS_JWT_SECRET": testSecret,
		"LEADS_SMTP_URL": smtp.URL(), "LEADS_NOTIFY_EMAIL": "desk@leads.test"}
	p := startProcess(t, env)
	tok := mintToken(t, auth.Principal{UserID: "u1", Role: auth.RoleStudent, Name: ptr("Ada Obi"), Email: ptr("ada@example.com")})
	if code, body := call(t, http.DefaultClient, "POST", p.base+"/leads/save-from-onboarding", tok, saveBody); code != 201 {
		t.Fatalf("save: %d %v", code, body)
	}
	time.Sleep(time.Second) // the worker tries, and is told to try later
	p.kill()
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d e-mails got through a refusing server", n)
	}
	smtp.Refuse(0, 451)
	startProcess(t, env)
	msgs := smtp.Wait(t, 2, 30*time.Second)
	time.Sleep(time.Second)
	if n := len(smtp.Messages()); n != 2 || msgs[0].Header.Get("Message-Id") == msgs[1].Header.Get("Message-Id") {
		t.Errorf("after the restart: %d e-mails, want the 2 of the save, once each", n)
	}
}

// TestTwoProcessesSendOnce: two `leads serve` on one PostgreSQL database
// share the queue; every e-mail is sent once.
func TestTwoProcessesSendOnce(t *testing.T) {
	t.Parallel()
	dbURL := testdb.PostgresURL(t)
	smtp := smtptest.Start(t)
	env := map[string]string{"LEADS_DATABASE_URL": dbURL, "LEADS_JWT_SECRET": testSecret,
		"LEADS_SMTP_URL": smtp.URL(), "LEADS_NOTIFY_EMAIL": "desk@leads.test"}
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
