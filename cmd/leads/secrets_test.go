package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/testdb"
)

// No secret is ever printed (contract §10): not the JWT secret, not a
// password in LEADS_DATABASE_URL (user info or query string) or
// LEADS_SMTP_URL, not a webhook secret, not a token, valid or not — neither
// in the start line, nor in the logs of requests, nor in the error of a
// database that does not answer.
func TestServeNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	const jwtSecret = "hunter2-jwt-0123456789abcdef0123"
	// whsec_ + base64("hunter2-webhook-secret")
	const hookSecret = "whsec_aHVudGVyMi13ZWJob29rLXNlY3JldA=="
	secrets := []string{"hunter2", "aHVudGVyMi13ZWJob29rLXNlY3JldA"}

	u, err := url.Parse(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2-user") // trust auth: any password goes
	q := u.Query()
	q.Set("password", "hunter2-query")
	u.RawQuery = q.Encode()
	direct := *u
	direct.User = url.UserPassword(u.User.Username(), "hunter2-direct")
	env := map[string]string{"LEADS_JWT_SECRET": jwtSecret, "LEADS_DATABASE_URL": u.String(), "LEADS_DATABASE_DIRECT_URL": direct.String(),
		"LEADS_SMTP_URL": "smtp://mailer:hunter2-smtp@127.0.0.1:1", "LEADS_RATE_LIMIT": "off"}
	s := startServe(t, env, "--addr", "127.0.0.1:0")

	admin, err := auth.Mint([]byte(jwtSecret), auth.Principal{UserID: "adm-1", Role: auth.RoleAdmin}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	student, err := auth.Mint([]byte(jwtSecret), auth.Principal{UserID: "stu-1", Role: auth.RoleStudent, Name: ptrTo("Ada Obi"),
		Email: ptrTo("ada@example.com")}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, admin, student, strings.Split(admin, ".")[2])
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"PUT", "/webhooks/hook-1", admin, `{"url":"https://hooks.example.org/x","events":["lead.created"],"secret":"` + hookSecret + `"}`, http.StatusCreated},
		{"POST", "/leads/save-from-onboarding", student, `{"profile":{"studentAddress":"1 Road"},"step":1}`, http.StatusCreated},
		{"GET", "/leads/me", "hunter2-not-a-token", "", http.StatusUnauthorized},
		{"GET", "/leads/me", student + "x", "", http.StatusUnauthorized},
		{"GET", "/leads?q=x", student, "", http.StatusForbidden},
	} {
		if code, _ := call(t, http.DefaultClient, c.method, s.base+c.path, c.token, c.body); code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	out := s.stdout.String() + s.stderr.String()
	if !strings.Contains(out, "xxxxx") {
		t.Errorf("the start line should show the masked settings:\n%s", out)
	}
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the output holds a secret (%.12s…):\n%s", secret, out)
		}
	}

	// A database that does not answer: the error names it without its password.
	env["LEADS_DATABASE_URL"] = "postgres://postgres:hunter2-user@127.0.0.1:1/test?password=hunter2-query&sslmode=disable&connect_timeout=2"
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, envFrom(env), &stdout, &stderr)
	if err == nil {
		t.Fatal("serve on a database that does not answer succeeded")
	}
	all := err.Error() + stdout.String() + stderr.String()
	t.Logf("the open error: %v", err)
	if strings.Contains(all, "hunter2") {
		t.Errorf("the open error holds a password:\n%s", all)
	}
	if !strings.Contains(all, "127.0.0.1:1") {
		t.Errorf("the open error should still say which database: %s", all)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestUsageNeverPrintsSecrets: usage text (a bad flag, -h, migrate without
// an action) shows the database URLs' defaults, read from the environment,
// with their passwords masked.
func TestUsageNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"LEADS_DATABASE_URL":        "postgres://leads:hunter2-url@db/leads?password=hunter2-query",
		"LEADS_DATABASE_DIRECT_URL": "postgres://leads:hunter2-direct@db:5433/leads",
		"LEADS_JWT_SECRET":          "hunter2-jwt", "LEADS_SMTP_URL": "smtp://mailer:hunter2-smtp@mail:587",
	}
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "-h"},
		{"serve", "-h"},
		{"serve", "--no-such-flag"},
		{"token", "-h"},
	} {
		var stdout, stderr syncBuffer
		err := run(context.Background(), args, envFrom(env), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if err == nil {
			t.Errorf("%v: no error", args)
		}
		if strings.Contains(out, "hunter2") || (err != nil && strings.Contains(err.Error(), "hunter2")) {
			t.Errorf("%v printed a secret:\n%s", args, out)
		}
		if args[0] != "token" && !strings.Contains(out, "database-url") {
			t.Errorf("%v: no usage printed:\n%s", args, out)
		}
	}
}
