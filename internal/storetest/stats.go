package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
)

// testStats checks the figures of conversion tracking (contract §8), computed
// by the engine and leads.BuildStats, against the same leads counted here in
// Go: several ranges and filters, an empty range, and a range across the end
// of 2026, whose last ISO week is 2026-W53.
func testStats(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	roster(t, s)
	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC) // a Monday, 2026-W51
	var ids []string
	for i := range 40 {
		uid := fmt.Sprintf("u%02d", i)
		user(t, s, uid, nil)
		in := leads.SaveInput{Step: ptr(1 + i%3)}
		switch i % 3 {
		case 0:
			in.CenterID, in.CourseID = ptr("c1"), ptr("k1")
		case 1:
			in.CenterID, in.CourseID = ptr("c2"), ptr("k2")
		}
		// Two leads a day over three weeks and a half, at odd microseconds.
		created := base.Add(time.Duration(i)*12*time.Hour + time.Duration(i*7919)*time.Microsecond)
		l := saveAs(t, s, uid, in, created)
		if i%4 == 0 { // stepReached stays above a later, lower step
			saveAs(t, s, uid, leads.SaveInput{Step: ptr(3)}, created.Add(time.Minute))
			saveAs(t, s, uid, leads.SaveInput{Step: ptr(1)}, created.Add(2*time.Minute))
		}
		// Contacted after delays with fractions of a second, so truncation shows.
		delay := time.Duration(i*i*37+5)*time.Second + time.Duration(i%7)*150*time.Millisecond
		switch i % 6 {
		case 1, 2:
			leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached}, "a-ada", created.Add(delay))
		case 3:
			leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached}, "a-ada", created.Add(delay))
			leads.Convert(ctx, s, l.ID, "s1", "a-ada", created.Add(delay+time.Hour))
		case 4:
			leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusLost}, "a-ada", created.Add(delay))
		}
		switch i {
		case 7: // moves to another centre and course a week later: its counts move with it
			saveAs(t, s, uid, leads.SaveInput{CenterID: ptr("c1"), CourseID: ptr("k1")}, created.AddDate(0, 0, 7))
		case 13: // erased: its counts go with it
			if err := leads.DeleteLead(ctx, s, l.ID, created.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ids = append(ids, l.ID)
	}
	var all []leads.Lead
	for _, id := range ids {
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l)
	}
	now := base.AddDate(0, 0, 30) // 2027-01-13, 2027-W02
	day := func(y int, m time.Month, d int) *time.Time { v := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); return &v }
	endOf := func(y int, m time.Month, d int) *time.Time {
		v := time.Date(y, m, d, 23, 59, 59, 999999000, time.UTC)
		return &v
	}
	filters := []leads.StatsFilter{
		{},
		{CreatedFrom: day(2026, 12, 28), CreatedTo: endOf(2027, 1, 4)}, // 2026-W53 to 2027-W01
		{CreatedFrom: day(2026, 12, 20)},
		{CreatedTo: endOf(2026, 12, 24)},
		{CenterID: "c1"},
		{CourseID: "k2", CreatedFrom: day(2026, 12, 21)},
		{CenterID: "no-such-centre"},
		{CreatedFrom: day(2025, 3, 1), CreatedTo: endOf(2025, 3, 20)}, // nothing in it
		{CreatedFrom: day(2027, 6, 1)},                                // after now: no weeks
	}
	// Overdue after a day, as by default, when no lead is that recent; and
	// times just before and just after a pending lead of 2026-12-26 09:00
	// (u24), which a store that counts by day must split exactly.
	pending := base.AddDate(0, 0, 12)
	withins := []time.Duration{24 * time.Hour, now.Sub(pending.Add(-time.Hour)), now.Sub(pending.Add(3 * time.Hour))}
	for _, f := range filters {
		for _, within := range withins {
			checkStats(t, s, all, f, now, within)
		}
	}
}

