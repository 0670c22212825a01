package schema

import (
	"strings"
	"time"

	"github.com/leads/leads/internal/leads"
)

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

// After is the keyset condition of a page read after a cursor
// (leads.ListFilter.After): the rows past the place of the lead whose id is
// the placeholder id, in sort's order (its column, then id, the same way).
// Every list index ends with the sort's columns and id, so the page is read
// from that place on, as the first page is; when there is no such lead the
// row comparison is NULL and the page is empty.
func After(sort leads.Sort, id string) string {
	col, op := "created_at", ">"
	if sort.ByLastSaved() {
		col = "last_saved_at"
	}
	if sort.Desc() {
		op = "<"
	}
	return "(" + col + ", id) " + op + " (SELECT " + col + ", id FROM leads WHERE id = " + id + ")"
}

// PageWhere is the WHERE of f's page: the filter's where and, with a cursor
// (f.After), its keyset condition, whose placeholder it returns as after ("",
// without one) for PageTotal.
func PageWhere(where string, f leads.ListFilter, arg func(any) string) (pageWhere, after string) {
	if f.After == "" {
		return where, ""
	}
	after = arg(f.After)
	return AndWhere(where, After(f.Sort, after)), after
}

// PageTotal is the statement a store asks when a page has no rows, so no row
// carried the total: the count, and whether the cursor's lead (the placeholder
// after, "" without a cursor) exists, for an empty page after an unknown
// lead is an error (leads.ErrUnknownCursor), not the end of the list.
func PageTotal(count, after string) string {
	if after == "" {
		return `SELECT (` + count + `), 1 = 1`
	}
	return `SELECT (` + count + `), EXISTS (SELECT 1 FROM leads WHERE id = ` + after + `)`
}

// WeekCounts is the statement of a store's leads.StatsReader.WeekCounts:
// lead_weeks (migration 00008) summed by week, centre, status and step over
// the weeks whose Mondays are from from to to (exclusive), for f's centre and
// course. week is how the engine writes a week as "YYYY-MM-DD", dateCast what
// makes a "YYYY-MM-DD" argument a week ("" when it is one already).
func WeekCounts(week, dateCast string, f leads.ListFilter, from, to time.Time, arg func(any) string) string {
	where := " WHERE week >= " + arg(from.Format(time.DateOnly)) + dateCast + " AND week < " + arg(to.Format(time.DateOnly)) + dateCast
	if f.CenterID != "" {
		where += " AND center_id = " + arg(f.CenterID)
	}
	if f.CourseID != "" {
		where += " AND course_id = " + arg(f.CourseID)
	}
	return `SELECT ` + week + `, center_id, status, step_reached, sum(n), sum(contacted) FROM lead_weeks` + where +
		` GROUP BY week, center_id, status, step_reached HAVING sum(n) <> 0`
}

// TakeTurn is the statement of a centre's round-robin turn (p is the
// placeholder of the centre's id): it returns the first active staff member
// of the centre after the one who had the turn last, in id order and
// wrapping around, and records them, in one statement. The upsert locks the
// turn's row, so concurrent turns of a centre queue on it and each reads the
// one before it. With no active staff it returns a NULL for a new row and no
// row for an existing one, which it leaves as it was.
func TakeTurn(p string) string {
	staff := `SELECT min(s.id) FROM staff s JOIN staff_centers sc ON sc.staff_id = s.id WHERE sc.center_id = ` + p + ` AND s.active`
	return `INSERT INTO assignment_turns (center_id, last_staff_id) VALUES (` + p + `, (` + staff + `))
		ON CONFLICT (center_id) DO UPDATE
		SET last_staff_id = COALESCE((` + staff + ` AND s.id > assignment_turns.last_staff_id), excluded.last_staff_id)
		WHERE excluded.last_staff_id IS NOT NULL
		RETURNING last_staff_id`
}
