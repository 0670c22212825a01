package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A change's transaction sends some writes late: those whose result nothing
// waits for (provisioning, a lead's insert or update, timeline entries) are
// queued, and go to PostgreSQL in one pgx batch with the transaction's next
// statement, or before its commit. Statements keep their order, so every
// read sees the writes before it; a queued write that fails fails the
// statement it went with, and the transaction rolls back. This saves a round
// trip for each queued write. BEGIN goes the same way, with the first
// statement (pgx.Batch.BeginTx): one more round trip saved.

// queued are the writes of a transaction not sent yet, with what each does,
// for errors.
type queued struct {
	batch pgx.Batch
	what  []string
}

// queue adds a write to send with the transaction's next statement.
func (t *tx) queue(what, sql string, args ...any) {
	t.pending.batch.Queue(sql, args...)
	t.pending.what = append(t.pending.what, what)
}

// db is the transaction's statements, sent after the queued writes.
func (t *tx) db() pipe { return pipe{t} }

// flush sends the queued writes, if any (and BEGIN with them if it has not
// gone yet).
func (t *tx) flush(ctx context.Context) error {
	if t.pending.batch.Len() == 0 {
		return nil
	}
	_, err := t.begun(ctx)
	return err
}

// begun returns the transaction, begun and with every queued write sent, for
// what writes on it directly (River's insert of jobs).
func (t *tx) begun(ctx context.Context) (pgx.Tx, error) {
	if t.tx != nil && t.pending.batch.Len() == 0 {
		return t.tx, nil
	}
	br, err := t.db().send(ctx, "")
	if err != nil {
		return nil, err
	}
	return t.tx, br.Close()
}

// pipe runs a statement of t after its queued writes, in one round trip.
type pipe struct{ t *tx }

// send queues sql (unless empty) after the pending writes, sends them all
// and reads the writes' results; the caller reads sql's.
func (p pipe) send(ctx context.Context, sql string, args ...any) (pgx.BatchResults, error) {
	return p.sendAll(ctx, func(b *pgx.Batch) {
		if sql != "" {
			b.Queue(sql, args...)
		}
	})
}

// sendAll is send for the statements queue adds: the caller reads their
// results, in order, and closes the batch.
func (p pipe) sendAll(ctx context.Context, queue func(b *pgx.Batch)) (pgx.BatchResults, error) {
	pending := p.t.pending
	p.t.pending = queued{}
	b, what := &pending.batch, pending.what
	queue(b)
	var br pgx.BatchResults
	if p.t.tx == nil {
		begin := &pgx.Batch{}
		begin.BeginTx(pgx.TxOptions{})
		begin.QueuedQueries = append(begin.QueuedQueries, b.QueuedQueries...)
		br = p.t.conn.SendBatch(ctx, begin)
		p.t.tx = br.Tx() // to be rolled back if what follows fails
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("postgres: begin: %w", err)
		}
	} else {
		br = p.t.tx.SendBatch(ctx, b)
	}
	for _, w := range what {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("postgres: %s: %w", w, err)
		}
	}
	return br, nil
}

func (p pipe) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if p.t.tx != nil && p.t.pending.batch.Len() == 0 {
		return p.t.tx.Exec(ctx, sql, args...)
	}
	br, err := p.send(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (p pipe) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if p.t.tx != nil && p.t.pending.batch.Len() == 0 {
		return p.t.tx.QueryRow(ctx, sql, args...)
	}
	br, err := p.send(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br.QueryRow(), br}
}

func (p pipe) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if p.t.tx != nil && p.t.pending.batch.Len() == 0 {
		return p.t.tx.Query(ctx, sql, args...)
	}
	br, err := p.send(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return batchRows{rows, br}, nil
}

// batchRow is the row of a batch's last statement; reading it closes the
// batch.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRows are the rows of a batch's last statement; closing them closes
// the batch.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

// errRow is a row whose statement could not run.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
