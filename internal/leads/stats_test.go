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

func TestWholeWeeks(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	overdue := *at("2027-01-13T10:00:00Z") // a Wednesday: its week starts 2027-01-11
	tests := []struct {
		name     string
		f        StatsFilter
		overdue  time.Time
		from, to string // Mondays; "" for none
	}{
		{"everything: up to the overdue time's week", StatsFilter{}, overdue, "0001-01-01", "2027-01-11"},
		{"from a Monday's start", StatsFilter{CreatedFrom: at("2026-12-14T00:00:00Z")}, overdue, "2026-12-14", "2027-01-11"},
		{"from a microsecond into a Monday", StatsFilter{CreatedFrom: at("2026-12-14T00:00:00.000001Z")}, overdue, "2026-12-21", "2027-01-11"},
		{"from a Sunday", StatsFilter{CreatedFrom: at("2026-12-20T23:00:00Z")}, overdue, "2026-12-21", "2027-01-11"},
		{"to a Sunday's last microsecond", StatsFilter{CreatedTo: at("2026-12-27T23:59:59.999999Z")}, overdue, "0001-01-01", "2026-12-28"},
		{"to a microsecond before that", StatsFilter{CreatedTo: at("2026-12-27T23:59:59.999998Z")}, overdue, "0001-01-01", "2026-12-21"},
		{"to a Monday's start", StatsFilter{CreatedTo: at("2026-12-28T00:00:00Z")}, overdue, "0001-01-01", "2026-12-28"},
		{"a range after the overdue week's start", StatsFilter{CreatedFrom: at("2027-01-11T00:00:00Z")}, overdue, "", ""},
		{"a range inside one week", StatsFilter{CreatedFrom: at("2026-12-15T00:00:00Z"), CreatedTo: at("2026-12-19T00:00:00Z")}, overdue, "", ""},
		{"one whole week", StatsFilter{CreatedFrom: at("2026-12-14T00:00:00Z"), CreatedTo: at("2026-12-20T23:59:59.999999Z")}, overdue, "2026-12-14", "2026-12-21"},
		{"an overdue time on a Monday", StatsFilter{}, *at("2027-01-11T00:00:00Z"), "0001-01-01", "2027-01-11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, ok := WholeWeeks(tt.f, tt.overdue)
			if !ok {
				if tt.from != "" {
					t.Fatalf("no whole weeks; want %s to %s", tt.from, tt.to)
				}
				return
			}
			if got := [2]string{from.Format(time.DateOnly), to.Format(time.DateOnly)}; got != [2]string{tt.from, tt.to} {
				t.Errorf("%s to %s; want %s to %s", got[0], got[1], tt.from, tt.to)
			}
			if from.Weekday() != time.Monday || to.Weekday() != time.Monday {
				t.Errorf("%s to %s are not Mondays", from, to)
			}
		})
	}
}
