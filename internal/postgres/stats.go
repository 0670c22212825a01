package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
)

// statsWeekSQL counts a selection of leads by UTC ISO week of createdAt and
// centre, in one pass; its WHERE and the overdue time's placeholder are filled in.
const statsWeekSQL = `SELECT to_char(created_at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS week, COALESCE(center_id, ''), count(*),
	count(*) FILTER (WHERE contacted_at IS NOT NULL),
	count(*) FILTER (WHERE status = 'CONVERTED'),
	count(*) FILTER (WHERE status = 'PENDING'),
	count(*) FILTER (WHERE status = 'LOST'),
	count(*) FILTER (WHERE status = 'CONTACTED'),
	count(*) FILTER (WHERE step_reached >= 2),
	count(*) FILTER (WHERE step_reached >= 3),
	count(*) FILTER (WHERE status = 'PENDING' AND contacted_at IS NULL AND created_at < %s)
	FROM leads%s GROUP BY week, center_id`

// firstContactSeconds is contactedAt − createdAt in whole seconds.
const firstContactSeconds = `floor(extract(epoch FROM contacted_at - created_at))::bigint`

// Stats counts the selection by week and reads the first-contact delays at
// the ranks the percentiles need, in one read-only snapshot.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	var weeks []leads.WeekAggregate
	delays := map[int]int64{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		selection := leads.ListFilter{CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, CenterID: f.CenterID, CourseID: f.CourseID}
		q := newListQuery(selection)
		where := q.where
		overdue := q.arg(overdueBefore)
		rows, err := tx.Query(ctx, fmt.Sprintf(statsWeekSQL, overdue, where), q.args...)
		if err != nil {
			return err
		}
		contacted := 0
		for rows.Next() {
			var a leads.WeekAggregate
			if err := rows.Scan(&a.Week, &a.CenterID, &a.Created, &a.Contacted, &a.Converted, &a.Pending, &a.Lost, &a.ContactedNow,
				&a.Reached2, &a.Reached3, &a.Overdue); err != nil {
				rows.Close()
				return err
			}
			contacted += a.Contacted
			weeks = append(weeks, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil || contacted == 0 {
			return err
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
		rows, err = tx.Query(ctx, `SELECT rn, delay FROM (
			SELECT `+firstContactSeconds+` AS delay, row_number() OVER (ORDER BY `+firstContactSeconds+`) - 1 AS rn
			FROM leads`+cond+`) AS d WHERE rn IN (`+strings.Join(places, ", ")+`)`, q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rank int
			var d int64
			if err := rows.Scan(&rank, &d); err != nil {
				return err
			}
			delays[rank] = d
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: stats: %w", err)
	}
	return weeks, delays, nil
}
