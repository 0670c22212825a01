package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/web"
)

const testSecret = "cmd-test-secret-0123456789abcdef"

// syncBuffer is an io.Writer safe for a running command and a polling test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// server is a running `leads serve`.
type server struct {
	base           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServe runs `leads serve args…` and waits until it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve"}, args...), envFrom(env), s.stdout, s.stderr)
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.After(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve exited before listening: %v\nstderr:\n%s", err, s.stderr.String())
		case <-deadline:
			t.Fatalf("serve did not listen within 60s\nstderr:\n%s", s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop cancels the server (as SIGTERM does) and returns run's result; it is
// safe to call more than once.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s")
		return nil
	}
}

// call sends a request and decodes a JSON answer (nil when there is none).
func call(t *testing.T, client *http.Client, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode, out
}

func mint(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := auth.Mint([]byte(testSecret), p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sqliteURL(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "leads.db")
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, envFrom(nil), &stdout, &stderr)
			if !errors.Is(err, errUsage) {
				t.Fatalf("run = %v, want errUsage", err)
			}
			if !strings.Contains(stderr.String(), "leads serve") {
				t.Errorf("stderr does not show the usage: %q", stderr.String())
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		want  Config
	}{
		{"defaults", nil, nil, Config{Addr: defaultAddr, DatabaseURL: defaultDatabaseURL, ContactWithin: 24 * time.Hour, NudgeAfter: 72 * time.Hour, NudgeMax: 2, RateLimit: defaultRateLimit}},
		{"environment",
			map[string]string{"LEADS_ADDR": ":9000", "LEADS_DATABASE_URL": "postgres://u:p@db/leads", "LEADS_JWT_SECRET": "s1",
				"LEADS_JWKS_URL": "https://idp/jwks", "LEADS_CONTACT_WITHIN": "4h", "LEADS_SMTP_URL": "smtp://u:pw@mail:587",
				"LEADS_MAIL_FROM": "desk@example.org", "LEADS_NOTIFY_EMAIL": "team@example.org", "LEADS_PUBLIC_URL": "https://leads.example.org",
				"LEADS_NUDGE_AFTER": "48h", "LEADS_NUDGE_MAX": "3", "LEADS_WEBHOOK_ALLOW_PRIVATE": "true",
				"LEADS_TRUSTED_ORIGINS": "https://desk.example.org", "LEADS_RATE_LIMIT": "off", "LEADS_TRUSTED_PROXIES": "10.0.0.0/8",
				"LEADS_DB_MAX_CONNS": "24", "LEADS_DATABASE_DIRECT_URL": "postgres://u:p@db:5433/leads"},
			nil,
			Config{Addr: ":9000", DatabaseURL: "postgres://u:p@db/leads", DirectURL: "postgres://u:p@db:5433/leads", JWTSecret: "s1", JWKSURL: "https://idp/jwks", ContactWithin: 4 * time.Hour,
				SMTPURL: "smtp://u:pw@mail:587", MailFrom: "desk@example.org", NotifyEmail: "team@example.org", PublicURL: "https://leads.example.org",
				NudgeAfter: 48 * time.Hour, NudgeMax: 3, AllowPrivate: true, TrustedOrigins: "https://desk.example.org",
				TrustedProxies: "10.0.0.0/8", DBMaxConns: 24}},
		{"flags override the environment",
			map[string]string{"LEADS_ADDR": ":9000", "LEADS_DATABASE_URL": "sqlite:a.db", "LEADS_JWT_SECRET": "s1", "LEADS_CONTACT_WITHIN": "4h"},
			[]string{"--addr", "127.0.0.1:0", "--database-url", "sqlite:b.db", "--jwt-secret", "s2", "--jwks-url", "http://x/jwks",
				"--no-migrate", "--demo", "--contact-within", "90m", "--rate-limit", "2.5/s,5", "--db-max-conns", "6",
				"--database-direct-url", "postgres://db2/leads"},
			Config{Addr: "127.0.0.1:0", DatabaseURL: "sqlite:b.db", DirectURL: "postgres://db2/leads", JWTSecret: "s2", JWKSURL: "http://x/jwks", NoMigrate: true, Demo: true,
				ContactWithin: 90 * time.Minute, NudgeAfter: 72 * time.Hour, NudgeMax: 2, RateLimit: web.RateLimit{Rate: 2.5, Burst: 5}, DBMaxConns: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configFromEnv(envFrom(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			cfg.bindFlags(fs, flagAddr|flagDatabaseURL|flagJWTSecret|flagJWKSURL|flagServe)
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			if cfg != tt.want {
				t.Errorf("config = %#v, want %#v", cfg, tt.want)
			}
			for _, secret := range []string{cfg.JWTSecret, ":p@", ":pw@"} {
				if secret != "" && strings.Contains(cfg.String(), secret) {
					t.Errorf("String() shows a secret: %s", cfg.String())
				}
			}
		})
	}
}

func TestConfigRefusesBadValues(t *testing.T) {
	for name, values := range map[string][]string{
		"LEADS_CONTACT_WITHIN":        {"soon", "-1h", "0"},
		"LEADS_NUDGE_AFTER":           {"later"},
		"LEADS_NUDGE_MAX":             {"-1", "two"},
		"LEADS_DB_MAX_CONNS":          {"0", "-3", "many"},
		"LEADS_WEBHOOK_ALLOW_PRIVATE": {"maybe"},
		"LEADS_RATE_LIMIT":            {"10", "10/s", "fast", "0/s,30", "10/s,0", "-1/s,5", "NaN/s,3", "10/m,30"},
	} {
		for _, v := range values {
			if _, err := configFromEnv(envFrom(map[string]string{name: v})); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v, want an error naming it", name, v, err)
			}
		}
	}
}

func TestWithPoolSize(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@db/leads":                             "postgres://u@db/leads?pool_max_conns=12",
		"postgres://u@db/leads?sslmode=disable":             "postgres://u@db/leads?pool_max_conns=12&sslmode=disable",
		"postgres://u@db/leads?pool_max_conns=4&x=1":        "postgres://u@db/leads?pool_max_conns=12&x=1",
		"postgresql://u:p%40ss@db:5433/leads?search_path=a": "postgresql://u:p%40ss@db:5433/leads?pool_max_conns=12&search_path=a",
	} {
		if got, err := withPoolSize(in, 12); err != nil || got != want {
			t.Errorf("withPoolSize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db/leads":                    "postgres://u:xxxxx@db/leads",
		"postgres://u@db/leads?password=secret&sslmode=x": "postgres://u@db/leads?password=xxxxx&sslmode=x",
		"smtps://mail:hush@smtp.example.org:465":          "smtps://mail:xxxxx@smtp.example.org:465",
		"sqlite:leads.db":                                 "sqlite:leads.db",
		"postgres://u:secret@db:port/leads":               "(a URL that does not parse)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBrowsable(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"[::]:8080", "127.0.0.1:8080"},
		{"0.0.0.0:9000", "127.0.0.1:9000"},
		{":8080", "127.0.0.1:8080"},
		{"localhost:8080", "localhost:8080"},
		{"[::1]:8080", "[::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := browsable(tt.addr); got != tt.want {
				t.Errorf("browsable(%q) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		secret  string // the secret the token must verify with
		ttl     time.Duration
		want    auth.Principal
		wantErr string
	}{
		{name: "student by default", env: map[string]string{"LEADS_JWT_SECRET": testSecret},
			args: []string{"--sub", "u1"}, secret: testSecret, ttl: time.Hour,
			want: auth.Principal{UserID: "u1", Role: auth.RoleStudent}},
		{name: "staff with profile claims", env: map[string]string{"LEADS_JWT_SECRET": testSecret},
			args:   []string{"--sub", "s1", "--role", "staff", "--name", "Ngozi Okafor", "--email", "ngozi@example.com", "--phone", "08021234567", "--ttl", "90m"},
			secret: testSecret, ttl: 90 * time.Minute,
			want: auth.Principal{UserID: "s1", Role: auth.RoleStaff, Name: ptr("Ngozi Okafor"), Email: ptr("ngozi@example.com"), Phone: ptr("08021234567")}},
		{name: "flag secret overrides the environment", env: map[string]string{"LEADS_JWT_SECRET": "env-secret"},
			args: []string{"--sub", "a1", "--role", "admin", "--jwt-secret", "flag-secret"}, secret: "flag-secret", ttl: time.Hour,
			want: auth.Principal{UserID: "a1", Role: auth.RoleAdmin}},
		{name: "no secret", args: []string{"--sub", "u1"}, wantErr: "LEADS_JWT_SECRET"},
		{name: "no sub", env: map[string]string{"LEADS_JWT_SECRET": testSecret}, args: []string{"--role", "staff"}, wantErr: "--sub"},
		{name: "unknown role", env: map[string]string{"LEADS_JWT_SECRET": testSecret}, args: []string{"--sub", "u1", "--role", "root"}, wantErr: "role"},
		{name: "negative ttl", env: map[string]string{"LEADS_JWT_SECRET": testSecret}, args: []string{"--sub", "u1", "--ttl", "-1h"}, wantErr: "ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			before := time.Now()
			err := run(context.Background(), append([]string{"token"}, tt.args...), envFrom(tt.env), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run = %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v (stderr %q)", err, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			tok := lines[len(lines)-1]
			got, err := auth.NewVerifier([]byte(tt.secret)).Verify(tok)
			if err != nil {
				t.Fatalf("the printed token does not verify: %v", err)
			}
			if got.UserID != tt.want.UserID || got.Role != tt.want.Role ||
				fmt.Sprint(deref(got.Name), deref(got.Email), deref(got.Phone)) != fmt.Sprint(deref(tt.want.Name), deref(tt.want.Email), deref(tt.want.Phone)) {
				t.Errorf("principal = %+v, want %+v", got, tt.want)
			}
			var rc jwt.RegisteredClaims
			if _, _, err := jwt.NewParser().ParseUnverified(tok, &rc); err != nil {
				t.Fatal(err)
			}
			if exp := rc.ExpiresAt.Time; exp.Before(before.Add(tt.ttl).Add(-time.Second)) || exp.After(time.Now().Add(tt.ttl).Add(time.Second)) {
				t.Errorf("exp = %v, want about now + %v", exp, tt.ttl)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestServeHealthz(t *testing.T) {
	t.Parallel()
	s := startServe(t, map[string]string{"LEADS_JWT_SECRET": testSecret},
		"--addr", "127.0.0.1:0", "--database-url", sqliteURL(t))
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := call(t, http.DefaultClient, "GET", s.base+path, "", ""); code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("serve after cancel = %v, want nil", err)
	}
	if _, err := http.Get(s.base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestServeRefusesWithoutVerification(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "leads.db")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", "sqlite:" + path}, envFrom(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "LEADS_JWT_SECRET") {
		t.Fatalf("serve without a secret = %v, want an error naming LEADS_JWT_SECRET", err)
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Errorf("serve listened without a secret: %q", stdout.String())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve without a secret touched the database (stat: %v)", err)
	}
}

// TestServeKeepsAcknowledgedSaves stops the server while saves are in flight:
// every save answered 2xx must be there after a restart on the same file.
func TestServeKeepsAcknowledgedSaves(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LEADS_JWT_SECRET": testSecret}
	dbURL := sqliteURL(t)
	s := startServe(t, env, "--addr", "127.0.0.1:0", "--database-url", dbURL)

	const users = 30
	type ack struct {
		token, address string
	}
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	firstAcks := make(chan struct{}, users)
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range users {
		token := mint(t, auth.Principal{UserID: fmt.Sprintf("user-%02d", i), Role: auth.RoleStudent,
			Name: ptr(fmt.Sprintf("Student %02d", i)), Email: ptr(fmt.Sprintf("student%02d@example.com", i))})
		wg.Add(1)
		go func() {
			defer wg.Done()
			address := fmt.Sprintf("%d Broad Street, Lagos Island", i+1)
			body := fmt.Sprintf(`{"profile":{"studentAddress":%q},"step":1}`, address)
			req, _ := http.NewRequest("POST", s.base+"/leads/save-from-onboarding", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return // refused after shutdown began: never acknowledged
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				mu.Lock()
				acked = append(acked, ack{token, address})
				mu.Unlock()
				firstAcks <- struct{}{}
			}
		}()
	}
	select {
	case <-firstAcks:
	case <-time.After(30 * time.Second):
		t.Fatalf("no save was acknowledged\nstderr:\n%s", s.stderr.String())
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	wg.Wait()

	s2 := startServe(t, env, "--addr", "127.0.0.1:0", "--database-url", dbURL)
	t.Logf("%d of %d saves acknowledged before shutdown", len(acked), users)
	for _, a := range acked {
		code, body := call(t, client, "GET", s2.base+"/leads/me", a.token, "")
		if code != http.StatusOK {
			t.Fatalf("GET /leads/me = %d %v", code, body)
		}
		lead, _ := body["data"].(map[string]any)
		if lead == nil || lead["studentAddress"] != a.address {
			t.Errorf("acknowledged save lost after restart: got %v, want studentAddress %q", body["data"], a.address)
		}
	}
}

// TestServeJWKS runs the service with only a JWKS URL: an RS256 token from the
// set is accepted, an HS256 token is not.
func TestServeJWKS(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: jwkset.AlgRS256}})
	if err != nil {
		t.Fatal(err)
	}
	set := jwkset.NewMemoryStorage()
	if err := set.KeyWrite(context.Background(), jwk); err != nil {
		t.Fatal(err)
	}
	raw, err := set.JSONPublic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
	}))
	defer idp.Close()

	s := startServe(t, map[string]string{"LEADS_JWKS_URL": idp.URL}, "--addr", "127.0.0.1:0", "--database-url", sqliteURL(t))
	rs := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "idp-staff", "role": "staff", "exp": time.Now().Add(time.Hour).Unix()})
	rs.Header["kid"] = "k1"
	rsToken, err := rs.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		want        int
	}{
		{"RS256 from the JWKS", rsToken, http.StatusOK},
		{"HS256 without a secret", mint(t, auth.Principal{UserID: "s", Role: auth.RoleStaff}), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := call(t, http.DefaultClient, "GET", s.base+"/leads", tt.token, ""); code != tt.want {
				t.Errorf("GET /leads = %d %v, want %d", code, body, tt.want)
			}
		})
	}
}

