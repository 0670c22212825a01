package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBufferedLog: info lines wait for the next flush, a warning or an error
// goes out at once with what waited before it, Close writes the rest, and
// lines logged from many goroutines come out whole, in the order written.
func TestBufferedLog(t *testing.T) {
	var out syncBuffer
	buf := newBufferedLog(&out, time.Hour) // no periodic flush in this test
	log := slog.New(flushOnWarn{slog.NewJSONHandler(buf, nil), buf}).With("app", "leads")

	log.Info("first")
	if got := out.String(); got != "" {
		t.Fatalf("an info line was written before a flush: %q", got)
	}
	log.Warn("careful")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"msg":"first"`) || !strings.Contains(lines[1], `"msg":"careful"`) {
		t.Fatalf("after a warning: %q, want the info line then the warning", lines)
	}
	if !strings.Contains(lines[1], `"app":"leads"`) {
		t.Errorf("the warning lost the logger's attributes: %q", lines[1])
	}

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("request", "g", g, "i", i, "pad", strings.Repeat("x", 200))
			}
		})
	}
	wg.Wait()
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2+8*500 {
		t.Fatalf("%d lines after Close, want %d", len(lines), 2+8*500)
	}
	next := map[int]int{} // each goroutine's next i
	for _, l := range lines[2:] {
		var rec struct{ G, I int }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("a line came out broken: %q: %v", l, err)
		}
		if rec.I != next[rec.G] {
			t.Fatalf("goroutine %d: line %d came after %d", rec.G, rec.I, next[rec.G]-1)
		}
		next[rec.G]++
	}
}

// TestBufferedLogFlushesInTime: an info line reaches the output within a few
// flush periods, with nothing else logged after it.
func TestBufferedLogFlushesInTime(t *testing.T) {
	var out syncBuffer
	buf := newBufferedLog(&out, 10*time.Millisecond)
	defer buf.Close()
	slog.New(flushOnWarn{slog.NewJSONHandler(buf, nil), buf}).Log(context.Background(), slog.LevelInfo, "alone")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), `"msg":"alone"`) {
		if time.Now().After(deadline) {
			t.Fatal("the info line was not written within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
