package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/testdb"
)

// axePath is axe-core, fetched by scripts/fetch-axe.sh (which .ci/run runs).
const axePath = "testdata/axe/axe.min.js"

// checkA11y runs axe-core in the page and fails on every serious or critical
// violation. With the page's scripts off it does nothing: axe is a script
// (the same pages are checked with scripts on).
func (e *browserEnv) checkA11y(where string) {
	e.t.Helper()
	if e.noScript {
		return
	}
	for _, v := range e.axeViolations(where) {
		e.t.Errorf("accessibility, %s: %s", where, v)
	}
}

// axeViolations runs axe-core in the page and returns its serious and
// critical violations.
func (e *browserEnv) axeViolations(where string) []string {
	e.t.Helper()
	src, err := os.ReadFile(axePath)
	if err != nil {
		testdb.Skip(e.t, "axe", "axe-core is missing (scripts/fetch-axe.sh fetches it): "+err.Error())
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](string(src)+`;
		axe.run(document, {resultTypes: ['violations']}).then(function (r) {
			return JSON.stringify(r.violations.filter(function (v) {
				return v.impact === 'serious' || v.impact === 'critical';
			}).map(function (v) {
				return v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', ');
			}));
		})`, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("axe on %s: %v", where, err)
	}
	var violations []string
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		e.t.Fatalf("axe on %s: %v", where, err)
	}
	return violations
}

// The accessibility check is real: it finds a form field without a label.
func TestBrowserAxeFindsViolations(t *testing.T) {
	e := newBrowserEnv(t, openSQLite(t))
	e.do(chromedp.Navigate(`data:text/html,<!doctype html><html lang="en"><title>t</title><main><input type="text"></main></html>`))
	if v := e.axeViolations("a bad page"); len(v) == 0 || !strings.Contains(strings.Join(v, " "), "label") {
		t.Errorf("axe found %v on a page with an unlabelled field", v)
	}
}

// typeText types text with the keyboard into whatever has the focus.
func (e *browserEnv) typeText(text string) {
	e.t.Helper()
	e.do(chromedp.KeyEvent(text))
}

// press presses a key (kb.Enter, kb.Tab, a letter).
func (e *browserEnv) press(key string) {
	e.t.Helper()
	e.do(chromedp.KeyEvent(key))
}

