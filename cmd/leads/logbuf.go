package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long an info line may wait in the log's buffer.
const logFlushEvery = 100 * time.Millisecond

// bufferedLog is the writer under the service's log. A busy service writes a
// line per request, and one write(2) per line cost it 7–10 % of a get's and
// a re-save's CPU and a fifth of its re-saves a second (docs/benchmarks.md,
// "The machine's floor"). Lines gather here and are written when 64 KiB are
// waiting, every logFlushEvery, at once for a warning or an error (see
// flushOnWarn), and at Close. What a kill -9 or the OOM killer can lose is
// the last logFlushEvery of info lines, never a warning or an error.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// newBufferedLog starts a buffered log over w; Close it to stop its flushes
// and write what waits.
func newBufferedLog(w io.Writer, every time.Duration) *bufferedLog {
	b := &bufferedLog{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write adds p to the buffer, whole: slog writes a record in one call, and
// lines from concurrent requests never interleave.
func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what waits.
func (b *bufferedLog) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flushes and writes what waits.
func (b *bufferedLog) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// flushOnWarn writes a record of level Warn or above out of the buffer at
// once, so an operator sees a problem when it happens.
type flushOnWarn struct {
	slog.Handler
	log *bufferedLog
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.log.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushOnWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarn{h.Handler.WithAttrs(attrs), h.log}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{h.Handler.WithGroup(name), h.log}
}
