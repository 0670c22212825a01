package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

// listQuery is the WHERE and ORDER BY of a list filter, with the arguments
// of its placeholders.
type listQuery struct {
	where, count, order string
	args                []any
}

// arg adds a value and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// newListQuery builds the clauses of f. The count reads lead_counts when the
// filter uses only the status and the centre, whose exact counts the triggers
// keep; any other filter counts the matching leads.
func newListQuery(f leads.ListFilter) listQuery {
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
		conds = append(conds, "created_at >= "+q.arg(*f.CreatedFrom))
	}
	if f.CreatedTo != nil {
		conds = append(conds, "created_at <= "+q.arg(*f.CreatedTo))
	}
	if f.OverdueBefore != nil {
		conds = append(conds, "status = 'PENDING' AND contacted_at IS NULL AND created_at < "+q.arg(*f.OverdueBefore))
	}
	if f.Q != "" {
		conds = append(conds, q.search(f.Q))
	}
	if len(conds) > 0 {
		q.where = " WHERE " + strings.Join(conds, " AND ")
	}
	if f.ByCountsOnly() {
		q.count = "SELECT COALESCE(SUM(n), 0)::bigint FROM lead_counts"
		if len(counted) > 0 {
			q.count += " WHERE " + strings.Join(counted, " AND ")
		}
	} else {
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

// search is the condition of q: a case-insensitive substring of any of the
// three columns, each with a trigram index that ILIKE reads (for three
// characters or more; shorter texts match most leads anyway). q is literal:
// LIKE's wildcards are escaped.
func (q *listQuery) search(text string) string {
	like := q.arg("%" + schema.EscapeLike(text) + "%")
	return "(full_name ILIKE " + like + " OR email ILIKE " + like + " OR phone ILIKE " + like + ")"
}

// ListLeads returns a page of leads and the exact total. Each row carries the
// total, so page and total come from one statement (one snapshot); only a page
// with no rows needs a second statement to learn the total.
func (s *Store) ListLeads(ctx context.Context, f leads.ListFilter) (leads.LeadPage, error) {
	page := leads.NewLeadPage(f)
	q := newListQuery(f)
	where, after := schema.PageWhere(q.where, f, q.arg)
	// The count's and the cursor's arguments; the page's come after them,
	// and ListPage adds them before q.args is read.
	n := len(q.args)
	query := `SELECT (` + q.count + `), ` + leadColumns + ` FROM leads` + schema.ListPage(where, q.order, "id", f.Limit, f.Offset(), q.arg)
	var total int64 = -1
	err := s.query(ctx, func(rows pgx.Rows) error {
		sc := newLeadScanner(&total)
		for rows.Next() {
			l, err := sc.scan(rows)
			if err != nil {
				return err
			}
			page.Leads = append(page.Leads, l)
		}
		return nil
	}, query, q.args...)
	if err != nil {
		return page, fmt.Errorf("postgres: list leads: %w", err)
	}
	if total < 0 {
		found := false
		if err := s.pool.QueryRow(ctx, schema.PageTotal(q.count, after), q.args[:n]...).Scan(&total, &found); err != nil {
			return page, fmt.Errorf("postgres: count leads: %w", err)
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
	q := newListQuery(f)
	rows, err := s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads`+q.where+q.order, q.args...)
	if err != nil {
		return fmt.Errorf("postgres: export leads: %w", err)
	}
	defer rows.Close()
	sc := newLeadScanner()
	for rows.Next() {
		l, err := sc.scan(rows)
		if err != nil {
			return fmt.Errorf("postgres: export leads: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: export leads: %w", err)
	}
	return nil
}
