package leads

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestISOWeeks(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		start, end time.Time
		want       []string
	}{
		{d(2026, 12, 28), d(2027, 1, 4), []string{"2026-W53", "2027-W01"}},
		{d(2020, 12, 31), d(2021, 1, 11), []string{"2020-W53", "2021-W01", "2021-W02"}},
		{d(2025, 12, 29), d(2025, 12, 30), []string{"2026-W01"}},
		{d(2026, 3, 4), d(2026, 3, 1), nil},
	}
	for _, tt := range tests {
		if got := ISOWeeks(tt.start, tt.end); !slices.Equal(got, tt.want) {
			t.Errorf("ISOWeeks(%v, %v) = %v, want %v", tt.start, tt.end, got, tt.want)
		}
	}
	for _, w := range []string{"2026-W53", "2027-W01", "2020-W53", "2026-W10"} {
		if got := ISOWeek(weekStart(w)); got != w || weekStart(w).Weekday() != time.Monday {
			t.Errorf("weekStart(%s) = %v, in week %s", w, weekStart(w), got)
		}
	}
}

func TestPercentiles(t *testing.T) {
	// PostgreSQL's percentile_cont: linear interpolation between ranks.
	values := []int64{1, 2, 4, 10}
	at := map[int]int64{}
	for _, r := range PercentileRanks(len(values)) {
		at[r] = values[r]
	}
	if got := percentile(4, 0.5, at); got != 3 {
		t.Errorf("median of %v = %v, want 3", values, got)
	}
	if got := percentile(4, 0.9, at); got < 8.19 || got > 8.21 {
		t.Errorf("p90 of %v = %v, want 8.2", values, got)
	}
	if got := PercentileRanks(1); !slices.Equal(got, []int{0}) {
		t.Errorf("ranks of one value: %v", got)
	}
}

func TestParseStatsQuery(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for q, bad := range map[string]string{
		"":                        "",
		"centerId=c1&courseId=k1": "",
		"createdFrom=2017-01-01":  "", // under 520 weeks to now
		"createdFrom=2016-01-01":  "createdFrom",
		"createdTo=2026-13-01":    "createdTo",
		"createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01": "createdTo",
	} {
		v, _ := url.ParseQuery(q)
		_, err := ParseStatsQuery(v, now)
		var e *Error
		switch {
		case bad == "" && err != nil:
			t.Errorf("%q: %v", q, err)
		case bad != "" && (!asError(err, &e) || e.Fields[0].Field != bad):
			t.Errorf("%q: %v, want an error naming %s", q, err, bad)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

func TestRankRuns(t *testing.T) {
	cases := []struct {
		n    int
		want [][2]int
	}{
		{0, nil},
		{1, [][2]int{{0, 1}}},
		{2, [][2]int{{0, 2}}},          // median between 0 and 1, p90 too
		{4, [][2]int{{1, 3}}},          // median 1–2, p90 2–3
		{11, [][2]int{{5, 1}, {9, 1}}}, // both exact
		{1000, [][2]int{{499, 2}, {899, 2}}},
	}
	for _, c := range cases {
		got := RankRuns(c.n)
		if !slices.Equal(got, c.want) {
			t.Errorf("RankRuns(%d) = %v, want %v", c.n, got, c.want)
		}
		// The runs cover exactly the ranks the percentiles need.
		var ranks []int
		for _, r := range got {
			for i := range r[1] {
				ranks = append(ranks, r[0]+i)
			}
		}
		if want := PercentileRanks(c.n); c.n > 0 && !slices.Equal(ranks, want) {
			t.Errorf("RankRuns(%d) covers %v, want %v", c.n, ranks, want)
		}
	}
}
