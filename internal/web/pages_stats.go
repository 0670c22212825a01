package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/leads/leads/internal/leads"
)

// The conversion-tracking page (contract §8): the figures of GET /leads/stats
// as charts drawn on the server in SVG (no chart library, nothing from a CDN,
// readable with no script), each with its figures in a table for screen
// readers and for whoever wants the numbers.

// statsView is the /staff/stats page.
type statsView struct {
	Form     *deskView // the filter's choices and values (centres, courses, dates)
	Error    string
	Fields   []leads.FieldError
	Stats    leads.Stats
	Rate     string // the conversion rate, as a percentage
	Median   string // time to first contact, in words
	P90      string
	Funnel   []funnelBar
	Weekly   weeklyChart
	Centres  []centreRow
	Range    string // the range in words
	Filtered bool
}

// funnelBar is one bar of the funnel: how many leads got this far.
type funnelBar struct {
	Label   string
	Count   int
	Percent string // of all leads
	Y       int    // the bar's top in the SVG
	Width   int    // in the SVG's units, of funnelWidth
	LabelY  int
}

const (
	funnelWidth   = 600 // the bars' full length
	funnelBarStep = 44
)

// weeklyChart is the weekly bar chart: created, contacted and converted per
// week.
type weeklyChart struct {
	Width, Height int
	Bars          []weeklyBar
	Ticks         []tick // the y axis
	Labels        []tick // some weeks under the x axis
	Max           int
	Rows          []leads.WeekStats
	PlotTop       int
	PlotBottom    int
	PlotLeft      int
}

// weeklyBar is one bar of the weekly chart.
type weeklyBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// tick is a label on an axis.
type tick struct {
	X, Y  int
	Label string
}

// centreRow is one line of the per-centre table.
type centreRow struct {
	Name                                   string
	Created, Contacted, Converted, Overdue int
	Rate                                   string
}

// staffStats serves GET /staff/stats.
func (s *Server) staffStats(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, v, ok := s.requireStaff(p, w, r)
		if !ok {
			return
		}
		d := &deskView{Query: r.URL.Query()}
		if _, err := s.deskChoices(r, d); err != nil {
			s.pageError(p, w, r, "stats page", err)
			return
		}
		sv := &statsView{Form: d}
		for _, vs := range r.URL.Query() {
			sv.Filtered = sv.Filtered || len(vs) > 0 && vs[0] != ""
		}
		v.Title, v.StatsPage = "Conversion", sv
		status := http.StatusOK
		now := s.now()
		f, err := leads.ParseStatsQuery(r.URL.Query(), now)
		var weeks []leads.WeekAggregate
		var delays map[int]int64
		if err == nil {
			weeks, delays, err = s.store.Stats(r.Context(), f, now.Add(-s.contactWithin))
		}
		var e *leads.Error
		switch {
		case errors.As(err, &e) && e.Code == leads.CodeInvalid:
			status, sv.Error, sv.Fields = http.StatusBadRequest, "Some filters are not valid: correct them and try again.", e.Fields
			p.render(w, status, "stats", v)
			return
		case err != nil:
			s.pageError(p, w, r, "stats page", err)
			return
		}
		st := leads.BuildStats(f, weeks, delays, now)
		sv.Stats = st
		sv.Rate = percent(st.ConversionRate)
		sv.Median, sv.P90 = "—", "—"
		if m := st.FirstContact.MedianSeconds; m != nil {
			sv.Median = humanDuration(time.Duration(*m * float64(time.Second)))
		}
		if p90 := st.FirstContact.P90Seconds; p90 != nil {
			sv.P90 = humanDuration(time.Duration(*p90 * float64(time.Second)))
		}
		sv.Funnel = funnel(st)
		sv.Weekly = weekly(st.Weeks)
		names := map[string]string{"": "No centre"}
		centers, err := s.store.Centers(r.Context(), "")
		if err != nil {
			s.pageError(p, w, r, "stats page", err)
			return
		}
		for _, c := range centers {
			names[c.ID] = c.Name
		}
		for _, c := range leads.ByCentre(weeks) {
			name := names[c.CenterID]
			if name == "" {
				name = c.CenterID
			}
			sv.Centres = append(sv.Centres, centreRow{Name: name, Created: c.Created, Contacted: c.Contacted,
				Converted: c.Converted, Overdue: c.Overdue, Rate: percent(c.ConversionRate)})
		}
		sv.Range = "all time"
		if len(st.Weeks) > 0 {
			sv.Range = fmt.Sprintf("%s to %s", st.Weeks[0].Week, st.Weeks[len(st.Weeks)-1].Week)
		}
		p.render(w, status, "stats", v)
	})
}

