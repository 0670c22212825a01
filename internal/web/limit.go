package web

import (
	"hash/maphash"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/leads/leads/internal/leads"
)

// Rate limits (contract §10): a token bucket per signed-in user, and per
// client address for requests without a valid token. The defaults (10 a
// second after a burst of 30) are never met by a person, nor by several of
// their tabs; a flood from one caller is refused with 429 while everyone else
// is served.

// RateLimit is how fast one caller may go: Rate requests a second after a
// burst of Burst. The zero value is off.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Off reports whether there is no limit.
func (l RateLimit) Off() bool { return l.Rate <= 0 || l.Burst <= 0 }

// ParseRateLimit reads LEADS_RATE_LIMIT: "off", or "RATE/s,BURST" such as
// "10/s,30".
func ParseRateLimit(s string) (RateLimit, bool) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return RateLimit{}, true
	}
	r, b, ok := strings.Cut(s, ",")
	r, per := strings.CutSuffix(strings.TrimSpace(r), "/s")
	rt, err1 := strconv.ParseFloat(strings.TrimSpace(r), 64)
	burst, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || !per || err1 != nil || err2 != nil || rt <= 0 || burst < 1 || math.IsInf(rt, 0) || math.IsNaN(rt) {
		return RateLimit{}, false
	}
	return RateLimit{Rate: rt, Burst: burst}, true
}

// limiters holds a token bucket per caller, in shards so that callers do not
// queue on one lock. A bucket idle long enough to have filled up again is the
// same as a new one, so each shard drops those now and then: memory follows
// the callers of the last few seconds, not all callers ever, and a hard cap
// per shard bounds it even then.
type limiters struct {
	limit  RateLimit
	seed   maphash.Seed
	shards [64]limiterShard
	// maxPerShard bounds a shard even when every bucket is busy.
	maxPerShard int
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the limiters' memory (some 200 bytes a bucket): more
// callers than this within a few seconds is an attack from many addresses,
// which per-caller limits cannot stop anyway.
const maxBuckets = 64 * 1024

func newLimiters(l RateLimit) *limiters {
	ls := &limiters{limit: l, seed: maphash.MakeSeed()}
	ls.maxPerShard = maxBuckets / len(ls.shards)
	for i := range ls.shards {
		ls.shards[i].buckets = map[string]*bucket{}
	}
	return ls
}

// refill is how long an idle bucket takes to fill up.
func (ls *limiters) refill() time.Duration {
	return time.Duration(float64(ls.limit.Burst) / ls.limit.Rate * float64(time.Second))
}

// allow takes a token of key's bucket at now; when there is none it says how
// long until there is.
func (ls *limiters) allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	sh := &ls.shards[maphash.String(ls.seed, key)%uint64(len(ls.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[key]
	if b == nil {
		// A sweep walks the shard: at most once per refill period (and
		// second), so its cost is spread over the callers it serves.
		if now.Sub(sh.swept) >= max(ls.refill(), time.Second) {
			sh.sweep(now, ls.refill())
		}
		if len(sh.buckets) >= ls.maxPerShard {
			// Every bucket is busy: make room with an arbitrary one.
			for k := range sh.buckets {
				delete(sh.buckets, k)
				break
			}
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(ls.limit.Rate), ls.limit.Burst)}
		sh.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the buckets idle long enough to be full again.
func (sh *limiterShard) sweep(now time.Time, refill time.Duration) {
	for k, b := range sh.buckets {
		if now.Sub(b.seen) >= refill {
			delete(sh.buckets, k)
		}
	}
	sh.swept = now
}

// size is the number of buckets held.
func (ls *limiters) size() int {
	n := 0
	for i := range ls.shards {
		ls.shards[i].mu.Lock()
		n += len(ls.shards[i].buckets)
		ls.shards[i].mu.Unlock()
	}
	return n
}

// errTooMany answers a caller over the limit.
func errTooMany(retryAfter time.Duration) *leads.Error {
	return &leads.Error{Code: leads.CodeTooMany, Message: "Too many requests: slow down and try again shortly",
		RetryAfter: int(math.Ceil(retryAfter.Seconds()))}
}

// rateLimit refuses a caller over the limit with 429 and Retry-After. The
// caller is the token's subject when the request carries a valid token, else
// the client's address. The health checks are not limited.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limits == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		key := "addr:" + s.clientAddr(r)
		if p, err := s.authenticate(r); err == nil {
			key = "user:" + p.UserID
		}
		if ok, after := s.limits.allow(key, time.Now()); !ok {
			s.refuse(w, r, errTooMany(after))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the address of the client: the TCP peer's, unless the peer
// is a trusted proxy, then the right-most X-Forwarded-For entry that is not a
// trusted proxy.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trustedProxy(addr) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return host // a forged or broken chain: the proxy is the client we know
		}
		if !s.trustedProxy(a) {
			return a.String()
		}
	}
	return host
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
