package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

// listQuery is the WHERE and ORDER BY of a list filter, with the arguments
// of its placeholders.
type listQuery struct {
	where, count, order string
	args                []any
	// match is the placeholder of q's phrase in the trigram index, "" when
	// the filter has no such search.
	match string
}

// arg adds a value and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "?" + strconv.Itoa(len(q.args))
}

// newListQuery builds the clauses of f. The count reads lead_counts when the
// filter uses only the status and the centre, whose exact counts the triggers
// keep, and the trigram index alone when it uses only q; any other filter
// counts the matching leads. way: see search.
func newListQuery(f leads.ListFilter, way searchWay) listQuery {
	var q listQuery
	var conds, counted []string
	if f.Status != "" {
		c := "status = " + q.arg(string(f.Status))
		conds, counted = append(conds, c), append(counted, c)
	}
	if f.CenterID != "" {
		c := "center_id = " + q.arg(f.CenterID)
		conds, counted = append(conds, c), append(counted, c)
	}
	if f.CourseID != "" {
		conds = append(conds, "course_id = "+q.arg(f.CourseID))
	}
	if f.AssignedTo != "" {
		conds = append(conds, "assigned_to = "+q.arg(f.AssignedTo))
	}
	if f.Unassigned {
		conds = append(conds, "assigned_to IS NULL")
	}
	if f.Step != 0 {
		conds = append(conds, "onboarding_step = "+q.arg(f.Step))
	}
	if f.CreatedFrom != nil {
		conds = append(conds, "created_at >= "+q.arg(timeText(*f.CreatedFrom)))
	}
	if f.CreatedTo != nil {
		conds = append(conds, "created_at <= "+q.arg(timeText(*f.CreatedTo)))
	}
	if f.OverdueBefore != nil {
		conds = append(conds, "status = 'PENDING' AND contacted_at IS NULL AND created_at < "+q.arg(timeText(*f.OverdueBefore)))
	}
	if f.Q != "" {
		conds = append(conds, q.search(f.Q, way))
	}
	if len(conds) > 0 {
		q.where = " WHERE " + strings.Join(conds, " AND ")
	}
	switch {
	case f.ByCountsOnly():
		q.count = "SELECT COALESCE(SUM(n), 0) FROM lead_counts"
		if len(counted) > 0 {
			q.count += " WHERE " + strings.Join(counted, " AND ")
		}
	// Every lead is in the trigram index (the triggers keep it so), so a
	// search alone is counted there, without reading the leads.
	case q.match != "" && f.BySearchOnly():
		q.count = "SELECT count(*) FROM leads_search WHERE leads_search MATCH " + q.match
	default:
		q.count = "SELECT count(*) FROM leads" + q.where
	}
	col, dir := "created_at", "ASC"
	if f.Sort.ByLastSaved() {
		col = "last_saved_at"
	}
	if f.Sort.Desc() {
		dir = "DESC"
	}
	q.order = " ORDER BY " + col + " " + dir + ", id " + dir
	return q
}

// searchWay is how a search's page is read.
type searchWay int

const (
	// sortMatches reads the trigram index's matches and sorts them: the way
	// for a rare search, whose few matches are quickly sorted but would be
	// looked for along the whole sort's index.
	sortMatches searchWay = iota
	// walkMatches reads the page along the sort's index, stopping when it
	// is full, and tests each entry's rowid against the matches ("+rowid"
	// keeps SQLite from reading the leads by them). The match list is built
	// once (40 ms for a surname's 100,000 matches at a million leads), then
	// each entry costs a quarter of a microsecond.
	walkMatches
	// walkRows reads the page along the sort's index too, but tests each
	// lead's own text with LIKE: no match list, a microsecond a lead, so a
	// surname's first page is read in a fraction of a millisecond. It is
	// for an ASCII q, which LIKE and the trigram index match alike in any
	// text but one holding foldsIntoASCII: such a lead is still tested
	// against the index's matches (the list is built only if one is met).
	walkRows
)

// foldsIntoASCII are what parts LIKE from the trigram index for an ASCII q.
// LIKE folds the case of ASCII letters only; the index folds all of
// Unicode, and only two letters outside ASCII fold into it: the Kelvin
// sign K into k and the long s ſ into s (so with the tokenizer's
// remove_diacritics at its default, 0, as migration 00002 leaves it; with
// it, every accented letter would). And LIKE reads a text up to its first
// NUL, the index all of it.
var foldsIntoASCII = []string{"\u212A", "\u017F", "\x00"}

// search is the condition of q: a phrase of the trigram index (leads_search)
// when q has three characters or more, which finds it as a substring of any
// of the three columns; shorter, a LIKE over them (no index has so short a
// key, and so short a text matches most leads anyway). Either way q is
// literal: quotes and LIKE's wildcards are escaped. way says how the
// phrase's matches are tested (see searchWay); ListLeads chooses it.
func (q *listQuery) search(text string, way searchWay) string {
	if utf8.RuneCountInString(text) < 3 {
		return q.like(text)
	}
	phrase := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	q.match = q.arg(phrase)
	matches := "rowid IN (SELECT rowid FROM leads_search WHERE leads_search MATCH " + q.match + ")"
	switch way {
	case walkMatches:
		return "+" + matches
	case walkRows:
		cols := "full_name || coalesce(email, '') || coalesce(phone, '')"
		var parted []string
		for _, c := range foldsIntoASCII {
			parted = append(parted, "instr("+cols+", "+q.arg(c)+")")
		}
		return "CASE WHEN " + strings.Join(parted, " + ") + " = 0 THEN " + q.like(text) + " ELSE +" + matches + " END"
	}
	return matches
}

