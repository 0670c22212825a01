package leads

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Conversion tracking (contract §8): the figures a centre manager asks for,
// over the leads created in a range.

// StatsFilter selects the leads the figures are about.
type StatsFilter struct {
	// CreatedFrom and CreatedTo bound createdAt, both inclusive (nil: open).
	CreatedFrom, CreatedTo *time.Time
	CenterID, CourseID     string // "" for any
}

// MaxStatsWeeks bounds the weeks of a range.
const MaxStatsWeeks = 520

// ParseStatsQuery validates the query of GET /leads/stats.
func ParseStatsQuery(q url.Values, now time.Time) (StatsFilter, error) {
	p := parser{}
	var f StatsFilter
	f.CreatedFrom, f.CreatedTo = p.dateRange(q)
	f.CenterID, f.CourseID = q.Get("centerId"), q.Get("courseId")
	if f.CreatedFrom != nil && p.err() == nil {
		end := now
		if f.CreatedTo != nil {
			end = *f.CreatedTo
		}
		if n := len(ISOWeeks(*f.CreatedFrom, end)); n > MaxStatsWeeks {
			p.fail("createdFrom", fmt.Sprintf("the range spans %d weeks; at most %d", n, MaxStatsWeeks))
		}
	}
	return f, p.err()
}

// WeekAggregate is what a store counts over the leads of one centre created
// in one UTC ISO week: the stats are sums of these.
type WeekAggregate struct {
	Week      string // "2026-W48"
	CenterID  string // the leads' centre, "" for none
	Created   int    // leads created
	Contacted int    // of which ever contacted (contactedAt set)
	Converted int    // of which CONVERTED
	Pending   int    // of which PENDING
	Lost      int    // of which LOST
	// ContactedNow counts status CONTACTED (Contacted counts a first contact).
	ContactedNow int
	Reached2     int // stepReached ≥ 2
	Reached3     int // stepReached ≥ 3
	Overdue      int // PENDING, never contacted, created before the overdue time
}

// DayCount is what a store counts in one pass over the leads: those of one
// centre created on one UTC day with one status and one step reached, and
// how many of them were ever contacted. Grouping by the columns themselves,
// rather than counting each figure with a condition, lets a store read them
// in the order of one index and aggregate as it goes.
type DayCount struct {
	Day         string // "2026-11-30"
	CenterID    string // "" for none
	Status      Status
	StepReached int
	Leads       int
	Contacted   int // contactedAt set
}

// DayStart is the start (UTC) of t's day: a store counts the pending,
// uncontacted leads created from it to the overdue time one by one
// (StatsReader.CountByCentre); those of the days before it are overdue as a
// whole.
func DayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// WeekAggregates folds a store's day counts into weekly aggregates by centre.
// A PENDING lead never contacted is overdue when it was created before
// overdueBefore: for the days before overdueBefore's day, that is all of
// them; for that day itself, overdueOnDay holds by centre how many of them
// were created before the time.
func WeekAggregates(days []DayCount, overdueBefore time.Time, overdueOnDay map[string]int) ([]WeekAggregate, error) {
	overdueDay := DayStart(overdueBefore).Format(time.DateOnly)
	type key struct{ week, centre string }
	by := map[key]*WeekAggregate{}
	var order []key
	weekOf := map[string]string{}
	get := func(week, centre string) *WeekAggregate {
		k := key{week, centre}
		a := by[k]
		if a == nil {
			a = &WeekAggregate{Week: week, CenterID: centre}
			by[k] = a
			order = append(order, k)
		}
		return a
	}
	for _, d := range days {
		week, ok := weekOf[d.Day]
		if !ok {
			t, err := time.Parse(time.DateOnly, d.Day)
			if err != nil {
				return nil, fmt.Errorf("stats: day %q: %w", d.Day, err)
			}
			week = ISOWeek(t)
			weekOf[d.Day] = week
		}
		a := get(week, d.CenterID)
		a.Created += d.Leads
		a.Contacted += d.Contacted
		switch d.Status {
		case StatusPending:
			a.Pending += d.Leads
			if d.Day < overdueDay {
				a.Overdue += d.Leads - d.Contacted
			}
		case StatusContacted:
			a.ContactedNow += d.Leads
		case StatusConverted:
			a.Converted += d.Leads
		case StatusLost:
			a.Lost += d.Leads
		}
		if d.StepReached >= 2 {
			a.Reached2 += d.Leads
		}
		if d.StepReached >= 3 {
			a.Reached3 += d.Leads
		}
	}
	for centre, n := range overdueOnDay {
		get(ISOWeek(overdueBefore), centre).Overdue += n
	}
	out := make([]WeekAggregate, len(order))
	for i, k := range order {
		out[i] = *by[k]
	}
	return out, nil
}

