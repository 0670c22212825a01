package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
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

// Stats reads the figures through leads.ReadStats in one read-only snapshot.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	var weeks []leads.WeekAggregate
	var delays map[int]int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		weeks, delays, err = leads.ReadStats(ctx, statsReader{tx}, f, overdueBefore)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: stats: %w", err)
	}
	return weeks, delays, nil
}

// statsReader is a leads.StatsReader in a read-only transaction.
type statsReader struct{ tx pgx.Tx }

func (r statsReader) DayCounts(ctx context.Context, f leads.ListFilter) ([]leads.DayCount, error) {
	q := newListQuery(f)
	rows, _ := r.tx.Query(ctx, fmt.Sprintf(statsDaySQL, q.where), q.args...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (d leads.DayCount, err error) {
		err = row.Scan(&d.Day, &d.CenterID, &d.Status, &d.StepReached, &d.Leads, &d.Contacted)
		return d, err
	})
}

func (r statsReader) CountByCentre(ctx context.Context, f leads.ListFilter) (map[string]int, error) {
	q := newListQuery(f)
	by := map[string]int{}
	rows, _ := r.tx.Query(ctx, `SELECT COALESCE(center_id, ''), count(*) FROM leads`+q.where+` GROUP BY center_id`, q.args...)
	var centre string
	var n int
	_, err := pgx.ForEachRow(rows, []any{&centre, &n}, func() error {
		by[centre] += n
		return nil
	})
	return by, err
}

// WeekCounts reads lead_weeks (migration 00008).
func (r statsReader) WeekCounts(ctx context.Context, f leads.ListFilter, from, to time.Time) ([]leads.DayCount, error) {
	q := listQuery{}
	rows, _ := r.tx.Query(ctx, schema.WeekCounts("to_char(week, 'YYYY-MM-DD')", "::date", f, from, to, q.arg), q.args...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (d leads.DayCount, err error) {
		err = row.Scan(&d.Day, &d.CenterID, &d.Status, &d.StepReached, &d.Leads, &d.Contacted)
		return d, err
	})
}

// FirstContactDelays reads in the order of idx_leads_first_contact.
func (r statsReader) FirstContactDelays(ctx context.Context, f leads.ListFilter, offset, limit int) ([]int64, error) {
	q := newListQuery(f)
	where := schema.AndWhere(q.where, "contacted_at IS NOT NULL")
	lim, off := q.arg(limit), q.arg(offset)
	rows, _ := r.tx.Query(ctx, `SELECT `+firstContactSeconds+` FROM leads`+where+
		` ORDER BY `+firstContactSeconds+` LIMIT `+lim+` OFFSET `+off, q.args...)
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