var bearerLineRE = regexp.MustCompile(`(?m)^\s+Authorization: Bearer (\S+)$`)

func TestServeDemo(t *testing.T) {
	t.Parallel()
	dbURL := sqliteURL(t)
	s := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--database-url", dbURL)
	out := s.stdout.String()
	for _, want := range []string{"development only", s.base + "/demo/login?as=student", s.base + "/demo/login?as=staff", "curl", "/leads/save-from-onboarding"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	m := bearerLineRE.FindAllStringSubmatch(out, -1)
	users := demoUsers()
	if len(m) != len(users) {
		t.Fatalf("demo printed %d Authorization lines, want %d:\n%s", len(m), len(users), out)
	}
	tokens := map[auth.Role]string{}
	for i, d := range users {
		tokens[d.role] = m[i][1]
	}
	student := users[0].user
	noRedirect := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("student saves", func(t *testing.T) {
		code, body := call(t, noRedirect, "POST", s.base+"/leads/save-from-onboarding", tokens[auth.RoleStudent], demoSaveBody)
		if code != http.StatusCreated {
			t.Fatalf("save = %d %v, want 201", code, body)
		}
		lead, _ := body["data"].(map[string]any)
		for k, want := range map[string]any{"userId": student.ID, "fullName": student.FullName, "centerId": "abuja-center", "centerName": "Abuja Center"} {
			if lead[k] != want {
				t.Errorf("lead.%s = %v, want %v", k, lead[k], want)
			}
		}
	})
	tests := []struct {
		name, path string
		role       auth.Role
		want       int
	}{
		{"staff lists leads", "/leads", auth.RoleStaff, http.StatusOK},
		{"admin lists leads", "/leads", auth.RoleAdmin, http.StatusOK},
		{"student may not list leads", "/leads", auth.RoleStudent, http.StatusForbidden},
		{"student reads own lead", "/leads/me", auth.RoleStudent, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := call(t, noRedirect, "GET", s.base+tt.path, tokens[tt.role], ""); code != tt.want {
				t.Errorf("GET %s as %s = %d %v, want %d", tt.path, tt.role, code, body, tt.want)
			}
		})
	}
	t.Run("demo login links", func(t *testing.T) {
		for _, as := range []string{"student", "staff"} {
			req, _ := http.NewRequest("GET", s.base+"/demo/login?as="+as, nil)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 {
				t.Errorf("GET /demo/login?as=%s = %d", as, resp.StatusCode)
			}
		}
	})
	if err := s.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A second start seeds again without error or duplicates and keeps the lead.
	s2 := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--database-url", dbURL)
	cat := demoCatalogue()
	for _, c := range []struct {
		path string
		want int
	}{{"/locations", len(cat.locations)}, {"/centers", len(cat.centers)}, {"/courses", len(cat.courses)}} {
		code, body := call(t, noRedirect, "GET", s2.base+c.path, "", "")
		list, _ := body["data"].([]any)
		if code != http.StatusOK || len(list) != c.want {
			t.Errorf("after a second demo start GET %s = %d with %d items, want 200 with %d", c.path, code, len(list), c.want)
		}
	}
	code, body := call(t, noRedirect, "GET", s2.base+"/leads/me", tokens[auth.RoleStudent], "")
	if lead, _ := body["data"].(map[string]any); code != http.StatusOK || lead == nil || lead["userId"] != student.ID {
		t.Errorf("after restart GET /leads/me = %d %v, want the demo student's lead", code, body)
	}
	if err := s2.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// --reset starts the demo afresh: the catalogue is back, the lead is gone.
	s3 := startServe(t, nil, "--demo", "--reset", "--addr", "127.0.0.1:0", "--database-url", dbURL)
	if code, body := call(t, noRedirect, "GET", s3.base+"/locations", "", ""); code != http.StatusOK || len(body["data"].([]any)) != len(cat.locations) {
		t.Errorf("after --reset GET /locations = %d %v, want the catalogue", code, body)
	}
	code, body = call(t, noRedirect, "GET", s3.base+"/leads/me", tokens[auth.RoleStudent], "")
	if code != http.StatusOK || body["data"] != nil {
		t.Errorf("after --reset GET /leads/me = %d %v, want no lead", code, body)
	}
}

