package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/testdb"
)

// /readyz follows the database: 503 while PostgreSQL cannot be reached, 200
// again once it can, without restarting the service. The database is cut off
// by a TCP relay between the pool and the server, so the shared test server
// keeps running for the other tests.
func TestReadyzRecoversWithoutRestart(t *testing.T) {
	u, err := url.Parse(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	relay := startRelay(t, "127.0.0.1:0", u.Host)
	u.Host = relay.addr
	st, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open through the relay: %v", err)
	}
	defer st.Close()
	h := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret)}).Handler()
	readyz := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	// eventually polls: a pool notices a dead or revived server on its next use.
	eventually := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got := readyz(); got != want; got = readyz() {
			if time.Now().After(deadline) {
				t.Fatalf("readyz = %d, want %d", got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	eventually(http.StatusOK)
	relay.stop()
	eventually(http.StatusServiceUnavailable)
	startRelay(t, relay.addr, relay.target) // the database is back, at the same address
	eventually(http.StatusOK)
}

// relay forwards TCP connections from addr to target until stopped.
type relay struct {
	addr, target string
	ln           net.Listener
	mu           sync.Mutex
	conns        []net.Conn
}

func startRelay(t *testing.T, addr, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("relay listen: %v", err)
	}
	r := &relay{addr: ln.Addr().String(), target: target, ln: ln}
	t.Cleanup(r.stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, d)
			r.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
	return r
}

// stop refuses new connections and cuts the open ones, as a database that
// went away would.
func (r *relay) stop() {
	r.ln.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}