// funnel draws how far the leads got: steps reached, first contact, and
// conversion.
func funnel(st leads.Stats) []funnelBar {
	bars := []funnelBar{
		{Label: "Saved step 1", Count: st.ReachedStep["1"]},
		{Label: "Reached step 2", Count: st.ReachedStep["2"]},
		{Label: "Reached step 3", Count: st.ReachedStep["3"]},
		{Label: "Contacted", Count: st.FirstContact.Count},
		{Label: "Converted", Count: st.ByStatus[leads.StatusConverted]},
	}
	for i := range bars {
		b := &bars[i]
		b.Y, b.LabelY = i*funnelBarStep, i*funnelBarStep+20
		b.Percent = "0%"
		if st.Total > 0 {
			share := float64(b.Count) / float64(st.Total)
			b.Width = int(math.Round(share * funnelWidth))
			b.Percent = percent(share)
		}
	}
	return bars
}

// weekly lays out the weekly chart: a group of three bars a week.
func weekly(weeks []leads.WeekStats) weeklyChart {
	c := weeklyChart{Width: 720, Height: 260, PlotTop: 10, PlotBottom: 220, PlotLeft: 40, Rows: weeks}
	for _, w := range weeks {
		c.Max = max(c.Max, w.Created)
	}
	top, step := axis(c.Max)
	plotH := c.PlotBottom - c.PlotTop
	for v := 0; v <= top; v += step {
		c.Ticks = append(c.Ticks, tick{X: c.PlotLeft - 6, Y: c.PlotBottom - plotH*v/top + 4, Label: strconv.Itoa(v)})
	}
	if len(weeks) == 0 {
		return c
	}
	slot := float64(c.Width-c.PlotLeft) / float64(len(weeks))
	barW := max(1, int(slot/4))
	every := max(1, len(weeks)/6) // at most about six week labels
	for i, w := range weeks {
		x := c.PlotLeft + int(float64(i)*slot) + int(slot/8)
		for j, bar := range []struct {
			n     int
			class string
		}{{w.Created, "created"}, {w.Contacted, "contacted"}, {w.Converted, "converted"}} {
			h := 0
			if top > 0 {
				h = bar.n * plotH / top
			}
			c.Bars = append(c.Bars, weeklyBar{X: x + j*barW, Y: c.PlotBottom - h, W: barW, H: h, Class: bar.class,
				Title: fmt.Sprintf("%s: %d %s", w.Week, bar.n, bar.class)})
		}
		if i%every == 0 {
			c.Labels = append(c.Labels, tick{X: x, Y: c.PlotBottom + 18, Label: w.Week})
		}
	}
	return c
}

// axis picks the top of an axis that shows 0 to n and the step between its
// labels: a round step (1, 2, 2.5 or 5 times a power of ten, whole numbers
// only) that needs at most five of them, so that every label is a whole,
// round number.
func axis(n int) (top, step int) {
	n = max(n, 4)
	for p := 1; ; p *= 10 {
		for _, m := range []float64{1, 2, 2.5, 5} {
			s := m * float64(p)
			if s != math.Trunc(s) {
				continue
			}
			if k := (n + int(s) - 1) / int(s); k <= 5 {
				return k * int(s), int(s)
			}
		}
	}
}

// percent formats a share as a percentage with one decimal.
func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}
