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
