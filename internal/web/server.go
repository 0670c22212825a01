// Package web is the HTTP face of the service: the JSON API of the contract and
// the applicant's onboarding pages, over one leads.Store.
package web

import (
	"bytes"
	"cmp"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
)

// Config is everything the server needs; cmd/leads builds it.
type Config struct {
	Store    leads.Store
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Demo, when set (leads serve --demo), enables GET /demo/login.
	Demo *Demo
	// ContactWithin is how soon a new lead should be contacted
	// (LEADS_CONTACT_WITHIN): older PENDING leads never contacted are
	// overdue. Zero means the default, 24 hours.
	ContactWithin time.Duration
	// TrustedOrigins are origins (scheme://host[:port]) besides the service's
	// own whose pages may send cookie-authenticated POST, PUT and DELETE
	// requests (LEADS_TRUSTED_ORIGINS).
	TrustedOrigins []string
	// AllowPrivateWebhooks lets webhook URLs name private addresses
	// (LEADS_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivateWebhooks bool
	// PublicURL is the service's address as its users reach it
	// (LEADS_PUBLIC_URL): the base of e-mail links.
	PublicURL string
	// Mailbox, in demo mode, holds the e-mails sent, for /demo/mailbox.
	Mailbox *notify.Mailbox
	// RateLimit limits each caller (LEADS_RATE_LIMIT); the zero value is off.
	RateLimit RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (LEADS_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// Assets are the pages' static files; nil means the embedded ones (a
	// test gives others to play a deploy).
	Assets fs.FS
}

// DefaultContactWithin is LEADS_CONTACT_WITHIN's default.
const DefaultContactWithin = 24 * time.Hour

// Demo holds what the demo sign-in needs: the secret to mint tokens with and
// the demo account for each role.
type Demo struct {
	Secret   []byte
	Accounts map[auth.Role]auth.Principal
}

// Server serves the API and the pages.
type Server struct {
	store    leads.Store
	verifier *auth.Verifier
	log      *slog.Logger
	now      func() time.Time
	demo     *Demo
	// contactWithin makes a lead overdue (Config.ContactWithin).
	contactWithin        time.Duration
	trustedOrigins       []string
	allowPrivateWebhooks bool
	mailbox              *notify.Mailbox
	publicURL            string
	limits               *limiters // nil: no rate limit
	trustedProxies       []netip.Prefix
	pages                *pages
	jsonBuffers          sync.Pool // of *bytes.Buffer, for writeJSON
}

// NewServer returns a server over cfg.
func NewServer(cfg Config) *Server {
	s := &Server{store: cfg.Store, verifier: cfg.Verifier, log: cfg.Logger, now: cfg.Now, demo: cfg.Demo,
		contactWithin: cmp.Or(cfg.ContactWithin, DefaultContactWithin), trustedOrigins: cfg.TrustedOrigins,
		allowPrivateWebhooks: cfg.AllowPrivateWebhooks, mailbox: cfg.Mailbox, publicURL: cfg.PublicURL,
		trustedProxies: cfg.TrustedProxies}
	if !cfg.RateLimit.Off() {
		s.limits = newLimiters(cfg.RateLimit)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.pages = newPages(s.log, cfg.Assets)
	s.jsonBuffers.New = func() any { return new(bytes.Buffer) }
	return s
}

// Handler returns the server's routes wrapped in its middleware, outermost
// first: request id, access log, compression, panic recovery, rate limits, cross-origin
// protection, the
// rule for text of the query, JSON 404/405; and each route checks its path
// values (guarded).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(guarded{mux, s})
	var h http.Handler = s.muxErrors(mux)
	h = s.checkQuery(h)
	h = s.crossOrigin(h)
	h = s.rateLimit(h)
	h = s.recoverPanics(h)
	h = compress(h)
	h = s.accessLog(h)
	h = withAuthMemo(h) // outside the log, whose request must be the one routed
	h = withRequestID(h)
	return h
}

// compress gzips every text answer of 1 KiB or more to a client that accepts
// it (gzhttp skips small bodies and types that are compressed already, and
// flushes as the CSV export does), at the fastest level: a list page's 16 KB
// of JSON takes 13 µs instead of the default level's 23, for a few percent
// more bytes. (Stateless compression, which keeps no tables between writes,
// was tried: in a load run's profile it took 28 % of a list page's CPU
// against 18 % at this level, and the peak RSS did not move.) No page or
// answer mixes a secret with what a visitor can inject, so compression
// cannot leak one (BREACH).
func compress(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		panic(err) // the options are constants
	}
	return wrap(h)
}