// RankRuns groups PercentileRanks(n) into runs of consecutive ranks, as
// [first rank, count] pairs: a store reads each run with one ordered read
// (OFFSET first, LIMIT count) of an index on the delay.
func RankRuns(n int) [][2]int {
	var runs [][2]int
	if n <= 0 {
		return runs
	}
	for _, r := range PercentileRanks(n) {
		if k := len(runs) - 1; k >= 0 && runs[k][0]+runs[k][1] == r {
			runs[k][1]++
			continue
		}
		runs = append(runs, [2]int{r, 1})
	}
	return runs
}

// StatsReader is what a store reads conversion figures with, all in one
// snapshot; ReadStats decides what to read.
type StatsReader interface {
	// DayCounts counts the leads f selects by day, centre, status and step
	// reached.
	DayCounts(ctx context.Context, f ListFilter) ([]DayCount, error)
	// CountByCentre counts the leads f selects by centre ("" for none).
	CountByCentre(ctx context.Context, f ListFilter) (map[string]int, error)
	// WeekCounts counts the leads of f's centre and course created in the
	// UTC ISO weeks whose Mondays are from from (inclusive) to to
	// (exclusive), from the counts the store keeps by week: DayCounts whose
	// Day is the week's Monday. f's other fields are not used.
	WeekCounts(ctx context.Context, f ListFilter, from, to time.Time) ([]DayCount, error)
	// FirstContactDelays reads the first-contact delays (contactedAt −
	// createdAt, whole seconds) of the contacted leads f selects, in
	// ascending order, limit of them from rank offset (0-based).
	FirstContactDelays(ctx context.Context, f ListFilter, offset, limit int) ([]int64, error)
}

// WeekStart is the start (UTC) of the Monday of t's ISO week.
func WeekStart(t time.Time) time.Time {
	d := DayStart(t)
	return d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
}