// like is text as a substring of any of the three searched columns.
func (q *listQuery) like(text string) string {
	like := q.arg("%" + schema.EscapeLike(text) + "%")
	return "(full_name LIKE " + like + ` ESCAPE '\' OR email LIKE ` + like + ` ESCAPE '\' OR phone LIKE ` + like + ` ESCAPE '\')`
}

// ListLeads returns a page of leads and the exact total. Each row carries the
// total, so page and total come from one statement (one snapshot); only a page
// with no rows needs a second statement to learn the total. A search by the
// trigram index counts its matches first, in the same read transaction, to
// choose how to read the page (see search).
func (s *Store) ListLeads(ctx context.Context, f leads.ListFilter) (leads.LeadPage, error) {
	page := leads.NewLeadPage(f)
	if err := s.provisionPending(ctx); err != nil {
		return page, err
	}
	q := newListQuery(f, sortMatches)
	if q.match == "" {
		return s.listPage(ctx, s.read, f, q, page)
	}
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	defer tx.Rollback()
	var total, all int64
	if err := tx.QueryRowContext(ctx, `SELECT (`+q.count+`), (SELECT COALESCE(SUM(n), 0) FROM lead_counts)`, q.args...).Scan(&total, &all); err != nil {
		return page, fmt.Errorf("sqlite: count leads: %w", err)
	}
	if way := s.searchWay(f, total, all); way != sortMatches {
		q = newListQuery(f, way)
	}
	q.count = strconv.FormatInt(total, 10) // known now
	return s.listPage(ctx, tx, f, q, page)
}

// searchWay chooses how to read the page of a search (f.Q of three
// characters or more) that matches total of all leads.
func (s *Store) searchWay(f leads.ListFilter, total, all int64) searchWay {
	if s.broadSearch == 0 || total*s.broadSearch < all {
		return sortMatches
	}
	// The walk reads about all/total leads for each one up to the page's end.
	if isASCII(f.Q) && int64(f.Offset()+f.Limit)*all <= s.rowWalk*total {
		return walkRows
	}
	return walkMatches
}

// broadSearch: a search whose matches are at least 1/broadSearch of the
// leads walks the sort's index for its page; a page of 20 then reads about
// 20 × broadSearch index entries, or fewer. (Store.broadSearch, which a
// test sets to 0 to hold sortMatches to the conformance suite too.)
const broadSearch = 100

// rowWalk: a walk that would read more leads than this tests the trigram
// index's matches instead of each lead's text (walkMatches, walkRows): the
// match list's fixed cost is then the smaller. (Store.rowWalk, which a test
// sets to 0 to hold walkMatches to the conformance suite.)
const rowWalk = 25_000

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// listPage reads page and its total by q on db.
func (s *Store) listPage(ctx context.Context, db querier, f leads.ListFilter, q listQuery, page leads.LeadPage) (leads.LeadPage, error) {
	where, after := schema.PageWhere(q.where, f, q.arg)
	// The count's and the cursor's arguments; the page's come after them,
	// and ListPage adds them before q.args is read.
	n := len(q.args)
	query := `SELECT (` + q.count + `), ` + leadColumns + ` FROM leads` + schema.ListPage(where, q.order, "rowid", f.Limit, f.Offset(), q.arg)
	rows, err := db.QueryContext(ctx, query, q.args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	defer rows.Close()
	var total int64 = -1
	sc := newLeadScanner(&total)
	for rows.Next() {
		l, err := sc.scan(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list leads: %w", err)
		}
		page.Leads = append(page.Leads, l)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	if total < 0 {
		found := false
		if err := db.QueryRowContext(ctx, schema.PageTotal(q.count, after), q.args[:n]...).Scan(&total, &found); err != nil {
			return page, fmt.Errorf("sqlite: count leads: %w", err)
		}
		if !found {
			return page, leads.ErrUnknownCursor
		}
	}
	page.Total = int(total)
	return page, nil
}

// ExportLeads streams every matching lead to fn, row by row.
func (s *Store) ExportLeads(ctx context.Context, f leads.ListFilter, fn func(leads.Lead) error) error {
	q := newListQuery(f, sortMatches)
	rows, err := s.read.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads`+q.where+q.order, q.args...)
	if err != nil {
		return fmt.Errorf("sqlite: export leads: %w", err)
	}
	defer rows.Close()
	sc := newLeadScanner()
	for rows.Next() {
		l, err := sc.scan(rows)
		if err != nil {
			return fmt.Errorf("sqlite: export leads: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: export leads: %w", err)
	}
	return nil
}
