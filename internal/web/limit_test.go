package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want RateLimit
		ok   bool
	}{
		{"10/s,30", RateLimit{Rate: 10, Burst: 30}, true},
		{" 2.5/s , 5 ", RateLimit{Rate: 2.5, Burst: 5}, true},
		{"off", RateLimit{}, true},
		{"10", RateLimit{}, false},
		{"10/s", RateLimit{}, false},
		{"10/m,30", RateLimit{}, false},
		{"0/s,30", RateLimit{}, false},
		{"10/s,0", RateLimit{}, false},
		{"NaN/s,3", RateLimit{}, false},
		{"Inf/s,3", RateLimit{}, false},
	} {
		got, ok := ParseRateLimit(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRateLimit(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// A flood by one user is refused with 429, Retry-After and the error shape,
// while another user, and the same user's neighbours by address, are served;
// callers without a valid token are limited by address; the health checks
// are not limited.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e = newEnvWith(t, Config{Store: e.store, RateLimit: RateLimit{Rate: 0.5, Burst: 5}})
		flooder, other := e.token("stu-1", auth.RoleStudent), e.token("stu-2", auth.RoleStudent)
		for i := range 5 {
			if res := e.do(request{method: "GET", path: "/leads/me", token: flooder}); res.status == http.StatusTooManyRequests {
				t.Fatalf("request %d of a burst of 5 refused", i+1)
			}
		}
		res := e.run(t, scenario{name: "over the burst", req: request{method: "GET", path: "/leads/me", token: flooder},
			status: http.StatusTooManyRequests, want: []string{`"success":false`, `"statusCode":429`, `"error":"Too Many Requests"`}})
		if after, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || after < 1 || after > 2 {
			t.Errorf("Retry-After = %q, want the 1–2 s until the next token", res.header.Get("Retry-After"))
		}
		// The same user from elsewhere is the same caller; the cookie too.
		e.run(t, scenario{name: "same user, other address", req: request{method: "GET", path: "/leads/me", token: flooder, remoteAddr: "198.51.100.7:5555"},
			status: http.StatusTooManyRequests})
		e.run(t, scenario{name: "frontend route, frontend shape", req: request{method: "POST", path: "/api/onboarding/save-lead", cookie: flooder, body: `{}`},
			status: http.StatusTooManyRequests, want: []string{`{"error":"Too many requests`}})
		// Another user, from the same address, is served.
		for i := range 5 {
			if res := e.do(request{method: "GET", path: "/leads/me", token: other}); res.status == http.StatusTooManyRequests {
				t.Fatalf("another user's request %d refused while the first floods", i+1)
			}
		}

		// Without a valid token the caller is the address; a bad token is no token.
		for i := range 5 {
			if res := e.do(request{method: "GET", path: "/courses", remoteAddr: "203.0.113.9:1000"}); res.status != http.StatusOK {
				t.Fatalf("anonymous request %d: %d", i+1, res.status)
			}
		}
		e.run(t, scenario{name: "anonymous over the burst", req: request{method: "GET", path: "/courses", token: "not-a-token", remoteAddr: "203.0.113.9:1001"},
			status: http.StatusTooManyRequests, want: []string{`"statusCode":429`}})
		e.run(t, scenario{name: "another address", req: request{method: "GET", path: "/courses", remoteAddr: "203.0.113.10:1000"}, status: http.StatusOK})
		e.run(t, scenario{name: "a valid token from the limited address", req: request{method: "GET", path: "/courses", token: e.token("stu-3", auth.RoleStudent), remoteAddr: "203.0.113.9:1002"},
			status: http.StatusOK})
		for range 10 {
			e.run(t, scenario{name: "healthz is exempt", req: request{method: "GET", path: "/healthz", remoteAddr: "203.0.113.9:1003"}, status: http.StatusOK})
		}
	})
}

// Behind a trusted proxy the client is the right-most X-Forwarded-For entry
// that is not a trusted proxy; from anyone else the header is ignored.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	s := NewServer(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	for _, tt := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9:1000", nil, "203.0.113.9"},
		{"untrusted peer's header ignored", "203.0.113.9:1000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:1000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left entries ignored", "10.1.2.3:1000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several headers", "10.1.2.3:1000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},
		{"ipv6 loopback proxy", "[::1]:1000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"garbage in the chain", "10.1.2.3:1000", []string{"198.51.100.1, nonsense"}, "10.1.2.3"},
		{"only proxies", "10.1.2.3:1000", []string{"10.0.0.1"}, "10.1.2.3"},
		{"no header from a proxy", "10.1.2.3:1000", nil, "10.1.2.3"},
	} {
		r := request{method: "GET", path: "/"}.httpRequest()
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got != tt.want {
			t.Errorf("%s: clientAddr = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The limiters' memory stays bounded: 100,000 distinct callers at one
// instant stay under the cap, and callers gone quiet are swept away.
func TestLimitersBounded(t *testing.T) {
	t.Parallel()
	ls := newLimiters(RateLimit{Rate: 10, Burst: 30}) // a bucket refills in 3 s
	now := time.Now()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 100_000 {
		if ok, _ := ls.allow(fmt.Sprintf("addr:10.%d.%d.%d", i>>16, i>>8&255, i&255), now); !ok {
			t.Fatalf("caller %d's first request refused", i)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := ls.size(); n > maxBuckets {
		t.Errorf("%d buckets after 100,000 callers at once, want at most %d", n, maxBuckets)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("the limiters hold %d MiB for 100,000 callers, want under 32", grown>>20)
	}

	// 100,000 callers arriving over 100 s, one each millisecond: only those
	// of the last few seconds are kept.
	ls = newLimiters(RateLimit{Rate: 10, Burst: 30})
	for i := range 100_000 {
		ls.allow("user:"+strconv.Itoa(i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := ls.size(); n > 7_000 {
		t.Errorf("%d buckets held for callers arriving 1,000 a second, want those of the last ~6 s (≤ 7,000)", n)
	}

	// A refused caller stays refused while it keeps flooding, even through sweeps.
	ls = newLimiters(RateLimit{Rate: 1, Burst: 1})
	ls.allow("flood", now)
	for i := 1; i < 100; i++ {
		ls.allow("other"+strconv.Itoa(i), now.Add(time.Duration(i)*10*time.Millisecond))
		if ok, _ := ls.allow("flood", now.Add(time.Duration(i)*10*time.Millisecond)); ok && i < 100 {
			t.Fatalf("the flooder got a token after %d ms, before its second", i*10)
		}
	}
}
