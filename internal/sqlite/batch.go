package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/leads/leads/internal/leads"
)

// Group commit. With synchronous=FULL every COMMIT costs an fsync, and with one
// writer connection the fsyncs queue up: concurrent saves were capped by the
// disk, not by SQLite. So saves go to one goroutine that runs whatever saves are
// waiting in a single transaction and fsyncs once for all of them. A save is
// still acknowledged only after the COMMIT that holds it returned.

// maxBatch bounds a batch so it holds the writer for milliseconds at most and
// the other writes, which queue for the same connection, keep getting turns.
const maxBatch = 128

// errClosed answers a save that arrives once Close has begun.
var errClosed = errors.New("sqlite: store closed")

// saveReq is one SaveFromOnboarding call handed to the batcher.
type saveReq struct {
	ctx   context.Context
	args  []any           // saveSQL's parameters
	reply chan saveResult // buffered, so the batcher never waits for a caller
}

type saveResult struct {
	lead leads.Lead
	err  error
}

// batcher runs saves until Close. It takes one save, adds every other save
// already waiting, and commits them together. It never waits for more to come,
// so a lone save is committed at once and latency under low load is unchanged.
func (s *Store) batcher() {
	defer close(s.stopped)
	batch := make([]saveReq, 0, maxBatch)
	for {
		// quit first, so a steady stream of saves cannot hold Close up.
		select {
		case <-s.quit:
			return
		default:
		}
		select {
		case <-s.quit:
			return
		case r := <-s.saves:
			batch = append(batch[:0], r)
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.saves:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
		clear(batch) // drop the callers' contexts and arguments
	}
}

// commitBatch runs the saves in one write transaction, each inside its own
// savepoint so that a failing save is undone alone and never fails its
// neighbours, and answers them after COMMIT. If the transaction itself fails
// nothing of it is stored, so every save of the batch gets that error.
func (s *Store) commitBatch(batch []saveReq) {
	// Not the callers' contexts: cancelling a running statement interrupts the
	// connection, and SQLite answers an interrupted write by rolling back the
	// whole transaction, that is everyone's saves.
	ctx := context.Background()
	results := make([]saveResult, len(batch))
	// Parsing the upsert costs more CPU than running it, so it is prepared once
	// and kept. Not in Open: the table does not exist before MigrateUp.
	if s.saveStmt == nil {
		stmt, err := s.write.PrepareContext(ctx, saveSQL)
		if err != nil {
			s.answerAll(batch, err)
			return
		}
		s.saveStmt = stmt
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt := tx.StmtContext(ctx, s.saveStmt) // the one writer connection has it prepared
		defer stmt.Close()
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				// Not started, so not applied: the caller gave up while queued.
				results[i].err = fmt.Errorf("sqlite: save lead: %w", err)
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT save`); err != nil {
				return err
			}
			results[i] = saveOne(ctx, stmt, r.args)
			if results[i].err != nil {
				// Fails too if SQLite already rolled the transaction back (disk
				// full, I/O error): then the whole batch fails, as it must.
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO save`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE save`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.answerAll(batch, err)
		return
	}
	for i, r := range batch {
		r.reply <- results[i]
	}
}

// answerAll answers every save of a batch that failed as a whole.
func (s *Store) answerAll(batch []saveReq, err error) {
	for _, r := range batch {
		r.reply <- saveResult{err: fmt.Errorf("sqlite: save lead: %w", err)}
	}
}

// saveOne runs the upsert of one save and translates its outcome.
func saveOne(ctx context.Context, stmt *sql.Stmt, args []any) saveResult {
	l, err := scanLead(stmt.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return saveResult{err: leads.ErrUserNotFound}
	}
	if err != nil {
		return saveResult{err: fmt.Errorf("sqlite: save lead: %w", err)}
	}
	return saveResult{lead: l}
}
