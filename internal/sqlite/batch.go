package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Group commit. With synchronous=FULL every COMMIT costs an fsync, and with one
// writer connection the fsyncs queue up: concurrent writes were capped by the
// disk, not by SQLite. So every write goes to one goroutine that runs whatever
// writes are waiting in a single transaction and fsyncs once for all of them. A
// write is still acknowledged only after the COMMIT that holds it returned.

// maxBatch bounds a batch so it holds the writer for milliseconds at most and
// migrations, which queue for the same connection, keep getting turns.
const maxBatch = 128

// errClosed answers a write that arrives once Close has begun.
var errClosed = errors.New("sqlite: store closed")

// writeReq is one write handed to the batcher.
type writeReq struct {
	ctx   context.Context // the caller's; only checked before the write starts
	run   func(ctx context.Context, tx *sql.Tx) error
	reply chan error // buffered, so the batcher never waits for a caller
}

// write runs fn in the batcher's next transaction, inside a savepoint of its
// own so that fn is atomic, and returns once that transaction committed: fn's
// error, or the transaction's if it failed as a whole. fn gets the batcher's
// context, not ctx (see commitBatch), and must not call write.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	r := writeReq{ctx: ctx, run: fn, reply: make(chan error, 1)}
	// The channel is unbuffered: a write is either taken by the batcher, which
	// always answers it, or still ours to give up when Close or ctx ends.
	select {
	case s.writes <- r:
	case <-s.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Wait for the answer even if ctx ends now: the write may already be in the
	// open transaction, and only the batcher knows whether it committed.
	return <-r.reply
}

// batcher runs writes until Close. It takes one write, adds every other write
// already waiting, and commits them together. It never waits for more to come,
// so a lone write is committed at once and latency under low load is unchanged.
func (s *Store) batcher() {
	batch := make([]writeReq, 0, maxBatch)
	for {
		// quit first, so a steady stream of writes cannot hold Close up.
		select {
		case <-s.quit:
			return
		default:
		}
		select {
		case <-s.quit:
			return
		case r := <-s.writes:
			batch = append(batch[:0], r)
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
		clear(batch) // drop the callers' contexts and closures
	}
}

// commitBatch runs the writes in one transaction, each inside its own savepoint
// so that a failing write is undone alone and never fails its neighbours, and
// answers them after COMMIT. If the transaction itself fails nothing of it is
// stored, so every write of the batch gets that error.
func (s *Store) commitBatch(batch []writeReq) {
	// Not the callers' contexts: cancelling a running statement interrupts the
	// connection, and SQLite answers an interrupted write by rolling back the
	// whole transaction, that is everyone's writes.
	ctx := context.Background()
	errs := make([]error, len(batch))
	err := runBatch(ctx, s.writer, batch, errs)
	if err == nil {
		select {
		case s.wakeCheckpoint <- struct{}{}:
		default: // it is awake already
		}
	}
	for i, r := range batch {
		if err != nil {
			errs[i] = err
		}
		r.reply <- errs[i]
	}
}

// runBatch runs the batch in one write transaction (BEGIN IMMEDIATE), putting
// each write's own error into errs, and commits. It returns an error only when
// the transaction failed as a whole.
func runBatch(ctx context.Context, db *sql.DB, batch []writeReq, errs []error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // does nothing after Commit
	for i, r := range batch {
		if errs[i] = r.ctx.Err(); errs[i] != nil {
			continue // not started, so not applied: the caller gave up while queued
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			return err
		}
		if errs[i] = r.run(ctx, tx); errs[i] != nil {
			// Fails too if SQLite already rolled the transaction back (disk
			// full, I/O error): then the whole batch fails, as it must.
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// checkpointer copies the write-ahead log into the database file after
// commits, at most every checkpointPause, until Close. PASSIVE never waits
// for the writer or a reader: it copies what it can, and a checkpoint it
// could not run (another was running) is tried at the next wake. An error
// is not the writes' (they are durable in the log already); the writer's
// own checkpoint at walBackstop pages stays as the backstop.
func (s *Store) checkpointer() {
	for {
		select {
		case <-s.quit:
			return
		case <-s.wakeCheckpoint:
		}
		s.checkpoints.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-s.quit:
			return
		case <-time.After(checkpointPause):
		}
	}
}
