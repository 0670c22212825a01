package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leads/leads/internal/leads"
)

// statsDaySQL counts a selection of leads by UTC day, centre, status and step
// reached (leads.DayCount). idx_leads_stats leads with the same day
// expression, so the groups come off the index in order: no sort, no table
// read.
const statsDaySQL = `SELECT substr(created_at, 1, 10), COALESCE(center_id, ''), status, step_reached, count(*), count(contacted_at)
	FROM leads%s GROUP BY substr(created_at, 1, 10), center_id, status, step_reached`

// firstContactSeconds is contactedAt − createdAt in whole seconds, exactly:
// the whole seconds of the two times, less one when the later one's
// microseconds are fewer (times are text of one fixed width). It is
// idx_leads_first_contact's key, written the same way so that the index is
// found.
const firstContactSeconds = `(unixepoch(substr(contacted_at, 1, 19)) - unixepoch(substr(created_at, 1, 19)) - (substr(contacted_at, 21, 6) < substr(created_at, 21, 6)))`

// Stats counts the selection by day (folded into weeks by the domain), the
// overdue leads of the overdue time's own day, and reads the first-contact
// delays at the ranks the percentiles need, in one read transaction.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	defer tx.Rollback()
	weeks, delays, err := stats(ctx, tx, f, overdueBefore)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	return weeks, delays, nil
}

func stats(ctx context.Context, tx *sql.Tx, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	selection := leads.ListFilter{CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, CenterID: f.CenterID, CourseID: f.CourseID}
	q := newListQuery(selection)
	// The same range on the index's day key, so that a range seeks the index.
	where := q.where
	if f.CreatedFrom != nil {
		where = andWhere(where, "substr(created_at, 1, 10) >= "+q.arg(f.CreatedFrom.UTC().Format(time.DateOnly)))
	}
	if f.CreatedTo != nil {
		where = andWhere(where, "substr(created_at, 1, 10) <= "+q.arg(f.CreatedTo.UTC().Format(time.DateOnly)))
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(statsDaySQL, where), q.args...)
	if err != nil {
		return nil, nil, err
	}
	var days []leads.DayCount
	contacted := 0
	for rows.Next() {
		var d leads.DayCount
		if err := rows.Scan(&d.Day, &d.CenterID, &d.Status, &d.StepReached, &d.Leads, &d.Contacted); err != nil {
			rows.Close()
			return nil, nil, err
		}
		contacted += d.Contacted
		days = append(days, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	// The overdue leads of the overdue time's own day, by centre.
	onDay := selection
	onDay.OverdueBefore = &overdueBefore
	if start := leads.DayStart(overdueBefore); onDay.CreatedFrom == nil || onDay.CreatedFrom.Before(start) {
		onDay.CreatedFrom = &start
	}
	q = newListQuery(onDay)
	rows, err = tx.QueryContext(ctx, `SELECT COALESCE(center_id, ''), count(*) FROM leads`+q.where+` GROUP BY center_id`, q.args...)
	if err != nil {
		return nil, nil, err
	}
	overdueOnDay := map[string]int{}
	for rows.Next() {
		var centre string
		var n int
		if err := rows.Scan(&centre, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		overdueOnDay[centre] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	weeks, err := leads.WeekAggregates(days, overdueBefore, overdueOnDay)
	if err != nil {
		return nil, nil, err
	}

	// The delays at the ranks the percentiles need, each run of ranks read in
	// the order of idx_leads_first_contact.
	delays := map[int]int64{}
	for _, run := range leads.RankRuns(contacted) {
		q = newListQuery(selection)
		where := andWhere(q.where, "contacted_at IS NOT NULL")
		limit, offset := q.arg(run[1]), q.arg(run[0])
		rows, err := tx.QueryContext(ctx, `SELECT `+firstContactSeconds+` FROM leads`+where+
			` ORDER BY `+firstContactSeconds+` LIMIT `+limit+` OFFSET `+offset, q.args...)
		if err != nil {
			return nil, nil, err
		}
		for rank := run[0]; rows.Next(); rank++ {
			var d int64
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, nil, err
			}
			delays[rank] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return weeks, delays, nil
}

// andWhere adds a condition to a WHERE clause that may be empty.
func andWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}
