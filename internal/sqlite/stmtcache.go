package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	lru "github.com/hashicorp/golang-lru/v2"
	"modernc.org/sqlite"
)

// SQLite compiles each statement before it runs it, and database/sql asks
// the driver to compile the statement text of every Exec and Query anew: a
// third of a save's CPU went to compiling the same few statements again. The
// connections of the store's pools keep their compiled statements instead,
// the most recently used stmtsPerConn of them, by text: the next Exec or
// Query of the same text binds and runs the one already compiled (SQLite
// compiles it again by itself if the schema changed).

// stmtsPerConn bounds each connection's compiled statements: the service
// runs a few dozen distinct texts (a list's filters, a save's fields give
// the shapes), and each holds SQLite memory.
const stmtsPerConn = 64

// cachingConnector opens modernc's connections with a statement cache.
type cachingConnector struct{ driver.Connector }

// newCachingConnector returns the connector of dsn.
func newCachingConnector(dsn string) (cachingConnector, error) {
	c, err := sqlite.NewConnector(dsn)
	return cachingConnector{c}, err
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(innerConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a method the statement cache needs")
	}
	cc := &cachingConn{innerConn: inner}
	cc.stmts, err = lru.NewWithEvict(stmtsPerConn, func(_ string, s *cachedStmt) {
		if s.busy {
			s.evicted = true // closed when its rows are
			return
		}
		s.Close()
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return cc, nil
}

// innerConn is what database/sql uses of modernc's connection.
type innerConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection that keeps its compiled statements. Like every
// driver connection it is used by one goroutine at a time, but a query's
// rows may stay open while other statements run on it: a statement whose
// rows are open is busy, and the same text meanwhile compiles afresh.
type cachingConn struct {
	innerConn
	stmts *lru.Cache[string, *cachedStmt]
}

type cachedStmt struct {
	driver.Stmt
	busy, evicted bool
}

// release gives the statement back after a use.
func (s *cachedStmt) release() {
	s.busy = false
	if s.evicted {
		s.Close()
	}
}

// stmt returns the compiled statement of query and the function that gives
// it back.
func (c *cachingConn) stmt(ctx context.Context, query string) (driver.Stmt, func(), error) {
	cached, ok := c.stmts.Get(query)
	if ok && !cached.busy {
		cached.busy = true
		return cached.Stmt, cached.release, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		return st, func() { st.Close() }, nil // the cached one is busy: this one is for this use
	}
	s := &cachedStmt{Stmt: st, busy: true}
	c.stmts.Add(query, s)
	return st, s.release, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

// Close closes the connection's statements, then the connection.
func (c *cachingConn) Close() error {
	c.stmts.Purge()
	return c.innerConn.Close()
}

// releasingRows gives its statement back when closed, and passes on what
// the driver's rows tell about their columns.
type releasingRows struct {
	driver.Rows
	release func()
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *releasingRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *releasingRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *releasingRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *releasingRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *releasingRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
