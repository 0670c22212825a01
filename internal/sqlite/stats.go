package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
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

// Stats reads the figures through leads.ReadStats in one read transaction.
func (s *Store) Stats(ctx context.Context, f leads.StatsFilter, overdueBefore time.Time) ([]leads.WeekAggregate, map[int]int64, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	defer tx.Rollback()
	weeks, delays, err := leads.ReadStats(ctx, statsReader{tx}, f, overdueBefore)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stats: %w", err)
	}
	return weeks, delays, nil
}

// statsReader is a leads.StatsReader in a read transaction.
type statsReader struct{ tx *sql.Tx }

func (r statsReader) DayCounts(ctx context.Context, f leads.ListFilter) ([]leads.DayCount, error) {
	q := newListQuery(f, sortMatches)
	// The range again on the index's day key, so that a range seeks the index.
	where := q.where
	if f.CreatedFrom != nil {
		where = schema.AndWhere(where, "substr(created_at, 1, 10) >= "+q.arg(f.CreatedFrom.UTC().Format(time.DateOnly)))
	}
	if f.CreatedTo != nil {
		where = schema.AndWhere(where, "substr(created_at, 1, 10) <= "+q.arg(f.CreatedTo.UTC().Format(time.DateOnly)))
	}
	return list(ctx, r.tx, "day counts", fmt.Sprintf(statsDaySQL, where), func(d *leads.DayCount) []any {
		return []any{&d.Day, &d.CenterID, &d.Status, &d.StepReached, &d.Leads, &d.Contacted}
	}, q.args...)
}

func (r statsReader) CountByCentre(ctx context.Context, f leads.ListFilter) (map[string]int, error) {
	q := newListQuery(f, sortMatches)
	type count struct {
		centre string
		n      int
	}
	counts, err := list(ctx, r.tx, "counts by centre", `SELECT COALESCE(center_id, ''), count(*) FROM leads`+q.where+` GROUP BY center_id`,
		func(c *count) []any { return []any{&c.centre, &c.n} }, q.args...)
	by := map[string]int{}
	for _, c := range counts {
		by[c.centre] += c.n
	}
	return by, err
}

// WeekCounts reads lead_weeks (migration 00008).
func (r statsReader) WeekCounts(ctx context.Context, f leads.ListFilter, from, to time.Time) ([]leads.DayCount, error) {
	q := listQuery{}
	return list(ctx, r.tx, "week counts", schema.WeekCounts("week", "", f, from, to, q.arg),
		func(d *leads.DayCount) []any {
			return []any{&d.Day, &d.CenterID, &d.Status, &d.StepReached, &d.Leads, &d.Contacted}
		}, q.args...)
}

// FirstContactDelays reads in the order of idx_leads_first_contact.
func (r statsReader) FirstContactDelays(ctx context.Context, f leads.ListFilter, offset, limit int) ([]int64, error) {
	q := newListQuery(f, sortMatches)
	where := schema.AndWhere(q.where, "contacted_at IS NOT NULL")
	lim, off := q.arg(limit), q.arg(offset)
	return list(ctx, r.tx, "first-contact delays", `SELECT `+firstContactSeconds+` FROM leads`+where+
		` ORDER BY `+firstContactSeconds+` LIMIT `+lim+` OFFSET `+off,
		func(d *int64) []any { return []any{d} }, q.args...)
}
