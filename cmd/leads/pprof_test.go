package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestPprofOnLoopbackOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "example.com:6060", "127.0.0.1"} {
		if _, stop, err := servePprof(addr, log); err == nil {
			stop()
			t.Errorf("pprof on %q: served, want refused", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0"} {
		got, stop, err := servePprof(addr, log)
		if err != nil {
			if addr == "[::1]:0" && strings.Contains(err.Error(), "cannot assign") {
				continue // no IPv6 loopback on this machine
			}
			t.Fatalf("pprof on %q: %v", addr, err)
		}
		resp, err := http.Get("http://" + got + "/debug/pprof/")
		if err != nil {
			stop()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		stop()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "profile") {
			t.Errorf("pprof on %q: %d %.100s", addr, resp.StatusCode, body)
		}
	}
}