// checkStats compares the figures of the filter, with leads overdue after
// within, to the same leads counted in Go.
func checkStats(t *testing.T, s leads.Store, all []leads.Lead, f leads.StatsFilter, now time.Time, within time.Duration) {
	t.Helper()
	ctx := t.Context()
	overdueBefore := now.Add(-within)
	name := statsName(f) + " overdue before " + overdueBefore.Format(time.RFC3339)
	{
		weeks, delays, err := s.Stats(ctx, f, overdueBefore)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := leads.BuildStats(f, weeks, delays, now)
		want := countStats(all, f, now, within)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
		// Per centre, the same leads counted by centre.
		byCentre := map[string]leads.CentreStats{}
		for _, l := range all {
			if f.CreatedFrom != nil && l.CreatedAt.Before(*f.CreatedFrom) || f.CreatedTo != nil && l.CreatedAt.After(*f.CreatedTo) ||
				f.CenterID != "" && (l.CenterID == nil || *l.CenterID != f.CenterID) ||
				f.CourseID != "" && (l.CourseID == nil || *l.CourseID != f.CourseID) {
				continue
			}
			c := byCentre[deref(l.CenterID)]
			c.CenterID = deref(l.CenterID)
			c.Created++
			if l.ContactedAt != nil {
				c.Contacted++
			}
			if l.Status == leads.StatusConverted {
				c.Converted++
			}
			if l.Status == leads.StatusPending && l.ContactedAt == nil && l.CreatedAt.Before(overdueBefore) {
				c.Overdue++
			}
			byCentre[c.CenterID] = c
		}
		for _, c := range leads.ByCentre(weeks) {
			want := byCentre[c.CenterID]
			want.ConversionRate = float64(want.Converted) / float64(want.Created)
			if c != want {
				t.Errorf("%s: centre %q: %+v, want %+v", name, c.CenterID, c, want)
			}
			delete(byCentre, c.CenterID)
		}
		if len(byCentre) > 0 {
			t.Errorf("%s: centres missing from ByCentre: %v", name, byCentre)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func statsName(f leads.StatsFilter) string {
	var parts []string
	if f.CreatedFrom != nil {
		parts = append(parts, "from "+f.CreatedFrom.Format(time.DateOnly))
	}
	if f.CreatedTo != nil {
		parts = append(parts, "to "+f.CreatedTo.Format(time.DateOnly))
	}
	if f.CenterID != "" {
		parts = append(parts, "centre "+f.CenterID)
	}
	if f.CourseID != "" {
		parts = append(parts, "course "+f.CourseID)
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, ", ")
}

// countStats is the contract's §8 computed here, in Go, from the leads: the
// independent count testStats compares with.
func countStats(all []leads.Lead, f leads.StatsFilter, now time.Time, within time.Duration) leads.Stats {
	st := leads.Stats{
		ByStatus:    map[leads.Status]int{"PENDING": 0, "CONTACTED": 0, "CONVERTED": 0, "LOST": 0},
		ReachedStep: map[string]int{"1": 0, "2": 0, "3": 0},
		Weeks:       []leads.WeekStats{},
	}
	var delays []float64
	perWeek := map[string]*leads.WeekStats{}
	var earliest *time.Time
	for _, l := range all {
		if f.CreatedFrom != nil && l.CreatedAt.Before(*f.CreatedFrom) || f.CreatedTo != nil && l.CreatedAt.After(*f.CreatedTo) ||
			f.CenterID != "" && (l.CenterID == nil || *l.CenterID != f.CenterID) ||
			f.CourseID != "" && (l.CourseID == nil || *l.CourseID != f.CourseID) {
			continue
		}
		st.Total++
		st.ByStatus[l.Status]++
		for k := 1; k <= l.StepReached; k++ {
			st.ReachedStep[fmt.Sprint(k)]++
		}
		y, wk := l.CreatedAt.ISOWeek()
		key := fmt.Sprintf("%04d-W%02d", y, wk)
		if perWeek[key] == nil {
			perWeek[key] = &leads.WeekStats{Week: key}
		}
		perWeek[key].Created++
		if l.ContactedAt != nil {
			delays = append(delays, math.Floor(l.ContactedAt.Sub(l.CreatedAt).Seconds()))
			perWeek[key].Contacted++
		}
		if l.Status == leads.StatusConverted {
			perWeek[key].Converted++
		}
		if l.Status == leads.StatusPending && l.ContactedAt == nil && l.CreatedAt.Before(now.Add(-within)) {
			st.Overdue++
		}
		if earliest == nil || l.CreatedAt.Before(*earliest) {
			c := l.CreatedAt
			earliest = &c
		}
	}
	if st.Total > 0 {
		st.ConversionRate = float64(st.ByStatus["CONVERTED"]) / float64(st.Total)
	}
	st.FirstContact.Count = len(delays)
	if n := len(delays); n > 0 {
		slices.Sort(delays)
		pct := func(q float64) *float64 {
			pos := q * float64(n-1)
			lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
			v := delays[lo] + (pos-float64(lo))*(delays[hi]-delays[lo])
			return &v
		}
		st.FirstContact.MedianSeconds, st.FirstContact.P90Seconds = pct(0.5), pct(0.9)
	}
	start, end := earliest, &now
	if f.CreatedFrom != nil {
		start = f.CreatedFrom
	}
	if f.CreatedTo != nil {
		end = f.CreatedTo
	}
	if start == nil {
		start = end
	}
	seen := map[string]bool{}
	for d := *start; !d.After(end.Add(7 * 24 * time.Hour)); d = d.Add(24 * time.Hour) {
		y, wk := d.ISOWeek()
		key := fmt.Sprintf("%04d-W%02d", y, wk)
		ey, ew := end.ISOWeek()
		if d.After(*end) && key != fmt.Sprintf("%04d-W%02d", ey, ew) || seen[key] {
			continue
		}
		seen[key] = true
		w := leads.WeekStats{Week: key}
		if perWeek[key] != nil {
			w = *perWeek[key]
		}
		st.Weeks = append(st.Weeks, w)
	}
	return st
}
