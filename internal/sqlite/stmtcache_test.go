package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// TestStatementCache: one connection keeps its compiled statements, and
// stays right when a text runs again while its rows are open (it compiles
// afresh), when more texts than it keeps run (the oldest go, the busy one
// only once its rows close), and after that.
func TestStatementCache(t *testing.T) {
	c, err := newCachingConnector("file:" + filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1) // every statement on the one connection
	if _, err := db.Exec(`CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.Exec(`INSERT INTO t (v) VALUES (?1)`, i); err != nil {
			t.Fatal(err)
		}
	}
	const list = `SELECT v FROM t ORDER BY v`
	read := func(rows *sql.Rows) []int {
		t.Helper()
		var got []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []int{0, 1, 2, 3, 4}
	tx, err := db.Begin() // holds the connection, so rows and statements share it
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.Query(list)
	if err != nil {
		t.Fatal(err)
	}
	if !outer.Next() {
		t.Fatal("no first row")
	}
	inner, err := tx.Query(list) // the same text while its rows are open
	if err != nil {
		t.Fatal(err)
	}
	if got := read(inner); !slices.Equal(got, want) {
		t.Errorf("the same text, nested: %v, want %v", got, want)
	}
	inner.Close()
	for i := range stmtsPerConn + 10 { // more texts than the connection keeps
		var n int
		if err := tx.QueryRow(fmt.Sprintf(`SELECT count(*) + %d FROM t`, i)).Scan(&n); err != nil || n != 5+i {
			t.Fatalf("text %d: %d, %v", i, n, err)
		}
	}
	if got := append([]int{0}, read(outer)...); !slices.Equal(got, want) {
		t.Errorf("rows open across the evictions: %v, want %v", got, want)
	}
	outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for range 3 { // compiled again after its eviction, then kept
		rows, err := db.Query(list)
		if err != nil {
			t.Fatal(err)
		}
		if got := read(rows); !slices.Equal(got, want) {
			t.Errorf("after the evictions: %v, want %v", got, want)
		}
		rows.Close()
	}
}