// WholeWeeks is the part of f's range that a store may count from its
// counts by week (StatsReader.WeekCounts): the ISO weeks wholly inside the
// range that end before the week of overdueBefore's day begins, so that
// every pending, uncontacted lead in them is overdue (WeekAggregates needs
// that of a count it cannot split). from and to are Mondays, to exclusive;
// ok is false when there is no such week. The leads before from and from to
// on are counted one by one.
func WholeWeeks(f StatsFilter, overdueBefore time.Time) (from, to time.Time, ok bool) {
	to = WeekStart(overdueBefore)
	if f.CreatedTo != nil {
		// The range's end is inclusive, to the microsecond.
		to = minTime(to, WeekStart(f.CreatedTo.Add(time.Microsecond)))
	}
	if f.CreatedFrom == nil {
		return time.Time{}, to, to.After(time.Time{})
	}
	from = WeekStart(*f.CreatedFrom)
	if from.Before(*f.CreatedFrom) {
		from = from.AddDate(0, 0, 7)
	}
	return from, to, from.Before(to)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// countDays reads the day counts of the selection: from the store's counts
// by week for the whole weeks (WholeWeeks), from the leads for the rest.
func countDays(ctx context.Context, r StatsReader, f StatsFilter, selection ListFilter, overdueBefore time.Time) ([]DayCount, error) {
	from, to, ok := WholeWeeks(f, overdueBefore)
	if !ok {
		return r.DayCounts(ctx, selection)
	}
	var days []DayCount
	if f.CreatedFrom != nil && f.CreatedFrom.Before(from) {
		before := selection
		end := from.Add(-time.Microsecond)
		before.CreatedTo = &end
		d, err := r.DayCounts(ctx, before)
		if err != nil {
			return nil, err
		}
		days = append(days, d...)
	}
	weeks, err := r.WeekCounts(ctx, selection, from, to)
	if err != nil {
		return nil, err
	}
	days = append(days, weeks...)
	if f.CreatedTo == nil || !f.CreatedTo.Before(to) {
		after := selection
		after.CreatedFrom = &to
		d, err := r.DayCounts(ctx, after)
		if err != nil {
			return nil, err
		}
		days = append(days, d...)
	}
	return days, nil
}

// ReadStats reads the figures of f through r: the day counts (whole weeks
// from the store's counts by week) folded into weeks, the overdue leads of
// the overdue time's own day counted exactly, and the delays at the ranks the
// percentiles need (see Store.Stats).
func ReadStats(ctx context.Context, r StatsReader, f StatsFilter, overdueBefore time.Time) ([]WeekAggregate, map[int]int64, error) {
	selection := ListFilter{CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, CenterID: f.CenterID, CourseID: f.CourseID}
	days, err := countDays(ctx, r, f, selection, overdueBefore)
	if err != nil {
		return nil, nil, err
	}
	onDay := selection
	onDay.OverdueBefore = &overdueBefore
	if start := DayStart(overdueBefore); onDay.CreatedFrom == nil || onDay.CreatedFrom.Before(start) {
		onDay.CreatedFrom = &start
	}
	overdueOnDay, err := r.CountByCentre(ctx, onDay)
	if err != nil {
		return nil, nil, err
	}
	weeks, err := WeekAggregates(days, overdueBefore, overdueOnDay)
	if err != nil {
		return nil, nil, err
	}
	contacted := 0
	for _, d := range days {
		contacted += d.Contacted
	}
	delays := map[int]int64{}
	for _, run := range RankRuns(contacted) {
		values, err := r.FirstContactDelays(ctx, selection, run[0], run[1])
		if err != nil {
			return nil, nil, err
		}
		for i, v := range values {
			delays[run[0]+i] = v
		}
	}
	return weeks, delays, nil
}

// Stats is the body of GET /leads/stats.
type Stats struct {
	Total          int            `json:"total"`
	ByStatus       map[Status]int `json:"byStatus"`
	ReachedStep    map[string]int `json:"reachedStep"`
	ConversionRate float64        `json:"conversionRate"`
	FirstContact   FirstContact   `json:"firstContact"`
	Overdue        int            `json:"overdue"`
	Weeks          []WeekStats    `json:"weeks"`
}

// FirstContact is how long leads waited for their first contact, in whole
// seconds: the median and the 90th percentile by linear interpolation (as
// PostgreSQL's percentile_cont), null when no lead was contacted.
type FirstContact struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"medianSeconds"`
	P90Seconds    *float64 `json:"p90Seconds"`
}

// WeekStats is one UTC ISO week of the leads created in it.
type WeekStats struct {
	Week      string `json:"week"`
	Created   int    `json:"created"`
	Contacted int    `json:"contacted"`
	Converted int    `json:"converted"`
}

// The percentiles of first contact.
var firstContactQuantiles = []float64{0.5, 0.9}

// PercentileRanks are the 0-based ranks, in ascending order of delay, whose
// values the percentiles of n delays need (a store reads only these).
func PercentileRanks(n int) []int {
	var ranks []int
	for _, q := range firstContactQuantiles {
		lo, hi := percentileRanks(n, q)
		ranks = append(ranks, lo, hi)
	}
	slices.Sort(ranks)
	return slices.Compact(ranks)
}

// percentileRanks are the two ranks that percentile q of n sorted values lies
// between, by linear interpolation.
func percentileRanks(n int, q float64) (lo, hi int) {
	pos := q * float64(n-1)
	return int(math.Floor(pos)), int(math.Ceil(pos))
}

// percentile interpolates percentile q of n sorted values, of which at holds
// the ranks PercentileRanks named.
func percentile(n int, q float64, at map[int]int64) float64 {
	lo, hi := percentileRanks(n, q)
	pos := q * float64(n-1)
	return float64(at[lo]) + (pos-float64(lo))*float64(at[hi]-at[lo])
}

// BuildStats sums a store's weekly aggregates into the contract's figures:
// delays holds the first-contact delays (whole seconds) at the ranks
// PercentileRanks named; earliest is the week of the earliest lead selected,
// "" when none. weeks run from the week of CreatedFrom (else of the earliest
// lead, at most MaxStatsWeeks back) to that of CreatedTo (else now), zeros
// included.
func BuildStats(f StatsFilter, aggs []WeekAggregate, delays map[int]int64, now time.Time) Stats {
	st := Stats{
		ByStatus:    map[Status]int{StatusPending: 0, StatusContacted: 0, StatusConverted: 0, StatusLost: 0},
		ReachedStep: map[string]int{"1": 0, "2": 0, "3": 0},
		Weeks:       []WeekStats{},
	}
	byWeek := map[string]WeekAggregate{}
	earliest := ""
	for _, a := range aggs {
		w := byWeek[a.Week]
		w.Created, w.Contacted, w.Converted = w.Created+a.Created, w.Contacted+a.Contacted, w.Converted+a.Converted
		byWeek[a.Week] = w
		if earliest == "" || a.Week < earliest {
			earliest = a.Week
		}
		st.Total += a.Created
		st.ByStatus[StatusPending] += a.Pending
		st.ByStatus[StatusContacted] += a.ContactedNow
		st.ByStatus[StatusConverted] += a.Converted
		st.ByStatus[StatusLost] += a.Lost
		st.ReachedStep["2"] += a.Reached2
		st.ReachedStep["3"] += a.Reached3
		st.FirstContact.Count += a.Contacted
		st.Overdue += a.Overdue
	}
	st.ReachedStep["1"] = st.Total
	if st.Total > 0 {
		st.ConversionRate = float64(st.ByStatus[StatusConverted]) / float64(st.Total)
	}
	if n := st.FirstContact.Count; n > 0 {
		med, p90 := percentile(n, 0.5, delays), percentile(n, 0.9, delays)
		st.FirstContact.MedianSeconds, st.FirstContact.P90Seconds = &med, &p90
	}
	end := now
	if f.CreatedTo != nil {
		end = *f.CreatedTo
	}
	var start time.Time
	switch {
	case f.CreatedFrom != nil:
		start = *f.CreatedFrom
	case earliest != "":
		start = weekStart(earliest)
		if limit := end.AddDate(0, 0, -7*(MaxStatsWeeks-1)); start.Before(limit) {
			start = limit
		}
	default:
		start = end
	}
	for _, w := range ISOWeeks(start, end) {
		a := byWeek[w]
		st.Weeks = append(st.Weeks, WeekStats{Week: w, Created: a.Created, Contacted: a.Contacted, Converted: a.Converted})
	}
	return st
}

// CentreStats are the figures of one centre (or of leads with none).
type CentreStats struct {
	CenterID       string
	Created        int
	Contacted      int
	Converted      int
	Overdue        int
	ConversionRate float64
}

// ByCentre sums the aggregates by centre, most leads first.
func ByCentre(aggs []WeekAggregate) []CentreStats {
	by := map[string]*CentreStats{}
	var order []string
	for _, a := range aggs {
		c := by[a.CenterID]
		if c == nil {
			c = &CentreStats{CenterID: a.CenterID}
			by[a.CenterID] = c
			order = append(order, a.CenterID)
		}
		c.Created += a.Created
		c.Contacted += a.Contacted
		c.Converted += a.Converted
		c.Overdue += a.Overdue
	}
	out := make([]CentreStats, 0, len(order))
	for _, id := range order {
		c := *by[id]
		if c.Created > 0 {
			c.ConversionRate = float64(c.Converted) / float64(c.Created)
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b CentreStats) int {
		if a.Created != b.Created {
			return b.Created - a.Created
		}
		return strings.Compare(a.CenterID, b.CenterID)
	})
	return out
}

// ISOWeek is t's UTC ISO week, as "2026-W48".
func ISOWeek(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// ISOWeeks lists the ISO weeks from that of start to that of end, in order
// (none when end is before start).
func ISOWeeks(start, end time.Time) []string {
	var out []string
	last := ISOWeek(end)
	if end.Before(start) {
		return out
	}
	for t := monday(start); ; t = t.AddDate(0, 0, 7) {
		w := ISOWeek(t)
		out = append(out, w)
		if w == last || len(out) > MaxStatsWeeks+1 {
			return out
		}
	}
}

// monday is the start (UTC) of t's ISO week.
func monday(t time.Time) time.Time {
	t = t.UTC()
	d := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, time.UTC)
}

// weekStart is the Monday of an ISO week "2026-W48".
func weekStart(week string) time.Time {
	var y, w int
	fmt.Sscanf(week, "%d-W%d", &y, &w)
	// 4 January is always in week 1.
	return monday(time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)).AddDate(0, 0, 7*(w-1))
}