// text returns the text of the first element matching the CSS selector,
// read through the DOM (so it works with the page's scripts off).
func (e *browserEnv) text(sel string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		e.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitPage waits for a page whose path and query start with prefix and whose
// DOM has the selector.
func (e *browserEnv) waitPage(prefix, sel string) {
	e.t.Helper()
	e.waitJS("page "+prefix, fmt.Sprintf(`(location.pathname + location.search).startsWith(%q) && document.querySelector(%q)`, prefix, sel))
}

// staffDay is a staff member's day at the desk, from the keyboard alone:
// find a lead, open it, call, note, assign, move the status with a reason,
// convert, and download the CSV of the search; each shows on the timeline.
func staffDay(t *testing.T, e *browserEnv, target leads.Lead, shots string) {
	e.open("/staff")
	e.waitPage("/staff", "table.leads")
	e.checkA11y("the leads table")
	e.fitsWidth("the leads table")
	if shots != "" {
		e.shoot(shots)
	}

	// Search by part of the name, from the keyboard.
	e.tabTo("q")
	e.typeText(target.FullName)
	e.press(kb.Enter)
	e.waitPage("/staff?q=", "#count")
	if got := e.text("#count"); !strings.Contains(got, "of 1.") {
		t.Fatalf("the search finds %q, want one lead", got)
	}
	csvHref := eval[string](e, `document.querySelector('.results-bar a[download]').getAttribute('href')`)

	// Open the lead.
	e.tabTo("lead-" + target.ID)
	e.press(kb.Enter)
	e.waitPage("/staff/leads/"+target.ID, "#timeline")
	e.checkA11y("the lead page")
	e.fitsWidth("the lead page")

	// Give the lead to whichever of the centre's two staff does not have it.
	other, otherName := "staff-bola", "Bola Staff"
	if deref(target.AssignedTo) == other {
		other, otherName = deskStaff, "Ada Staff"
	}
	steps := []struct {
		name, form string
		keys       func()
		shows      string
		checked    func(l leads.Lead) bool
	}{
		{"log a reached call", "call", func() {
			e.tabTo("outcome-reached")
			e.press(" ")
			e.tabTo("call-text")
			e.typeText("Keen; will pay on Friday")
			e.tabTo("call-submit")
		}, "Call, reached: Keen; will pay on Friday", func(l leads.Lead) bool {
			return l.Status == leads.StatusContacted && l.ContactedBy != nil && *l.ContactedBy == deskStaff
		}},
		{"add a note", "note", func() {
			e.tabTo("note-text")
			e.typeText("Prefers calls after 5pm")
			e.tabTo("note-submit")
		}, "Note: Prefers calls after 5pm", func(l leads.Lead) bool { return deref(l.Notes) == "Prefers calls after 5pm" }},
		{"assign", "assign", func() {
			e.tabTo("staffId")
			e.typeText(otherName)
			e.tabTo("assign-submit")
		}, "Assigned to " + otherName + " by hand", func(l leads.Lead) bool { return deref(l.AssignedTo) == other }},
		{"change the status with a reason", "status", func() {
			e.tabTo("status")
			e.typeText("Lost")
			e.tabTo("reason")
			e.typeText("Found a job")
			e.tabTo("status-submit")
		}, "Status Contacted → Lost: Found a job", func(l leads.Lead) bool { return l.Status == leads.StatusLost }},
		{"convert", "convert", func() {
			e.tabTo("studentId")
			e.typeText("student-9")
			e.tabTo("convert-submit")
		}, "Converted: enrolled as student student-9", func(l leads.Lead) bool { return l.Status == leads.StatusConverted }},
	}
	for _, st := range steps {
		st.keys()
		e.press(kb.Enter)
		e.waitPage("/staff/leads/"+target.ID+"?done="+st.form, "#timeline")
		if got := e.text("#timeline"); !strings.Contains(got, st.shows) {
			t.Errorf("%s: the timeline lacks %q:\n%s", st.name, st.shows, got)
		}
		l, err := e.store.Lead(context.Background(), target.ID)
		if err != nil || !st.checked(l) {
			t.Errorf("%s: the stored lead is %+v (%v)", st.name, l, err)
		}
		if got := e.text(".notice"); got == "" {
			t.Errorf("%s: no confirmation", st.name)
		}
	}
	e.checkA11y("the lead page after a day's work")
	if shots != "" {
		e.shoot(shots)
	}

	// Back to the search, and download its CSV from the keyboard.
	dir := t.TempDir()
	e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	e.open("/staff" + strings.TrimPrefix(csvHref, "/leads/export.csv"))
	e.waitPage("/staff?", "#count")
	e.tabTo("csv")
	e.press(kb.Enter)
	var rows [][]string
	deadline := time.Now().Add(stepTimeout)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		if len(files) == 1 {
			f, err := os.Open(files[0])
			if err == nil {
				rows, err = csv.NewReader(f).ReadAll()
				f.Close()
				if err == nil && len(rows) == 2 {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CSV of the search downloaded to %s (rows %v)", dir, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rows[1][0] != target.ID || rows[1][19] != "CONVERTED" {
		t.Errorf("the CSV row is %v, want the converted lead", rows[1])
	}
}

// shoot saves a screenshot of the whole page into dir, named by the test
// and the path.
func (e *browserEnv) shoot(dir string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		e.t.Fatal(err)
	}
	path := eval[string](e, `location.pathname.startsWith('/staff/leads/') ? 'lead' : location.pathname === '/staff/stats' ? 'stats' : 'leads'`)
	width := eval[int](e, `window.innerWidth`)
	name := filepath.Join(dir, fmt.Sprintf("desk-%s-%d.png", path, width))
	if err := os.WriteFile(name, png, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// fitsWidth fails when the page scrolls sideways.
func (e *browserEnv) fitsWidth(where string) {
	e.t.Helper()
	if w, inner := eval[int](e, `document.documentElement.scrollWidth`), eval[int](e, `window.innerWidth`); w > inner {
		e.t.Errorf("%s is %d px wide, wider than the %d px window", where, w, inner)
	}
}

// TestBrowserStaffDay runs a staff member's day on each engine: at a
// phone's width with the keyboard alone, and on a desktop with JavaScript
// off, checking every page with axe-core. LEADS_SCREENSHOTS=docs/screenshots
// saves the desk's screenshots.
func TestBrowserStaffDay(t *testing.T) {
	shots := os.Getenv("LEADS_SCREENSHOTS")
	for _, eng := range engines() {
		for _, mode := range []struct {
			name     string
			width    int
			noScript bool
		}{{"phone-keyboard", 360, false}, {"desktop-no-javascript", 1280, true}} {
			t.Run(eng.name+"/"+mode.name, func(t *testing.T) {
				st := eng.open(t)
				e := newBrowserEnvAs(t, st, auth.Principal{UserID: deskStaff, Role: auth.RoleStaff,
					Name: ptr("Ada Staff"), Email: ptr("ada.staff@example.com")})
				all := seedDesk(t, st, 12)
				if _, err := st.PutStudent(context.Background(), leads.Student{ID: "student-9"}, time.Now()); err != nil {
					t.Fatal(err)
				}
				e.do(chromedp.EmulateViewport(int64(mode.width), 900))
				if e.noScript = mode.noScript; e.noScript {
					e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
						_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
						return err
					}))
				}
				staffDay(t, e, all[5], shots)
			})
		}
	}
}

// TestBrowserStats opens the conversion page on each engine at both widths:
// its figures are the API's, a centre is chosen from the keyboard, axe-core
// finds nothing serious, and nothing scrolls sideways.
func TestBrowserStats(t *testing.T) {
	shots := os.Getenv("LEADS_SCREENSHOTS")
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			st := eng.open(t)
			e := newBrowserEnvAs(t, st, auth.Principal{UserID: deskStaff, Role: auth.RoleStaff,
				Name: ptr("Ada Staff"), Email: ptr("ada.staff@example.com")})
			all := seedDesk(t, st, 9)
			ctx := context.Background()
			if _, err := leads.LogCall(ctx, st, all[0].ID, leads.Call{Outcome: leads.CallReached}, deskStaff, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			api := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret)})
			for _, width := range []int{360, 1280} {
				e.do(chromedp.EmulateViewport(int64(width), 900))
				e.open("/staff/stats")
				e.waitPage("/staff/stats", "#kpi-total")
				e.checkA11y(fmt.Sprintf("the conversion page at %d px", width))
				e.fitsWidth(fmt.Sprintf("the conversion page at %d px", width))
				if shots != "" {
					e.shoot(shots)
				}
			}
			want := func(query string) leads.Stats {
				r := httptestRequest("GET", "/leads/stats"+query)
				st, err := api.stats(r)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			w := want("")
			if got := e.text("#kpi-total"); got != fmt.Sprint(w.Total) {
				t.Errorf("page total %s, API %d", got, w.Total)
			}
			if got := e.text("#kpi-overdue"); got != fmt.Sprint(w.Overdue) {
				t.Errorf("page overdue %s, API %d", got, w.Overdue)
			}
			if got := e.text("#kpi-rate"); got != percent(w.ConversionRate) {
				t.Errorf("page rate %s, API %v", got, w.ConversionRate)
			}
			e.tabTo("centerId")
			e.typeText("Lagos")
			e.tabTo("stats-submit")
			e.press(kb.Enter)
			e.waitPage("/staff/stats?", "#kpi-total")
			w = want("?centerId=lagos-center")
			if got := e.text("#kpi-total"); got != fmt.Sprint(w.Total) || w.Total == 0 {
				t.Errorf("Lagos: page total %s, API %d", got, w.Total)
			}
			if got := e.text("#centres"); !strings.Contains(got, "Lagos Center") || strings.Contains(got, "Abuja") {
				t.Errorf("the centre table of Lagos shows %q", got)
			}
		})
	}
}

// httptestRequest is a request for a handler called directly.
func httptestRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, "http://leads.test"+target, nil)
}
