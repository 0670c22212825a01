package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/leads/leads/internal/leads"
)

// statsWeekSQL counts a selection of leads by UTC ISO week of createdAt and
// centre, in one pass; its WHERE and the overdue time's placeholder are filled in.
const statsWeekSQL = `SELECT strftime('%%G-W%%V', created_at) AS week, COALESCE(center_id, ''), count(*),
	count(*) FILTER (WHERE contacted_at IS NOT NULL),
	count(*) FILTER (WHERE status = 'CONVERTED'),
	count(*) FILTER (WHERE status = 'PENDING'),
	count(*) FILTER (WHERE status = 'LOST'),
	count(*) FILTER (WHERE status = 'CONTACTED'),
	count(*) FILTER (WHERE step_reached >= 2),
	count(*) FILTER (WHERE step_reached >= 3),
	count(*) FILTER (WHERE status = 'PENDING' AND contacted_at IS NULL AND created_at < %s)
	FROM leads%s GROUP BY week, center_id`

// firstContactSeconds is contactedAt − createdAt in whole seconds, exactly:
// the whole seconds of the two times, less one when the later one's
// microseconds are fewer (times are text of one fixed width).
const firstContactSeconds = `(unixepoch(substr(contacted_at, 1, 19)) - unixepoch(substr(created_at, 1, 19))
	- (substr(contacted_at, 21, 6) < substr(created_at, 21, 6)))`

// Stats counts the selection by week and reads the first-contact delays at
// the ranks the percentiles need, in one read transaction.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	defer tx.Rollback()
	selection := leads.ListFilter{CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, CenterID: f.CenterID, CourseID: f.CourseID}
	q := newListQuery(selection)
	where := q.where
	overdue := q.arg(timeText(overdueBefore))
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(statsWeekSQL, overdue, where), q.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	var weeks []leads.WeekAggregate
	contacted := 0
	for rows.Next() {
		var a leads.WeekAggregate
		if err := rows.Scan(&a.Week, &a.CenterID, &a.Created, &a.Contacted, &a.Converted, &a.Pending, &a.Lost, &a.ContactedNow,
			&a.Reached2, &a.Reached3, &a.Overdue); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
		}
		contacted += a.Contacted
		weeks = append(weeks, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	delays := map[int]int64{}
	if contacted == 0 {
		return weeks, delays, nil
	}
	ranks := leads.PercentileRanks(contacted)
	q = newListQuery(selection) // the same WHERE, with the ranks after it
	places := make([]string, len(ranks))
	for i, r := range ranks {
		places[i] = q.arg(r)
	}
	cond := " WHERE contacted_at IS NOT NULL"
	if where != "" {
		cond = where + " AND contacted_at IS NOT NULL"
	}
	rows, err = tx.QueryContext(ctx, `SELECT rn, delay FROM (
		SELECT `+firstContactSeconds+` AS delay, row_number() OVER (ORDER BY `+firstContactSeconds+`) - 1 AS rn
		FROM leads`+cond+`) WHERE rn IN (`+strings.Join(places, ", ")+`)`, q.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats delays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rank int
		var d int64
		if err := rows.Scan(&rank, &d); err != nil {
			return nil, nil, fmt.Errorf("sqlite: stats delays: %w", err)
		}
		delays[rank] = d
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats delays: %w", err)
	}
	return weeks, delays, nil
}
