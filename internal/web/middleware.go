package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/leads/leads/internal/leads"
)

// requestIDKey is the context key of the request id.
type requestIDKey struct{}

// requestID returns the id the requestID middleware gave the request.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneRequestID reports whether an incoming X-Request-Id is safe to adopt: short
// and made of characters that cannot forge log lines or headers.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// withRequestID gives every request an id (a sane incoming X-Request-Id, else a
// new random one), puts it in the context and echoes it in the response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// recorder remembers the status and size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// accessLog writes one structured line per request. It logs the route pattern,
// not the path or query, so ids and personal data in URLs stay out of the log;
// it never logs headers (tokens) or bodies.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern // set by the mux on this very request
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", rec.bytes),
			slog.String("request_id", requestID(r.Context())))
	})
}

// recoverPanics turns a panic in a handler into a logged 500 in the error shape,
// so one bad request cannot take the process down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the server's own way to abort a response
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", requestID(r.Context())),
				slog.String("route", r.Pattern),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			s.writeJSON(w, http.StatusInternalServerError,
				newErrorBody(http.StatusInternalServerError, "Internal server error", nil))
		}()
		next.ServeHTTP(w, r)
	})
}

// muxErrors answers the mux's own 404 and 405 responses in the error shape.
func (s *Server) muxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&muxErrorWriter{ResponseWriter: w, s: s, r: r}, r)
	})
}

// muxErrorWriter replaces the plain-text body of a 404 or 405 written by the
// mux itself (no pattern matched) with the JSON error body. Responses of
// matched routes pass through untouched.
type muxErrorWriter struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (m *muxErrorWriter) WriteHeader(status int) {
	if m.r.Pattern == "" && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		m.replaced = true
		msg := "No such route"
		if status == http.StatusMethodNotAllowed {
			msg = "Method not allowed on this route" // the Allow header lists the methods
		}
		m.s.writeJSON(m.ResponseWriter, status, newErrorBody(status, msg, nil))
		return
	}
	m.ResponseWriter.WriteHeader(status)
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if m.replaced {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (m *muxErrorWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// errCrossOrigin answers a cookie-authenticated change sent from another site.
var errCrossOrigin = &leads.Error{Code: leads.CodeForbidden, Message: "Cross-origin request refused"}

// crossOrigin refuses a POST, PUT or DELETE that authenticates by the cookie
// and comes from another origin (403): a page elsewhere must not act with the
// visitor's session, through a form or a fetch. It is the rule of the
// standard library's http.CrossOriginProtection (Sec-Fetch-Site, else Origin
// against Host), plus the trusted origins. A request with an Authorization
// header carries its credentials itself, and a browser never adds one on
// another site's behalf, so it is not checked; nor are requests with neither
// header, such as the guide's Next.js route calling from its server.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.trustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			s.log.Error("ignoring a trusted origin", "origin", o, "error", err.Error())
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, errCrossOrigin)
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// checkQuery refuses, before routing, a query that does not parse or holds a
// value (or a name) that breaks the rule for text (leads.ValidText): 400
// naming the parameter.
func (s *Server) checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		bad := badText(q, "query")
		if err != nil {
			bad = "query"
		}
		if bad != "" {
			s.refuse(w, r, leads.Invalid(leads.FieldError{Field: bad, Message: leads.TextError}))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// badText returns the first field (by name) of query or form values whose
// value breaks the rule for text (leads.ValidText), whole when a name does,
// or "".
func badText(values url.Values, whole string) string {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !leads.ValidText(k) {
			return whole
		}
		for _, v := range values[k] {
			if !leads.ValidText(v) {
				return k
			}
		}
	}
	return ""
}

// refuse answers an error before any handler ran: in the frontend route's
// shape on its path, as a page on a page's path, else in the API's.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorResponse(r, err)
	setRetryAfter(w, status, err)
	switch {
	case r.URL.Path == frontendSavePath:
		s.writeJSON(w, status, frontendError{Error: body.Message, Errors: body.Errors})
	case pagePath(r.URL.Path):
		msg := body.Message
		for _, f := range body.Errors {
			msg += " — " + f.Field + " " + f.Message
		}
		s.pages.render(w, status, "message", pageView{Title: http.StatusText(status), Message: msg})
	default:
		s.writeJSON(w, status, body)
	}
}

// pagePath reports whether path is one of the HTML pages, whose errors are
// pages too.
func pagePath(path string) bool {
	switch path {
	case "/", "/onboarding", "/dashboard", "/offline", "/signout", "/unsubscribe", "/staff":
		return true
	}
	return strings.HasPrefix(path, "/staff/") || strings.HasPrefix(path, "/demo/")
}

// guarded wraps every handler it registers so that its path values keep the
// rule for text: 400 naming the wildcard ({id}, {userId}) otherwise.
type guarded struct {
	router
	s *Server
}

func (g guarded) Handle(pattern string, h http.Handler) {
	var names []string
	for _, part := range strings.Split(pattern, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			names = append(names, strings.TrimSuffix(strings.Trim(part, "{}"), "..."))
		}
	}
	if len(names) == 0 {
		g.router.Handle(pattern, h)
		return
	}
	g.router.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, n := range names {
			if !leads.ValidText(r.PathValue(n)) {
				g.s.refuse(w, r, leads.Invalid(leads.FieldError{Field: n, Message: leads.TextError}))
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}