func TestResetRefusesAllButTheDemosSQLite(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--reset", "--database-url", sqliteURL(t)},                    // not a demo
		{"--demo", "--reset", "--database-url", "postgres://db/leads"}, // not SQLite
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), append([]string{"serve", "--addr", "127.0.0.1:0", "--jwt-secret", "s"}, args...), envFrom(nil), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "--reset") {
			t.Errorf("serve %v = %v, want a refusal naming --reset", args, err)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dbURL := sqliteURL(t)
	migrate := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"migrate"}, args...), envFrom(map[string]string{"LEADS_DATABASE_URL": dbURL}), &stdout, &stderr)
		return stdout.String(), err
	}
	steps := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"status of an empty database", []string{"status"}, ""},
		{"up", []string{"up"}, ""},
		{"status after up", []string{"status"}, ""},
		{"up again is a no-op", []string{"up"}, ""},
		{"down", []string{"down"}, ""},
		{"status after down, flags after the action", []string{"status", "--database-url", dbURL}, ""},
		{"no action", nil, "missing action"},
		{"unknown action", []string{"sideways"}, "unknown action"},
		{"unsupported scheme", []string{"--database-url", "mysql://localhost/leads", "up"}, "unsupported"},
		{"a direct URL beside SQLite", []string{"--database-direct-url", "postgres://localhost/leads", "up"}, "both URLs must be postgres"},
	}
	outputs := map[string]string{}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, err := migrate(st.args...)
			if st.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("migrate %v = %v, want an error mentioning %q", st.args, err, st.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("migrate %v: %v", st.args, err)
			}
			if strings.TrimSpace(out) == "" {
				t.Errorf("migrate %v printed no status", st.args)
			}
			outputs[st.name] = out
		})
	}
	if outputs["status after up"] == outputs["status of an empty database"] {
		t.Errorf("status did not change after up:\n%s", outputs["status after up"])
	}
	if outputs["up again is a no-op"] != outputs["status after up"] {
		t.Errorf("a second up changed the status:\n%s\nvs\n%s", outputs["up again is a no-op"], outputs["status after up"])
	}
	if outputs["status after down, flags after the action"] == outputs["status after up"] {
		t.Errorf("status did not change after down:\n%s", outputs["status after down, flags after the action"])
	}
}
