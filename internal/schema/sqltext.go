package schema

import "strings"

// The SQL text helpers both engines write alike.

// EscapeLike makes s match itself in a LIKE pattern whose escape is '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// AndWhere adds a condition to a WHERE clause that may be empty.
func AndWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// NullIfEmpty stores "" as NULL.
func NullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deferAfter is the offset from which ListPage is a deferred join. Before
// it the plain statement costs no more: on PostgreSQL the index alone
// answers only for pages the visibility map marks all-visible (after a
// vacuum), and where rows changed since, the subquery visits them as the
// plain statement would, then reads the page's rows again (a load run's
// shallow pages were a quarter slower as deferred joins). SQLite's indexes
// hold every row's rowid, so there the subquery never visits the table.
const deferAfter = 1000

// ListPage is the WHERE, ORDER BY, LIMIT and OFFSET of a list page, given
// the filter's WHERE and ORDER BY, the column that names a row (key: id, or
// SQLite's rowid), and arg, which adds a value and returns its placeholder.
// A deep page (deferAfter rows or more before it) is a deferred join: the
// subquery finds the page's keys among those before it by the sort's index
// alone (every list index ends with the sort's columns and id), and only
// the page's rows are read from the table, not the OFFSET's thousands
// before them.
func ListPage(where, order, key string, limit, offset int, arg func(any) string) string {
	l := arg(limit)
	if offset == 0 {
		return where + order + ` LIMIT ` + l
	}
	o := arg(offset)
	if offset < deferAfter {
		return where + order + ` LIMIT ` + l + ` OFFSET ` + o
	}
	return ` WHERE ` + key + ` IN (SELECT ` + key + ` FROM leads` + where + order + ` LIMIT ` + l + ` OFFSET ` + o + `)` + order
}
