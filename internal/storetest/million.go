package storetest

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
)

// Million is how many leads BenchMillion seeds: LEADS_BENCH_LEADS, default a
// million.
func Million() int {
	return BenchLeads(1_000_000)
}

// BenchLeads is how many leads a benchmark seeds: LEADS_BENCH_LEADS, or def.
func BenchLeads(def int) int {
	if n, err := strconv.Atoi(os.Getenv("LEADS_BENCH_LEADS")); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchMillion measures the staff desk's heavy reads on a big table: search
// (q) and the other filters of the list, with their exact totals, and the CSV
// export of every lead. seed must write n leads with people's names, e-mails
// and phones (see the engines' seedPeople): name i is firstNames[i%10] +
// " " + lastNames[(i/10)%10] + " " + i, e-mail person<i>@example.com, phone
// 080<i, 8 digits>. Each case reports its latency's median and 99th
// percentile; List32 runs the list's cases from 32 clients at once; the
// export reports rows per second and the heap it grew by.
func BenchMillion(b *testing.B, open func(tb testing.TB) leads.Store, seed func(tb testing.TB, s leads.Store, n int)) {
	if os.Getenv("LEADS_BENCH_MILLION") == "" {
		b.Skip("set LEADS_BENCH_MILLION=1 to seed a million leads (minutes) and measure the desk's reads on them")
	}
	n := Million()
	s := open(b)
	ctx := context.Background()
	start := time.Now()
	seed(b, s, n)
	b.Logf("seeded %d leads in %s", n, time.Since(start).Round(time.Second))
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from, to := now.AddDate(0, -6, 0), now.AddDate(0, -3, 0)
	overdue := now
	cases := []struct {
		name string
		f    leads.ListFilter
	}{
		{"q=surname", leads.ListFilter{Q: "okafor"}},
		{"q=full-name", leads.ListFilter{Q: "Mercy Okafor 4200"}},
		{"q=phone-digits", leads.ListFilter{Q: "0800424"}},
		{"q=email", leads.ListFilter{Q: "person77777@"}},
		{"q=rare", leads.ListFilter{Q: "nobody-by-this-name"}},
		{"q=2-chars", leads.ListFilter{Q: "ok"}},
		{"q+status", leads.ListFilter{Q: "okafor", Status: leads.StatusPending}},
		{"status+centre", leads.ListFilter{Status: leads.StatusPending, CenterID: "seed-centre-5"}},
		{"course", leads.ListFilter{CourseID: "seed-course-7"}},
		{"assignedTo", leads.ListFilter{AssignedTo: "seed-staff-2"}},
		{"unassigned", leads.ListFilter{Unassigned: true}},
		{"step", leads.ListFilter{Step: 2}},
		{"created-range", leads.ListFilter{CreatedFrom: &from, CreatedTo: &to}},
		{"overdue", leads.ListFilter{OverdueBefore: &overdue}},
		{"sort=lastSavedAt", leads.ListFilter{Sort: leads.SortLastSaved}},
		{"page500", leads.ListFilter{}},
		{"after500", leads.ListFilter{}}, // the same page by the keyset cursor
	}
	for i := range cases {
		f := &cases[i].f
		f.Page, f.Limit = 1, leads.DefaultLimit
		switch cases[i].name {
		case "page500":
			f.Page = 500
		case "after500":
			before, err := s.ListLeads(ctx, leads.ListFilter{Page: 499, Limit: leads.DefaultLimit})
			if err != nil || len(before.Leads) == 0 {
				b.Fatalf("page 499: %d leads, %v", len(before.Leads), err)
			}
			f.Page, f.After = 0, before.Leads[len(before.Leads)-1].ID
		}
	}
	for _, c := range cases {
		b.Run("List/"+c.name, func(b *testing.B) {
			var took []time.Duration
			total := 0
			for b.Loop() {
				t0 := time.Now()
				p, err := s.ListLeads(ctx, c.f)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				total = p.Total
			}
			reportLatency(b, took)
			b.ReportMetric(float64(total), "matches")
		})
	}
	// The same reads from 32 clients at once, as the load script's closed
	// loops have them: each iteration sends one read from each client
	// together, so a read's latency includes its wait for the others on the
	// machine's cores.
	for _, c := range cases {
		b.Run("List32/"+c.name, func(b *testing.B) {
			const clients = 32
			var took []time.Duration
			var mu sync.Mutex
			start := time.Now()
			for b.Loop() {
				var wg sync.WaitGroup
				for range clients {
					wg.Go(func() {
						t0 := time.Now()
						_, err := s.ListLeads(ctx, c.f)
						d := time.Since(t0)
						if err != nil {
							b.Error(err)
						}
						mu.Lock()
						took = append(took, d)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(len(took))/time.Since(start).Seconds(), "reads/s")
			reportLatency(b, took)
		})
	}
	// Mid-week bounds and an overdue time late on a Sunday: the most the
	// stats count from the leads rather than from the counts by week (about six
	// days at each edge, eight at the end).
	midFrom, midTo := time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC), time.Date(2026, 9, 6, 12, 0, 0, 0, time.UTC)
	lateSunday := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	statsCases := []struct {
		name    string
		f       leads.StatsFilter
		overdue time.Time
	}{
		{"all", leads.StatsFilter{}, overdue.Add(-24 * time.Hour)},
		{"all,overdue-sunday", leads.StatsFilter{}, lateSunday},
		{"centre", leads.StatsFilter{CenterID: "seed-centre-5"}, overdue.Add(-24 * time.Hour)},
		{"course", leads.StatsFilter{CourseID: "seed-course-7"}, overdue.Add(-24 * time.Hour)},
		{"quarter", leads.StatsFilter{CreatedFrom: &from, CreatedTo: &to}, overdue.Add(-24 * time.Hour)},
		{"quarter,mid-week", leads.StatsFilter{CreatedFrom: &midFrom, CreatedTo: &midTo}, lateSunday},
		{"quarter+centre", leads.StatsFilter{CreatedFrom: &from, CreatedTo: &to, CenterID: "seed-centre-5"}, overdue.Add(-24 * time.Hour)},
	}
	for _, c := range statsCases {
		b.Run("Stats/"+c.name, func(b *testing.B) {
			var took []time.Duration
			total := 0
			for b.Loop() {
				t0 := time.Now()
				weeks, delays, err := s.Stats(ctx, c.f, c.overdue)
				st := leads.BuildStats(c.f, weeks, delays, now)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				total = st.Total
			}
			reportLatency(b, took)
			b.ReportMetric(float64(total), "leads")
		})
	}
	b.Run("ExportAll", func(b *testing.B) {
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			peak := before.HeapInuse
			rows := 0
			t0 := time.Now()
			err := s.ExportLeads(ctx, leads.ListFilter{}, func(leads.Lead) error {
				if rows++; rows%100_000 == 0 {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
				return nil
			})
			elapsed := time.Since(t0)
			if err != nil || rows != n {
				b.Fatalf("exported %d of %d leads: %v", rows, n, err)
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(peak-before.HeapInuse)/(1<<20), "heap-growth-MiB")
		}
	})
}

// reportLatency reports the median and 99th percentile of took, in ms.
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
