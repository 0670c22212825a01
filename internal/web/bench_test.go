package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// BenchmarkRequestPaths measures the service's own cost per request on the
// paths the load runs drive, through the whole handler (token, JSON, the
// store on a real database) but without a network: ns/op is the request's
// latency with one client, cpu-µs/op the process's CPU time per request
// (processCPU), and allocs/op and B/op what the Go side allocates. The speed
// issue tracks these (docs/benchmarks.md).
//
//	go test -run XXX -bench RequestPaths -benchmem ./internal/web/
func BenchmarkRequestPaths(b *testing.B) {
	for _, eng := range engines() {
		b.Run(eng.name, func(b *testing.B) {
			st := eng.open(b)
			ctx := context.Background()
			if _, err := st.PutCenter(ctx, leads.Center{ID: "c1", Name: "Abuja Centre"}); err != nil {
				b.Fatal(err)
			}
			h := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret)}).Handler()
			mint := func(sub string, role auth.Role) string {
				name, email := "Student "+sub, sub+"@example.com"
				tok, err := auth.Mint(testSecret, auth.Principal{UserID: sub, Role: role, Name: &name, Email: &email}, time.Hour, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				return tok
			}
			send := func(method, path, token, body string) int {
				var r *http.Request
				if body != "" {
					r = httptest.NewRequest(method, "http://leads.test"+path, strings.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
				} else {
					r = httptest.NewRequest(method, "http://leads.test"+path, nil)
				}
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set("Accept-Encoding", "gzip") // as browsers and Go's client (the load runs) send
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				return rec.Code
			}
			// 200 applicants with a lead each, for the list to page through.
			for i := range 200 {
				if code := send("POST", "/leads/save-from-onboarding", mint(fmt.Sprintf("seed-%d", i), auth.RoleStudent),
					`{"selectedCenter":{"id":"c1"},"step":1}`); code != http.StatusCreated {
					b.Fatalf("seed save: %d", code)
				}
			}
			student, staff := mint("bench-student", auth.RoleStudent), mint("bench-staff", auth.RoleStaff)
			if code := send("POST", "/leads/save-from-onboarding", student, `{"selectedCenter":{"id":"c1"},"step":2}`); code != http.StatusCreated {
				b.Fatalf("first save: %d", code)
			}
			// A changed save moves the step between 2 and 3 (alt is the other
			// request's body), so each one writes the lead and its activity.
			paths := []struct {
				name, method, path, token, body string
				want                            int
				alt                             string
			}{
				{"save unchanged", "POST", "/leads/save-from-onboarding", student, `{"selectedCenter":{"id":"c1"},"step":2}`, http.StatusOK, ""},
				{"save changed", "POST", "/leads/save-from-onboarding", student, `{"selectedCenter":{"id":"c1"},"step":3}`, http.StatusOK,
					`{"selectedCenter":{"id":"c1"},"step":2}`},
				{"get own lead", "GET", "/leads/me", student, "", http.StatusOK, ""},
				{"list page 1", "GET", "/leads?page=1&limit=20", staff, "", http.StatusOK, ""},
				{"list q", "GET", "/leads?q=student&limit=20", staff, "", http.StatusOK, ""},
			}
			for _, p := range paths {
				b.Run(p.name, func(b *testing.B) {
					b.ReportAllocs()
					cpu0 := processCPU(b)
					body := p.body
					for b.Loop() {
						if code := send(p.method, p.path, p.token, body); code != p.want {
							b.Fatalf("%s %s: %d, want %d", p.method, p.path, code, p.want)
						}
						if p.alt != "" && body == p.body {
							body = p.alt
						} else {
							body = p.body
						}
					}
					b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
				})
			}
		})
	}
}

// processCPU is the CPU time this process has used, user and system: with
// PostgreSQL that is the service's own cost of a request (the database is
// another process), with SQLite the service and its database together. It
// does not depend on how long the request waited, as ns/op does.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
