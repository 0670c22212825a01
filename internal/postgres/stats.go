package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
)

// statsDaySQL counts a selection of leads by UTC day, centre, status and step
// reached (leads.DayCount), from idx_leads_stats alone; the day expression
// is the one statistics leads_stats_groups describes, so the planner knows
// how few groups there are and hashes them in parallel.
const statsDaySQL = `SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), COALESCE(center_id, ''), status, step_reached, count(*), count(contacted_at)
	FROM leads%s GROUP BY (created_at AT TIME ZONE 'UTC')::date, center_id, status, step_reached`

// firstContactSeconds is contactedAt − createdAt in whole seconds. It is
// idx_leads_first_contact's key, written the same way so that the index is
// found.
const firstContactSeconds = `(floor(extract(epoch FROM contacted_at - created_at))::bigint)`

// Stats counts the selection by day (folded into weeks by the domain), the
// overdue leads of the overdue time's own day, and reads the first-contact
// delays at the ranks the percentiles need, in one read-only snapshot.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	var weeks []leads.WeekAggregate
	var delays map[int]int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		weeks, delays, err = stats(ctx, tx, f, overdueBefore)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: stats: %w", err)
	}
	return weeks, delays, nil
}

func stats(ctx context.Context, tx pgx.Tx, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	selection := leads.ListFilter{CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, CenterID: f.CenterID, CourseID: f.CourseID}
	q := newListQuery(selection)
	rows, err := tx.Query(ctx, fmt.Sprintf(statsDaySQL, q.where), q.args...)
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
	rows, err = tx.Query(ctx, `SELECT COALESCE(center_id, ''), count(*) FROM leads`+q.where+` GROUP BY center_id`, q.args...)
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
		rows, err := tx.Query(ctx, `SELECT `+firstContactSeconds+` FROM leads`+where+
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
